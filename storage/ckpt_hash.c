/* ckpt_hash.c - XXH3-64 of frames: AVX2 build when the CPU has it, libxxhash otherwise. */
#include <xxhash.h>

#include "storage/ckpt_hash.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* Asked once per call: __builtin_cpu_supports reads a table filled at startup, so it costs a
 * load and a test, nothing against hashing kilobytes. */
static int have_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}
#else
static int have_avx2(void)
{
    return 0;
}
#endif

uint64_t rl_fmt_hash64(const void *p, size_t len)
{
    if (have_avx2())
        return rl_fmt_hash_avx2(p, len);
    return XXH3_64bits(p, len);
}

int rl_fmt_hash_init(rl_fmt_hash *h)
{
    h->state = XXH3_createState();
    if (!h->state)
        return -1;
    XXH3_64bits_reset((XXH3_state_t *)h->state);
    return 0;
}

void rl_fmt_hash_update(rl_fmt_hash *h, const void *p, size_t len)
{
    if (len == 0)
        return;
    if (have_avx2())
        rl_fmt_hash_avx2_update(h, p, len);
    else
        XXH3_64bits_update((XXH3_state_t *)h->state, p, len);
}

uint64_t rl_fmt_hash_digest(const rl_fmt_hash *h)
{
    return XXH3_64bits_digest((const XXH3_state_t *)h->state);
}

void rl_fmt_hash_free(rl_fmt_hash *h)
{
    if (h->state)
        XXH3_freeState((XXH3_state_t *)h->state);
    h->state = NULL;
}
