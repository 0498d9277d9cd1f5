/* sgd_int.h - the sgd engine's state, shared by its three files (not a public header):
 * sgd.c (create, predict, the plain schedules, learn), sgd_normalized.c (the normalized
 * adaptive invariant rule, the default) and sgd_state.c (state export/import, weight views). */
#ifndef RL_SGD_INT_H
#define RL_SGD_INT_H

#include "learners/learner_impl.h"

typedef struct sgd {
    rl_learner base; /* first: sqlite-style subclassing */
    int kind;
    uint32_t mask;
    uint32_t stride;       /* floats per coordinate: 4 normalized, 2 adagrad, 1 otherwise */
    uint32_t dd;           /* dense_dim */
    float *ws;             /* (mask + 1) * stride */
    size_t ws_map;         /* bytes mapped for ws by state_alloc, or 0 when it came from calloc */
    int caller_prefetches; /* rl_sgd_prefetch was called: score() leaves prefetching to it */
    float *dws;            /* dd * stride, or NULL */
    float bws[4];          /* the bias coordinate */
    float *view;       /* contiguous weights for weights() when stride > 1 or pegasos; else NULL */
    double t;          /* importance weight learned so far (schedule time) */
    double sum_norm_x; /* normalized: sum of weight * sum_i (x_i / N_i)^2 */
    double total_weight; /* normalized: sum of weights over updates */
    double pscale;       /* pegasos: the true weights are pscale * ws */
} sgd;

/* Coordinates of the sparse part: 2^bits. */
static inline size_t sgd_n_sparse(const sgd *s)
{
    return (size_t)s->mask + 1;
}

/* Zeroes the weights, the per-coordinate state and the counters (reset, set_weights). */
void rl_sgd_clear(sgd *s);

/* The normalized rule (sgd_normalized.c): the raw score before the bias, each value clipped to
 * its coordinate's known scale; dense: the example's dense block counts. */
float rl_sgd_norm_score(const sgd *s, const rl_example *ex, int dense);
/* Its update, given the score z, label y, weight wt, the loss's derivative d and the loss. */
void rl_sgd_learn_normalized(sgd *s, const rl_example *ex, double z, double y, double wt, double d,
                             double loss);

#endif
