/* model_int.h - what a relearn_model holds, shared by librelearn's files (not installed).
 *
 * A model is the decoded snapshot plus what scoring needs, all built once at open and never
 * written again, so any number of threads read it without locks. Its reference count is the
 * only mutable field. */
#ifndef RELEARN_MODEL_INT_H
#define RELEARN_MODEL_INT_H

#include <stdatomic.h>

#include "learners/features.h"
#include "learners/learner.h"
#include "storage/predictor.h"
#include "relearn.h"
#include "storage/snapshot.h"

/* What relearn_predict reports as output, decided once from the learner at open. */
enum relearn_output {
    RELEARN_OUT_PROBABILITY, /* binary, probabilistic: P(y=1) */
    RELEARN_OUT_SCORE,       /* the raw score (regression with squared loss, hinge, perceptron) */
    RELEARN_OUT_MEAN,        /* Poisson: the predicted mean exp(score) */
    RELEARN_OUT_CLASSES,     /* softmax: class probabilities */
};

struct relearn_model {
    atomic_uint refs;
    rl_snapshot snap;
    rl_hasher hasher;
    /* The scorer: exactly the publishing learner's predict (read-only, allocation-free). */
    rl_predictor *pred;
    enum relearn_output output;
    uint32_t n_outputs;
};

/* Takes ownership of *snap (moved out and re-initialized) and builds a model around it. */
relearn_err rl_relearn_model_adopt(rl_snapshot *snap, relearn_model **out, char *errstr,
                                   size_t errstr_size);

#endif
