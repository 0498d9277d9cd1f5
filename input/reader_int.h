/* reader_int.h - what the text readers share internally: the reader object, line buffering,
 * number parsing and error formatting. Not a public header: only input/reader*.c include it. */
#ifndef RL_READER_INT_H
#define RL_READER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "input/reader.h"

/* One CSV field of the current line or the header, after unquoting. */
typedef struct rl_csv_field {
    const char *p;
    uint32_t len;
} rl_csv_field;

/* A comma-separated option (column lists, missing tokens, class names), split into tokens that
 * point into buf, which the list owns. */
typedef struct rl_csv_list {
    char *buf;
    rl_csv_field *tok;
    uint32_t n;
} rl_csv_list;

/* How a CSV column's fields are read (reader_csv_cols.c). */
enum rl_csv_kind { RL_COL_AUTO = 0, RL_COL_NUM, RL_COL_CAT, RL_COL_IGNORE };

struct rl_reader {
    char *name; /* for messages */
    int fd;     /* -1 for a memory source */
    int close_fd;
    const uint8_t *mem; /* memory source */
    size_t mem_len, mem_pos;

    /* Line buffer: unconsumed bytes are buf[start, end); buf[scan] is where the search for the
     * next newline resumes, so a line split across reads is never scanned twice. */
    char *buf;
    size_t cap, start, end, scan;
    int eof;      /* the source returned 0 */
    int ended;    /* end of stream was returned once */
    int skipping; /* inside an overlong line: discard up to its newline */

    rl_reader_opts opts;
    char *label_col; /* copy of opts.label_col */
    rl_text_format fmt;

    rl_text_feature *feats;
    uint32_t feats_cap;
    rl_record rec;
    rl_reader_stats st;
    uint64_t lineno;

    /* CSV */
    char *header_copy;    /* the header line, unquoted in place; names point into it */
    rl_csv_field *cols;   /* header names (NULL without a header) */
    rl_csv_field *fields; /* fields of the current line */
    uint32_t fields_cap;
    int64_t n_cols;    /* expected fields per line; -1 until the first line sets it */
    int64_t label_idx; /* -1 until resolved (no header + numeric spec: first line) */
    /* CSV columns (reader_csv_cols.c): the options as lists, and per column (once n_cols is
     * known) its kind, its namespace name (the header's, or its number), and the sum and count
     * of its numbers (for RL_CSV_MISSING_MEAN). */
    rl_csv_list l_ignore, l_cat, l_num, l_na, l_labels;
    uint8_t *col_kind;
    rl_csv_field *col_ns;
    char *col_numbers;
    double *col_sum;
    uint64_t *col_cnt;
};

/* Parses one line (NUL-terminated at line[len], trailing CR removed, not blank) into r->rec.
 * RL_ERR_FORMAT fills errstr with the reason only; the caller prefixes "file:line: ". */
rl_err rl_libsvm_parse_line(rl_reader *r, char *line, size_t len, char *errstr, size_t n);
rl_err rl_vw_parse_line(rl_reader *r, char *line, size_t len, char *errstr, size_t n);
rl_err rl_csv_parse_line(rl_reader *r, char *line, size_t len, char *errstr, size_t n);
/* Reads the header (or sets up headerless parsing) right after open. */
rl_err rl_csv_open(rl_reader *r, char *errstr, size_t n);
void rl_csv_free(rl_reader *r);
/* Copies the column options out of r->opts into lists the reader owns (at open). */
rl_err rl_csv_lists_init(rl_reader *r, char *errstr, size_t n);
/* Once the number of columns k is known (header, or the first line without one): resolves the
 * column lists against it (errstr: an unknown column, a column both forced numeric and
 * categorical, an ignored label) and allocates the per-column state. */
rl_err rl_csv_cols_resolve(rl_reader *r, int64_t k, char *errstr, size_t n);
void rl_csv_cols_free(rl_reader *r);
/* 1 when [p, p+len) is a missing-value token. */
int rl_csv_is_missing(const rl_reader *r, const char *p, uint32_t len);
/* The label of [p, p+len): a number, a declared class name, or yes/no, true/false. NULL on
 * success, else why not (written into why). */
const char *rl_csv_parse_label(const rl_reader *r, const char *p, uint32_t len, float *out,
                               char *why, size_t why_size);
/* Splits a CSV line into r->fields (unquoting in place); returns the field count or -1 with
 * errstr set. */
int64_t rl_csv_split(rl_reader *r, char *line, size_t len, char *errstr, size_t n);

/* Internal: next raw line (for the CSV header). RL_OK with *line == NULL at end of stream. */
rl_err rl_reader_raw_line(rl_reader *r, char **line, size_t *len, char *errstr, size_t n);

/* Appends a feature slot, growing the array (doubling) up to max_features.
 * Returns NULL with errstr set (RL_ERR_FORMAT reason or allocation failure in *err). The
 * common case (room left) is inline: it runs once per feature. */
rl_text_feature *rl_reader_push_feat_grow(rl_reader *r, rl_err *err, char *errstr, size_t n);
static inline rl_text_feature *rl_reader_push_feat(rl_reader *r, rl_err *err, char *errstr,
                                                   size_t n)
{
    if (r->rec.n_feats < r->feats_cap)
        return &r->feats[r->rec.n_feats++];
    return rl_reader_push_feat_grow(r, err, errstr, n);
}

/* Numbers. Both require the whole range [p, p+len) to be the number, and a finite result.
 * Return 0 on success, else a static reason ("not a number", "not finite", "out of range"). */
const char *rl_parse_f64(const char *p, size_t len, double *out);
const char *rl_parse_f32(const char *p, size_t len, float *out);
/* NULL when v is a feature value the learners take (|v| <= RL_FEATURE_VALUE_MAX), else why not. */
const char *rl_check_feature_value(float v);
/* 10^0 .. 10^22, each exact in a double (Clinger's fast path: m / 10^k with m < 2^53 rounds
 * once, to the double strtod returns). */
extern const double rl_pow10_exact[23];
/* Decimal digits only, no sign; 0 on success, else a static reason. */
const char *rl_parse_u64(const char *p, size_t len, uint64_t *out);

/* Writes p[0..len) quoted for a message: non-printable bytes as \xNN, cut at 40 bytes. */
const char *rl_quote(char *out, size_t out_size, const char *p, size_t len);

static inline int rl_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

#endif
