/* predictor.h - scores events with a decoded snapshot, exactly as the model that published it.
 *
 * A predictor is a published version's scoring function: built once from an rl_snapshot, it
 * turns an example (features already hashed to slots, an optional dense block) into the same
 * rl_pred the publishing learner's predict() gave for it, bit for bit (score, value, prob, cls;
 * prob_true is NAN): the same weights, clip scales and score scale, the same float or double
 * sums in the same order, the same link function (docs/FORMAT.md, "Scoring" and "Output").
 *
 * Contract (stable; librelearn and `relearn serve` build on it):
 * - rl_predictor_new() copies what scoring needs out of s; s may be cleared or freed after.
 * - rl_predictor_predict() and the other const calls allocate nothing, do no I/O, write only
 *   their outputs, and any number of threads may call them on one predictor at once.
 * - A feature's slot is its index masked to 2^bits (index & (2^bits - 1)), as the learners do;
 *   with interactions in the snapshot's hyperparameters, ex->ns gives each feature's namespace
 *   and the crossed features are scored after ex's own, as the model that learned them did;
 *   a slot the snapshot has no weight for scores 0 * x. A dense block counts only when
 *   ex->dense is set and ex->n_dense equals the snapshot's dense_dim (learners ignore any other).
 *   label and weight are not read.
 * - Exactness holds for finite values within +-RL_FEATURE_VALUE_MAX (what the readers and the
 *   event decoder let through); other values still give a result, never a crash.
 * - An unknown learner kind, or a snapshot whose shape does not fit its learner, is refused by
 *   rl_predictor_new() with a message: a predictor never guesses a scoring rule. */
#ifndef RL_PREDICTOR_H
#define RL_PREDICTOR_H

#include <stddef.h>
#include <stdint.h>

#include "learners/learner.h"
#include "common/rl_common.h"
#include "storage/snapshot.h"

typedef struct rl_predictor rl_predictor;

/* Builds the scoring function of s. Caller owns *out (rl_predictor_destroy). */
rl_err rl_predictor_new(const rl_snapshot *s, rl_predictor **out, char *errstr, size_t errstr_size);
void rl_predictor_destroy(rl_predictor *p); /* NULL: no-op */

/* 1, or the number of classes (softmax). */
uint32_t rl_predictor_rows(const rl_predictor *p);
rl_task rl_predictor_task(const rl_predictor *p);
uint32_t rl_predictor_dense_dim(const rl_predictor *p);

/* The prediction, bitwise the publishing learner's predict(). */
void rl_predictor_predict(const rl_predictor *p, const rl_example *ex, rl_pred *out);

/* The same, and each row's score (scores[rows]) and, for softmax, each class's probability
 * (probs[rows]); either may be NULL. For one-row models scores[0] = out->score and probs[0] =
 * out->prob. */
void rl_predictor_predict_rows(const rl_predictor *p, const rl_example *ex, rl_pred *out,
                               double *scores, double *probs);

/* Explains row `row` of a prediction: contrib[i] = the term feature i added (its weight times
 * its clipped value, times the row's score_scale), then, when the snapshot has interactions,
 * one per crossed feature in the order they are generated (interactions.h), then one per dense
 * value when the dense block counts, then the bias's term; returns how many it wrote (n_feats +
 * crossed + dense used + 1, at most cap). Their sum equals the row's score up to the rounding of
 * the summation. */
size_t rl_predictor_contrib(const rl_predictor *p, const rl_example *ex, uint32_t row,
                            double *contrib, size_t cap);

#endif
