/* zero_runs.h - zero-run coding: a byte stream without its long runs of zero bytes.
 *
 * A hashed model of 2^22 slots that has seen a few hundred thousand features is mostly zeros.
 * zstd removes them too, but a load then decompresses 16 MiB of output to recover ~40 000
 * floats, and cost 2.3-3.6x a plain read of the array (BENCHMARKS.md, "## Checkpoints"). Coded
 * this way the file holds only the non-zero stretches, and a load copies them and writes the
 * zeros with memset. It is the checkpoint's counterpart of a snapshot's sparse rows, but works
 * on bytes, so it needs to know nothing about any learner's state layout.
 *
 * The coding is a sequence of records, each
 *     varint lit_len | lit_len bytes, copied as they are | varint zero_len (that many zeros)
 * with lit_len + zero_len > 0, until exactly the decoded length is reached (varints are
 * protobuf's: 7 bits per byte, low first). Zero runs shorter than RL_ZR_MIN_RUN stay inside a
 * literal: a record costs two bytes or more. The decoded length is not part of the coding: the
 * container keeps it (the frame header's raw_len). */
#ifndef RL_ZERO_RUNS_H
#define RL_ZERO_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/rl_common.h"

#define RL_ZR_MIN_RUN 16

/* The coded bytes of rl_zr_encode, as pieces: the literals of 4 KiB or more point into the
 * input's memory (valid while it is), everything else into side. */
typedef struct rl_zr_enc {
    struct iovec *iov;
    size_t n_iov, cap_iov;
    rl_buf side;
    uint64_t len; /* coded bytes in all */
    /* internal: pieces whose base is an offset into side until rl_zr_encode finishes */
    unsigned char *in_side;
} rl_zr_enc;

void rl_zr_enc_init(rl_zr_enc *z);
void rl_zr_enc_free(rl_zr_enc *z);
/* Codes the concatenation of in[0..n) (replacing z's previous result). RL_ERR_NOMEM only. */
rl_err rl_zr_encode(rl_zr_enc *z, const struct iovec *in, int n);

/* Decodes src[0..len) into dst[0..raw_len): 0 when the coding fills it exactly and ends there,
 * else -1 and *why says what is wrong. dst need not be zeroed. */
int rl_zr_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t raw_len, const char **why);

/* Streaming decoder over a source that yields the coded bytes (exactly n of them per call, 0 on
 * success): the records are read through a small buffer, long literals straight into the
 * destination. */
typedef int (*rl_zr_pull_fn)(void *ctx, void *dst, size_t n);

#define RL_ZR_READER_BUF ((size_t)64 << 10)
typedef struct rl_zr_reader {
    rl_zr_pull_fn pull;
    void *ctx;
    uint64_t coded_left; /* coded bytes not yet pulled from the source */
    uint64_t lit_left, zero_left;
    int in_record; /* 0: next is a lit_len; 1: lit_len 0 read; 2: a literal with bytes read */
    size_t pos, len;
    uint8_t buf[RL_ZR_READER_BUF];
} rl_zr_reader;

/* coded_len: the coded bytes the source holds in all. */
void rl_zr_reader_init(rl_zr_reader *r, rl_zr_pull_fn pull, void *ctx, uint64_t coded_len);
/* Exactly n decoded bytes into dst: 0, or -1 on a corrupt or short coding. */
int rl_zr_read(rl_zr_reader *r, void *dst, size_t n);
/* After the last rl_zr_read: 0 when the coding ends exactly there (the last record's empty
 * zero run read, every coded byte used), else -1. */
int rl_zr_reader_finish(rl_zr_reader *r);

#endif
