/* reader_libsvm.c - one libsvm/svmlight line: `label [qid:N] index:value ... [# comment]`. */
#include <string.h>

#include "input/reader_int.h"

static void set_indexed(rl_text_feature *f, uint64_t idx, float v)
{
    f->ns = NULL;
    f->ns_len = 0;
    f->ns_sep = 0;
    f->name = NULL;
    f->name_len = 0;
    f->index = idx;
    f->value = v;
}

/* The usual token, "INDEX:VALUE" with up to 18 digits in each, the value an optional '-' and
 * digits with at most one '.', then a blank or the end: read in one pass, to the same index
 * and float the general code below computes (rl_parse_u64; rl_parse_f32's exact fast path,
 * m / 10^k). 1 and *t past the token when it was one and its feature is stored; 0 and *t
 * unchanged otherwise (anything else, errors included, takes the general code). */
static int plain_feature(rl_reader *r, const char **t, const char *end)
{
    const char *p = *t;
    uint64_t idx = 0, m = 0;
    int nd = 0, frac = 0, neg = 0, dot = 0;
    while (p < end && *p >= '0' && *p <= '9' && nd < 18) {
        idx = idx * 10 + (uint64_t)(*p++ - '0');
        nd++;
    }
    if (nd == 0 || p >= end || *p != ':' || idx > r->opts.max_index)
        return 0;
    p++;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    nd = 0;
    for (; p < end && nd <= 18; p++) {
        if (*p >= '0' && *p <= '9') {
            m = m * 10 + (uint64_t)(*p - '0');
            nd++;
            frac += dot;
        } else if (*p == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    if (nd == 0 || nd > 18 || (p < end && !rl_is_blank(*p)) || m > (UINT64_C(1) << 53) ||
        r->rec.n_feats == r->feats_cap)
        return 0;
    double d = (double)m / rl_pow10_exact[frac];
    float v = (float)(neg ? -d : d);
    if (rl_check_feature_value(v))
        return 0;
    set_indexed(&r->feats[r->rec.n_feats++], idx, v);
    *t = p;
    return 1;
}

rl_err rl_libsvm_parse_line(rl_reader *r, char *line, size_t len, char *errstr, size_t n)
{
    char q[200];
    const char *p = line, *end = line + len;
    while (p < end && rl_is_blank(*p))
        p++;
    const char *t = p;
    while (t < end && !rl_is_blank(*t))
        t++;
    if (memchr(p, ':', (size_t)(t - p)))
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "missing label (first token '%s' is a feature)",
                          rl_quote(q, sizeof(q), p, (size_t)(t - p)));
    const char *why = rl_parse_f32(p, (size_t)(t - p), &r->rec.label);
    if (why)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad label '%s': %s",
                          rl_quote(q, sizeof(q), p, (size_t)(t - p)), why);
    for (;;) {
        while (t < end && rl_is_blank(*t))
            t++;
        if (t >= end || *t == '#')
            break;
        if (plain_feature(r, &t, end))
            continue;
        const char *s = t, *c = NULL;
        int colons = 0;
        /* one pass: the token's end and its colons */
        while (t < end && !rl_is_blank(*t)) {
            if (*t == ':' && colons++ == 0)
                c = t;
            t++;
        }
        size_t tl = (size_t)(t - s);
        if (!c)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has no ':value'",
                              rl_quote(q, sizeof(q), s, tl));
        if (colons > 1)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has more than one ':'",
                              rl_quote(q, sizeof(q), s, tl));
        if (c == s)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has no index",
                              rl_quote(q, sizeof(q), s, tl));
        if (c + 1 == t)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has no value",
                              rl_quote(q, sizeof(q), s, tl));
        if (c - s == 3 && memcmp(s, "qid", 3) == 0) {
            uint64_t qid;
            why = rl_parse_u64(c + 1, (size_t)(t - c - 1), &qid);
            if (why)
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad qid '%s': %s",
                                  rl_quote(q, sizeof(q), s, tl), why);
            continue;
        }
        uint64_t idx;
        why = rl_parse_u64(s, (size_t)(c - s), &idx);
        if (why)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad index in '%s': %s",
                              rl_quote(q, sizeof(q), s, tl), why);
        if (idx > r->opts.max_index)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "index %llu exceeds the maximum %llu",
                              (unsigned long long)idx, (unsigned long long)r->opts.max_index);
        float v;
        why = rl_parse_f32(c + 1, (size_t)(t - c - 1), &v);
        if (!why)
            why = rl_check_feature_value(v);
        if (why)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad value in '%s': %s",
                              rl_quote(q, sizeof(q), s, tl), why);
        rl_err e = RL_OK;
        rl_text_feature *f = rl_reader_push_feat(r, &e, errstr, n);
        if (!f)
            return e;
        set_indexed(f, idx, v);
    }
    return RL_OK;
}
