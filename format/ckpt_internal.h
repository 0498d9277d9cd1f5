/* ckpt_internal.h - helpers shared by the checkpoint and snapshot codecs (not public). */
#ifndef RL_CKPT_INTERNAL_H
#define RL_CKPT_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "checkpoint.pb-c.h"
#include "ckpt.h"
#include "dict.h"
#include "learner.h"

/* Milliseconds since the Unix epoch. */
int64_t rl_fmt_now_ms(void);

/* The I/O table in force (rl_ckpt_set_io). */
const rl_ckpt_io *rl_ckpt_io_current(void);

/* Frame header bytes / a little-endian u64, for writers that build a frame piecewise. */
void rl_frame_header(uint8_t h[RL_FRAME_HEADER_LEN], const char *magic, unsigned flags,
                     uint64_t payload_len, uint64_t raw_len);
void rl_frame_put_u64(uint8_t *p, uint64_t v);

/* Packs msg straight into a frame appended to out (no intermediate copy when not compressed). */
rl_err rl_frame_encode_msg(const char *magic, const ProtobufCMessage *msg, unsigned flags,
                           int zstd_level, rl_buf *out, char *errstr, size_t errstr_size);

/* LearnerConfig view of params: string fields point into params/static names (borrowed). */
void rl_fmt_learner_to_pb(const rl_learner_params *p, uint64_t hash_seed,
                          Relearn__LearnerConfig *out);
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

/* Copies a protobuf string (NULL = "") into a fresh malloc'd string; NULL on allocation
 * failure. */
char *rl_fmt_strdup(const char *s);

#endif
