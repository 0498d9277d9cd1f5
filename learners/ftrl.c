/* ftrl.c - FTRL-Proximal logistic regression (McMahan et al. 2013, "Ad click prediction: a view
 * from the trenches", algorithm 1): per-coordinate learning rates and L1 that makes exact zeros.
 * Each coordinate keeps {z, n} adjacent; its weight is not stored but derived lazily,
 *   w = 0                                                   if |z| <= l1
 *   w = -(z - sgn(z) l1) / ((beta + sqrt(n)) / alpha + l2)  otherwise,
 * so a coordinate the L1 keeps at zero costs nothing to predict with. The gradient is scaled by
 * the importance weight and by lr_scale (a drift boost makes the step larger). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/learner_impl.h"

typedef struct ftrl {
    rl_learner base; /* first */
    uint32_t mask;
    uint32_t dd;
    float *zn;   /* per coordinate {z, n}: 2^bits sparse, dd dense, 1 bias */
    float *view; /* derived weights for weights() */
    float inv_alpha, beta, l1, l2;
} ftrl;

static size_t n_coords(const ftrl *s)
{
    return (size_t)s->mask + 1 + s->dd + 1;
}

static inline float ftrl_w(const ftrl *s, const float *c)
{
    float z = c[0];
    if (fabsf(z) <= s->l1)
        return 0;
    float den = (s->beta + sqrtf(c[1])) * s->inv_alpha + s->l2;
    if (!(den > 0))
        return 0;
    return -(z - copysignf(s->l1, z)) / den;
}

static void ft_destroy(rl_learner *l)
{
    if (!l)
        return;
    ftrl *s = (ftrl *)l;
    free(s->zn);
    free(s->view);
    free(s);
}

static rl_err ft_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                        size_t errstr_size)
{
    rl_err err = rl_learner_params_check_common(p, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (p->loss != RL_LOSS_LOGISTIC)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ftrl: loss %s not supported (allowed: logistic)", rl_loss_name(p->loss));
    if (!(p->ftrl_alpha > 0) || !isfinite(p->ftrl_alpha) || !(p->ftrl_beta >= 0) ||
        !isfinite(p->ftrl_beta))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ftrl: alpha=%g beta=%g invalid (alpha > 0, beta >= 0)", p->ftrl_alpha,
                          p->ftrl_beta);
    ftrl *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    rl_learner_base_init(&s->base, &rl_learner_ftrl_ops, p, RL_TASK_BINARY);
    s->mask = rl_slot_mask(p->bits);
    s->dd = p->dense_dim;
    s->inv_alpha = (float)(1.0 / p->ftrl_alpha);
    s->beta = (float)p->ftrl_beta;
    s->l1 = (float)p->l1;
    s->l2 = (float)p->l2;
    s->zn = calloc(n_coords(s) * 2, sizeof(float));
    s->view = calloc(n_coords(s), sizeof(float));
    if (!s->zn || !s->view)
        goto nomem;
    *out = &s->base;
    return RL_OK;
nomem:
    ft_destroy(s ? &s->base : NULL);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "ftrl: cannot allocate 2^%u x 2 floats",
                      p->bits);
}

static double ft_score(const ftrl *s, const rl_example *ex)
{
    const uint32_t m = s->mask;
    float z = 0;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        z += ftrl_w(s, s->zn + (size_t)(ex->feats[i].index & m) * 2) * ex->feats[i].value;
    if (ex->dense && s->dd > 0 && ex->n_dense == s->dd)
        for (uint32_t j = 0; j < s->dd; j++)
            z += ftrl_w(s, s->zn + ((size_t)m + 1 + j) * 2) * ex->dense[j];
    if (s->base.params.bias)
        z += ftrl_w(s, s->zn + ((size_t)m + 1 + s->dd) * 2);
    return z;
}

static void ft_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    rl_loss_fill_pred(RL_LOSS_LOGISTIC, ft_score((const ftrl *)l, ex), out);
}

static inline void ft_coord(ftrl *s, float *c, float g1, float x)
{
    if (x == 0)
        return;
    float g = g1 * x;
    float w = ftrl_w(s, c);
    float n = c[1];
    float sigma = (sqrtf(n + g * g) - sqrtf(n)) * s->inv_alpha;
    c[0] += g - sigma * w;
    c[1] = n + g * g;
}

static double ft_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    ftrl *s = (ftrl *)l;
    double z = ft_score(s, ex);
    rl_loss_fill_pred(RL_LOSS_LOGISTIC, z, out);
    double wt = ex->weight, y = ex->label;
    if (!rl_ex_dense_ok(ex, s->dd) || !isfinite(z) || !isfinite(y) || !isfinite(wt) || wt < 0)
        return NAN;
    double loss = rl_loss_value(RL_LOSS_LOGISTIC, z, y);
    if (wt == 0)
        return loss;
    /* d loss / d z = p - y for labels 0/1. */
    float g1 = (float)(rl_loss_deriv(RL_LOSS_LOGISTIC, z, y) * wt * l->lr_scale);
    const uint32_t m = s->mask;
    if (g1 != 0) {
        for (uint32_t i = 0; i < ex->n_feats; i++)
            ft_coord(s, s->zn + (size_t)(ex->feats[i].index & m) * 2, g1, ex->feats[i].value);
        if (ex->dense && s->dd > 0 && ex->n_dense == s->dd)
            for (uint32_t j = 0; j < s->dd; j++)
                ft_coord(s, s->zn + ((size_t)m + 1 + j) * 2, g1, ex->dense[j]);
        if (l->params.bias)
            ft_coord(s, s->zn + ((size_t)m + 1 + s->dd) * 2, g1, 1.0f);
    }
    l->updates++;
    return loss;
}

static void ft_reset(rl_learner *l)
{
    ftrl *s = (ftrl *)l;
    memset(s->zn, 0, n_coords(s) * 2 * sizeof(float));
    l->updates = 0;
}

static rl_err ft_export(const rl_learner *l, rl_buf *out)
{
    const ftrl *s = (const ftrl *)l;
    rl_learner_state_put_header(out, l, RL_LEARNER_KIND_FTRL, 1);
    rl_buf_put_f32s(out, s->zn, n_coords(s) * 2);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err ft_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    ftrl *s = (ftrl *)l;
    rl_cursor r;
    uint64_t updates;
    rl_err err =
        rl_learner_state_open(&r, p, len, l, RL_LEARNER_KIND_FTRL, 1,
                              n_coords(s) * 2 * sizeof(float), &updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    rl_cursor_f32s(&r, s->zn, n_coords(s) * 2);
    l->updates = updates;
    return RL_OK;
}

static void ft_weights(const rl_learner *l, rl_weights *out)
{
    const ftrl *s = (const ftrl *)l;
    size_t n = (size_t)s->mask + 1, nc = n_coords(s);
    for (size_t i = 0; i < nc; i++)
        s->view[i] = ftrl_w(s, s->zn + 2 * i);
    rl_learner_weights_view(out, s->view, n, s->dd);
}

/* Fresh state (n = 0) with z chosen so the derived weight is w: invert the closed form. */
static int ft_set_coord(const ftrl *s, float *c, float w)
{
    c[1] = 0;
    if (w == 0) {
        c[0] = 0;
        return 0;
    }
    float den = s->beta * s->inv_alpha + s->l2;
    if (!(den > 0))
        return -1;
    c[0] = -w * den - copysignf(s->l1, w);
    return 0;
}

static rl_err ft_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    ftrl *s = (ftrl *)l;
    rl_err err = rl_learner_weights_check(l, w, 1, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    size_t n = (size_t)s->mask + 1;
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= ft_set_coord(s, s->zn + 2 * i, w->w[i]);
    for (size_t j = 0; j < s->dd; j++)
        bad |= ft_set_coord(s, s->zn + 2 * (n + j), w->dense[j]);
    bad |= ft_set_coord(s, s->zn + 2 * (n + s->dd), w->bias[0]);
    l->updates = 0;
    if (bad) {
        ft_reset(l);
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ftrl set_weights: with beta=0 and l2=0 a fresh FTRL state cannot hold "
                          "non-zero weights; set beta > 0 or l2 > 0");
    }
    return RL_OK;
}

const struct rl_learner_ops rl_learner_ftrl_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "ftrl",
    .summary = "FTRL-Proximal logistic regression, per-coordinate rates, L1 sparsity",
    .params = "loss alpha beta l1 l2 bias",
    .create = ft_create,
    .predict = ft_predict,
    .learn = ft_learn,
    .reset = ft_reset,
    .export_state = ft_export,
    .import_state = ft_import,
    .weights = ft_weights,
    .set_weights = ft_set_weights,
    .destroy = ft_destroy,
};
