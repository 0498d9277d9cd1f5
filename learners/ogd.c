/* ogd.c - projected online gradient descent (Zinkevich 2003) on the logistic, hinge or squared
 * loss:
 *   w <- P_R(w - eta_t g_t),   eta_t = eta / sqrt(t) * R / G_t,   P_R: onto {w : |w|_2 <= R}
 * with t = 1 + the importance weight learned so far, g_t the loss's gradient at w (times the
 * example's importance weight) and G_t the largest gradient norm |dloss/dz| |x|_2 seen so far.
 * R / G is Zinkevich's own step scale (D / G: the domain's size over the gradients' bound), with
 * G measured as the stream goes instead of known in advance; so a step moves w by at most
 * eta R / sqrt(t), whatever the features' units. With the plain eta / sqrt(t) of the earlier
 * ogd, no single eta worked: the squared loss diverged on every stream of the suite with values
 * near 10 (flights RMSE 4e13 after 12 events), and a rate small enough for raw-scale features
 * (areas in the 1000s) learned nothing on unit-scale ones. The bounded domain is what makes the
 * textbook guarantee (regret O(R G sqrt(T))) hold: the whole vector, sparse, dense and bias,
 * stays within radius R, so |z| <= R |x|. Defaults eta 0.5, R 6 from measurements on the suite
 * (BENCHMARKS.md, "OGD").
 *
 * The projection is a rescaling of the whole vector, so the weights are kept as scale * v with
 * |v|^2 tracked as the touched coordinates change: a step costs O(active features), and the
 * projection O(1) (scale shrinks). When scale has shrunk below 1e-4 it is folded into v and |v|^2
 * recomputed, O(2^bits), rarely. Poisson and the other schedules are refused: OGD is this one
 * rule (sgd has the others).
 *
 * The state is its own kind (7): the unprojected squared-loss "ogd" of earlier versions (kind 4)
 * kept a different state, which this learner refuses by name. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/learner_impl.h"

/* Below this scale the weights are folded back into v, so v stays within float's comfortable
 * range (|v| <= R / scale). */
#define OGD_FOLD_BELOW 1e-4
/* A step that could move a coordinate of v by more than this (an importance weight near float's
 * limit, a radius near its bound) is refused, not applied: v is float. */
#define OGD_STEP_MAX 1e30

typedef struct ogd {
    rl_learner base; /* first */
    uint32_t mask;
    uint32_t dd;
    float *v;     /* 2^bits sparse | dd dense | 1 bias; the weights are scale * v */
    float *view;  /* scale * v for weights() */
    double scale; /* in (0, 1]: the projections so far */
    double sq;    /* |v|^2, kept as coordinates change */
    double t;     /* importance weight learned so far */
    double gmax;  /* G_t: the largest |dloss/dz| |x|_2 seen */
    double radius;
} ogd;

static size_t n_coords(const ogd *s)
{
    return (size_t)s->mask + 1 + s->dd + 1;
}

static void og_destroy(rl_learner *l)
{
    if (!l)
        return;
    ogd *s = (ogd *)l;
    free(s->v);
    free(s->view);
    free(s);
}

static void clear_state(ogd *s)
{
    memset(s->v, 0, n_coords(s) * sizeof(float));
    s->scale = 1;
    s->sq = 0;
    s->t = 0;
    s->gmax = 0;
    s->base.updates = 0;
}

static rl_err og_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                        size_t errstr_size)
{
    rl_err err = rl_learner_params_check_common(p, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (p->loss != RL_LOSS_LOGISTIC && p->loss != RL_LOSS_HINGE && p->loss != RL_LOSS_SQUARED)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ogd: loss %s not supported (allowed: logistic, hinge, squared)",
                          rl_loss_name(p->loss));
    /* The shared default (normalized) means "not chosen"; the rule is eta / sqrt(t), which is
     * invscaling with power_t 0.5 and t0 1, and nothing else. */
    if (p->schedule != RL_SCHED_NORMALIZED && p->schedule != RL_SCHED_INVSCALING)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ogd: schedule %s not supported (ogd steps eta / sqrt(t); use "
                          "learner=sgd for other schedules)",
                          rl_schedule_name(p->schedule));
    if (!(p->radius > 0) || !isfinite(p->radius))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ogd: radius=%g invalid (the L2 ball's radius, a finite number > 0)",
                          p->radius);
    ogd *s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    rl_learner_params q = *p;
    q.schedule = RL_SCHED_INVSCALING;
    q.power_t = 0.5;
    q.t0 = 1;
    rl_learner_base_init(&s->base, &rl_learner_ogd_ops, &q,
                         p->loss == RL_LOSS_SQUARED ? RL_TASK_REGRESSION : RL_TASK_BINARY);
    s->mask = rl_slot_mask(p->bits);
    s->dd = p->dense_dim;
    s->radius = p->radius;
    s->v = calloc(n_coords(s), sizeof(float));
    s->view = calloc(n_coords(s), sizeof(float));
    if (!s->v || !s->view)
        goto nomem;
    clear_state(s);
    *out = &s->base;
    return RL_OK;
nomem:
    og_destroy(s ? &s->base : NULL);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "ogd: cannot allocate 2^%u floats",
                      p->bits);
}

static int dense_used(const ogd *s, const rl_example *ex)
{
    return ex->dense && s->dd > 0 && ex->n_dense == s->dd;
}

static double og_score(const ogd *s, const rl_example *ex)
{
    const uint32_t m = s->mask;
    const float *v = s->v;
    float z = 0;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        z += v[ex->feats[i].index & m] * ex->feats[i].value;
    if (dense_used(s, ex))
        for (uint32_t j = 0; j < s->dd; j++)
            z += v[(size_t)m + 1 + j] * ex->dense[j];
    if (s->base.params.bias)
        z += v[(size_t)m + 1 + s->dd];
    return (double)z * s->scale;
}

static void og_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    rl_loss_fill_pred(l->params.loss, og_score((const ogd *)l, ex), out);
}

/* v[i] += c x, keeping |v|^2 up to date. */
static inline void step_coord(ogd *s, float *vi, float c, float x)
{
    double old = *vi;
    float nv = *vi + c * x;
    *vi = nv;
    s->sq += (double)nv * nv - old * old;
}

static void fold(ogd *s)
{
    const float f = (float)s->scale;
    double sq = 0;
    for (size_t i = 0, n = n_coords(s); i < n; i++) {
        s->v[i] *= f;
        sq += (double)s->v[i] * s->v[i];
    }
    s->scale = 1;
    s->sq = sq;
}

/* |scale v| <= R: shrink scale when the step left the ball. */
static void project(ogd *s)
{
    if (s->sq < 0) /* rounding in the running sum; |v|^2 is never below 0 */
        s->sq = 0;
    double norm = s->scale * sqrt(s->sq);
    if (norm > s->radius)
        s->scale *= s->radius / norm;
    if (s->scale < OGD_FOLD_BELOW)
        fold(s);
}

/* |x|_2 of ex, dense and bias included. */
static double x_norm(const ogd *s, const rl_example *ex)
{
    double n2 = s->base.params.bias ? 1 : 0;
    for (uint32_t i = 0; i < ex->n_feats; i++)
        n2 += (double)ex->feats[i].value * ex->feats[i].value;
    if (dense_used(s, ex))
        for (uint32_t j = 0; j < s->dd; j++)
            n2 += (double)ex->dense[j] * ex->dense[j];
    return sqrt(n2);
}

static double og_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    ogd *s = (ogd *)l;
    const rl_learner_params *p = &l->params;
    double z = og_score(s, ex);
    double y = ex->label, wt = ex->weight, d;
    double loss = rl_loss_eval(p->loss, z, y, &d, out);
    if (!rl_ex_dense_ok(ex, s->dd) || !isfinite(z) || !isfinite(y) || !isfinite(wt) || wt < 0)
        return NAN;
    if (wt == 0)
        return loss;
    double gn = fabs(d) * x_norm(s, ex);
    if (!isfinite(gn))
        return NAN;
    /* |c x_i| <= move / scale, as |d x_i| <= gn <= G. */
    double move = p->eta / sqrt(1.0 + s->t) * s->radius * wt * l->lr_scale;
    if (!(move / s->scale <= OGD_STEP_MAX))
        return NAN;
    if (gn > s->gmax)
        s->gmax = gn;
    if (gn > 0) {
        double c = -move * d / s->gmax / s->scale;
        const uint32_t m = s->mask;
        const float fc = (float)c;
        for (uint32_t i = 0; i < ex->n_feats; i++)
            step_coord(s, &s->v[ex->feats[i].index & m], fc, ex->feats[i].value);
        if (dense_used(s, ex))
            for (uint32_t j = 0; j < s->dd; j++)
                step_coord(s, &s->v[(size_t)m + 1 + j], fc, ex->dense[j]);
        if (p->bias)
            step_coord(s, &s->v[(size_t)m + 1 + s->dd], fc, 1.0f);
        project(s);
    }
    s->t += wt;
    l->updates++;
    return loss;
}

static void og_reset(rl_learner *l)
{
    clear_state((ogd *)l);
}

static rl_err og_export(const rl_learner *l, rl_buf *out)
{
    const ogd *s = (const ogd *)l;
    rl_learner_state_put_header(out, l, RL_LEARNER_KIND_OGD_PROJECTED, 1);
    rl_buf_put_f64(out, s->t);
    rl_buf_put_f64(out, s->scale);
    rl_buf_put_f64(out, s->sq);
    rl_buf_put_f64(out, s->gmax);
    rl_buf_put_f32s(out, s->v, n_coords(s));
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err og_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    ogd *s = (ogd *)l;
    rl_cursor r;
    uint64_t updates;
    rl_err err =
        rl_learner_state_open(&r, p, len, l, RL_LEARNER_KIND_OGD_PROJECTED, 1,
                              4 * 8 + n_coords(s) * sizeof(float), &updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    double t = rl_cursor_f64(&r), scale = rl_cursor_f64(&r), sq = rl_cursor_f64(&r),
           g = rl_cursor_f64(&r);
    if (!(t >= 0) || !isfinite(t) || !(scale > 0) || !(scale <= 1) || !(sq >= 0) || !isfinite(sq) ||
        !(g >= 0) || !isfinite(g))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "ogd state: invalid counters (t=%g scale=%g |v|^2=%g G=%g)", t, scale, sq,
                          g);
    /* Read into the view first: a state with a non-finite weight leaves the model as it was. */
    rl_cursor_f32s(&r, s->view, n_coords(s));
    for (size_t i = 0, n = n_coords(s); i < n; i++)
        if (!isfinite(s->view[i]))
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "ogd state: weight %zu is not finite", i);
    memcpy(s->v, s->view, n_coords(s) * sizeof(float));
    s->t = t;
    s->scale = scale;
    s->sq = sq;
    s->gmax = g;
    l->updates = updates;
    return RL_OK;
}

static void og_weights(const rl_learner *l, rl_weights *out)
{
    const ogd *s = (const ogd *)l;
    const float f = (float)s->scale;
    for (size_t i = 0, n = n_coords(s); i < n; i++)
        s->view[i] = s->v[i] * f;
    rl_learner_weights_view(out, s->view, (size_t)s->mask + 1, s->dd);
}

/* og_score() sums v in float and multiplies by scale in double: publish both (rl_scoring). */
static void og_scoring(const rl_learner *l, rl_scoring *out)
{
    const ogd *s = (const ogd *)l;
    rl_learner_weights_view(&out->w, s->v, (size_t)s->mask + 1, s->dd);
    out->score_scale = s->scale;
}

static rl_err og_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    ogd *s = (ogd *)l;
    rl_err err = rl_learner_weights_check(l, w, 1, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    clear_state(s);
    size_t n = (size_t)s->mask + 1;
    memcpy(s->v, w->w, n * sizeof(float));
    if (s->dd)
        memcpy(s->v + n, w->dense, s->dd * sizeof(float));
    s->v[n + s->dd] = w->bias[0];
    for (size_t i = 0; i < n_coords(s); i++) {
        if (!isfinite(s->v[i])) {
            clear_state(s);
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "ogd set_weights: weight %zu is not finite", i);
        }
        s->sq += (double)s->v[i] * s->v[i];
    }
    /* Published weights from a learner with a larger radius start inside this one's ball. */
    project(s);
    return RL_OK;
}

const struct rl_learner_ops rl_learner_ogd_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "ogd",
    .summary = "projected online gradient descent: logistic/hinge/squared, steps eta/sqrt(t) "
               "(in units of radius / largest gradient), weights kept in an L2 ball of radius",
    .params = "loss eta radius bias",
    .create = og_create,
    .predict = og_predict,
    .learn = og_learn,
    .reset = og_reset,
    .export_state = og_export,
    .import_state = og_import,
    .weights = og_weights,
    .set_weights = og_set_weights,
    .scoring = og_scoring,
    .destroy = og_destroy,
};
