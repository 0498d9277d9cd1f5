/* reader.h - streaming readers for the text formats relearn learns from: libsvm/svmlight,
 * Vowpal Wabbit text, and CSV.
 *
 * A reader turns a file (or stdin, path "-") into records, one line at a time, in bounded
 * memory: one fixed buffer of max_line bytes holds the current line, and a record's names point
 * into it. Nothing is allocated per record once the feature array has grown to the widest line
 * seen (it grows by doubling, up to max_features). Numbers are parsed with strtod, which relearn
 * never runs outside the C locale, so "0.5" is always one half.
 *
 * A malformed line is one error: rl_reader_next() returns RL_ERR_FORMAT with errstr
 * "file:line: reason" and has already skipped that line, so the caller counts it and calls again
 * (or stops, under --strict). End of stream is RL_OK with *out == NULL. RL_ERR_IO (a read failed)
 * and RL_ERR_NOMEM are fatal for the reader.
 *
 * What every format shares:
 *   - lines end in "\n" or "\r\n"; the last line may lack its newline;
 *   - blank lines (only spaces/tabs) and lines whose first non-blank byte is '#' carry no event:
 *     they are skipped and counted in rl_reader_stats.skipped, never reported as errors (a
 *     trailing blank line is too common to call malformed, and VW separates multi-line
 *     examples with blank lines);
 *   - a label is required; labels, weights and values must be finite numbers (NaN, Inf and
 *     overflow to Inf are errors; a value finite as a double but beyond float range is too);
 *   - a line longer than max_line bytes is an error (the rest of it is skipped);
 *   - names are bytes: they need not be UTF-8 (error messages escape what they quote).
 *
 * libsvm / svmlight: `label [qid:N] index:value ... [# comment]`. Indices are decimal integers
 *   0..max_index (default 2^32-1); qid is read and ignored; no importance weight; order and
 *   duplicates are not checked (a linear model sums them). `index` without `:value`, `index:`,
 *   `a:b:c`, and a first token with a ':' (missing label) are errors.
 * VW text: `label [weight] ['tag | tag]|ns[:scale] name[:value] ... |ns2 ...`. A tag is a token
 *   starting with '\'' or a token directly followed by '|'. A third number (VW's initial
 *   prediction) is refused rather than ignored. Features are named: `ns` is the namespace (empty
 *   for the default namespace, `| a b`), value defaults to 1 and is multiplied by the namespace
 *   scale. The name relearn hashes is "ns^name", or "name" alone in the default namespace
 *   (rl_record_feature_name() writes it): the same string a producer puts into Event.name.
 * CSV: RFC 4180 fields on one line (quotes with "" escapes; a newline inside quotes is not
 *   supported and reads as an unterminated quote). With a header (default) the first line names
 *   the columns; without one, columns are named by their 0-based number. The label column is
 *   chosen by name or 0-based number; by default the column named "label" if the header has one,
 *   else column 0. Each column is its own namespace, named by its header (or number), so
 *   interactions cross columns by their first letters as VW crosses namespaces. A field is:
 *   - missing when it is one of the missing-value tokens (default: empty, NA, NaN, ?, null;
 *     case-insensitive; opts.na_values): left out (opts.missing = SKIP, the default), replaced
 *     by the mean of the column's numbers read so far (MEAN; left out until there is one), or
 *     marked by an indicator feature "col=<missing>" with value 1 (INDICATOR);
 *   - a number: a numeric feature named by the column (with a header; hashed as the column name
 *     alone, as before categorical columns existed) or indexed by the column number (without);
 *   - any other text: a categorical feature "col=value" with value 1 (hashed one-hot), unless
 *     the column is forced numeric (opts.num_cols: then it is a bad line). opts.cat_cols forces
 *     a column categorical even where its values look like numbers (zip codes, ids);
 *     opts.ignore leaves columns out altogether.
 *   The label is a number, or a string: one of opts.label_values ("no,yes": no -> 0, yes -> 1;
 *   "a,b,c" -> classes 0, 1, 2), else yes/no or true/false (case-insensitive; -> 1/0). A line with
 *   a different number of fields than the first is an error.
 *
 * Format detection (RL_TEXT_AUTO): by extension (.libsvm .svm .svmlight, .vw, .csv; compressed
 * input is not read), else by the first line that is not blank or a comment: a '|' means VW; a
 * numeric first token followed only by tokens of the form int:number means libsvm; a delimiter
 * (',' by default) means CSV; anything else is an error
 * asking for --format. */
#ifndef RL_READER_H
#define RL_READER_H

#include <stddef.h>
#include <stdint.h>

#include "learners/features.h"
#include "learners/learner.h"
#include "common/rl_common.h"

typedef enum rl_text_format {
    RL_TEXT_AUTO = 0,
    RL_TEXT_LIBSVM,
    RL_TEXT_VW,
    RL_TEXT_CSV,
} rl_text_format;

/* What a missing CSV field becomes (see above). */
typedef enum rl_csv_missing {
    RL_CSV_MISSING_SKIP = 0,
    RL_CSV_MISSING_MEAN,
    RL_CSV_MISSING_INDICATOR,
} rl_csv_missing;

#define RL_READER_MAX_LINE_DEFAULT     (1u << 20) /* 1 MiB */
#define RL_READER_MAX_LINE_MIN         16u
#define RL_READER_MAX_LINE_MAX         (1u << 30)
#define RL_READER_MAX_FEATURES_DEFAULT (1u << 20)

typedef struct rl_reader_opts {
    rl_text_format format; /* RL_TEXT_AUTO (default) detects */
    size_t max_line;       /* bytes per line, without the newline; default 1 MiB */
    uint32_t max_features; /* per record; default 2^20 */
    uint64_t max_index;    /* largest numeric index accepted (libsvm); default 2^32-1 */
    /* CSV only. */
    char delimiter;        /* default ',' */
    int header;            /* 1 (default): the first line names the columns */
    const char *label_col; /* column name, or a 0-based number; NULL = default (see above).
                              A string of digits is a number unless the header has a column
                              of that exact name. Copied by rl_reader_open. */
    /* Comma-separated column lists (names, or 0-based numbers as label_col), NULL = none; all
     * copied by rl_reader_open. A column named in none of them is typed value by value. */
    const char *ignore;       /* columns left out */
    const char *cat_cols;     /* columns always categorical */
    const char *num_cols;     /* columns always numeric (a non-number is a bad line) */
    const char *na_values;    /* missing-value tokens, comma-separated, compared ignoring case;
                                 NULL: ",NA,NaN,?,null" (the empty field is always missing) */
    rl_csv_missing missing;   /* what a missing field becomes (default RL_CSV_MISSING_SKIP) */
    const char *label_values; /* class names in class order, comma-separated; NULL: numbers,
                                 yes/no, true/false */
} rl_reader_opts;

/* One feature of a record. Either named (name != NULL; VW and CSV with a header) or indexed
 * (name == NULL; libsvm and CSV without a header). Pointers point into the reader's line
 * buffer (or its copy of the CSV header) and stay valid until the next rl_reader_next(). */
typedef struct rl_text_feature {
    const char *ns; /* namespace: VW's (NULL for the default namespace), CSV's column name or
                       number; NULL for libsvm */
    uint32_t ns_len;
    char ns_sep; /* how ns joins name in the name that is hashed: '^' (VW: "ns^name"), '='
                    (a CSV category: "col=value"), 0 (name alone: a CSV number) */
    uint32_t name_len;
    const char *name; /* NULL when indexed */
    uint64_t index;   /* when name == NULL */
    float value;      /* finite */
} rl_text_feature;

typedef struct rl_record {
    float label;     /* finite, exactly as written (no task mapping; see rl_record_label) */
    float weight;    /* importance weight; 1 when the format has none */
    int has_weight;  /* the line gave a weight (VW) */
    const char *tag; /* VW tag without the leading '\''; NULL when none */
    size_t tag_len;
    const rl_text_feature *feats;
    uint32_t n_feats;
    uint64_t line; /* 1-based line number in the input */
} rl_record;

typedef struct rl_reader_stats {
    uint64_t lines;   /* lines read, including header, skipped and bad ones */
    uint64_t records; /* records returned */
    uint64_t bad;     /* lines refused with RL_ERR_FORMAT */
    uint64_t skipped; /* blank and comment lines */
    uint64_t bytes;   /* bytes read */
} rl_reader_stats;

typedef struct rl_reader rl_reader;

void rl_reader_opts_default(rl_reader_opts *o);
/* "libsvm" (also "svm", "svmlight"), "vw", "csv", "auto". */
rl_err rl_text_format_parse(const char *s, rl_text_format *out);
/* "skip", "mean", "indicator". */
rl_err rl_csv_missing_parse(const char *s, rl_csv_missing *out);
const char *rl_text_format_name(rl_text_format f);

/* Opens path ("-" = stdin, not closed by destroy) and, for AUTO, detects the format (which reads
 * ahead but consumes nothing); for CSV with a header, reads the header. opts may be NULL
 * (defaults). Errors: RL_ERR_IO (open/read; errstr names the path and errno text),
 * RL_ERR_INVALID_ARG (options), RL_ERR_FORMAT (format undetectable, bad header, unknown label
 * column). */
rl_err rl_reader_open(const char *path, const rl_reader_opts *opts, rl_reader **out, char *errstr,
                      size_t errstr_size);
/* Same over a memory range (tests, fuzzing); name is used in messages. data is copied as read,
 * so it only needs to live until rl_reader_destroy. */
rl_err rl_reader_open_mem(const char *name, const void *data, size_t len,
                          const rl_reader_opts *opts, rl_reader **out, char *errstr,
                          size_t errstr_size);
void rl_reader_destroy(rl_reader *r); /* NULL: no-op; closes the file unless it is stdin */

/* The next record. RL_OK with *out != NULL: a record, valid until the next call. RL_OK with
 * *out == NULL: end of stream (and every later call). RL_ERR_FORMAT: that line was malformed
 * and is skipped; errstr is "file:line: reason"; call again to continue. RL_ERR_IO /
 * RL_ERR_NOMEM: fatal. */
rl_err rl_reader_next(rl_reader *r, const rl_record **out, char *errstr, size_t errstr_size);

/* Line mode, for messages that each hold one line (relearnd's text topics): a reader with no
 * input of its own, of a given format (not AUTO); for CSV with a header, header is the header
 * line (the column names), declared since no message carries it. Then rl_reader_parse_line()
 * parses one message as one line. */
rl_err rl_reader_open_lines(const char *name, const rl_reader_opts *opts, const char *header,
                            rl_reader **out, char *errstr, size_t errstr_size);
/* One message msg[0..len) as one line (a trailing "\n" or "\r\n" is allowed, no other newline)
 * into a record valid until the next call. A message that is empty, blank, a comment, longer
 * than max_line or more than one line is RL_ERR_FORMAT ("name:N: message ...", N counting
 * messages), as is a malformed line. */
rl_err rl_reader_parse_line(rl_reader *r, const void *msg, size_t len, const rl_record **out,
                            char *errstr, size_t errstr_size);

rl_text_format rl_reader_format(const rl_reader *r); /* the detected or given format */
const char *rl_reader_name(const rl_reader *r);      /* path as given, or "<stdin>" */
void rl_reader_get_stats(const rl_reader *r, rl_reader_stats *out);
/* CSV: the label column's 0-based number and name (NULL without a header); -1 otherwise. */
int rl_reader_label_column(const rl_reader *r, const char **name);

/* The name to hash for a named feature: "ns^name" (VW, non-default namespace), "col=value" (a
 * CSV category) or the name.
 * Writes at most out_size bytes (no NUL; out may be NULL when out_size is 0, to ask the
 * length) and returns the full length; a return larger than
 * out_size means it did not fit. Indexed features return 0. */
size_t rl_record_feature_name(const rl_text_feature *f, char *out, size_t out_size);

/* Maps a record's label to the learners' convention for task (learner.h):
 *   binary:     0 and 1 as they are; -1 maps to 0 (libsvm's and VW's -1/+1 convention);
 *   regression: any finite value;
 *   multiclass: an integer 0..n_classes-1.
 * Anything else is RL_ERR_FORMAT with errstr "file:line: label X ..." (file from r). */
rl_err rl_record_label(const rl_reader *r, const rl_record *rec, rl_task task, uint32_t n_classes,
                       float *out, char *errstr, size_t errstr_size);

/* Builds learner examples from records: hashes names ("ns^name") and indices with a hasher
 * (rl_hasher_init with the model's bits and seed: the same slots the daemon uses for an Event
 * carrying these names/indices). Owns the feature array and a scratch buffer for VW names;
 * they grow to the widest record and are then reused, so converting allocates nothing after
 * warm-up. */
typedef struct rl_example_builder {
    rl_feature *feats;
    uint8_t *ns; /* each feature's namespace byte (interactions.h) */
    uint32_t cap;
    char *scratch;
    size_t scratch_cap;
} rl_example_builder;

void rl_example_builder_init(rl_example_builder *b);
void rl_example_builder_free(rl_example_builder *b);
/* Fills ex from rec: label = the given (already mapped) label, weight = rec->weight, features
 * hashed with h; ex->feats points into b until the next call. Zero-valued features are kept
 * (they cost nothing to a linear model but keep the count honest). RL_ERR_NOMEM only. */
rl_err rl_example_from_record(rl_example_builder *b, const rl_hasher *h, const rl_record *rec,
                              float label, rl_example *ex, char *errstr, size_t errstr_size);

#endif
