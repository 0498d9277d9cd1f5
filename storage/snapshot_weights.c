/* snapshot_weights.c - reading a decoded snapshot's weights as the model's true weights
 * (score_scale applied), and turning them back into a learner for a warm start. Scoring goes
 * through predictor.h instead, which computes exactly what the publishing model did. */
#include <stdlib.h>
#include <string.h>

#include "learners/interactions.h"
#include "storage/snapshot.h"

/* A stored weight as the model's true weight: times the row's score_scale, in float, as the
 * learner's own weights() computes it (pegasos; 1 for every other learner). */
static float true_weight(const rl_snapshot_row *r, float v)
{
    return r->score_scale == 1.0 ? v : v * (float)r->score_scale;
}

float rl_snapshot_weight(const rl_snapshot *s, uint32_t row, uint64_t slot)
{
    if (row >= s->n_rows || slot >= s->n_sparse)
        return 0.0f;
    const rl_snapshot_row *r = &s->rows[row];
    if (r->w)
        return true_weight(r, r->w[slot]);
    uint64_t lo = 0, hi = r->nnz;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (r->idx[mid] < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nnz && r->idx[lo] == slot ? true_weight(r, r->val[lo]) : 0.0f;
}

static void expand_row(const rl_snapshot_row *r, uint64_t n, float *dst)
{
    if (r->w) {
        memcpy(dst, r->w, n * sizeof(float));
    } else {
        memset(dst, 0, n * sizeof(float));
        for (uint64_t i = 0; i < r->nnz; i++)
            dst[r->idx[i]] = r->val[i];
    }
    if (r->score_scale != 1.0)
        for (uint64_t i = 0; i < n; i++)
            dst[i] = true_weight(r, dst[i]);
}

rl_err rl_snapshot_row_dense(const rl_snapshot *s, uint32_t row, const float **w, float **owned,
                             char *errstr, size_t errstr_size)
{
    *owned = NULL;
    *w = NULL;
    if (row >= s->n_rows)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "snapshot has no row %u", row);
    if (s->rows[row].w && s->rows[row].score_scale == 1.0) {
        *w = s->rows[row].w;
        return RL_OK;
    }
    float *d = malloc(s->n_sparse * sizeof(float));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot row: out of memory");
    expand_row(&s->rows[row], s->n_sparse, d);
    *owned = d;
    *w = d;
    return RL_OK;
}

rl_err rl_snapshot_weights_dense(const rl_snapshot *s, rl_weights *w, float **buf, char *errstr,
                                 size_t errstr_size)
{
    size_t n = (size_t)s->n_rows * (s->n_sparse + s->dense_dim + 1);
    float *b = malloc(n * sizeof(float));
    if (!b)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                          "snapshot weights (%zu floats): out of memory", n);
    float *ws = b, *dense = b + (size_t)s->n_rows * s->n_sparse;
    float *bias = dense + (size_t)s->n_rows * s->dense_dim;
    for (uint32_t r = 0; r < s->n_rows; r++) {
        expand_row(&s->rows[r], s->n_sparse, ws + (size_t)r * s->n_sparse);
        for (uint32_t j = 0; j < s->dense_dim; j++)
            dense[(size_t)r * s->dense_dim + j] =
                true_weight(&s->rows[r], s->rows[r].dense_block[j]);
        bias[r] = true_weight(&s->rows[r], s->rows[r].bias);
    }
    w->w = ws;
    w->n_sparse = s->n_sparse;
    w->dense = s->dense_dim ? dense : NULL;
    w->dense_dim = s->dense_dim;
    w->bias = bias;
    w->n_rows = s->n_rows;
    *buf = b;
    return RL_OK;
}

rl_err rl_snapshot_to_learner(const rl_snapshot *s, rl_learner **out, char *errstr,
                              size_t errstr_size)
{
    rl_learner *l = NULL;
    rl_weights w;
    float *buf = NULL;
    char sub[256];
    *out = NULL;
    rl_err e = rl_learner_new(&s->learner, &l, sub, sizeof(sub));
    if (e != RL_OK)
        return rl_set_err(errstr, errstr_size, e, "snapshot learner: %s", sub);
    e = rl_snapshot_weights_dense(s, &w, &buf, errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    e = rl_learner_set_weights(l, &w, sub, sizeof(sub));
    if (e != RL_OK) {
        rl_set_err(errstr, errstr_size, e, "snapshot weights: %s", sub);
        goto fail;
    }
    free(buf);
    *out = l;
    return RL_OK;
fail:
    free(buf);
    rl_learner_destroy(l);
    return e;
}

rl_err rl_snapshot_apply_to_model(const rl_snapshot *s, rl_model *m, char *errstr,
                                  size_t errstr_size)
{
    rl_learner *l = rl_model_learner(m);
    const rl_learner_params *p = &l->params;
    if (strcmp(p->learner, s->learner.learner) != 0 || p->bits != s->learner.bits ||
        p->dense_dim != s->learner.dense_dim || (s->n_rows > 1 && p->n_classes != s->n_rows) ||
        rl_model_get_config(m)->hash_seed != s->hash_seed)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "snapshot is %s bits=%u dense_dim=%u rows=%u seed=%llu; the model is "
                          "%s bits=%u dense_dim=%u classes=%u seed=%llu",
                          s->learner.learner, s->learner.bits, s->learner.dense_dim, s->n_rows,
                          (unsigned long long)s->hash_seed, p->learner, p->bits, p->dense_dim,
                          p->n_classes, (unsigned long long)rl_model_get_config(m)->hash_seed);
    /* Crossed features live in the same slots: weights learned with other interactions mean
     * something else. */
    char a[RL_INTERACTIONS_MAX * 4 + 1], b[sizeof(a)];
    rl_interactions_format(&s->learner.interactions, a, sizeof(a));
    rl_interactions_format(&p->interactions, b, sizeof(b));
    if (strcmp(a, b) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "snapshot has interactions '%s'; the model has '%s'", a, b);
    rl_weights w;
    float *buf = NULL;
    char sub[256];
    rl_err e = rl_snapshot_weights_dense(s, &w, &buf, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    e = rl_learner_set_weights(l, &w, sub, sizeof(sub));
    if (e != RL_OK)
        rl_set_err(errstr, errstr_size, e, "snapshot weights: %s", sub);
    free(buf);
    return e;
}
