/* eddm.c - Early Drift Detection Method (Baena-Garcia et al. 2006), as MOA implements it.
 *
 * Input: 1 = mistake, 0 = right (anything else is refused). EDDM watches the distance between
 * consecutive mistakes: its running mean m and standard deviation s. While a model improves,
 * mistakes grow further apart and m + 2s rises; its maximum is remembered. When errors crowd
 * together again the ratio (m + 2s) / max falls:
 *   warning when ratio < alpha (0.95), drift when ratio < beta (0.9).
 * Only mistakes move the statistics, and the test runs only once more than min_errors (30)
 * mistakes have been seen since the last drift and at least min_n (30) values. So on a stream with
 * few errors EDDM is silent for a long time: at a 1% error rate it cannot fire before roughly
 * 3000 values after start or after each drift. That is the published behaviour, not a fault.
 * A warning holds until the next mistake re-evaluates it; after a drift all statistics restart. */
#include <math.h>
#include <stdlib.h>

#include "drift/params.h"

enum { P_ALPHA, P_BETA, P_MIN_ERRORS, P_MIN_N, P__COUNT };

static const rl_param_spec eddm_spec[P__COUNT] = {
    [P_ALPHA] = {"alpha", RL_PARAM_REAL, 0, 1, 1, 1, 0.95, NULL},
    [P_BETA] = {"beta", RL_PARAM_REAL, 0, 1, 1, 1, 0.9, NULL},
    [P_MIN_ERRORS] = {"min_errors", RL_PARAM_INT, 1, 1e9, 0, 0, 30, NULL},
    [P_MIN_N] = {"min_n", RL_PARAM_INT, 1, 1e9, 0, 0, 30, NULL},
};

#define EDDM_MAGIC 0x4d444445u /* "EDDM" */

typedef struct eddm {
    rl_det_base base;
    double pv[P__COUNT];
    uint64_t min_errors, min_n;
    uint64_t count;      /* values since the last drift */
    uint64_t n_errors;   /* mistakes since the last drift */
    uint64_t last_error; /* position (count) of the previous mistake; 0 = none yet */
    double mean;         /* running mean of the distance between mistakes */
    double m2;           /* Welford's sum of squared deviations of that distance */
    double m2s_max;      /* largest mean + 2 std seen */
    double ratio;        /* (mean + 2 std) / m2s_max at the last test; 1 before any */
    int warning;         /* the last mistake left us in the warning zone */
} eddm;

static void eddm_clear(eddm *d)
{
    d->count = 0;
    d->n_errors = 0;
    d->last_error = 0;
    d->mean = 0;
    d->m2 = 0;
    d->m2s_max = 0;
    d->ratio = 1;
    d->warning = 0;
}

static rl_err eddm_create(const rl_kv *params, size_t n_params, rl_detector **out, char *errstr,
                          size_t errstr_size)
{
    double pv[P__COUNT];
    rl_err e = rl_drift_params_parse("eddm", eddm_spec, P__COUNT, params, n_params, pv, errstr,
                                     errstr_size);
    if (e != RL_OK)
        return e;
    if (!(pv[P_BETA] <= pv[P_ALPHA]))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "eddm: beta=%g (drift level) must not exceed alpha=%g (warning level)",
                          pv[P_BETA], pv[P_ALPHA]);
    eddm *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "eddm: out of memory");
    d->base.pub.ops = &rl_drift_eddm_ops;
    for (int i = 0; i < P__COUNT; i++)
        d->pv[i] = pv[i];
    d->min_errors = (uint64_t)pv[P_MIN_ERRORS];
    d->min_n = (uint64_t)pv[P_MIN_N];
    eddm_clear(d);
    *out = &d->base.pub;
    return RL_OK;
}

static rl_err eddm_update(rl_detector *det, double x, rl_drift_state *state)
{
    eddm *d = (eddm *)det;
    if (x != 0.0 && x != 1.0)
        return RL_ERR_INVALID_ARG;
    d->count++;
    if (x == 0.0) {
        *state = d->warning ? RL_DRIFT_WARNING : RL_DRIFT_STABLE;
        return RL_OK;
    }
    d->warning = 0;
    d->n_errors++;
    double distance = (double)(d->count - d->last_error);
    d->last_error = d->count;
    double old_mean = d->mean;
    d->mean += (distance - d->mean) / (double)d->n_errors;
    d->m2 += (distance - d->mean) * (distance - old_mean);
    double m2s = d->mean + 2.0 * sqrt(d->m2 / (double)d->n_errors);
    *state = RL_DRIFT_STABLE;
    if (d->count < d->min_n)
        return RL_OK;
    if (m2s > d->m2s_max) {
        d->m2s_max = m2s;
        d->ratio = 1;
        return RL_OK;
    }
    d->ratio = m2s / d->m2s_max;
    if (d->n_errors <= d->min_errors)
        return RL_OK;
    if (d->ratio < d->pv[P_BETA]) {
        *state = RL_DRIFT_DRIFT;
        eddm_clear(d);
    } else if (d->ratio < d->pv[P_ALPHA]) {
        d->warning = 1;
        *state = RL_DRIFT_WARNING;
    }
    return RL_OK;
}

static double eddm_statistic(const rl_detector *det, const char **name)
{
    if (name)
        *name = "m2s_ratio";
    return ((const eddm *)det)->ratio;
}

static void eddm_reset(rl_detector *det)
{
    eddm_clear((eddm *)det);
}

static rl_err eddm_export(const rl_detector *det, rl_buf *out)
{
    const eddm *d = (const eddm *)det;
    rl_drift_state_put_header(out, EDDM_MAGIC, d->pv, P__COUNT);
    rl_buf_put_u64(out, d->count);
    rl_buf_put_u64(out, d->n_errors);
    rl_buf_put_u64(out, d->last_error);
    rl_buf_put_f64(out, d->mean);
    rl_buf_put_f64(out, d->m2);
    rl_buf_put_f64(out, d->m2s_max);
    rl_buf_put_f64(out, d->ratio);
    rl_buf_put_u8(out, (uint8_t)d->warning);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err eddm_import(rl_detector *det, const void *p, size_t len, char *errstr,
                          size_t errstr_size)
{
    eddm *d = (eddm *)det;
    rl_cursor r;
    rl_cursor_init(&r, p, len);
    rl_err e = rl_drift_state_check_header(&r, "eddm", EDDM_MAGIC, eddm_spec, d->pv, P__COUNT,
                                           errstr, errstr_size);
    if (e != RL_OK)
        return e;
    eddm t = *d;
    t.count = rl_cursor_u64(&r);
    t.n_errors = rl_cursor_u64(&r);
    t.last_error = rl_cursor_u64(&r);
    t.mean = rl_cursor_f64(&r);
    t.m2 = rl_cursor_f64(&r);
    t.m2s_max = rl_cursor_f64(&r);
    t.ratio = rl_cursor_f64(&r);
    uint8_t warning = rl_cursor_u8(&r);
    if (!rl_cursor_ok(&r, 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "eddm: state is truncated or has trailing bytes (%zu bytes)", len);
    if (t.n_errors > t.count || t.last_error > t.count || warning > 1 || !(t.mean >= 0) ||
        !(t.m2 >= 0) || !(t.m2s_max >= 0) || !isfinite(t.ratio))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "eddm: state holds impossible statistics");
    t.warning = warning;
    *d = t;
    return RL_OK;
}

static size_t eddm_format(const rl_detector *det, char *out, size_t out_size)
{
    return rl_drift_params_format(eddm_spec, P__COUNT, ((const eddm *)det)->pv, out, out_size);
}

static void eddm_destroy(rl_detector *det)
{
    free(det);
}

const struct rl_detector_ops rl_drift_eddm_ops = {
    .version = RL_DETECTOR_OPS_VERSION,
    .name = "eddm",
    .summary = "EDDM, distance between mistakes (input 0/1 mistakes; silent until 30 mistakes); "
               "alpha=0.95 beta=0.9 min_errors=30 min_n=30",
    .create = eddm_create,
    .update = eddm_update,
    .statistic = eddm_statistic,
    .reset = eddm_reset,
    .export_state = eddm_export,
    .import_state = eddm_import,
    .format_params = eddm_format,
    .destroy = eddm_destroy,
};
