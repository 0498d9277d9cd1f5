/* softmax.c - multiclass maximum-entropy (multinomial logistic) SGD over n_classes rows.
 *
 * Loss -log p_y with p = softmax(W x); the gradient for row k is (p_k - [k == y]) x.
 * Coordinates are stored feature-major (a feature's n_classes weights adjacent, so one example
 * touches n_feats cache runs, not n_feats * n_classes scattered lines); weights() presents them
 * row-major as learner.h promises. Schedules:
 *  - normalized (default): per-coordinate AdaGrad divided by the feature's largest |x| (N), with
 *    VW's rescale-on-new-scale and global multiplier sqrt(sum weight / sum (x/N)^2), so raw-scale
 *    features need no preprocessing (as sgd.c's default; plain, not importance-invariant, steps);
 *  - adagrad: eta / sqrt(G) per coordinate;
 *  - constant, invscaling: plain steps.
 * Per coordinate block: normalized [N, w_0, G_0, w_1, G_1, ...]; adagrad [w_0, G_0, ...];
 * plain [w_0, w_1, ...]. Blocks: 2^bits sparse, then dense_dim dense, then the bias. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/learner_impl.h"

typedef struct softmax {
    rl_learner base; /* first */
    uint32_t mask;
    uint32_t dd;
    uint32_t k;   /* classes */
    uint32_t cs;  /* floats per class within a block: 1 plain, 2 adagrad/normalized */
    uint32_t off; /* 1 when the block starts with N (normalized) */
    uint32_t bs;  /* block size = off + k * cs */
    float *st;    /* n_blocks * bs */
    float *view;  /* row-major weights for weights(): k * (2^bits + dd + 1) */
    double t, sum_norm_x, total_weight;
} softmax;

static size_t n_blocks(const softmax *s)
{
    return (size_t)s->mask + 1 + s->dd + 1;
}

static void sm_destroy(rl_learner *l)
{
    if (!l)
        return;
    softmax *s = (softmax *)l;
    free(s->st);
    free(s->view);
    free(s);
}

static rl_err sm_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                        size_t errstr_size)
{
    rl_err err = rl_learner_params_check_common(p, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (p->n_classes < 2 || p->n_classes > RL_CLASSES_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "softmax: classes=%u out of range (allowed 2..%d)", p->n_classes,
                          RL_CLASSES_MAX);
    if (p->schedule == RL_SCHED_PEGASOS)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "softmax: schedule pegasos not supported (allowed: normalized, "
                          "constant, invscaling, adagrad)");
    if (p->schedule == RL_SCHED_INVSCALING && p->t0 == 0 && p->power_t > 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "softmax: schedule invscaling needs t0 > 0");
    softmax *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    rl_learner_base_init(&s->base, &rl_learner_softmax_ops, p, RL_TASK_MULTICLASS);
    s->mask = rl_slot_mask(p->bits);
    s->dd = p->dense_dim;
    s->k = p->n_classes;
    s->cs = (p->schedule == RL_SCHED_NORMALIZED || p->schedule == RL_SCHED_ADAGRAD) ? 2 : 1;
    s->off = p->schedule == RL_SCHED_NORMALIZED ? 1 : 0;
    s->bs = s->off + s->k * s->cs;
    s->st = calloc(n_blocks(s) * s->bs, sizeof(float));
    s->view = calloc(n_blocks(s) * s->k, sizeof(float));
    if (!s->st || !s->view)
        goto nomem;
    *out = &s->base;
    return RL_OK;
nomem:
    sm_destroy(s ? &s->base : NULL);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                      "softmax: cannot allocate 2^%u x %u classes x state", p->bits, p->n_classes);
}

static inline float *block(const softmax *s, size_t b)
{
    return s->st + b * s->bs;
}

static inline void add_block(const softmax *s, const float *b, float x, double *z)
{
    const float *w = b + s->off;
    /* Normalized: a value beyond the known scale N counts as N, i.e. predict with the weights
     * the update's first pass is about to rescale (as sgd.c does). */
    if (s->off && b[0] > 0 && fabsf(x) > b[0])
        x = copysignf(b[0], x);
    const uint32_t cs = s->cs;
    for (uint32_t k = 0; k < s->k; k++)
        z[k] += (double)w[k * cs] * x;
}

/* z[k] = row k . x; returns 0 if the example's dense block does not fit (ignored, as in sgd). */
static void sm_scores(const softmax *s, const rl_example *ex, double *z)
{
    const uint32_t m = s->mask;
    memset(z, 0, s->k * sizeof(double));
    for (uint32_t i = 0; i < ex->n_feats; i++)
        add_block(s, block(s, ex->feats[i].index & m), ex->feats[i].value, z);
    if (ex->dense && s->dd > 0 && ex->n_dense == s->dd)
        for (uint32_t j = 0; j < s->dd; j++)
            add_block(s, block(s, (size_t)m + 1 + j), ex->dense[j], z);
    if (s->base.params.bias)
        add_block(s, block(s, (size_t)m + 1 + s->dd), 1.0f, z);
}

/* Turns scores into probabilities in place (p may alias z); returns log-sum-exp and argmax.
 * Public (learner.h): a snapshot's scorer must turn scores into probabilities the same way. */
double rl_softmax_probs(const double *z, uint32_t k, double *p, uint32_t *best)
{
    uint32_t b = 0;
    for (uint32_t i = 1; i < k; i++)
        if (z[i] > z[b])
            b = i;
    double zmax = z[b], sum = 0;
    for (uint32_t i = 0; i < k; i++) {
        p[i] = exp(z[i] - zmax);
        sum += p[i];
    }
    for (uint32_t i = 0; i < k; i++)
        p[i] /= sum;
    *best = b;
    return zmax + log(sum);
}

void rl_softmax_fill_pred(const double *z, uint32_t k, double *p, rl_pred *out)
{
    uint32_t b;
    rl_softmax_probs(z, k, p, &b);
    out->score = z[b];
    out->value = b;
    out->cls = (int32_t)b;
    out->prob = p[b];
    out->prob_true = NAN;
}

static void sm_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    const softmax *s = (const softmax *)l;
    double z[RL_CLASSES_MAX], p[RL_CLASSES_MAX];
    sm_scores(s, ex, z);
    rl_softmax_fill_pred(z, s->k, p, out);
}

/* Normalized first pass at one coordinate: discover its scale, rescale its rows if it grew. */
static inline void sm_norm1(const softmax *s, float *b, float x, float *norm_x)
{
    float xa = fabsf(x);
    if (xa > b[0]) {
        if (b[0] > 0) {
            float r = b[0] / xa;
            for (uint32_t k = 0; k < s->k; k++)
                b[1 + 2 * k] *= r;
        }
        b[0] = xa;
    }
    float q = xa / b[0];
    *norm_x += q * q;
}

/* One coordinate's step for every class. rate: the schedule's step (plain), or
 * eta * lr_scale * weight * multiplier (adaptive); g[k] the score gradients. */
static inline void sm_step(const softmax *s, float *b, float x, const float *g, float rate,
                           float wt, float l1, float l2)
{
    const uint32_t K = s->k;
    if (s->cs == 1) {
        float decay = 1.0f - rate * l2;
        if (decay < 0)
            decay = 0;
        float clip = rate * l1;
        for (uint32_t k = 0; k < K; k++) {
            float v = b[k] * decay - rate * g[k] * x;
            b[k] = clip > 0 ? rl_clip_l1(v, clip) : v;
        }
        return;
    }
    float inv_n = s->off ? 1.0f / b[0] : 1.0f;
    float *w = b + s->off;
    for (uint32_t k = 0; k < K; k++) {
        float gk = g[k] * x + l2 * w[2 * k];
        if (gk == 0)
            continue;
        w[2 * k + 1] += wt * gk * gk;
        if (!(w[2 * k + 1] > 0)) /* gk^2 underflowed: no usable rate yet */
            continue;
        float r = rate * inv_n / sqrtf(w[2 * k + 1]);
        float v = w[2 * k] - r * gk;
        w[2 * k] = l1 > 0 ? rl_clip_l1(v, r * l1) : v;
    }
}

static double sm_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    softmax *s = (softmax *)l;
    const rl_learner_params *p = &l->params;
    double z[RL_CLASSES_MAX], pr[RL_CLASSES_MAX];
    float g[RL_CLASSES_MAX];
    uint32_t b;
    sm_scores(s, ex, z);
    double zy_keep = 0;
    double y = ex->label, wt = ex->weight;
    int ok = isfinite(y) && y >= 0 && y < s->k && y == floor(y) && isfinite(wt) && wt >= 0;
    if (ok)
        zy_keep = z[(uint32_t)y];
    double lse = rl_softmax_probs(z, s->k, pr, &b);
    out->score = z[b];
    out->value = b;
    out->cls = (int32_t)b;
    out->prob = pr[b];
    out->prob_true = NAN;
    if (!ok || !isfinite(lse) || !rl_ex_dense_ok(ex, s->dd))
        return NAN;
    uint32_t yi = (uint32_t)y;
    out->prob_true = pr[yi];
    double loss = lse - zy_keep;
    if (wt == 0)
        return loss;
    for (uint32_t k = 0; k < s->k; k++)
        g[k] = (float)(pr[k] - (k == yi ? 1.0 : 0.0));
    const uint32_t m = s->mask;
    const int dense = ex->dense && s->dd > 0 && ex->n_dense == s->dd;
    float rate;
    if (p->schedule == RL_SCHED_NORMALIZED) {
        float norm_x = 0;
        for (uint32_t i = 0; i < ex->n_feats; i++)
            if (ex->feats[i].value != 0)
                sm_norm1(s, block(s, ex->feats[i].index & m), ex->feats[i].value, &norm_x);
        if (dense)
            for (uint32_t j = 0; j < s->dd; j++)
                if (ex->dense[j] != 0)
                    sm_norm1(s, block(s, (size_t)m + 1 + j), ex->dense[j], &norm_x);
        if (p->bias)
            sm_norm1(s, block(s, (size_t)m + 1 + s->dd), 1.0f, &norm_x);
        s->sum_norm_x += wt * norm_x;
        s->total_weight += wt;
        double mult = s->sum_norm_x > 0 ? sqrt(s->total_weight / s->sum_norm_x) : 1.0;
        rate = (float)(p->eta * l->lr_scale * wt * mult);
    } else if (p->schedule == RL_SCHED_ADAGRAD) {
        rate = (float)(p->eta * l->lr_scale * wt);
    } else {
        double eta_t = p->eta;
        if (p->schedule == RL_SCHED_INVSCALING)
            eta_t = p->eta / pow(p->t0 + s->t, p->power_t);
        rate = (float)(eta_t * l->lr_scale * wt);
    }
    float fw = (float)wt, l1 = (float)p->l1, l2 = (float)p->l2;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        if (ex->feats[i].value != 0)
            sm_step(s, block(s, ex->feats[i].index & m), ex->feats[i].value, g, rate, fw, l1, l2);
    if (dense)
        for (uint32_t j = 0; j < s->dd; j++)
            if (ex->dense[j] != 0)
                sm_step(s, block(s, (size_t)m + 1 + j), ex->dense[j], g, rate, fw, l1, l2);
    if (p->bias)
        sm_step(s, block(s, (size_t)m + 1 + s->dd), 1.0f, g, rate, fw, l1, l2);
    s->t += wt;
    l->updates++;
    return loss;
}

static void sm_reset(rl_learner *l)
{
    softmax *s = (softmax *)l;
    memset(s->st, 0, n_blocks(s) * s->bs * sizeof(float));
    s->t = s->sum_norm_x = s->total_weight = 0;
    l->updates = 0;
}

static rl_err sm_export(const rl_learner *l, rl_buf *out)
{
    const softmax *s = (const softmax *)l;
    rl_learner_state_put_header(out, l, RL_LEARNER_KIND_SOFTMAX, s->k);
    rl_buf_put_f64(out, s->t);
    rl_buf_put_f64(out, s->sum_norm_x);
    rl_buf_put_f64(out, s->total_weight);
    rl_buf_put_f32s(out, s->st, n_blocks(s) * s->bs);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err sm_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    softmax *s = (softmax *)l;
    rl_cursor r;
    uint64_t updates;
    rl_err err = rl_learner_state_open(&r, p, len, l, RL_LEARNER_KIND_SOFTMAX, s->k,
                                       3 * 8 + n_blocks(s) * s->bs * sizeof(float), &updates,
                                       errstr, errstr_size);
    if (err != RL_OK)
        return err;
    double t = rl_cursor_f64(&r), snx = rl_cursor_f64(&r), tw = rl_cursor_f64(&r);
    if (!(t >= 0) || !(snx >= 0) || !(tw >= 0) || !isfinite(t + snx + tw))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "softmax state: invalid counters (t=%g sum_norm_x=%g total_weight=%g)", t,
                          snx, tw);
    s->t = t;
    s->sum_norm_x = snx;
    s->total_weight = tw;
    rl_cursor_f32s(&r, s->st, n_blocks(s) * s->bs);
    l->updates = updates;
    return RL_OK;
}

static void sm_weights(const rl_learner *l, rl_weights *out)
{
    const softmax *s = (const softmax *)l;
    size_t n = (size_t)s->mask + 1, dd = s->dd, K = s->k;
    float *v = s->view; /* learner-owned cache: layout rows of sparse, then dense, then bias */
    float *vd = v + K * n, *vb = vd + K * dd;
    for (size_t i = 0; i < n; i++) {
        const float *w = block(s, i) + s->off;
        for (size_t k = 0; k < K; k++)
            v[k * n + i] = w[k * s->cs];
    }
    for (size_t j = 0; j < dd; j++) {
        const float *w = block(s, n + j) + s->off;
        for (size_t k = 0; k < K; k++)
            vd[k * dd + j] = w[k * s->cs];
    }
    const float *wb = block(s, n + dd) + s->off;
    for (size_t k = 0; k < K; k++)
        vb[k] = wb[k * s->cs];
    out->w = v;
    out->n_sparse = n;
    out->dense = dd ? vd : NULL;
    out->dense_dim = s->dd;
    out->bias = vb;
    out->n_rows = s->k;
}

/* Normalized: every coordinate's block opens with its clip scale N, shared by the classes. */
static void sm_scoring(const rl_learner *l, rl_scoring *out)
{
    const softmax *s = (const softmax *)l;
    sm_weights(l, &out->w);
    if (!s->off)
        return;
    size_t n = (size_t)s->mask + 1;
    out->scale_sparse = block(s, 0);
    out->scale_dense = block(s, n);
    out->scale_bias = block(s, n + s->dd);
    out->scale_stride = s->bs;
}

static rl_err sm_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    softmax *s = (softmax *)l;
    rl_err err = rl_learner_weights_check(l, w, s->k, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    sm_reset(l);
    size_t n = (size_t)s->mask + 1, dd = s->dd, K = s->k;
    for (size_t i = 0; i < n; i++) {
        float *b = block(s, i) + s->off;
        for (size_t k = 0; k < K; k++)
            b[k * s->cs] = w->w[k * n + i];
    }
    for (size_t j = 0; j < dd; j++) {
        float *b = block(s, n + j) + s->off;
        for (size_t k = 0; k < K; k++)
            b[k * s->cs] = w->dense[k * dd + j];
    }
    float *bb = block(s, n + dd) + s->off;
    for (size_t k = 0; k < K; k++)
        bb[k * s->cs] = w->bias[k];
    return RL_OK;
}

const struct rl_learner_ops rl_learner_softmax_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "softmax",
    .summary = "multiclass maximum-entropy SGD over n_classes rows (normalized adaptive default)",
    .params = "classes schedule eta power_t t0 l1 l2 bias",
    .create = sm_create,
    .predict = sm_predict,
    .learn = sm_learn,
    .reset = sm_reset,
    .export_state = sm_export,
    .import_state = sm_import,
    .weights = sm_weights,
    .scoring = sm_scoring,
    .set_weights = sm_set_weights,
    .destroy = sm_destroy,
};
