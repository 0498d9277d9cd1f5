/* test_predictor.c - a snapshot scores exactly as the model that published it: for every
 * learner configuration of the conformance suite, a model is trained, published (encode,
 * decode), and the snapshot's predictor must give the model's own rl_pred bit for bit on
 * random events, values far beyond the training range (up to the 1e18 input limit), unseen and
 * out-of-range slots, and dense blocks (also of the wrong length, which both ignore). Run with
 * the direct layout (2^10 slots) and the hashed one (2^18 slots, sparse). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "learners/interactions.h"
#include "learners/learner.h"
#include "tests/learner_cfgs.h"
#include "model/model.h"
#include "storage/predictor.h"
#include "storage/snapshot.h"
#include "proto/snapshot.pb-c.h"
#include "tests/alloc_count.h"
#include "tests/snapshot_pb_util.h"

static uint64_t rng_state;

static uint64_t rng_u64(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state;
}

static double rng_unif(void)
{
    return (double)(rng_u64() >> 11) * (1.0 / 9007199254740992.0);
}

#define MAXF 16
#define DD   3

typedef struct ev {
    rl_feature f[MAXF];
    float dense[DD + 1];
    rl_example ex;
} ev;

/* A training event: a few hundred slots, values in [-1, 1] (some up to 50), labels from a
 * hidden model, in the task's label space. */
static void gen_train(ev *e, const rl_learner *l)
{
    uint32_t n = 1 + (uint32_t)(rng_unif() * 10);
    double z = 0;
    for (uint32_t i = 0; i < n; i++) {
        e->f[i].index = (uint32_t)(rng_unif() * 300);
        e->f[i].value = (float)((rng_unif() * 2 - 1) * (rng_unif() < 0.1 ? 50 : 1));
        z += e->f[i].value * sin(e->f[i].index * 0.37);
    }
    for (int j = 0; j < DD; j++)
        e->dense[j] = (float)(rng_unif() * 4 - 2);
    e->ex = (rl_example){0, 1.0f, e->f, n, NULL, 0, NULL};
    if (l->params.dense_dim) {
        e->ex.dense = e->dense;
        e->ex.n_dense = DD;
    }
    if (l->task == RL_TASK_MULTICLASS)
        e->ex.label = (float)((uint32_t)(fabs(z) * 3) % l->params.n_classes);
    else if (l->task == RL_TASK_REGRESSION)
        e->ex.label = l->params.loss == RL_LOSS_POISSON
                          ? (float)floor(exp(0.3 * z) * rng_unif() * 2)
                          : (float)z;
    else
        e->ex.label = z > 0 ? 1.0f : 0.0f;
}

/* A value of any size within the input limit, of either sign, sometimes exactly 0. */
static float any_value(void)
{
    double u = rng_unif();
    if (u < 0.05)
        return 0.0f;
    double mag = pow(10.0, rng_unif() * 36 - 18); /* 1e-18 .. 1e18 */
    if (u < 0.15)
        mag = RL_FEATURE_VALUE_MAX;
    return (float)(rng_unif() < 0.5 ? -mag : mag);
}

/* A test event: seen and unseen slots, indices beyond 2^bits and 2^32 - 1, huge and tiny
 * values, repeated slots, dense blocks of the right and wrong length. */
static void gen_test(ev *e, const rl_learner *l)
{
    uint32_t n = (uint32_t)(rng_unif() * MAXF);
    for (uint32_t i = 0; i < n; i++) {
        double u = rng_unif();
        e->f[i].index = u < 0.5   ? (uint32_t)(rng_unif() * 300)
                        : u < 0.8 ? (uint32_t)rng_u64()
                                  : (uint32_t)(rng_unif() * 2000);
        if (i > 0 && rng_unif() < 0.05)
            e->f[i].index = e->f[i - 1].index;
        e->f[i].value = rng_unif() < 0.5 ? (float)(rng_unif() * 2 - 1) : any_value();
    }
    for (int j = 0; j <= DD; j++)
        e->dense[j] = rng_unif() < 0.5 ? (float)(rng_unif() * 4 - 2) : any_value();
    e->ex = (rl_example){0, 1.0f, e->f, n, NULL, 0, NULL};
    double u = rng_unif();
    if (l->params.dense_dim && u < 0.8) {
        e->ex.dense = e->dense;
        e->ex.n_dense = u < 0.7 ? DD : DD + 1; /* the wrong length counts for neither */
    }
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static void check_same(const rl_pred *a, const rl_pred *b, const char *kv, uint32_t bits, int i)
{
    if (!same_bits(a->score, b->score) || !same_bits(a->value, b->value) ||
        !same_bits(a->prob, b->prob) || !same_bits(a->prob_true, b->prob_true) || a->cls != b->cls)
        fail_msg("%s bits=%u: event %d: model score %.17g value %.17g prob %.17g cls %d, "
                 "snapshot %.17g %.17g %.17g %d",
                 kv, bits, i, a->score, a->value, a->prob, a->cls, b->score, b->value, b->prob,
                 b->cls);
}

/* Publishes l and decodes it into *s. */
static void publish(const rl_learner *l, rl_snapshot *s)
{
    char err[256];
    rl_buf b;
    rl_buf_init(&b);
    rl_snapshot_meta meta = {.model_name = "m", .instance_id = "i", .version = 1};
    if (rl_snapshot_encode_learner(l, 0, 0, NULL, &meta, RL_SNAPSHOT_COMPRESS_AUTO, &b, err,
                                   sizeof(err)) != RL_OK)
        fail_msg("encode: %s", err);
    rl_snapshot_init(s);
    if (rl_snapshot_decode(b.data, b.len, s, err, sizeof(err)) != RL_OK)
        fail_msg("decode: %s", err);
    rl_buf_free(&b);
}

/* What inspect, diff and a warm start read from a snapshot (score_scale applied) are the
 * learner's own weights(), bitwise. */
static void check_true_weights(const rl_learner *l, const rl_snapshot *s, const char *kv)
{
    rl_weights lw, sw;
    float *buf = NULL;
    char err[256];
    rl_learner_weights(l, &lw);
    if (rl_snapshot_weights_dense(s, &sw, &buf, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", kv, err);
    size_t n = (size_t)lw.n_rows * lw.n_sparse, dd = (size_t)lw.n_rows * lw.dense_dim;
    if (memcmp(lw.w, sw.w, n * sizeof(float)) != 0 ||
        (dd && memcmp(lw.dense, sw.dense, dd * sizeof(float)) != 0) ||
        memcmp(lw.bias, sw.bias, lw.n_rows * sizeof(float)) != 0)
        fail_msg("%s: the snapshot's weights are not the learner's", kv);
    free(buf);
}

/* A learner of configuration kv (2^bits slots) that has learned n training events. */
static rl_learner *trained(const char *kv, uint32_t bits, int n, uint64_t seed)
{
    rl_learner_params p;
    rl_learner *l = NULL;
    char err[256];
    params_from(kv, &p);
    p.bits = bits;
    if (rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", kv, err);
    rng_state = seed;
    ev e;
    rl_pred mp;
    for (int i = 0; i < n; i++) {
        gen_train(&e, l);
        rl_learner_learn(l, &e.ex, &mp);
    }
    return l;
}

static void check_cfg(const char *kv, uint32_t bits)
{
    rl_learner *l = trained(kv, bits, 0, 12345);
    rl_predictor *pr = NULL;
    rl_snapshot s;
    char err[256];
    ev e;
    rl_pred mp, sp;
    for (int round = 0; round < 3; round++) {
        /* train, then compare: after a short stream, a longer one, and one with huge values */
        for (int i = 0; i < (round == 0 ? 50 : 1500); i++) {
            gen_train(&e, l);
            if (round == 2 && rng_unif() < 0.2)
                e.f[0].value = any_value();
            rl_learner_learn(l, &e.ex, &mp);
        }
        publish(l, &s);
        check_true_weights(l, &s, kv);
        if (rl_predictor_new(&s, &pr, err, sizeof(err)) != RL_OK)
            fail_msg("%s: predictor: %s", kv, err);
        rl_snapshot_clear(&s); /* the predictor keeps its own copy */
        for (int i = 0; i < 3000; i++) {
            gen_test(&e, l);
            rl_learner_predict(l, &e.ex, &mp);
            rl_predictor_predict(pr, &e.ex, &sp);
            check_same(&mp, &sp, kv, bits, i);
        }
        rl_predictor_destroy(pr);
    }
    rl_learner_destroy(l);
}

static void test_every_cfg_bitwise_direct(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++)
        check_cfg(cfgs[c].kv, 10);
}

static void test_every_cfg_bitwise_hashed(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++)
        check_cfg(cfgs[c].kv, 18);
}

/* The format version says whether a version-1 reader can score the snapshot exactly: 2 when
 * clip scales or a score scale are needed (the default learner, pegasos), else 1. */
static void test_format_version_by_need(void **state)
{
    (void)state;
    static const struct {
        const char *kv;
        uint32_t version;
    } want[] = {
        {"learner=sgd", 2},
        {"learner=softmax classes=3", 2},
        {"learner=sgd schedule=pegasos loss=hinge l2=0.01", 2},
        {"learner=sgd schedule=constant", 1},
        {"learner=ftrl", 1},
        {"learner=avg_perceptron", 1},
        {"learner=softmax classes=3 schedule=adagrad", 1},
    };
    for (size_t c = 0; c < sizeof(want) / sizeof(want[0]); c++) {
        rl_learner *l = trained(want[c].kv, 10, 100, 7);
        rl_snapshot s;
        publish(l, &s);
        if (s.format_version != want[c].version)
            fail_msg("%s: format_version %u, expected %u", want[c].kv, s.format_version,
                     want[c].version);
        assert_int_equal(s.scales != NULL, strstr(want[c].kv, "adagrad") == NULL &&
                                               strstr(want[c].kv, "constant") == NULL &&
                                               strstr(want[c].kv, "pegasos") == NULL &&
                                               strstr(want[c].kv, "perceptron") == NULL &&
                                               strstr(want[c].kv, "ftrl") == NULL);
        rl_snapshot_clear(&s);
        rl_learner_destroy(l);
    }
}

/* A learner the predictor has no scoring rule for is refused, never guessed at. */
static void test_unknown_learner_refused(void **state)
{
    (void)state;
    rl_learner *l = trained("learner=sgd", 10, 10, 1);
    char err[256];
    rl_snapshot s;
    publish(l, &s);
    snprintf(s.learner.learner, sizeof(s.learner.learner), "gbdt");
    rl_predictor *pr = NULL;
    assert_int_equal(rl_predictor_new(&s, &pr, err, sizeof(err)), RL_ERR_VERSION);
    assert_null(pr);
    assert_non_null(strstr(err, "gbdt"));
    rl_snapshot_clear(&s);
    rl_learner_destroy(l);
}

/* The contributions add up to the score (to the rounding of the summation) and name each
 * term in order: features, dense values, bias. */
static void test_contrib_adds_up(void **state)
{
    (void)state;
    rl_learner *l = trained("learner=sgd dense_dim=3", 10, 500, 99);
    char err[256];
    ev e;
    rl_pred mp;
    rl_snapshot s;
    publish(l, &s);
    rl_predictor *pr = NULL;
    assert_int_equal(rl_predictor_new(&s, &pr, err, sizeof(err)), RL_OK);
    for (int i = 0; i < 200; i++) {
        gen_train(&e, l);
        double c[MAXF + DD + 1], sum = 0;
        size_t n = rl_predictor_contrib(pr, &e.ex, 0, c, MAXF + DD + 1);
        assert_int_equal(n, e.ex.n_feats + DD + 1);
        for (size_t k = 0; k < n; k++)
            sum += c[k];
        rl_predictor_predict(pr, &e.ex, &mp);
        assert_true(fabs(sum - mp.score) <= 1e-5 * (1 + fabs(mp.score)));
    }
    rl_predictor_destroy(pr);
    rl_snapshot_clear(&s);
    rl_learner_destroy(l);
}

/* ---- the contract: allocation-free, and any number of threads at once ---- */
#define N_SHARED  2000
#define N_THREADS 4

typedef struct shared_run {
    const rl_predictor *pr;
    ev *events;
    rl_pred *want;
    int mismatches;
} shared_run;

static void *predict_all(void *arg)
{
    shared_run *r = arg;
    int bad = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < N_SHARED; i++) {
            rl_pred p;
            rl_predictor_predict(r->pr, &r->events[i].ex, &p);
            bad += memcmp(&p.score, &r->want[i].score, 8) != 0 ||
                   memcmp(&p.prob, &r->want[i].prob, 8) != 0 || p.cls != r->want[i].cls;
        }
    __atomic_add_fetch(&r->mismatches, bad, __ATOMIC_RELAXED);
    return NULL;
}

/* Threads predicting on one predictor at once get what one thread gets, and predict allocates
 * nothing (the direct and the hashed layout, one row and softmax). */
static void test_threads_and_no_allocation(void **state)
{
    (void)state;
    static const struct {
        const char *kv;
        uint32_t bits;
    } kinds[] = {{"learner=sgd dense_dim=3", 18}, {"learner=softmax classes=4 dense_dim=3", 10}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        rl_learner *l = trained(kinds[k].kv, kinds[k].bits, 1500, 5);
        char err[256];
        rl_snapshot s;
        publish(l, &s);
        rl_predictor *pr = NULL;
        assert_int_equal(rl_predictor_new(&s, &pr, err, sizeof(err)), RL_OK);
        ev *events = calloc(N_SHARED, sizeof(ev));
        rl_pred *want = calloc(N_SHARED, sizeof(rl_pred));
        assert_true(events && want);
        for (int i = 0; i < N_SHARED; i++)
            gen_test(&events[i], l); /* in place: its pointers stay valid */
        tu_alloc_counting = 1;
        tu_allocs = 0;
        for (int i = 0; i < N_SHARED; i++)
            rl_predictor_predict(pr, &events[i].ex, &want[i]);
        tu_alloc_counting = 0;
        if (tu_allocs)
            fail_msg("%s: predict allocated %lu times", kinds[k].kv, tu_allocs);
        shared_run run = {pr, events, want, 0};
        pthread_t t[N_THREADS];
        for (int i = 0; i < N_THREADS; i++)
            assert_int_equal(pthread_create(&t[i], NULL, predict_all, &run), 0);
        for (int i = 0; i < N_THREADS; i++)
            pthread_join(t[i], NULL);
        if (run.mismatches)
            fail_msg("%s: %d predictions differ between threads", kinds[k].kv, run.mismatches);
        free(events);
        free(want);
        rl_predictor_destroy(pr);
        rl_snapshot_clear(&s);
        rl_learner_destroy(l);
    }
}

/* A snapshot whose scoring needs format 2's fields says format 2; the same bytes labelled
 * format 1 are refused (a format-1 reader would score them without the scales), and a reader
 * that knows only format 1 refuses format 2 as newer: the check every reader has run since
 * format 1 (rl_check_format_version with 1 as the newest). */
static void test_format2_fields_need_format2(void **state)
{
    (void)state;
    char err[256];
    rl_learner *l = trained("learner=sgd", 10, 200, 3);
    rl_snapshot_meta meta = {.model_name = "m", .instance_id = "i", .version = 1};
    rl_buf b;
    rl_buf_init(&b);
    assert_int_equal(rl_snapshot_encode_learner(l, 0, 0, NULL, &meta, 0, &b, err, sizeof(err)),
                     RL_OK);
    Relearn__Snapshot *pb = tu_snapshot_unpack(&b);
    assert_int_equal(pb->format_version, 2);
    assert_non_null(pb->scales);
    pb->format_version = 1;
    rl_buf f;
    tu_snapshot_frame(pb, &f);
    rl_snapshot s;
    rl_snapshot_init(&s);
    assert_int_equal(rl_snapshot_decode(f.data, f.len, &s, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "format-2 field"));
    assert_int_equal(rl_check_format_version(2, 1, 1, "snapshot", err, sizeof(err)),
                     RL_ERR_VERSION);
    assert_non_null(strstr(err, "format version 2 is newer than this build reads (1)"));
    relearn__snapshot__free_unpacked(pb, NULL);
    rl_buf_free(&f);
    rl_buf_free(&b);
    rl_learner_destroy(l);
}

/* Interactions are part of the scoring function: a model that crosses namespaces (pairs, a
 * namespace with itself, a triple) publishes them in its hyperparameters, and the snapshot's
 * predictor crosses the same features in the same order, so it still scores bit for bit as
 * the model does (rl_model_predict), for every learner, and its contributions add up. */
static void test_interactions_bitwise(void **state)
{
    (void)state;
    static const char *const kinds[] = {"learner=sgd",
                                        "learner=sgd schedule=pegasos loss=hinge l2=0.01",
                                        "learner=ogd",
                                        "learner=ftrl",
                                        "learner=avg_perceptron",
                                        "learner=softmax classes=3"};
    static const uint8_t names[] = "abc ";
    char err[256];
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        rl_model_config c;
        rl_model *m = NULL;
        rl_model_config_default(&c);
        params_from(kinds[k], &c.learner);
        c.learner.bits = 12;
        if (rl_learner_params_set(&c.learner, "interactions", "ab,aa,abc,c ", err, sizeof(err)) !=
            RL_OK)
            fail_msg("%s", err);
        if (rl_model_new(&c, NULL, NULL, &m, err, sizeof(err)) != RL_OK)
            fail_msg("%s: %s", kinds[k], err);
        const rl_learner *l = rl_model_learner_c(m);
        rng_state = 77;
        ev e;
        uint8_t ns[MAXF];
        rl_pred mp, sp;
        for (int i = 0; i < 3000; i++) {
            gen_train(&e, l);
            for (uint32_t j = 0; j < e.ex.n_feats; j++)
                ns[j] = names[e.f[j].index % 4];
            e.ex.ns = ns;
            rl_model_step(m, &e.ex, NULL, &mp);
        }
        rl_snapshot s;
        publish(l, &s);
        char spec[80];
        rl_interactions_format(&s.learner.interactions, spec, sizeof(spec));
        assert_string_equal(spec, "ab,aa,abc,c ");
        rl_predictor *pr = NULL;
        if (rl_predictor_new(&s, &pr, err, sizeof(err)) != RL_OK)
            fail_msg("%s: predictor: %s", kinds[k], err);
        rl_snapshot_clear(&s);
        for (int i = 0; i < 2000; i++) {
            gen_test(&e, l);
            for (uint32_t j = 0; j < e.ex.n_feats; j++)
                ns[j] = names[(e.f[j].index + (uint32_t)i) % 4];
            e.ex.ns = i % 10 ? ns : NULL; /* NULL: every feature in ' ' */
            rl_model_predict(m, &e.ex, &mp);
            rl_predictor_predict(pr, &e.ex, &sp);
            check_same(&mp, &sp, kinds[k], 12, i);
            if (l->task == RL_TASK_MULTICLASS || !isfinite(mp.score) || fabs(mp.score) > 1e6)
                continue;
            double contrib[4096], sum = 0;
            size_t n = rl_predictor_contrib(pr, &e.ex, 0, contrib, 4096);
            assert_true(n > e.ex.n_feats || e.ex.n_feats == 0 || !e.ex.ns);
            for (size_t q = 0; q < n; q++)
                sum += contrib[q];
            assert_true(fabs(sum - mp.score) <= 1e-4 * (1 + fabs(mp.score)));
        }
        rl_predictor_destroy(pr);
        rl_model_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cfg_bitwise_direct),
        cmocka_unit_test(test_every_cfg_bitwise_hashed),
        cmocka_unit_test(test_format_version_by_need),
        cmocka_unit_test(test_unknown_learner_refused),
        cmocka_unit_test(test_contrib_adds_up),
        cmocka_unit_test(test_threads_and_no_allocation),
        cmocka_unit_test(test_format2_fields_need_format2),
        cmocka_unit_test(test_interactions_bitwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
