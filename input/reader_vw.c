/* reader_vw.c - one Vowpal Wabbit text line:
 *   label [weight] ['tag | tag]|ns[:scale] name[:value] ... |ns2 ...
 * Only simple labels (one number) are read; VW's multi-part labels (cost-sensitive, contextual
 * bandit) are refused as bad numbers rather than misread. */
#include <string.h>

#include "input/reader_int.h"

static rl_err label_section(rl_reader *r, const char *p, const char *bar, char *errstr, size_t n)
{
    char q[200];
    int nums = 0;
    const char *t = p;
    for (;;) {
        while (t < bar && rl_is_blank(*t))
            t++;
        if (t >= bar)
            break;
        const char *s = t;
        while (t < bar && !rl_is_blank(*t))
            t++;
        size_t tl = (size_t)(t - s);
        if (*s == '\'') {
            r->rec.tag = s + 1;
            r->rec.tag_len = tl - 1;
            continue;
        }
        float v;
        const char *why = rl_parse_f32(s, tl, &v);
        if (why) {
            if (t == bar && !r->rec.tag) {
                /* A token glued to the bar is VW's other way of writing a tag. */
                r->rec.tag = s;
                r->rec.tag_len = tl;
                continue;
            }
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad %s '%s': %s",
                              nums == 0 ? "label" : "importance weight",
                              rl_quote(q, sizeof(q), s, tl), why);
        }
        if (nums == 0) {
            r->rec.label = v;
        } else if (nums == 1) {
            if (v < 0)
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "importance weight '%s' is negative",
                                  rl_quote(q, sizeof(q), s, tl));
            r->rec.weight = v;
            r->rec.has_weight = 1;
        } else {
            return rl_set_err(errstr, n, RL_ERR_FORMAT,
                              "unsupported third number '%s' before '|' (VW initial "
                              "prediction is not read)",
                              rl_quote(q, sizeof(q), s, tl));
        }
        nums++;
    }
    if (nums == 0)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "missing label before '|'");
    return RL_OK;
}

rl_err rl_vw_parse_line(rl_reader *r, char *line, size_t len, char *errstr, size_t n)
{
    char q[200];
    const char *end = line + len;
    const char *bar = memchr(line, '|', len);
    if (!bar)
        return rl_set_err(errstr, n, RL_ERR_FORMAT, "no '|' (VW features follow a namespace bar)");
    rl_err e = label_section(r, line, bar, errstr, n);
    if (e != RL_OK)
        return e;
    const char *t = bar;
    while (t < end) {
        /* t is at a '|': the namespace name runs to the first blank. */
        const char *s = ++t;
        while (t < end && !rl_is_blank(*t) && *t != '|')
            t++;
        const char *ns = s;
        size_t ns_len = (size_t)(t - s);
        float scale = 1.0f;
        const char *c = memchr(s, ':', ns_len);
        if (c) {
            const char *why = rl_parse_f32(c + 1, (size_t)(t - c - 1), &scale);
            if (why)
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad namespace scale in '%s': %s",
                                  rl_quote(q, sizeof(q), s, ns_len), why);
            ns_len = (size_t)(c - s);
            if (ns_len == 0)
                ns = NULL;
        }
        if (ns_len == 0)
            ns = NULL;
        if (ns_len > UINT32_MAX)
            return rl_set_err(errstr, n, RL_ERR_FORMAT, "namespace name too long");
        for (;;) {
            while (t < end && rl_is_blank(*t))
                t++;
            if (t >= end || *t == '|')
                break;
            const char *f = t;
            while (t < end && !rl_is_blank(*t) && *t != '|')
                t++;
            size_t fl = (size_t)(t - f);
            const char *fc = memchr(f, ':', fl);
            size_t name_len = fc ? (size_t)(fc - f) : fl;
            float v = 1.0f;
            if (fc) {
                if (memchr(fc + 1, ':', (size_t)(t - fc - 1)))
                    return rl_set_err(errstr, n, RL_ERR_FORMAT,
                                      "feature '%s' has more than one ':'",
                                      rl_quote(q, sizeof(q), f, fl));
                if (fc + 1 == t)
                    return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has no value",
                                      rl_quote(q, sizeof(q), f, fl));
                const char *why = rl_parse_f32(fc + 1, (size_t)(t - fc - 1), &v);
                if (why)
                    return rl_set_err(errstr, n, RL_ERR_FORMAT, "bad value in '%s': %s",
                                      rl_quote(q, sizeof(q), f, fl), why);
            }
            if (name_len == 0)
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "feature '%s' has no name",
                                  rl_quote(q, sizeof(q), f, fl));
            float sv = v * scale;
            if (sv - sv != 0.0f)
                return rl_set_err(errstr, n, RL_ERR_FORMAT,
                                  "value of '%s' times namespace scale is not finite",
                                  rl_quote(q, sizeof(q), f, fl));
            const char *big = rl_check_feature_value(sv);
            if (big)
                return rl_set_err(errstr, n, RL_ERR_FORMAT, "value of '%s'%s: %s",
                                  rl_quote(q, sizeof(q), f, fl),
                                  scale != 1.0f ? " times namespace scale" : "", big);
            rl_text_feature *ft = rl_reader_push_feat(r, &e, errstr, n);
            if (!ft)
                return e;
            ft->ns = ns;
            ft->ns_len = (uint32_t)ns_len;
            ft->ns_sep = ns ? '^' : 0;
            ft->name = f;
            ft->name_len = (uint32_t)name_len;
            ft->index = 0;
            ft->value = sv;
        }
    }
    return RL_OK;
}
