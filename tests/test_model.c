/* test_model.c - the model step (tests/test_metrics.c has the metrics): drift responses on
 * synthetic abrupt drifts, alert rate limiting, exact export/import mid-stream for every response,
 * config validation, the error signal fed to detectors. */
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
#include "model/metrics.h"
#include "tests/model_util.h"
#include "model/model.h"

/* ---- the model on synthetic streams ---- */

#define MAX_ALERTS 4096

typedef struct rec {
    uint64_t position;
    rl_drift_state level;
    char response[32];
    char source[64];
    uint64_t suppressed;
    double statistic, recent_loss, challenger_loss;
    int64_t offset;
    /* observations made inside the callback */
    uint64_t learner_updates;
    double lr_scale;
} rec;

typedef struct ctx {
    rl_model *m;
    rec alerts[MAX_ALERTS];
    size_t n;
} ctx;

static void on_alert(void *opaque, const rl_alert *a)
{
    ctx *c = opaque;
    assert_true(c->n < MAX_ALERTS);
    rec *r = &c->alerts[c->n++];
    memset(r, 0, sizeof(*r));
    r->position = a->position;
    r->level = a->level;
    snprintf(r->response, sizeof(r->response), "%s", a->response);
    snprintf(r->source, sizeof(r->source), "%s", a->source);
    r->suppressed = a->suppressed;
    r->statistic = a->statistic;
    r->recent_loss = a->recent_loss;
    r->challenger_loss = a->challenger_loss;
    r->offset = a->pos.offset;
    assert_non_null(a->detector);
    assert_non_null(a->statistic_name);
    if (c->m) {
        r->learner_updates = rl_model_learner_c(c->m)->updates;
        r->lr_scale = rl_model_learner_c(c->m)->lr_scale;
    }
}

/* One example of a two-feature stream: label = [u1 > u2], flipped after `flip_at` (abrupt
 * concept drift), with label noise `noise` (or `noise2` after noise_at). */
typedef struct stream {
    uint64_t flip_at;
    double noise, noise2;
    uint64_t noise_at;
    uint64_t i;
    rl_feature f[3];
    uint32_t n_feats;
} stream;

static void stream_next(stream *s, rl_example *ex)
{
    double u1 = rng_u01(), u2 = rng_u01();
    s->i++;
    int y = u1 > u2;
    if (s->flip_at && s->i > s->flip_at)
        y = !y;
    double noise = s->noise_at && s->i > s->noise_at ? s->noise2 : s->noise;
    if (rng_u01() < noise)
        y = !y;
    s->f[0] = (rl_feature){1, (float)u1};
    s->f[1] = (rl_feature){2, (float)u2};
    s->n_feats = 2;
    memset(ex, 0, sizeof(*ex));
    ex->label = (float)y;
    ex->weight = 1;
    ex->feats = s->f;
    ex->n_feats = s->n_feats;
}

/* Steps m through the next n examples of s. */
static void feed(rl_model *m, stream *s, int n)
{
    for (int i = 0; i < n; i++) {
        rl_example ex;
        stream_next(s, &ex);
        rl_model_step(m, &ex, NULL, NULL);
    }
}

static void cfg_base(rl_model_config *c, rl_response r)
{
    char err[256];
    rl_model_config_default(c);
    c->learner.bits = 10;
    assert_int_equal(rl_model_config_set_drift(c, "detector", "ddm", err, sizeof(err)), RL_OK);
    c->response = r;
}

static rl_model *model_new(const rl_model_config *c, ctx *cx)
{
    rl_model *m = NULL;
    char err[256] = "";
    rl_err e = rl_model_new(c, cx ? on_alert : NULL, cx, &m, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("rl_model_new: %s: %s", rl_err_str(e), err);
    if (cx)
        cx->m = m;
    return m;
}

static const rec *find_alert(const ctx *c, rl_drift_state level, const char *response,
                             uint64_t after)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->alerts[i].level == level && c->alerts[i].position > after &&
            (!response || strcmp(c->alerts[i].response, response) == 0))
            return &c->alerts[i];
    return NULL;
}

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

/* Noisy stream: a learner that cannot learn random labels, DDM at hair-trigger settings. */
static void run_noisy(rl_model_config *c, ctx *cx, rl_model **out, int n)
{
    char err[256];
    assert_int_equal(rl_model_config_set_drift(c, "warning", "0.5", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_model_config_set_drift(c, "drift", "1", err, sizeof(err)), RL_OK);
    rl_model *m = model_new(c, cx);
    stream s = {.noise = 0.5};
    rng_seed(6);
    for (int i = 0; i < n; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        rl_model_step(m, &ex, NULL, NULL);
    }
    *out = m;
}

static void test_model_alert_rate_limit(void **state)
{
    (void)state;
    static ctx cx, raw;
    memset(&cx, 0, sizeof(cx));
    memset(&raw, 0, sizeof(raw));
    rl_model_config c;
    rl_model *m, *u;
    const int n = 20000;
    const uint64_t gap = 500;

    /* no limit: every event is an alert */
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.alert_min_gap = 0;
    run_noisy(&c, &raw, &u, n);
    uint64_t events = rl_model_warnings(u) + rl_model_drifts(u);
    assert_int_equal(raw.n, events);
    assert_true(events > 100); /* the stream is noisy indeed */
    for (size_t i = 0; i < raw.n; i++)
        assert_int_equal(raw.alerts[i].suppressed, 0);

    cfg_base(&c, RL_RESPONSE_ALERT);
    c.alert_min_gap = gap;
    run_noisy(&c, &cx, &m, n);
    assert_int_equal(rl_model_warnings(m), rl_model_warnings(u));
    assert_int_equal(rl_model_drifts(m), rl_model_drifts(u));
    uint64_t last[3] = {0, 0, 0}, emitted[3] = {0, 0, 0}, supp[3] = {0, 0, 0};
    for (size_t i = 0; i < cx.n; i++) {
        const rec *r = &cx.alerts[i];
        int l = (int)r->level;
        if (last[l])
            assert_true(r->position - last[l] >= gap);
        last[l] = r->position;
        emitted[l]++;
        supp[l] += r->suppressed;
    }
    /* bounded: drifts at most one per gap; warnings at most one per gap or per drift */
    assert_true(emitted[RL_DRIFT_DRIFT] <= n / gap + 1);
    assert_true(emitted[RL_DRIFT_WARNING] <= n / gap + 1);
    assert_true(cx.n * 4 < events);
    /* every event is either emitted or counted in a later alert's suppressed (or still
     * pending after the last alert of its level) */
    assert_true(emitted[RL_DRIFT_DRIFT] + supp[RL_DRIFT_DRIFT] <= rl_model_drifts(m));
    assert_true(emitted[RL_DRIFT_WARNING] + supp[RL_DRIFT_WARNING] <= rl_model_warnings(m));
    assert_true(supp[RL_DRIFT_DRIFT] > 0 && supp[RL_DRIFT_WARNING] > 0);
    uint64_t pending_d = rl_model_drifts(m) - emitted[RL_DRIFT_DRIFT] - supp[RL_DRIFT_DRIFT];
    uint64_t d_after = 0;
    for (size_t i = 0; i < raw.n; i++)
        if (raw.alerts[i].level == RL_DRIFT_DRIFT && raw.alerts[i].position > last[2])
            d_after++;
    assert_int_equal(pending_d, d_after);
    rl_model_destroy(m);
    rl_model_destroy(u);
}

/* A challenger whose start was shown to ops always has its end shown: on a noisy stream with
 * response challenger, drifts come faster than the gap, and the drift that promotes or drops an
 * announced challenger used to be swallowed (ops saw "challenger_started" twice in a row and
 * never learned that the model had been replaced). The end is forced through the limiter; the
 * rest of the limit still holds. */
static void test_model_challenger_end_always_shown(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    rl_model_config c;
    rl_model *m;
    const uint64_t gap = 100, n = 20000;
    cfg_base(&c, RL_RESPONSE_CHALLENGER);
    c.alert_min_gap = gap;
    run_noisy(&c, &cx, &m, n);
    int open = 0;
    uint64_t starts = 0, ends = 0, forced = 0, last_drift = 0, last_start = 0, drift_alerts = 0;
    for (size_t i = 0; i < cx.n; i++) {
        const rec *r = &cx.alerts[i];
        if (strcmp(r->response, "challenger_started") == 0) {
            assert_int_equal(r->level, RL_DRIFT_WARNING);
            assert_false(open); /* the previous one's end was shown */
            if (last_start)
                assert_true(r->position - last_start >= gap);
            last_start = r->position;
            open = 1;
            starts++;
        } else if (strncmp(r->response, "challenger_", 11) == 0) {
            assert_true(r->level == RL_DRIFT_DRIFT || r->level == RL_DRIFT_STABLE);
            if (open)
                ends++;
            open = 0;
        }
        if (r->level == RL_DRIFT_DRIFT) {
            drift_alerts++;
            if (last_drift && r->position - last_drift < gap) {
                /* only the end of an announced challenger passes inside the gap */
                assert_true(strncmp(r->response, "challenger_", 11) == 0);
                forced++;
            }
            last_drift = r->position;
        }
    }
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    assert_int_equal(open, k.challenger_running); /* the one still open is still running */
    assert_true(starts >= 5);
    assert_int_equal(ends + (uint64_t)open, starts);
    assert_true(forced > 0); /* the case this guards did happen on this stream */
    /* the limit still bounds the flood: starts (warnings) at most one per gap, other drift
     * alerts at most one per gap, forced ones at most one per start */
    assert_true(starts <= n / gap + 1);
    assert_true(drift_alerts - forced <= n / gap + 1);
    assert_true(forced <= starts);
    assert_true(drift_alerts < rl_model_drifts(m) / 2);
    rl_model_destroy(m);
}

/* The swallowed alerts not yet reported by a later alert are visible in the counters (an
 * operator's only view of them at the end of a run or while a noisy stream stays in the gap):
 * every warning and drift is emitted, reported in a later alert's suppressed, or pending. */
static void test_model_suppressed_pending(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    rl_model_config c;
    rl_model *m;
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.alert_min_gap = 500;
    run_noisy(&c, &cx, &m, 20000);
    uint64_t emitted[3] = {0, 0, 0}, supp[3] = {0, 0, 0};
    for (size_t i = 0; i < cx.n; i++) {
        emitted[cx.alerts[i].level]++;
        supp[cx.alerts[i].level] += cx.alerts[i].suppressed;
    }
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    assert_int_equal(emitted[RL_DRIFT_WARNING] + supp[RL_DRIFT_WARNING] +
                         k.suppressed_pending[RL_DRIFT_WARNING],
                     rl_model_warnings(m));
    assert_int_equal(emitted[RL_DRIFT_DRIFT] + supp[RL_DRIFT_DRIFT] +
                         k.suppressed_pending[RL_DRIFT_DRIFT],
                     rl_model_drifts(m));
    assert_true(k.suppressed_pending[RL_DRIFT_WARNING] + k.suppressed_pending[RL_DRIFT_DRIFT] > 0);
    assert_int_equal(k.feature_suppressed_pending[RL_DRIFT_WARNING], 0);

    /* pending counts are part of the state: an imported copy reports the same */
    rl_buf bl, bd, br;
    rl_buf_init(&bl);
    rl_buf_init(&bd);
    rl_buf_init(&br);
    assert_int_equal(rl_model_export(m, &bl, &bd, &br), RL_OK);
    rl_model *m2 = model_new(&c, NULL);
    char err[256];
    assert_int_equal(
        rl_model_import(m2, bl.data, bl.len, bd.data, bd.len, br.data, br.len, err, sizeof(err)),
        RL_OK);
    rl_model_counters k2;
    rl_model_counters_get(m2, &k2);
    assert_memory_equal(k.suppressed_pending, k2.suppressed_pending, sizeof(k.suppressed_pending));
    rl_buf_free(&bl);
    rl_buf_free(&bd);
    rl_buf_free(&br);
    rl_model_destroy(m2);
    rl_model_destroy(m);
}

/* Warnings only (DDM drift level out of reach): after a warning alert, the next one needs the
 * detector to have been STABLE for alert_min_gap examples in a row in between. */
static void test_model_alert_hysteresis(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    char err[256];
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.alert_min_gap = 20;
    /* warning = 1: any rise of p + s above its minimum warns, so the state flickers */
    assert_int_equal(rl_model_config_set_drift(&c, "warning", "1", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_model_config_set_drift(&c, "drift", "100", err, sizeof(err)), RL_OK);
    rl_model *m = model_new(&c, &cx);
    stream s = {.noise = 0.2};
    rng_seed(12);
    uint64_t run = 0, best_run_since_alert = 0, emitted = 0, suppressed = 0;
    for (int i = 0; i < 30000; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        size_t before = cx.n;
        rl_model_step(m, &ex, NULL, NULL);
        if (cx.n != before) {
            assert_int_equal(cx.alerts[before].level, RL_DRIFT_WARNING);
            if (emitted)
                assert_true(best_run_since_alert >= c.alert_min_gap);
            emitted++;
            suppressed += cx.alerts[before].suppressed;
            best_run_since_alert = 0;
        }
        if (rl_model_drift_state(m) == RL_DRIFT_STABLE) {
            run++;
            if (run > best_run_since_alert)
                best_run_since_alert = run;
        } else {
            run = 0;
        }
    }
    assert_int_equal(rl_model_drifts(m), 0);
    assert_true(rl_model_warnings(m) > 20);
    assert_true(emitted >= 2 && emitted * 10 < rl_model_warnings(m));
    assert_true(emitted + suppressed <= rl_model_warnings(m));
    assert_true(suppressed > 0);
    rl_model_destroy(m);
}

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

/* ---- configuration ---- */

static rl_err try_new(const rl_model_config *c, char *err, size_t n)
{
    rl_model *m = NULL;
    rl_err e = rl_model_new(c, NULL, NULL, &m, err, n);
    if (e == RL_OK)
        rl_model_destroy(m);
    else
        assert_null(m);
    return e;
}

static void test_config_validation(void **state)
{
    (void)state;
    char err[256];
    rl_model_config c;
    rl_response r;

    rl_model_config_default(&c);
    assert_true(c.boost_factor == 5 && c.boost_halflife == 2000 && c.error_scale == 1);
    assert_int_equal(c.alert_min_gap, 1000);
    assert_int_equal(c.metrics_window, RL_METRICS_WINDOW_DEFAULT);
    assert_int_equal(c.response, RL_RESPONSE_ALERT);
    assert_int_equal(c.detector[0], 0);
    c.learner.bits = 10;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_OK);

    assert_int_equal(rl_response_parse("challenger", &r), RL_OK);
    assert_int_equal(r, RL_RESPONSE_CHALLENGER);
    assert_string_equal(rl_response_name(RL_RESPONSE_BOOST), "boost");
    assert_int_equal(rl_response_parse("panic", &r), RL_ERR_INVALID_ARG);

    /* set_drift: each key's checks */
    assert_int_equal(rl_model_config_set_drift(&c, "detector", "nope", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "ddm"));
    assert_int_equal(rl_model_config_set_drift(&c, "response", "panic", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "panic"));
    assert_int_equal(rl_model_config_set_drift(&c, "boost_factor", "0.5", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "boost_factor"));
    assert_int_equal(rl_model_config_set_drift(&c, "boost_halflife", "0", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_int_equal(rl_model_config_set_drift(&c, "error_scale", "abc", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_int_equal(rl_model_config_set_drift(&c, "error_scale", "1e400", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_int_equal(rl_model_config_set_drift(&c, "alert_min_gap", "-3", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_int_equal(rl_model_config_set_drift(&c, "window", "0", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_int_equal(rl_model_config_set_drift(&c, "window", "1000001", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_int_equal(rl_model_config_set_drift(&c, "window", "50", err, sizeof(err)), RL_OK);
    assert_int_equal(c.metrics_window, 50);
    assert_int_equal(rl_model_config_set_drift(&c, "boost_factor", "2.5", err, sizeof(err)), RL_OK);
    assert_true(c.boost_factor == 2.5);
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(rl_model_config_set_drift(&c, "watch_feature", longname, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    for (int i = 0; i < RL_MODEL_MAX_DETECTOR_PARAMS; i++) {
        char k[16];
        snprintf(k, sizeof(k), "p%d", i);
        assert_int_equal(rl_model_config_set_drift(&c, k, "1", err, sizeof(err)), RL_OK);
    }
    assert_int_equal(rl_model_config_set_drift(&c, "p3", "2", err, sizeof(err)), RL_OK);
    assert_string_equal(c.det_values[3], "2");
    assert_int_equal(rl_model_config_set_drift(&c, "one_too_many", "1", err, sizeof(err)),
                     RL_ERR_INVALID_ARG);

    /* whole-config checks at creation */
    rl_model_config_default(&c);
    c.learner.bits = 10;
    c.response = RL_RESPONSE_RESET;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "needs a detector"));
    c.response = RL_RESPONSE_ALERT;
    snprintf(c.watch_feature, sizeof(c.watch_feature), "age");
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "watch_feature"));
    c.watch_feature[0] = '\0';
    assert_int_equal(rl_model_config_set_drift(&c, "warning", "2", err, sizeof(err)), RL_OK);
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "warning"));

    cfg_base(&c, RL_RESPONSE_ALERT);
    c.boost_factor = 0.5;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.boost_halflife = NAN;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.error_scale = 0;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.metrics_window = 0;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.response = (rl_response)17;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);

    /* the detector validates its own parameters */
    cfg_base(&c, RL_RESPONSE_ALERT);
    assert_int_equal(rl_model_config_set_drift(&c, "bogus", "1", err, sizeof(err)), RL_OK);
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "bogus"));
    cfg_base(&c, RL_RESPONSE_ALERT);
    assert_int_equal(rl_model_config_set_drift(&c, "drift", "-1", err, sizeof(err)), RL_OK);
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);

    /* the learner validates its own */
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.learner.bits = 3;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "learner"));

    /* a 0/1 detector cannot watch a regression error */
    cfg_base(&c, RL_RESPONSE_ALERT);
    c.learner.loss = RL_LOSS_SQUARED;
    assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "regression"));

    /* "none" switches detection off again */
    cfg_base(&c, RL_RESPONSE_ALERT);
    assert_int_equal(rl_model_config_set_drift(&c, "detector", "none", err, sizeof(err)), RL_OK);
    assert_int_equal(c.detector[0], 0);
    rl_model_destroy(NULL);
}

/* ---- what the detectors are fed ---- */

/* The model's detector ends in exactly the state of a detector fed the documented signal
 * (computed here from the predictions the step returned). */
static void check_signal(rl_model_config *c, int regression)
{
    char err[256];
    rl_model *m = model_new(c, NULL);
    rl_detector *ref = NULL;
    rl_kv kv[RL_MODEL_MAX_DETECTOR_PARAMS];
    for (uint32_t i = 0; i < c->n_det_params; i++)
        kv[i] = (rl_kv){c->det_keys[i], c->det_values[i]};
    assert_int_equal(rl_detector_new(c->detector, kv, c->n_det_params, &ref, err, sizeof(err)),
                     RL_OK);
    stream s = {.flip_at = 1500, .noise = 0.1};
    rng_seed(9);
    int clipped = 0;
    for (int i = 0; i < 3000; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        if (regression)
            ex.label = ex.label * 4 + (float)rng_u01();
        rl_pred p;
        rl_model_step(m, &ex, NULL, &p);
        double x;
        if (regression) {
            x = fabs(p.value - (double)ex.label) / c->error_scale;
            if (x > 1) {
                x = 1;
                clipped++;
            }
        } else {
            x = p.cls == (ex.label >= 0.5f) ? 0 : 1;
        }
        rl_drift_state st;
        assert_int_equal(rl_detector_update(ref, x, &st), RL_OK);
    }
    if (regression)
        assert_true(clipped > 0 && clipped < 3000);
    rl_buf a, b;
    rl_buf_init(&a);
    rl_buf_init(&b);
    assert_int_equal(rl_detector_export(rl_model_detector(m), &a), RL_OK);
    assert_int_equal(rl_detector_export(ref, &b), RL_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    rl_buf_free(&a);
    rl_buf_free(&b);
    rl_detector_destroy(ref);
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    assert_int_equal(k.rejected, 0);
    rl_model_destroy(m);
}

static void test_signal_classifier(void **state)
{
    (void)state;
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_ALERT);
    check_signal(&c, 0);
}

static void test_signal_regression_scaled(void **state)
{
    (void)state;
    char err[256];
    const char *det = NULL;
    const char *cands[] = {"page_hinkley", "adwin", "hddm_a"};
    for (size_t i = 0; i < 3 && !det; i++)
        if (rl_detector_find(cands[i]))
            det = cands[i];
    if (!det)
        skip(); /* no detector for real-valued errors registered yet */
    rl_model_config c;
    rl_model_config_default(&c);
    c.learner.bits = 10;
    c.learner.loss = RL_LOSS_SQUARED;
    assert_int_equal(rl_model_config_set_drift(&c, "detector", det, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_model_config_set_drift(&c, "error_scale", "2.5", err, sizeof(err)), RL_OK);
    check_signal(&c, 1);
}

/* Data drift on a watched feature: alerts name the feature; values the detector refuses are
 * counted and do not break the step. */
static void test_feature_watch(void **state)
{
    (void)state;
    static ctx cx;
    memset(&cx, 0, sizeof(cx));
    char err[256];
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_ALERT);
    assert_int_equal(rl_model_config_set_drift(&c, "watch_feature", "colour=red", err, sizeof(err)),
                     RL_OK);
    rl_model *m = model_new(&c, &cx);
    uint32_t wf = rl_model_hash_name(m, "colour=red", strlen("colour=red"));
    rl_hasher h;
    rl_hasher_init(&h, 10, RL_HASH_SEED_DEFAULT);
    assert_int_equal(wf, rl_hash_name(&h, "colour=red", strlen("colour=red")));
    assert_int_equal(rl_model_hash_index(m, 7), rl_hash_index(&h, 7));
    stream s = {0};
    rng_seed(10);
    rl_feature f[3];
    for (int i = 0; i < 4000; i++) {
        rl_example ex;
        stream_next(&s, &ex);
        memcpy(f, ex.feats, 2 * sizeof(*f));
        f[2] = (rl_feature){wf, rng_u01() < (i < 2000 ? 0.1 : 0.7) ? 1.0f : 0.0f};
        if (i == 100)
            f[2].value = 0.5f; /* DDM refuses it */
        ex.feats = f;
        ex.n_feats = 3;
        rl_model_step(m, &ex, NULL, NULL);
    }
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    assert_int_equal(k.feature_rejected, 1);
    assert_true(k.feature_drifts >= 1);
    const rec *d = NULL;
    for (size_t i = 0; i < cx.n && !d; i++)
        if (strcmp(cx.alerts[i].source, "feature:colour=red") == 0 &&
            cx.alerts[i].level == RL_DRIFT_DRIFT)
            d = &cx.alerts[i];
    assert_non_null(d);
    assert_true(d->position > 2000 && d->position < 2200);
    assert_string_equal(d->response, "alert");
    rl_model_destroy(m);
}

/* watch_feature "#N" watches the feature with numeric index N (libsvm, CSV without a header),
 * mapped as the readers map indices; "##name" watches a name starting with '#'. The alert's
 * source is the value as configured. Bad index syntax is refused, naming the value. */
static void test_feature_watch_index(void **state)
{
    (void)state;
    static ctx cx;
    const char *watch[2] = {"#7", "##7"};
    for (int v = 0; v < 2; v++) {
        memset(&cx, 0, sizeof(cx));
        char err[256];
        rl_model_config c;
        cfg_base(&c, RL_RESPONSE_ALERT);
        assert_int_equal(rl_model_config_set_drift(&c, "watch_feature", watch[v], err, sizeof(err)),
                         RL_OK);
        rl_model *m = model_new(&c, &cx);
        /* the slot a reader gives index 7, or the name "#7" */
        uint32_t slot = v == 0 ? rl_model_hash_index(m, 7) : rl_model_hash_name(m, "#7", 2);
        uint32_t other = v == 0 ? rl_model_hash_name(m, "#7", 2) : rl_model_hash_index(m, 7);
        stream s = {0};
        rng_seed(11);
        rl_feature f[4];
        for (int i = 0; i < 4000; i++) {
            rl_example ex;
            stream_next(&s, &ex);
            memcpy(f, ex.feats, 2 * sizeof(*f));
            f[2] = (rl_feature){slot, rng_u01() < (i < 2000 ? 0.1 : 0.7) ? 1.0f : 0.0f};
            /* the other spelling's slot changes too, the other way round: never watched */
            f[3] = (rl_feature){other, i < 2000 ? 1.0f : 0.0f};
            ex.feats = f;
            ex.n_feats = slot == other ? 3 : 4;
            rl_model_step(m, &ex, NULL, NULL);
        }
        char source[64];
        snprintf(source, sizeof(source), "feature:%s", watch[v]);
        const rec *d = NULL;
        for (size_t i = 0; i < cx.n && !d; i++)
            if (strcmp(cx.alerts[i].source, source) == 0 && cx.alerts[i].level == RL_DRIFT_DRIFT &&
                cx.alerts[i].position > 2000)
                d = &cx.alerts[i];
        /* DDM may false-alarm early on (its start-up, test_drift.c); the rise is what counts */
        if (!d || d->position >= 2200)
            fail_msg("%s: no drift alert from %s within 200 of the rise", watch[v], source);
        rl_model_destroy(m);
    }
    /* bad index syntax, at set time and at creation */
    const char *bad[] = {"#", "#7x", "#-1", "# 7", "#0x10", "#18446744073709551616"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        rl_model_config c;
        cfg_base(&c, RL_RESPONSE_ALERT);
        if (rl_model_config_set_drift(&c, "watch_feature", bad[i], err, sizeof(err)) !=
                RL_ERR_INVALID_ARG ||
            !strstr(err, "watch_feature"))
            fail_msg("watch_feature=%s accepted or unclear: '%s'", bad[i], err);
        assert_string_equal(c.watch_feature, "");
        snprintf(c.watch_feature, sizeof(c.watch_feature), "%s", bad[i]);
        assert_int_equal(try_new(&c, err, sizeof(err)), RL_ERR_INVALID_ARG);
        assert_non_null(strstr(err, "watch_feature"));
    }
    /* the largest index is accepted */
    char err[256] = "";
    rl_model_config c;
    cfg_base(&c, RL_RESPONSE_ALERT);
    assert_int_equal(
        rl_model_config_set_drift(&c, "watch_feature", "#18446744073709551615", err, sizeof(err)),
        RL_OK);
    rl_model_destroy(model_new(&c, NULL));
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
        cmocka_unit_test(test_model_alert_only_detects_flip),
        cmocka_unit_test(test_model_reset_clears_learner),
        cmocka_unit_test(test_model_boost_raises_then_decays),
        cmocka_unit_test(test_model_challenger_promoted),
        cmocka_unit_test(test_model_challenger_dropped),
        cmocka_unit_test(test_model_alert_rate_limit),
        cmocka_unit_test(test_model_alert_hysteresis),
        cmocka_unit_test(test_model_challenger_end_always_shown),
        cmocka_unit_test(test_model_suppressed_pending),
        cmocka_unit_test(test_roundtrip_alert),
        cmocka_unit_test(test_roundtrip_reset),
        cmocka_unit_test(test_roundtrip_boost),
        cmocka_unit_test(test_roundtrip_challenger),
        cmocka_unit_test(test_roundtrip_challenger_adwin),
        cmocka_unit_test(test_import_refusals),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_signal_classifier),
        cmocka_unit_test(test_signal_regression_scaled),
        cmocka_unit_test(test_feature_watch),
        cmocka_unit_test(test_feature_watch_index),
        cmocka_unit_test(test_model_challenger_adwin_promoted),
        cmocka_unit_test(test_model_challenger_adwin_dropped),
        cmocka_unit_test(test_model_misc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
