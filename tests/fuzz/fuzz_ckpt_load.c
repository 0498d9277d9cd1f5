/* fuzz_ckpt_load.c - libFuzzer target: the streamed checkpoint loader (storage/ckpt_load.c,
 * what relearnd starts with) against the buffered reader, on the same file. The streamed path
 * decodes the learner's state (and its zero-run coding, its zstd frame) before it can compare
 * the checksum at the end, so mutated files reach all of that code; whatever it meets it must
 * end in the buffered path's verdict: the same error code, or the same model, bit for bit.
 *
 * Each input is tried as a whole file, and after the 24-byte header as the payload of a valid
 * frame, plain and zero-run coded (with the input's own raw length), so checksum-valid files with
 * mutated fields and codings come up often. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "storage/ckpt.h"
#include "storage/ckpt_hash.h"
#include "tests/ckpt_util.h" /* tu_streamed_agrees, shared with test_ckpt_load's corpus replay */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void one(const uint8_t *file, size_t len)
{
    char why[1600];
    if (ftruncate(fd, 0) != 0 || pwrite(fd, file, len, 0) != (ssize_t)len)
        abort();
    if (!tu_streamed_agrees(path, why, sizeof(why))) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
}

/* body as the payload of a checkpoint frame with flags and raw_len, checksum made valid */
static void framed(const uint8_t *body, size_t n, unsigned flags, uint64_t raw_len)
{
    uint8_t *f = malloc(RL_FRAME_HEADER_LEN + n + RL_FRAME_TRAILER_LEN);
    if (!f)
        abort();
    memcpy(f, RL_MAGIC_CKPT, 4);
    f[4] = RL_FRAME_VERSION;
    f[5] = 0;
    f[6] = (uint8_t)flags;
    f[7] = (uint8_t)(flags >> 8);
    for (int i = 0; i < 8; i++) {
        f[8 + i] = (uint8_t)((uint64_t)n >> (8 * i));
        f[16 + i] = (uint8_t)(raw_len >> (8 * i));
    }
    if (n)
        memcpy(f + RL_FRAME_HEADER_LEN, body, n);
    uint64_t h = rl_fmt_hash64(f, RL_FRAME_HEADER_LEN + n);
    for (int i = 0; i < 8; i++)
        f[RL_FRAME_HEADER_LEN + n + i] = (uint8_t)(h >> (8 * i));
    one(f, RL_FRAME_HEADER_LEN + n + RL_FRAME_TRAILER_LEN);
    free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("rl_fuzz_ckpt", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    one(data, size);
    size_t skip = size > RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN ? RL_FRAME_HEADER_LEN : 0;
    size_t body = skip ? size - RL_FRAME_HEADER_LEN - RL_FRAME_TRAILER_LEN : size;
    framed(data + skip, body, 0, body);
    if (skip) {
        /* the input's own raw length, so a zero-run coded seed stays a valid file (a few MiB
         * at most: a coding may ask for that much zero-filling) */
        uint64_t raw = 0;
        for (int i = 0; i < 8; i++)
            raw |= (uint64_t)data[16 + i] << (8 * i);
        framed(data + skip, body, RL_FRAME_ZERO_RUNS, raw <= ((uint64_t)4 << 20) ? raw : body);
    }
    return 0;
}
