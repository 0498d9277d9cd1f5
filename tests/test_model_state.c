/* test_model_state.c - exact export/import mid-stream for every response, refused imports, and the
 * accessors (predict = step's prediction, position, updates). (tests/test_metrics.c has the
 * metrics.) */
#include "tests/model_stream.h"

/* ---- exact state round trip ---- */

typedef int (*split_fn)(const rl_model *m);

static int split_challenger(const rl_model *m)
{
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    return k.challenger_running && rl_model_position(m) - k.challenger_start > 5;
}

static int split_boost(const rl_model *m)
{
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    return k.boosting && rl_model_learner_c(m)->lr_scale < 4.0;
}

static int split_at_3500(const rl_model *m)
{
    return rl_model_position(m) == 3500;
}

static void export3(const rl_model *m, rl_buf b[3])
{
    for (int i = 0; i < 3; i++)
        rl_buf_init(&b[i]);
    assert_int_equal(rl_model_export(m, &b[0], &b[1], &b[2]), RL_OK);
}

static void free3(rl_buf b[3])
{
    for (int i = 0; i < 3; i++)
        rl_buf_free(&b[i]);
}

/* det NULL: cfg_base's DDM. */
static void roundtrip_det(const char *det, rl_response r, const char *watch, split_fn split)
{
    static ctx ca, cb;
    memset(&ca, 0, sizeof(ca));
    memset(&cb, 0, sizeof(cb));
    char err[256];
    rl_model_config c;
    cfg_base(&c, r);
    if (det)
        assert_int_equal(rl_model_config_set_drift(&c, "detector", det, err, sizeof(err)), RL_OK);
    c.alert_min_gap = 300;
    c.boost_halflife = 50;
    c.metrics_window = 100;
    if (watch)
        assert_int_equal(rl_model_config_set_drift(&c, "watch_feature", watch, err, sizeof(err)),
                         RL_OK);
    rl_model *a = model_new(&c, &ca);
    rl_model *b = model_new(&c, &cb);
    stream s = {.flip_at = 3000, .noise = 0.05};
    rng_seed(8);
    rl_feature f[4];
    uint32_t wf = rl_model_hash_name(a, watch ? watch : "x", watch ? strlen(watch) : 1);
    int split_done = 0;
    for (int i = 0; i < 8000; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        if (watch) {
            /* the watched feature: 0/1, its rate jumps at 5000 */
            memcpy(f, ex.feats, 2 * sizeof(*f));
            f[2] = (rl_feature){wf, rng_u01() < (i < 5000 ? 0.1 : 0.6) ? 1.0f : 0.0f};
            ex.feats = f;
            ex.n_feats = 3;
        }
        rl_pred pa, pb;
        double la = rl_model_step(a, &ex, NULL, &pa);
        if (split_done) {
            double lb = rl_model_step(b, &ex, NULL, &pb);
            assert_true(same_double(pa.score, pb.score) && same_double(pa.value, pb.value));
            assert_true(same_double(pa.prob, pb.prob) && same_double(pa.prob_true, pb.prob_true));
            assert_int_equal(pa.cls, pb.cls);
            assert_true(same_double(la, lb));
        } else if (split(a)) {
            rl_buf e[3];
            export3(a, e);
            size_t before = cb.n;
            assert_int_equal(rl_model_import(b, e[0].data, e[0].len, e[1].data, e[1].len, e[2].data,
                                             e[2].len, err, sizeof(err)),
                             RL_OK);
            rl_buf e2[3];
            export3(b, e2);
            for (int k = 0; k < 3; k++) {
                assert_int_equal(e[k].len, e2[k].len);
                assert_memory_equal(e[k].data, e2[k].data, e[k].len);
            }
            free3(e);
            free3(e2);
            /* import raises no alert; both logs start here */
            assert_int_equal(cb.n, before);
            ca.n = 0;
            split_done = 1;
        }
    }
    assert_true(split_done);
    assert_int_equal(ca.n, cb.n);
    for (size_t i = 0; i < ca.n; i++) {
        const rec *x = &ca.alerts[i], *y = &cb.alerts[i];
        assert_int_equal(x->position, y->position);
        assert_int_equal(x->level, y->level);
        assert_string_equal(x->response, y->response);
        assert_string_equal(x->source, y->source);
        assert_int_equal(x->suppressed, y->suppressed);
        assert_true(same_double(x->statistic, y->statistic));
        assert_true(same_double(x->recent_loss, y->recent_loss));
        assert_true(same_double(x->challenger_loss, y->challenger_loss));
    }
    rl_buf ea[3], eb[3];
    export3(a, ea);
    export3(b, eb);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(ea[k].len, eb[k].len);
        assert_memory_equal(ea[k].data, eb[k].data, ea[k].len);
    }
    free3(ea);
    free3(eb);
    rl_metrics_summary sa, sb;
    rl_model_summary(a, &sa);
    rl_model_summary(b, &sb);
    assert_memory_equal(&sa, &sb, sizeof(sa));
    rl_model_destroy(a);
    rl_model_destroy(b);
}

static void roundtrip(rl_response r, const char *watch, split_fn split)
{
    roundtrip_det(NULL, r, watch, split);
}

static void test_roundtrip_alert(void **state)
{
    (void)state;
    roundtrip(RL_RESPONSE_ALERT, "w", split_at_3500);
}

static void test_roundtrip_reset(void **state)
{
    (void)state;
    roundtrip(RL_RESPONSE_RESET, NULL, split_at_3500);
}

static void test_roundtrip_boost(void **state)
{
    (void)state;
    roundtrip(RL_RESPONSE_BOOST, NULL, split_boost);
}

static void test_roundtrip_challenger(void **state)
{
    (void)state;
    roundtrip(RL_RESPONSE_CHALLENGER, "w", split_challenger);
}

/* ADWIN's warning window and its hold are in the detector state: a model exported while an
 * ADWIN warning keeps a challenger running continues identically. */
static void test_roundtrip_challenger_adwin(void **state)
{
    (void)state;
    roundtrip_det("adwin", RL_RESPONSE_CHALLENGER, "w", split_challenger);
}

static void test_import_refusals(void **state)
{
    (void)state;
    char err[256];
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_CHALLENGER);
    rl_model *a = model_new(&c, NULL);
    cfg_base(&c, RL_RESPONSE_RESET);
    rl_model *b = model_new(&c, NULL);
    rl_model_config_default(&c);
    c.learner.bits = 10;
    rl_model *nodet = model_new(&c, NULL);
    rl_buf e[3];
    export3(a, e);
    assert_int_equal(rl_model_import(b, e[0].data, e[0].len, e[1].data, e[1].len, e[2].data,
                                     e[2].len, err, sizeof(err)),
                     RL_ERR_MISMATCH);
    assert_non_null(strstr(err, "challenger"));
    assert_int_equal(
        rl_model_import(nodet, e[0].data, e[0].len, NULL, 0, e[2].data, e[2].len, err, sizeof(err)),
        RL_ERR_MISMATCH);
    assert_int_equal(rl_model_import(a, e[0].data, e[0].len, e[1].data, e[1].len, e[2].data,
                                     e[2].len - 1, err, sizeof(err)),
                     RL_ERR_FORMAT);
    e[2].data[0] = 200;
    assert_int_equal(rl_model_import(a, e[0].data, e[0].len, e[1].data, e[1].len, e[2].data,
                                     e[2].len, err, sizeof(err)),
                     RL_ERR_VERSION);
    e[2].data[0] = 1;
    /* a corrupt detector blob is refused and leaves the model as it was */
    rl_buf before[3];
    export3(a, before);
    assert_true(rl_model_import(a, e[0].data, e[0].len, e[1].data, e[1].len / 2, e[2].data,
                                e[2].len, err, sizeof(err)) != RL_OK);
    rl_buf after[3];
    export3(a, after);
    for (int k = 0; k < 3; k++)
        assert_memory_equal(before[k].data, after[k].data, before[k].len);
    free3(before);
    free3(after);
    free3(e);
    rl_model_destroy(a);
    rl_model_destroy(b);
    rl_model_destroy(nodet);
}

/* Predict-only, the pointer getters and step without pred. */
static void test_model_misc(void **state)
{
    (void)state;
    rl_model_config c;
    rl_model_config_default(&c);
    c.learner.bits = 10;
    rl_model *m = model_new(&c, NULL);
    assert_null(rl_model_detector(m));
    assert_int_equal(rl_model_drift_state(m), RL_DRIFT_STABLE);
    assert_true(rl_model_get_config(m)->learner.bits == 10);
    stream s = {0};
    rng_seed(11);
    for (int i = 0; i < 500; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        rl_pred p1, p2;
        rl_model_predict(m, &ex, &p1);
        rl_model_step(m, &ex, NULL, &p2);
        assert_true(same_double(p1.score, p2.score));
    }
    rl_buf e[3];
    export3(m, e);
    assert_int_equal(e[1].len, 0);
    free3(e);
    assert_int_equal(rl_model_position(m), 500);
    assert_int_equal(rl_model_learner(m)->updates, 500);
    rl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_alert),
        cmocka_unit_test(test_roundtrip_reset),
        cmocka_unit_test(test_roundtrip_boost),
        cmocka_unit_test(test_roundtrip_challenger),
        cmocka_unit_test(test_roundtrip_challenger_adwin),
        cmocka_unit_test(test_import_refusals),
        cmocka_unit_test(test_model_misc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
