/* test_learner_conformance.c - the conformance suite, run over every registered learner and the
 * main configurations of each: warm start, export/import round trips, reset, set_weights, refused
 * imports and examples, and the registry. Fast: 2^10 weights, short synthetic streams from a fixed
 * LCG (tests/learner_util.h), so it also runs under ASan. */
#include "tests/learner_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_conformance_warm_start),
        cmocka_unit_test(test_conformance_reset),
        cmocka_unit_test(test_conformance_set_weights),
        cmocka_unit_test(test_conformance_import_refusals),
        cmocka_unit_test(test_conformance_bad_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
