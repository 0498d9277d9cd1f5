/* page_hinkley.c - Page-Hinkley test for a shift of the mean (Page 1954; Gama et al. 2013).
 *
 * Input: any finite real (0/1 mistakes, or a regression residual). With the running mean x̄,
 *   up:   U = max(0, alpha * U + (x - x̄ - delta))    grows while values sit above the mean,
 *   down: L = max(0, alpha * L + (x̄ - x - delta))    grows while they sit below it,
 * and a drift is signalled when a watched sum exceeds `threshold` (after min_n values). The sums
 * are clipped at 0 (the CUSUM form scikit-multiflow uses) so a long good stretch cannot bank
 * credit against a later rise; alpha < 1 fades old deviations. Direction: `up` (default) watches
 * increases only - for an error stream an increase is the drift that matters; `down` watches
 * decreases, `both` either. Defaults are River's/MOA's: min_n 30, delta 0.005, threshold 50,
 * alpha 0.9999. threshold is in the units of the input: 50 suits residuals of order 1-10; on a
 * 0/1 error stream a rise of r in the error rate needs about 50/r values. After a drift the mean
 * and sums restart.
 *
 * Warning level: the published test has none (River, scikit-multiflow and MOA signal drifts
 * only). As rill-ml's PageHinkley does (a warning_threshold between 0 and the threshold; 0 turns
 * it off), we report WARNING while a watched sum exceeds warning_fraction x threshold without
 * reaching the threshold (after min_n values). A fraction rather than an absolute level, so it
 * follows the threshold when a user rescales that. Default 0.5, our choice (no literature
 * value exists); 0 turns warnings off. The warning needs no state of its own: the sums carry it,
 * so state format 1 (before warning_fraction existed) loads and continues exactly. */
#include <math.h>
#include <stdlib.h>

#include "drift/params.h"

/* P_WARNING_FRACTION came with state format 2: format 1 states carry the first P_V1_COUNT. */
enum { P_MIN_N, P_DELTA, P_THRESHOLD, P_ALPHA, P_DIRECTION, P_WARNING_FRACTION, P__COUNT };
#define P_V1_COUNT P_WARNING_FRACTION
enum { DIR_UP = 0, DIR_DOWN, DIR_BOTH };

static const char *const directions[] = {"up", "down", "both", NULL};

static const rl_param_spec ph_spec[P__COUNT] = {
    [P_MIN_N] = {"min_n", RL_PARAM_INT, 1, 1e9, 0, 0, 30, NULL},
    [P_DELTA] = {"delta", RL_PARAM_REAL, 0, 1e9, 0, 0, 0.005, NULL},
    [P_THRESHOLD] = {"threshold", RL_PARAM_REAL, 0, 1e12, 1, 0, 50, NULL},
    [P_ALPHA] = {"alpha", RL_PARAM_REAL, 0, 1, 1, 0, 0.9999, NULL},
    [P_DIRECTION] = {"direction", RL_PARAM_CHOICE, 0, 0, 0, 0, DIR_UP, directions},
    [P_WARNING_FRACTION] = {"warning_fraction", RL_PARAM_REAL, 0, 1, 0, 1, 0.5, NULL},
};

#define PH_MAGIC 0x31314850u /* "PH11" */

typedef struct ph {
    rl_det_base base;
    double pv[P__COUNT];
    uint64_t min_n;
    int watch_up, watch_down;
    uint64_t count;
    double mean;
    double sum_up;
    double sum_down;
} ph;

static void ph_clear(ph *d)
{
    d->count = 0;
    d->mean = 0;
    d->sum_up = 0;
    d->sum_down = 0;
}

static rl_err ph_create(const rl_kv *params, size_t n_params, rl_detector **out, char *errstr,
                        size_t errstr_size)
{
    double pv[P__COUNT];
    rl_err e = rl_drift_params_parse("page_hinkley", ph_spec, P__COUNT, params, n_params, pv,
                                     errstr, errstr_size);
    if (e != RL_OK)
        return e;
    ph *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "page_hinkley: out of memory");
    d->base.pub.ops = &rl_drift_page_hinkley_ops;
    for (int i = 0; i < P__COUNT; i++)
        d->pv[i] = pv[i];
    d->min_n = (uint64_t)pv[P_MIN_N];
    int dir = (int)pv[P_DIRECTION];
    d->watch_up = dir == DIR_UP || dir == DIR_BOTH;
    d->watch_down = dir == DIR_DOWN || dir == DIR_BOTH;
    ph_clear(d);
    *out = &d->base.pub;
    return RL_OK;
}

static rl_err ph_update(rl_detector *det, double x, rl_drift_state *state)
{
    ph *d = (ph *)det;
    if (!isfinite(x))
        return RL_ERR_INVALID_ARG;
    const double alpha = d->pv[P_ALPHA], delta = d->pv[P_DELTA];
    d->count++;
    d->mean += (x - d->mean) / (double)d->count;
    d->sum_up = fmax(0.0, alpha * d->sum_up + (x - d->mean - delta));
    d->sum_down = fmax(0.0, alpha * d->sum_down + (d->mean - x - delta));
    *state = RL_DRIFT_STABLE;
    if (d->count < d->min_n)
        return RL_OK;
    const double threshold = d->pv[P_THRESHOLD];
    if ((d->watch_up && d->sum_up > threshold) || (d->watch_down && d->sum_down > threshold)) {
        *state = RL_DRIFT_DRIFT;
        ph_clear(d);
        return RL_OK;
    }
    const double warn = d->pv[P_WARNING_FRACTION] * threshold;
    if (warn > 0 && ((d->watch_up && d->sum_up > warn) || (d->watch_down && d->sum_down > warn)))
        *state = RL_DRIFT_WARNING;
    return RL_OK;
}

static double ph_statistic(const rl_detector *det, const char **name)
{
    const ph *d = (const ph *)det;
    if (name)
        *name = "ph_sum";
    double s = 0;
    if (d->watch_up)
        s = d->sum_up;
    if (d->watch_down && d->sum_down > s)
        s = d->sum_down;
    return s;
}

static void ph_reset(rl_detector *det)
{
    ph_clear((ph *)det);
}

static rl_err ph_export(const rl_detector *det, rl_buf *out)
{
    const ph *d = (const ph *)det;
    rl_drift_state_put_header(out, PH_MAGIC, d->pv, P__COUNT);
    rl_buf_put_u64(out, d->count);
    rl_buf_put_f64(out, d->mean);
    rl_buf_put_f64(out, d->sum_up);
    rl_buf_put_f64(out, d->sum_down);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err ph_import(rl_detector *det, const void *p, size_t len, char *errstr,
                        size_t errstr_size)
{
    ph *d = (ph *)det;
    rl_cursor r;
    rl_cursor_init(&r, p, len);
    uint32_t version = 0;
    rl_err e = rl_drift_state_check_header_v(&r, "page_hinkley", PH_MAGIC, ph_spec, d->pv, P__COUNT,
                                             P_V1_COUNT, &version, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    uint64_t count = rl_cursor_u64(&r);
    double mean = rl_cursor_f64(&r), up = rl_cursor_f64(&r), down = rl_cursor_f64(&r);
    if (!rl_cursor_ok(&r, 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "page_hinkley: state is truncated or has trailing bytes (%zu bytes)",
                          len);
    if (!isfinite(mean) || !(up >= 0) || !(down >= 0) || !isfinite(up) || !isfinite(down))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "page_hinkley: state holds impossible statistics");
    d->count = count;
    d->mean = mean;
    d->sum_up = up;
    d->sum_down = down;
    return RL_OK;
}

static size_t ph_format(const rl_detector *det, char *out, size_t out_size)
{
    return rl_drift_params_format(ph_spec, P__COUNT, ((const ph *)det)->pv, out, out_size);
}

static void ph_destroy(rl_detector *det)
{
    free(det);
}

const struct rl_detector_ops rl_drift_page_hinkley_ops = {
    .version = RL_DETECTOR_OPS_VERSION,
    .name = "page_hinkley",
    .summary = "Page-Hinkley mean shift (any finite input); min_n=30 delta=0.005 threshold=50 "
               "alpha=0.9999 direction=up|down|both (default up) warning_fraction=0.5 (warning "
               "above that share of threshold; 0: none)",
    .create = ph_create,
    .update = ph_update,
    .statistic = ph_statistic,
    .reset = ph_reset,
    .export_state = ph_export,
    .import_state = ph_import,
    .format_params = ph_format,
    .destroy = ph_destroy,
};
