/* metrics_internal.h - what the model reads from metrics on its drift path, without the cost of
 * a full summary (which walks the AUC histogram). Not part of the public API. */
#ifndef RL_METRICS_INTERNAL_H
#define RL_METRICS_INTERNAL_H

#include "model/metrics.h"

/* Recent (window) weighted mean loss, NAN when the window holds no weight, and its count. */
void rl_metrics_recent_loss(const rl_metrics *m, double *loss, uint64_t *n);

#endif
