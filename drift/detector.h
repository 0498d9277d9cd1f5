/* detector.h - the contract every concept-drift detector implements, and their registry.
 *
 * A detector watches one stream of real values, one at a time, and says whether the stream is
 * stable, drifting soon (warning) or has drifted. What relearn feeds it:
 *   classifiers: 1 = the prequential prediction was wrong, 0 = right (DDM, EDDM and HDDM-A
 *                require exactly this encoding and reject other values);
 *   regression:  the absolute prequential error (ADWIN, Page-Hinkley only; ADWIN and HDDM-A
 *                need values in [0, 1], so the model clips/normalizes - see model.h).
 * After a drift a detector restarts its statistics itself (forgetting this is the classic
 * cause of alarm bursts), so the caller never has to.
 *
 * Plug-ins as in learner.h: a `static const struct rl_detector_ops` per file, objects embed
 * `struct rl_detector` first. Pure computation: no I/O, no allocation after create(). State
 * export/import is exact: a restored detector continues identically. */
#ifndef RL_DETECTOR_H
#define RL_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"

#define RL_DETECTOR_OPS_VERSION 1

typedef enum rl_drift_state {
    RL_DRIFT_STABLE = 0,
    RL_DRIFT_WARNING,
    RL_DRIFT_DRIFT,
} rl_drift_state;

/* One "key=value" parameter, as read from config or the command line. */
typedef struct rl_kv {
    const char *key;
    const char *value;
} rl_kv;

typedef struct rl_detector {
    const struct rl_detector_ops *ops;
    uint64_t n;          /* values seen since create/import (not reset by drifts) */
    uint64_t n_warnings; /* transitions into warning */
    uint64_t n_drifts;
} rl_detector;

struct rl_detector_ops {
    int version;         /* RL_DETECTOR_OPS_VERSION */
    const char *name;    /* "ddm", "eddm", "adwin", "page_hinkley", "hddm_a" */
    const char *summary; /* one line for --help, with the defaults */
    /* Unknown keys and out-of-range values are rejected; errstr names key, value and bounds. */
    rl_err (*create)(const rl_kv *params, size_t n_params, rl_detector **out, char *errstr,
                     size_t errstr_size);
    /* Feeds one value. Values outside the detector's domain (NaN, or not 0/1 for DDM...) return
     * RL_ERR_INVALID_ARG and leave the state untouched. */
    rl_err (*update)(rl_detector *d, double x, rl_drift_state *state);
    /* The detector's test statistic now (e.g. p+s for DDM, PH sum, ADWIN width) and its name. */
    double (*statistic)(const rl_detector *d, const char **name);
    void (*reset)(rl_detector *d);
    rl_err (*export_state)(const rl_detector *d, rl_buf *out);
    rl_err (*import_state)(rl_detector *d, const void *p, size_t len, char *errstr,
                           size_t errstr_size);
    /* Writes the effective parameters as "key=value key=value" (for inspect/check-config). */
    size_t (*format_params)(const rl_detector *d, char *out, size_t out_size);
    void (*destroy)(rl_detector *d);
};

const struct rl_detector_ops *const *rl_detector_all(void); /* NULL-terminated */
const struct rl_detector_ops *rl_detector_find(const char *name);

rl_err rl_detector_new(const char *name, const rl_kv *params, size_t n_params, rl_detector **out,
                       char *errstr, size_t errstr_size);
void rl_detector_destroy(rl_detector *d); /* NULL: no-op */
rl_err rl_detector_update(rl_detector *d, double x, rl_drift_state *state);
void rl_detector_reset(rl_detector *d);
rl_err rl_detector_export(const rl_detector *d, rl_buf *out);
rl_err rl_detector_import(rl_detector *d, const void *p, size_t len, char *errstr,
                          size_t errstr_size);
const char *rl_drift_state_name(rl_drift_state s);

#endif
