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
#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "learners/learner_impl.h"

typedef struct sgd {
    rl_learner base; /* first: sqlite-style subclassing */
    int kind;
    uint32_t mask;
    uint32_t stride;       /* floats per coordinate: 4 normalized, 2 adagrad, 1 otherwise */
    uint32_t dd;           /* dense_dim */
    float *ws;             /* (mask + 1) * stride */
    size_t ws_map;         /* bytes mapped for ws by state_alloc, or 0 when it came from calloc */
    int caller_prefetches; /* rl_sgd_prefetch was called: score() leaves prefetching to it */
    float *dws;            /* dd * stride, or NULL */
    float bws[4];          /* the bias coordinate */
    float *view;       /* contiguous weights for weights() when stride > 1 or pegasos; else NULL */
    double t;          /* importance weight learned so far (schedule time) */
    double sum_norm_x; /* normalized: sum of weight * sum_i (x_i / N_i)^2 */
    double total_weight; /* normalized: sum of weights over updates */
    double pscale;       /* pegasos: the true weights are pscale * ws */
} sgd;

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

static size_t n_sparse(const sgd *s)
{
    return (size_t)s->mask + 1;
}

static void clear_state(sgd *s)
{
    memset(s->ws, 0, n_sparse(s) * s->stride * sizeof(float));
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
    rl_err err = rl_lparams_check_common(p, errstr, errstr_size);
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
    rl_lbase_init(&s->base, ops, p,
                  (p->loss == RL_LOSS_SQUARED || p->loss == RL_LOSS_POISSON) ? RL_TASK_REGRESSION
                                                                             : RL_TASK_BINARY);
    s->kind = kind;
    s->mask = rl_lmask(p->bits);
    s->stride = stride_of(p->schedule);
    s->dd = p->dense_dim;
    s->ws = state_alloc(n_sparse(s) * s->stride, &s->ws_map);
    if (!s->ws)
        goto nomem;
    if (s->dd > 0) {
        s->dws = calloc((size_t)s->dd * s->stride, sizeof(float));
        if (!s->dws)
            goto nomem;
    }
    if (s->stride > 1 || p->schedule == RL_SCHED_PEGASOS) {
        s->view = calloc(n_sparse(s) + s->dd + 1, sizeof(float));
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

/* w * x, with x clipped to the coordinate's scale N once N is known: equal to the rescaled
 * weight w * N / |x| times x. */
static inline float norm_term(const float *c, float x)
{
    float n = c[2];
    if (n > 0 && fabsf(x) > n)
        return c[0] * copysignf(n, x);
    return c[0] * x;
}

#if defined(__SSE2__)
int rl_sgd_simd = 1;

/* z plus norm_term of four features, added one at a time in feature order: bitwise the scalar
 * loop, without its data-dependent branch (whether x is beyond the coordinate's scale). */
static inline float norm_score_x4(const float *ws, uint32_t m, const rl_feature *f, float z)
{
    __m128 w = _mm_loadu_ps(ws + (size_t)(f[0].index & m) * 4),
           g = _mm_loadu_ps(ws + (size_t)(f[1].index & m) * 4),
           n = _mm_loadu_ps(ws + (size_t)(f[2].index & m) * 4),
           r = _mm_loadu_ps(ws + (size_t)(f[3].index & m) * 4);
    _MM_TRANSPOSE4_PS(w, g, n, r);
    (void)g;
    (void)r;
    const __m128 x = _mm_setr_ps(f[0].value, f[1].value, f[2].value, f[3].value);
    const __m128 sign = _mm_set1_ps(-0.0f);
    const __m128 xa = _mm_andnot_ps(sign, x);
    /* N > 0 and |x| > N: copysign(N, x) (N >= 0, so N | sign(x)); else x. */
    const __m128 clip = _mm_and_ps(_mm_cmpgt_ps(n, _mm_setzero_ps()), _mm_cmpgt_ps(xa, n));
    const __m128 xn = _mm_or_ps(n, _mm_and_ps(sign, x));
    float t[4];
    _mm_storeu_ps(t, _mm_mul_ps(w, _mm_or_ps(_mm_and_ps(clip, xn), _mm_andnot_ps(clip, x))));
    z += t[0];
    z += t[1];
    z += t[2];
    z += t[3];
    return z;
}
#endif

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
        /* Normalized: predict with the weights as the update's first pass is about to rescale
         * them, i.e. a value beyond the coordinate's known scale N counts as N (VW predicts with
         * the stale weight here, so one unusually large value gives a wild prediction). */
        uint32_t i = 0;
#if defined(__SSE2__)
        if (rl_sgd_simd)
            for (; i + 4 <= ex->n_feats; i += 4)
                z = norm_score_x4(w, m, ex->feats + i, z);
#endif
        for (; i < ex->n_feats; i++)
            z += norm_term(w + (size_t)(ex->feats[i].index & m) * 4, ex->feats[i].value);
        if (dense)
            for (uint32_t j = 0; j < s->dd; j++)
                z += norm_term(s->dws + (size_t)j * 4, ex->dense[j]);
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

/* One coordinate of the normalized rule's first pass (VW's pred_per_update_feature). */
static inline void norm_pass1(float *c, float x, float g2, float *norm_x, float *ppu)
{
    float xa = fabsf(x);
    float x2 = x * x;
    /* G saturates rather than turn inf (an inf G makes a NaN of this coordinate's norm term) */
    float g = c[1] + g2 * x2;
    c[1] = g <= FLT_MAX ? g : FLT_MAX;
    if (xa > c[2]) {
        if (c[2] > 0)
            c[0] *= c[2] / xa; /* as if the new scale had always been the scale */
        c[2] = xa;
    }
    if (c[1] > 0) {
        /* rate = 1 / (sqrt(G) N); (x / N)^2 = x^2 rate^2 G: one division per feature. */
        float rate = 1.0f / (sqrtf(c[1]) * c[2]);
        c[3] = rate;
        *norm_x += x2 * rate * rate * c[1];
        *ppu += x2 * rate;
    } else {
        /* A gradient so small that G is still 0 gives this coordinate no step (not an inf). */
        float r = xa / c[2];
        c[3] = 0.0f;
        *norm_x += r * r;
    }
}

/* Second pass: the step, then L2 decay and L1 clipping at that coordinate's own rate. */
static inline void norm_pass2(float *c, float x, float u, float rate, float l1, float l2)
{
    c[0] += u * x * c[3];
    if (l2 > 0) {
        float f = 1.0f - rate * c[3] * l2;
        c[0] *= f > 0 ? f : 0;
    }
    if (l1 > 0) {
        c[0] = rl_clip_l1(c[0], rate * c[3] * l1);
    }
}

#if defined(__SSE2__)

/* norm_pass1 on four coordinates at once, the same operations in the same order lane by lane
 * (SSE has no fused multiply-add and rounds sqrt and division exactly, as scalar code does), so
 * the result is bitwise the scalar one; it does one sqrt and one division where the scalar code
 * does four, and those two were most of the pass. The per-feature sums are then added to
 * norm_x and ppu one lane at a time, in feature order. Returns 0 without touching anything when
 * the group cannot be done this way: a zero value (the scalar pass skips it) or the same
 * coordinate twice (the second must see the first's update). */
static int norm_pass1_x4(float *ws, uint32_t m, const rl_feature *f, float g2, float *norm_x,
                         float *ppu)
{
    const uint32_t i0 = f[0].index & m, i1 = f[1].index & m, i2 = f[2].index & m,
                   i3 = f[3].index & m;
    if (i0 == i1 || i0 == i2 || i0 == i3 || i1 == i2 || i1 == i3 || i2 == i3)
        return 0;
    const __m128 x = _mm_setr_ps(f[0].value, f[1].value, f[2].value, f[3].value);
    const __m128 zero = _mm_setzero_ps();
    if (_mm_movemask_ps(_mm_cmpeq_ps(x, zero)) != 0)
        return 0;
    float *c0 = ws + (size_t)i0 * 4, *c1 = ws + (size_t)i1 * 4, *c2 = ws + (size_t)i2 * 4,
          *c3 = ws + (size_t)i3 * 4;
    /* Rows are coordinates {w, G, N, rate}; transposed, each register holds one field. */
    __m128 w = _mm_loadu_ps(c0), g = _mm_loadu_ps(c1), n = _mm_loadu_ps(c2), r = _mm_loadu_ps(c3);
    _MM_TRANSPOSE4_PS(w, g, n, r);
    const __m128 xa = _mm_andnot_ps(_mm_set1_ps(-0.0f), x);
    const __m128 x2 = _mm_mul_ps(x, x);
    g = _mm_min_ps(_mm_add_ps(g, _mm_mul_ps(_mm_set1_ps(g2), x2)), _mm_set1_ps(FLT_MAX));
    /* xa > N: rescale w (when N > 0) and take the new scale. */
    const __m128 grow = _mm_cmpgt_ps(xa, n);
    const __m128 resc = _mm_and_ps(grow, _mm_cmpgt_ps(n, zero));
    const __m128 wr = _mm_mul_ps(w, _mm_div_ps(n, xa));
    w = _mm_or_ps(_mm_and_ps(resc, wr), _mm_andnot_ps(resc, w));
    n = _mm_or_ps(_mm_and_ps(grow, xa), _mm_andnot_ps(grow, n));
    /* G > 0: rate = 1 / (sqrt(G) N); else no step for this coordinate. */
    const __m128 gpos = _mm_cmpgt_ps(g, zero);
    const __m128 rate = _mm_div_ps(_mm_set1_ps(1.0f), _mm_mul_ps(_mm_sqrt_ps(g), n));
    r = _mm_and_ps(gpos, rate);
    const __m128 x2r = _mm_mul_ps(x2, rate);
    const __m128 nx_pos = _mm_mul_ps(_mm_mul_ps(x2r, rate), g);
    const __m128 q = _mm_div_ps(xa, n);
    const __m128 nx_zero = _mm_mul_ps(q, q);
    float nx[4], pp[4];
    _mm_storeu_ps(nx, _mm_or_ps(_mm_and_ps(gpos, nx_pos), _mm_andnot_ps(gpos, nx_zero)));
    /* A lane with G = 0 adds +0 to ppu, which leaves it unchanged (ppu >= +0). */
    _mm_storeu_ps(pp, _mm_and_ps(gpos, x2r));
    _MM_TRANSPOSE4_PS(w, g, n, r);
    _mm_storeu_ps(c0, w);
    _mm_storeu_ps(c1, g);
    _mm_storeu_ps(c2, n);
    _mm_storeu_ps(c3, r);
    float sx = *norm_x, sp = *ppu;
    for (int k = 0; k < 4; k++) {
        sx += nx[k];
        sp += pp[k];
    }
    *norm_x = sx;
    *ppu = sp;
    return 1;
}
#endif

static void learn_normalized(sgd *s, const rl_example *ex, double z, double y, double wt, double d,
                             double loss)
{
    const rl_learner_params *p = &s->base.params;
    float g2 = (float)(wt * d * d);
    /* VW skips when the gradient vanishes; so must we, before G or N change. */
    if (loss <= 0 || !(g2 > 0) || !isfinite(g2))
        return;
    const uint32_t m = s->mask;
    const int dense = ex->dense && s->dd > 0 && ex->n_dense == s->dd;
    float norm_x = 0, ppu = 0;
    uint32_t i = 0;
#if defined(__SSE2__)
    if (rl_sgd_simd)
        for (; i + 4 <= ex->n_feats; i += 4)
            if (!norm_pass1_x4(s->ws, m, ex->feats + i, g2, &norm_x, &ppu))
                for (uint32_t k = i; k < i + 4; k++)
                    if (ex->feats[k].value != 0)
                        norm_pass1(s->ws + (size_t)(ex->feats[k].index & m) * 4, ex->feats[k].value,
                                   g2, &norm_x, &ppu);
#endif
    for (; i < ex->n_feats; i++) {
        float x = ex->feats[i].value;
        if (x != 0)
            norm_pass1(s->ws + (size_t)(ex->feats[i].index & m) * 4, x, g2, &norm_x, &ppu);
    }
    if (dense)
        for (uint32_t j = 0; j < s->dd; j++)
            if (ex->dense[j] != 0)
                norm_pass1(s->dws + (size_t)j * 4, ex->dense[j], g2, &norm_x, &ppu);
    if (p->bias)
        norm_pass1(s->bws, 1.0f, g2, &norm_x, &ppu);
    /* Only a value beyond RL_FEATURE_VALUE_MAX (from a caller that skipped the readers' checks)
     * can make this inf: skip the event rather than make the counters NaN for good. */
    if (!isfinite(norm_x))
        return;
    s->sum_norm_x += wt * norm_x;
    s->total_weight += wt;
    if (!(s->sum_norm_x > 0))
        return;
    float mult = sqrtf((float)(s->total_weight / s->sum_norm_x));
    ppu *= mult;
    if (!(ppu > 0) || !isfinite(ppu))
        return;
    double scale = p->eta * s->base.lr_scale * wt;
    float u = (float)(rl_loss_invariant_update(p->loss, z, y, scale, ppu) * mult);
    if (!isfinite(u))
        return;
    float rate = (float)(scale * mult), l1 = (float)p->l1, l2 = (float)p->l2;
    if (l1 == 0 && l2 == 0) {
        /* The default: the step alone, c[0] += u x c[3] (x = 0 leaves c[0] as it is, -0 too). */
        float *ws = s->ws;
        for (i = 0; i < ex->n_feats; i++) {
            float x = ex->feats[i].value;
            float *c = ws + (size_t)(ex->feats[i].index & m) * 4;
            if (x != 0)
                c[0] += u * x * c[3];
        }
    } else {
        for (i = 0; i < ex->n_feats; i++) {
            float x = ex->feats[i].value;
            if (x != 0)
                norm_pass2(s->ws + (size_t)(ex->feats[i].index & m) * 4, x, u, rate, l1, l2);
        }
    }
    if (dense)
        for (uint32_t j = 0; j < s->dd; j++)
            if (ex->dense[j] != 0)
                norm_pass2(s->dws + (size_t)j * 4, ex->dense[j], u, rate, l1, l2);
    if (p->bias)
        norm_pass2(s->bws, 1.0f, u, rate, l1, l2);
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
    cblas_sscal((int)n_sparse(s), f, s->ws, 1);
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
            memset(s->ws, 0, n_sparse(s) * sizeof(float));
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
        learn_normalized(s, ex, z, y, wt, d, loss);
    else
        learn_plain(s, ex, wt, d);
    s->t += wt;
    l->updates++;
    return loss;
}

void rl_sgd_reset(rl_learner *l)
{
    clear_state((sgd *)l);
}

static size_t state_floats(const sgd *s)
{
    return (n_sparse(s) + s->dd + 1) * s->stride;
}

rl_err rl_sgd_export(const rl_learner *l, rl_buf *out)
{
    const sgd *s = (const sgd *)l;
    rl_lstate_put_header(out, l, (enum rl_lkind)s->kind, 1);
    rl_buf_put_f64(out, s->t);
    rl_buf_put_f64(out, s->sum_norm_x);
    rl_buf_put_f64(out, s->total_weight);
    rl_buf_put_f64(out, s->pscale);
    rl_buf_put_f32s(out, s->ws, n_sparse(s) * s->stride);
    if (s->dd)
        rl_buf_put_f32s(out, s->dws, (size_t)s->dd * s->stride);
    rl_buf_put_f32s(out, s->bws, s->stride);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

/* The header and the four counters that open a state (r positioned after them), checked
 * against s before anything of s changes; need: the bytes p must hold after the header. */
static rl_err open_state(sgd *s, rl_rd *r, const void *p, size_t len, size_t need, double c[4],
                         uint64_t *updates, char *errstr, size_t errstr_size)
{
    const rl_learner *l = &s->base;
    rl_err err =
        rl_lstate_open(r, p, len, l, (enum rl_lkind)s->kind, 1, need, updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    for (int i = 0; i < 4; i++)
        c[i] = rl_rd_f64(r);
    if (!(c[0] >= 0) || !(c[1] >= 0) || !(c[2] >= 0) || !(c[3] > 0) ||
        !isfinite(c[0] + c[1] + c[2] + c[3]))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s state: invalid counters (t=%g sum_norm_x=%g total_weight=%g "
                          "scale=%g)",
                          l->ops->name, c[0], c[1], c[2], c[3]);
    return RL_OK;
}

static void set_counters(sgd *s, const double c[4], uint64_t updates)
{
    s->t = c[0];
    s->sum_norm_x = c[1];
    s->total_weight = c[2];
    s->pscale = c[3];
    s->base.updates = updates;
}

static size_t state_len(const sgd *s)
{
    return RL_LSTATE_HEADER_LEN + 4 * 8 + state_floats(s) * sizeof(float);
}

rl_err rl_sgd_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    sgd *s = (sgd *)l;
    rl_rd r;
    uint64_t updates;
    double c[4];
    rl_err err = open_state(s, &r, p, len, state_len(s) - RL_LSTATE_HEADER_LEN, c, &updates, errstr,
                            errstr_size);
    if (err != RL_OK)
        return err;
    set_counters(s, c, updates);
    rl_rd_f32s(&r, s->ws, n_sparse(s) * s->stride);
    if (s->dd)
        rl_rd_f32s(&r, s->dws, (size_t)s->dd * s->stride);
    rl_rd_f32s(&r, s->bws, s->stride);
    return RL_OK;
}

/* The sparse state, the bulk of it, is read from src straight into ws: its bytes are
 * little-endian floats, which on a little-endian host is ws's own layout. */
rl_err rl_sgd_import_from(rl_learner *l, const rl_src *src, size_t len, char *errstr,
                          size_t errstr_size)
{
    sgd *s = (sgd *)l;
    uint8_t head[RL_LSTATE_HEADER_LEN + 4 * 8];
    size_t bulk = n_sparse(s) * s->stride * sizeof(float);
    size_t tail = ((size_t)s->dd + 1) * s->stride * sizeof(float);
    rl_rd r;
    uint64_t updates;
    double c[4];
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    bulk = 0; /* byte order differs: everything goes through rl_rd below */
    tail = state_len(s) - sizeof(head);
#endif
    if (len != state_len(s))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s state: %zu bytes, expected %zu for bits=%u dense_dim=%u",
                          l->ops->name, len, state_len(s), l->params.bits, l->params.dense_dim);
    rl_err err = src->read(src->ctx, head, sizeof(head), errstr, errstr_size);
    if (err != RL_OK)
        return err;
    err = open_state(s, &r, head, sizeof(head), 4 * 8, c, &updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (bulk && (err = src->read(src->ctx, s->ws, bulk, errstr, errstr_size)) != RL_OK)
        return err;
    uint8_t *rest = malloc(tail);
    if (!rest)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s state: out of memory",
                          l->ops->name);
    err = src->read(src->ctx, rest, tail, errstr, errstr_size);
    if (err == RL_OK) {
        rl_rd_init(&r, rest, tail);
        if (!bulk)
            rl_rd_f32s(&r, s->ws, n_sparse(s) * s->stride);
        if (s->dd)
            rl_rd_f32s(&r, s->dws, (size_t)s->dd * s->stride);
        rl_rd_f32s(&r, s->bws, s->stride);
        set_counters(s, c, updates);
    }
    free(rest);
    return err;
}

void rl_sgd_weights(const rl_learner *l, rl_weights *out)
{
    const sgd *s = (const sgd *)l;
    out->n_sparse = n_sparse(s);
    out->dense_dim = s->dd;
    out->n_rows = 1;
    if (!s->view) {
        out->w = s->ws;
        out->dense = s->dws;
        out->bias = s->bws;
        return;
    }
    /* view is a cache owned by the learner: filling it does not change the model. */
    float *v = s->view, f = (float)s->pscale;
    size_t n = n_sparse(s), st = s->stride;
    for (size_t i = 0; i < n; i++)
        v[i] = s->ws[i * st] * f;
    for (size_t j = 0; j < s->dd; j++)
        v[n + j] = s->dws[j * st] * f;
    v[n + s->dd] = s->bws[0] * f;
    rl_lweights_view(out, v, n, s->dd);
}

void rl_sgd_scoring(const rl_learner *l, rl_scoring *out)
{
    const sgd *s = (const sgd *)l;
    if (l->params.schedule == RL_SCHED_PEGASOS) {
        /* score() sums the unscaled floats and multiplies by pscale in double: publish both. */
        out->w.w = s->ws;
        out->w.n_sparse = n_sparse(s);
        out->w.dense = s->dws;
        out->w.dense_dim = s->dd;
        out->w.bias = s->bws;
        out->w.n_rows = 1;
        out->score_scale = s->pscale;
        return;
    }
    rl_sgd_weights(l, &out->w);
    if (s->stride == 4) {
        /* Normalized: score() clips each value to its coordinate's scale N, never the bias. */
        out->scale_sparse = s->ws + 2;
        out->scale_dense = s->dws ? s->dws + 2 : NULL;
        out->scale_stride = 4;
    }
}

rl_err rl_sgd_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    sgd *s = (sgd *)l;
    rl_err err = rl_lweights_check(l, w, 1, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    clear_state(s);
    size_t n = n_sparse(s), st = s->stride;
    for (size_t i = 0; i < n; i++)
        s->ws[i * st] = w->w[i];
    for (size_t j = 0; j < s->dd; j++)
        s->dws[j * st] = w->dense[j];
    s->bws[0] = w->bias[0];
    /* Pegasos at t = 0 decays the weights by (1 - 1/1) = 0 on the first step: the algorithm
     * ignores its start. From published weights resume where its step is eta instead,
     * 1 / (l2 t) = eta, so they decay gently. */
    if (l->params.schedule == RL_SCHED_PEGASOS)
        s->t = 1.0 / (l->params.l2 * l->params.eta);
    return RL_OK;
}

static rl_err sgd_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                         size_t errstr_size)
{
    return rl_sgd_create_kind(p, &rl_learner_sgd_ops, RL_LKIND_SGD, out, errstr, errstr_size);
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
