/* avg_perceptron.c - averaged perceptron (binary), with the lazy averaging trick (Daume,
 * "A Course in Machine Learning", alg. 7): keep the perceptron's w and u = sum of c * (each
 * update), where c counts the (weighted) examples seen, starting at 1; the average of every w
 * so far is then w - u / c, computed in O(active features) per example instead of O(2^bits).
 * Updates are decided by the plain perceptron (y * w.x <= 0); predictions use the averaged
 * weights, which generalise much better. w and u are doubles kept adjacent per coordinate:
 * u grows like c, and floats would lose the average's precision on a long stream. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/learner_impl.h"

typedef struct avgp {
    rl_learner base; /* first */
    uint32_t mask;
    uint32_t dd;
    double *wu;  /* per coordinate {w, u}: 2^bits sparse, dd dense, 1 bias */
    double c;    /* 1 + importance weight seen */
    float *view; /* averaged weights for weights() */
} avgp;

static size_t n_coords(const avgp *s)
{
    return (size_t)s->mask + 1 + s->dd + 1;
}

static void ap_destroy(rl_learner *l)
{
    if (!l)
        return;
    avgp *s = (avgp *)l;
    free(s->wu);
    free(s->view);
    free(s);
}

static rl_err ap_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                        size_t errstr_size)
{
    rl_err err = rl_learner_params_check_common(p, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    avgp *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    rl_learner_base_init(&s->base, &rl_learner_avg_perceptron_ops, p, RL_TASK_BINARY);
    s->mask = rl_slot_mask(p->bits);
    s->dd = p->dense_dim;
    s->c = 1;
    s->wu = calloc(n_coords(s) * 2, sizeof(double));
    s->view = calloc(n_coords(s), sizeof(float));
    if (!s->wu || !s->view)
        goto nomem;
    *out = &s->base;
    return RL_OK;
nomem:
    ap_destroy(s ? &s->base : NULL);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                      "avg_perceptron: cannot allocate 2^%u x 2 doubles", p->bits);
}

/* An averaged weight as weights() publishes it: w - u / c, rounded to float, with the division
 * done once per event (inv_c = 1 / c): a division per feature cost a third of learn()'s speed. */
static inline float avg_w(const double *c, double inv_c)
{
    return (float)(c[0] - c[1] * inv_c);
}

/* zw = w.x (the perceptron's, in double: it decides the updates), za = averaged w.x, summed in
 * float over the averaged weights rounded to float, feature by feature: exactly what a snapshot
 * (which holds those floats) scores, so a published version predicts as this model does. */
static void ap_scores(const avgp *s, const rl_example *ex, double *zw, double *za)
{
    const uint32_t m = s->mask;
    const double *wu = s->wu;
    const double inv_c = 1.0 / s->c;
    double a = 0;
    float b = 0;
    for (uint32_t i = 0; i < ex->n_feats; i++) {
        const double *c = wu + (size_t)(ex->feats[i].index & m) * 2;
        a += c[0] * ex->feats[i].value;
        b += avg_w(c, inv_c) * ex->feats[i].value;
    }
    if (ex->dense && s->dd > 0 && ex->n_dense == s->dd) {
        const double *d = wu + ((size_t)m + 1) * 2;
        for (uint32_t j = 0; j < s->dd; j++) {
            a += d[2 * j] * ex->dense[j];
            b += avg_w(d + 2 * j, inv_c) * ex->dense[j];
        }
    }
    if (s->base.params.bias) {
        const double *c = wu + ((size_t)m + 1 + s->dd) * 2;
        a += c[0];
        b += avg_w(c, inv_c);
    }
    *zw = a;
    *za = b;
}

static void fill(double z, rl_pred *out)
{
    out->score = z;
    out->cls = z > 0 ? 1 : 0;
    out->value = out->cls;
    out->prob = NAN;
    out->prob_true = NAN;
}

static void ap_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    double zw, za;
    ap_scores((const avgp *)l, ex, &zw, &za);
    fill(za, out);
}

static inline void ap_coord(double *c, double x, double step, double cstep)
{
    c[0] += step * x;
    c[1] += cstep * x;
}

static double ap_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    avgp *s = (avgp *)l;
    double zw, za;
    ap_scores(s, ex, &zw, &za);
    fill(za, out);
    double wt = ex->weight;
    if (!rl_ex_dense_ok(ex, s->dd) || !isfinite(zw) || !isfinite(za) || !isfinite(ex->label) ||
        !isfinite(wt) || wt < 0)
        return NAN;
    double y = rl_lsign(ex->label);
    double loss = y * za <= 0;
    if (wt == 0)
        return loss;
    if (y * zw <= 0) {
        const uint32_t m = s->mask;
        double step = l->params.eta * l->lr_scale * wt * y, cstep = s->c * step;
        for (uint32_t i = 0; i < ex->n_feats; i++)
            ap_coord(s->wu + (size_t)(ex->feats[i].index & m) * 2, ex->feats[i].value, step, cstep);
        if (ex->dense && s->dd > 0 && ex->n_dense == s->dd)
            for (uint32_t j = 0; j < s->dd; j++)
                ap_coord(s->wu + ((size_t)m + 1 + j) * 2, ex->dense[j], step, cstep);
        if (l->params.bias)
            ap_coord(s->wu + ((size_t)m + 1 + s->dd) * 2, 1.0, step, cstep);
    }
    s->c += wt;
    l->updates++;
    return loss;
}

static void ap_reset(rl_learner *l)
{
    avgp *s = (avgp *)l;
    memset(s->wu, 0, n_coords(s) * 2 * sizeof(double));
    s->c = 1;
    l->updates = 0;
}

static rl_err ap_export(const rl_learner *l, rl_buf *out)
{
    const avgp *s = (const avgp *)l;
    rl_learner_state_put_header(out, l, RL_LEARNER_KIND_AVG_PERCEPTRON, 1);
    rl_buf_put_f64(out, s->c);
    rl_buf_put_f64s(out, s->wu, n_coords(s) * 2);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err ap_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    avgp *s = (avgp *)l;
    rl_cursor r;
    uint64_t updates;
    rl_err err =
        rl_learner_state_open(&r, p, len, l, RL_LEARNER_KIND_AVG_PERCEPTRON, 1,
                              8 + n_coords(s) * 2 * sizeof(double), &updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    double c = rl_cursor_f64(&r);
    if (!(c >= 1) || !isfinite(c))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "avg_perceptron state: invalid example counter %g (must be >= 1)", c);
    s->c = c;
    rl_cursor_f64s(&r, s->wu, n_coords(s) * 2);
    l->updates = updates;
    return RL_OK;
}

static void ap_weights(const rl_learner *l, rl_weights *out)
{
    const avgp *s = (const avgp *)l;
    size_t n = (size_t)s->mask + 1, nc = n_coords(s);
    /* view is a cache the learner owns; filling it does not change the model. */
    const double inv_c = 1.0 / s->c;
    for (size_t i = 0; i < nc; i++)
        s->view[i] = avg_w(s->wu + 2 * i, inv_c);
    rl_learner_weights_view(out, s->view, n, s->dd);
}

static rl_err ap_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    avgp *s = (avgp *)l;
    rl_err err = rl_learner_weights_check(l, w, 1, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    size_t n = (size_t)s->mask + 1;
    /* Fresh averaging (c = 1, u = 0): the published weights are both w and its average. */
    for (size_t i = 0; i < n; i++) {
        s->wu[2 * i] = w->w[i];
        s->wu[2 * i + 1] = 0;
    }
    for (size_t j = 0; j < s->dd; j++) {
        s->wu[2 * (n + j)] = w->dense[j];
        s->wu[2 * (n + j) + 1] = 0;
    }
    s->wu[2 * (n + s->dd)] = w->bias[0];
    s->wu[2 * (n + s->dd) + 1] = 0;
    s->c = 1;
    l->updates = 0;
    return RL_OK;
}

const struct rl_learner_ops rl_learner_avg_perceptron_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "avg_perceptron",
    .summary = "averaged perceptron (binary), predictions from the running average of weights",
    .params = "eta bias",
    .create = ap_create,
    .predict = ap_predict,
    .learn = ap_learn,
    .reset = ap_reset,
    .export_state = ap_export,
    .import_state = ap_import,
    .weights = ap_weights,
    .set_weights = ap_set_weights,
    .destroy = ap_destroy,
};
