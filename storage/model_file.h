/* model_file.h - one view over any relearn model file, checkpoint or snapshot, for the tools
 * that look into them (inspect, diff, verify).
 *
 * rl_model_file_open() reads the file, tells the kind by its magic, verifies it fully (frame,
 * checksum, version, structure; a checkpoint is also rebuilt into a model, which checks every
 * state blob) and exposes the weights as one dense rl_weights view. Everything is owned by the
 * rl_model_file and freed by rl_model_file_close(). */
#ifndef RL_MODEL_FILE_H
#define RL_MODEL_FILE_H

#include "storage/ckpt.h"
#include "storage/snapshot.h"

typedef enum rl_file_kind {
    RL_FILE_CHECKPOINT = 1,
    RL_FILE_SNAPSHOT,
    RL_FILE_CHUNK, /* one chunk of a snapshot: verifiable, but holds no model by itself */
} rl_file_kind;

typedef struct rl_model_file {
    rl_file_kind kind;
    size_t file_len;
    rl_ckpt ckpt;         /* kind == CHECKPOINT */
    rl_model *model;      /* rebuilt from the checkpoint */
    rl_snapshot snap;     /* kind == SNAPSHOT */
    rl_snapshot_id chunk; /* kind == CHUNK */
    const rl_frame_info *frame;
    const rl_learner_params *params;
    uint64_t hash_seed;
    const rl_dict *dict; /* may be NULL */
    rl_weights w;        /* not for chunks */
    float *owned;        /* snapshot: the expanded weights */
} rl_model_file;

/* Opens and verifies path; f is initialized by this call. On error f needs no close. */
rl_err rl_model_file_open(const char *path, rl_model_file *f, char *errstr, size_t errstr_size);
void rl_model_file_close(rl_model_file *f);
const char *rl_file_kind_name(rl_file_kind k);

/* The weights as one flat vector, row by row: n_sparse slot weights, dense_dim dense-block
 * weights, then the bias. */
uint64_t rl_model_file_dim(const rl_model_file *f);
float rl_model_file_get(const rl_model_file *f, uint64_t i);
/* Row-major copy of the flat vector into out (rl_model_file_dim floats). */
void rl_model_file_flatten(const rl_model_file *f, float *out);
/* A readable name for flat index i: the dictionary's feature name when known, else
 * "slot N", "dense[j]" or "bias"; prefixed "class R:" when there are several rows. Names are
 * arbitrary bytes: non-printable ones are shown as \xNN. */
void rl_model_file_label(const rl_model_file *f, uint64_t i, char *out, size_t out_size);
/* Indices of the k entries of v[0..n) largest in magnitude, largest first (ties: lower index
 * first), into idx (room for k). Returns how many (min(k, n)). Entries that are exactly zero
 * are skipped when skip_zero. O(n log k), no allocation. */
size_t rl_top_abs(const float *v, uint64_t n, size_t k, int skip_zero, uint64_t *idx);
/* The slot of flat index i, or -1 when it is a dense-block weight or the bias. */
int64_t rl_model_file_slot(const rl_model_file *f, uint64_t i);

#endif
