/* frame.h - the framing every relearn file shares (checkpoints, snapshots, snapshot chunks):
 * a 24-byte header (magic, container version, flags, stored and raw lengths), the payload
 * (plain, zstd, zero runs), an XXH3-64 trailer over header and payload. */
#ifndef RL_FRAME_H
#define RL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"

#define RL_FRAME_VERSION     1
#define RL_FRAME_HEADER_LEN  24
#define RL_FRAME_TRAILER_LEN 8
#define RL_FRAME_ZSTD        0x0001u /* flag: payload is zstd-compressed */
#define RL_FRAME_ZERO_RUNS   0x0002u /* flag: payload is zero-run coded (checkpoints only) */
#define RL_FRAME_KNOWN       (RL_FRAME_ZSTD | RL_FRAME_ZERO_RUNS) /* flags this build reads */
#define RL_MAGIC_CKPT        "RLCK"
#define RL_MAGIC_SNAPSHOT    "RLSN"
#define RL_MAGIC_CHUNK       "RLSC"
#define RL_MAGIC_GATE        "RLGT" /* relearnd's promotion-gate pairs beside a checkpoint */
/* Largest payload (after decompression) a reader accepts, so a hostile header cannot make it
 * allocate without bound. Overridable at compile time (the fuzz targets lower it). */
#ifndef RL_FRAME_MAX_RAW
#define RL_FRAME_MAX_RAW ((uint64_t)16 << 30)
#endif

typedef struct rl_frame_info {
    char magic[5];    /* NUL-terminated */
    uint16_t version; /* container version */
    uint16_t flags;
    uint64_t payload_len; /* stored */
    uint64_t raw_len;     /* after decompression */
    uint64_t checksum;    /* the trailer */
    size_t total_len;     /* header + payload + trailer */
} rl_frame_info;

/* How a payload is stored, for people: "plain", "zstd", "zero runs" or "zero runs + zstd". */
const char *rl_frame_coding_name(unsigned flags);

/* Frames payload (len bytes) under magic (4 chars); RL_FRAME_ZSTD compresses it (zstd_level
 * 0 = default 1; ignored otherwise). Appends to out. */
rl_err rl_frame_encode(const char *magic, const void *payload, size_t len, unsigned flags,
                       int zstd_level, rl_buf *out, char *errstr, size_t errstr_size);
/* Checks the frame in p[0..len): magic (expect_magic, or any of ours when NULL), container
 * version, lengths (a truncated or over-long input is refused), checksum. On success *info is
 * filled and *payload / *payload_len give the raw payload: a pointer into p when not compressed
 * (*owned = NULL), else a malloc'd buffer that the caller frees (*owned = the same pointer). */
rl_err rl_frame_decode(const void *p, size_t len, const char *expect_magic, rl_frame_info *info,
                       const uint8_t **payload, size_t *payload_len, void **owned, char *errstr,
                       size_t errstr_size);

#endif
