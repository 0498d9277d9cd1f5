/* drift_util.h - what the drift detector tests share: a seeded splitmix64 (every run sees the
 * same values), Bernoulli draws, building a detector with default parameters, and comparing two
 * detectors' exported state byte for byte. Include after <cmocka.h>. */
#ifndef RL_TEST_DRIFT_UTIL_H
#define RL_TEST_DRIFT_UTIL_H

#include <stdint.h>

#include "drift/detector.h"

static inline uint64_t sm_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline double sm_unif(uint64_t *s)
{
    return (double)(sm_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double bern(uint64_t *s, double p)
{
    return sm_unif(s) < p ? 1.0 : 0.0;
}

static inline rl_detector *make(const char *name)
{
    rl_detector *d = NULL;
    char err[256] = "";
    rl_err e = rl_detector_new(name, NULL, 0, &d, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("creating %s: %s", name, err);
    return d;
}

static inline void assert_same_state(const rl_detector *a, const rl_detector *b)
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

#endif
