/* reader_csv_cols.c - what a CSV column is: ignored, numeric, categorical or typed value by
 * value; which tokens are missing values; string labels; and the per-column running mean that
 * RL_CSV_MISSING_MEAN puts in place of a missing number. The options arrive as comma-separated
 * strings and are copied into lists the reader owns at open, then resolved against the columns
 * once their number is known. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input/reader_int.h"

static const char default_na[] = ",NA,NaN,?,null";

rl_err rl_csv_missing_parse(const char *s, rl_csv_missing *out)
{
    if (strcmp(s, "skip") == 0)
        *out = RL_CSV_MISSING_SKIP;
    else if (strcmp(s, "mean") == 0)
        *out = RL_CSV_MISSING_MEAN;
    else if (strcmp(s, "indicator") == 0)
        *out = RL_CSV_MISSING_INDICATOR;
    else
        return RL_ERR_INVALID_ARG;
    return RL_OK;
}

/* Splits a copy of s at commas; each token trimmed of blanks. */
static int list_init(rl_csv_list *l, const char *s)
{
    memset(l, 0, sizeof(*l));
    if (!s)
        return 0;
    size_t len = strlen(s);
    uint32_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += s[i] == ',';
    l->buf = malloc(len + 1);
    l->tok = calloc(n, sizeof(*l->tok));
    if (!l->buf || !l->tok)
        return -1;
    memcpy(l->buf, s, len + 1);
    char *p = l->buf;
    for (uint32_t k = 0; k < n; k++) {
        char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        *e = '\0';
        while (rl_is_blank(*p))
            p++;
        char *q = p + strlen(p);
        while (q > p && rl_is_blank(q[-1]))
            *--q = '\0';
        l->tok[k].p = p;
        l->tok[k].len = (uint32_t)(q - p);
        p = e + 1;
    }
    l->n = n;
    return 0;
}

static void list_free(rl_csv_list *l)
{
    free(l->buf);
    free(l->tok);
    memset(l, 0, sizeof(*l));
}

rl_err rl_csv_lists_init(rl_reader *r, char *errstr, size_t n)
{
    rl_reader_opts *o = &r->opts;
    if (list_init(&r->l_ignore, o->ignore) || list_init(&r->l_cat, o->cat_cols) ||
        list_init(&r->l_num, o->num_cols) ||
        list_init(&r->l_na, o->na_values ? o->na_values : default_na) ||
        list_init(&r->l_labels, o->label_values))
        return rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for the CSV column options");
    for (uint32_t i = 0; i < r->l_labels.n; i++)
        if (r->l_labels.tok[i].len == 0)
            return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                              "%s: label values: class %u has an empty name", r->name, i);
    if (r->l_labels.n == 1)
        return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                          "%s: label values: one class name given, a task needs at least two",
                          r->name);
    /* The caller's strings need not outlive open; the lists are the reader's copies. */
    o->ignore = o->cat_cols = o->num_cols = o->na_values = o->label_values = NULL;
    return RL_OK;
}

void rl_csv_cols_free(rl_reader *r)
{
    list_free(&r->l_ignore);
    list_free(&r->l_cat);
    list_free(&r->l_num);
    list_free(&r->l_na);
    list_free(&r->l_labels);
    free(r->col_kind);
    free(r->col_ns);
    free(r->col_numbers);
    free(r->col_sum);
    free(r->col_cnt);
    r->col_kind = NULL;
    r->col_ns = NULL;
    r->col_numbers = NULL;
    r->col_sum = NULL;
    r->col_cnt = NULL;
}

/* The column a list token names: a header name, else a 0-based number; -1 when none. */
static int64_t find_col(const rl_reader *r, const rl_csv_field *t, int64_t k)
{
    for (int64_t i = 0; r->cols && i < k; i++)
        if (r->cols[i].len == t->len && memcmp(r->cols[i].p, t->p, t->len) == 0)
            return i;
    uint64_t v;
    if (t->len == 0 || rl_parse_u64(t->p, t->len, &v) || v >= (uint64_t)k)
        return -1;
    return (int64_t)v;
}

static rl_err mark(rl_reader *r, const rl_csv_list *l, const char *opt, uint8_t kind, int64_t k,
                   char *errstr, size_t n)
{
    char q[200];
    for (uint32_t i = 0; i < l->n; i++) {
        int64_t c = find_col(r, &l->tok[i], k);
        if (c < 0)
            return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                              "%s: %s: no column '%s' (a header name or a 0-based number below "
                              "%lld)",
                              r->name, opt, rl_quote(q, sizeof(q), l->tok[i].p, l->tok[i].len),
                              (long long)k);
        if (c == r->label_idx)
            return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                              "%s: %s: column '%s' is the label column", r->name, opt,
                              rl_quote(q, sizeof(q), l->tok[i].p, l->tok[i].len));
        if (r->col_kind[c] != RL_COL_AUTO && r->col_kind[c] != kind)
            return rl_set_err(errstr, n, RL_ERR_INVALID_ARG,
                              "%s: column '%s' is given two types (numeric, categorical or "
                              "ignored)",
                              r->name, rl_quote(q, sizeof(q), l->tok[i].p, l->tok[i].len));
        r->col_kind[c] = kind;
    }
    return RL_OK;
}

rl_err rl_csv_cols_resolve(rl_reader *r, int64_t k, char *errstr, size_t n)
{
    size_t kk = (size_t)k;
    /* a failed resolution (without a header: on the first line) may be tried again */
    free(r->col_kind);
    free(r->col_ns);
    free(r->col_numbers);
    free(r->col_sum);
    free(r->col_cnt);
    r->col_kind = calloc(kk ? kk : 1, 1);
    r->col_ns = calloc(kk ? kk : 1, sizeof(*r->col_ns));
    r->col_sum = calloc(kk ? kk : 1, sizeof(*r->col_sum));
    r->col_cnt = calloc(kk ? kk : 1, sizeof(*r->col_cnt));
    /* Without a header a column's namespace is its number: "0", "1", ... */
    size_t digits = 0;
    for (size_t i = 0; !r->cols && i < kk; i++)
        digits += (size_t)snprintf(NULL, 0, "%zu", i) + 1;
    r->col_numbers = r->cols ? NULL : malloc(digits ? digits : 1);
    if (!r->col_kind || !r->col_ns || !r->col_sum || !r->col_cnt || (!r->cols && !r->col_numbers))
        return rl_set_err(errstr, n, RL_ERR_NOMEM, "out of memory for %lld CSV columns",
                          (long long)k);
    char *w = r->col_numbers;
    for (size_t i = 0; i < kk; i++) {
        if (r->cols) {
            r->col_ns[i] = r->cols[i];
        } else {
            int m = snprintf(w, digits, "%zu", i);
            r->col_ns[i].p = w;
            r->col_ns[i].len = (uint32_t)m;
            w += m + 1;
            digits -= (size_t)m + 1;
        }
    }
    rl_err e = mark(r, &r->l_ignore, "--ignore", RL_COL_IGNORE, k, errstr, n);
    if (e == RL_OK)
        e = mark(r, &r->l_num, "numeric columns", RL_COL_NUM, k, errstr, n);
    if (e == RL_OK)
        e = mark(r, &r->l_cat, "categorical columns", RL_COL_CAT, k, errstr, n);
    return e;
}

int rl_csv_is_missing(const rl_reader *r, const char *p, uint32_t len)
{
    if (len == 0)
        return 1;
    for (uint32_t i = 0; i < r->l_na.n; i++)
        if (r->l_na.tok[i].len == len && strncasecmp(r->l_na.tok[i].p, p, len) == 0)
            return 1;
    return 0;
}

static int word_is(const char *p, uint32_t len, const char *w)
{
    return strlen(w) == len && strncasecmp(p, w, len) == 0;
}

const char *rl_csv_parse_label(const rl_reader *r, const char *p, uint32_t len, float *out,
                               char *why, size_t why_size)
{
    for (uint32_t i = 0; i < r->l_labels.n; i++)
        if (r->l_labels.tok[i].len == len && memcmp(r->l_labels.tok[i].p, p, len) == 0) {
            *out = (float)i;
            return NULL;
        }
    const char *num = rl_parse_f32(p, len, out);
    if (!num)
        return NULL;
    if (r->l_labels.n == 0) {
        if (word_is(p, len, "yes") || word_is(p, len, "true")) {
            *out = 1;
            return NULL;
        }
        if (word_is(p, len, "no") || word_is(p, len, "false")) {
            *out = 0;
            return NULL;
        }
        snprintf(why, why_size,
                 "%s, nor yes/no or true/false (declare string classes with --label-values)", num);
        return why;
    }
    snprintf(why, why_size, "%s, nor one of the %u declared label values", num, r->l_labels.n);
    return why;
}
