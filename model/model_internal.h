/* model_internal.h - the model object, shared by model.c (the step and responses) and
 * model_state.c (export/import). Not a public header: callers see rl_model as opaque. */
#ifndef RL_MODEL_INTERNAL_H
#define RL_MODEL_INTERNAL_H

#include "learners/features.h"
#include "model/model.h"

/* Alert sources: the prequential error stream and the watched feature. */
enum { SRC_ERROR = 0, SRC_FEATURE = 1, SRC_COUNT = 2 };
/* Limiter slots are indexed by rl_drift_state: STABLE (the "challenger dropped on return to
 * stable" alert), WARNING, DRIFT. */
#define N_LEVELS 3

/* Rate limit with hysteresis, per source (see model.c, "Alerts"). */
typedef struct alert_limiter {
    uint64_t last_pos[N_LEVELS];   /* position of the last alert emitted at this level; 0 none */
    uint64_t suppressed[N_LEVELS]; /* swallowed since the last emitted alert of this level */
    uint64_t stable_run;           /* consecutive STABLE values seen (re-arms warnings) */
    uint8_t warn_armed;            /* a warning alert may be emitted */
} alert_limiter;

struct rl_model {
    rl_model_config cfg;
    rl_alert_cb cb;
    void *opaque;
    rl_hasher hasher;
    rl_kv kv[RL_MODEL_MAX_DETECTOR_PARAMS]; /* point into cfg.det_keys / det_values */
    /* The error-stream detector's parameters: kv plus, for ADWIN without an explicit
     * direction, direction=up. A falling error is the learner improving, not a drift to act
     * on; with both directions ADWIN + reset loops (the fresh learner's falling error reads as
     * another drift: 60 resets a run in bench_drift). The watched feature keeps kv as given. */
    rl_kv kv_err[RL_MODEL_MAX_DETECTOR_PARAMS + 1];
    uint32_t n_kv_err;
    char feature_source[sizeof("feature:") + sizeof(((rl_model_config *)0)->watch_feature)];
    uint32_t watch_index;
    rl_task task;

    rl_learner *champ;
    rl_metrics *metrics;
    rl_detector *det;  /* error stream; NULL when drift detection is off */
    rl_detector *fdet; /* watched feature; NULL when off */

    /* Challenger (response challenger only). Both metrics objects exist for the model's life
     * and are reset when a challenger starts: chal_metrics scores the challenger, shadow scores
     * the champion on exactly the same examples, so the two recent losses compare like with
     * like. */
    rl_learner *chal;
    rl_metrics *chal_metrics;
    rl_metrics *shadow;
    uint64_t chal_start;    /* position of the warning that started it */
    uint8_t chal_announced; /* its start alert was emitted (so its drop alert will be) */

    /* Boost: active from the drift at boost_start until the factor has decayed away. */
    uint8_t boosting;
    uint64_t boost_start;

    /* Interactions (cfg.learner.interactions): the learners see an example's features
     * followed by its crossed ones, built here (grown to the widest example, then reused). */
    rl_feature *xf;
    uint32_t xcap;
    uint64_t ix_dropped; /* crossed features left out: more than RL_IX_FEATURES_MAX, or no
                            memory to grow (transient, not part of the state) */

    /* Promotion gate (model_gate.c): off (NULL) unless rl_model_gate_enable. ref scores each
     * event with the published version, ref_version names it (0: none yet). */
    rl_gate *gate;
    rl_model_reference ref;
    uint64_t ref_version;
    uint32_t gate_every; /* rl_gate_params.every */

    uint64_t position;
    uint64_t warnings, drifts, rejected;       /* error stream */
    uint64_t f_warnings, f_drifts, f_rejected; /* watched feature */
    uint64_t chal_failures;                    /* challengers that could not be allocated */
    uint8_t state, fstate;                     /* last rl_drift_state of each detector */
    alert_limiter lim[SRC_COUNT];
    double stat_before[SRC_COUNT]; /* detector statistic before this example's value (transient:
                                      recomputed every step, so not part of the state) */
};

/* The gate's part of a step: both models' losses on the raw example (model_gate.c). */
void rl_model_gate_step(rl_model *m, const rl_example *raw, const rl_pred *cand);
/* Crossed features one example may add at most; beyond, they are left out and counted. */
#define RL_IX_FEATURES_MAX (1u << 22)
/* The example the learners see: ex itself without interactions, else ex's features followed by
 * the crossed ones, in m->xf and *tmp (valid until the next call). */
const rl_example *rl_model_expand(rl_model *m, const rl_example *ex, rl_example *tmp);

/* Reads a watch_feature value (model.h): *is_index and *index for "#N", else *name / *name_len
 * point into w at the name ("##x" names "#x"). Refuses "#" followed by anything but decimal
 * digits, an index past 2^64-1, and an empty name, saying which and why. */
/* ---- alerts (model_alerts.c) ---- */
/* Feeds the limiter's hysteresis with a detector's state for this example. */
void rl_model_alerts_observe(rl_model *m, int src, rl_drift_state st);
typedef struct rl_alert_losses {
    double champion, challenger;
} rl_alert_losses;
/* Losses an alert reports: while a challenger has seen examples, the two compared figures;
 * otherwise the model's recent loss and NAN. */
rl_alert_losses rl_model_alert_losses(const rl_model *m);
/* Raises an alert of level on src unless the limiter swallows it (force >= 0 overrides it: 1
 * emit, 0 swallow); returns 1 if it was emitted (whether or not a callback is set). */
int rl_model_alert_emit(rl_model *m, int src, rl_drift_state level, const char *response,
                        rl_alert_losses losses, int force, const rl_event_pos *pos);

rl_err rl_model_watch_parse(const char *w, int *is_index, uint64_t *index, const char **name,
                            size_t *name_len, char *errstr, size_t errstr_size);

#endif
