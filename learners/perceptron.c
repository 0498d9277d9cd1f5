/* perceptron.c - Rosenblatt's perceptron (binary): on a mistake (y z <= 0, y in -1/+1),
 * w <- w + eta * lr_scale * weight * y * x. The learning rate only matters relative to weights
 * loaded with set_weights (from zero it just scales w). Its loss is the 0/1 mistake. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/learner_impl.h"

typedef struct perceptron {
    rl_learner base; /* first */
    uint32_t mask;
    uint32_t dd;
    float *w; /* 2^bits, then dd dense weights, then the bias: one allocation */
} perceptron;

static size_t n_floats(const perceptron *s)
{
    return (size_t)s->mask + 1 + s->dd + 1;
}

static rl_err pc_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                        size_t errstr_size)
{
    rl_err err = rl_learner_params_check_common(p, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    perceptron *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    rl_learner_base_init(&s->base, &rl_learner_perceptron_ops, p, RL_TASK_BINARY);
    s->mask = rl_slot_mask(p->bits);
    s->dd = p->dense_dim;
    s->w = calloc(n_floats(s), sizeof(float));
    if (!s->w)
        goto nomem;
    *out = &s->base;
    return RL_OK;
nomem:
    if (s)
        free(s);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "perceptron: cannot allocate 2^%u weights",
                      p->bits);
}

static void pc_destroy(rl_learner *l)
{
    if (!l)
        return;
    perceptron *s = (perceptron *)l;
    free(s->w);
    free(s);
}

static double pc_score(const perceptron *s, const rl_example *ex)
{
    const uint32_t m = s->mask;
    const float *w = s->w;
    float z = 0;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        z += w[ex->feats[i].index & m] * ex->feats[i].value;
    if (ex->dense && s->dd > 0 && ex->n_dense == s->dd)
        for (uint32_t j = 0; j < s->dd; j++) /* in order, not cblas_sdot: as sgd.c's score() */
            z += w[(size_t)m + 1 + j] * ex->dense[j];
    if (s->base.params.bias)
        z += w[(size_t)m + 1 + s->dd];
    return z;
}

static void fill(double z, rl_pred *out)
{
    out->score = z;
    out->cls = z > 0 ? 1 : 0;
    out->value = out->cls;
    out->prob = NAN;
    out->prob_true = NAN;
}

static void pc_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    fill(pc_score((const perceptron *)l, ex), out);
}

static double pc_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    perceptron *s = (perceptron *)l;
    double z = pc_score(s, ex);
    fill(z, out);
    double wt = ex->weight;
    if (!rl_ex_dense_ok(ex, s->dd) || !isfinite(z) || !isfinite(ex->label) || !isfinite(wt) ||
        wt < 0)
        return NAN;
    double y = rl_lsign(ex->label);
    int mistake = y * z <= 0;
    if (wt == 0)
        return mistake;
    if (mistake) {
        const uint32_t m = s->mask;
        float c = (float)(l->params.eta * l->lr_scale * wt * y);
        for (uint32_t i = 0; i < ex->n_feats; i++)
            s->w[ex->feats[i].index & m] += c * ex->feats[i].value;
        if (ex->dense && s->dd > 0 && ex->n_dense == s->dd)
            cblas_saxpy((int)s->dd, c, ex->dense, 1, s->w + m + 1, 1);
        if (l->params.bias)
            s->w[(size_t)m + 1 + s->dd] += c;
    }
    l->updates++;
    return mistake;
}

static void pc_reset(rl_learner *l)
{
    perceptron *s = (perceptron *)l;
    memset(s->w, 0, n_floats(s) * sizeof(float));
    l->updates = 0;
}

static rl_err pc_export(const rl_learner *l, rl_buf *out)
{
    const perceptron *s = (const perceptron *)l;
    rl_learner_state_put_header(out, l, RL_LEARNER_KIND_PERCEPTRON, 1);
    rl_buf_put_f32s(out, s->w, n_floats(s));
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err pc_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    perceptron *s = (perceptron *)l;
    rl_cursor r;
    uint64_t updates;
    rl_err err = rl_learner_state_open(&r, p, len, l, RL_LEARNER_KIND_PERCEPTRON, 1,
                                       n_floats(s) * sizeof(float), &updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    rl_cursor_f32s(&r, s->w, n_floats(s));
    l->updates = updates;
    return RL_OK;
}

static void pc_weights(const rl_learner *l, rl_weights *out)
{
    const perceptron *s = (const perceptron *)l;
    rl_learner_weights_view(out, s->w, (size_t)s->mask + 1, s->dd);
}

static rl_err pc_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    perceptron *s = (perceptron *)l;
    rl_err err = rl_learner_weights_check(l, w, 1, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    size_t n = (size_t)s->mask + 1;
    memmove(s->w, w->w, n * sizeof(float));
    if (s->dd)
        memmove(s->w + n, w->dense, (size_t)s->dd * sizeof(float));
    s->w[n + s->dd] = w->bias[0];
    l->updates = 0;
    return RL_OK;
}

const struct rl_learner_ops rl_learner_perceptron_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "perceptron",
    .summary = "binary perceptron: mistake-driven additive updates",
    .params = "eta bias",
    .create = pc_create,
    .predict = pc_predict,
    .learn = pc_learn,
    .reset = pc_reset,
    .export_state = pc_export,
    .import_state = pc_import,
    .weights = pc_weights,
    .set_weights = pc_set_weights,
    .destroy = pc_destroy,
};
