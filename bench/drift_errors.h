/* drift_errors.h - for bench_drift: a learner's prequential mistakes on a generated stream with
 * drifts at known places, the 0/1 error signal its detectors and responses are measured on. */
#ifndef RL_BENCH_DRIFT_ERRORS_H
#define RL_BENCH_DRIFT_ERRORS_H

#include <stdint.h>

#include "learners/learner.h"

#define N_EVENTS 100000

/* Where a stream drifts: positions, how fast (sigmoid width), and the window after each drift
 * in which a detection counts as true. */
typedef struct setup {
    const char *type;
    uint64_t drift_at[4];
    uint32_t n_drifts;
    double width, delta_window;
} setup;

/* The learner whose mistakes the detectors watch: params NULL = rl_learner_params_default();
 * from event freeze_at on (0 = never) it only predicts, so a drift's error rise lasts. */
typedef struct learner_choice {
    const char *label;
    const rl_learner_params *params;
    uint64_t freeze_at;
} learner_choice;

/* Fills err[0..N_EVENTS) with the prequential 0/1 mistakes of a fresh learner (lc, or the
 * default one when NULL) on generator gen's stream: drifting per su, or one concept throughout.
 * For bernoulli the stream's labels are the mistakes. Exits naming the cause on failure. */
void rl_bench_error_stream(const char *gen, const setup *su, int drifting, uint64_t seed,
                           const learner_choice *lc, uint8_t *err);

/* Time spent learning in rl_bench_error_stream, and the events it learned, for the cost table. */
extern double rl_bench_learn_ns, rl_bench_learn_events;

double rl_bench_now_ns(void);
/* Prints "bench_drift: what: err" and exits 1. */
void rl_bench_die(const char *what, const char *err);

#endif
