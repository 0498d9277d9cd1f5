/* ckpt.h - checkpoints: the whole learning state of one model, written so that it can never be
 * corrupted silently, and the file framing shared with snapshots.
 *
 * A checkpoint (proto/checkpoint.proto) holds the model config, the three state blobs of
 * rl_model_export() verbatim, the next offset to read per (topic, partition), counters (events,
 * checkpoint seq, last published snapshot version) and the feature-name dictionary. Loading one
 * and continuing gives exactly the model that never stopped (bitwise).
 *
 * File framing (redis rdb style), little-endian, for every relearn file:
 *   0  magic[4]          "RLCK" checkpoint, "RLSN" snapshot, "RLSC" snapshot chunk
 *   4  u16 container     RL_FRAME_VERSION (1); a newer one is refused, never guessed at
 *   6  u16 flags         RL_FRAME_ZSTD: payload is a zstd frame of raw_len bytes;
 *                        RL_FRAME_ZERO_RUNS: payload (after zstd, if also set) is the zero-run
 *                        coding of raw_len bytes (zero_runs.h), shorter than they are
 *   8  u64 payload_len   stored payload bytes
 *  16  u64 raw_len       payload bytes after decompression (= payload_len when not compressed)
 *  24  payload           the protobuf message
 *  24+payload_len  u64   XXH3-64 (seed 0) of every byte before it (header + payload)
 * Each message also carries its own format_version, checked after the frame.
 *
 * Writing is atomic (rl_ckpt_write_file): a temp file in the same directory, write, fsync,
 * close, rename, fsync of the directory; mode 0600; a world-writable directory is refused. A
 * checkpoint directory holds ckpt-<seq, 20 digits>.rlck files; the last K are kept, and loading
 * picks the newest that verifies, reporting (never printing) every file it skips.
 *
 * Ownership: an rl_ckpt owns everything it points to (rl_ckpt_clear frees it). Functions that
 * take a const rl_ckpt only read it. Errors name the path or the field and the reason. */
#ifndef RL_CKPT_H
#define RL_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/dict.h"
#include "model/model.h"
#include "common/rl_common.h"
#include "storage/file_io.h"
#include "storage/frame.h"

/* ---- checkpoint ---- */
#define RL_CKPT_FORMAT_VERSION 1
#define RL_CKPT_KEEP_DEFAULT   3

typedef struct rl_ckpt_offset {
    char *topic; /* owned */
    int32_t partition;
    int64_t next_offset; /* the next offset to read */
} rl_ckpt_offset;

typedef struct rl_ckpt {
    uint32_t format_version;   /* as read; RL_CKPT_FORMAT_VERSION when written */
    char *model_name;          /* owned, never NULL after init ("" when unset) */
    char *instance_id;         /* owned, never NULL after init */
    uint64_t seq;              /* checkpoint sequence number */
    int64_t created_ms;        /* 0: rl_ckpt_encode stamps the current time */
    uint64_t events;           /* events stepped through the model */
    uint64_t snapshot_version; /* last published snapshot version, 0 = none */
    int has_published_loss;    /* published_loss is known (finite) */
    double published_loss;     /* recent loss of snapshot_version at publish (promotion gate) */
    rl_model_config config;
    rl_buf learner_state, detector_state, rest_state; /* rl_model_export blobs */
    rl_ckpt_offset *offsets;
    size_t n_offsets;
    rl_dict *dict; /* owned; NULL = no dictionary */
    /* Filled by decode/read: how the bytes were stored. */
    rl_frame_info frame;
    /* Private: after rl_ckpt_read_file the three state blobs point into the file's bytes (or
     * the decompressed payload) instead of owning copies, which saves a pass over the weights;
     * rl_ckpt_clear releases it, and rl_ckpt_from_model detaches first. Treat the blobs as
     * read-only. Reading into an rl_ckpt that holds such a buffer reuses it (no fresh pages). */
    void *backing_;
    size_t backing_len_;
    size_t backing_cap_; /* bytes allocated at backing_ */
} rl_ckpt;

void rl_ckpt_init(rl_ckpt *c);
void rl_ckpt_clear(rl_ckpt *c); /* frees everything; c is re-initialized. NULL: no-op */
rl_err rl_ckpt_set_ids(rl_ckpt *c, const char *model_name, const char *instance_id, char *errstr,
                       size_t errstr_size);
/* Adds or replaces the position of (topic, partition). */
rl_err rl_ckpt_set_offset(rl_ckpt *c, const char *topic, int32_t partition, int64_t next_offset,
                          char *errstr, size_t errstr_size);
/* The stored next offset of (topic, partition), or -1 when absent. */
int64_t rl_ckpt_get_offset(const rl_ckpt *c, const char *topic, int32_t partition);

/* Captures the model: config, the three blobs and events = rl_model_position(). Leaves ids,
 * seq, offsets, counters and dict as they are. */
rl_err rl_ckpt_from_model(rl_ckpt *c, const rl_model *m, char *errstr, size_t errstr_size);
/* Rebuilds the model: rl_model_new(config, cb, opaque) + rl_model_import(blobs). The caller
 * owns *out. */
rl_err rl_ckpt_to_model(const rl_ckpt *c, rl_alert_cb cb, void *opaque, rl_model **out,
                        char *errstr, size_t errstr_size);

/* Write-side flag of rl_ckpt_encode / rl_ckpt_write_file / rl_ckpt_dir_write (never stored):
 * compress only when it pays. The state blobs are sampled; when at least half the sampled
 * bytes are zero (sparse or fresh models) the checkpoint is written with RL_FRAME_ZERO_RUNS |
 * RL_FRAME_ZSTD, else (dense floats, which zstd shrinks ~10% at several times the load time)
 * plain. */
#define RL_CKPT_COMPRESS_AUTO 0x8000u
/* What RL_CKPT_COMPRESS_AUTO resolves to for c: RL_FRAME_ZERO_RUNS | RL_FRAME_ZSTD, or 0.
 * Reads at most ~64 KiB. */
unsigned rl_ckpt_auto_flags(const rl_ckpt *c);

/* Framed bytes appended to out. flags: RL_FRAME_ZSTD, RL_CKPT_COMPRESS_AUTO or 0 (zero runs are
 * a file writer's coding: RL_FRAME_ZERO_RUNS, also from AUTO, is ignored here). */
rl_err rl_ckpt_encode(const rl_ckpt *c, unsigned flags, rl_buf *out, char *errstr,
                      size_t errstr_size);
/* Parses framed bytes into c (c must be initialized; it is cleared first, and left cleared on
 * error). The blobs are copies; rl_ckpt_read_file leaves them in the file's bytes instead. Refuses
 * a newer container or format version with RL_ERR_VERSION, a bad checksum with RL_ERR_CHECKSUM, any
 * malformed or inconsistent field with RL_ERR_FORMAT. */
rl_err rl_ckpt_decode(const void *p, size_t len, rl_ckpt *c, char *errstr, size_t errstr_size);

/* Atomic write / read of one file (errors name the path). The write hashes each piece as it
 * writes it; flags: RL_FRAME_ZSTD, RL_FRAME_ZERO_RUNS (used only when the coding saves at least
 * an eighth of the payload: a dense state stays readable by builds that predate the coding),
 * RL_CKPT_COMPRESS_AUTO, or 0. The read reads the file (not mapped: see rl_fmt_file_load in
 * ckpt_internal.h), hashing each chunk as it arrives, and leaves the state blobs in that buffer;
 * when c already holds a checkpoint read this way, its buffer is reused for the new one (a process
 * that loads repeatedly fills memory that is already mapped). c is cleared first either way. */
rl_err rl_ckpt_write_file(const char *path, const rl_ckpt *c, unsigned flags, char *errstr,
                          size_t errstr_size);
rl_err rl_ckpt_read_file(const char *path, rl_ckpt *c, char *errstr, size_t errstr_size);

/* One call for `relearn eval --save FILE`: checkpoint of m (seq 0, no offsets) written
 * atomically to path, coded as relearnd would (RL_CKPT_COMPRESS_AUTO). dict may be NULL. */
rl_err rl_ckpt_save_model_file(const char *path, const rl_model *m, const char *model_name,
                               const rl_dict *dict, char *errstr, size_t errstr_size);

/* ---- checkpoint directory ---- */
/* Called for each checkpoint file skipped while loading: path and why (err + reason text). */
typedef void (*rl_ckpt_report_cb)(void *opaque, const char *path, rl_err err, const char *reason);

/* Creates dir (0700) when missing; refuses one that is not a directory or is world-writable. */
rl_err rl_ckpt_dir_prepare(const char *dir, char *errstr, size_t errstr_size);
/* dir/ckpt-<seq 20 digits>.rlck into path_out (path_size bytes). */
rl_err rl_ckpt_dir_path(const char *dir, uint64_t seq, char *path_out, size_t path_size);
/* Writes c as dir/ckpt-<c->seq>.rlck atomically, then (only once it is durable) deletes all
 * but the newest `keep` checkpoint files (keep 0 = RL_CKPT_KEEP_DEFAULT). A failure to prune
 * is not an error of the write: it is reported through cb (may be NULL). path_out may be NULL. */
rl_err rl_ckpt_dir_write(const char *dir, const rl_ckpt *c, unsigned flags, uint32_t keep,
                         rl_ckpt_report_cb cb, void *opaque, char *path_out, size_t path_size,
                         char *errstr, size_t errstr_size);
/* Loads the checkpoint at path into a new model (*out, the caller's to destroy) and c (everything
 * but the learner's state, which has gone into the model: c->learner_state is not to be used).
 * The learner reads its state straight from the file while the file is checked, so the
 * weights are copied once instead of twice (ckpt_load.c); on any surprise the file is read
 * again the buffered way (rl_ckpt_read_file + rl_ckpt_to_model), whose result and message
 * stand. *stage (may be NULL) tells where an error came from: 0 reading or verifying the file,
 * 1 building a model from a file that verified. */
rl_err rl_ckpt_load_model(const char *path, rl_ckpt *c, rl_alert_cb cb, void *opaque,
                          rl_model **out, int *stage, char *errstr, size_t errstr_size);

/* Loads the newest checkpoint in dir that verifies into c; every newer one that does not is
 * reported through cb (may be NULL) and skipped. RL_ERR_NOT_FOUND when none verifies (or the
 * directory holds none); path_out (may be NULL) gets the file loaded. */
rl_err rl_ckpt_dir_load_newest(const char *dir, rl_ckpt *c, rl_ckpt_report_cb cb, void *opaque,
                               char *path_out, size_t path_size, char *errstr, size_t errstr_size);
/* The same, loading the model as rl_ckpt_load_model does (*out: the caller's to destroy). A
 * file that verifies but cannot become a model (stage 1) is an error, not skipped: it says
 * the configuration or the build disagrees with the checkpoint, which an older file would not
 * fix. */
rl_err rl_ckpt_dir_load_newest_model(const char *dir, rl_ckpt *c, rl_ckpt_report_cb cb,
                                     void *opaque, rl_alert_cb alert_cb, void *alert_opaque,
                                     rl_model **out, char *path_out, size_t path_size, char *errstr,
                                     size_t errstr_size);

#endif
