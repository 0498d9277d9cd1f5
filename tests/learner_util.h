/* learner_util.h - what the learner tests share: a deterministic LCG, generated examples for
 * each task, learners made from key=value strings, and bitwise comparisons of predictions,
 * states and weights. */
#ifndef RL_TEST_LEARNER_UTIL_H
#define RL_TEST_LEARNER_UTIL_H

/* Each test file uses some of these helpers: the others must not warn. */
#define RL_TEST_UNUSED __attribute__((unused))

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learners/features.h"
#include "learners/interactions.h"
#include "learners/learner.h"
#include "learners/learner_impl.h"
#include "tests/learner_cfgs.h"

/* ---- deterministic data ---- */

static uint64_t rng_state;

static RL_TEST_UNUSED void rng_seed(uint64_t s)
{
    rng_state = s * 2862933555777941757ull + 3037000493ull;
}

static RL_TEST_UNUSED double rng_unif(void) /* [0, 1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

#define MAXF 12
#define DD   3

typedef struct gen_ex {
    rl_feature f[MAXF];
    float dense[DD];
    rl_example ex;
} gen_ex;

/* A labelled example for the task: a hidden linear model over a few hundred indices (some
 * beyond 2^bits so masking is exercised), importance weights 1, 0.5, 2 and occasionally 0. */
static RL_TEST_UNUSED void gen(gen_ex *g, rl_task task, uint32_t n_classes, int with_dense)
{
    uint32_t n = 3 + (uint32_t)(rng_unif() * (MAXF - 3));
    double z[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = (uint32_t)(rng_unif() * 300);
        if (rng_unif() < 0.05)
            idx = 0xfffff000u + idx; /* out of range: the learner must mask it */
        float v = (float)(rng_unif() * 2 - 1);
        g->f[i].index = idx;
        g->f[i].value = v;
        for (int k = 0; k < 4; k++)
            z[k] += v * sin((double)(idx % 300) * (k + 1) * 0.37);
    }
    for (int j = 0; j < DD; j++)
        g->dense[j] = (float)(rng_unif() * 2 - 1);
    double u = rng_unif();
    g->ex.weight = u < 0.05 ? 0.0f : u < 0.2 ? 0.5f : u < 0.3 ? 2.0f : 1.0f;
    g->ex.feats = g->f;
    g->ex.n_feats = n;
    g->ex.dense = with_dense ? g->dense : NULL;
    g->ex.n_dense = with_dense ? DD : 0;
    if (task == RL_TASK_BINARY) {
        g->ex.label = rng_unif() < 1.0 / (1.0 + exp(-2 * z[0])) ? 1.0f : 0.0f;
    } else if (task == RL_TASK_REGRESSION) {
        g->ex.label = (float)(0.5 * z[0] + 0.1 * (rng_unif() - 0.5));
    } else {
        uint32_t best = 0;
        for (uint32_t k = 1; k < n_classes && k < 4; k++)
            if (z[k] > z[best])
                best = k;
        g->ex.label = (float)best;
    }
}

/* Poisson wants counts: a small non-negative integer driven by the same hidden score. */
static RL_TEST_UNUSED void gen_counts(gen_ex *g)
{
    double mu = exp(0.5 * g->ex.label);
    g->ex.label = (float)floor(mu * 2 * rng_unif());
}

static RL_TEST_UNUSED rl_learner *make(const char *kv)
{
    rl_learner_params p;
    rl_learner *l = NULL;
    char err[256];
    params_from(kv, &p);
    if (rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", kv, err);
    return l;
}

static RL_TEST_UNUSED void gen_for(gen_ex *g, const rl_learner *l)
{
    gen(g, l->task, l->params.n_classes, l->params.dense_dim > 0);
    if (l->params.loss == RL_LOSS_POISSON && l->task == RL_TASK_REGRESSION &&
        strcmp(l->ops->name, "sgd") == 0)
        gen_counts(g);
}

/* Field by field, bitwise (NAN == NAN here); rl_pred has padding, so no memcmp of it. */
static RL_TEST_UNUSED int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static RL_TEST_UNUSED void assert_same_pred(const rl_pred *a, const rl_pred *b, const char *kv,
                                            int i)
{
    if (!same_bits(a->score, b->score) || !same_bits(a->value, b->value) ||
        !same_bits(a->prob, b->prob) || !same_bits(a->prob_true, b->prob_true) || a->cls != b->cls)
        fail_msg("%s: example %d: predictions differ (score %.17g vs %.17g)", kv, i, a->score,
                 b->score);
}

/* predict() leaves prob_true NAN (it has no label); learn() fills it. Everything else agrees. */
static RL_TEST_UNUSED void assert_predict_is_learn(const rl_pred *pp, const rl_pred *pl,
                                                   const char *kv, int i)
{
    assert_true(isnan(pp->prob_true));
    if (!same_bits(pp->score, pl->score) || !same_bits(pp->value, pl->value) ||
        !same_bits(pp->prob, pl->prob) || pp->cls != pl->cls)
        fail_msg("%s: example %d: predictions differ (score %.17g vs %.17g)", kv, i, pp->score,
                 pl->score);
}

static RL_TEST_UNUSED void export_to(const rl_learner *l, rl_buf *b)
{
    rl_buf_init(b);
    assert_int_equal(rl_learner_export(l, b), RL_OK);
    assert_true(b->len > 24);
}

static RL_TEST_UNUSED void assert_same_state(const rl_learner *a, const rl_learner *b,
                                             const char *kv)
{
    rl_buf x, y;
    export_to(a, &x);
    export_to(b, &y);
    if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
        fail_msg("%s: exported states differ", kv);
    rl_buf_free(&x);
    rl_buf_free(&y);
}

static RL_TEST_UNUSED void assert_same_weights(const rl_learner *a, const rl_learner *b,
                                               const char *kv)
{
    rl_weights wa, wb;
    rl_learner_weights(a, &wa);
    rl_learner_weights(b, &wb);
    assert_int_equal(wa.n_sparse, wb.n_sparse);
    assert_int_equal(wa.n_rows, wb.n_rows);
    assert_int_equal(wa.dense_dim, wb.dense_dim);
    if (memcmp(wa.w, wb.w, wa.n_sparse * wa.n_rows * sizeof(float)) != 0 ||
        memcmp(wa.bias, wb.bias, wa.n_rows * sizeof(float)) != 0 ||
        (wa.dense_dim &&
         memcmp(wa.dense, wb.dense, (size_t)wa.dense_dim * wa.n_rows * sizeof(float)) != 0))
        fail_msg("%s: weights differ", kv);
}

#endif
