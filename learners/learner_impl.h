/* learner_impl.h - internal helpers shared by the learner implementations (not a public API).
 *
 * Every learner's exported state opens with the same header so that import can refuse state
 * from another kind or shape with one clear message:
 *   u8 format version | u8 kind | u32 bits | u32 dense_dim | u32 rows | u8 loss | u8 schedule
 *   | u8 bias | u64 updates
 * followed by the learner's own counters and arrays. Losses are shared too: sgd, ogd, ftrl and
 * the tests use the same value/derivative/invariant-update functions. */
#ifndef RL_LEARNER_IMPL_H
#define RL_LEARNER_IMPL_H

#include <math.h>

#include "learners/learner.h"

#define RL_LEARNER_STATE_VERSION 1

/* Learner kinds as recorded in exported state; never renumber. */
enum rl_learner_kind {
    RL_LEARNER_KIND_SGD = 1,
    RL_LEARNER_KIND_PERCEPTRON = 2,
    RL_LEARNER_KIND_AVG_PERCEPTRON = 3,
    RL_LEARNER_KIND_OGD = 4,
    RL_LEARNER_KIND_FTRL = 5,
    RL_LEARNER_KIND_SOFTMAX = 6,
    RL_LEARNER_KIND_OGD_PROJECTED =
        7, /* ogd since projection; 4 was the unprojected squared-loss ogd */
};

extern const struct rl_learner_ops rl_learner_sgd_ops;
extern const struct rl_learner_ops rl_learner_perceptron_ops;
extern const struct rl_learner_ops rl_learner_avg_perceptron_ops;
extern const struct rl_learner_ops rl_learner_ogd_ops;
extern const struct rl_learner_ops rl_learner_ftrl_ops;
extern const struct rl_learner_ops rl_learner_softmax_ops;

/* Bytes of that header: version u8, kind u8, bits u32, dense_dim u32, rows u32, loss u8,
 * schedule u8, bias u8, updates u64. */
#define RL_LEARNER_STATE_HEADER_LEN 25
/* Writes the common header for l (kind, rows = 1 or n_classes). */
void rl_learner_state_put_header(rl_buf *b, const rl_learner *l, enum rl_learner_kind kind,
                                 uint32_t rows);
/* Reads and checks the header against l; on success r is positioned after it and *updates
 * holds the recorded update count. */
rl_err rl_learner_state_check_header(rl_cursor *r, const rl_learner *l, enum rl_learner_kind kind,
                                     uint32_t rows, uint64_t *updates, char *errstr,
                                     size_t errstr_size);
/* Reads the common header as rl_learner_state_check_header does, then checks that exactly need
 * bytes (the learner's own counters and arrays) follow it, before the caller touches anything, so a
 * truncated or padded blob leaves the model as it was. On success r is positioned after the
 * header. */
rl_err rl_learner_state_open(rl_cursor *r, const void *p, size_t len, const rl_learner *l,
                             enum rl_learner_kind kind, uint32_t rows, size_t need,
                             uint64_t *updates, char *errstr, size_t errstr_size);
/* The shared part of a new learner: ops, a copy of p, its task, learning-rate scale 1. */
void rl_learner_base_init(rl_learner *b, const struct rl_learner_ops *ops,
                          const rl_learner_params *p, rl_task task);
/* The slot mask of 2^bits hashed weights. */
static inline uint32_t rl_slot_mask(uint32_t bits)
{
    return (uint32_t)((1ull << bits) - 1);
}
/* A one-row weights view over v = [n sparse | dense_dim dense | bias]. */
void rl_learner_weights_view(rl_weights *out, const float *v, size_t n, uint32_t dense_dim);
/* Checks the parts of p every learner shares (bits, dense_dim, learner name). */
rl_err rl_learner_params_check_common(const rl_learner_params *p, char *errstr, size_t errstr_size);
/* Checks a weights view against the learner's shape before set_weights. */
rl_err rl_learner_weights_check(const rl_learner *l, const rl_weights *w, uint32_t rows,
                                char *errstr, size_t errstr_size);

/* ---- the sgd engine (sgd.c); kind lets another learner reuse it under its own state kind ---- */
rl_err rl_sgd_create_kind(const rl_learner_params *p, const struct rl_learner_ops *ops, int kind,
                          rl_learner **out, char *errstr, size_t errstr_size);
void rl_sgd_predict(const rl_learner *l, const rl_example *ex, rl_pred *out);
double rl_sgd_learn(rl_learner *l, const rl_example *ex, rl_pred *out);
void rl_sgd_reset(rl_learner *l);
rl_err rl_sgd_export(const rl_learner *l, rl_buf *out);
rl_err rl_sgd_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size);
rl_err rl_sgd_import_from(rl_learner *l, const rl_byte_stream *src, size_t len, char *errstr,
                          size_t errstr_size);
void rl_sgd_weights(const rl_learner *l, rl_weights *out);
rl_err rl_sgd_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size);
void rl_sgd_scoring(const rl_learner *l, rl_scoring *out);
void rl_sgd_destroy(rl_learner *l);
void rl_sgd_prefetch(rl_learner *l, const rl_example *ex);
#if defined(__SSE2__)
/* For tests only, to compare the two paths: 1 (the default) lets the normalized rule's
 * prediction and first pass take four coordinates at a time with SSE, bitwise the same as one at
 * a time; 0 forces the scalar loops. Process-global; never called outside tests. */
void rl_sgd_test_set_simd(int on);
#endif

/* Soft threshold: v moved toward 0 by k >= 0, stopping at 0. Branch-free (the signs of weights
 * are unpredictable, and a mispredicted branch per feature costs more than the update). */
static inline float rl_clip_l1(float v, float k)
{
    float a = fabsf(v) - k;
    return copysignf(a > 0 ? a : 0.0f, v); /* not fmaxf: at -O2 that is a libm call */
}

/* An example's dense block must match the learner's dense_dim (learner.h); one that does not is
 * unusable: learn() predicts without it and returns NAN rather than guess. */
static inline int rl_ex_dense_ok(const rl_example *ex, uint32_t dense_dim)
{
    return !ex->dense || ex->n_dense == dense_dim;
}

/* ---- losses (z = raw score, y = label as given: 0/1 for binary, value for regression) ---- */
/* Binary labels: anything > 0.5 is the positive class. */
static inline double rl_lsign(double y)
{
    return y > 0.5 ? 1.0 : -1.0;
}

double rl_loss_value(rl_loss loss, double z, double y);
/* d loss / d z */
double rl_loss_deriv(rl_loss loss, double z, double y);
/* Importance-invariant update (Karampatziakis & Langford 2011): the step u along the
 * per-update direction such that the prediction moves by u * ppu, integrating the gradient flow
 * of the loss over an importance weight folded into scale (= eta * weight). ppu > 0. Positive u
 * raises the prediction. */
double rl_loss_invariant_update(rl_loss loss, double z, double y, double scale, double ppu);
/* Fills *out, sets *deriv = d loss / d z and returns the loss, computing shared terms once. */
double rl_loss_eval(rl_loss loss, double z, double y, double *deriv, rl_pred *out);
/* Score clamp for exp() in Poisson / logistic so a runaway weight cannot make inf. */
#define RL_SCORE_CLAMP 50.0

#endif
