/* features.c - feature hashing with XXH3-64 (seeded), masked to 2^bits slots. */
#include "learners/features.h"

#include <assert.h>
/* Inline the xxHash implementation: the call is on the per-event path (40 names an event), and
 * a call through the shared library's PLT costs as much as hashing a short name. Same
 * algorithm, same values (pinned by test_hashing). */
#define XXH_INLINE_ALL
#include <xxhash.h>

void rl_hasher_init(rl_hasher *h, uint32_t bits, uint64_t seed)
{
    /* Callers pass a validated RL_BITS_MIN..RL_BITS_MAX; never shift out of range even if not. */
    assert(bits >= 1 && bits <= 32);
    h->bits = bits;
    h->seed = seed;
    h->mask = bits >= 32 ? UINT32_MAX : (uint32_t)((1ull << bits) - 1);
}

uint32_t rl_hash_name(const rl_hasher *h, const void *name, size_t len)
{
    return (uint32_t)XXH3_64bits_withSeed(name, len, h->seed) & h->mask;
}

uint32_t rl_hash_index(const rl_hasher *h, uint64_t index)
{
    if (index <= h->mask)
        return (uint32_t)index;
    /* Hash the index's 8 little-endian bytes, so the slot is the same on every machine. */
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(index >> (8 * i));
    return (uint32_t)XXH3_64bits_withSeed(le, sizeof(le), h->seed) & h->mask;
}
