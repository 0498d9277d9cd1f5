/* test_model_responses.c - the drift responses on synthetic abrupt drifts: alert only, reset,
 * boost, and the challenger promoted or dropped (DDM and ADWIN). (tests/test_metrics.c has the
 * metrics.) */
#include "tests/model_stream.h"

static void test_model_alert_only_detects_flip(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_ALERT);
    rl_model *m = model_new(&c, &cx);
    stream s = {.flip_at = 3000};
    rng_seed(1);
    rl_event_pos pos = {"events", 3, 0};
    for (int i = 0; i < 4000; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        pos.offset = 100 + i;
        rl_model_step(m, &ex, &pos, NULL);
        if (i == 2999) {
            /* the first concept was learned */
            rl_metrics_summary early;
            rl_model_summary(m, &early);
            assert_true(early.accuracy > 0.95);
            assert_true(early.recent_accuracy > 0.95);
        }
    }
    assert_int_equal(rl_model_position(m), 4000);
    const rec *d = find_alert(&cx, RL_DRIFT_DRIFT, NULL, 0);
    assert_non_null(d);
    /* detected after the flip, within 200 examples, with nothing before it */
    assert_true(d->position > 3000 && d->position < 3200);
    assert_string_equal(d->response, "alert");
    assert_string_equal(d->source, "error");
    /* DDM's p + s that triggered the drift, not its restarted (zero) value */
    assert_true(d->statistic > 0 && d->statistic < 1);
    assert_int_equal(d->offset, 100 + (int64_t)d->position - 1);
    assert_true(rl_model_drifts(m) >= 1);
    rl_metrics_summary sum;
    rl_model_summary(m, &sum);
    assert_int_equal(sum.n, 4000);
    assert_true(sum.accuracy > 0.6);
    rl_model_destroy(m);
}

static void test_model_reset_clears_learner(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_RESET);
    rl_model *m = model_new(&c, &cx);
    stream s = {.flip_at = 3000};
    rng_seed(2);
    feed(m, &s, 4000);
    const rec *d = find_alert(&cx, RL_DRIFT_DRIFT, "reset", 3000);
    assert_non_null(d);
    assert_true(d->position < 3200);
    /* seen from the callback: the learner had just been reset (it learned example d first) */
    assert_int_equal(d->learner_updates, 0);
    assert_int_equal(d->offset, -1);
    /* and it then learned the new concept */
    assert_true(rl_model_learner_c(m)->updates <= 4000 - d->position);
    rl_model_destroy(m);
}

static void test_model_boost_raises_then_decays(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_BOOST);
    c.boost_factor = 5;
    c.boost_halflife = 20;
    rl_model *m = model_new(&c, &cx);
    stream s = {.flip_at = 3000};
    rng_seed(3);
    rl_example ex;
    uint64_t drift_at = 0;
    for (int i = 0; i < 6000; i++) {
        stream_next(&s, &ex);
        uint64_t drifts_before = rl_model_drifts(m);
        rl_model_step(m, &ex, NULL, NULL);
        /* a drift (alerted or swallowed by the rate limit) restarts the boost */
        if (rl_model_drifts(m) != drifts_before)
            drift_at = rl_model_position(m);
        if (!drift_at)
            assert_true(rl_model_learner_c(m)->lr_scale == 1.0);
        uint64_t since = rl_model_position(m) - drift_at;
        if (drift_at && since >= 1) {
            /* the example at drift + 1 learned at the full factor, then halving every 20 */
            double want = 1 + 4 * pow(0.5, (double)(since - 1) / 20);
            if (since - 1 > 64 * 20)
                want = 1;
            if (!(fabs(rl_model_learner_c(m)->lr_scale - want) < 1e-12))
                fail_msg("pos %llu drift %llu lr_scale %.17g want %.17g",
                         (unsigned long long)rl_model_position(m), (unsigned long long)drift_at,
                         rl_model_learner_c(m)->lr_scale, want);
        }
    }
    assert_true(drift_at > 3000);
    const rec *d = find_alert(&cx, RL_DRIFT_DRIFT, "boost", 3000);
    assert_non_null(d);
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    if (rl_model_position(m) - drift_at > 64 * 20 + 1) {
        assert_int_equal(k.boosting, 0);
        assert_true(rl_model_learner_c(m)->lr_scale == 1.0);
    }
    rl_model_destroy(m);
}

/* The decision always follows the documented rule: promoted iff the challenger's loss over the
 * shared examples is lower. */
static void check_challenger_rule(const ctx *cx)
{
    for (size_t i = 0; i < cx->n; i++) {
        const rec *r = &cx->alerts[i];
        if (strcmp(r->response, "challenger_promoted") == 0)
            assert_true(r->challenger_loss < r->recent_loss);
        if (strcmp(r->response, "challenger_dropped") == 0 && r->level == RL_DRIFT_DRIFT)
            assert_false(r->challenger_loss < r->recent_loss);
    }
}

static void test_model_challenger_promoted(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_CHALLENGER);
    c.alert_min_gap = 0;
    rl_model *m = model_new(&c, &cx);
    stream s = {.flip_at = 3000};
    rng_seed(4);
    const rl_learner *first = rl_model_learner_c(m);
    feed(m, &s, 4000);
    const rec *w = find_alert(&cx, RL_DRIFT_WARNING, "challenger_started", 3000);
    assert_non_null(w);
    const rec *p = find_alert(&cx, RL_DRIFT_DRIFT, "challenger_promoted", w->position);
    assert_non_null(p);
    assert_true(p->position < 3300);
    assert_true(p->challenger_loss < p->recent_loss);
    /* the champion is the challenger now: it has learned only since the warning */
    assert_true(rl_model_learner_c(m) != first);
    assert_true(rl_model_learner_c(m)->updates == 4000 - w->position);
    check_challenger_rule(&cx);
    rl_model_destroy(m);
}

/* The challenger response with `detector` (NULL: the default) on a slow learner (eta 0.02)
 * whose concept stays while label noise rises 10% -> 20% at 20000; *first is its champion. */
static rl_model *noise_rise_model(ctx *cx, const char *detector, const rl_learner **first)
{
    rl_model_config c;
    char err[256];
    memset(cx, 0, sizeof(*cx));
    cfg_base(&c, RL_RESPONSE_CHALLENGER);
    if (detector)
        assert_int_equal(rl_model_config_set_drift(&c, "detector", detector, err, sizeof(err)),
                         RL_OK);
    c.alert_min_gap = 0;
    assert_int_equal(rl_learner_params_set(&c.learner, "eta", "0.02", err, sizeof(err)), RL_OK);
    rl_model *m = model_new(&c, cx);
    *first = rl_model_learner_c(m);
    return m;
}

/* The concept stays; only label noise rises (10% -> 20%). A slow learner has learned the
 * concept over 20k examples; a fresh challenger cannot catch up before DDM fires, so it is
 * dropped. */
static void test_model_challenger_dropped(void **state)
{
    (void)state;
    static ctx cx;
    const rl_learner *first;
    rl_model *m = noise_rise_model(&cx, NULL, &first);
    stream s = {.noise = 0.1, .noise2 = 0.2, .noise_at = 20000};
    rng_seed(5);
    uint64_t dropped_at_drift = 0;
    feed(m, &s, 24000);
    for (size_t i = 0; i < cx.n; i++)
        if (cx.alerts[i].level == RL_DRIFT_DRIFT &&
            strcmp(cx.alerts[i].response, "challenger_dropped") == 0 &&
            cx.alerts[i].position > 20000)
            dropped_at_drift++;
    assert_true(dropped_at_drift >= 1);
    assert_null(find_alert(&cx, RL_DRIFT_DRIFT, "challenger_promoted", 20000));
    assert_true(rl_model_learner_c(m) == first);
    check_challenger_rule(&cx);
    /* warnings that faded out dropped their challenger at level STABLE */
    const rec *faded = find_alert(&cx, RL_DRIFT_STABLE, "challenger_dropped", 0);
    assert_non_null(faded);
    assert_true(find_alert(&cx, RL_DRIFT_WARNING, "challenger_started", 0)->position <
                faded->position);
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    if (!k.challenger_running)
        assert_int_equal(k.challenger_start, 0);
    rl_model_destroy(m);
}

/* ADWIN had no warning level, so with it the challenger response never started a challenger and
 * equalled alert. With its warning window (drift/adwin.c, warning_delta 0.01 by default) it
 * does: after the concept flips at 3000 a warning starts a challenger, and the drift that
 * follows promotes it (the champion's old concept is wrong on every example now). Seeds 1-5. */
static void test_model_challenger_adwin_promoted(void **state)
{
    (void)state;
    static ctx cx;
    char err[256];
    for (uint64_t seed = 1; seed <= 5; seed++) {
        memset(&cx, 0, sizeof(cx));
        rl_model_config c;
        cfg_base(&c, RL_RESPONSE_CHALLENGER);
        assert_int_equal(rl_model_config_set_drift(&c, "detector", "adwin", err, sizeof(err)),
                         RL_OK);
        c.alert_min_gap = 0;
        rl_model *m = model_new(&c, &cx);
        stream s = {.flip_at = 3000};
        rng_seed(seed);
        const rl_learner *first = rl_model_learner_c(m);
        feed(m, &s, 5000);
        const rec *w = find_alert(&cx, RL_DRIFT_WARNING, "challenger_started", 3000);
        if (!w)
            fail_msg("seed %llu: no challenger started after the flip", (unsigned long long)seed);
        const rec *p = find_alert(&cx, RL_DRIFT_DRIFT, NULL, 3000);
        assert_non_null(p);
        if (p->position < w->position || strcmp(p->response, "challenger_promoted") != 0)
            fail_msg("seed %llu: warning at %llu, then drift at %llu with '%s'",
                     (unsigned long long)seed, (unsigned long long)w->position,
                     (unsigned long long)p->position, p->response);
        assert_true(p->position < 3300);
        assert_true(rl_model_learner_c(m) != first);
        check_challenger_rule(&cx);
        rl_model_destroy(m);
    }
}

/* ADWIN, concept unchanged, label noise 10% -> 20% at 20000: the warning starts a challenger, and
 * at the drift a fresh learner is no better than the champion that has learned the concept over
 * 20k examples, so it is dropped (at that drift, or when the warning runs out). */
static void test_model_challenger_adwin_dropped(void **state)
{
    (void)state;
    static ctx cx;
    const rl_learner *first;
    rl_model *m = noise_rise_model(&cx, "adwin", &first);
    stream s = {.noise = 0.1, .noise2 = 0.2, .noise_at = 20000};
    rng_seed(5);
    feed(m, &s, 24000);
    const rec *w = find_alert(&cx, RL_DRIFT_WARNING, "challenger_started", 20000);
    assert_non_null(w);
    const rec *d = find_alert(&cx, RL_DRIFT_DRIFT, NULL, 20000);
    assert_non_null(d);
    assert_null(find_alert(&cx, RL_DRIFT_DRIFT, "challenger_promoted", 20000));
    assert_non_null(find_alert(&cx, RL_DRIFT_DRIFT, "challenger_dropped", 20000));
    assert_true(rl_model_learner_c(m) == first);
    check_challenger_rule(&cx);
    rl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_alert_only_detects_flip),
        cmocka_unit_test(test_model_reset_clears_learner),
        cmocka_unit_test(test_model_boost_raises_then_decays),
        cmocka_unit_test(test_model_challenger_promoted),
        cmocka_unit_test(test_model_challenger_dropped),
        cmocka_unit_test(test_model_challenger_adwin_promoted),
        cmocka_unit_test(test_model_challenger_adwin_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
