/* reader.c - the text reader's shared machinery: sources (fd or memory), the bounded line
 * buffer, format detection, open/next/destroy. The per-format line parsers live in
 * reader_libsvm.c, reader_vw.c and reader_csv.c; numbers in reader_num.c; records to examples
 * in reader_example.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/reader_int.h"

#define READ_CHUNK_MAX (64u * 1024u)

void rl_reader_opts_default(rl_reader_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = RL_TEXT_AUTO;
    o->max_line = RL_READER_MAX_LINE_DEFAULT;
    o->max_features = RL_READER_MAX_FEATURES_DEFAULT;
    o->max_index = UINT32_MAX;
    o->delimiter = ',';
    o->header = 1;
    o->label_col = NULL;
    o->missing = RL_CSV_MISSING_SKIP;
}

rl_err rl_text_format_parse(const char *s, rl_text_format *out)
{
    if (strcmp(s, "libsvm") == 0 || strcmp(s, "svm") == 0 || strcmp(s, "svmlight") == 0)
        *out = RL_TEXT_LIBSVM;
    else if (strcmp(s, "vw") == 0)
        *out = RL_TEXT_VW;
    else if (strcmp(s, "csv") == 0)
        *out = RL_TEXT_CSV;
    else if (strcmp(s, "auto") == 0)
        *out = RL_TEXT_AUTO;
    else
        return RL_ERR_INVALID_ARG;
    return RL_OK;
}

const char *rl_text_format_name(rl_text_format f)
{
    switch (f) {
    case RL_TEXT_LIBSVM:
        return "libsvm";
    case RL_TEXT_VW:
        return "vw";
    case RL_TEXT_CSV:
        return "csv";
    case RL_TEXT_AUTO:
        break;
    }
    return "auto";
}

/* ---- sources and the line buffer ---- */

static rl_err src_read(rl_reader *r, size_t *got, char *errstr, size_t n)
{
    size_t room = r->cap - r->end;
    /* Keep reads moderate so a small max_line (tests) exercises lines split across reads. */
    if (room > READ_CHUNK_MAX)
        room = READ_CHUNK_MAX;
    if (r->fd < 0) {
        size_t left = r->mem_len - r->mem_pos;
        size_t k = left < room ? left : room;
        memcpy(r->buf + r->end, r->mem + r->mem_pos, k);
        r->mem_pos += k;
        *got = k;
        return RL_OK;
    }
    for (;;) {
        ssize_t k = read(r->fd, r->buf + r->end, room);
        if (k >= 0) {
            *got = (size_t)k;
            return RL_OK;
        }
        if (errno != EINTR)
            return rl_set_err(errstr, n, RL_ERR_IO, "%s: read: %s", r->name, strerror(errno));
    }
}

/* Reads more bytes after compacting; sets eof when the source is exhausted. */
static rl_err fill(rl_reader *r, char *errstr, size_t n)
{
    if (r->start > 0) {
        size_t keep = r->end - r->start;
        memmove(r->buf, r->buf + r->start, keep);
        r->scan -= r->start;
        r->end = keep;
        r->start = 0;
    }
    if (r->end + 1 >= r->cap)
        return RL_OK; /* full: the caller sees an overlong line */
    size_t got = 0;
    rl_err e = src_read(r, &got, errstr, n);
    if (e != RL_OK)
        return e;
    if (got == 0)
        r->eof = 1;
    r->end += got;
    r->st.bytes += got;
    return RL_OK;
}

/* Counts a line found at s (l bytes before its newline), drops a trailing CR and, on the first
 * line, a UTF-8 byte-order mark (spreadsheets write one before CSV headers), checks the length
 * and terminates it in place (the buffer always has a byte to spare after a line). */
static rl_err finish_line(rl_reader *r, char *s, size_t l, char **line, size_t *len, char *errstr,
                          size_t n)
{
    r->lineno++;
    r->st.lines++;
    if (l > 0 && s[l - 1] == '\r')
        l--;
    if (r->lineno == 1 && l >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
        l -= 3;
    }
    if (l > r->opts.max_line) {
        r->st.bad++;
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "%s:%llu: line longer than %zu bytes", r->name,
                          (unsigned long long)r->lineno, r->opts.max_line);
    }
    s[l] = '\0';
    *line = s;
    *len = l;
    return RL_OK;
}

/* The next line: RL_OK and *line (NUL-terminated, newline and one trailing CR removed), or
 * *line == NULL at the end. An overlong line is skipped and reported as RL_ERR_FORMAT with the
 * full "file:line: reason" message. */
rl_err rl_reader_raw_line(rl_reader *r, char **line, size_t *len, char *errstr, size_t n)
{
    *line = NULL;
    for (;;) {
        char *nl = NULL;
        if (r->scan < r->end)
            nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
        if (nl) {
            size_t at = (size_t)(nl - r->buf);
            if (r->skipping) {
                r->skipping = 0;
                r->start = r->scan = at + 1;
                r->st.bad++;
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "%s:%llu: line longer than %zu bytes",
                                  r->name, (unsigned long long)r->lineno, r->opts.max_line);
            }
            char *s = r->buf + r->start;
            size_t l = at - r->start;
            r->start = r->scan = at + 1;
            return finish_line(r, s, l, line, len, errstr, n);
        }
        r->scan = r->end;
        if (r->eof) {
            if (r->skipping) {
                r->skipping = 0;
                r->start = r->scan = r->end;
                r->st.bad++;
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "%s:%llu: line longer than %zu bytes",
                                  r->name, (unsigned long long)r->lineno, r->opts.max_line);
            }
            if (r->start == r->end)
                return RL_OK;
            /* The last line lacks its newline: terminate it in place (cap leaves room). */
            char *s = r->buf + r->start;
            size_t l = r->end - r->start;
            r->start = r->scan = r->end;
            return finish_line(r, s, l, line, len, errstr, n);
        }
        if (r->end - r->start > r->opts.max_line + 1) {
            /* No newline within max_line (+ CR) bytes: drop what we have and skip to the
             * next newline, keeping memory bounded whatever the line's length. */
            if (!r->skipping) {
                r->lineno++;
                r->st.lines++;
            }
            r->skipping = 1;
            r->start = r->scan = r->end = 0;
        }
        rl_err e = fill(r, errstr, n);
        if (e != RL_OK)
            return e;
    }
}

/* ---- detection ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int looks_libsvm(const char *p, const char *end)
{
    const char *t = p;
    while (t < end && !rl_is_blank(*t))
        t++;
    double d;
    if (rl_parse_f64(p, (size_t)(t - p), &d))
        return 0;
    for (;;) {
        while (t < end && rl_is_blank(*t))
            t++;
        if (t >= end || *t == '#')
            return 1;
        const char *s = t;
        while (t < end && !rl_is_blank(*t))
            t++;
        const char *c = memchr(s, ':', (size_t)(t - s));
        uint64_t u;
        if (!c)
            return 0;
        if (c - s == 3 && memcmp(s, "qid", 3) == 0)
            continue;
        if (rl_parse_u64(s, (size_t)(c - s), &u) || rl_parse_f64(c + 1, (size_t)(t - c - 1), &d))
            return 0;
    }
}

static rl_err detect(rl_reader *r, char *errstr, size_t n)
{
    if (ends_with(r->name, ".libsvm") || ends_with(r->name, ".svm") ||
        ends_with(r->name, ".svmlight")) {
        r->fmt = RL_TEXT_LIBSVM;
        return RL_OK;
    }
    if (ends_with(r->name, ".vw")) {
        r->fmt = RL_TEXT_VW;
        return RL_OK;
    }
    if (ends_with(r->name, ".csv")) {
        r->fmt = RL_TEXT_CSV;
        return RL_OK;
    }
    /* Look at the first content line without consuming anything: read until one is whole (or
     * the buffer is full, or the input ends). */
    size_t pos = r->start;
    while (r->end - pos < 3 && !r->eof && r->end + 1 < r->cap) {
        rl_err e = fill(r, errstr, n);
        if (e != RL_OK)
            return e;
    }
    if (r->end - pos >= 3 && memcmp(r->buf + pos, "\xef\xbb\xbf", 3) == 0)
        pos += 3;
    for (;;) {
        char *nl = memchr(r->buf + pos, '\n', r->end - pos);
        const char *lend = nl ? nl : r->buf + r->end;
        if (!nl && !r->eof && r->end + 1 < r->cap) {
            rl_err e = fill(r, errstr, n);
            if (e != RL_OK)
                return e;
            /* start is 0 before anything is consumed, so fill() moves nothing and pos
             * stays valid. */
            continue;
        }
        const char *p = r->buf + pos;
        while (p < lend && rl_is_blank(*p))
            p++;
        const char *q = lend;
        if (q > p && q[-1] == '\r')
            q--;
        if (p < q && *p != '#') {
            if (memchr(p, '|', (size_t)(q - p)))
                r->fmt = RL_TEXT_VW;
            else if (looks_libsvm(p, q))
                r->fmt = RL_TEXT_LIBSVM;
            else if (memchr(p, r->opts.delimiter, (size_t)(q - p)))
                r->fmt = RL_TEXT_CSV;
            else
                return rl_set_err(errstr, n, RL_ERR_FORMAT,
                                  "%s: cannot tell the format from the first line; give "
                                  "--format libsvm|vw|csv",
                                  r->name);
            return RL_OK;
        }
        if (!nl) {
            if (r->eof)
                break;
            return rl_set_err(errstr, n, RL_ERR_FORMAT,
                              "%s: cannot tell the format (first line longer than %zu bytes); "
                              "give --format libsvm|vw|csv",
                              r->name, r->opts.max_line);
        }
        pos = (size_t)(nl - r->buf) + 1;
    }
    /* Empty input: any format reads it as zero records. */
    r->fmt = RL_TEXT_LIBSVM;
    return RL_OK;
}

/* ---- open / next / destroy ---- */

static rl_err reader_init(rl_reader *r, const rl_reader_opts *opts, char *errstr, size_t n)
{
    if (opts)
        r->opts = *opts;
    else
        rl_reader_opts_default(&r->opts);
    const rl_reader_opts *o = &r->opts;
    if (o->max_line < RL_READER_MAX_LINE_MIN || o->max_line > RL_READER_MAX_LINE_MAX)
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                          "max line length %zu out of range [%u, %u]", o->max_line,
                          RL_READER_MAX_LINE_MIN, RL_READER_MAX_LINE_MAX);
    if (o->max_features == 0)
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG, "max features must be at least 1");
    if (o->format != RL_TEXT_AUTO && o->format != RL_TEXT_LIBSVM && o->format != RL_TEXT_VW &&
        o->format != RL_TEXT_CSV)
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG, "unknown format %d", (int)o->format);
    char d = o->delimiter;
    if (d == '\0' || d == '\n' || d == '\r' || d == '"' || d == '.' || d == '+' || d == '-' ||
        (d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                          "delimiter '%c' cannot separate numbers; use ',', ';', tab, '|' ...",
                          d ? d : '0');
    if (o->label_col) {
        r->label_col = strdup(o->label_col);
        if (!r->label_col)
            return rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory");
        r->opts.label_col = r->label_col;
    }
    /* Room for a whole max_line line, its CR and newline, and a chunk to read into. */
    size_t chunk = o->max_line < READ_CHUNK_MAX ? o->max_line : READ_CHUNK_MAX;
    r->cap = o->max_line + 3 + chunk;
    r->buf = malloc(r->cap);
    if (!r->buf)
        return rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for a %zu-byte line buffer",
                          r->cap);
    r->n_cols = -1;
    r->label_idx = -1;
    return RL_OK;
}

static rl_err reader_start(rl_reader *r, char *errstr, size_t n)
{
    r->fmt = r->opts.format;
    if (r->fmt == RL_TEXT_AUTO) {
        rl_err e = detect(r, errstr, n);
        if (e != RL_OK)
            return e;
    }
    if (r->fmt == RL_TEXT_CSV)
        return rl_csv_open(r, errstr, n);
    return RL_OK;
}

/* The end of both opens: r is handed out when e is RL_OK, destroyed otherwise. */
static rl_err reader_finish(rl_reader *r, rl_err e, rl_reader **out)
{
    if (e != RL_OK) {
        rl_reader_destroy(r);
        return e;
    }
    *out = r;
    return RL_OK;
}

/* The start of both opens: a reader named name with opts checked and its buffers made, not yet
 * reading (fd -1); NULL and the error when that fails. */
static rl_err reader_new(const char *name, const rl_reader_opts *opts, rl_reader **rp, char *errstr,
                         size_t errstr_size)
{
    *rp = NULL;
    rl_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    r->fd = -1;
    r->name = strdup(name);
    rl_err e = r->name ? reader_init(r, opts, errstr, errstr_size)
                       : rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    if (e != RL_OK) {
        rl_reader_destroy(r);
        return e;
    }
    *rp = r;
    return RL_OK;
}

rl_err rl_reader_open(const char *path, const rl_reader_opts *opts, rl_reader **out, char *errstr,
                      size_t errstr_size)
{
    *out = NULL;
    if (!path || !*path)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "no input path");
    int is_stdin = strcmp(path, "-") == 0;
    rl_reader *r;
    rl_err e = reader_new(is_stdin ? "<stdin>" : path, opts, &r, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (is_stdin) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0)
            return reader_finish(
                r, rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: %s", path, strerror(errno)),
                out);
        r->close_fd = 1;
    }
    return reader_finish(r, reader_start(r, errstr, errstr_size), out);
}

rl_err rl_reader_open_mem(const char *name, const void *data, size_t len,
                          const rl_reader_opts *opts, rl_reader **out, char *errstr,
                          size_t errstr_size)
{
    *out = NULL;
    rl_reader *r;
    rl_err e = reader_new(name ? name : "<memory>", opts, &r, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    r->mem = data;
    r->mem_len = len;
    return reader_finish(r, reader_start(r, errstr, errstr_size), out);
}

void rl_reader_destroy(rl_reader *r)
{
    if (!r)
        return;
    if (r->close_fd && r->fd >= 0)
        close(r->fd);
    rl_csv_free(r);
    free(r->feats);
    free(r->buf);
    free(r->label_col);
    free(r->name);
    free(r);
}

rl_text_feature *rl_reader_push_feat_grow(rl_reader *r, rl_err *err, char *errstr, size_t n)
{
    if (r->rec.n_feats == r->feats_cap) {
        if (r->feats_cap >= r->opts.max_features) {
            *err =
                rl_set_err(errstr, n, RL_ERR_FORMAT, "more than %u features", r->opts.max_features);
            return NULL;
        }
        uint32_t nc = r->feats_cap ? r->feats_cap * 2 : 64;
        if (nc > r->opts.max_features || nc < r->feats_cap)
            nc = r->opts.max_features;
        rl_text_feature *nf = realloc(r->feats, (size_t)nc * sizeof(*nf));
        if (!nf) {
            *err = rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for %u features", nc);
            return NULL;
        }
        r->feats = nf;
        r->feats_cap = nc;
        r->rec.feats = nf;
    }
    return &r->feats[r->rec.n_feats++];
}

/* Parses one line (NUL-terminated at line[len], not blank) into r->rec. RL_ERR_FORMAT counts
 * it bad; every error is prefixed "name:line: ". */
static rl_err parse_one(rl_reader *r, char *line, size_t len, char *errstr, size_t errstr_size)
{
    rl_err e;
    memset(&r->rec, 0, sizeof(r->rec));
    r->rec.feats = r->feats;
    r->rec.weight = 1.0f;
    r->rec.line = r->lineno;
    char why[256];
    why[0] = '\0';
    switch (r->fmt) {
    case RL_TEXT_VW:
        e = rl_vw_parse_line(r, line, len, why, sizeof(why));
        break;
    case RL_TEXT_CSV:
        e = rl_csv_parse_line(r, line, len, why, sizeof(why));
        break;
    default:
        e = rl_libsvm_parse_line(r, line, len, why, sizeof(why));
        break;
    }
    if (e == RL_ERR_FORMAT)
        r->st.bad++;
    if (e != RL_OK)
        return rl_set_err(errstr, errstr_size, e, "%s:%llu: %s", r->name,
                          (unsigned long long)r->lineno, why);
    r->st.records++;
    return RL_OK;
}

/* Blanks only, or a comment: no event. A NUL byte does not end the line (binary junk is bad). */
static int no_event(const char *line, size_t len)
{
    const char *p = line;
    while (rl_is_blank(*p))
        p++;
    return (*p == '\0' && p == line + len) || *p == '#';
}

rl_err rl_reader_next(rl_reader *r, const rl_record **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    for (;;) {
        char *line;
        size_t len;
        rl_err e = rl_reader_raw_line(r, &line, &len, errstr, errstr_size);
        if (e != RL_OK)
            return e;
        if (!line) {
            r->ended = 1;
            return RL_OK;
        }
        if (no_event(line, len)) {
            r->st.skipped++;
            continue;
        }
        e = parse_one(r, line, len, errstr, errstr_size);
        if (e == RL_OK)
            *out = &r->rec;
        return e;
    }
}

rl_err rl_reader_open_lines(const char *name, const rl_reader_opts *opts, const char *header,
                            rl_reader **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    if (!opts || opts->format == RL_TEXT_AUTO)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: line mode needs a format (libsvm, vw or csv), not auto",
                          name ? name : "<lines>");
    const char *h = opts->format == RL_TEXT_CSV && opts->header ? (header ? header : "") : "";
    if (opts->format == RL_TEXT_CSV && opts->header && !h[0])
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: CSV lines need their header (the column names) declared",
                          name ? name : "<lines>");
    /* The header is read as a one-line input (copied by the CSV reader); then there is none. */
    rl_err e = rl_reader_open_mem(name, h, strlen(h), opts, out, errstr, errstr_size);
    if (e == RL_OK) {
        (*out)->mem = NULL;
        (*out)->mem_len = (*out)->mem_pos = 0;
    }
    return e;
}

rl_err rl_reader_parse_line(rl_reader *r, const void *msg, size_t len, const rl_record **out,
                            char *errstr, size_t errstr_size)
{
    *out = NULL;
    r->lineno++;
    r->st.lines++;
    r->st.bytes += len;
    const char *m = msg ? (const char *)msg : "";
    if (len && m[len - 1] == '\n')
        len--;
    if (len && m[len - 1] == '\r')
        len--;
    const char *why = len > r->opts.max_line ? "longer than the longest line accepted"
                      : memchr(m, '\n', len) ? "more than one line"
                                             : NULL;
    if (!why) {
        memcpy(r->buf, m, len);
        r->buf[len] = '\0';
        why = no_event(r->buf, len) ? "empty, blank or a comment: no event" : NULL;
    }
    if (why) {
        r->st.bad++;
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%s:%llu: message %s", r->name,
                          (unsigned long long)r->lineno, why);
    }
    rl_err e = parse_one(r, r->buf, len, errstr, errstr_size);
    if (e == RL_OK)
        *out = &r->rec;
    return e;
}

rl_text_format rl_reader_format(const rl_reader *r)
{
    return r->fmt;
}

const char *rl_reader_name(const rl_reader *r)
{
    return r->name;
}

void rl_reader_get_stats(const rl_reader *r, rl_reader_stats *out)
{
    *out = r->st;
}

int rl_reader_label_column(const rl_reader *r, const char **name)
{
    if (name)
        *name = NULL;
    if (r->fmt != RL_TEXT_CSV)
        return -1;
    if (name && r->cols && r->label_idx >= 0)
        *name = r->cols[r->label_idx].p;
    return (int)r->label_idx;
}
