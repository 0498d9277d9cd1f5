/* reader_libsvm.c - one libsvm/svmlight line: `label [qid:N] index:value ... [# comment]`. */
#include <string.h>

#include "input/reader_int.h"

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
        const char *s = t;
        while (t < end && !rl_is_blank(*t))
            t++;
        size_t tl = (size_t)(t - s);
        const char *c = memchr(s, ':', tl);
        if (!c)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has no ':value'",
                              rl_quote(q, sizeof(q), s, tl));
        if (memchr(c + 1, ':', (size_t)(t - c - 1)))
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
        f->ns = NULL;
        f->ns_len = 0;
        f->ns_sep = 0;
        f->name = NULL;
        f->name_len = 0;
        f->index = idx;
        f->value = v;
    }
    return RL_OK;
}
