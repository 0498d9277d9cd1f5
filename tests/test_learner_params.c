/* test_learner_params.c - learner parameters (parsing, bounds, refusals) and the losses (gradients
 * against finite differences, the logistic importance-invariant step when confident). Fast: 2^10
 * weights, short synthetic streams from a fixed LCG (tests/learner_util.h), so it also runs under
 * ASan. */
#include "tests/learner_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_loss_gradients),
        cmocka_unit_test(test_logistic_invariant_confident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
