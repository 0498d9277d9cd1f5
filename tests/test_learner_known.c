/* test_learner_known.c - known answers: one hand-computed update per learner, parameters a learner
 * does not read refused, and every learner surviving huge and limit values. Fast: 2^10 weights,
 * short synthetic streams from a fixed LCG (tests/learner_util.h), so it also runs under ASan. */
#include "tests/learner_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_survives_huge_values),
        cmocka_unit_test(test_all_survive_limit_values),
        cmocka_unit_test(test_unused_params_refused),
        cmocka_unit_test(test_known_sgd),
        cmocka_unit_test(test_known_ogd),
        cmocka_unit_test(test_known_perceptrons),
        cmocka_unit_test(test_known_ftrl),
        cmocka_unit_test(test_known_softmax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
