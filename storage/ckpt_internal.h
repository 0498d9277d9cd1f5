/* ckpt_internal.h - helpers shared by the checkpoint and snapshot codecs (not public). */
#ifndef RL_CKPT_INTERNAL_H
#define RL_CKPT_INTERNAL_H

#include <sys/stat.h>

#include <protobuf-c/protobuf-c.h>

#include "proto/checkpoint.pb-c.h"
#include "storage/ckpt.h"
#include "model/dict.h"
#include "learners/learner.h"

/* Milliseconds since the Unix epoch. */
int64_t rl_fmt_now_ms(void);

/* The I/O table in force (rl_ckpt_set_io). */
const rl_ckpt_io *rl_ckpt_io_current(void);

/* Frame header bytes / a little-endian u64, for writers that build a frame piecewise. */
void rl_frame_header(uint8_t h[RL_FRAME_HEADER_LEN], const char *magic, unsigned flags,
                     uint64_t payload_len, uint64_t raw_len);
void rl_frame_put_u64(uint8_t *p, uint64_t v);
uint64_t rl_frame_get_u64(const uint8_t *p);
/* The header's fields as they stand (magic, container version, flags, lengths), unchecked: for
 * a reader that takes a file piece by piece (ckpt_load.c) instead of through rl_frame_decode. */
void rl_frame_read_header(const uint8_t h[RL_FRAME_HEADER_LEN], rl_frame_info *info);

/* malloc for buffers that are filled right away: one of 256 KiB or more is aligned to 2 MiB
 * and its whole 2 MiB pages advised for transparent huge pages (MADV_HUGEPAGE), so that
 * filling fresh memory does not fault it in 4 KiB at a time; smaller ones are plain malloc.
 * round_up: the size is rounded up to whole huge pages (for one transient buffer); otherwise
 * only when that wastes at most an eighth (for many long-lived ones). *cap (may be NULL) gets
 * the usable size. Release with free(). */
void *rl_fmt_alloc_big(size_t n, int round_up, size_t *cap);

/* A checksum computed while reading: hash of bytes [0, len) of the file (len 0: none). */
typedef struct rl_fmt_sum {
    uint64_t hash;
    size_t len;
} rl_fmt_sum;

/* Files above this size have their header and checksum checked in a streamed pass before a
 * reader allocates a buffer for them (ckpt_frame_open.c). */
#ifndef RL_FMT_PRECHECK_BYTES
#define RL_FMT_PRECHECK_BYTES ((uint64_t)64 << 20)
#endif
/* Opens path for reading without trusting it (ckpt_frame_open.c): refuses a non-regular file before
 * opening it for reading, a file over rl_fmt_max_file_bytes(), and, with check_frame, a file
 * over RL_FMT_PRECHECK_BYTES whose header or checksum is wrong. *fd at offset 0, *st its stat. */
rl_err rl_fmt_open_checked(const char *path, int check_frame, int *fd, struct stat *st,
                           char *errstr, size_t errstr_size);

/* Reads a whole regular file into a buffer (*out, capacity *cap, release with free()), in
 * chunks, hashing everything but the last 8 bytes (a frame's trailer) chunk by chunk as it
 * arrives: *sum then spares rl_frame_decode_ex a pass of its own. reuse (may be NULL, capacity
 * reuse_cap) is a buffer of an earlier load: used when large enough, freed otherwise; it is
 * consumed on every path. Files are read, not mapped: a mapping costs a page fault per 4 KiB
 * page on first touch (much more on VMs with shadow page tables), a read() one copy from the
 * page cache through the kernel's own mapping. */
rl_err rl_fmt_file_load(const char *path, void *reuse, size_t reuse_cap, uint8_t **out, size_t *len,
                        size_t *cap, rl_fmt_sum *sum, char *errstr, size_t errstr_size);

/* rl_frame_decode, plus: sum (may be NULL) is a checksum the caller already computed (used
 * when it covers exactly header + payload); scratch (may be NULL, scratch_cap bytes) is
 * memory the caller lends for the decompressed payload (then *owned == scratch: the caller
 * keeps owning it whatever the result). */
rl_err rl_frame_decode_ex(const void *p, size_t len, const char *expect_magic,
                          const rl_fmt_sum *sum, void *scratch, size_t scratch_cap,
                          rl_frame_info *info, const uint8_t **payload, size_t *payload_len,
                          void **owned, char *errstr, size_t errstr_size);

/* Decodes the fields of a Checkpoint payload into c (cleared by the caller) without requiring
 * the learner's state among them: for a loader that streams that state elsewhere. */
rl_err rl_ckpt_decode_fields(const uint8_t *payload, size_t len, const rl_frame_info *info,
                             rl_ckpt *c, char *errstr, size_t errstr_size);

/* rl_file_write_atomic_iov; with append_sum, the XXH3-64 of every byte written is appended
 * (8 bytes, little-endian), hashed piecewise as it is written rather than in a pass of its own. */
struct iovec;
rl_err rl_file_write_atomic_sum(const char *path, const struct iovec *iov, int n_iov,
                                int append_sum, char *errstr, size_t errstr_size);

/* Packs msg straight into a frame appended to out (no intermediate copy when not compressed). */
rl_err rl_frame_encode_msg(const char *magic, const ProtobufCMessage *msg, unsigned flags,
                           int zstd_level, rl_buf *out, char *errstr, size_t errstr_size);

/* Room for LearnerConfig.interactions: "ab,abc,..." and its NUL. */
#define RL_FMT_IX_LEN (RL_INTERACTIONS_MAX * 4 + 1)
/* LearnerConfig view of params: string fields point into params/static names (borrowed), and
 * the interaction spec into ix_buf (RL_FMT_IX_LEN bytes, living as long as out). */
void rl_fmt_learner_to_pb(const rl_learner_params *p, uint64_t hash_seed,
                          Relearn__LearnerConfig *out, char *ix_buf);
rl_err rl_fmt_learner_from_pb(const Relearn__LearnerConfig *in, rl_learner_params *p,
                              uint64_t *hash_seed, char *errstr, size_t errstr_size);

/* A FeatureDict message built from a dictionary; names are borrowed from d. */
typedef struct rl_fmt_dict_pb {
    Relearn__FeatureDict msg;
    Relearn__DictEntry *ents;
    Relearn__DictEntry **ptrs;
} rl_fmt_dict_pb;
rl_err rl_fmt_dict_to_pb(const rl_dict *d, rl_fmt_dict_pb *out, char *errstr, size_t errstr_size);
void rl_fmt_dict_pb_free(rl_fmt_dict_pb *pb);
rl_err rl_fmt_dict_from_pb(const Relearn__FeatureDict *in, rl_dict **out, char *errstr,
                           size_t errstr_size);

/* A stored message's format_version: refused when missing (has == 0), else checked as
 * rl_check_format_version does with 1 as the oldest; what names the message ("checkpoint",
 * "snapshot", "chunk") in the error. */
rl_err rl_fmt_check_message_version(int has, uint32_t got, uint32_t current, const char *what,
                                    char *errstr, size_t errstr_size);

/* Copies a protobuf string (NULL = "") into a fresh malloc'd string; NULL on allocation
 * failure. */
char *rl_fmt_strdup(const char *s);

#endif
