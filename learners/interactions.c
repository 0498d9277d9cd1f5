/* interactions.c - parsing interaction specs and generating an example's crossed features
 * (interactions.h). */
#include <stdio.h>
#include <string.h>

#include "learners/interactions.h"

/* Terms are separated by commas only: a blank is a namespace byte (RL_NS_NONE). */
static int is_sep(char c)
{
    return c == ',';
}

rl_err rl_interactions_add(rl_interactions *it, const char *spec, char *errstr, size_t errstr_size)
{
    rl_interactions t = *it;
    const char *p = spec ? spec : "";
    int any = 0;
    while (*p) {
        if (is_sep(*p)) {
            p++;
            continue;
        }
        const char *s = p;
        while (*p && !is_sep(*p))
            p++;
        size_t n = (size_t)(p - s);
        if (n < 2 || n > 3)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "interactions: term '%.*s' has %zu namespaces (a pair like ab or a "
                              "triple like abc: one byte per namespace)",
                              (int)(n > 8 ? 8 : n), s, n);
        for (uint32_t k = 0; k < t.n; k++)
            if (t.len[k] == n && memcmp(t.ns[k], s, n) == 0)
                return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                  "interactions: term '%.*s' given twice", (int)n, s);
        if (t.n == RL_INTERACTIONS_MAX)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "interactions: more than %d terms", RL_INTERACTIONS_MAX);
        t.len[t.n] = (uint8_t)n;
        memcpy(t.ns[t.n], s, n);
        t.n++;
        any = 1;
    }
    if (!any)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "interactions: no term given (e.g. ab for a pair, abc for a triple)");
    *it = t;
    return RL_OK;
}

size_t rl_interactions_format(const rl_interactions *it, char *out, size_t out_size)
{
    size_t used = 0;
    for (uint32_t k = 0; k < it->n; k++) {
        char term[5];
        size_t n = 0;
        if (k)
            term[n++] = ',';
        memcpy(term + n, it->ns[k], it->len[k]);
        n += it->len[k];
        if (out && used + n < out_size)
            memcpy(out + used, term, n);
        used += n;
    }
    if (out && out_size)
        out[used < out_size ? used : out_size - 1] = '\0';
    return used;
}

static inline uint8_t ns_of(const rl_example *ex, uint32_t i)
{
    return ex->ns ? ex->ns[i] : (uint8_t)RL_NS_NONE;
}

/* The product of the parts' values, kept within what the learners take: parts up to
 * RL_FEATURE_VALUE_MAX each can multiply past float's range (inf would make the event
 * unusable for every learner). */
static inline float clamp_value(float v)
{
    if (v > RL_FEATURE_VALUE_MAX)
        return RL_FEATURE_VALUE_MAX;
    if (v < -RL_FEATURE_VALUE_MAX)
        return -RL_FEATURE_VALUE_MAX;
    return v;
}

uint32_t rl_interactions_next(const rl_interactions *it, const rl_example *ex, uint32_t mask,
                              rl_ix_cursor *c, rl_feature *out, uint32_t cap)
{
    const rl_feature *f = ex->feats;
    const uint32_t n = ex->n_feats;
    uint32_t w = 0;
    while (c->t < it->n) {
        const uint8_t *ns = it->ns[c->t];
        const int three = it->len[c->t] == 3;
        for (; c->i < n; c->i++, c->j = 0, c->k = 0) {
            if (ns_of(ex, c->i) != ns[0])
                continue;
            uint32_t jmin = ns[1] == ns[0] ? c->i : 0;
            if (c->j < jmin)
                c->j = jmin;
            for (; c->j < n; c->j++, c->k = 0) {
                if (ns_of(ex, c->j) != ns[1])
                    continue;
                uint32_t s12 =
                    ((f[c->i].index & mask) * RL_INTERACTION_FNV) ^ (f[c->j].index & mask);
                float v12 = clamp_value(f[c->i].value * f[c->j].value);
                if (!three) {
                    if (w == cap)
                        return w;
                    out[w].index = s12 & mask;
                    out[w].value = v12;
                    w++;
                    continue;
                }
                uint32_t kmin = ns[2] == ns[1] ? c->j : 0;
                if (c->k < kmin)
                    c->k = kmin;
                for (; c->k < n; c->k++) {
                    if (ns_of(ex, c->k) != ns[2])
                        continue;
                    if (w == cap)
                        return w;
                    out[w].index = ((s12 * RL_INTERACTION_FNV) ^ (f[c->k].index & mask)) & mask;
                    out[w].value = clamp_value(v12 * f[c->k].value);
                    w++;
                }
            }
        }
        c->t++;
        c->i = c->j = c->k = 0;
    }
    return w;
}
