/* snapshot.h - published model versions: the scoring function, for scoring services.
 *
 * A snapshot (proto/snapshot.proto, framed as "RLSN", see ckpt.h) carries the model name, its
 * version and parent version, the instance that learned it, the learner kind, hyperparameters
 * and hashing parameters, each weight row (dense or sparse index/value, whichever is smaller),
 * the dense block and bias, the clip scales and score scale the model predicts with (so that
 * predictor.h scores exactly as the model did), metrics at publish time, the offset ranges it
 * covers and the feature-name dictionary; the frame's XXH3-64 is its checksum; zstd is optional.
 *
 * Publishing: a framed snapshot larger than the message limit (RL_SNAPSHOT_MAX_MSG_DEFAULT,
 * below Kafka's default 1 MB) is cut by rl_snapshot_split() into "RLSC" chunks (each framed and
 * checksummed, each saying model, version, index, count, total length and the whole snapshot's
 * checksum). A reader feeds every message value to an rl_snapshot_asm, which copes with missing
 * (never completes), duplicated (ignored when identical, refused when not) and reordered chunks,
 * and hands back the verified whole.
 *
 * Ownership: a decoded rl_snapshot owns its arrays (rl_snapshot_clear frees them). Encoding
 * only reads the model or source it is given. */
#ifndef RL_SNAPSHOT_H
#define RL_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "storage/ckpt.h"
#include "model/dict.h"
#include "learners/learner.h"
#include "model/metrics.h"
#include "model/model.h"
#include "common/rl_common.h"

/* The newest format this build reads and writes. An encoder writes 3 when the model crosses
 * namespaces (LearnerConfig.interactions), else 2 only when the snapshot needs format 2's
 * fields to score as its model did (clip scales, a score_scale), and 1 otherwise, so older
 * readers read every snapshot they can score exactly and refuse the others (docs/FORMAT.md,
 * "Compatibility"). */
#define RL_SNAPSHOT_FORMAT_VERSION 3
/* Chunks have not changed: an old reader still reassembles them (and then judges the whole). */
#define RL_SNAPSHOT_CHUNK_FORMAT_VERSION 1
#define RL_SNAPSHOT_MAX_MSG_DEFAULT      (900u * 1000u)
/* Room a chunk's own frame and header take beyond its data (the split keeps every chunk
 * message <= max_size, so max_size must exceed this). */
#define RL_SNAPSHOT_CHUNK_OVERHEAD 512u

typedef struct rl_snapshot_range {
    char *topic; /* owned in a decoded snapshot; borrowed in a meta */
    int32_t partition;
    int64_t first_offset; /* first offset learned from */
    int64_t end_offset;   /* one past the last */
} rl_snapshot_range;

/* One weight row as decoded: exactly one of w (n_sparse floats) or idx/val (nnz entries,
 * strictly increasing idx) is set; dense_block has dense_dim floats (NULL when 0). */
typedef struct rl_snapshot_row {
    float bias;
    float *w;
    uint32_t *idx;
    float *val;
    uint64_t nnz;
    float *dense_block;
    double score_scale; /* the row's float sum times this is its score (1 unless pegasos) */
} rl_snapshot_row;

typedef struct rl_snapshot {
    uint32_t format_version;
    char *model_name;  /* never NULL after decode */
    char *instance_id; /* never NULL after decode */
    uint64_t version, parent_version;
    int64_t created_ms;
    uint64_t events;
    rl_learner_params learner; /* kind + hyperparameters + bits */
    uint64_t hash_seed;
    uint64_t n_sparse; /* 2^bits */
    uint32_t dense_dim;
    uint32_t n_rows;
    rl_snapshot_row *rows;
    /* Per-coordinate clip scales (format 2), laid out as a row: scales->w or idx/val per slot,
     * dense_block, bias; NULL: nothing is clipped. See predictor.h. */
    rl_snapshot_row *scales;
    int has_metrics;
    rl_metrics_summary metrics;
    rl_snapshot_range *ranges;
    size_t n_ranges;
    rl_dict *dict;       /* NULL when the snapshot has none */
    rl_frame_info frame; /* how it was stored; frame.checksum is the snapshot's checksum */
} rl_snapshot;

/* What the publisher says about a version beyond the model itself. Everything borrowed. */
typedef struct rl_snapshot_meta {
    const char *model_name;
    const char *instance_id;
    uint64_t version;
    uint64_t parent_version;
    int64_t created_ms; /* 0: now */
    const rl_snapshot_range *ranges;
    size_t n_ranges;
    const rl_dict *dict; /* may be NULL */
} rl_snapshot_meta;

void rl_snapshot_init(rl_snapshot *s);
void rl_snapshot_clear(rl_snapshot *s); /* frees; s re-initialized; NULL: no-op */

/* Write-side flag of the encoders (never stored): compress only when it pays. Rows go out dense
 * or sparse, whichever is smaller; when every row went sparse (index deltas + values, which
 * zstd shrinks ~20%) the snapshot is framed with RL_FRAME_ZSTD, else uncompressed (dense floats
 * shrink ~10% under zstd, and every scoring service would pay ~5x the decode time of a plain
 * load for it: BENCHMARKS.md, "## Checkpoints"). */
#define RL_SNAPSHOT_COMPRESS_AUTO RL_CKPT_COMPRESS_AUTO

/* Encodes the champion of m (weights via rl_learner_weights, metrics via rl_model_summary,
 * events = rl_model_position) under meta; framed bytes appended to out. flags: RL_FRAME_ZSTD,
 * RL_SNAPSHOT_COMPRESS_AUTO or 0. */
rl_err rl_snapshot_encode_model(const rl_model *m, const rl_snapshot_meta *meta, unsigned flags,
                                rl_buf *out, char *errstr, size_t errstr_size);
/* The same from a bare learner (metrics may be NULL; hash_seed as the model's). */
rl_err rl_snapshot_encode_learner(const rl_learner *l, uint64_t hash_seed, uint64_t events,
                                  const rl_metrics_summary *metrics, const rl_snapshot_meta *meta,
                                  unsigned flags, rl_buf *out, char *errstr, size_t errstr_size);
/* Parses a whole framed snapshot ("RLSN"; chunks go through rl_snapshot_asm first). s is
 * cleared first and left cleared on error. RL_ERR_VERSION for a newer version, CHECKSUM, FORMAT
 * (with the field and reason) otherwise. */
rl_err rl_snapshot_decode(const void *p, size_t len, rl_snapshot *s, char *errstr,
                          size_t errstr_size);
rl_err rl_snapshot_read_file(const char *path, rl_snapshot *s, char *errstr, size_t errstr_size);
/* Atomic, 0600, as checkpoints. */
rl_err rl_snapshot_write_file(const char *path, const void *framed, size_t len, char *errstr,
                              size_t errstr_size);

/* Weight of slot `slot` in row r (0 when absent). O(1) dense, O(log nnz) sparse. */
float rl_snapshot_weight(const rl_snapshot *s, uint32_t row, uint64_t slot);
/* Row r as a dense array of n_sparse floats (copied when the row is sparse: caller frees
 * *owned, which is NULL when the pointer is the row's own array). */
rl_err rl_snapshot_row_dense(const rl_snapshot *s, uint32_t row, const float **w, float **owned,
                             char *errstr, size_t errstr_size);

/* All weights as one rl_weights view (rows expanded to dense) over one malloc'd array that the
 * caller frees (*buf). */
rl_err rl_snapshot_weights_dense(const rl_snapshot *s, rl_weights *w, float **buf, char *errstr,
                                 size_t errstr_size);

/* A fresh learner of the snapshot's kind and parameters holding exactly its weights
 * (rl_learner_new + rl_learner_set_weights), to continue learning from (relearnd
 * --init-model). Caller owns *out. To score exactly as the publishing model, use predictor.h:
 * a rebuilt learner starts with fresh optimizer state, so
 * - sgd's normalized schedule (and softmax's) knows no feature scale yet and does not clip a
 *   value beyond the publisher's scale (the snapshot's scales are for scoring, not learning);
 * - pegasos holds the true weights score_scale * w rounded to float, not w and the scale;
 * - ftrl keeps no weights: it derives each in float from its {z, n} state at every predict.
 *   The snapshot holds exactly those derived floats (the weights compare bitwise), but a
 *   rebuilt ftrl must start fresh (n = 0) and solve z = -w (beta/alpha + l2) - sgn(w) l1 in
 *   float; deriving w back from that z rounds twice, and ~20 of 2^11 weights of the test model
 *   come back a few float steps off.
 * On the publisher's own kind of data the others predict bitwise as the model did. */
rl_err rl_snapshot_to_learner(const rl_snapshot *s, rl_learner **out, char *errstr,
                              size_t errstr_size);
/* Starts m's champion from the snapshot's weights only (its optimizer state is reset by
 * rl_learner_set_weights). The learner kind and shape must match. */
rl_err rl_snapshot_apply_to_model(const rl_snapshot *s, rl_model *m, char *errstr,
                                  size_t errstr_size);

/* ---- chunks ---- */
typedef struct rl_snapshot_id {
    char model_name[128];  /* truncated if longer */
    char instance_id[128]; /* truncated if longer */
    uint64_t version;
    int is_chunk;
    uint32_t index, count; /* 0 and 1 for a whole snapshot */
    uint64_t total_length; /* of the whole framed snapshot */
    uint64_t total_checksum;
} rl_snapshot_id;

/* Says what a message value is (whole snapshot or chunk, model, version) after verifying its
 * frame; a whole snapshot is fully decoded to find out. */
rl_err rl_snapshot_peek(const void *p, size_t len, rl_snapshot_id *id, char *errstr,
                        size_t errstr_size);

/* Cuts a framed snapshot into messages of at most max_size bytes (0 = default). When it fits,
 * one message: the snapshot itself. Otherwise *n_out "RLSC" chunks. *out is a malloc'd array
 * of n_out buffers; free with rl_snapshot_chunks_free. model/instance/version must be those
 * inside the snapshot (they are copied into every chunk header). */
rl_err rl_snapshot_split(const void *framed, size_t len, const char *model_name,
                         const char *instance_id, uint64_t version, size_t max_size, rl_buf **out,
                         size_t *n_out, char *errstr, size_t errstr_size);
void rl_snapshot_chunks_free(rl_buf *chunks, size_t n);

/* Reassembles whole snapshots from message values in any order. It keeps up to
 * RL_SNAPSHOT_ASM_SLOTS partial snapshots (by model, instance, version) at once, dropping the
 * oldest partial one when a new one starts, and refuses any whose total length exceeds
 * max_total (0 = RL_FRAME_MAX_RAW). */
#define RL_SNAPSHOT_ASM_SLOTS 4
typedef struct rl_snapshot_asm rl_snapshot_asm;
rl_err rl_snapshot_asm_new(uint64_t max_total, rl_snapshot_asm **out, char *errstr,
                           size_t errstr_size);
void rl_snapshot_asm_destroy(rl_snapshot_asm *a); /* NULL: no-op */
/* Feeds one message value. When it completes a snapshot (or is a whole one), *complete = 1
 * and the verified framed snapshot is moved into `whole` (rl_buf, replaced), with *id saying
 * which; otherwise *complete = 0. A corrupt chunk, a chunk inconsistent with the others of its
 * version, or a reassembly whose checksum fails returns an error (the partial snapshot is
 * dropped); the assembler stays usable. id and whole may be NULL when complete is not needed. */
rl_err rl_snapshot_asm_add(rl_snapshot_asm *a, const void *p, size_t len, int *complete,
                           rl_snapshot_id *id, rl_buf *whole, char *errstr, size_t errstr_size);
/* Chunks still missing for the partial snapshot of (model, version), or -1 if none pending. */
int64_t rl_snapshot_asm_missing(const rl_snapshot_asm *a, const char *model_name, uint64_t version);

#endif
