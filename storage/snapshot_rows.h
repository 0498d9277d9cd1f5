/* snapshot_rows.h - the WeightRow coding shared by the snapshot codec (not public). */
#ifndef RL_SNAPSHOT_ROWS_H
#define RL_SNAPSHOT_ROWS_H

#include <stdint.h>

#include "learners/learner.h"
#include "proto/snapshot.pb-c.h"
#include "storage/snapshot.h"

/* Fills r with the n slot values of w, sparse when that is smaller than 4 bytes per slot
 * (dense_weights then points into w; sparse arrays are malloc'd, the caller frees them). */
rl_err rl_snap_row_to_pb(const float *w, uint64_t n, Relearn__WeightRow *r, char *errstr,
                         size_t errstr_size);
/* Snapshot.scales from a learner's scoring view; *buf (caller frees) holds the gathered scales,
 * which out's dense arrays may point into. */
rl_err rl_snap_scales_to_pb(const rl_scoring *sc, Relearn__WeightRow *out, float **buf,
                            char *errstr, size_t errstr_size);
/* Row r of a decoded message into out, checked against 2^bits = n_sparse and dense_dim; the
 * arrays move from in to out (in's are left NULL). */
rl_err rl_snap_row_from_pb(Relearn__WeightRow *in, uint32_t r, uint64_t n_sparse,
                           uint32_t dense_dim, rl_snapshot_row *out, char *errstr,
                           size_t errstr_size);
/* Snapshot.scales into s->scales (format 2 or later only; every scale finite and >= 0). */
rl_err rl_snap_scales_from_pb(Relearn__WeightRow *in, rl_snapshot *s, char *errstr,
                              size_t errstr_size);

#endif
