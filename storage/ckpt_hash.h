/* ckpt_hash.h - the XXH3-64 (seed 0) of relearn's file frames, at the CPU's best speed.
 *
 * Same values as XXH3_64bits() of libxxhash: on x86-64 CPUs with AVX2 the bytes go through an
 * AVX2 build of the same algorithm (ckpt_hash_avx2.c), about twice as fast as the packaged
 * library's SSE2 loop; elsewhere through the library. Internal to storage/. */
#ifndef RL_CKPT_HASH_H
#define RL_CKPT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A streaming hash; state is an XXH3_state_t of libxxhash. */
typedef struct rl_fmt_hash {
    void *state;
} rl_fmt_hash;

uint64_t rl_fmt_hash64(const void *p, size_t len);
/* 0 on success, -1 when out of memory. */
int rl_fmt_hash_init(rl_fmt_hash *h);
void rl_fmt_hash_update(rl_fmt_hash *h, const void *p, size_t len);
uint64_t rl_fmt_hash_digest(const rl_fmt_hash *h);
void rl_fmt_hash_free(rl_fmt_hash *h); /* state NULL: no-op */

/* The AVX2 build (ckpt_hash_avx2.c), for rl_fmt_hash64/update when the CPU has AVX2. */
uint64_t rl_fmt_hash_avx2(const void *p, size_t len);
void rl_fmt_hash_avx2_update(rl_fmt_hash *h, const void *p, size_t len);

#endif
