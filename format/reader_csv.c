/* reader_csv.c - CSV lines: RFC 4180 fields on one line, a header naming the columns (or
 * none), one column holding the label, every other field a number or empty. */
#include <stdlib.h>
#include <string.h>

#include "reader_int.h"

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

rl_err rl_csv_open(rl_reader *r, char *errstr, size_t n)
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
    free(r->header_copy);
    free(r->cols);
    free(r->fields);
    r->header_copy = NULL;
    r->cols = NULL;
    r->fields = NULL;
}

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
        r->n_cols = k;
    }
    if (k != r->n_cols)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "%lld fields, expected %lld", (long long)k,
                          (long long)r->n_cols);
    const rl_csv_field *lf = &r->fields[r->label_idx];
    if (lf->len == 0)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "missing label (column %lld is empty)",
                          (long long)r->label_idx);
    const char *why = rl_parse_f32(lf->p, lf->len, &r->rec.label);
    if (why)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad label '%s': %s",
                          rl_quote(q, sizeof(q), lf->p, lf->len), why);
    for (int64_t i = 0; i < k; i++) {
        const rl_csv_field *f = &r->fields[i];
        if (i == r->label_idx || f->len == 0)
            continue;
        float v;
        why = rl_parse_f32(f->p, f->len, &v);
        if (!why)
            why = rl_check_feature_value(v);
        if (why) {
            char qn[200];
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "column %lld%s%s%s: bad number '%s': %s",
                              (long long)i, r->cols ? " (" : "",
                              r->cols ? rl_quote(qn, sizeof(qn), r->cols[i].p, r->cols[i].len) : "",
                              r->cols ? ")" : "", rl_quote(q, sizeof(q), f->p, f->len), why);
        }
        rl_err e = RL_OK;
        rl_text_feature *ft = rl_reader_push_feat(r, &e, errstr, n);
        if (!ft)
            return e;
        ft->ns = NULL;
        ft->ns_len = 0;
        if (r->cols) {
            ft->name = r->cols[i].p;
            ft->name_len = r->cols[i].len;
            ft->index = 0;
        } else {
            ft->name = NULL;
            ft->name_len = 0;
            ft->index = (uint64_t)i;
        }
        ft->value = v;
    }
    return RL_OK;
}
