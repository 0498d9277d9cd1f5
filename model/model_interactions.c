/* model_interactions.c - the example a model's learners see: with interactions
 * (cfg.learner.interactions, learners/interactions.h) an event's features followed by its crossed
 * ones, built in a buffer the model owns (grown to the widest example, then reused: nothing is
 * allocated per event once it has grown). */
#include <stdlib.h>
#include <string.h>

#include "learners/interactions.h"
#include "model/model_internal.h"

/* Room for n features in m->xf: doubling, within RL_IX_FEATURES_MAX. 0 on success. */
static int x_reserve(rl_model *m, uint64_t n)
{
    if (n <= m->xcap)
        return 0;
    if (n > RL_IX_FEATURES_MAX)
        return -1;
    uint64_t c = m->xcap ? m->xcap : 256;
    while (c < n)
        c *= 2;
    if (c > RL_IX_FEATURES_MAX)
        c = RL_IX_FEATURES_MAX;
    rl_feature *f = realloc(m->xf, c * sizeof(*f));
    if (!f)
        return -1;
    m->xf = f;
    m->xcap = (uint32_t)c;
    return 0;
}

/* The example the learners see: ex itself, or with interactions its features followed by the
 * crossed ones (interactions.h), in m->xf and *tmp. */
const rl_example *rl_model_expand(rl_model *m, const rl_example *ex, rl_example *tmp)
{
    const rl_interactions *it = &m->cfg.learner.interactions;
    if (!it->n)
        return ex;
    *tmp = *ex;
    if (x_reserve(m, (uint64_t)ex->n_feats + 1) != 0) {
        m->ix_dropped++;
        return ex;
    }
    memcpy(m->xf, ex->feats, ex->n_feats * sizeof(*m->xf));
    uint32_t w = ex->n_feats;
    const uint32_t mask = m->hasher.mask;
    rl_ix_cursor c = {0, 0, 0, 0};
    for (;;) {
        if (w == m->xcap && x_reserve(m, (uint64_t)w * 2) != 0) {
            rl_feature one;
            if (rl_interactions_next(it, ex, mask, &c, &one, 1))
                m->ix_dropped++;
            break;
        }
        uint32_t k = rl_interactions_next(it, ex, mask, &c, m->xf + w, m->xcap - w);
        if (k == 0)
            break;
        w += k;
    }
    tmp->feats = m->xf;
    tmp->n_feats = w;
    return tmp;
}
