/* test_learner_convergence.c - convergence and equivalences: a separable stream learned, every
 * configuration learning, scale invariance, dense = sparse, the SSE paths = the scalar ones, a big
 * state. Fast: 2^10 weights, short synthetic streams from a fixed LCG (tests/learner_util.h), so it
 * also runs under ASan. */
#include "tests/learner_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perceptron_separable),    cmocka_unit_test(test_learns),
        cmocka_unit_test(test_scale_invariance),        cmocka_unit_test(test_dense_matches_sparse),
        cmocka_unit_test(test_sgd_simd_matches_scalar), cmocka_unit_test(test_sgd_big_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
