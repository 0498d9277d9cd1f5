/* reader_csv.c - CSV lines: RFC 4180 fields on one line, a header naming the columns (or
 * none), one column holding the label; every other field a number, a category or missing, as
 * its column's kind says (reader_csv_cols.c). */
#include <stdlib.h>
#include <string.h>

#include "input/reader_int.h"

static int grow_fields(rl_reader *r)
{
    uint32_t nc = r->fields_cap ? r->fields_cap * 2 : 64;
    rl_csv_field *nf = realloc(r->fields, (size_t)nc * sizeof(*nf));
    if (!nf)
        return -1;
    r->fields = nf;
    r->fields_cap = nc;
    return 0;
}

int64_t rl_csv_split(rl_reader *r, char *line, size_t len, char *errstr, size_t n)
{
    const char d = r->opts.delimiter;
    const int trim = !rl_is_blank(d);
    char *p = line, *end = line + len;
    uint32_t k = 0;
    for (;;) {
        if (k == r->fields_cap && grow_fields(r) != 0) {
            rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for %u fields", k);
            return -2;
        }
        if (trim)
            while (p < end && rl_is_blank(*p))
                p++;
        char *s = p;
        size_t fl;
        if (p < end && *p == '"') {
            /* Quoted: unescape "" in place; the write pointer never passes the read one. */
            char *w = s;
            p++;
            for (;;) {
                if (p >= end) {
                    rl_set_err(errstr, n, RL_ERR_FORMAT, "unterminated quote in field %u", k + 1);
                    return -1;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            fl = (size_t)(w - s);
            if (trim)
                while (p < end && rl_is_blank(*p))
                    p++;
            if (p < end && *p != d) {
                rl_set_err(errstr, n, RL_ERR_FORMAT, "text after the closing quote of field %u",
                           k + 1);
                return -1;
            }
        } else {
            while (p < end && *p != d) {
                if (*p == '"') {
                    rl_set_err(errstr, n, RL_ERR_FORMAT, "stray quote inside field %u", k + 1);
                    return -1;
                }
                p++;
            }
            fl = (size_t)(p - s);
            if (trim)
                while (fl > 0 && rl_is_blank(s[fl - 1]))
                    fl--;
        }
        r->fields[k].p = s;
        r->fields[k].len = (uint32_t)fl;
        k++;
        if (p >= end)
            break;
        p++; /* the delimiter; a trailing one leaves an empty last field */
        if (k == UINT32_MAX) {
            rl_set_err(errstr, n, RL_ERR_FORMAT, "too many fields");
            return -1;
        }
    }
    return k;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static rl_err csv_open_header(rl_reader *r, char *errstr, size_t n);

rl_err rl_csv_open(rl_reader *r, char *errstr, size_t n)
{
    rl_err e = rl_csv_lists_init(r, errstr, n);
    if (e != RL_OK)
        return e;
    e = csv_open_header(r, errstr, n);
    /* Without a header the columns are counted on the first line. */
    if (e == RL_OK && r->cols)
        e = rl_csv_cols_resolve(r, r->n_cols, errstr, n);
    return e;
}

static rl_err csv_open_header(rl_reader *r, char *errstr, size_t n)
{
    char q[200];
    const char *spec = r->opts.label_col;
    if (!r->opts.header) {
        if (spec && !all_digits(spec))
            return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                              "%s: label column '%s' is a name but the CSV has no header; give "
                              "a 0-based column number",
                              r->name, spec);
        uint64_t idx = 0;
        if (spec && (rl_parse_u64(spec, strlen(spec), &idx) || idx >= UINT32_MAX))
            return rl_set_err(errstr, n, RL_ERR_INVALID_ARG, "%s: label column '%s' too large",
                              r->name, spec);
        r->label_idx = (int64_t)idx;
        return RL_OK;
    }
    char *line = NULL;
    size_t len = 0;
    for (;;) {
        rl_err e = rl_reader_raw_line(r, &line, &len, errstr, n);
        if (e != RL_OK)
            return e;
        if (!line)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "%s: no header line (empty input)",
                              r->name);
        const char *p = line;
        while (rl_is_blank(*p))
            p++;
        if (*p != '\0' && *p != '#')
            break;
        r->st.skipped++;
    }
    r->header_copy = malloc(len + 1);
    if (!r->header_copy)
        return rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for the CSV header");
    memcpy(r->header_copy, line, len + 1);
    char why[200];
    int64_t k = rl_csv_split(r, r->header_copy, len, why, sizeof(why));
    if (k < 0)
        return rl_set_err(errstr, n, k == -2 ? RL_ERR_NOMEM : RL_ERR_FORMAT, "%s:%llu: header: %s",
                          r->name, (unsigned long long)r->lineno, why);
    r->cols = calloc((size_t)k, sizeof(*r->cols));
    if (!r->cols)
        return rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for the CSV header");
    for (int64_t i = 0; i < k; i++) {
        r->cols[i] = r->fields[i];
        /* Names are terminated for printing; unquoting only ever shortens, and the byte after
         * a name is its delimiter, closing quote or the line's end. */
        ((char *)r->cols[i].p)[r->cols[i].len] = '\0';
    }
    r->n_cols = k;
    for (int64_t i = 0; i < k; i++) {
        if (r->cols[i].len == 0)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "%s:%llu: header: column %lld has no name",
                              r->name, (unsigned long long)r->lineno, (long long)i);
        for (int64_t j = 0; j < i; j++)
            if (r->cols[j].len == r->cols[i].len &&
                memcmp(r->cols[j].p, r->cols[i].p, r->cols[i].len) == 0)
                return rl_set_err(errstr, n, RL_ERR_FORMAT,
                                  "%s:%llu: header: column name '%s' appears twice", r->name,
                                  (unsigned long long)r->lineno,
                                  rl_quote(q, sizeof(q), r->cols[i].p, r->cols[i].len));
    }
    const char *want = spec ? spec : "label";
    for (int64_t i = 0; i < k; i++)
        if (strcmp(r->cols[i].p, want) == 0 && strlen(want) == r->cols[i].len)
            r->label_idx = i;
    if (r->label_idx >= 0)
        return RL_OK;
    if (!spec) {
        r->label_idx = 0;
        return RL_OK;
    }
    uint64_t idx;
    if (!all_digits(spec) || rl_parse_u64(spec, strlen(spec), &idx))
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG, "%s: no column named '%s' in the header",
                          r->name, spec);
    if (idx >= (uint64_t)k)
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                          "%s: label column %llu is past the header's %lld columns", r->name,
                          (unsigned long long)idx, (long long)k);
    r->label_idx = (int64_t)idx;
    return RL_OK;
}

void rl_csv_free(rl_reader *r)
{
    rl_csv_cols_free(r);
    free(r->header_copy);
    free(r->cols);
    free(r->fields);
    r->header_copy = NULL;
    r->cols = NULL;
    r->fields = NULL;
}

/* Appends a feature of column i: a number (name NULL: categorical name is the value). */
static rl_err push(rl_reader *r, int64_t i, const char *cat, uint32_t cat_len, float v,
                   char *errstr, size_t n)
{
    rl_err e = RL_OK;
    rl_text_feature *ft = rl_reader_push_feat(r, &e, errstr, n);
    if (!ft)
        return e;
    ft->ns = r->col_ns[i].p;
    ft->ns_len = r->col_ns[i].len;
    ft->index = 0;
    ft->value = v;
    if (cat) {
        ft->ns_sep = '=';
        ft->name = cat;
        ft->name_len = cat_len;
    } else if (r->cols) {
        ft->ns_sep = 0; /* hashed as the column name alone */
        ft->name = r->cols[i].p;
        ft->name_len = r->cols[i].len;
    } else {
        ft->ns_sep = 0;
        ft->name = NULL;
        ft->name_len = 0;
        ft->index = (uint64_t)i;
    }
    return RL_OK;
}

/* A reason from rl_parse_f32 that means "this is text", not "a number we cannot take". */
static int is_text(const char *why)
{
    return strncmp(why, "not a number", 12) == 0 || strstr(why, "is not allowed") != NULL;
}

static const char missing_name[] = "<missing>";

rl_err rl_csv_parse_line(rl_reader *r, char *line, size_t len, char *errstr, size_t n)
{
    char q[200];
    int64_t k = rl_csv_split(r, line, len, errstr, n);
    if (k == -2)
        return RL_ERR_NOMEM;
    if (k < 0)
        return RL_ERR_FORMAT;
    if (r->n_cols < 0) {
        if (r->label_idx >= k)
            return rl_set_err(errstr, n, RL_ERR_FORMAT,
                              "label column %lld is past this line's %lld fields",
                              (long long)r->label_idx, (long long)k);
        rl_err e = rl_csv_cols_resolve(r, k, errstr, n);
        if (e != RL_OK)
            return e;
        r->n_cols = k;
    }
    if (k != r->n_cols)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "%lld fields, expected %lld", (long long)k,
                          (long long)r->n_cols);
    const rl_csv_field *lf = &r->fields[r->label_idx];
    if (rl_csv_is_missing(r, lf->p, lf->len))
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "missing label (column %lld is '%s')",
                          (long long)r->label_idx, rl_quote(q, sizeof(q), lf->p, lf->len));
    char lwhy[200];
    const char *why = rl_csv_parse_label(r, lf->p, lf->len, &r->rec.label, lwhy, sizeof(lwhy));
    if (why)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad label '%s': %s",
                          rl_quote(q, sizeof(q), lf->p, lf->len), why);
    const rl_csv_missing mode = r->opts.missing;
    for (int64_t i = 0; i < k; i++) {
        const rl_csv_field *f = &r->fields[i];
        const uint8_t kind = r->col_kind[i];
        rl_err e = RL_OK;
        if (i == r->label_idx || kind == RL_COL_IGNORE)
            continue;
        if (rl_csv_is_missing(r, f->p, f->len)) {
            if (mode == RL_CSV_MISSING_MEAN && kind != RL_COL_CAT && r->col_cnt[i] > 0)
                e = push(r, i, NULL, 0, (float)(r->col_sum[i] / (double)r->col_cnt[i]), errstr, n);
            else if (mode == RL_CSV_MISSING_INDICATOR)
                e = push(r, i, missing_name, sizeof(missing_name) - 1, 1.0f, errstr, n);
            if (e != RL_OK)
                return e;
            continue;
        }
        float v = 0;
        why = kind == RL_COL_CAT ? "" : rl_parse_f32(f->p, f->len, &v);
        if (!why)
            why = rl_check_feature_value(v);
        if (why && kind == RL_COL_CAT) {
            e = push(r, i, f->p, f->len, 1.0f, errstr, n);
        } else if (why && kind == RL_COL_AUTO && is_text(why)) {
            e = push(r, i, f->p, f->len, 1.0f, errstr, n);
        } else if (why) {
            char qn[200];
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "column %lld%s%s%s: bad number '%s': %s",
                              (long long)i, r->cols ? " (" : "",
                              r->cols ? rl_quote(qn, sizeof(qn), r->cols[i].p, r->cols[i].len) : "",
                              r->cols ? ")" : "", rl_quote(q, sizeof(q), f->p, f->len), why);
        } else {
            r->col_sum[i] += v;
            r->col_cnt[i]++;
            e = push(r, i, NULL, 0, v, errstr, n);
        }
        if (e != RL_OK)
            return e;
    }
    return RL_OK;
}
