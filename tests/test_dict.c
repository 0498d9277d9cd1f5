/* test_dict.c - the feature-name dictionary: space-saving guarantees on a skewed stream (every
 * slot above total/capacity tracked, counts bracket the truth, top-K exact on a Zipf stream),
 * names, collisions and truncation, and an exact export/import that continues identically. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dict.h"

#define N_KEYS 50000
#define N_ADDS 300000

static uint64_t rng = 88172645463325252ull;
static double u01(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Zipf(1.1) over N_KEYS keys by inverse CDF over a precomputed table. */
static double *zipf_cdf(void)
{
    double *cdf = malloc(N_KEYS * sizeof(double)), sum = 0;
    for (int i = 0; i < N_KEYS; i++)
        sum += 1.0 / pow(i + 1, 1.1);
    double acc = 0;
    for (int i = 0; i < N_KEYS; i++) {
        acc += 1.0 / pow(i + 1, 1.1) / sum;
        cdf[i] = acc;
    }
    return cdf;
}

static uint32_t draw(const double *cdf)
{
    double u = u01();
    uint32_t lo = 0, hi = N_KEYS - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t slot_of(uint32_t key)
{
    return key * 2654435761u; /* keys spread over the slot space */
}

static void name_of(uint32_t key, char *buf, size_t n)
{
    snprintf(buf, n, "feature_%u", key);
}

static void test_heavy_hitters_on_skewed_stream(void **state)
{
    (void)state;
    char err[256], name[32];
    rl_dict *d = NULL;
    assert_int_equal(rl_dict_new(0, &d, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_dict_capacity(d), RL_DICT_CAPACITY_DEFAULT);
    double *cdf = zipf_cdf();
    uint32_t *truth = calloc(N_KEYS, sizeof(uint32_t));
    for (int i = 0; i < N_ADDS; i++) {
        uint32_t k = draw(cdf);
        truth[k]++;
        name_of(k, name, sizeof(name));
        rl_dict_add(d, slot_of(k), name, strlen(name));
    }
    assert_int_equal(rl_dict_total(d), N_ADDS);
    assert_int_equal(rl_dict_size(d), RL_DICT_CAPACITY_DEFAULT);
    /* Space-saving invariant: counts sum to the stream length. */
    uint64_t sum = 0;
    for (uint32_t i = 0; i < rl_dict_size(d); i++) {
        rl_dict_entry e;
        rl_dict_get(d, i, &e);
        sum += e.count;
        /* the truth lies in [count - error, count] */
        uint32_t key = 0;
        assert_int_equal(sscanf(e.name, "feature_%u", &key), 1);
        assert_int_equal(slot_of(key), e.slot);
        assert_true(e.count >= truth[key]);
        assert_true(e.count - e.error <= truth[key]);
        assert_false(e.collided);
    }
    assert_int_equal(sum, N_ADDS);
    /* Every key more frequent than N/capacity is tracked, under its own name. */
    int heavy = 0;
    for (uint32_t k = 0; k < N_KEYS; k++) {
        if ((uint64_t)truth[k] * RL_DICT_CAPACITY_DEFAULT <= N_ADDS)
            continue;
        heavy++;
        uint32_t len;
        const char *nm = rl_dict_lookup(d, slot_of(k), &len);
        assert_non_null(nm);
        name_of(k, name, sizeof(name));
        assert_string_equal(nm, name);
        assert_int_equal(len, strlen(name));
    }
    assert_true(heavy > 50);
    /* Top 20 in exact order (Zipf head counts are far apart). */
    rl_dict_entry top[20];
    assert_int_equal(rl_dict_top(d, top, 20), 20);
    for (uint32_t i = 0; i < 20; i++) {
        assert_int_equal(top[i].slot, slot_of(i));
        if (i)
            assert_true(top[i].count <= top[i - 1].count);
    }
    free(truth);
    free(cdf);
    rl_dict_destroy(d);
}

static void test_names_collisions_truncation(void **state)
{
    (void)state;
    char err[256];
    rl_dict *d = NULL;
    assert_int_equal(rl_dict_new(4, &d, err, sizeof(err)), RL_OK);
    rl_dict_add(d, 1, "a", 1);
    rl_dict_add(d, 1, "b", 1); /* same slot, another name */
    char longname[200];
    memset(longname, 'x', sizeof(longname));
    rl_dict_add(d, 2, longname, sizeof(longname));
    rl_dict_add(d, 2, longname, sizeof(longname)); /* same truncated prefix: no collision */
    rl_dict_add(d, 3, "", 0);
    rl_dict_entry e[4];
    assert_int_equal(rl_dict_top(d, e, 4), 3);
    assert_int_equal(e[0].slot, 1);
    assert_true(e[0].collided);
    assert_string_equal(e[0].name, "a");
    assert_int_equal(e[1].slot, 2);
    assert_true(e[1].truncated);
    assert_false(e[1].collided);
    assert_int_equal(e[1].name_len, RL_DICT_NAME_MAX - 1);
    assert_int_equal(e[2].name_len, 0);
    assert_null(rl_dict_lookup(d, 99, NULL));
    /* Full: a newcomer replaces the least counted and inherits its count as error. */
    rl_dict_add(d, 4, "four", 4);
    rl_dict_add(d, 5, "five", 4);
    assert_int_equal(rl_dict_size(d), 4);
    uint32_t len;
    assert_string_equal(rl_dict_lookup(d, 5, &len), "five");
    rl_dict_entry all[4];
    rl_dict_top(d, all, 4);
    int found = 0;
    for (int i = 0; i < 4; i++)
        if (all[i].slot == 5) {
            found = 1;
            assert_int_equal(all[i].count, 2);
            assert_int_equal(all[i].error, 1);
        }
    assert_true(found);
    rl_dict_destroy(d);
    rl_dict *big = NULL;
    assert_int_equal(rl_dict_new(RL_DICT_CAPACITY_MAX + 1, &big, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_null(big);
    assert_non_null(strstr(err, "capacity"));
}

static void test_export_import_continues_identically(void **state)
{
    (void)state;
    char err[256], name[32];
    rl_dict *a = NULL, *b = NULL;
    assert_int_equal(rl_dict_new(256, &a, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_dict_new(256, &b, err, sizeof(err)), RL_OK);
    double *cdf = zipf_cdf();
    for (int i = 0; i < 20000; i++) {
        uint32_t k = draw(cdf);
        name_of(k, name, sizeof(name));
        rl_dict_add(a, slot_of(k), name, strlen(name));
    }
    uint32_t n = rl_dict_size(a);
    rl_dict_entry *e = malloc(n * sizeof(*e));
    for (uint32_t i = 0; i < n; i++)
        rl_dict_get(a, i, &e[i]);
    assert_int_equal(rl_dict_set(b, e, n, rl_dict_total(a), err, sizeof(err)), RL_OK);
    free(e);
    for (int i = 0; i < 20000; i++) {
        uint32_t k = draw(cdf);
        name_of(k, name, sizeof(name));
        rl_dict_add(a, slot_of(k), name, strlen(name));
        rl_dict_add(b, slot_of(k), name, strlen(name));
    }
    assert_int_equal(rl_dict_size(a), rl_dict_size(b));
    assert_int_equal(rl_dict_total(a), rl_dict_total(b));
    for (uint32_t i = 0; i < rl_dict_size(a); i++) {
        rl_dict_entry x, y;
        rl_dict_get(a, i, &x);
        rl_dict_get(b, i, &y);
        assert_int_equal(x.slot, y.slot);
        assert_int_equal(x.count, y.count);
        assert_int_equal(x.error, y.error);
        assert_string_equal(x.name, y.name);
    }
    /* Duplicate slots and oversize are refused. */
    rl_dict_entry dup[2] = {{7, 1, 0, "x", 1, 0, 0}, {7, 2, 0, "y", 1, 0, 0}};
    assert_int_equal(rl_dict_set(b, dup, 2, 3, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(rl_dict_size(b), 0);
    free(cdf);
    rl_dict_destroy(a);
    rl_dict_destroy(b);
    rl_dict_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heavy_hitters_on_skewed_stream),
        cmocka_unit_test(test_names_collisions_truncation),
        cmocka_unit_test(test_export_import_continues_identically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
