/* hddm_a.c - HDDM_A: drift detection with Hoeffding's bound on moving averages (Frias-Blanco et
 * al. 2015), as scikit-multiflow/River implement it.
 *
 * Input: a value in [0, 1] (1 = mistake for classifiers); anything outside, or NaN, is refused:
 * the bound assumes that range and values outside it would flood the detector with alarms.
 * It keeps the running sum of all values since the last drift and a cut point: the prefix whose
 * mean plus its Hoeffding bound was lowest. A rise of the overall mean above the cut point's by
 * more than the bound for confidence `drift_confidence` (0.001) is a drift; for
 * `warning_confidence` (0.005) a warning. One-sided by default (only an increase of the error
 * matters); two_sided=1 also tracks the prefix with the highest mean and signals decreases at the
 * same levels. After a drift every sum restarts. */
#include <math.h>
#include <stdlib.h>

#include "drift/params.h"

enum { P_DRIFT_CONF, P_WARNING_CONF, P_TWO_SIDED, P__COUNT };

static const rl_param_spec hddm_spec[P__COUNT] = {
    [P_DRIFT_CONF] = {"drift_confidence", RL_PARAM_REAL, 0, 1, 1, 1, 0.001, NULL},
    [P_WARNING_CONF] = {"warning_confidence", RL_PARAM_REAL, 0, 1, 1, 1, 0.005, NULL},
    [P_TWO_SIDED] = {"two_sided", RL_PARAM_INT, 0, 1, 0, 0, 0, NULL},
};

#define HDDM_MAGIC 0x41444448u /* "HDDA" */

typedef struct hddm {
    rl_det_base base;
    double pv[P__COUNT];
    double log_drift;  /* log(1 / drift_confidence): the cut-point bound */
    double log2_drift; /* log(2 / drift_confidence) */
    double log2_warn;  /* log(2 / warning_confidence) */
    /* all values since the last drift, and the two cut points (n = 0: not set) */
    double total_n, total_c;
    double n_min, c_min;
    double n_max, c_max;
    /* derived from n_min / n_max (recomputed on import), cached to spare two sqrt per value */
    double bound_min, bound_max;
} hddm;

/* Hoeffding bound of a prefix of n values for the cut points. */
static double cut_bound(const hddm *d, double n)
{
    return sqrt(d->log_drift / (2.0 * n));
}

static void hddm_clear(hddm *d)
{
    d->total_n = d->total_c = 0;
    d->n_min = d->c_min = 0;
    d->n_max = d->c_max = 0;
    d->bound_min = d->bound_max = 0;
}

static rl_err hddm_create(const rl_kv *params, size_t n_params, rl_detector **out, char *errstr,
                          size_t errstr_size)
{
    double pv[P__COUNT];
    rl_err e = rl_drift_params_parse("hddm_a", hddm_spec, P__COUNT, params, n_params, pv, errstr,
                                     errstr_size);
    if (e != RL_OK)
        return e;
    if (!(pv[P_WARNING_CONF] >= pv[P_DRIFT_CONF]))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "hddm_a: warning_confidence=%g must not be below drift_confidence=%g "
                          "(a warning must come no later than the drift)",
                          pv[P_WARNING_CONF], pv[P_DRIFT_CONF]);
    hddm *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "hddm_a: out of memory");
    d->base.pub.ops = &rl_drift_hddm_a_ops;
    for (int i = 0; i < P__COUNT; i++)
        d->pv[i] = pv[i];
    d->log_drift = log(1.0 / pv[P_DRIFT_CONF]);
    d->log2_drift = log(2.0 / pv[P_DRIFT_CONF]);
    d->log2_warn = log(2.0 / pv[P_WARNING_CONF]);
    hddm_clear(d);
    *out = &d->base.pub;
    return RL_OK;
}

/* Did the mean of all values rise above (or fall below) the cut point's mean by more than the
 * Hoeffding bound for the difference, sqrt(m / 2 * log(2 / confidence)) with
 * m = (n - n_cut) / (n_cut n)? Compared squared, which saves the sqrt: diff >= sqrt(x) iff
 * diff >= 0 and diff^2 >= x. Returns 2 for the drift level, 1 for the warning level, else 0. */
static int mean_moved(const hddm *d, double n_cut, double c_cut, int rise)
{
    if (n_cut == d->total_n)
        return 0;
    double diff = d->total_c / d->total_n - c_cut / n_cut;
    if (!rise)
        diff = -diff;
    if (diff < 0)
        return 0;
    double half_m = (d->total_n - n_cut) / (n_cut * d->total_n) / 2.0;
    double d2 = diff * diff;
    if (d2 >= half_m * d->log2_drift)
        return 2;
    return d2 >= half_m * d->log2_warn ? 1 : 0;
}

static rl_err hddm_update(rl_detector *det, double x, rl_drift_state *state)
{
    hddm *d = (hddm *)det;
    if (!(x >= 0.0 && x <= 1.0))
        return RL_ERR_INVALID_ARG;
    d->total_n += 1;
    d->total_c += x;
    if (d->n_min == 0) {
        d->n_min = d->total_n;
        d->c_min = d->total_c;
        d->bound_min = cut_bound(d, d->n_min);
    }
    if (d->n_max == 0) {
        d->n_max = d->total_n;
        d->c_max = d->total_c;
        d->bound_max = cut_bound(d, d->n_max);
    }
    double mean = d->total_c / d->total_n;
    double bound_all = cut_bound(d, d->total_n);
    if (d->c_min / d->n_min + d->bound_min >= mean + bound_all) {
        d->c_min = d->total_c;
        d->n_min = d->total_n;
        d->bound_min = bound_all;
    }
    if (d->c_max / d->n_max - d->bound_max <= mean - bound_all) {
        d->c_max = d->total_c;
        d->n_max = d->total_n;
        d->bound_max = bound_all;
    }
    int level = mean_moved(d, d->n_min, d->c_min, 1);
    if (d->pv[P_TWO_SIDED] != 0 && level < 2) {
        int fell = mean_moved(d, d->n_max, d->c_max, 0);
        level = fell > level ? fell : level;
    }
    *state = RL_DRIFT_STABLE;
    if (level == 2) {
        *state = RL_DRIFT_DRIFT;
        hddm_clear(d);
    } else if (level == 1) {
        *state = RL_DRIFT_WARNING;
    }
    return RL_OK;
}

static double hddm_statistic(const rl_detector *det, const char **name)
{
    const hddm *d = (const hddm *)det;
    if (name)
        *name = "mean_increase";
    if (d->total_n == 0 || d->n_min == 0)
        return 0;
    return d->total_c / d->total_n - d->c_min / d->n_min;
}

static void hddm_reset(rl_detector *det)
{
    hddm_clear((hddm *)det);
}

static rl_err hddm_export(const rl_detector *det, rl_buf *out)
{
    const hddm *d = (const hddm *)det;
    rl_drift_state_put_header(out, HDDM_MAGIC, d->pv, P__COUNT);
    const double v[6] = {d->total_n, d->total_c, d->n_min, d->c_min, d->n_max, d->c_max};
    rl_buf_put_f64s(out, v, 6);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

static rl_err hddm_import(rl_detector *det, const void *p, size_t len, char *errstr,
                          size_t errstr_size)
{
    hddm *d = (hddm *)det;
    rl_cursor r;
    rl_cursor_init(&r, p, len);
    rl_err e = rl_drift_state_check_header(&r, "hddm_a", HDDM_MAGIC, hddm_spec, d->pv, P__COUNT,
                                           errstr, errstr_size);
    if (e != RL_OK)
        return e;
    double v[6];
    rl_cursor_f64s(&r, v, 6);
    if (!rl_cursor_ok(&r, 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "hddm_a: state is truncated or has trailing bytes (%zu bytes)", len);
    /* counts are whole, sums lie within [0, count], cut points within the totals */
    int ok = 1;
    for (int i = 0; i < 6; i += 2)
        ok = ok && v[i] >= 0 && v[i] == floor(v[i]) && v[i + 1] >= 0 && v[i + 1] <= v[i] &&
             v[i] <= v[0];
    if (!ok)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "hddm_a: state holds impossible statistics");
    d->total_n = v[0];
    d->total_c = v[1];
    d->n_min = v[2];
    d->c_min = v[3];
    d->n_max = v[4];
    d->c_max = v[5];
    d->bound_min = d->n_min > 0 ? cut_bound(d, d->n_min) : 0;
    d->bound_max = d->n_max > 0 ? cut_bound(d, d->n_max) : 0;
    return RL_OK;
}

static size_t hddm_format(const rl_detector *det, char *out, size_t out_size)
{
    return rl_drift_params_format(hddm_spec, P__COUNT, ((const hddm *)det)->pv, out, out_size);
}

static void hddm_destroy(rl_detector *det)
{
    free(det);
}

const struct rl_detector_ops rl_drift_hddm_a_ops = {
    .version = RL_DETECTOR_OPS_VERSION,
    .name = "hddm_a",
    .summary = "HDDM-A, Hoeffding bound on the mean (input in [0,1]); drift_confidence=0.001 "
               "warning_confidence=0.005 two_sided=0",
    .create = hddm_create,
    .update = hddm_update,
    .statistic = hddm_statistic,
    .reset = hddm_reset,
    .export_state = hddm_export,
    .import_state = hddm_import,
    .format_params = hddm_format,
    .destroy = hddm_destroy,
};
