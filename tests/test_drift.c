/* test_drift.c - every drift detector against the same checks: registry and parameters,
 * refusal of bad inputs, detection of a known change without alarms before it, quiet on long
 * stationary streams, no alarm bursts after a drift, and exact state round-trips. Streams come
 * from a seeded splitmix64 inside this file, so every run sees the same values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detector.h"

/* ---- deterministic streams ---- */
static uint64_t sm_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double sm_unif(uint64_t *s)
{
    return (double)(sm_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double bern(uint64_t *s, double p)
{
    return sm_unif(s) < p ? 1.0 : 0.0;
}

static rl_detector *make(const char *name)
{
    rl_detector *d = NULL;
    char err[256] = "";
    rl_err e = rl_detector_new(name, NULL, 0, &d, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("creating %s: %s", name, err);
    return d;
}

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
 * known early false alarm (DRIFT-NOTES: 21 false alarms for DDM on the EDDM stream), kept
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
static void assert_same_state(const rl_detector *a, const rl_detector *b)
{
    rl_buf ba, bb;
    rl_buf_init(&ba);
    rl_buf_init(&bb);
    assert_int_equal(rl_detector_export(a, &ba), RL_OK);
    assert_int_equal(rl_detector_export(b, &bb), RL_OK);
    assert_int_equal(ba.len, bb.len);
    assert_memory_equal(ba.data, bb.data, ba.len);
    rl_buf_free(&ba);
    rl_buf_free(&bb);
}

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
/* DRIFT-NOTES pitfall: with p + s >= p_min + 3 s_min (not strictly >), a stream of nothing but
 * errors fires, because s = 0. Constant streams of either value never fire, for any detector. */
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

/* ---- DRIFT-NOTES reference streams (sanity anchors, with tolerance) ---- */
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

/* ---- warning levels of ADWIN (warning_delta) and Page-Hinkley (warning_fraction) ---- */

/* The warning level only adds a WARNING state: the drift decisions are those of the same
 * detector without it, value for value (ADWIN's drift window never sees the warning window;
 * Page-Hinkley's sums do not depend on the fraction). Then, on Bernoulli 0.2 -> 0.6 at 1000,
 * seeds 1-30: the warning comes before the drift in at least 20 of 30 seeds (measured: ADWIN 24,
 * Page-Hinkley 30), staying on until the drift in at least 18 (ADWIN 23, Page-Hinkley 25): that
 * head start is what the challenger response runs on. Before the change ADWIN never warns;
 * Page-Hinkley at half its threshold does on a few seeds (4 of 30 measured; see the stationary
 * rates below), and we allow it on at most 8. */
struct warn_case {
    const char *det;
    rl_kv on[2], off[2];
    size_t n;
    int early_seeds_ok;
};

static void test_warning_before_drift(void **unused)
{
    const struct warn_case cases[] = {
        {"adwin", {{"warning_delta", "0.01"}}, {{"warning_delta", "0"}}, 1, 0},
        {"adwin",
         {{"warning_delta", "0.01"}, {"direction", "up"}},
         {{"warning_delta", "0"}, {"direction", "up"}},
         2,
         0},
        {"page_hinkley", {{"warning_fraction", "0.5"}}, {{"warning_fraction", "0"}}, 1, 8},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int first = 0, held = 0, early_seeds = 0;
        for (uint64_t seed = 1; seed <= 30; seed++) {
            rl_detector *on = NULL, *off = NULL;
            char err[256] = "";
            assert_int_equal(
                rl_detector_new(cases[i].det, cases[i].on, cases[i].n, &on, err, sizeof(err)),
                RL_OK);
            assert_int_equal(
                rl_detector_new(cases[i].det, cases[i].off, cases[i].n, &off, err, sizeof(err)),
                RL_OK);
            uint64_t s = seed;
            long warn_at = -1, drift_at = -1;
            int broke = 0, early = 0;
            for (long k = 0; k < 3000; k++) {
                double x = bern(&s, k < 1000 ? 0.2 : 0.6);
                rl_drift_state a, b;
                assert_int_equal(rl_detector_update(on, x, &a), RL_OK);
                assert_int_equal(rl_detector_update(off, x, &b), RL_OK);
                assert_true(b != RL_DRIFT_WARNING);
                if ((a == RL_DRIFT_DRIFT) != (b == RL_DRIFT_DRIFT))
                    fail_msg("%s seed %llu: value %ld: %s with the warning level, %s without",
                             cases[i].det, (unsigned long long)seed, k, rl_drift_state_name(a),
                             rl_drift_state_name(b));
                if (k < 1000) {
                    early |= a == RL_DRIFT_WARNING;
                    continue;
                }
                if (drift_at >= 0)
                    continue;
                if (a == RL_DRIFT_WARNING && warn_at < 0)
                    warn_at = k;
                else if (a == RL_DRIFT_STABLE && warn_at >= 0)
                    broke = 1;
                else if (a == RL_DRIFT_DRIFT)
                    drift_at = k;
            }
            assert_true(drift_at >= 1000);
            early_seeds += early;
            first += warn_at >= 0;
            held += warn_at >= 0 && !broke;
            assert_int_equal(on->n_drifts, off->n_drifts);
            rl_detector_destroy(on);
            rl_detector_destroy(off);
        }
        if (first < 20 || held < 18 || early_seeds > cases[i].early_seeds_ok)
            fail_msg("%s (%s...): warning before the drift in %d/30 seeds, held until it in %d; "
                     "%d seeds warned before the change",
                     cases[i].det, cases[i].on[0].key, first, held, early_seeds);
    }
}

/* Stationary streams at the warning level: 100k values, seeds 1-10, error rates 0.05, 0.2, 0.5.
 * Stated rates (transitions into warning per 100k values, and the share of values spent in
 * warning):
 *   ADWIN (both, up)  at most 1 per 100k and 0.5% of values (measured 0-0.3 and <= 0.2%): its
 *                     warning window is an ADWIN at delta 0.01, whose bound controls false cuts.
 *   Page-Hinkley 0.5  at most 500 per 100k and 20% of values (measured up to 356 and 14% at
 *                     p = 0.5; at p = 0.2 about DDM's time in warning, 9% against 12%): half
 *                     the threshold is crossed by ordinary excursions of the sum. The limits
 *                     catch a warning that never ends or fires on every value. */
static void test_warning_stationary_rate(void **unused)
{
    const struct {
        const char *det;
        rl_kv kv;
        size_t n;
        double max_per_100k, max_share;
    } cases[] = {
        {"adwin", {NULL, NULL}, 0, 1, 0.005},
        {"adwin", {"direction", "up"}, 1, 1, 0.005},
        {"page_hinkley", {NULL, NULL}, 0, 500, 0.2},
    };
    const double rates[] = {0.05, 0.2, 0.5};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t r = 0; r < 3; r++) {
            uint64_t warnings = 0, in_warning = 0;
            for (uint64_t seed = 1; seed <= 10; seed++) {
                rl_detector *d = NULL;
                char err[256] = "";
                assert_int_equal(rl_detector_new(cases[i].det, cases[i].n ? &cases[i].kv : NULL,
                                                 cases[i].n, &d, err, sizeof(err)),
                                 RL_OK);
                uint64_t s = 1000 * r + seed;
                for (long k = 0; k < 100000; k++) {
                    rl_drift_state st;
                    assert_int_equal(rl_detector_update(d, bern(&s, rates[r]), &st), RL_OK);
                    in_warning += st == RL_DRIFT_WARNING;
                }
                warnings += d->n_warnings;
                rl_detector_destroy(d);
            }
            double per = (double)warnings / 10.0, share = (double)in_warning / 1e6;
            if (per > cases[i].max_per_100k || share > cases[i].max_share)
                fail_msg("%s %s: %.1f warnings per 100k, %.2f%% of values in warning at p=%g",
                         cases[i].det, cases[i].n ? cases[i].kv.value : "", per, 100 * share,
                         rates[r]);
        }
    }
}

/* Export while ADWIN holds a warning (the hold counter is part of the state), import, and both
 * continue identically, warnings included. */
static void test_warning_roundtrip(void **unused)
{
    int tested = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        rl_detector *a = make("adwin");
        uint64_t s = seed;
        long k = 0;
        rl_drift_state st = RL_DRIFT_STABLE;
        while (st != RL_DRIFT_WARNING && k < 3000) {
            assert_int_equal(rl_detector_update(a, bern(&s, k < 1000 ? 0.2 : 0.6), &st), RL_OK);
            k++;
        }
        if (st != RL_DRIFT_WARNING)
            continue; /* this seed drifted with no warning first: nothing held to test */
        /* a few values into the hold */
        for (int j = 0; j < 3; j++)
            assert_int_equal(rl_detector_update(a, bern(&s, 0.6), &st), RL_OK);
        rl_buf blob;
        rl_buf_init(&blob);
        assert_int_equal(rl_detector_export(a, &blob), RL_OK);
        rl_detector *b = make("adwin");
        char err[256] = "";
        if (rl_detector_import(b, blob.data, blob.len, err, sizeof(err)) != RL_OK)
            fail_msg("import: %s", err);
        assert_same_state(a, b);
        int warned = st == RL_DRIFT_WARNING;
        for (int j = 0; j < 20000; j++) {
            double x = bern(&s, j < 5000 ? 0.6 : (j < 10000 ? 0.1 : 0.7));
            rl_drift_state sa, sb;
            assert_int_equal(rl_detector_update(a, x, &sa), RL_OK);
            assert_int_equal(rl_detector_update(b, x, &sb), RL_OK);
            assert_int_equal(sa, sb);
            warned |= sa == RL_DRIFT_WARNING;
        }
        assert_true(warned);
        assert_int_equal(a->n_warnings, b->n_warnings);
        assert_same_state(a, b);
        rl_buf_free(&blob);
        rl_detector_destroy(a);
        rl_detector_destroy(b);
        tested++;
    }
    assert_true(tested >= 3);
}

/* State format 1, written by the build before the warning levels (commit 43e6942) after 1100
 * values of Bernoulli 0.2 -> 0.6 at 1000 from splitmix64 seed 11, default parameters. */
/* adwin after 1100 values (Bernoulli 0.2 -> 0.6 at 1000, seed 11), 454 bytes */
static const uint8_t adwin_v1[] = {
    0x52, 0x4c, 0x44, 0x54, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x61, 0x64, 0x77, 0x69,
    0x6e, 0x4c, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x94, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x41, 0x44, 0x57, 0x4e, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0xfc, 0xa9,
    0xf1, 0xd2, 0x4d, 0x62, 0x60, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x14, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x24, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x04,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x48, 0x40, 0x97, 0x7a, 0xd3, 0x9b, 0xde, 0xf4, 0x36, 0x40, 0x05, 0x00,
    0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x3f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x3f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x3f, 0x04, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf8, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xfe, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xfe, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x40, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x26, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x80, 0x0b, 0x40,
};
/* page_hinkley after 1100 values (Bernoulli 0.2 -> 0.6 at 1000, seed 11), 141 bytes */
static const uint8_t ph_v1[] = {
    0x52, 0x4c, 0x44, 0x54, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x70, 0x61, 0x67, 0x65,
    0x5f, 0x68, 0x69, 0x6e, 0x6b, 0x6c, 0x65, 0x79, 0x4c, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x54, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x48, 0x31, 0x31, 0x01, 0x00, 0x00,
    0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3e, 0x40, 0x7b, 0x14, 0xae,
    0x47, 0xe1, 0x7a, 0x74, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x40, 0x1e, 0xa7, 0xe8,
    0x48, 0x2e, 0xff, 0xef, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0x3f, 0xfc, 0xda, 0x9e,
    0x3c, 0x92, 0x78, 0x1a, 0x40, 0xaf, 0x47, 0xe1, 0x7a, 0x14, 0xae, 0xdd, 0x3f,
};

/* Feeds the format-1 blobs' stream prefix to d. */
static void feed_v1_prefix(rl_detector *d, uint64_t *s)
{
    *s = 11;
    for (int k = 0; k < 1100; k++)
        assert_int_equal(rl_detector_update(d, bern(s, k < 1000 ? 0.2 : 0.6), NULL), RL_OK);
}

/* Format-1 states still load. Into a detector without the warning level (ADWIN warning_delta=0)
 * or where the level needs no state (Page-Hinkley) they continue exactly as a detector that ran
 * the same values, to the byte; into ADWIN with its warning window (the default) the drift
 * decisions are still exactly the same, the warning window starting as a copy. A format-1 blob
 * whose parameter count is not format 1's is refused, saying so. */
static void test_state_format1(void **unused)
{
    const struct {
        const char *det;
        const uint8_t *blob;
        size_t len;
        rl_kv kv;
        size_t n;
        int same_states, same_bytes;
    } cases[] = {
        {"adwin", adwin_v1, sizeof(adwin_v1), {"warning_delta", "0"}, 1, 1, 1},
        {"adwin", adwin_v1, sizeof(adwin_v1), {NULL, NULL}, 0, 0, 0},
        /* same sums, so the same states; but the reference counted warnings in the prefix */
        {"page_hinkley", ph_v1, sizeof(ph_v1), {NULL, NULL}, 0, 1, 0},
        {"page_hinkley", ph_v1, sizeof(ph_v1), {"warning_fraction", "0"}, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rl_detector *old = NULL, *ref = NULL;
        char err[256] = "";
        const rl_kv *kv = cases[i].n ? &cases[i].kv : NULL;
        assert_int_equal(rl_detector_new(cases[i].det, kv, cases[i].n, &old, err, sizeof(err)),
                         RL_OK);
        assert_int_equal(rl_detector_new(cases[i].det, kv, cases[i].n, &ref, err, sizeof(err)),
                         RL_OK);
        if (rl_detector_import(old, cases[i].blob, cases[i].len, err, sizeof(err)) != RL_OK)
            fail_msg("%s: format 1 refused: %s", cases[i].det, err);
        assert_int_equal(old->n, 1100);
        uint64_t s;
        feed_v1_prefix(ref, &s);
        if (cases[i].same_bytes)
            assert_same_state(old, ref);
        for (int k = 0; k < 20000; k++) {
            double x = bern(&s, k < 5000 ? 0.6 : (k < 10000 ? 0.1 : 0.7));
            rl_drift_state so, sr;
            assert_int_equal(rl_detector_update(old, x, &so), RL_OK);
            assert_int_equal(rl_detector_update(ref, x, &sr), RL_OK);
            if (cases[i].same_states)
                assert_int_equal(so, sr);
            else
                assert_int_equal(so == RL_DRIFT_DRIFT, sr == RL_DRIFT_DRIFT);
        }
        assert_int_equal(old->n_drifts, ref->n_drifts);
        if (cases[i].same_bytes)
            assert_same_state(old, ref);
        rl_detector_destroy(old);
        rl_detector_destroy(ref);
    }
    /* Format 1 with format 2's parameter count (7 for ADWIN): refused, naming the format. The
     * detector's header sits after the envelope: magic, version, name length, name, 3 counters,
     * last state, blob length; then its magic, version, parameter count. */
    uint8_t bad[sizeof(adwin_v1)];
    memcpy(bad, adwin_v1, sizeof(bad));
    size_t at = 12 + 5 + 24 + 1 + 8 + 8; /* the parameter count */
    assert_int_equal(bad[at], 6);
    bad[at] = 7;
    rl_detector *d = make("adwin");
    char err[256] = "";
    assert_int_equal(rl_detector_import(d, bad, sizeof(bad), err, sizeof(err)), RL_ERR_MISMATCH);
    assert_non_null(strstr(err, "format 1"));
    /* A format-2 state never loads into a detector with another warning_delta. */
    rl_buf blob;
    rl_buf_init(&blob);
    assert_int_equal(rl_detector_export(d, &blob), RL_OK);
    rl_kv other = {"warning_delta", "0.05"};
    rl_detector *o = NULL;
    assert_int_equal(rl_detector_new("adwin", &other, 1, &o, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_detector_import(o, blob.data, blob.len, err, sizeof(err)), RL_ERR_MISMATCH);
    assert_non_null(strstr(err, "warning_delta"));
    rl_buf_free(&blob);
    rl_detector_destroy(o);
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
        cmocka_unit_test(test_warning_before_drift),
        cmocka_unit_test(test_warning_stationary_rate),
        cmocka_unit_test(test_warning_roundtrip),
        cmocka_unit_test(test_state_format1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
