/* learner.h - the contract every online learner implements, and the registry that names them.
 *
 * A learner is a linear model over a hashed sparse feature space of 2^bits weights (plus an
 * optional dense block of dense_dim weights and a bias) that learns one example at a time.
 * Learners are plug-ins: each file defines a `static const struct rl_learner_ops` table and an
 * object that embeds `struct rl_learner` first (sqlite's subclassing); callers know them only
 * through rl_learner_find() and the rl_learner_* wrappers below.
 *
 * Ownership: a learner owns its weights and optimizer state; callers own the examples they pass
 * in, which are only read during the call. Nothing here allocates per example, does I/O or
 * prints. Warm start is the point: export_state() captures *everything* that influences future
 * updates (weights, accumulators, counters, schedule position, RNG-free), so a learner rebuilt
 * with import_state() and fed the rest of a stream ends bitwise identical to one that never
 * stopped. */
#ifndef RL_LEARNER_H
#define RL_LEARNER_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"

#define RL_LEARNER_OPS_VERSION 1
#define RL_BITS_MIN            10
#define RL_BITS_MAX            30
#define RL_CLASSES_MAX         1024

/* The largest feature value (in magnitude) the learners take. Their state is float, and they
 * square values (x^2 overflows float above ~1.8e19: one such value made the default learner's
 * counters NaN for good, and every later checkpoint unloadable); 1e18 leaves room for the sums
 * of squares. The readers and the event decoder refuse larger values as bad input. */
#define RL_FEATURE_VALUE_MAX 1e18f

/* One active sparse feature: index already hashed into [0, 2^bits). */
typedef struct rl_feature {
    uint32_t index;
    float value;
} rl_feature;

/* One labeled example, as the learners see it. The label convention depends on the task:
 *   binary:     0 or 1 (the learners map to -1/+1 internally where the math wants it);
 *   regression: any finite value (Poisson: a non-negative count);
 *   multiclass: a class id 0..n_classes-1 stored as a float.
 * weight is the importance weight (1 = ordinary; 0 = predict only). */
typedef struct rl_example {
    float label;
    float weight;
    const rl_feature *feats;
    uint32_t n_feats;
    const float *dense; /* dense_dim values or NULL when the event has no dense block */
    uint32_t n_dense;   /* must equal the learner's dense_dim when dense != NULL */
    /* Each feature's namespace byte (interactions.h), or NULL (all ' '). Read only by the
     * interaction expansion (model.c, the snapshot predictor); learners never look at it. */
    const uint8_t *ns;
} rl_example;

typedef enum rl_task {
    RL_TASK_BINARY = 0,
    RL_TASK_REGRESSION,
    RL_TASK_MULTICLASS,
} rl_task;

/* What a learner says about one example before learning from it. */
typedef struct rl_pred {
    double score;     /* raw linear output (margin); for multiclass the winning class's score */
    double value;     /* in label space: P(y=1) for probabilistic binary learners, the margin's
                         sign mapped to 0/1 otherwise; the predicted mean for regression/Poisson;
                         the predicted class id for multiclass */
    double prob;      /* P(y=1) (binary) or P(predicted class) (multiclass) if the learner is
                         probabilistic (logistic, softmax); NAN otherwise */
    double prob_true; /* multiclass: probability given to the true class (for log loss), or NAN
                         when the learner is not probabilistic; filled by learn() only */
    int32_t cls;      /* predicted class: 0/1 binary, class id multiclass, -1 regression */
} rl_pred;

typedef enum rl_loss {
    RL_LOSS_LOGISTIC = 0,
    RL_LOSS_HINGE,
    RL_LOSS_SQUARED,
    RL_LOSS_POISSON,
} rl_loss;

typedef enum rl_schedule {
    RL_SCHED_NORMALIZED = 0, /* default: per-coordinate normalized adaptive, scale-invariant
                                (Ross, Mineiro, Langford 2013, "NAG"), as VW's default */
    RL_SCHED_CONSTANT,       /* eta_t = eta0 */
    RL_SCHED_INVSCALING,     /* eta_t = eta0 / (t0 + t)^power_t */
    RL_SCHED_ADAGRAD,        /* eta_i = eta0 / sqrt(sum g_i^2 + eps) */
    RL_SCHED_PEGASOS,        /* eta_t = 1 / (lambda t), lambda = l2 (hinge: linear SVM) */
} rl_schedule;

/* Namespace interactions (interactions.h): up to RL_INTERACTIONS_MAX terms of 2 or 3
 * namespace bytes. Carried with the learner parameters so checkpoints and snapshots keep them;
 * the model expands examples with them before its learner sees them (learners never read it). */
#define RL_INTERACTIONS_MAX 16
typedef struct rl_interactions {
    uint32_t n;                       /* terms */
    uint8_t len[RL_INTERACTIONS_MAX]; /* 2 or 3 */
    uint8_t ns[RL_INTERACTIONS_MAX][3];
} rl_interactions;

/* Hyperparameters of every learner; each learner reads the ones it uses and validates them.
 * Start from rl_learner_params_default() and set fields or keys. */
typedef struct rl_learner_params {
    char learner[32];     /* registry name: "sgd", "perceptron", "avg_perceptron", "ogd",
                             "ftrl", "softmax" */
    rl_loss loss;         /* sgd: logistic (default), hinge, squared, poisson */
    rl_schedule schedule; /* sgd/ogd/softmax: learning-rate schedule */
    uint32_t bits;        /* 2^bits sparse weights, RL_BITS_MIN..RL_BITS_MAX; default 18 */
    uint32_t dense_dim;   /* size of the optional dense block; 0 = none */
    uint32_t n_classes;   /* softmax: number of classes, 2..RL_CLASSES_MAX */
    double eta;           /* base learning rate (default 0.5, VW's) */
    double power_t;       /* invscaling exponent (default 0.5) */
    double t0;            /* invscaling offset (default 1) */
    double l1;            /* L1 strength (sgd: truncated/clipped; ftrl: lambda1) */
    double l2;            /* L2 strength (sgd: weight decay; ftrl: lambda2; pegasos lambda) */
    double ftrl_alpha;    /* FTRL-Proximal alpha (default 0.5) */
    double ftrl_beta;     /* FTRL-Proximal beta (default 1) */
    double radius;        /* ogd: radius of the L2 ball the weights are projected onto */
    int bias;             /* 1 = learn a bias term (default 1) */
    rl_interactions interactions; /* key "interactions" (adds terms; every learner takes it) */
    /* Which keys rl_learner_params_set was given (one bit each, in the order of its "known"
     * list); rl_learner_new refuses a key the learner has no use for, instead of ignoring it.
     * Not stored: a checkpoint's config is complete, not somebody's choice of keys. */
    uint32_t set_keys;
} rl_learner_params;

/* The shared part of every learner. Implementations embed this first. */
typedef struct rl_learner {
    const struct rl_learner_ops *ops;
    rl_learner_params params;
    rl_task task;
    uint64_t updates; /* examples learned from (weight > 0) */
    double lr_scale;  /* multiplies the learning rate; 1 normally, >1 while a drift "boost"
                         decays (the model owns the decay; learners only apply it) */
} rl_learner;

/* Read-only view of the model's parameters, for snapshots, inspection and diffs.
 * n_classes > 1 (softmax): w holds n_classes rows of n_sparse weights, row-major, dense likewise,
 * bias has n_classes entries. Pointers stay valid until the next mutating call. */
typedef struct rl_weights {
    const float *w;     /* n_rows * n_sparse */
    uint64_t n_sparse;  /* 2^bits */
    const float *dense; /* n_rows * dense_dim or NULL */
    uint32_t dense_dim;
    const float *bias; /* n_rows */
    uint32_t n_rows;   /* 1, or n_classes for softmax */
} rl_weights;

/* Everything predict() computes a score from, so that a published snapshot scores exactly as the
 * learner (docs/FORMAT.md, "Scoring"). Each row's score is, in this order and in float (double
 * for multiclass, whose products are summed in double per class):
 *   sum over the example's features, in their order, of w[slot] * clip(x, N[slot]),
 *   then over the dense block, in order, of dense[j] * clip(x_j, N_dense[j]),
 *   then bias * clip(1, N_bias);
 * the float sum times score_scale (in double). clip(x, N) is copysign(N, x) when N > 0 and
 * |x| > N, else x; without scales there is no clipping. */
typedef struct rl_scoring {
    rl_weights w;       /* the weights predict() multiplies (pegasos: before score_scale) */
    double score_scale; /* 1 except for pegasos, which keeps its weights as score_scale * w */
    /* Per-coordinate clip scales N >= 0 (the normalized schedules' largest |x| seen), coordinate
     * i at scale_sparse[i * scale_stride], likewise dense and bias; all NULL: no clipping. A
     * NULL scale_bias with the others set means the bias is never clipped (sgd). */
    const float *scale_sparse, *scale_dense, *scale_bias;
    size_t scale_stride;
} rl_scoring;

struct rl_learner_ops {
    int version;         /* RL_LEARNER_OPS_VERSION */
    const char *name;    /* registry and config name, e.g. "ftrl" */
    const char *summary; /* one line for --help */
    /* The parameter keys it reads besides learner, bits and dense_dim (space-separated), so a
     * key given for another learner is refused, not ignored; NULL: takes every key. */
    const char *params;
    /* Validates p (errstr says which field and what is allowed), allocates. */
    rl_err (*create)(const rl_learner_params *p, rl_learner **out, char *errstr,
                     size_t errstr_size);
    /* Predict without learning. Never allocates. */
    void (*predict)(const rl_learner *l, const rl_example *ex, rl_pred *out);
    /* Test-then-train in one pass: fills *out with the prediction made *before* the update
     * (identical to predict()), then updates. Returns the example's loss under that prediction
     * (the learner's own loss; unweighted). Never allocates. */
    double (*learn)(rl_learner *l, const rl_example *ex, rl_pred *out);
    /* Back to a fresh model with the same parameters. */
    void (*reset)(rl_learner *l);
    /* Appends the full state (little-endian, own format version first) to out. */
    rl_err (*export_state)(const rl_learner *l, rl_buf *out);
    /* Replaces the state with one exported by the same learner kind and shape. */
    rl_err (*import_state)(rl_learner *l, const void *p, size_t len, char *errstr,
                           size_t errstr_size);
    void (*weights)(const rl_learner *l, rl_weights *out);
    /* Starts from published weights only (snapshot): copies w into the model and resets the
     * optimizer state to what a fresh model would have, so it keeps learning sensibly. */
    rl_err (*set_weights)(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size);
    void (*destroy)(rl_learner *l);
    /* Optional (NULL: none), added after version 1 without changing it: a table that ends
     * before this field leaves it NULL. A hint that ex will be learned soon: asks the memory
     * system for the state ex's coordinates live in, so a caller with other work to do first
     * (reading the next lines) overlaps the cache misses with it. Changes no model state, but
     * a learner may take it as a sign that the caller prefetches and stop asking again itself
     * (sgd does): a caller that calls it should call it for every example it learns. */
    void (*prefetch)(rl_learner *l, const rl_example *ex);
    /* Optional (NULL: rl_learner_import_from reads the state into memory and calls
     * import_state), added like prefetch: import_state from a stream of exactly len bytes,
     * reading the bulk of the state straight into the learner's arrays (a checkpoint load then
     * copies the weights once, not twice). Unlike import_state it may leave the learner
     * half-written when it fails, so it is only for a learner that is discarded on error. */
    rl_err (*import_state_from)(rl_learner *l, const rl_byte_stream *src, size_t len, char *errstr,
                                size_t errstr_size);
    /* Optional (NULL: weights() with no clipping and score_scale 1), added like prefetch: what
     * predict() computes from (rl_scoring). Pointers stay valid until the next mutating call. */
    void (*scoring)(const rl_learner *l, rl_scoring *out);
};

/* ---- registry ---- */
/* NULL-terminated list of every learner. */
const struct rl_learner_ops *const *rl_learner_all(void);
const struct rl_learner_ops *rl_learner_find(const char *name);

/* ---- parameters ---- */
void rl_learner_params_default(rl_learner_params *p);
/* Sets one hyperparameter by config key ("learner", "loss", "schedule", "bits", "dense_dim",
 * "classes", "eta", "power_t", "t0", "l1", "l2", "alpha", "beta", "radius", "bias",
 * "interactions": adds terms, see interactions.h), checking type and
 * bounds. errstr names the key, the value and what is allowed. */
rl_err rl_learner_params_set(rl_learner_params *p, const char *key, const char *value, char *errstr,
                             size_t errstr_size);
/* 1 when the learner named reads key (a key it does not read is refused when set; bits,
 * dense_dim, learner and interactions: every learner's; an unknown learner: 1). */
int rl_learner_takes(const char *learner, const char *key);
/* Appends "key=value ..." lines of every set parameter, for --check-config and inspect. */
size_t rl_learner_params_format(const rl_learner_params *p, char *out, size_t out_size);
const char *rl_loss_name(rl_loss l);
const char *rl_schedule_name(rl_schedule s);
const char *rl_task_name(rl_task t);

/* ---- calls through the ops table ---- */
rl_err rl_learner_new(const rl_learner_params *p, rl_learner **out, char *errstr,
                      size_t errstr_size);
void rl_learner_destroy(rl_learner *l); /* NULL: no-op */
static inline void rl_learner_predict(const rl_learner *l, const rl_example *ex, rl_pred *out)
{
    l->ops->predict(l, ex, out);
}
static inline double rl_learner_learn(rl_learner *l, const rl_example *ex, rl_pred *out)
{
    return l->ops->learn(l, ex, out);
}
static inline void rl_learner_prefetch(rl_learner *l, const rl_example *ex)
{
    if (l->ops->prefetch)
        l->ops->prefetch(l, ex);
}
void rl_learner_reset(rl_learner *l);
rl_err rl_learner_export(const rl_learner *l, rl_buf *out);
rl_err rl_learner_import(rl_learner *l, const void *p, size_t len, char *errstr,
                         size_t errstr_size);
/* Imports a state of len bytes read from src (the op above, or through a buffer). On error the
 * learner's state is unspecified: destroy it. */
rl_err rl_learner_import_from(rl_learner *l, const rl_byte_stream *src, size_t len, char *errstr,
                              size_t errstr_size);
void rl_learner_weights(const rl_learner *l, rl_weights *out);
rl_err rl_learner_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size);
void rl_learner_scoring(const rl_learner *l, rl_scoring *out);

/* ---- from a score to a prediction (the link functions; the same code predict() runs) ---- */
/* The prediction for a score under a loss: logistic P(y=1), hinge the sign, squared the score,
 * poisson exp(score) (docs/FORMAT.md, "Output"). */
void rl_loss_fill_pred(rl_loss loss, double z, rl_pred *out);
/* Softmax of k scores into p (may alias z), max-shifted; returns log-sum-exp, *best = argmax
 * (the first of equal maxima). */
double rl_softmax_probs(const double *z, uint32_t k, double *p, uint32_t *best);
/* The prediction for k class scores: the argmax's score, id and probability (p: the k
 * probabilities, filled). */
void rl_softmax_fill_pred(const double *z, uint32_t k, double *p, rl_pred *out);

#endif
