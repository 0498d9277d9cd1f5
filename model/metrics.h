/* metrics.h - prequential ("test-then-train") metrics over a stream, in bounded memory.
 *
 * Every prediction is scored before the learner sees its label. Totals cover the whole stream;
 * a ring of the last `window` losses gives the "recent" figures the promotion gate and the
 * challenger compare. AUC uses a fixed histogram of scores (binary only), so memory does not
 * grow with the stream. Weighted by importance weight. State exports exactly. */
#ifndef RL_METRICS_H
#define RL_METRICS_H

#include <stdint.h>

#include "learners/learner.h"
#include "common/rl_common.h"

#define RL_METRICS_WINDOW_DEFAULT 1000
#define RL_METRICS_WINDOW_MAX     1000000

typedef struct rl_metrics rl_metrics;

typedef struct rl_metrics_summary {
    rl_task task;
    uint64_t n;             /* examples scored */
    double weight;          /* sum of importance weights */
    double accuracy;        /* classification; NAN for regression */
    double log_loss;        /* probabilistic learners; NAN otherwise */
    double auc;             /* binary; NAN otherwise or when one class is absent */
    double rmse, mae;       /* regression (also filled for binary: on value vs label) */
    double mean_loss;       /* the learner's own loss, averaged */
    double recent_loss;     /* mean learner loss over the last `window` examples */
    double recent_accuracy; /* classification over the window; NAN for regression */
    uint64_t recent_n;      /* examples in the window (<= window) */
} rl_metrics_summary;

rl_err rl_metrics_new(rl_task task, uint32_t window, rl_metrics **out, char *errstr,
                      size_t errstr_size);
void rl_metrics_destroy(rl_metrics *m);
void rl_metrics_reset(rl_metrics *m);
/* Scores one prediction against its label. loss is the learner's own loss for it. */
void rl_metrics_add(rl_metrics *m, const rl_pred *p, float label, float weight, double loss);
void rl_metrics_summary_get(const rl_metrics *m, rl_metrics_summary *out);
rl_err rl_metrics_export(const rl_metrics *m, rl_buf *out);
rl_err rl_metrics_import(rl_metrics *m, const void *p, size_t len, char *errstr,
                         size_t errstr_size);

#endif
