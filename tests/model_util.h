/* model_util.h - what the model and metrics tests share: a bitwise double comparison and a
 * seeded xorshift64* generator (deterministic, platform independent), one per test program. */
#ifndef RL_TEST_MODEL_UTIL_H
#define RL_TEST_MODEL_UTIL_H

#include <stdint.h>
#include <string.h>

static inline int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static uint64_t rng_state;
static inline void rng_seed(uint64_t s)
{
    rng_state = s * 0x9E3779B97F4A7C15ull + 1;
}
static inline double rng_u01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

#endif
