/* ddm.c - Drift Detection Method (Gama, Medas, Castillo, Rodrigues 2004).
 *
 * Watches the error rate p of a classifier (input 1 = mistake, 0 = right; anything else is
 * refused) with its binomial standard deviation s = sqrt(p(1-p)/n). It remembers the point where
 * p + s was lowest (p_min, s_min) and signals
 *   warning when p + s > p_min + warning * s_min,
 *   drift   when p + s > p_min + drift   * s_min,
 * both strictly: with >=, a stream of nothing but errors (s = 0) would fire forever. No test runs
 * before min_n values (the estimate is too noisy). Defaults are the paper's and River's/MOA's:
 * min_n 30, warning 2, drift 3. After a drift the statistics restart from nothing. */
#include <math.h>
#include <stdlib.h>

#include "drift/params.h"

enum { P_MIN_N, P_WARNING, P_DRIFT, P__COUNT };

static const rl_param_spec ddm_spec[P__COUNT] = {
    [P_MIN_N] = {"min_n", RL_PARAM_INT, 1, 1e9, 0, 0, 30, NULL},
    [P_WARNING] = {"warning", RL_PARAM_REAL, 0, 100, 1, 0, 2, NULL},
    [P_DRIFT] = {"drift", RL_PARAM_REAL, 0, 100, 1, 0, 3, NULL},
};

#define DDM_MAGIC 0x314d4444u /* "DDM1" */

typedef struct ddm {
    rl_det_base base;
    double pv[P__COUNT];
    uint64_t min_n;
    /* statistics since the last drift/reset */
    uint64_t count;
    double p;     /* running error rate */
    double s;     /* its standard deviation */
    double p_min; /* at the lowest p + s seen; +inf before the first test */
    double s_min;
} ddm;

static void ddm_clear(ddm *d)
{
    d->count = 0;
    d->p = 0;
    d->s = 0;
    d->p_min = INFINITY;
    d->s_min = INFINITY;
}

static rl_err ddm_create(const rl_kv *params, size_t n_params, rl_detector **out, char *errstr,
                         size_t errstr_size)
{
    double pv[P__COUNT];
    rl_err e =
        rl_drift_params_parse("ddm", ddm_spec, P__COUNT, params, n_params, pv, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (!(pv[P_DRIFT] >= pv[P_WARNING]))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ddm: drift=%g must not be below warning=%g", pv[P_DRIFT], pv[P_WARNING]);
    ddm *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "ddm: out of memory");
    d->base.pub.ops = &rl_drift_ddm_ops;
    for (int i = 0; i < P__COUNT; i++)
        d->pv[i] = pv[i];
    d->min_n = (uint64_t)pv[P_MIN_N];
    ddm_clear(d);
    *out = &d->base.pub;
    return RL_OK;
}

static rl_err ddm_update(rl_detector *det, double x, rl_drift_state *state)
{
    ddm *d = (ddm *)det;
    if (x != 0.0 && x != 1.0)
        return RL_ERR_INVALID_ARG;
    d->count++;
    d->p += (x - d->p) / (double)d->count;
    d->s = sqrt(d->p * (1.0 - d->p) / (double)d->count);
    *state = RL_DRIFT_STABLE;
    if (d->count < d->min_n)
        return RL_OK;
    double ps = d->p + d->s;
    if (ps <= d->p_min + d->s_min) {
        d->p_min = d->p;
        d->s_min = d->s;
    }
    if (ps > d->p_min + d->pv[P_DRIFT] * d->s_min) {
        *state = RL_DRIFT_DRIFT;
        ddm_clear(d);
    } else if (ps > d->p_min + d->pv[P_WARNING] * d->s_min) {
        *state = RL_DRIFT_WARNING;
    }
    return RL_OK;
}

static double ddm_statistic(const rl_detector *det, const char **name)
{
    const ddm *d = (const ddm *)det;
    if (name)
        *name = "p+s";
    return d->p + d->s;
}

static void ddm_reset(rl_detector *det)
{
    ddm_clear((ddm *)det);
}

static rl_err ddm_export(const rl_detector *det, rl_buf *out)
{
    const ddm *d = (const ddm *)det;
    rl_drift_state_put_header(out, DDM_MAGIC, d->pv, P__COUNT);
    rl_buf_put_u64(out, d->count);
    rl_buf_put_f64(out, d->p);
    rl_buf_put_f64(out, d->s);
    rl_buf_put_f64(out, d->p_min);
    rl_buf_put_f64(out, d->s_min);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err ddm_import(rl_detector *det, const void *p, size_t len, char *errstr,
                         size_t errstr_size)
{
    ddm *d = (ddm *)det;
    rl_cursor r;
    rl_cursor_init(&r, p, len);
    rl_err e = rl_drift_state_check_header(&r, "ddm", DDM_MAGIC, ddm_spec, d->pv, P__COUNT, errstr,
                                           errstr_size);
    if (e != RL_OK)
        return e;
    uint64_t count = rl_cursor_u64(&r);
    double pe = rl_cursor_f64(&r), s = rl_cursor_f64(&r), p_min = rl_cursor_f64(&r),
           s_min = rl_cursor_f64(&r);
    if (!rl_cursor_ok(&r, 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "ddm: state is truncated or has trailing bytes (%zu bytes)", len);
    if (!(pe >= 0 && pe <= 1) || !(s >= 0 && s <= 1) || isnan(p_min) || isnan(s_min))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "ddm: state holds impossible statistics (p=%g s=%g)", pe, s);
    d->count = count;
    d->p = pe;
    d->s = s;
    d->p_min = p_min;
    d->s_min = s_min;
    return RL_OK;
}

static size_t ddm_format(const rl_detector *det, char *out, size_t out_size)
{
    return rl_drift_params_format(ddm_spec, P__COUNT, ((const ddm *)det)->pv, out, out_size);
}

static void ddm_destroy(rl_detector *det)
{
    free(det);
}

const struct rl_detector_ops rl_drift_ddm_ops = {
    .version = RL_DETECTOR_OPS_VERSION,
    .name = "ddm",
    .summary = "DDM, error rate p+s vs its minimum (input 0/1 mistakes); min_n=30 warning=2 "
               "drift=3",
    .create = ddm_create,
    .update = ddm_update,
    .statistic = ddm_statistic,
    .reset = ddm_reset,
    .export_state = ddm_export,
    .import_state = ddm_import,
    .format_params = ddm_format,
    .destroy = ddm_destroy,
};
