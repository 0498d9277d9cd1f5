/* test_drift.c - every drift detector against the same checks: registry and parameters,
 * refusal of bad inputs, detection of a known change without alarms before it, quiet on long
 * stationary streams, no alarm bursts after a drift, and exact state round-trips (warning levels
 * and old state formats: test_drift_warning.c). Streams come
 * from a seeded splitmix64 inside this file, so every run sees the same values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drift/detector.h"
#include "tests/drift_util.h"

/* Feeds a Bernoulli stream p0 -> p1 at `change`; returns the first drift index (0-based) or
 * -1, and the count of drifts in total. */
static long first_drift(rl_detector *d, uint64_t seed, double p0, double p1, long change,
                        long total, long *drifts)
{
    uint64_t s = seed;
    long first = -1;
    *drifts = 0;
    for (long i = 0; i < total; i++) {
        rl_drift_state st;
        assert_int_equal(rl_detector_update(d, bern(&s, i < change ? p0 : p1), &st), RL_OK);
        if (st == RL_DRIFT_DRIFT) {
            (*drifts)++;
            if (first < 0)
                first = i;
        }
    }
    return first;
}

/* ---- registry ---- */
static const char *const expected_names[] = {"ddm",          "eddm",   "adwin",
                                             "page_hinkley", "hddm_a", NULL};

static void test_registry(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    size_t n = 0;
    for (; all[n]; n++) {
        assert_int_equal(all[n]->version, RL_DETECTOR_OPS_VERSION);
        assert_non_null(all[n]->summary);
        assert_ptr_equal(rl_detector_find(all[n]->name), all[n]);
    }
    for (size_t i = 0; expected_names[i]; i++)
        assert_non_null(rl_detector_find(expected_names[i]));
    assert_null(rl_detector_find("nope"));
    assert_null(rl_detector_find(NULL));

    rl_detector *d = (rl_detector *)1;
    char err[256] = "";
    assert_int_equal(rl_detector_new("nope", NULL, 0, &d, err, sizeof(err)), RL_ERR_NOT_FOUND);
    assert_null(d);
    assert_non_null(strstr(err, "'nope'"));
    assert_non_null(strstr(err, "ddm"));
    rl_detector_destroy(NULL);

    assert_string_equal(rl_drift_state_name(RL_DRIFT_STABLE), "stable");
    assert_string_equal(rl_drift_state_name(RL_DRIFT_WARNING), "warning");
    assert_string_equal(rl_drift_state_name(RL_DRIFT_DRIFT), "drift");
}

/* ---- parameters ---- */
struct bad_param {
    const char *det, *key, *value, *must_say;
};

static const struct bad_param bad_params[] = {
    {"ddm", "min_n", "0", "[1, "},
    {"ddm", "min_n", "2.5", "whole number"},
    {"ddm", "warning", "-1", "(0, 100]"},
    {"ddm", "warning", "abc", "not a finite number"},
    {"ddm", "drift", "nan", "not a finite number"},
    {"ddm", "drift", "1e999", "not a finite number"},
    {"ddm", "drift", "", "empty value"},
    {"ddm", "warnin", "2", "unknown parameter 'warnin'"},
    {"eddm", "alpha", "1", "(0, 1)"},
    {"eddm", "beta", "0", "(0, 1)"},
    {"eddm", "min_errors", "-3", "[1, "},
    {"eddm", "delta", "0.1", "unknown parameter 'delta'"},
    {"adwin", "delta", "0", "(0, 1)"},
    {"adwin", "delta", "1.5", "(0, 1)"},
    {"adwin", "delta", "0.002x", "not a finite number"},
    {"adwin", "clock", "0", "[1, 1048576]"},
    {"adwin", "max_buckets", "1", "[2, 16]"},
    {"adwin", "max_buckets", "17", "[2, 16]"},
    {"adwin", "min_window", "0.5", "whole number"},
    {"adwin", "direction", "left", "one of both|up|down"},
    {"adwin", "warning_delta", "1", "[0, 1)"},
    {"adwin", "warning_delta", "-0.01", "[0, 1)"},
    {"adwin", "warning_delta", "0.001", "larger than delta"},
    {"page_hinkley", "warning_fraction", "1", "[0, 1)"},
    {"page_hinkley", "warning_fraction", "-0.5", "[0, 1)"},
    {"page_hinkley", "threshold", "0", "(0, "},
    {"page_hinkley", "alpha", "1.0001", "(0, 1]"},
    {"page_hinkley", "delta", "-0.1", "[0, "},
    {"page_hinkley", "direction", "sideways", "one of up|down|both"},
    {"hddm_a", "drift_confidence", "0", "(0, 1)"},
    {"hddm_a", "warning_confidence", "1", "(0, 1)"},
    {"hddm_a", "two_sided", "2", "[0, 1]"},
    {"hddm_a", "two_sided", "yes", "not a finite number"},
};

static void test_params_rejected(void **unused)
{
    for (size_t i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
        const struct bad_param *b = &bad_params[i];
        rl_kv kv = {b->key, b->value};
        rl_detector *d = NULL;
        char err[256] = "";
        rl_err e = rl_detector_new(b->det, &kv, 1, &d, err, sizeof(err));
        if (e != RL_ERR_INVALID_ARG || d || !strstr(err, b->must_say) || !strstr(err, b->det))
            fail_msg("%s %s=%s: got %d '%s', wanted '%s'", b->det, b->key, b->value, e, err,
                     b->must_say);
        if (*b->value && !strstr(b->must_say, "unknown") && !strstr(err, b->value))
            fail_msg("%s %s=%s: error does not name the value: %s", b->det, b->key, b->value, err);
    }
    /* Cross-parameter checks and repeated keys. */
    rl_kv two[2] = {{"warning", "3"}, {"drift", "2"}};
    rl_detector *d = NULL;
    char err[256] = "";
    assert_int_equal(rl_detector_new("ddm", two, 2, &d, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "warning"));
    rl_kv dup[2] = {{"drift", "3"}, {"drift", "4"}};
    assert_int_equal(rl_detector_new("ddm", dup, 2, &d, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "twice"));
    rl_kv eddm_kv[2] = {{"alpha", "0.8"}, {"beta", "0.9"}};
    assert_int_equal(rl_detector_new("eddm", eddm_kv, 2, &d, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "beta"));
    rl_kv hddm_kv[2] = {{"drift_confidence", "0.01"}, {"warning_confidence", "0.001"}};
    assert_int_equal(rl_detector_new("hddm_a", hddm_kv, 2, &d, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "warning_confidence"));
    rl_kv null_value = {"delta", NULL};
    assert_int_equal(rl_detector_new("adwin", &null_value, 1, &d, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_null(d);
    /* Accepted values are used: non-defaults show up in the formatted parameters. */
    rl_kv good[2] = {{"direction", "both"}, {"threshold", "25"}};
    assert_int_equal(rl_detector_new("page_hinkley", good, 2, &d, err, sizeof(err)), RL_OK);
    char buf[256];
    d->ops->format_params(d, buf, sizeof(buf));
    assert_non_null(strstr(buf, "direction=both"));
    assert_non_null(strstr(buf, "threshold=25"));
    rl_detector_destroy(d);
}

static void test_params_format(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i]; i++) {
        rl_detector *d = make(all[i]->name);
        char buf[512];
        size_t want = d->ops->format_params(d, buf, sizeof(buf));
        assert_true(want > 0 && want < sizeof(buf));
        assert_int_equal(strlen(buf), want);
        /* Feeding the formatted parameters back must give the same detector. */
        char copy[512];
        memcpy(copy, buf, want + 1);
        rl_kv kv[16];
        size_t n = 0;
        for (char *tok = strtok(copy, " "); tok && n < 16; tok = strtok(NULL, " ")) {
            char *eq = strchr(tok, '=');
            assert_non_null(eq);
            *eq = '\0';
            kv[n].key = tok;
            kv[n].value = eq + 1;
            n++;
        }
        rl_detector *d2 = NULL;
        char err[256] = "";
        if (rl_detector_new(all[i]->name, kv, n, &d2, err, sizeof(err)) != RL_OK)
            fail_msg("%s: own params '%s' rejected: %s", all[i]->name, buf, err);
        char buf2[512];
        d2->ops->format_params(d2, buf2, sizeof(buf2));
        assert_string_equal(buf, buf2);
        /* Truncation still NUL-terminates and reports the full length. */
        char tiny[8];
        assert_int_equal(d->ops->format_params(d, tiny, sizeof(tiny)), want);
        assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
        rl_detector_destroy(d);
        rl_detector_destroy(d2);
    }
}

/* ---- inputs ---- */
struct bad_input {
    const char *det;
    double x;
};

static void test_invalid_inputs(void **unused)
{
    const struct bad_input bad[] = {
        {"ddm", 0.5},
        {"ddm", 2},
        {"ddm", -1},
        {"ddm", NAN},
        {"ddm", INFINITY},
        {"eddm", 0.5},
        {"eddm", NAN},
        {"eddm", -0.0001},
        {"adwin", 1.0001},
        {"adwin", -0.5},
        {"adwin", NAN},
        {"adwin", INFINITY},
        {"hddm_a", 1.5},
        {"hddm_a", -1e-9},
        {"hddm_a", NAN},
        {"page_hinkley", NAN},
        {"page_hinkley", INFINITY},
        {"page_hinkley", -INFINITY},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_detector *d = make(bad[i].det);
        uint64_t s = 7;
        for (int k = 0; k < 200; k++)
            assert_int_equal(rl_detector_update(d, bern(&s, 0.3), NULL), RL_OK);
        rl_buf before, after;
        rl_buf_init(&before);
        rl_buf_init(&after);
        assert_int_equal(rl_detector_export(d, &before), RL_OK);
        rl_drift_state st = RL_DRIFT_DRIFT;
        if (rl_detector_update(d, bad[i].x, &st) != RL_ERR_INVALID_ARG)
            fail_msg("%s accepted %g", bad[i].det, bad[i].x);
        assert_int_equal(rl_detector_export(d, &after), RL_OK);
        assert_int_equal(before.len, after.len);
        assert_memory_equal(before.data, after.data, before.len);
        assert_int_equal(d->n, 200);
        rl_buf_free(&before);
        rl_buf_free(&after);
        rl_detector_destroy(d);
    }
}

/* ---- detection ---- */
/* Bernoulli error rate 0.2 -> 0.6 at index 1000, seeds 1-30: every detector must catch it
 * within `bound` values of the change. Bounds are loose upper limits (a few times the mean delay
 * the detector's test implies), not tuned to observed delays.
 *
 * Before the change: ADWIN, Page-Hinkley and HDDM-A bound their false-positive rate and must stay
 * silent. DDM and EDDM do not: DDM takes (p_min, s_min) from whatever the first min_n values
 * gave, so a lucky low start makes ordinary noise look like a rise - the published algorithm's
 * known early false alarm (docs/DESIGN.md: 21 false alarms for DDM on the EDDM stream), kept
 * because the defaults must match the literature: we allow one drift before the change. EDDM at
 * a 20% error rate false-alarms every few hundred values (see test_stationary_quiet), so before
 * the change it is not checked; that it still sees the change is. */
struct detect_case {
    const char *det;
    long bound;
    int early_ok; /* drifts allowed before the change; -1: not checked (EDDM, see below) */
};

static void test_bernoulli_change(void **unused)
{
    const struct detect_case cases[] = {
        {"ddm", 400, 1},          {"eddm", 400, -1},  {"adwin", 300, 0},
        {"page_hinkley", 400, 0}, {"hddm_a", 300, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (uint64_t seed = 1; seed <= 30; seed++) {
            rl_detector *d = make(cases[i].det);
            uint64_t s = seed;
            long early = 0, first = -1;
            for (long k = 0; k < 1000 + cases[i].bound && first < 0; k++) {
                rl_drift_state st;
                assert_int_equal(rl_detector_update(d, bern(&s, k < 1000 ? 0.2 : 0.6), &st), RL_OK);
                if (st == RL_DRIFT_DRIFT && k < 1000)
                    early++;
                else if (st == RL_DRIFT_DRIFT)
                    first = k;
            }
            if (cases[i].early_ok >= 0 && early > cases[i].early_ok)
                fail_msg("%s seed %llu: %ld drifts before the change", cases[i].det,
                         (unsigned long long)seed, early);
            if (first < 0)
                fail_msg("%s seed %llu: change at 1000 not detected by %ld", cases[i].det,
                         (unsigned long long)seed, 1000 + cases[i].bound);
            rl_detector_destroy(d);
        }
    }
}

/* 100k values from an unchanging stream, seeds 1-10, error rates 0.05, 0.2 and 0.5: mean drifts
 * per 100k values must stay under each detector's limit. The goal is one; who meets it
 * and who does not at the literature defaults is measured in bench_drift (BENCHMARKS.md). Here:
 *   adwin         1: its bound controls false positives; it meets the goal with room.
 *   ddm, hddm_a   2: DDM's start-up pathology (above) and HDDM-A's test repeated at every value
 *                    put them near one at some rates (measured 1.0 and 1.1 over 30 seeds).
 *   page_hinkley  4: a CUSUM with drift 0.005 and threshold 50 has an average run length of a
 *                    few 10^4 values on a 0/1 stream at p = 0.5 (variance 0.25).
 *   eddm        100: EDDM rebuilds its reference maximum from its first ~30 mistakes after every
 *                    start, and on a noisy stationary stream that maximum is often inflated:
 *                    tens of false drifts per 100k (the literature's finding too). The limit
 *                    only catches a detector that forgot to reset (thousands). */
static double quiet_limit(const char *det)
{
    if (strcmp(det, "adwin") == 0)
        return 1;
    if (strcmp(det, "page_hinkley") == 0)
        return 4;
    if (strcmp(det, "eddm") == 0)
        return 100;
    return 2;
}

static void test_stationary_quiet(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    const double rates[] = {0.05, 0.2, 0.5};
    for (size_t i = 0; all[i]; i++) {
        for (size_t r = 0; r < 3; r++) {
            long total = 0;
            for (uint64_t seed = 1; seed <= 10; seed++) {
                rl_detector *d = make(all[i]->name);
                long drifts;
                first_drift(d, 1000 * r + seed, rates[r], rates[r], 0, 100000, &drifts);
                assert_int_equal(d->n, 100000);
                assert_int_equal(d->n_drifts, (uint64_t)drifts);
                total += drifts;
                rl_detector_destroy(d);
            }
            if (total / 10.0 > quiet_limit(all[i]->name))
                fail_msg("%s: %.1f drifts per 100k stationary values at p=%g (limit %.0f)",
                         all[i]->name, total / 10.0, rates[r], quiet_limit(all[i]->name));
        }
    }
}

/* After a drift the detector restarts itself: staying at the new rate raises no burst of alarms.
 * A detector that forgot to reset would fire on (nearly) every value after the change. We allow
 * the true drift plus one restart false alarm (DDM, see above), never two drifts closer than 30
 * values. EDDM false-alarms on noisy streams anyway (test_stationary_quiet), so for it we check
 * the reset itself: it cannot test before 31 new mistakes, so two drifts are always separated
 * by more than 30 mistakes. */
static void test_no_burst_after_drift(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i]; i++) {
        int is_eddm = strcmp(all[i]->name, "eddm") == 0;
        for (uint64_t seed = 1; seed <= 5; seed++) {
            rl_detector *d = make(all[i]->name);
            uint64_t s = seed;
            long after = 0, last = -1000, min_gap = 1L << 30, mistakes = 0;
            long min_mistakes = 1L << 30;
            for (long k = 0; k < 12000; k++) {
                rl_drift_state st;
                double x = bern(&s, k < 2000 ? 0.1 : 0.5);
                mistakes += x == 1.0;
                assert_int_equal(rl_detector_update(d, x, &st), RL_OK);
                if (st != RL_DRIFT_DRIFT)
                    continue;
                if (k - last < min_gap)
                    min_gap = k - last;
                if (last >= 0 && mistakes < min_mistakes)
                    min_mistakes = mistakes;
                mistakes = 0;
                last = k;
                after += k >= 2000;
            }
            if (after < 1 || (!is_eddm && after > 2) || min_gap < 30 ||
                (is_eddm && min_mistakes <= 30))
                fail_msg("%s seed %llu: %ld drifts after the change, closest two %ld values "
                         "and %ld mistakes apart",
                         all[i]->name, (unsigned long long)seed, after, min_gap, min_mistakes);
            rl_detector_destroy(d);
        }
    }
}

/* ---- state ---- */
/* Export mid-stream (inside a change), import into a fresh detector, feed both the rest: every
 * returned state, statistic and export must be identical. */
static void test_roundtrip(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i]; i++) {
        rl_detector *a = make(all[i]->name);
        uint64_t s = 11;
        for (int k = 0; k < 1100; k++)
            assert_int_equal(rl_detector_update(a, bern(&s, k < 1000 ? 0.2 : 0.6), NULL), RL_OK);
        rl_buf blob;
        rl_buf_init(&blob);
        assert_int_equal(rl_detector_export(a, &blob), RL_OK);
        rl_detector *b = make(all[i]->name);
        char err[256] = "";
        if (rl_detector_import(b, blob.data, blob.len, err, sizeof(err)) != RL_OK)
            fail_msg("%s: import: %s", all[i]->name, err);
        assert_int_equal(a->n, b->n);
        assert_same_state(a, b);
        uint64_t drifts = 0;
        for (int k = 0; k < 20000; k++) {
            double x = bern(&s, k < 5000 ? 0.6 : (k < 10000 ? 0.1 : 0.7));
            rl_drift_state sa, sb;
            assert_int_equal(rl_detector_update(a, x, &sa), RL_OK);
            assert_int_equal(rl_detector_update(b, x, &sb), RL_OK);
            assert_int_equal(sa, sb);
            const char *na, *nb;
            double ta = a->ops->statistic(a, &na), tb = b->ops->statistic(b, &nb);
            assert_memory_equal(&ta, &tb, sizeof(ta));
            assert_string_equal(na, nb);
            drifts += sa == RL_DRIFT_DRIFT;
        }
        assert_int_equal(a->n_drifts, b->n_drifts);
        assert_int_equal(a->n_warnings, b->n_warnings);
        assert_same_state(a, b);

        /* Damaged or foreign blobs are refused and leave the detector as it was. */
        rl_buf before;
        rl_buf_init(&before);
        assert_int_equal(rl_detector_export(b, &before), RL_OK);
        for (size_t cut = 0; cut < blob.len; cut += 1 + blob.len / 40)
            assert_int_not_equal(rl_detector_import(b, blob.data, cut, err, sizeof(err)), RL_OK);
        blob.data[0] ^= 0xff;
        assert_int_equal(rl_detector_import(b, blob.data, blob.len, err, sizeof(err)),
                         RL_ERR_FORMAT);
        blob.data[0] ^= 0xff;
        blob.data[4] = 9; /* envelope version from the future */
        assert_int_equal(rl_detector_import(b, blob.data, blob.len, err, sizeof(err)),
                         RL_ERR_VERSION);
        blob.data[4] = 1;
        for (size_t j = 0; all[j]; j++) {
            if (j == i)
                continue;
            rl_detector *o = make(all[j]->name);
            assert_int_equal(rl_detector_import(o, blob.data, blob.len, err, sizeof(err)),
                             RL_ERR_MISMATCH);
            assert_non_null(strstr(err, all[i]->name));
            rl_detector_destroy(o);
        }
        assert_same_state(b, b);
        rl_buf after;
        rl_buf_init(&after);
        assert_int_equal(rl_detector_export(b, &after), RL_OK);
        assert_int_equal(before.len, after.len);
        assert_memory_equal(before.data, after.data, before.len);
        rl_buf_free(&before);
        rl_buf_free(&after);
        rl_buf_free(&blob);
        rl_detector_destroy(a);
        rl_detector_destroy(b);
    }
}

/* Every single-byte corruption of a mid-stream blob is either refused or yields a detector that
 * keeps working (ASan/UBSan check the "working"): import validates counts, sums and ranges. */
static void test_import_corrupted(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i]; i++) {
        rl_detector *a = make(all[i]->name);
        uint64_t s = 21;
        for (int k = 0; k < 3000; k++)
            assert_int_equal(rl_detector_update(a, bern(&s, k < 2000 ? 0.2 : 0.5), NULL), RL_OK);
        rl_buf blob;
        rl_buf_init(&blob);
        assert_int_equal(rl_detector_export(a, &blob), RL_OK);
        for (size_t pos = 0; pos < blob.len; pos++) {
            for (int bit = 0; bit < 8; bit += 3) {
                blob.data[pos] ^= (uint8_t)(1u << bit);
                rl_detector *b = make(all[i]->name);
                char err[256] = "";
                if (rl_detector_import(b, blob.data, blob.len, err, sizeof(err)) == RL_OK) {
                    for (int k = 0; k < 200; k++)
                        assert_int_equal(rl_detector_update(b, bern(&s, 0.5), NULL), RL_OK);
                } else {
                    assert_true(err[0] != '\0');
                }
                rl_detector_destroy(b);
                blob.data[pos] ^= (uint8_t)(1u << bit);
            }
        }
        rl_buf_free(&blob);
        rl_detector_destroy(a);
    }
}

/* A blob made under other parameters is refused, naming the parameter. */
static void test_import_param_mismatch(void **unused)
{
    rl_detector *a = make("ddm");
    rl_kv kv = {"drift", "4"};
    rl_detector *b = NULL;
    char err[256] = "";
    assert_int_equal(rl_detector_new("ddm", &kv, 1, &b, err, sizeof(err)), RL_OK);
    rl_buf blob;
    rl_buf_init(&blob);
    assert_int_equal(rl_detector_export(a, &blob), RL_OK);
    assert_int_equal(rl_detector_import(b, blob.data, blob.len, err, sizeof(err)), RL_ERR_MISMATCH);
    assert_non_null(strstr(err, "drift="));
    rl_buf_free(&blob);
    rl_detector_destroy(a);
    rl_detector_destroy(b);
}

/* Reset restarts the statistics: a reset detector behaves like a fresh one. */
static void test_reset(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i]; i++) {
        rl_detector *a = make(all[i]->name);
        rl_detector *fresh = make(all[i]->name);
        uint64_t s = 3;
        for (int k = 0; k < 3000; k++)
            assert_int_equal(rl_detector_update(a, bern(&s, 0.4), NULL), RL_OK);
        rl_detector_reset(a);
        for (int k = 0; k < 3000; k++) {
            double x = bern(&s, k < 1500 ? 0.1 : 0.5);
            rl_drift_state sa, sf;
            assert_int_equal(rl_detector_update(a, x, &sa), RL_OK);
            assert_int_equal(rl_detector_update(fresh, x, &sf), RL_OK);
            assert_int_equal(sa, sf);
        }
        rl_detector_destroy(a);
        rl_detector_destroy(fresh);
    }
}

/* Runs `name` with params over n values from gen(i, rng); returns the first drift index >= from
 * (or -1), and counts drifts before `from` and in total. */
typedef double (*gen_fn)(long i, uint64_t *rng);

static long run_stream(const char *name, const rl_kv *kv, size_t n_kv, gen_fn gen, uint64_t seed,
                       long n, long from, long *before, long *total)
{
    rl_detector *d = NULL;
    char err[256] = "";
    if (rl_detector_new(name, kv, n_kv, &d, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", name, err);
    uint64_t s = seed;
    long first = -1;
    *before = 0;
    *total = 0;
    for (long i = 0; i < n; i++) {
        rl_drift_state st;
        assert_int_equal(rl_detector_update(d, gen(i, &s), &st), RL_OK);
        if (st != RL_DRIFT_DRIFT)
            continue;
        (*total)++;
        if (i < from)
            (*before)++;
        else if (first < 0)
            first = i;
    }
    rl_detector_destroy(d);
    return first;
}

/* {0,1} then {4..7} at 1000 (the notes' stream), and the same divided by 7 for detectors that
 * take [0, 1]. */
static double gen_jump(long i, uint64_t *s)
{
    return i < 1000 ? (double)(sm_next(s) & 1) : 4.0 + (double)(sm_next(s) % 4);
}

static double gen_jump01(long i, uint64_t *s)
{
    return gen_jump(i, s) / 7.0;
}

static void test_reference_adwin(void **unused)
{
    /* Notes: ADWIN delta 0.002 clock 32 fires at 1023 (clock 1: 1005) on {0,1} then {4..7}.
     * ADWIN here takes [0, 1], so we feed the stream divided by 7; the variance term scales with
     * it but the range term 2/3 m dd does not, so clock 1 needs a few more values than the
     * unscaled stream. With clock 32 the first check after the change is at 1023. */
    rl_kv clock1 = {"clock", "1"};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        long before, total;
        long at = run_stream("adwin", NULL, 0, gen_jump01, seed, 2000, 1000, &before, &total);
        if (at != 1023 || before != 0 || total != 1)
            fail_msg("adwin seed %llu: drift at %ld (notes: 1023), %ld before, %ld in all",
                     (unsigned long long)seed, at, before, total);
        at = run_stream("adwin", &clock1, 1, gen_jump01, seed, 2000, 1000, &before, &total);
        if (at < 1000 || at > 1030 || before != 0 || total != 1)
            fail_msg("adwin clock 1 seed %llu: drift at %ld (notes: 1005 unscaled), %ld before, "
                     "%ld in all",
                     (unsigned long long)seed, at, before, total);
    }
}

static void test_reference_page_hinkley(void **unused)
{
    /* Notes: Page-Hinkley (30, 0.005, 50, 1-1e-4) fires at 1006 on {0,1} then {4..7}. */
    for (uint64_t seed = 1; seed <= 5; seed++) {
        long before, total;
        long at = run_stream("page_hinkley", NULL, 0, gen_jump, seed, 1100, 1000, &before, &total);
        if (at < 1000 || at > 1020 || before != 0)
            fail_msg("page_hinkley seed %llu: drift at %ld (notes: 1006), %ld before",
                     (unsigned long long)seed, at, before);
    }
}

static double gen_half_to_07(long i, uint64_t *s)
{
    return bern(s, i < 1000 ? 0.5 : 0.7);
}

static void test_reference_hddm_a(void **unused)
{
    /* Notes: HDDM-A (0.001 / 0.005) on Bernoulli errors 0.5 -> 0.7 at 1000 (seed 42, another
     * generator) drifts at 1206 after a false warning at 451. Ours: a drift within 600 of the
     * change and none before it; warnings before it are allowed, as the notes saw one. */
    for (uint64_t seed = 1; seed <= 10; seed++) {
        long before, total;
        long at = run_stream("hddm_a", NULL, 0, gen_half_to_07, seed, 1600, 1000, &before, &total);
        if (at < 1000 || before != 0)
            fail_msg("hddm_a seed %llu: drift at %ld (notes: 1206), %ld before",
                     (unsigned long long)seed, at, before);
    }
}

static double gen_correct_then_wrong(long i, uint64_t *s)
{
    return i < 1000 ? 0.0 : 1.0;
}

static double gen_rising(long i, uint64_t *s)
{
    return bern(s, i < 500 ? 0.01 : i < 1000 ? 0.02 : i < 1500 ? 0.04 : 0.08);
}

static void test_reference_eddm(void **unused)
{
    /* Notes: 1000 correct then 1000 errors: drift at 1030 (the 31st mistake: MOA tests only
     * once more than 30 mistakes are in). */
    long before, total;
    long at = run_stream("eddm", NULL, 0, gen_correct_then_wrong, 1, 2000, 1000, &before, &total);
    assert_int_equal(at, 1030);
    assert_int_equal(before, 0);
    /* Notes: error 1% -> 2% -> 4% -> 8% at 500/1000/1500: 3 of 3 caught, no false alarm. With
     * about 15 mistakes by index 1000, EDDM cannot test before then, so the change at 500 can
     * only be caught late; we require no alarm before 1000 and a detection by 2000. */
    for (uint64_t seed = 1; seed <= 5; seed++) {
        at = run_stream("eddm", NULL, 0, gen_rising, seed, 2000, 1000, &before, &total);
        if (at < 0 || before != 0)
            fail_msg("eddm seed %llu: first drift after 1000 at %ld, %ld before",
                     (unsigned long long)seed, at, before);
    }
}

/* ---- detector-specific behaviour ---- */
/* A known pitfall (docs/DESIGN.md): with p + s >= p_min + 3 s_min (not strictly >), a stream of
 * nothing but errors fires, because s = 0. Constant streams of either value never fire, for any
 * detector. */
static double gen_ones(long i, uint64_t *s)
{
    return 1.0;
}

static double gen_zeros(long i, uint64_t *s)
{
    return 0.0;
}

static void test_constant_streams_quiet(void **unused)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i]; i++) {
        long before, total;
        run_stream(all[i]->name, NULL, 0, gen_ones, 1, 20000, 20000, &before, &total);
        if (total != 0)
            fail_msg("%s: %ld drifts on a stream of nothing but errors", all[i]->name, total);
        run_stream(all[i]->name, NULL, 0, gen_zeros, 1, 20000, 20000, &before, &total);
        if (total != 0)
            fail_msg("%s: %ld drifts on a stream without errors", all[i]->name, total);
    }
}

static double gen_fall(long i, uint64_t *s)
{
    return bern(s, i < 1000 ? 0.6 : 0.2);
}

/* Page-Hinkley watches increases by default; direction=down/both see a fall. HDDM-A likewise
 * with two_sided; ADWIN watches both unless told. */
static void test_directions(void **unused)
{
    rl_kv down = {"direction", "down"}, both = {"direction", "both"}, up = {"direction", "up"};
    rl_kv two = {"two_sided", "1"};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        long before, total;
        run_stream("page_hinkley", NULL, 0, gen_fall, seed, 3000, 1000, &before, &total);
        assert_int_equal(total, 0);
        run_stream("page_hinkley", &up, 1, gen_fall, seed, 3000, 1000, &before, &total);
        assert_int_equal(total, 0);
        long at = run_stream("page_hinkley", &down, 1, gen_fall, seed, 3000, 1000, &before, &total);
        assert_true(at >= 1000 && at < 1400 && before == 0);
        at = run_stream("page_hinkley", &both, 1, gen_fall, seed, 3000, 1000, &before, &total);
        assert_true(at >= 1000 && at < 1400 && before == 0);
        run_stream("hddm_a", NULL, 0, gen_fall, seed, 3000, 1000, &before, &total);
        assert_int_equal(total, 0);
        /* ADWIN sees both ways by default; direction=up ignores the fall, down sees it. */
        rl_kv adwin_up = {"direction", "up"}, adwin_down = {"direction", "down"};
        at = run_stream("adwin", NULL, 0, gen_fall, seed, 3000, 1000, &before, &total);
        assert_true(at >= 1000 && at < 1400 && before == 0);
        run_stream("adwin", &adwin_up, 1, gen_fall, seed, 3000, 1000, &before, &total);
        assert_int_equal(total, 0);
        at = run_stream("adwin", &adwin_down, 1, gen_fall, seed, 3000, 1000, &before, &total);
        assert_true(at >= 1000 && at < 1400 && before == 0);
        at = run_stream("hddm_a", &two, 1, gen_fall, seed, 3000, 1000, &before, &total);
        assert_true(at >= 1000 && at < 1400 && before == 0);
    }
}

/* ADWIN keeps O(log W) buckets: a million stationary values make a window of a million whose
 * exported state (every bucket) stays around a kilobyte. */
static void test_adwin_memory(void **unused)
{
    rl_detector *d = make("adwin");
    uint64_t s = 9;
    for (long i = 0; i < 1000000; i++)
        assert_int_equal(rl_detector_update(d, bern(&s, 0.3), NULL), RL_OK);
    const char *name;
    assert_true(d->ops->statistic(d, &name) == 1000000.0);
    assert_string_equal(name, "width");
    rl_buf b;
    rl_buf_init(&b);
    assert_int_equal(rl_detector_export(d, &b), RL_OK);
    /* two windows (drift, warning) of <= 20 rows of <= 5 buckets of 16 bytes, plus headers */
    assert_true(b.len < 200 + 2 * 20 * (4 + 5 * 16));
    /* and it round-trips at that size */
    rl_detector *c = make("adwin");
    char err[256] = "";
    assert_int_equal(rl_detector_import(c, b.data, b.len, err, sizeof(err)), RL_OK);
    for (long i = 0; i < 5000; i++) {
        double x = bern(&s, i < 1000 ? 0.3 : 0.8);
        rl_drift_state sa, sc;
        assert_int_equal(rl_detector_update(d, x, &sa), RL_OK);
        assert_int_equal(rl_detector_update(c, x, &sc), RL_OK);
        assert_int_equal(sa, sc);
    }
    assert_int_equal(d->n_drifts, 1);
    assert_int_equal(c->n_drifts, 1);
    rl_buf_free(&b);
    rl_detector_destroy(d);
    rl_detector_destroy(c);
}

/* ---- the literature's reference streams (docs/DESIGN.md; anchors, with tolerance) ---- */
static void test_reference_ddm(void **unused)
{
    /* Notes: DDM on {0,1} then {6..11} fires at 1004. Those inputs move p by ~0.01 per value;
     * DDM here takes 0/1 only, where one value moves p by at most 1/n, so the same change in
     * our encoding (random 0/1, then nothing but errors) needs a few tens of values: we check
     * the drift comes after 1000 and within 100 of it. */
    rl_detector *d = make("ddm");
    uint64_t s = 42;
    long first = -1;
    for (long i = 0; i < 1100 && first < 0; i++) {
        rl_drift_state st;
        assert_int_equal(rl_detector_update(d, i < 1000 ? bern(&s, 0.5) : 1.0, &st), RL_OK);
        if (st == RL_DRIFT_DRIFT && i >= 1000)
            first = i;
    }
    if (first < 1000 || first > 1100)
        fail_msg("ddm: reference drift at %ld, wanted [1000, 1100]", first);
    rl_detector_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_params_rejected),
        cmocka_unit_test(test_params_format),
        cmocka_unit_test(test_invalid_inputs),
        cmocka_unit_test(test_bernoulli_change),
        cmocka_unit_test(test_stationary_quiet),
        cmocka_unit_test(test_no_burst_after_drift),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_import_param_mismatch),
        cmocka_unit_test(test_import_corrupted),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_reference_ddm),
        cmocka_unit_test(test_reference_adwin),
        cmocka_unit_test(test_reference_page_hinkley),
        cmocka_unit_test(test_reference_hddm_a),
        cmocka_unit_test(test_reference_eddm),
        cmocka_unit_test(test_constant_streams_quiet),
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_adwin_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
