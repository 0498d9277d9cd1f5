/* sgd_normalized.c - the sgd engine's default schedule, "normalized": Vowpal Wabbit's
 * adaptive + normalized + importance-invariant rule, with the three departures sgd.c's header
 * states. Each coordinate keeps {w, G, N, rate} adjacent; with SSE2 the prediction and the
 * first pass take four coordinates at a time, bitwise the same as one at a time. */
#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif
#include <float.h>
#include <math.h>

#include "learners/sgd_int.h"

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
/* 1: four coordinates at a time (bitwise the scalar loops); 0: the scalar loops only. */
static int use_simd = 1;

void rl_sgd_test_set_simd(int on)
{
    use_simd = on;
}

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

/* The prediction of the normalized rule: with the weights as the update's first pass is about
 * to rescale them. */
float rl_sgd_norm_score(const sgd *s, const rl_example *ex, int dense)
{
    const float *w = s->ws;
    const uint32_t m = s->mask;
    float z = 0;
    /* Normalized: predict with the weights as the update's first pass is about to rescale
     * them, i.e. a value beyond the coordinate's known scale N counts as N (VW predicts with
     * the stale weight here, so one unusually large value gives a wild prediction). */
    uint32_t i = 0;
#if defined(__SSE2__)
    if (use_simd)
        for (; i + 4 <= ex->n_feats; i += 4)
            z = norm_score_x4(w, m, ex->feats + i, z);
#endif
    for (; i < ex->n_feats; i++)
        z += norm_term(w + (size_t)(ex->feats[i].index & m) * 4, ex->feats[i].value);
    if (dense)
        for (uint32_t j = 0; j < s->dd; j++)
            z += norm_term(s->dws + (size_t)j * 4, ex->dense[j]);
    return z;
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

void rl_sgd_learn_normalized(sgd *s, const rl_example *ex, double z, double y, double wt, double d,
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
    if (use_simd)
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
