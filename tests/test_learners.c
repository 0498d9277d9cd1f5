/* test_learners.c - the learner conformance suite (run over every registered learner and the
 * main configurations of each), known answers per learner, loss gradients against finite
 * differences, hashing stability, convergence and scale invariance. Fast: 2^10 weights, short
 * synthetic streams from a fixed LCG, so it also runs in seconds under ASan. */
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

static void rng_seed(uint64_t s)
{
    rng_state = s * 2862933555777941757ull + 3037000493ull;
}

static double rng_unif(void) /* [0, 1) */
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
static void gen(gen_ex *g, rl_task task, uint32_t n_classes, int with_dense)
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
static void gen_counts(gen_ex *g)
{
    double mu = exp(0.5 * g->ex.label);
    g->ex.label = (float)floor(mu * 2 * rng_unif());
}

static rl_learner *make(const char *kv)
{
    rl_learner_params p;
    rl_learner *l = NULL;
    char err[256];
    params_from(kv, &p);
    if (rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", kv, err);
    return l;
}

static void gen_for(gen_ex *g, const rl_learner *l)
{
    gen(g, l->task, l->params.n_classes, l->params.dense_dim > 0);
    if (l->params.loss == RL_LOSS_POISSON && l->task == RL_TASK_REGRESSION &&
        strcmp(l->ops->name, "sgd") == 0)
        gen_counts(g);
}

/* Field by field, bitwise (NAN == NAN here); rl_pred has padding, so no memcmp of it. */
static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static void assert_same_pred(const rl_pred *a, const rl_pred *b, const char *kv, int i)
{
    if (!same_bits(a->score, b->score) || !same_bits(a->value, b->value) ||
        !same_bits(a->prob, b->prob) || !same_bits(a->prob_true, b->prob_true) || a->cls != b->cls)
        fail_msg("%s: example %d: predictions differ (score %.17g vs %.17g)", kv, i, a->score,
                 b->score);
}

/* predict() leaves prob_true NAN (it has no label); learn() fills it. Everything else agrees. */
static void assert_predict_is_learn(const rl_pred *pp, const rl_pred *pl, const char *kv, int i)
{
    assert_true(isnan(pp->prob_true));
    if (!same_bits(pp->score, pl->score) || !same_bits(pp->value, pl->value) ||
        !same_bits(pp->prob, pl->prob) || pp->cls != pl->cls)
        fail_msg("%s: example %d: predictions differ (score %.17g vs %.17g)", kv, i, pp->score,
                 pl->score);
}

static void export_to(const rl_learner *l, rl_buf *b)
{
    rl_buf_init(b);
    assert_int_equal(rl_learner_export(l, b), RL_OK);
    assert_true(b->len > 24);
}

static void assert_same_state(const rl_learner *a, const rl_learner *b, const char *kv)
{
    rl_buf x, y;
    export_to(a, &x);
    export_to(b, &y);
    if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
        fail_msg("%s: exported states differ", kv);
    rl_buf_free(&x);
    rl_buf_free(&y);
}

static void assert_same_weights(const rl_learner *a, const rl_learner *b, const char *kv)
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

/* ---- conformance: warm start, round trip, reset, set_weights, refusals ---- */

static void test_conformance_warm_start(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        const char *kv = cfgs[c].kv;
        rl_learner *a = make(kv), *b = make(kv);
        gen_ex g;
        rl_pred pa, pb, pp;
        rng_seed(c + 1);
        int learned = 0;
        for (int i = 0; i < 400; i++) {
            gen_for(&g, a);
            rl_learner_predict(a, &g.ex, &pp);
            double loss = rl_learner_learn(a, &g.ex, &pa);
            assert_predict_is_learn(&pp, &pa, kv, i);
            if (!isfinite(loss))
                fail_msg("%s: example %d: loss %g", kv, i, loss);
            learned += g.ex.weight > 0;
        }
        assert_int_equal(a->updates, (uint64_t)learned);
        rl_buf s1, s2;
        export_to(a, &s1);
        char err[256];
        if (rl_learner_import(b, s1.data, s1.len, err, sizeof(err)) != RL_OK)
            fail_msg("%s: import: %s", kv, err);
        export_to(b, &s2);
        assert_int_equal(s1.len, s2.len);
        assert_memory_equal(s1.data, s2.data, s1.len); /* export(import(x)) == x */
        assert_int_equal(a->updates, b->updates);
        for (int i = 0; i < 400; i++) {
            gen_for(&g, a);
            double la = rl_learner_learn(a, &g.ex, &pa);
            double lb = rl_learner_learn(b, &g.ex, &pb);
            assert_same_pred(&pa, &pb, kv, i);
            assert_memory_equal(&la, &lb, sizeof(la));
        }
        assert_same_weights(a, b, kv);
        assert_same_state(a, b, kv);
        rl_buf_free(&s1);
        rl_buf_free(&s2);
        rl_learner_destroy(a);
        rl_learner_destroy(b);
    }
}

static void test_conformance_reset(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        const char *kv = cfgs[c].kv;
        rl_learner *a = make(kv), *fresh = make(kv);
        gen_ex g;
        rl_pred pa, pf;
        rng_seed(100 + c);
        for (int i = 0; i < 200; i++) {
            gen_for(&g, a);
            rl_learner_learn(a, &g.ex, &pa);
        }
        rl_learner_reset(a);
        assert_int_equal(a->updates, 0);
        assert_same_state(a, fresh, kv);
        for (int i = 0; i < 100; i++) {
            gen_for(&g, a);
            rl_learner_learn(a, &g.ex, &pa);
            rl_learner_learn(fresh, &g.ex, &pf);
            assert_same_pred(&pa, &pf, kv, i);
        }
        rl_learner_destroy(a);
        rl_learner_destroy(fresh);
    }
}

static void test_conformance_set_weights(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        const char *kv = cfgs[c].kv;
        rl_learner *a = make(kv), *b = make(kv);
        gen_ex g;
        rl_pred pa, pb;
        rng_seed(200 + c);
        for (int i = 0; i < 300; i++) {
            gen_for(&g, a);
            rl_learner_learn(a, &g.ex, &pa);
        }
        /* Copy the published weights out, as a snapshot would. */
        rl_weights wa;
        rl_learner_weights(a, &wa);
        size_t nw = wa.n_sparse * wa.n_rows, nd = (size_t)wa.dense_dim * wa.n_rows;
        float *w = malloc(nw * sizeof(float)), *d = malloc((nd + 1) * sizeof(float)),
              *bias = malloc(wa.n_rows * sizeof(float));
        assert_non_null(w);
        assert_non_null(d);
        assert_non_null(bias);
        memcpy(w, wa.w, nw * sizeof(float));
        if (nd)
            memcpy(d, wa.dense, nd * sizeof(float));
        memcpy(bias, wa.bias, wa.n_rows * sizeof(float));
        rl_weights snap = wa;
        snap.w = w;
        snap.dense = nd ? d : NULL;
        snap.bias = bias;
        char err[256];
        if (rl_learner_set_weights(b, &snap, err, sizeof(err)) != RL_OK)
            fail_msg("%s: set_weights: %s", kv, err);
        assert_int_equal(b->updates, 0);
        /* Same published weights, so the same predictions (FTRL derives w from {z, n}: the
         * inverse is exact up to float rounding). */
        rl_weights wb;
        rl_learner_weights(b, &wb);
        for (size_t i = 0; i < nw; i++)
            assert_float_equal(wb.w[i], w[i], 1e-6 * (1 + fabsf(w[i])));
        /* A learner started from weights predicts what those weights say: w.x + bias (the
         * best row's score for softmax). */
        for (int i = 0; i < 50; i++) {
            gen_for(&g, a);
            rl_learner_predict(b, &g.ex, &pb);
            double best = -INFINITY;
            for (uint32_t r = 0; r < snap.n_rows; r++) {
                double z = snap.bias[r];
                for (uint32_t f = 0; f < g.ex.n_feats; f++)
                    z +=
                        (double)w[r * snap.n_sparse + (g.ex.feats[f].index & (snap.n_sparse - 1))] *
                        g.ex.feats[f].value;
                for (uint32_t j = 0; g.ex.dense && j < snap.dense_dim; j++)
                    z += (double)d[r * snap.dense_dim + j] * g.ex.dense[j];
                if (!b->params.bias)
                    z -= snap.bias[r];
                best = z > best ? z : best;
            }
            assert_float_equal(pb.score, best, 1e-4 * (1 + fabs(best)));
        }
        /* And it keeps learning sensibly from there. */
        for (int i = 0; i < 200; i++) {
            gen_for(&g, b);
            double loss = rl_learner_learn(b, &g.ex, &pb);
            if (!isfinite(loss))
                fail_msg("%s: after set_weights, example %d: loss %g label %g w %g score %g", kv, i,
                         loss, g.ex.label, g.ex.weight, pb.score);
        }
        /* A wrong shape is refused. */
        snap.n_sparse = 1u << 11;
        assert_int_equal(rl_learner_set_weights(b, &snap, err, sizeof(err)), RL_ERR_MISMATCH);
        assert_non_null(strstr(err, "n_sparse"));
        free(w);
        free(d);
        free(bias);
        rl_learner_destroy(a);
        rl_learner_destroy(b);
    }
}

static void test_conformance_import_refusals(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        const char *kv = cfgs[c].kv;
        rl_learner *a = make(kv), *b = make(kv);
        gen_ex g;
        rl_pred pa;
        rng_seed(300 + c);
        for (int i = 0; i < 50; i++) {
            gen_for(&g, a);
            rl_learner_learn(a, &g.ex, &pa);
        }
        rl_buf s, before;
        export_to(a, &s);
        export_to(b, &before);
        char err[256];
        size_t cuts[] = {0, 1, 5, 23, 24, s.len / 2, s.len - 1};
        for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
            err[0] = '\0';
            rl_err e = rl_learner_import(b, s.data, cuts[k], err, sizeof(err));
            if (e == RL_OK)
                fail_msg("%s: truncated state (%zu of %zu bytes) accepted", kv, cuts[k], s.len);
            assert_true(strlen(err) > 0);
        }
        /* One byte too many is as wrong as one too few. */
        rl_buf_put_u8(&s, 0);
        assert_int_equal(rl_learner_import(b, s.data, s.len, err, sizeof(err)), RL_ERR_FORMAT);
        s.len--;
        /* A newer format version is refused, never guessed at. */
        s.data[0] = 99;
        assert_int_equal(rl_learner_import(b, s.data, s.len, err, sizeof(err)), RL_ERR_VERSION);
        s.data[0] = RL_LEARNER_STATE_VERSION;
        /* Another learner kind. */
        s.data[1] ^= 0x40;
        assert_int_equal(rl_learner_import(b, s.data, s.len, err, sizeof(err)), RL_ERR_MISMATCH);
        assert_non_null(strstr(err, b->ops->name));
        s.data[1] ^= 0x40;
        /* Failed imports left the model untouched. */
        assert_same_state(b, b, kv);
        rl_buf now;
        export_to(b, &now);
        assert_int_equal(now.len, before.len);
        assert_memory_equal(now.data, before.data, now.len);
        /* Another shape: same learner with more bits. */
        char kv2[300];
        snprintf(kv2, sizeof(kv2), "%s bits=11", kv);
        rl_learner *big = make(kv2);
        assert_int_equal(rl_learner_import(big, s.data, s.len, err, sizeof(err)), RL_ERR_MISMATCH);
        assert_non_null(strstr(err, "bits=10"));
        rl_learner_destroy(big);
        rl_buf_free(&s);
        rl_buf_free(&before);
        rl_buf_free(&now);
        rl_learner_destroy(a);
        rl_learner_destroy(b);
    }
}

/* Garbage never poisons the weights: a NaN value, a NaN label or a negative weight is
 * predicted on, reported as NAN, and not learned from. */
static void test_conformance_bad_examples(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        const char *kv = cfgs[c].kv;
        rl_learner *a = make(kv);
        gen_ex g;
        rl_pred p;
        rng_seed(400 + c);
        for (int i = 0; i < 50; i++) {
            gen_for(&g, a);
            rl_learner_learn(a, &g.ex, &p);
        }
        rl_buf before, after;
        export_to(a, &before);
        gen_for(&g, a);
        g.ex.weight = 1;
        g.f[0].value = NAN;
        assert_true(isnan(rl_learner_learn(a, &g.ex, &p)));
        g.f[0].value = 1;
        g.ex.label = NAN;
        assert_true(isnan(rl_learner_learn(a, &g.ex, &p)));
        g.ex.label = 0;
        g.ex.weight = -1;
        assert_true(isnan(rl_learner_learn(a, &g.ex, &p)));
        g.ex.weight = INFINITY;
        assert_true(isnan(rl_learner_learn(a, &g.ex, &p)));
        /* A dense block of the wrong size (or one the learner has no room for). */
        g.ex.weight = 1;
        g.ex.dense = g.dense;
        g.ex.n_dense = a->params.dense_dim + 1;
        assert_true(isnan(rl_learner_learn(a, &g.ex, &p)));
        g.ex.n_dense = a->params.dense_dim == DD ? DD - 1 : DD;
        assert_true(isnan(rl_learner_learn(a, &g.ex, &p)));
        export_to(a, &after);
        assert_int_equal(before.len, after.len);
        assert_memory_equal(before.data, after.data, before.len);
        rl_buf_free(&before);
        rl_buf_free(&after);
        rl_learner_destroy(a);
    }
}

static void test_registry(void **state)
{
    (void)state;
    const char *names[] = {"sgd", "perceptron", "avg_perceptron", "ogd", "ftrl", "softmax"};
    size_t n = 0;
    for (const struct rl_learner_ops *const *o = rl_learner_all(); *o; o++, n++) {
        assert_int_equal((*o)->version, RL_LEARNER_OPS_VERSION);
        assert_ptr_equal(rl_learner_find((*o)->name), *o);
        assert_non_null((*o)->summary);
    }
    assert_int_equal(n, sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < n; i++)
        assert_non_null(rl_learner_find(names[i]));
    assert_null(rl_learner_find("sgdx"));
    assert_null(rl_learner_find(NULL));
    /* The conformance table covers every registered learner. */
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t c = 0; c < N_CFGS; c++) {
            char want[64];
            snprintf(want, sizeof(want), "learner=%s", names[i]);
            const char *hit = strstr(cfgs[c].kv, want);
            found |= hit && (hit[strlen(want)] == ' ' || hit[strlen(want)] == '\0');
        }
        assert_true(found);
    }
}

/* ---- parameters ---- */

static void expect_bad(const char *key, const char *value, rl_err want)
{
    rl_learner_params p;
    char err[256] = "";
    rl_learner_params_default(&p);
    rl_learner_params before = p;
    rl_err e = rl_learner_params_set(&p, key, value, err, sizeof(err));
    if (e != want)
        fail_msg("%s=%s: got %s, want %s", key, value, rl_err_str(e), rl_err_str(want));
    assert_memory_equal(&p, &before, sizeof(p)); /* unchanged */
    if (!strstr(err, key) || (want != RL_ERR_NOT_FOUND && !strstr(err, value)))
        fail_msg("%s=%s: message does not name key and value: %s", key, value, err);
    if (want != RL_ERR_NOT_FOUND && !strstr(err, "allowed") && !strstr(err, "expected") &&
        !strstr(err, ">"))
        fail_msg("%s=%s: message does not say what is allowed: %s", key, value, err);
}

static void test_params(void **state)
{
    (void)state;
    rl_learner_params p;
    char err[256];
    rl_learner_params_default(&p);
    assert_string_equal(p.learner, "sgd");
    assert_int_equal(p.loss, RL_LOSS_LOGISTIC);
    assert_int_equal(p.schedule, RL_SCHED_NORMALIZED);
    assert_int_equal(p.bits, 18);
    assert_int_equal(p.n_classes, 2);
    assert_true(p.eta == 0.5 && p.power_t == 0.5 && p.t0 == 1 && p.ftrl_alpha == 0.5 &&
                p.ftrl_beta == 1 && p.bias == 1 && p.l1 == 0 && p.l2 == 0 && p.dense_dim == 0);

    struct {
        const char *k, *v;
    } good[] = {{"learner", "ftrl"}, {"loss", "poisson"}, {"schedule", "pegasos"},
                {"bits", "30"},      {"dense_dim", "7"},  {"classes", "1024"},
                {"eta", "1e-3"},     {"power_t", "0"},    {"t0", "10"},
                {"l1", "0.25"},      {"l2", "2"},         {"alpha", "0.05"},
                {"beta", "0"},       {"bias", "false"}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (rl_learner_params_set(&p, good[i].k, good[i].v, err, sizeof(err)) != RL_OK)
            fail_msg("%s=%s: %s", good[i].k, good[i].v, err);
    assert_string_equal(p.learner, "ftrl");
    assert_int_equal(p.loss, RL_LOSS_POISSON);
    assert_int_equal(p.schedule, RL_SCHED_PEGASOS);
    assert_int_equal(p.bits, 30);
    assert_int_equal(p.dense_dim, 7);
    assert_int_equal(p.n_classes, 1024);
    assert_true(p.eta == 1e-3 && p.power_t == 0 && p.t0 == 10 && p.l1 == 0.25 && p.l2 == 2 &&
                p.ftrl_alpha == 0.05 && p.ftrl_beta == 0 && p.bias == 0);

    char out[1024];
    size_t n = rl_learner_params_format(&p, out, sizeof(out));
    assert_int_equal(n, strlen(out));
    assert_non_null(strstr(out, "learner=ftrl\n"));
    assert_non_null(strstr(out, "loss=poisson\n"));
    assert_non_null(strstr(out, "schedule=pegasos\n"));
    assert_non_null(strstr(out, "bits=30\n"));
    assert_non_null(strstr(out, "eta=0.001\n"));
    assert_non_null(strstr(out, "bias=0\n"));
    /* A short buffer is truncated but terminated, and the full length is reported. */
    char tiny[8];
    assert_int_equal(rl_learner_params_format(&p, tiny, sizeof(tiny)), n);
    assert_true(strlen(tiny) < sizeof(tiny));

    expect_bad("bits", "9", RL_ERR_INVALID_ARG);
    expect_bad("bits", "31", RL_ERR_INVALID_ARG);
    expect_bad("bits", "18.5", RL_ERR_INVALID_ARG);
    expect_bad("bits", "abc", RL_ERR_INVALID_ARG);
    expect_bad("bits", "", RL_ERR_INVALID_ARG);
    expect_bad("classes", "1", RL_ERR_INVALID_ARG);
    expect_bad("classes", "1025", RL_ERR_INVALID_ARG);
    expect_bad("eta", "0", RL_ERR_INVALID_ARG);
    expect_bad("eta", "-1", RL_ERR_INVALID_ARG);
    expect_bad("eta", "nan", RL_ERR_INVALID_ARG);
    expect_bad("eta", "inf", RL_ERR_INVALID_ARG);
    expect_bad("eta", "0.5x", RL_ERR_INVALID_ARG);
    expect_bad("l1", "-0.1", RL_ERR_INVALID_ARG);
    expect_bad("l2", "1e400", RL_ERR_INVALID_ARG);
    expect_bad("alpha", "0", RL_ERR_INVALID_ARG);
    expect_bad("beta", "-1", RL_ERR_INVALID_ARG);
    expect_bad("power_t", "-0.5", RL_ERR_INVALID_ARG);
    expect_bad("dense_dim", "-1", RL_ERR_INVALID_ARG);
    expect_bad("bias", "maybe", RL_ERR_INVALID_ARG);
    expect_bad("loss", "logit", RL_ERR_INVALID_ARG);
    expect_bad("schedule", "adam", RL_ERR_INVALID_ARG);
    expect_bad("learner", "svm", RL_ERR_INVALID_ARG);
    expect_bad("learning_rate", "0.1", RL_ERR_NOT_FOUND);

    /* Combinations a single key cannot check are refused at creation. */
    struct {
        const char *kv, *needle;
    } bad_new[] = {
        {"learner=sgd schedule=pegasos", "l2"},
        {"learner=sgd schedule=pegasos l2=0.1 l1=0.1", "l1"},
        {"learner=sgd schedule=invscaling t0=0", "t0"},
        {"learner=ftrl loss=hinge", "loss"},
        {"learner=ogd loss=poisson", "loss"},
        {"learner=ogd schedule=pegasos", "schedule"},
        {"learner=ogd power_t=0.3", "power_t"},
        {"learner=softmax schedule=pegasos l2=1", "pegasos"},
    };
    for (size_t i = 0; i < sizeof(bad_new) / sizeof(bad_new[0]); i++) {
        rl_learner *l = NULL;
        params_from(bad_new[i].kv, &p);
        err[0] = '\0';
        assert_int_equal(rl_learner_new(&p, &l, err, sizeof(err)), RL_ERR_INVALID_ARG);
        assert_null(l);
        if (!strstr(err, bad_new[i].needle))
            fail_msg("%s: message does not mention %s: %s", bad_new[i].kv, bad_new[i].needle, err);
    }
    /* Fields set directly (not through keys) are checked too. */
    rl_learner *l = NULL;
    rl_learner_params_default(&p);
    p.bits = 40;
    assert_int_equal(rl_learner_new(&p, &l, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "bits"));
    rl_learner_params_default(&p);
    snprintf(p.learner, sizeof(p.learner), "nope");
    assert_int_equal(rl_learner_new(&p, &l, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "nope"));
    rl_learner_params_default(&p);
    snprintf(p.learner, sizeof(p.learner), "softmax");
    p.n_classes = 1;
    assert_int_equal(rl_learner_new(&p, &l, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "classes"));
    rl_learner_destroy(NULL); /* a no-op */

    assert_string_equal(rl_loss_name(RL_LOSS_HINGE), "hinge");
    assert_string_equal(rl_schedule_name(RL_SCHED_ADAGRAD), "adagrad");
    assert_string_equal(rl_task_name(RL_TASK_MULTICLASS), "multiclass");
    assert_string_equal(rl_loss_name((rl_loss)99), "unknown");
}

/* ---- losses ---- */

static void test_loss_gradients(void **state)
{
    (void)state;
    const rl_loss losses[] = {RL_LOSS_LOGISTIC, RL_LOSS_HINGE, RL_LOSS_SQUARED, RL_LOSS_POISSON};
    const double zs[] = {-3.1, -0.7, 0.05, 0.4, 2.3};
    for (size_t li = 0; li < 4; li++) {
        rl_loss L = losses[li];
        const double ys_bin[] = {0, 1}, ys_reg[] = {-1.5, 0.3, 2}, ys_cnt[] = {0, 1, 4};
        const double *ys = L == RL_LOSS_POISSON ? ys_cnt : L == RL_LOSS_SQUARED ? ys_reg : ys_bin;
        size_t ny = L == RL_LOSS_LOGISTIC || L == RL_LOSS_HINGE ? 2 : 3;
        for (size_t yi = 0; yi < ny; yi++) {
            for (size_t zi = 0; zi < sizeof(zs) / sizeof(zs[0]); zi++) {
                double z = zs[zi], y = ys[yi], h = 1e-6;
                double fd = (rl_loss_value(L, z + h, y) - rl_loss_value(L, z - h, y)) / (2 * h);
                double an = rl_loss_deriv(L, z, y);
                if (fabs(fd - an) > 1e-5 * (1 + fabs(an)))
                    fail_msg("%s z=%g y=%g: derivative %.9g, finite difference %.9g",
                             rl_loss_name(L), z, y, an, fd);
                assert_true(rl_loss_value(L, z, y) >= 0);
                /* Invariant update: for a tiny step it is plain gradient descent ... */
                double ppu = 0.7, sc = 1e-9;
                double u = rl_loss_invariant_update(L, z, y, sc, ppu);
                assert_float_equal(u, -an * sc, 1e-6 * sc + 1e-15);
                /* ... and one step of weight 2h equals two steps of weight h (it follows the
                 * gradient flow, which is what makes importance weights safe). */
                sc = 0.3;
                double u2 = rl_loss_invariant_update(L, z, y, 2 * sc, ppu);
                double u1 = rl_loss_invariant_update(L, z, y, sc, ppu);
                double u1b = rl_loss_invariant_update(L, z + ppu * u1, y, sc, ppu);
                if (fabs(u2 - (u1 + u1b)) > 2e-4 * (1 + fabs(u2)))
                    fail_msg("%s z=%g y=%g: invariant step 2h %.9g != h + h %.9g", rl_loss_name(L),
                             z, y, u2, u1 + u1b);
                /* It never overshoots the label (squared) or the margin (hinge). */
                if (L == RL_LOSS_SQUARED) {
                    double z2 = z + ppu * rl_loss_invariant_update(L, z, y, 1e6, ppu);
                    assert_float_equal(z2, y, 1e-9);
                }
            }
        }
    }
}

/* The logistic invariant step at confident margins: it moves the prediction toward the label,
 * and the margin change D solves D + e^m expm1(D) = sp (the integrated gradient flow) to
 * rounding. VW's closed form, kept below margin 8, gave wrong-signed steps of size ~0.2 at
 * m ~ 36; at the switch the two agree to ~1e-5 in the margin. */
static void test_logistic_invariant_confident(void **state)
{
    (void)state;
    const double ms[] = {8.0001, 9, 12, 20, 30, 36, 49, 60};
    const double sps[] = {2e-6, 1e-3, 0.1, 1, 7, 50};
    const double ppu = 0.7;
    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        for (size_t j = 0; j < sizeof(sps) / sizeof(sps[0]); j++) {
            for (int y = 0; y <= 1; y++) {
                double s = y ? 1.0 : -1.0, m = ms[i], sp = sps[j];
                double u = rl_loss_invariant_update(RL_LOSS_LOGISTIC, s * m, y, sp / ppu, ppu);
                double d = s * u * ppu;
                double mc = m < 50 ? m : 50; /* scores are clamped at +-50 */
                double resid = d + exp(mc) * expm1(d) - sp;
                if (!(d > 0) || fabs(resid) > 1e-12 * sp || d > sp / (1 + exp(mc)) * (1 + 1e-12))
                    fail_msg("m=%g sp=%g y=%d: margin step %.17g (residual %.3g)", m, sp, y, d,
                             resid);
            }
        }
    }
    /* Either side of the switch at margin 8: the closed form and the exact step agree. */
    for (size_t j = 0; j < sizeof(sps) / sizeof(sps[0]); j++) {
        double sp = sps[j];
        double below = rl_loss_invariant_update(RL_LOSS_LOGISTIC, 8.0, 1, sp / ppu, ppu) * ppu;
        double above =
            rl_loss_invariant_update(RL_LOSS_LOGISTIC, nextafter(8.0, 9.0), 1, sp / ppu, ppu) * ppu;
        if (fabs(below - above) > 2e-5 * (sp < 1 ? 1 : sp))
            fail_msg("sp=%g: step %.9g just below margin 8, %.9g just above", sp, below, above);
    }
}

/* ---- known answers, one hand-computed update per learner ---- */

static rl_learner *make_bits10(const char *kv)
{
    return make(kv);
}

static void learn1(rl_learner *l, uint32_t idx, float x, float y, rl_pred *p, double *loss)
{
    rl_feature f = {idx, x};
    rl_example ex = {y, 1.0f, &f, 1, NULL, 0, NULL};
    *loss = rl_learner_learn(l, &ex, p);
}

/* A value whose square is not a float (1e20: the readers refuse it, a library caller may not)
 * and values at the limit, many times over: the default learner's state stays finite, its
 * export imports again, and it goes on learning. Before, one such value made its counters NaN
 * for good (every later update skipped, every later checkpoint unloadable). */
static void test_sgd_survives_huge_values(void **state)
{
    (void)state;
    static const char *kinds[] = {"learner=sgd", "learner=sgd loss=hinge",
                                  "learner=sgd loss=squared"};
    char err[256];
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        rl_learner *l = make_bits10(kinds[k]);
        rl_pred p;
        double loss;
        for (int i = 0; i < 50; i++)
            learn1(l, (uint32_t)(i % 7), 1.0f, (float)(i % 2), &p, &loss);
        learn1(l, 3, 1e20f, 1.0f, &p, &loss);
        for (int i = 0; i < 500; i++)
            learn1(l, 5, i % 2 ? RL_FEATURE_VALUE_MAX : -RL_FEATURE_VALUE_MAX, (float)(i % 2), &p,
                   &loss);
        /* a fresh feature still learns: its prediction moves toward its label */
        learn1(l, 9, 1.0f, 1.0f, &p, &loss);
        double before = p.score;
        for (int i = 0; i < 20; i++)
            learn1(l, 9, 1.0f, 1.0f, &p, &loss);
        if (!(isfinite(p.score) && p.score > before))
            fail_msg("%s: score %g after %g: no longer learning", kinds[k], p.score, before);
        rl_buf b;
        export_to(l, &b);
        rl_learner *back = make_bits10(kinds[k]);
        if (rl_learner_import(back, b.data, b.len, err, sizeof(err)) != RL_OK)
            fail_msg("%s: its own export does not import: %s", kinds[k], err);
        rl_learner_destroy(back);
        rl_buf_free(&b);
        rl_learner_destroy(l);
    }
}

/* Every learner, fed features at +-RL_FEATURE_VALUE_MAX (the largest the readers pass) among
 * ordinary ones, thousands of times: its state exports and imports again (a checkpoint of it
 * loads) and it still predicts finite scores. */
static void test_all_survive_limit_values(void **state)
{
    (void)state;
    char err[256];
    rng_seed(77);
    for (size_t c = 0; c < N_CFGS; c++) {
        rl_learner *l = make(cfgs[c].kv);
        float dense[3] = {RL_FEATURE_VALUE_MAX, -1.0f, 0.5f};
        for (int i = 0; i < 3000; i++) {
            rl_feature f[3] = {{(uint32_t)(rng_unif() * 1024),
                                rng_unif() < 0.5 ? RL_FEATURE_VALUE_MAX : -RL_FEATURE_VALUE_MAX},
                               {(uint32_t)(rng_unif() * 1024), (float)rng_unif()},
                               {7, i % 3 ? 1.0f : RL_FEATURE_VALUE_MAX}};
            float y;
            if (l->task == RL_TASK_MULTICLASS)
                y = (float)(i % l->params.n_classes);
            else if (l->task == RL_TASK_REGRESSION)
                y = l->params.loss == RL_LOSS_POISSON ? (float)(i % 4) : (float)(i % 5) - 2.0f;
            else
                y = (float)(i % 2);
            rl_example ex = {
                y, 1.0f, f, 3, l->params.dense_dim ? dense : NULL, l->params.dense_dim, NULL};
            rl_pred p;
            rl_learner_learn(l, &ex, &p);
        }
        rl_feature f1 = {3, 1.0f};
        rl_example ex = {1.0f, 1.0f, &f1, 1, NULL, 0, NULL};
        rl_pred p;
        rl_learner_predict(l, &ex, &p);
        if (!isfinite(p.score))
            fail_msg("%s: score %g after values at the limit", cfgs[c].kv, p.score);
        rl_buf b;
        export_to(l, &b);
        rl_learner *back = make(cfgs[c].kv);
        if (rl_learner_import(back, b.data, b.len, err, sizeof(err)) != RL_OK)
            fail_msg("%s: its own export does not import: %s", cfgs[c].kv, err);
        rl_learner_destroy(back);
        rl_buf_free(&b);
        rl_learner_destroy(l);
    }
}

/* A key given for a learner that never reads it is refused by name, with what the learner does
 * take; the same keys pass for a learner that uses them, and a config that was not given key by
 * key (a checkpoint's: set_keys 0) is not checked. */
static void test_unused_params_refused(void **state)
{
    (void)state;
    static const struct {
        const char *kv, *bad; /* bad: the key named in the refusal, NULL: accepted */
    } cases[] = {
        {"learner=perceptron alpha=0.2", "alpha"},
        {"learner=avg_perceptron l2=0.1", "l2"},
        {"learner=ftrl eta=0.1", "eta"},
        {"learner=ftrl schedule=constant", "schedule"},
        {"learner=sgd classes=3", "classes"},
        {"learner=softmax classes=3 loss=hinge", "loss"},
        {"learner=ogd beta=2", "beta"},
        {"learner=perceptron eta=0.3 bias=0 bits=12 dense_dim=2", NULL},
        {"learner=ftrl alpha=0.2 beta=2 l1=1 l2=0.5 loss=logistic", NULL},
        {"learner=softmax classes=4 schedule=adagrad eta=0.1 l2=0.01", NULL},
        {"learner=ogd loss=hinge eta=0.01 radius=3", NULL},
    };
    char err[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rl_learner_params p;
        params_from(cases[i].kv, &p);
        rl_learner *l = NULL;
        rl_err e = rl_learner_new(&p, &l, err, sizeof(err));
        if (!cases[i].bad) {
            if (e != RL_OK)
                fail_msg("%s: %s", cases[i].kv, err);
            rl_learner_destroy(l);
            continue;
        }
        if (e != RL_ERR_INVALID_ARG || strncmp(err, cases[i].bad, strlen(cases[i].bad)) != 0 ||
            !strstr(err, "it takes: bits, dense_dim"))
            fail_msg("%s: want '%s' refused, got %d '%s'", cases[i].kv, cases[i].bad, (int)e, err);
        assert_null(l);
        p.set_keys = 0; /* the same values from a stored config: not checked */
        assert_int_equal(rl_learner_new(&p, &l, err, sizeof(err)), RL_OK);
        rl_learner_destroy(l);
    }
}

static void test_known_sgd(void **state)
{
    (void)state;
    rl_pred p;
    double loss;
    rl_weights w;

    /* constant logistic: z = 0, dloss/dz = -1/2, w = -eta * dloss/dz * x = 0.5*0.5*2 */
    rl_learner *l = make_bits10("schedule=constant bias=0");
    learn1(l, 3, 2.0f, 1.0f, &p, &loss);
    assert_float_equal(loss, log(2.0), 1e-12);
    assert_float_equal(p.prob, 0.5, 1e-12);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[3], 0.5, 1e-7);
    /* lr_scale multiplies the step. */
    rl_learner_reset(l);
    l->lr_scale = 2.0;
    learn1(l, 3, 2.0f, 1.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[3], 1.0, 1e-7);
    rl_learner_destroy(l);

    /* normalized squared, x = 2, y = 1: G = 4 x^2 = 16, N = 2, rate = 1/(4*2), ppu = 0.5,
     * multiplier 1; invariant step moves the prediction to y - (y - 0) e^{-2 eta ppu}. */
    l = make_bits10("loss=squared bias=0");
    learn1(l, 5, 2.0f, 1.0f, &p, &loss);
    assert_float_equal(loss, 1.0, 1e-12);
    rl_learner_predict(l, &(rl_example){1, 1, &(rl_feature){5, 2.0f}, 1, NULL, 0, NULL}, &p);
    assert_float_equal(p.score, 1.0 - exp(-0.5), 1e-6);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[5], (1.0 - exp(-0.5)) / 2.0, 1e-6);
    rl_learner_destroy(l);

    /* adagrad squared: g = 2(0-1)*2 = -4, G = 16, w = 0.5/4 * 4 = 0.5 */
    l = make_bits10("loss=squared schedule=adagrad bias=0");
    learn1(l, 9, 2.0f, 1.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[9], 0.5, 1e-7);
    rl_learner_destroy(l);

    /* pegasos hinge, lambda 0.1: t=1 eta=10, decay to 0, w = 10; t=2: margin met, w = 5 */
    l = make_bits10("loss=hinge schedule=pegasos l2=0.1 bias=0");
    learn1(l, 4, 1.0f, 1.0f, &p, &loss);
    assert_float_equal(loss, 1.0, 1e-12);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[4], 10.0, 1e-5);
    learn1(l, 4, 1.0f, 1.0f, &p, &loss);
    assert_float_equal(loss, 0.0, 1e-12);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[4], 5.0, 1e-5);
    /* From published weights pegasos resumes at step eta (t = 1 / (l2 eta) = 20): the next
     * step decays by 1 - 1/21 instead of wiping the weights as its t = 1 step would. */
    static float w0[1024];
    w0[4] = 5.0f;
    float b0 = 0;
    rl_weights snap = {w0, 1024, NULL, 0, &b0, 1};
    char err[128];
    assert_int_equal(rl_learner_set_weights(l, &snap, err, sizeof(err)), RL_OK);
    learn1(l, 4, 1.0f, 1.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[4], 5.0 * (1 - 1.0 / 21), 1e-5);
    rl_learner_destroy(l);

    /* constant with L1: w = 0.5 then clipped by eta * l1 = 0.5 * 0.4 = 0.2 -> 0.3 */
    l = make_bits10("schedule=constant bias=0 l1=0.4");
    learn1(l, 3, 2.0f, 1.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[3], 0.3, 1e-7);
    rl_learner_destroy(l);

    /* Poisson constant: d = e^0 - 3 = -2, w = 0.5 * 2 * 1 = 1, value = exp(score) */
    l = make_bits10("loss=poisson schedule=constant bias=0");
    learn1(l, 2, 1.0f, 3.0f, &p, &loss);
    assert_float_equal(p.value, 1.0, 1e-12);
    assert_float_equal(loss, 1.0 + 3 * log(3.0) - 3, 1e-12);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[2], 1.0, 1e-7);
    rl_learner_destroy(l);
}

static void test_known_ogd(void **state)
{
    (void)state;
    rl_pred p;
    rl_weights w;
    rl_learner *l = make_bits10("learner=ogd bias=0 eta=2 radius=0.4");
    assert_int_equal(l->params.schedule, RL_SCHED_INVSCALING);
    assert_int_equal(l->task, RL_TASK_BINARY);
    /* x = (3, 4), |x| = 5, y = 1, z = 0: dloss/dz = -0.5, G = 2.5. The step moves w by
     * eta / sqrt(1) * R * |d| |x| / G = 0.8 along x: w = (0.48, 0.64), |w| = 0.8 > R, so it is
     * projected onto the ball: w = (0.24, 0.32). */
    rl_feature f[2] = {{1, 3.0f}, {2, 4.0f}};
    rl_example ex = {1.0f, 1.0f, f, 2, NULL, 0, NULL};
    assert_float_equal(rl_learner_learn(l, &ex, &p), log(2.0), 1e-9);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[1], 0.24, 1e-6);
    assert_float_equal(w.w[2], 0.32, 1e-6);
    /* x = (-1 at index 1), y = 0: z = -0.24, d = sigma(-0.24) = 0.4403, |d| |x| < G = 2.5, so the
     * move is eta / sqrt(2) * R * d / G; w1 grows past the ball again and the whole vector is
     * scaled back to |w| = R. */
    double d = 1 / (1 + exp(0.24)), step = 2 / sqrt(2.0) * 0.4 * d / 2.5;
    double w1 = 0.24 + step, w2 = 0.32, k = 0.4 / sqrt(w1 * w1 + w2 * w2);
    assert_true(k < 1);
    double loss;
    learn1(l, 1, -1.0f, 0.0f, &p, &loss);
    assert_float_equal(p.prob, d, 1e-6);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[1], w1 * k, 1e-6);
    assert_float_equal(w.w[2], w2 * k, 1e-6);
    rl_learner_destroy(l);

    /* Squared loss is regression; the radius bounds the weights whatever the values. */
    l = make_bits10("learner=ogd loss=squared bias=0 radius=10");
    assert_int_equal(l->task, RL_TASK_REGRESSION);
    for (int i = 0; i < 1000; i++)
        learn1(l, 1, i % 2 ? 1e6f : 1e-3f, 5.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_true(fabsf(w.w[1]) <= 10.0f * (1 + 1e-6f));
    assert_true(isfinite(p.value));
    rl_learner_destroy(l);
}

static void test_known_perceptrons(void **state)
{
    (void)state;
    rl_feature f[2] = {{1, 1.0f}, {2, -2.0f}};
    rl_example ex = {1.0f, 1.0f, f, 2, NULL, 0, NULL};
    rl_pred p;
    rl_weights w;
    rl_learner *l = make_bits10("learner=perceptron");
    /* z = 0 counts as a mistake: w += eta * y * x = 0.5 * (1, -2, bias 1) */
    assert_float_equal(rl_learner_learn(l, &ex, &p), 1.0, 0);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[1], 0.5, 0);
    assert_float_equal(w.w[2], -1.0, 0);
    assert_float_equal(w.bias[0], 0.5, 0);
    assert_float_equal(rl_learner_learn(l, &ex, &p), 0.0, 0); /* z = 3: right */
    assert_int_equal(p.cls, 1);
    rl_learner_destroy(l);

    /* Averaged: c = 1 at the first update: w = (0.5, -1, .5), u = c*update; c -> 2;
     * average = w - u / c = half of w. Second example: no mistake, c -> 3, average = 2/3 w. */
    l = make_bits10("learner=avg_perceptron");
    rl_learner_learn(l, &ex, &p);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[1], 0.25, 1e-7);
    assert_float_equal(w.w[2], -0.5, 1e-7);
    assert_float_equal(w.bias[0], 0.25, 1e-7);
    rl_learner_learn(l, &ex, &p);
    assert_float_equal(p.score, 0.25 + 1.0 + 0.25, 1e-9); /* the averaged prediction */
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[1], 1.0 / 3, 1e-7);
    assert_float_equal(w.w[2], -2.0 / 3, 1e-7);
    rl_learner_destroy(l);
}

static void test_known_ftrl(void **state)
{
    (void)state;
    rl_pred p;
    double loss;
    rl_weights w;
    /* p = 0.5, g = -0.5, sigma = (sqrt(.25) - 0)/alpha, z = -0.5, n = 0.25:
     * w = 0.5 / ((beta + 0.5) / alpha) = 0.5 / 15 (alpha 0.1, the default until it became 0.5) */
    rl_learner *l = make_bits10("learner=ftrl bias=0 alpha=0.1");
    learn1(l, 5, 1.0f, 1.0f, &p, &loss);
    assert_float_equal(loss, log(2.0), 1e-12);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[5], 0.5 / 15, 1e-7);
    rl_learner_destroy(l);
    /* With l1 = 0.6 > |z| the weight is exactly zero: sparsity. */
    l = make_bits10("learner=ftrl bias=0 l1=0.6 alpha=0.1");
    learn1(l, 5, 1.0f, 1.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_true(w.w[5] == 0.0f);
    /* ... and with l1 = 0.3: w = (0.5 - 0.3) / 15 */
    rl_learner_destroy(l);
    l = make_bits10("learner=ftrl bias=0 l1=0.3 alpha=0.1");
    learn1(l, 5, 1.0f, 1.0f, &p, &loss);
    rl_learner_weights(l, &w);
    assert_float_equal(w.w[5], 0.2 / 15, 1e-7);
    rl_learner_destroy(l);
}

static void test_known_softmax(void **state)
{
    (void)state;
    rl_pred p;
    double loss;
    rl_weights w;
    /* p = 1/3 each; gradient (1/3, 1/3, -2/3); w_k = -eta g_k = (-1/6, -1/6, 1/3) */
    rl_learner *l = make_bits10("learner=softmax classes=3 schedule=constant bias=0");
    learn1(l, 7, 1.0f, 2.0f, &p, &loss);
    assert_float_equal(loss, log(3.0), 1e-12);
    assert_float_equal(p.prob_true, 1.0 / 3, 1e-12);
    rl_learner_weights(l, &w);
    assert_int_equal(w.n_rows, 3);
    assert_float_equal(w.w[0 * 1024 + 7], -1.0 / 6, 1e-7);
    assert_float_equal(w.w[1 * 1024 + 7], -1.0 / 6, 1e-7);
    assert_float_equal(w.w[2 * 1024 + 7], 1.0 / 3, 1e-7);
    learn1(l, 7, 1.0f, 2.0f, &p, &loss);
    assert_int_equal(p.cls, 2);
    assert_float_equal(p.value, 2.0, 0);
    /* A label outside 0..classes-1 is not learned from. */
    assert_true(isnan((learn1(l, 7, 1.0f, 3.0f, &p, &loss), loss)));
    assert_true(isnan((learn1(l, 7, 1.0f, 1.5f, &p, &loss), loss)));
    rl_learner_destroy(l);
}

/* ---- convergence ---- */

static void test_perceptron_separable(void **state)
{
    (void)state;
    enum { N = 400, D = 20 };
    static rl_feature fs[N][D];
    static float ys[N];
    double wstar[D];
    rng_seed(7);
    for (int j = 0; j < D; j++)
        wstar[j] = rng_unif() * 2 - 1;
    for (int i = 0; i < N;) {
        double z = 0;
        for (int j = 0; j < D; j++) {
            fs[i][j].index = (uint32_t)(j * 37 + 1);
            fs[i][j].value = (float)(rng_unif() * 2 - 1);
            z += wstar[j] * fs[i][j].value;
        }
        if (fabs(z) < 0.1) /* keep a margin, so the perceptron theorem applies */
            continue;
        ys[i++] = z > 0 ? 1.0f : 0.0f;
    }
    rl_learner *l = make("learner=perceptron bias=0");
    int mistakes = -1, epoch;
    for (epoch = 0; epoch < 200 && mistakes != 0; epoch++) {
        mistakes = 0;
        for (int i = 0; i < N; i++) {
            rl_example ex = {ys[i], 1.0f, fs[i], D, NULL, 0, NULL};
            rl_pred p;
            mistakes += rl_learner_learn(l, &ex, &p) > 0;
        }
    }
    assert_int_equal(mistakes, 0);
    rl_learner_destroy(l);
}

/* Progressive (test-then-train) accuracy of each learner on its task beats chance by a wide
 * margin: catches a learner that runs but does not learn. */
static void test_learns(void **state)
{
    (void)state;
    struct {
        const char *kv;
        double min_acc; /* binary/multiclass accuracy, or max RMSE for regression */
    } t[] = {
        {"learner=sgd", 0.70},
        {"learner=sgd loss=hinge", 0.68},
        {"learner=sgd schedule=constant eta=0.1", 0.68},
        {"learner=sgd schedule=adagrad", 0.68},
        {"learner=sgd schedule=invscaling", 0.68},
        {"learner=sgd schedule=pegasos loss=hinge l2=0.001", 0.65},
        {"learner=perceptron", 0.62},
        {"learner=avg_perceptron", 0.68},
        {"learner=ftrl", 0.68},
        {"learner=softmax classes=4", 0.60},
        {"learner=softmax classes=4 schedule=constant eta=0.1", 0.60},
        {"learner=ogd", 0.68},
        {"learner=ogd loss=hinge", 0.68},
        {"learner=sgd loss=squared", 0.45},
        {"learner=ogd loss=squared", 0.45},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        rl_learner *l = make(t[i].kv);
        gen_ex g;
        rl_pred p;
        double hits = 0, sq = 0, n = 0;
        rng_seed(11);
        for (int k = 0; k < 20000; k++) {
            gen_for(&g, l);
            g.ex.weight = 1;
            rl_learner_learn(l, &g.ex, &p);
            if (k < 10000)
                continue;
            n++;
            hits += p.cls == (int)g.ex.label;
            sq += (p.value - g.ex.label) * (p.value - g.ex.label);
        }
        if (getenv("RL_TEST_VERBOSE"))
            print_message("%s: accuracy %.4f RMSE %.4f\n", t[i].kv, hits / n, sqrt(sq / n));
        if (getenv("RL_TEST_VERBOSE")) {
            /* calibration run: report only */
        } else if (l->task == RL_TASK_REGRESSION) {
            if (!(sqrt(sq / n) < t[i].min_acc))
                fail_msg("%s: RMSE %.3f, want < %.2f", t[i].kv, sqrt(sq / n), t[i].min_acc);
        } else if (!(hits / n > t[i].min_acc)) {
            fail_msg("%s: accuracy %.3f, want > %.2f", t[i].kv, hits / n, t[i].min_acc);
        }
        rl_learner_destroy(l);
    }
}

/* The default schedule is scale-invariant: an "income" in the 100,000s beside an "age" learns
 * as well as the same data with both in unit range; plain constant-rate SGD does not. */
static double scaled_logloss(const char *kv, double scale, double *acc)
{
    rl_learner *l = make(kv);
    double total = 0, hits = 0;
    int n = 20000;
    rng_seed(5);
    for (int i = 0; i < n; i++) {
        double age = rng_unif(), inc = rng_unif();
        double z = 3 * (age - 0.5) - 4 * (inc - 0.5);
        float y = rng_unif() < 1 / (1 + exp(-z)) ? 1.0f : 0.0f;
        rl_feature f[2] = {{1, (float)(age * 80)}, {2, (float)(inc * scale)}};
        rl_example ex = {y, 1.0f, f, 2, NULL, 0, NULL};
        rl_pred p;
        total += rl_learner_learn(l, &ex, &p);
        hits += p.cls == (int)y;
    }
    rl_learner_destroy(l);
    *acc = hits / n;
    return total / n;
}

static void test_scale_invariance(void **state)
{
    (void)state;
    double a1, a2, a3;
    double unit = scaled_logloss("learner=sgd", 1.0, &a1);
    double raw = scaled_logloss("learner=sgd", 1e5, &a2);
    assert_float_equal(raw, unit, 0.005);
    assert_float_equal(a2, a1, 0.01);
    assert_true(raw < 0.62); /* and it does learn: chance is log 2 = 0.693 */
    double plain = scaled_logloss("learner=sgd schedule=constant", 1e5, &a3);
    assert_true(plain > raw + 0.1); /* the contrast that motivates the default */
}

/* A dense block gives the same model as the same values sent as sparse features (cblas path
 * against the per-feature loop). */
static void test_dense_matches_sparse(void **state)
{
    (void)state;
    const char *kvs[] = {"schedule=constant", "", "schedule=adagrad", "learner=perceptron",
                         "learner=ftrl"};
    for (size_t c = 0; c < sizeof(kvs) / sizeof(kvs[0]); c++) {
        char kd[128];
        snprintf(kd, sizeof(kd), "%s dense_dim=3", kvs[c]);
        rl_learner *ld = make(kd), *ls = make(kvs[c][0] ? kvs[c] : "learner=sgd");
        gen_ex g;
        rl_pred pd, ps;
        rng_seed(17);
        for (int i = 0; i < 500; i++) {
            gen(&g, RL_TASK_BINARY, 2, 1);
            rl_feature all[MAXF + DD];
            memcpy(all, g.f, g.ex.n_feats * sizeof(rl_feature));
            for (int j = 0; j < DD; j++) {
                all[g.ex.n_feats + j].index = 1000 + j; /* unused by gen (< 300 or >= 2^32-4096) */
                all[g.ex.n_feats + j].value = g.dense[j];
            }
            rl_example es = g.ex;
            es.feats = all;
            es.n_feats = g.ex.n_feats + DD;
            es.dense = NULL;
            es.n_dense = 0;
            rl_learner_learn(ld, &g.ex, &pd);
            rl_learner_learn(ls, &es, &ps);
            assert_float_equal(pd.score, ps.score, 1e-4 * (1 + fabs(ps.score)));
        }
        rl_weights wd, ws;
        rl_learner_weights(ld, &wd);
        rl_learner_weights(ls, &ws);
        for (int j = 0; j < DD; j++)
            assert_float_equal(wd.dense[j], ws.w[1000 + j], 1e-4);
        rl_learner_destroy(ld);
        rl_learner_destroy(ls);
    }
}

/* The normalized rule's SSE paths (four coordinates at a time in the prediction and the first
 * pass) against the scalar loops, bitwise: predictions, losses and the exported state, on
 * examples built to hit every fallback: repeated coordinates (also through masking), zero
 * values, values beyond a coordinate's known scale, lengths not a multiple of four. */
static void test_sgd_simd_matches_scalar(void **state)
{
    (void)state;
#if defined(__SSE2__)
    const char *kvs[] = {"learner=sgd",
                         "learner=sgd loss=squared",
                         "learner=sgd loss=hinge",
                         "learner=sgd loss=poisson eta=0.1",
                         "learner=sgd l1=0.0001 l2=0.001",
                         "learner=sgd dense_dim=3 bias=0"};
    for (size_t c = 0; c < sizeof(kvs) / sizeof(kvs[0]); c++) {
        rl_learner *a = make(kvs[c]), *b = make(kvs[c]);
        rl_feature f[27];
        float dense[DD];
        rng_seed(900 + c);
        for (int i = 0; i < 3000; i++) {
            uint32_t n = (uint32_t)(rng_unif() * 27);
            for (uint32_t k = 0; k < n; k++) {
                double u = rng_unif();
                /* 60 coordinates: repeats within an example are common. */
                f[k].index = (uint32_t)(rng_unif() * 60) + (u < 0.1 ? 1024u * 7 : 0);
                f[k].value = u < 0.15   ? 0.0f
                             : u < 0.25 ? (float)((rng_unif() - 0.5) * 2e4)
                                        : (float)(rng_unif() * 2 - 1);
            }
            for (int j = 0; j < DD; j++)
                dense[j] = (float)(rng_unif() * 2 - 1);
            double z = 0;
            for (uint32_t k = 0; k < n; k++)
                z += f[k].value * sin(f[k].index % 1024 * 0.37);
            rl_example ex = {0,   1, f, n, a->params.dense_dim ? dense : NULL, a->params.dense_dim,
                             NULL};
            ex.weight = rng_unif() < 0.2 ? 0.5f : 1.0f;
            ex.label = a->task == RL_TASK_BINARY           ? (z > 0 ? 1.0f : 0.0f)
                       : a->params.loss == RL_LOSS_POISSON ? (float)floor(rng_unif() * 4)
                                                           : (float)(0.3 * z);
            rl_pred pa, pb;
            rl_learner_prefetch(a, &ex); /* a hint only: b never gets it */
            rl_sgd_test_set_simd(1);
            double la = rl_learner_learn(a, &ex, &pa);
            rl_sgd_test_set_simd(0);
            double lb = rl_learner_learn(b, &ex, &pb);
            rl_sgd_test_set_simd(1);
            assert_same_pred(&pa, &pb, kvs[c], i);
            if (!same_bits(la, lb))
                fail_msg("%s: example %d: losses differ (%.17g vs %.17g)", kvs[c], i, la, lb);
        }
        assert_same_state(a, b, kvs[c]);
        rl_learner_destroy(a);
        rl_learner_destroy(b);
    }
#else
    skip();
#endif
}

/* A state of 2 MiB or more is its own huge-page mapping (sgd.c state_alloc): zeroed, learned
 * into, reset and freed like the calloc'd one (bits 18 x 4 floats = 4 MiB; ASan checks bounds
 * and leaks through the munmap path). */
static void test_sgd_big_state(void **state)
{
    (void)state;
    rl_learner_params p;
    rl_learner *a = NULL, *b = NULL;
    char err[256];
    params_from("learner=sgd", &p);
    p.bits = 18;
    assert_int_equal(rl_learner_new(&p, &a, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_learner_new(&p, &b, err, sizeof(err)), RL_OK);
    rl_feature f[2] = {{(1u << 18) - 1, 0.5f}, {7, -2.0f}};
    rl_example ex = {1, 1, f, 2, NULL, 0, NULL};
    rl_pred pr;
    rl_weights w;
    rl_learner_learn(a, &ex, &pr);
    rl_learner_weights(a, &w);
    assert_int_equal(w.n_sparse, 1u << 18);
    assert_true(w.w[(1u << 18) - 1] > 0 && w.w[7] < 0);
    assert_true(w.w[8] == 0 && w.w[1000] == 0);
    rl_learner_reset(a);
    assert_same_state(a, b, "bits=18");
    rl_learner_destroy(a);
    rl_learner_destroy(b);
}

/* ---- no allocation per example ----
 * malloc/calloc/realloc are wrapped at link time (tests/learners.cmake: -Wl,--wrap=...), so every
 * allocation the learners' own code makes is counted while `counting` is set. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
static int counting;
static unsigned long allocs;

void *__wrap_malloc(size_t n)
{
    allocs += counting;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t k)
{
    allocs += counting;
    return __real_calloc(n, k);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocs += counting;
    return __real_realloc(p, n);
}

static void test_no_alloc_per_example(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        rl_learner *l = make(cfgs[c].kv);
        gen_ex g;
        rl_pred p;
        rl_weights w;
        rl_hasher h;
        rl_hasher_init(&h, 10, 0);
        rng_seed(500 + c);
        counting = 1;
        allocs = 0;
        for (int i = 0; i < 300; i++) {
            gen_for(&g, l);
            g.f[0].index = rl_hash_name(&h, "some feature", 12);
            rl_learner_predict(l, &g.ex, &p);
            rl_learner_learn(l, &g.ex, &p);
        }
        rl_learner_weights(l, &w);
        counting = 0;
        if (allocs != 0)
            fail_msg("%s: %lu allocations while learning", cfgs[c].kv, allocs);
        rl_learner_destroy(l);
    }
    /* The wrap is live: creating a learner does allocate. */
    counting = 1;
    allocs = 0;
    rl_learner *l = make("learner=sgd");
    counting = 0;
    assert_true(allocs > 0);
    rl_learner_destroy(l);
}

/* ---- hashing ---- */

static void test_hashing(void **state)
{
    (void)state;
    rl_hasher h, h2, hs;
    rl_hasher_init(&h, 18, RL_HASH_SEED_DEFAULT);
    rl_hasher_init(&h2, 18, 0);
    rl_hasher_init(&hs, 18, 42);
    assert_int_equal(h.mask, (1u << 18) - 1);
    /* Pinned values: XXH3-64 of the bytes, seed 0 or 42, low 18 bits. A change here changes
     * every model's slots, so it must be deliberate (and bump the snapshot format). */
    assert_int_equal(rl_hash_name(&h, "age", 3), 0x79e54a37764f091ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&h, "income", 6), 0xfedfd0b56e99eb1dull & 0x3ffff);
    assert_int_equal(rl_hash_name(&h, "user=42", 7), 0xa9a2d0972ffca802ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&h, "ns^feat", 7), 0xeab6daf7f4752727ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&hs, "age", 3), 0xa55df8a778175ee4ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&hs, "income", 6), 0x7813602f39a74c60ull & 0x3ffff);
    /* Same name, same slot, on any hasher with the same bits and seed. */
    assert_int_equal(rl_hash_name(&h, "age", 3), rl_hash_name(&h2, "age", 3));
    assert_int_not_equal(rl_hash_name(&h, "age", 3), rl_hash_name(&hs, "age", 3));
    /* Indices that fit map to themselves; larger ones are hashed in (8 LE bytes). */
    assert_int_equal(rl_hash_index(&h, 0), 0);
    assert_int_equal(rl_hash_index(&h, 12345), 12345);
    assert_int_equal(rl_hash_index(&h, (1u << 18) - 1), (1u << 18) - 1);
    rl_hasher h10;
    rl_hasher_init(&h10, 10, 0);
    assert_int_equal(rl_hash_index(&h10, 12345), 0x9be867392a73b1c1ull & 0x3ff);
    uint32_t big = rl_hash_index(&h, 1ull << 40);
    assert_true(big <= h.mask);
    assert_int_equal(big, rl_hash_index(&h2, 1ull << 40));
    /* Bytes, not C strings: embedded NULs count, the empty name is fine. */
    assert_int_not_equal(rl_hash_name(&h, "a\0b", 3), rl_hash_name(&h, "a", 1));
    assert_true(rl_hash_name(&h, "", 0) <= h.mask);
    rl_hasher h30;
    rl_hasher_init(&h30, 30, 0);
    assert_int_equal(h30.mask, (1u << 30) - 1);
}

/* Interactions: parsing, VW's slot arithmetic, the pairs within one namespace taken once, and
 * generation in chunks equal to generation at once. */
static void test_interactions(void **state)
{
    (void)state;
    char err[256], spec[80];
    rl_interactions it;
    memset(&it, 0, sizeof(it));
    assert_int_equal(rl_interactions_add(&it, "ab,aa", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_interactions_add(&it, "abc", err, sizeof(err)), RL_OK);
    rl_interactions_format(&it, spec, sizeof(spec));
    assert_string_equal(spec, "ab,aa,abc");
    static const struct {
        const char *spec, *why;
    } bad[] = {{"a", "1 namespaces"},
               {"abcd", "4 namespaces"},
               {"ab", "twice"},
               {",", "no term"},
               {"", "no term"}};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        rl_interactions t = it;
        err[0] = '\0';
        assert_int_equal(rl_interactions_add(&t, bad[k].spec, err, sizeof(err)),
                         RL_ERR_INVALID_ARG);
        assert_memory_equal(&t, &it, sizeof(t));
        if (!strstr(err, bad[k].why))
            fail_msg("'%s': '%s' lacks '%s'", bad[k].spec, err, bad[k].why);
    }
    rl_interactions full;
    memset(&full, 0, sizeof(full));
    for (int k = 0; k < RL_INTERACTIONS_MAX; k++) {
        char t[3] = {(char)('a' + k), 'z', 0};
        assert_int_equal(rl_interactions_add(&full, t, err, sizeof(err)), RL_OK);
    }
    assert_int_equal(rl_interactions_add(&full, "yy", err, sizeof(err)), RL_ERR_INVALID_ARG);

    /* a1 a2 b1 x(indexed): ab -> a1b1 a2b1; aa -> a1a1 a1a2 a2a2; abc -> none (no c) */
    rl_feature f[4] = {{3, 2.0f}, {5, 0.5f}, {7, -1.0f}, {9, 4.0f}};
    uint8_t ns[4] = {'a', 'a', 'b', ' '};
    rl_example ex = {1, 1, f, 4, NULL, 0, ns};
    const uint32_t mask = 1023, P = RL_INTERACTION_FNV;
    rl_feature out[16];
    rl_ix_cursor c = {0, 0, 0, 0};
    assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, out, 16), 5);
    assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, out + 5, 11), 0);
    const uint32_t want_idx[5] = {((3 * P) ^ 7) & mask, ((5 * P) ^ 7) & mask, ((3 * P) ^ 3) & mask,
                                  ((3 * P) ^ 5) & mask, ((5 * P) ^ 5) & mask};
    const float want_val[5] = {-2.0f, -0.5f, 4.0f, 1.0f, 0.25f};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(out[k].index, want_idx[k]);
        assert_true(out[k].value == want_val[k]);
    }
    /* one at a time: the same sequence */
    memset(&c, 0, sizeof(c));
    for (int k = 0; k < 5; k++) {
        rl_feature one;
        assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, &one, 1), 1);
        assert_int_equal(one.index, want_idx[k]);
    }
    rl_feature one;
    assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, &one, 1), 0);
    /* a triple and the indexed namespace; huge products stay within the learners' limit */
    rl_interactions t3;
    memset(&t3, 0, sizeof(t3));
    assert_int_equal(rl_interactions_add(&t3, "ab ", err, sizeof(err)), RL_OK);
    f[0].value = 1e18f;
    f[2].value = 1e18f;
    memset(&c, 0, sizeof(c));
    assert_int_equal(rl_interactions_next(&t3, &ex, mask, &c, out, 16), 2);
    assert_int_equal(out[0].index, ((((3 * P) ^ 7) * P) ^ 9) & mask);
    assert_true(out[0].value == RL_FEATURE_VALUE_MAX);
    ex.ns = NULL; /* every feature in ' ': no a, no b */
    memset(&c, 0, sizeof(c));
    assert_int_equal(rl_interactions_next(&t3, &ex, mask, &c, out, 16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_conformance_warm_start),
        cmocka_unit_test(test_conformance_reset),
        cmocka_unit_test(test_conformance_set_weights),
        cmocka_unit_test(test_conformance_import_refusals),
        cmocka_unit_test(test_conformance_bad_examples),
        cmocka_unit_test(test_loss_gradients),
        cmocka_unit_test(test_logistic_invariant_confident),
        cmocka_unit_test(test_sgd_survives_huge_values),
        cmocka_unit_test(test_all_survive_limit_values),
        cmocka_unit_test(test_unused_params_refused),
        cmocka_unit_test(test_known_sgd),
        cmocka_unit_test(test_known_ogd),
        cmocka_unit_test(test_interactions),
        cmocka_unit_test(test_known_perceptrons),
        cmocka_unit_test(test_known_ftrl),
        cmocka_unit_test(test_known_softmax),
        cmocka_unit_test(test_perceptron_separable),
        cmocka_unit_test(test_learns),
        cmocka_unit_test(test_scale_invariance),
        cmocka_unit_test(test_dense_matches_sparse),
        cmocka_unit_test(test_sgd_simd_matches_scalar),
        cmocka_unit_test(test_sgd_big_state),
        cmocka_unit_test(test_hashing),
        cmocka_unit_test(test_no_alloc_per_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
