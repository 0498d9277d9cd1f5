/* ckpt_hash_avx2.c - XXH3-64 built for AVX2, called only when the CPU has it (ckpt_hash.c).
 *
 * The packaged libxxhash is built for baseline x86-64 (SSE2), where XXH3 runs at about the
 * speed of memcpy; its AVX2 loop is about twice as fast, and the checksum pass is the largest
 * cost of loading an uncompressed checkpoint after the copy itself. This is the approach of
 * xxHash's own xxh_x86dispatch.c: the same algorithm (same hash values) inlined in a unit built
 * for the wider vectors. Only this file is built for AVX2; nothing here runs unless
 * rl_fmt_hash_have_avx2() said so. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

#include <immintrin.h> /* xxhash.h includes it only when built with -mavx2 */

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

#include "storage/ckpt_hash.h"

uint64_t rl_fmt_hash_avx2(const void *p, size_t len)
{
    return XXH3_64bits(p, len);
}

void rl_fmt_hash_avx2_update(rl_fmt_hash *h, const void *p, size_t len)
{
    XXH3_64bits_update((XXH3_state_t *)h->state, p, len);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
/* Not x86-64 with GCC or clang: ckpt_hash.c never calls these. ISO C wants a declaration. */
typedef int rl_fmt_hash_avx2_unused;
#endif
