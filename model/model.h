/* model.h - one model as relearn runs it: a learner, its prequential metrics, an optional drift
 * detector with a configured response, and the one predict -> score -> update step that both
 * `relearn eval` and relearnd run (so offline results predict online ones).
 *
 * The step, per example:
 *   1. the learner predicts and learns in one pass (rl_learner_learn: prediction made first);
 *   2. metrics score that prediction;
 *   3. the detector sees the error signal (0/1 mistake for classifiers; |error| clipped to [0,1]
 *      for regression, after dividing by a configured scale) and, optionally, a second detector
 *      watches one feature's value (data drift);
 *   4. on warning/drift the configured response runs and an alert is emitted through the
 *      callback - rate-limited with hysteresis so a noisy stream cannot flood ops.
 * ADWIN on the error stream watches increases only unless `direction` is set: a falling error is
 * the learner improving, and reacting to it (reset) would loop.
 * Responses: alert (nothing else), reset (fresh learner at drift), boost (learning rate times
 * `boost_factor`, decaying back to 1 with half-life `boost_halflife` examples), challenger (at
 * warning, a second learner starts on the same examples; at drift it replaces the champion if
 * its recent loss is lower, else it is dropped; a return to stable also drops it). Every
 * detector has a warning level for it (ADWIN's warning window and Page-Hinkley's
 * warning_fraction, drift/, can be turned off; then challenger can never start one).
 *
 * Pure computation: no I/O; no allocation per example (a challenger is allocated when a warning
 * starts one: once per transition into warning, tens per 100k events at most in bench_drift). */
#ifndef RL_MODEL_H
#define RL_MODEL_H

#include <stdint.h>

#include "drift/detector.h"
#include "learners/learner.h"
#include "model/gate.h"
#include "model/metrics.h"
#include "common/rl_common.h"

#define RL_MODEL_MAX_DETECTOR_PARAMS 16

typedef enum rl_response {
    RL_RESPONSE_ALERT = 0,
    RL_RESPONSE_RESET,
    RL_RESPONSE_BOOST,
    RL_RESPONSE_CHALLENGER,
} rl_response;

typedef struct rl_model_config {
    rl_learner_params learner;
    uint64_t hash_seed;
    /* Drift: detector[0] == '\0' disables detection. Parameter strings are copied. */
    char detector[32];
    char det_keys[RL_MODEL_MAX_DETECTOR_PARAMS][32];
    char det_values[RL_MODEL_MAX_DETECTOR_PARAMS][32];
    uint32_t n_det_params;
    rl_response response;
    double boost_factor;     /* default 5 */
    double boost_halflife;   /* examples; default 2000 */
    double error_scale;      /* regression: |error| / error_scale, clipped to 1; default 1 */
    uint64_t alert_min_gap;  /* examples between two alerts of the same level; default 1000 */
    uint32_t metrics_window; /* RL_METRICS_WINDOW_DEFAULT */
    /* Data drift: watch one feature's value with a second detector (same kind and params).
     * Empty = off. A name (VW "ns^name", a CSV header's column, an Event's feature name) is
     * hashed with the model's hasher; "#N" (N decimal, 0..2^64-1) is the numeric index N (a
     * libsvm index, a CSV column's 0-based number without a header, Event.index), mapped as the
     * readers map indices. A name that itself starts with '#' is written with the '#' doubled:
     * "##rooms" watches the name "#rooms". */
    char watch_feature[128];
} rl_model_config;

/* Where an example came from, copied into alerts. -1 / NULL when unknown (files). */
typedef struct rl_event_pos {
    const char *topic;
    int32_t partition;
    int64_t offset;
} rl_event_pos;

typedef struct rl_alert {
    const char *detector; /* detector name */
    const char *source;   /* "error" (prequential error stream), "feature:<watch_feature>", or
                           * "daemon" (relearnd's own: gate, checkpoint, offset jump) */
    const char *detail;   /* source "daemon": what happened, in words; NULL otherwise */
    rl_drift_state level; /* WARNING or DRIFT; STABLE for a "gate" alert from the daemon */
    double statistic;     /* the detector's statistic at the alert */
    const char *statistic_name;
    uint64_t position;      /* 1-based index of the example in the model's stream */
    const char *response;   /* "alert", "reset", "boost", "challenger_started",
                               "challenger_promoted", "challenger_dropped" */
    uint64_t suppressed;    /* alerts of this level swallowed by the rate limit since last */
    double recent_loss;     /* champion's recent loss at the alert */
    double challenger_loss; /* challenger's recent loss (NAN when there is none) */
    rl_event_pos pos;
} rl_alert;

typedef void (*rl_alert_cb)(void *opaque, const rl_alert *alert);

typedef struct rl_model rl_model;

void rl_model_config_default(rl_model_config *c);
/* Sets a key of the [drift] section ("detector", "response", "boost_factor", "boost_halflife",
 * "error_scale", "alert_min_gap", "watch_feature", "window"); any other key is passed to the
 * detector as a parameter (validated when the model is created). */
rl_err rl_model_config_set_drift(rl_model_config *c, const char *key, const char *value,
                                 char *errstr, size_t errstr_size);
rl_err rl_response_parse(const char *s, rl_response *out);
const char *rl_response_name(rl_response r);

/* Validates the whole config and builds the model. The alert callback may be NULL. */
rl_err rl_model_new(const rl_model_config *c, rl_alert_cb cb, void *opaque, rl_model **out,
                    char *errstr, size_t errstr_size);
void rl_model_destroy(rl_model *m); /* NULL: no-op */

/* The step. Fills pred (may be NULL) with the champion's prediction before its update and
 * returns the champion's loss. Never allocates except when a challenger starts. */
double rl_model_step(rl_model *m, const rl_example *ex, const rl_event_pos *pos, rl_pred *pred);

/* Scoring-only prediction. */
void rl_model_predict(const rl_model *m, const rl_example *ex, rl_pred *pred);

const rl_model_config *rl_model_get_config(const rl_model *m);
/* The champion. The pointer changes when a challenger is promoted (not on import): fetch it
 * again after rl_model_step() rather than keeping it. */
rl_learner *rl_model_learner(rl_model *m);
const rl_learner *rl_model_learner_c(const rl_model *m);
const rl_detector *rl_model_detector(const rl_model *m); /* NULL when off */
void rl_model_summary(const rl_model *m, rl_metrics_summary *out);
uint64_t rl_model_position(const rl_model *m); /* examples stepped so far */
rl_drift_state rl_model_drift_state(const rl_model *m);
uint64_t rl_model_warnings(const rl_model *m);
uint64_t rl_model_drifts(const rl_model *m);
/* Less common counters, for inspect and tests. */
typedef struct rl_model_counters {
    uint64_t rejected;         /* error values the detector refused (NaN, out of domain) */
    uint64_t feature_warnings; /* watched feature: transitions into warning */
    uint64_t feature_drifts;
    uint64_t feature_rejected;    /* watched-feature values the detector refused */
    uint64_t challenger_failures; /* challengers that could not be allocated */
    int challenger_running;
    uint64_t challenger_start; /* position of the warning that started it (0: none) */
    int boosting;              /* a boost is decaying (lr_scale > 1) */
    /* Alerts swallowed by the rate limit since the last emitted alert of the same level, by
     * rl_drift_state (STABLE: challenger drops), error stream and watched feature: the next
     * alert of that level reports them in rl_alert.suppressed; until then only this shows them
     * (at the end of a run, or while a noisy stream stays inside the gap). Kept in the state. */
    uint64_t suppressed_pending[3];
    uint64_t feature_suppressed_pending[3];
} rl_model_counters;
void rl_model_counters_get(const rl_model *m, rl_model_counters *out);
/* Hashes a feature name with the model's hasher (bits, seed). */
uint32_t rl_model_hash_name(const rl_model *m, const char *name, size_t len);
uint32_t rl_model_hash_index(const rl_model *m, uint64_t index);

/* ---- promotion gate (gate.h) ----
 * The published version scores every event beside the learner (before it learns it), through
 * a callback, so this library needs nothing above it: relearnd passes a scoring function built
 * from the snapshot it published (storage/predictor.h). The callback gets the example as given
 * to rl_model_step (interactions not expanded) and fills an rl_pred; for multiclass it must
 * set prob_true for ex->label (or NAN). The gate's pairs are not part of the model's state
 * (rl_model_export): they depend on when versions were published, which depends on timing, and
 * the model's state is a function of the events alone (kill -9 equality). They are saved apart:
 * rl_model_gate_export / _import (u64 reference version, then gate.h's state). */
typedef struct rl_model_reference {
    void (*predict)(void *ctx, const rl_example *ex, rl_pred *out);
    void *ctx;
} rl_model_reference;

/* Turns the gate on (once). */
rl_err rl_model_gate_enable(rl_model *m, const rl_gate_params *p, char *errstr, size_t errstr_size);
/* Sets the published version the candidate is judged against (ref NULL or version 0: none).
 * A different version than the one the gate's pairs were scored against empties the gate;
 * the same one (after a restart) keeps them. ref->ctx must outlive its use. */
void rl_model_set_reference(rl_model *m, const rl_model_reference *ref, uint64_t version);
/* The version the gate's pairs were scored against (0: none); after rl_model_gate_import, the
 * one the caller should load and pass to rl_model_set_reference to keep them. */
uint64_t rl_model_reference_version(const rl_model *m);
rl_err rl_model_gate_export(const rl_model *m, rl_buf *out);
/* Refuses damaged bytes (the gate is left as it was) or a model without a gate. */
rl_err rl_model_gate_import(rl_model *m, const void *p, size_t len, char *errstr,
                            size_t errstr_size);
/* The gate's verdict on the candidate now; 0 (nothing filled) without a gate or a reference. */
int rl_model_gate_decide(const rl_model *m, rl_gate_verdict *out);

/* Full state in three parts so a checkpoint can store (and inspect) them separately:
 * the learner's own state, the detector's (empty when off), and the rest (metrics, response
 * and boost state, challenger learner + metrics, alert limiter, counters). */
rl_err rl_model_export(const rl_model *m, rl_buf *learner, rl_buf *detector, rl_buf *rest);
rl_err rl_model_import(rl_model *m, const void *learner, size_t learner_len, const void *detector,
                       size_t detector_len, const void *rest, size_t rest_len, char *errstr,
                       size_t errstr_size);
/* The same for a model whose champion learner has been given its state already (a checkpoint
 * load streams it in with rl_learner_import_from on rl_model_learner(m)): imports the rest. */
rl_err rl_model_import_rest(rl_model *m, const void *detector, size_t detector_len,
                            const void *rest, size_t rest_len, char *errstr, size_t errstr_size);

#endif
