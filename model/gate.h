/* gate.h - the promotion gate: is the candidate worse than the published version, on the same
 * events?
 *
 * relearnd scores every event twice, prequentially: with the learner as it is (the candidate,
 * before it learns the event) and with the last published version's own scoring function (the
 * reference, fixed). The gate keeps the paired difference d = loss(candidate) - loss(reference)
 * of the last `window` events. Both losses are the same function of a prediction and its label
 * (rl_gate_loss), so the two models are compared like with like: a harder stretch of the stream
 * raises both and leaves d alone, where comparing today's loss with the loss a version had when
 * it was published (on older, easier events) stalls publishing.
 *
 * Decision: hold the candidate back only when the data says it is worse by more than the
 * tolerance, at the configured confidence. The bound is the empirical Bernstein bound (Maurer
 * and Pontil 2009, Theorem 4): for n differences in a range of width R with sample variance V,
 * with probability >= 1 - delta the true mean is at least
 *     mean - sqrt(2 V ln(2/delta) / n) - 7 R ln(2/delta) / (3 (n - 1)).
 * The candidate is held when that lower bound exceeds the tolerance. Each loss is capped at
 * `loss_cap` for the gate (log loss of a confident mistake is unbounded), so R = 2 loss_cap.
 * Events are treated as exchangeable within the window; a stream is not i.i.d., so the level
 * is a calibrated guide, not a guarantee (docs/DESIGN.md, "Promotion gate").
 *
 * Pure computation, deterministic: the same events give the same sums bit for bit, and the
 * state exports exactly, so a gate restored from a checkpoint decides as the one that wrote it.
 * Events are unweighted in the gate (an importance weight scales training, not the vote). */
#ifndef RL_GATE_H
#define RL_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"
#include "learners/learner.h"

#define RL_GATE_WINDOW_DEFAULT 5000
#define RL_GATE_WINDOW_MAX     1000000
#define RL_GATE_MIN_EVENTS     30 /* fewer paired events never hold a candidate back */

typedef struct rl_gate rl_gate;

typedef struct rl_gate_params {
    uint32_t window;   /* paired events kept (RL_GATE_WINDOW_DEFAULT) */
    double loss_cap;   /* each loss is capped here for the gate (default 10) */
    double tolerance;  /* a candidate may be this much worse on average (default 0) */
    double confidence; /* 1 - delta of the bound (default 0.99) */
    uint32_t every;    /* the reference scores one event in `every` (by model position), so
                          its cost per event is 1/every of a prediction (default 1) */
} rl_gate_params;

typedef struct rl_gate_verdict {
    int hold;           /* 1: the candidate is worse beyond tolerance at the confidence */
    uint64_t n;         /* paired events the verdict rests on */
    double mean_diff;   /* mean of loss(candidate) - loss(reference); NAN when n == 0 */
    double lower_bound; /* the bound above; -INFINITY when n < RL_GATE_MIN_EVENTS */
    double cand_loss;   /* mean capped losses over the same events */
    double ref_loss;
} rl_gate_verdict;

void rl_gate_params_default(rl_gate_params *p);

/* Refuses a window outside 1..RL_GATE_WINDOW_MAX, a cap <= 0, a confidence outside (0, 1) or a
 * negative tolerance, with a message. Caller owns *out (rl_gate_destroy). */
rl_err rl_gate_new(const rl_gate_params *p, rl_gate **out, char *errstr, size_t errstr_size);
void rl_gate_destroy(rl_gate *g); /* NULL: no-op */

const rl_gate_params *rl_gate_get_params(const rl_gate *g);

/* Forgets every pair: called when the reference changes (a new version was promoted). */
void rl_gate_reset(rl_gate *g);

/* The loss both models are judged by, from a prediction and the label: log loss of the true
 * class where the model gives probabilities (prob_true for multiclass, prob for binary),
 * squared error for regression, 0/1 error otherwise; capped at the gate's loss_cap by
 * rl_gate_add. NAN for a prediction that says nothing (never for a learner's own). */
double rl_gate_loss(rl_task task, const rl_pred *p, float label);

/* Adds one event's pair of losses (rl_gate_loss of each model). NAN in either is skipped. */
void rl_gate_add(rl_gate *g, double cand_loss, double ref_loss);

/* The decision over the pairs held now. */
void rl_gate_decide(const rl_gate *g, rl_gate_verdict *out);

/* Events in the window now (<= window). */
uint64_t rl_gate_count(const rl_gate *g);

/* Exact state for checkpoints: the pairs in the window, oldest first. */
rl_err rl_gate_export(const rl_gate *g, rl_buf *out);
/* Restores what rl_gate_export wrote (a gate of any window; the newest pairs that fit are
 * kept). Refuses damaged bytes with a message and leaves g empty. */
rl_err rl_gate_import(rl_gate *g, const void *p, size_t len, char *errstr, size_t errstr_size);

#endif
