/* test_gate.c - the promotion gate's paired statistic (model/gate.c): known answers for the
 * bound, like-with-like comparison when the stream gets harder, a real regression held back,
 * the window, exact export/import (a restored gate decides bit for bit as its writer), and
 * refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/gate.h"
#include "model/model.h"

/* A small deterministic generator, so the streams below are the same on every machine. */
static uint64_t rng_state;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static rl_gate *gate_with(uint32_t window, double tol, double conf)
{
    rl_gate_params p;
    rl_gate *g;
    char e[128];
    rl_gate_params_default(&p);
    p.window = window;
    p.tolerance = tol;
    p.confidence = conf;
    assert_int_equal(rl_gate_new(&p, &g, e, sizeof(e)), RL_OK);
    return g;
}

/* The bound as gate.h states it, computed independently here. */
static void test_bound_known_answer(void **st)
{
    (void)st;
    rl_gate *g = gate_with(100, 0.0, 0.95);
    rl_gate_verdict v;
    /* 50 pairs with difference 0.5 and 50 with 0.3: mean 0.4, sample variance 0.0101.. */
    for (int i = 0; i < 100; i++)
        rl_gate_add(g, i % 2 ? 0.8 : 0.6, 0.3);
    rl_gate_decide(g, &v);
    double mean = 0.4, var = 100 * 0.01 / 99, l = log(2.0 / 0.05);
    double lb = mean - sqrt(2 * var * l / 100) - 7 * 20.0 * l / (3 * 99);
    assert_int_equal(v.n, 100);
    assert_true(fabs(v.mean_diff - mean) < 1e-12);
    assert_true(fabs(v.lower_bound - lb) < 1e-12);
    assert_true(fabs(v.cand_loss - 0.7) < 1e-12);
    assert_true(fabs(v.ref_loss - 0.3) < 1e-12);
    assert_int_equal(v.hold, lb > 0);
    rl_gate_destroy(g);
}

/* The stream gets much harder (both losses rise by 0.5) while the candidate is a bit better
 * than the reference: compared like with like, the gate lets it through. The old rule
 * (candidate's recent loss against the reference's loss at publish) would have held it. */
static void test_harder_stream_does_not_stall(void **st)
{
    (void)st;
    rl_gate *g = gate_with(5000, 0.0, 0.99);
    rl_gate_verdict v;
    rng_state = 1;
    for (int i = 0; i < 5000; i++) {
        double base = 0.4 + 0.5 * (i / 5000.0) + 0.3 * uniform();
        rl_gate_add(g, base - 0.01 + 0.1 * (uniform() - 0.5), base);
    }
    rl_gate_decide(g, &v);
    assert_false(v.hold);
    assert_true(v.mean_diff < 0);
    assert_true(v.cand_loss > 0.6); /* harder than the 0.55 the reference had early on */
    rl_gate_destroy(g);
}

/* A candidate worse by 0.2 on average over 5,000 noisy events is held back; one worse by 0.001
 * (noise) is not: the bound stays above the tolerance only for the real difference. */
static void test_real_regression_held_noise_passes(void **st)
{
    (void)st;
    rl_gate *bad = gate_with(5000, 0.0, 0.99), *noise = gate_with(5000, 0.0, 0.99);
    rl_gate_verdict vb, vn;
    rng_state = 7;
    for (int i = 0; i < 5000; i++) {
        double ref = 0.2 + 0.6 * uniform();
        rl_gate_add(bad, ref + 0.2 + 0.2 * (uniform() - 0.5), ref);
        rl_gate_add(noise, ref + 0.001 + 0.2 * (uniform() - 0.5), ref);
    }
    rl_gate_decide(bad, &vb);
    rl_gate_decide(noise, &vn);
    assert_true(vb.hold);
    /* 0.2 - sqrt(2 * 0.0033 * ln 200 / 5000) - 7 * 20 * ln 200 / (3 * 4999) ~ 0.2 - 0.003 - 0.049
     */
    assert_true(vb.lower_bound > 0.14 && vb.lower_bound < 0.2);
    assert_false(vn.hold);
    rl_gate_destroy(bad);
    rl_gate_destroy(noise);
}

/* Too few pairs never hold a candidate back, however bad; the tolerance is respected. */
static void test_min_events_and_tolerance(void **st)
{
    (void)st;
    rl_gate *g = gate_with(1000, 0.0, 0.99), *t = gate_with(1000, 0.5, 0.99);
    rl_gate_verdict v;
    for (int i = 0; i < RL_GATE_MIN_EVENTS - 1; i++)
        rl_gate_add(g, 5.0, 0.0);
    rl_gate_decide(g, &v);
    assert_false(v.hold);
    assert_true(isinf(v.lower_bound) && v.lower_bound < 0);
    for (int i = 0; i < 1000; i++)
        rl_gate_add(t, 0.7, 0.3); /* worse by exactly 0.4, zero variance */
    rl_gate_decide(t, &v);
    assert_false(v.hold); /* 0.4 < tolerance 0.5 */
    rl_gate_destroy(g);
    rl_gate_destroy(t);
}

/* Only the last `window` pairs count; losses are capped; NAN pairs are skipped. */
static void test_window_cap_nan(void **st)
{
    (void)st;
    rl_gate *g = gate_with(100, 0.0, 0.99);
    rl_gate_verdict v;
    for (int i = 0; i < 100; i++)
        rl_gate_add(g, 3.0, 0.0); /* pushed out below */
    for (int i = 0; i < 100; i++)
        rl_gate_add(g, 0.1, 0.2);
    rl_gate_add(g, NAN, 0.2);
    rl_gate_add(g, 0.1, NAN);
    rl_gate_decide(g, &v);
    assert_int_equal(v.n, 100);
    assert_true(fabs(v.mean_diff + 0.1) < 1e-12);
    rl_gate_add(g, 1e300, 0.0);
    rl_gate_decide(g, &v);
    assert_true(fabs(v.cand_loss - (99 * 0.1 + 10.0) / 100) < 1e-12);
    rl_gate_reset(g);
    rl_gate_decide(g, &v);
    assert_int_equal(v.n, 0);
    assert_true(isnan(v.mean_diff));
    rl_gate_destroy(g);
}

/* The losses the two models are judged by. */
static void test_gate_loss(void **st)
{
    (void)st;
    rl_pred p = {0};
    p.prob = 0.8;
    p.prob_true = NAN;
    p.cls = 1;
    assert_true(fabs(rl_gate_loss(RL_TASK_BINARY, &p, 1.0f) + log(0.8)) < 1e-15);
    assert_true(fabs(rl_gate_loss(RL_TASK_BINARY, &p, 0.0f) + log(0.2)) < 1e-12);
    p.prob = NAN; /* a margin classifier: 0/1 error */
    assert_true(rl_gate_loss(RL_TASK_BINARY, &p, 1.0f) == 0.0);
    assert_true(rl_gate_loss(RL_TASK_BINARY, &p, 0.0f) == 1.0);
    p.prob = 1.0; /* a certain mistake costs a finite amount */
    assert_true(isfinite(rl_gate_loss(RL_TASK_BINARY, &p, 0.0f)));
    p.value = 2.5;
    assert_true(rl_gate_loss(RL_TASK_REGRESSION, &p, 1.0f) == 2.25);
    p.prob_true = 0.5;
    p.cls = 3;
    assert_true(fabs(rl_gate_loss(RL_TASK_MULTICLASS, &p, 2.0f) - log(2.0)) < 1e-15);
    p.prob_true = NAN;
    assert_true(rl_gate_loss(RL_TASK_MULTICLASS, &p, 3.0f) == 0.0);
}

/* A gate restored from its export decides bit for bit as the one that wrote it, also after
 * the ring wrapped; a smaller window keeps the newest pairs; damaged bytes are refused. */
static void test_export_import_exact(void **st)
{
    (void)st;
    rl_gate *a = gate_with(1000, 0.0, 0.99), *b = gate_with(1000, 0.0, 0.99);
    rl_gate *small = gate_with(10, 0.0, 0.99), *ref = gate_with(10, 0.0, 0.99);
    rl_gate_verdict va, vb;
    rl_buf buf;
    char e[256];
    rng_state = 3;
    for (int i = 0; i < 2345; i++) {
        double c = uniform(), r = uniform();
        rl_gate_add(a, c, r);
        if (i >= 2335)
            rl_gate_add(ref, c, r);
    }
    rl_buf_init(&buf);
    assert_int_equal(rl_gate_export(a, &buf), RL_OK);
    assert_int_equal(rl_gate_import(b, buf.data, buf.len, e, sizeof(e)), RL_OK);
    rl_gate_decide(a, &va);
    rl_gate_decide(b, &vb);
    assert_memory_equal(&va, &vb, sizeof(va));
    assert_int_equal(rl_gate_import(small, buf.data, buf.len, e, sizeof(e)), RL_OK);
    rl_gate_decide(small, &va);
    rl_gate_decide(ref, &vb);
    assert_memory_equal(&va, &vb, sizeof(va));
    /* truncated, trailing byte, newer version, negative loss */
    assert_int_equal(rl_gate_import(b, buf.data, buf.len - 1, e, sizeof(e)), RL_ERR_FORMAT);
    assert_int_equal(rl_gate_count(b), 0);
    rl_buf_put_u8(&buf, 0);
    assert_int_equal(rl_gate_import(b, buf.data, buf.len, e, sizeof(e)), RL_ERR_FORMAT);
    buf.len--;
    buf.data[0] = 9;
    assert_int_equal(rl_gate_import(b, buf.data, buf.len, e, sizeof(e)), RL_ERR_VERSION);
    buf.data[0] = 1;
    double neg = -1.0;
    memcpy(buf.data + 8, &neg, 8);
    assert_int_equal(rl_gate_import(b, buf.data, buf.len, e, sizeof(e)), RL_ERR_FORMAT);
    assert_non_null(strstr(e, "pair 0"));
    rl_buf_free(&buf);
    rl_gate_destroy(a);
    rl_gate_destroy(b);
    rl_gate_destroy(small);
    rl_gate_destroy(ref);
}

/* A fixed reference for the model tests: predicts P(y=1) = 0.5 for every event. */
static void half(void *ctx, const rl_example *ex, rl_pred *out)
{
    (void)ctx;
    (void)ex;
    out->score = 0;
    out->value = out->prob = 0.5;
    out->cls = 1;
}

static rl_model *gated_model(void)
{
    rl_model_config c;
    rl_model *m;
    rl_gate_params gp;
    char e[256];
    rl_model_config_default(&c);
    c.learner.bits = 10;
    assert_int_equal(rl_model_new(&c, NULL, NULL, &m, e, sizeof(e)), RL_OK);
    rl_gate_params_default(&gp);
    gp.window = 300;
    assert_int_equal(rl_model_gate_enable(m, &gp, e, sizeof(e)), RL_OK);
    return m;
}

static void step_separable(rl_model *m, int n)
{
    rl_feature f[2];
    rl_example ex;
    memset(&ex, 0, sizeof(ex));
    ex.feats = f;
    ex.n_feats = 2;
    ex.weight = 1.0f;
    for (int i = 0; i < n; i++) {
        int y = i % 3 == 0;
        f[0].index = y ? 1 : 2;
        f[0].value = 1.0f;
        f[1].index = 5;
        f[1].value = 1.0f;
        ex.label = (float)y;
        rl_model_step(m, &ex, NULL, NULL);
    }
}

/* In the model: a learner on an easy stream beats a coin-flip reference (not held); the pairs
 * export apart from the model's state, which stays as it always was (a model with a gate
 * exports the same bytes as one without), and a model that imports them decides exactly as
 * its writer, with the same reference version only. */
static void test_model_gate_state(void **st)
{
    (void)st;
    rl_model *a = gated_model(), *b = gated_model();
    rl_model_reference ref = {half, NULL};
    rl_gate_verdict va, vb;
    rl_buf g, l1, d1, r1, l2, d2, r2;
    char e[256];
    rl_model_config c;
    rl_model *plain;

    assert_int_equal(rl_model_gate_decide(a, &va), 0); /* no reference yet */
    rl_model_set_reference(a, &ref, 4);
    step_separable(a, 1000);
    assert_int_equal(rl_model_gate_decide(a, &va), 1);
    assert_int_equal(va.n, 300);
    assert_false(va.hold);
    assert_true(va.mean_diff < -0.5); /* log loss near 0 against ln 2 */
    rl_buf_init(&g);
    assert_int_equal(rl_model_gate_export(a, &g), RL_OK);
    assert_int_equal(rl_model_gate_import(b, g.data, g.len, e, sizeof(e)), RL_OK);
    assert_int_equal(rl_model_reference_version(b), 4);
    rl_model_set_reference(b, &ref, 4); /* the same version: the pairs stay */
    assert_int_equal(rl_model_gate_decide(b, &vb), 1);
    assert_memory_equal(&va, &vb, sizeof(va));
    rl_model_set_reference(b, &ref, 5); /* another version: they go */
    rl_model_gate_decide(b, &vb);
    assert_int_equal(vb.n, 0);
    /* damaged pairs are refused and leave the gate as it was */
    g.data[g.len - 1] ^= 0x80;
    assert_int_not_equal(rl_model_gate_import(b, g.data, g.len, e, sizeof(e)), RL_OK);
    assert_int_equal(rl_model_reference_version(b), 5);

    /* The model's own state does not carry the gate. */
    rl_model_config_default(&c);
    c.learner.bits = 10;
    assert_int_equal(rl_model_new(&c, NULL, NULL, &plain, e, sizeof(e)), RL_OK);
    step_separable(plain, 1000);
    rl_buf_init(&l1);
    rl_buf_init(&d1);
    rl_buf_init(&r1);
    rl_buf_init(&l2);
    rl_buf_init(&d2);
    rl_buf_init(&r2);
    assert_int_equal(rl_model_export(a, &l1, &d1, &r1), RL_OK);
    assert_int_equal(rl_model_export(plain, &l2, &d2, &r2), RL_OK);
    assert_int_equal(r1.len, r2.len);
    assert_memory_equal(r1.data, r2.data, r1.len);
    assert_memory_equal(l1.data, l2.data, l1.len);
    rl_model_destroy(plain);
    rl_model_destroy(a);
    rl_model_destroy(b);
    rl_buf_free(&g);
    rl_buf_free(&l1);
    rl_buf_free(&d1);
    rl_buf_free(&r1);
    rl_buf_free(&l2);
    rl_buf_free(&d2);
    rl_buf_free(&r2);
}

static void test_refusals(void **st)
{
    (void)st;
    rl_gate_params p;
    rl_gate *g = (rl_gate *)&p;
    char e[128];
    rl_gate_params_default(&p);
    p.window = 0;
    assert_int_equal(rl_gate_new(&p, &g, e, sizeof(e)), RL_ERR_INVALID_ARG);
    assert_null(g);
    rl_gate_params_default(&p);
    p.confidence = 1.0;
    assert_int_equal(rl_gate_new(&p, &g, e, sizeof(e)), RL_ERR_INVALID_ARG);
    rl_gate_params_default(&p);
    p.loss_cap = INFINITY;
    assert_int_equal(rl_gate_new(&p, &g, e, sizeof(e)), RL_ERR_INVALID_ARG);
    rl_gate_params_default(&p);
    p.tolerance = -0.1;
    assert_int_equal(rl_gate_new(&p, &g, e, sizeof(e)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(e, "tolerance"));
    rl_gate_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_known_answer),
        cmocka_unit_test(test_harder_stream_does_not_stall),
        cmocka_unit_test(test_real_regression_held_noise_passes),
        cmocka_unit_test(test_min_events_and_tolerance),
        cmocka_unit_test(test_window_cap_nan),
        cmocka_unit_test(test_gate_loss),
        cmocka_unit_test(test_export_import_exact),
        cmocka_unit_test(test_model_gate_state),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
