/* rld_gate.h - relearnd's promotion gate: the published version beside the learner.
 *
 * When a version is promoted, its own scoring function (storage/predictor.h, built from the
 * bytes being published) becomes the reference the model scores every later event with
 * (model.h, "promotion gate"), and the bytes are kept as reference-<version>.rlsn in the
 * checkpoint directory; the gate's pairs (and the version they were scored against) are saved
 * as gate-<seq>.rlgt with each checkpoint, so a restart from a checkpoint picks up the same pairs
 * and reference. At each snapshot tick the gate decides on the candidate (model/gate.h). */
#ifndef RLD_GATE_H
#define RLD_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"
#include "storage/predictor.h"

typedef struct rld_daemon rld_daemon;

/* Owned by rld_gate.c. */
typedef struct rld_gate {
    rl_predictor *ref; /* NULL: no reference (nothing promoted yet, or its file is gone) */
    uint64_t version;
    double *probs; /* per-class scratch for a multiclass reference */
    uint32_t rows;
} rld_gate;

/* After the model is loaded from checkpoint ckpt_seq (0: none), and again after a roll-back
 * replaced it: turns the gate on with [snapshot]'s gate_* keys, reads the pairs saved with that
 * checkpoint and loads the reference they belong to. Missing or damaged files are logged (the
 * gate starts empty, or the next candidate goes out unchecked); only bad configuration fails. */
rl_err rld_gate_start(rld_daemon *d, uint64_t ckpt_seq, char *errstr, size_t errstr_size);

/* After checkpoint seq is written: saves the gate's pairs as gate-<seq>.rlgt beside it. They
 * are not in the checkpoint: they depend on when versions went out, which depends on timing,
 * while a checkpoint's model state is a function of the events alone (kill -9 equality). */
rl_err rld_gate_save(rld_daemon *d, uint64_t seq, char *errstr, size_t errstr_size);

/* At a snapshot tick: 1 when the candidate must be held back (logged, counted, alerted with
 * by how much and over how many events). forced (SIGUSR1) never holds; it is logged. */
int rld_gate_holds(rld_daemon *d, int forced, uint64_t position);

/* A candidate is going out as `version`: it becomes the reference from this event on (the
 * point is the tick, not the delivery report, so a replay after a crash switches at the same
 * event). Failures are logged and leave the gate without a reference. */
void rld_gate_promote(rld_daemon *d, const void *framed, size_t len, uint64_t version);

void rld_gate_free(rld_gate *g);

#endif
