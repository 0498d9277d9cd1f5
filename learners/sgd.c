/* sgd.c - linear SGD for logistic, hinge, squared and Poisson losses.
 *
 * Schedules:
 *  - normalized (default): Vowpal Wabbit's default learner, i.e. per-coordinate adaptive
 *    (AdaGrad) + normalized (Ross, Mineiro & Langford 2013) + importance-invariant updates
 *    (Karampatziakis & Langford 2011). Each coordinate keeps {w, G, N, rate} adjacent: G the
 *    sum of squared gradients, N the largest |x| seen (a feature's scale). When a larger scale
 *    appears the weight is rescaled as if that scale had always been known, and every step is
 *    divided by N, so multiplying a feature by 1e5 changes nothing: raw incomes beside ages learn
 *    without preprocessing. A global multiplier sqrt(sum weight / sum normalized |x|^2) keeps
 *    the step size independent of how many features an example has.
 *    Three departures from VW, all deliberate: the prediction already uses the weights as the
 *    first pass will rescale them (a value beyond a coordinate's known scale counts as that
 *    scale), because VW's stale-weight prediction is wild exactly when a feature first shows a
 *    larger scale (on the test suite's sparse stream: progressive accuracy 0.69 -> 0.78); an
 *    example whose gradient leaves G at 0 gives that coordinate no step instead of an inf; and
 *    the logistic step at margins above 8 is solved exactly (loss.c), where VW's closed form
 *    cancels into wrong-signed steps and high learning rates diverged.
 *  - constant, invscaling (eta / (t0 + t)^power_t, t = importance weight seen so far),
 *    adagrad (eta / sqrt(G_i)), pegasos (1 / (l2 t), weight vector kept as scale * v so the
 *    decay costs O(1)): plain gradient steps; the dense block uses cblas_sdot / cblas_saxpy.
 * L2 is weight decay on the coordinates an example touches; L1 clips a touched weight toward 0
 * by its step times l1 without crossing 0 (truncated gradient, Langford, Li & Zhang 2009).
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "learners/sgd_int.h"

#define HUGE_PAGE ((size_t)2 << 20)

/* Zeroed memory for the sparse state. From 2 MiB up it is its own mapping, aligned to and asked
 * for transparent huge pages: with 2^20 coordinates x 16 bytes and features spread over all of
 * them, 4 KiB pages cost 4096 page faults (each ~10 us on a VM) as the state fills, and a TLB
 * miss on nearly every feature. Pages are still only made resident when first touched. */
static float *state_alloc(size_t n_floats, size_t *map_len)
{
    *map_len = 0;
#if defined(MADV_HUGEPAGE)
    size_t bytes = n_floats * sizeof(float);
    if (bytes >= HUGE_PAGE && bytes <= SIZE_MAX / 2) {
        size_t r = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), len = r + HUGE_PAGE;
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        uintptr_t a = ((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        size_t head = a - (uintptr_t)m, tail = len - head - r;
        if (head)
            munmap(m, head);
        if (tail)
            munmap((void *)(a + r), tail);
        (void)madvise((void *)a, r, MADV_HUGEPAGE); /* advice: ordinary pages where THP is off */
        *map_len = r;
        return (float *)a;
    }
#endif
    return calloc(n_floats, sizeof(float));
}

static void state_free(float *p, size_t map_len)
{
    if (map_len)
        munmap(p, map_len);
    else
        free(p);
}

static uint32_t stride_of(rl_schedule s)
{
    return s == RL_SCHED_NORMALIZED ? 4 : s == RL_SCHED_ADAGRAD ? 2 : 1;
}

void rl_sgd_clear(sgd *s)
{
    memset(s->ws, 0, sgd_n_sparse(s) * s->stride * sizeof(float));
    if (s->dws)
        memset(s->dws, 0, (size_t)s->dd * s->stride * sizeof(float));
    memset(s->bws, 0, sizeof(s->bws));
    s->t = 0;
    s->sum_norm_x = 0;
    s->total_weight = 0;
    s->pscale = 1;
    s->base.updates = 0;
}

rl_err rl_sgd_create_kind(const rl_learner_params *p, const struct rl_learner_ops *ops, int kind,
                          rl_learner **out, char *errstr, size_t errstr_size)
{
    sgd *s = NULL;
    rl_err err = rl_learner_params_check_common(p, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (p->schedule == RL_SCHED_PEGASOS && !(p->l2 > 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: schedule pegasos needs l2 > 0 (its lambda), got l2=%g", ops->name,
                          p->l2);
    if (p->schedule == RL_SCHED_PEGASOS && p->l1 > 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: schedule pegasos does not support l1 (got l1=%g); use l1=0",
                          ops->name, p->l1);
    if (p->schedule == RL_SCHED_INVSCALING && p->t0 == 0 && p->power_t > 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: schedule invscaling needs t0 > 0 (eta / (t0 + t)^power_t at t=0)",
                          ops->name);
    s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    rl_learner_base_init(&s->base, ops, p,
                         (p->loss == RL_LOSS_SQUARED || p->loss == RL_LOSS_POISSON)
                             ? RL_TASK_REGRESSION
                             : RL_TASK_BINARY);
    s->kind = kind;
    s->mask = rl_slot_mask(p->bits);
    s->stride = stride_of(p->schedule);
    s->dd = p->dense_dim;
    s->ws = state_alloc(sgd_n_sparse(s) * s->stride, &s->ws_map);
    if (!s->ws)
        goto nomem;
    if (s->dd > 0) {
        s->dws = calloc((size_t)s->dd * s->stride, sizeof(float));
        if (!s->dws)
            goto nomem;
    }
    if (s->stride > 1 || p->schedule == RL_SCHED_PEGASOS) {
        s->view = calloc(sgd_n_sparse(s) + s->dd + 1, sizeof(float));
        if (!s->view)
            goto nomem;
    }
    s->pscale = 1;
    *out = &s->base;
    return RL_OK;
nomem:
    err = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                     "%s: cannot allocate 2^%u weights x %u floats", ops->name, p->bits,
                     stride_of(p->schedule));
    rl_sgd_destroy(s ? &s->base : NULL);
    return err;
}

void rl_sgd_destroy(rl_learner *l)
{
    if (!l)
        return;
    sgd *s = (sgd *)l;
    if (s->ws)
        state_free(s->ws, s->ws_map);
    free(s->dws);
    free(s->view);
    free(s);
}

/* Asks for the cache line of every coordinate ex touches, all at once, before the prediction
 * reads them: with 2^20 coordinates of 16 bytes (normalized) nearly every feature of a
 * spread-out example misses the caches, and the prediction's loop, whose float sum is a
 * dependency chain, would otherwise have only a few of those misses in flight at a time. */
static void prefetch_slots(const sgd *s, const rl_example *ex)
{
#if defined(__GNUC__)
    const uint32_t m = s->mask, st = s->stride;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        __builtin_prefetch(s->ws + (size_t)(ex->feats[i].index & m) * st, 1, 3);
#else
    (void)s;
    (void)ex;
#endif
}

void rl_sgd_prefetch(rl_learner *l, const rl_example *ex)
{
    sgd *s = (sgd *)l;
    prefetch_slots(s, ex);
    /* The caller prefetches ahead: the prediction's own prefetch would only repeat it, at a
     * cost (40 more prefetches of lines already in L1, about 1-2% of eval's CPU time). */
    s->caller_prefetches = 1;
}

/* The raw linear score. Float accumulation: it is what the weights are stored in, and the
 * order is fixed, so the result is reproducible. */
static double score(const sgd *s, const rl_example *ex)
{
    const float *w = s->ws;
    const uint32_t m = s->mask, st = s->stride;
    const int dense = ex->dense && s->dd > 0 && ex->n_dense == s->dd;
    float z = 0;
    if (st == 4) {
        if (!s->caller_prefetches)
            prefetch_slots(s, ex);
        z = rl_sgd_norm_score(s, ex, dense);
    } else {
        for (uint32_t i = 0; i < ex->n_feats; i++)
            z += w[(size_t)(ex->feats[i].index & m) * st] * ex->feats[i].value;
        /* One at a time in order, not cblas_sdot: its order of summation depends on the CPU
         * OpenBLAS picks at run time, and a snapshot's scorer in any language must add the
         * same floats in the same order (docs/FORMAT.md, "Scoring"). */
        if (dense)
            for (uint32_t j = 0; j < s->dd; j++)
                z += s->dws[(size_t)j * st] * ex->dense[j];
    }
    if (s->base.params.bias)
        z += s->bws[0];
    return (double)z * s->pscale;
}

void rl_sgd_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    const sgd *s = (const sgd *)l;
    rl_loss_fill_pred(l->params.loss, score(s, ex), out);
}

/* Plain step with decay and clipping at one coordinate: w <- w (1 - step l2) - step g x. */
static inline void plain_reg(float *w, float c, float x, float decay, float clip)
{
    float v = *w * decay + c * x;
    *w = clip > 0 ? rl_clip_l1(v, clip) : v;
}

static inline void adagrad_coord(float *c, float gz, float x, float wt, float eta, float l1,
                                 float l2)
{
    float g = gz * x + l2 * c[0];
    if (g == 0)
        return;
    c[1] += wt * g * g;
    if (!(c[1] > 0)) /* g^2 underflowed: no usable rate yet */
        return;
    float r = eta / sqrtf(c[1]);
    float v = c[0] - r * g;
    c[0] = l1 > 0 ? rl_clip_l1(v, r * l1) : v;
}

static void fold_pscale(sgd *s)
{
    float f = (float)s->pscale;
    cblas_sscal((int)sgd_n_sparse(s), f, s->ws, 1);
    if (s->dws)
        cblas_sscal((int)s->dd, f, s->dws, 1);
    s->bws[0] *= f;
    s->pscale = 1;
}

/* w += c x over the example's features (stride 1): the plain step without decay or clipping. */
static void add_scaled(sgd *s, const rl_example *ex, float c, int dense)
{
    const uint32_t m = s->mask;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        s->ws[ex->feats[i].index & m] += c * ex->feats[i].value;
    if (dense)
        cblas_saxpy((int)s->dd, c, ex->dense, 1, s->dws, 1);
    if (s->base.params.bias)
        s->bws[0] += c;
}

static void learn_plain(sgd *s, const rl_example *ex, double wt, double d)
{
    const rl_learner_params *p = &s->base.params;
    const uint32_t m = s->mask;
    const int dense = ex->dense && s->dd > 0 && ex->n_dense == s->dd;
    float *w = s->ws;

    if (p->schedule == RL_SCHED_ADAGRAD) {
        float gz = (float)d, fw = (float)wt, eta = (float)(p->eta * s->base.lr_scale * wt);
        float l1 = (float)p->l1, l2 = (float)p->l2;
        for (uint32_t i = 0; i < ex->n_feats; i++)
            adagrad_coord(w + (size_t)(ex->feats[i].index & m) * 2, gz, ex->feats[i].value, fw, eta,
                          l1, l2);
        if (dense)
            for (uint32_t j = 0; j < s->dd; j++)
                adagrad_coord(s->dws + (size_t)j * 2, gz, ex->dense[j], fw, eta, l1, l2);
        if (p->bias)
            adagrad_coord(s->bws, gz, 1.0f, fw, eta, l1, l2);
        return;
    }

    if (p->schedule == RL_SCHED_PEGASOS) {
        /* w_{t+1} = (1 - eta_t l2) w_t - eta_t g x, eta_t = 1 / (l2 t), on w = pscale * v. */
        double tt = s->t + wt;
        double eta_t = 1.0 / (p->l2 * tt);
        double f = 1.0 - eta_t * wt * p->l2;
        if (f <= 0) {
            memset(s->ws, 0, sgd_n_sparse(s) * sizeof(float));
            if (s->dws)
                memset(s->dws, 0, (size_t)s->dd * sizeof(float));
            s->bws[0] = 0;
            s->pscale = 1;
        } else {
            s->pscale *= f;
        }
        if (d != 0)
            add_scaled(s, ex, (float)(-eta_t * wt * s->base.lr_scale * d / s->pscale), dense);
        if (s->pscale < 1e-6)
            fold_pscale(s);
        return;
    }

    double eta_t = p->eta;
    if (p->schedule == RL_SCHED_INVSCALING)
        eta_t = p->eta / pow(p->t0 + s->t, p->power_t);
    double step = eta_t * s->base.lr_scale * wt;
    float c = (float)(-step * d);
    if (p->l1 == 0 && p->l2 == 0) {
        /* The hot loop of constant-rate SGD: one multiply-add per active feature. */
        if (c != 0)
            add_scaled(s, ex, c, dense);
        return;
    }
    float decay = (float)(1.0 - step * p->l2);
    if (decay < 0)
        decay = 0;
    float clip = (float)(step * p->l1);
    for (uint32_t i = 0; i < ex->n_feats; i++)
        plain_reg(&w[ex->feats[i].index & m], c, ex->feats[i].value, decay, clip);
    if (dense) {
        if (clip == 0) {
            cblas_sscal((int)s->dd, decay, s->dws, 1);
            cblas_saxpy((int)s->dd, c, ex->dense, 1, s->dws, 1);
        } else {
            for (uint32_t j = 0; j < s->dd; j++)
                plain_reg(&s->dws[j], c, ex->dense[j], decay, clip);
        }
    }
    if (p->bias)
        plain_reg(&s->bws[0], c, 1.0f, decay, clip);
}

double rl_sgd_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    sgd *s = (sgd *)l;
    const rl_learner_params *p = &l->params;
    double z = score(s, ex);
    double y = ex->label, wt = ex->weight, d;
    double loss = rl_loss_eval(p->loss, z, y, &d, out);
    /* An unusable example (non-finite label, weight or feature value, which makes z non-finite;
     * a negative count for Poisson) must not poison the weights: predict only, report NAN so the
     * caller counts it. */
    if (!rl_ex_dense_ok(ex, s->dd) || !isfinite(z) || !isfinite(y) || !isfinite(wt) || wt < 0 ||
        (p->loss == RL_LOSS_POISSON && y < 0))
        return NAN;
    if (wt == 0)
        return loss;
    if (p->schedule == RL_SCHED_NORMALIZED)
        rl_sgd_learn_normalized(s, ex, z, y, wt, d, loss);
    else
        learn_plain(s, ex, wt, d);
    s->t += wt;
    l->updates++;
    return loss;
}

void rl_sgd_reset(rl_learner *l)
{
    rl_sgd_clear((sgd *)l);
}

static rl_err sgd_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                         size_t errstr_size)
{
    return rl_sgd_create_kind(p, &rl_learner_sgd_ops, RL_LEARNER_KIND_SGD, out, errstr,
                              errstr_size);
}

const struct rl_learner_ops rl_learner_sgd_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "sgd",
    .summary = "linear SGD: logistic/hinge/squared/poisson; default schedule normalized "
               "adaptive invariant (VW's), or constant/invscaling/adagrad/pegasos",
    .params = "loss schedule eta power_t t0 l1 l2 bias",
    .create = sgd_create,
    .predict = rl_sgd_predict,
    .learn = rl_sgd_learn,
    .reset = rl_sgd_reset,
    .export_state = rl_sgd_export,
    .import_state = rl_sgd_import,
    .weights = rl_sgd_weights,
    .set_weights = rl_sgd_set_weights,
    .scoring = rl_sgd_scoring,
    .destroy = rl_sgd_destroy,
    .prefetch = rl_sgd_prefetch,
    .import_state_from = rl_sgd_import_from,
};
