/* relearn.h - librelearn, the scoring library: open a published model version, predict with it.
 *
 * relearnd publishes versioned snapshots of the model it learns (to a Kafka topic, or as a file
 * with `relearn snapshots --get VERSION -o FILE`). librelearn turns one into a scoring function:
 *   - relearn_model_open_file / _open_bytes / _open_chunks: decode and verify a snapshot (frame
 *     checksum, chunk reassembly; a newer format is refused with RELEARN_ERR_VERSION);
 *   - relearn_predict / _batch: score events whose features are given by name (hashed exactly as
 *     relearn's readers hash them: "ns^name" for namespaced text features, "name=value" for
 *     categorical ones) or by index (libsvm / CSV / Event indices);
 *   - relearn_explain: the per-feature contributions behind a prediction, largest first;
 *   - relearn_model_info / _range: version, parent, learner, metrics at publish, offsets covered;
 *   - relearn_follower: follows the snapshot topic for one model name and swaps each new version
 *     in atomically, so a server always scores with one whole, verified version.
 *
 * Threads: a relearn_model is immutable once opened. Any number of threads may predict and
 * explain with one model at once, without locks. relearn_predict allocates nothing and does no
 * I/O: its scratch is on the stack (2 KiB for events of up to 256 features, ~72 KiB for up to
 * RELEARN_MAX_FEATURES; relearn_explain ~170 KiB), so give threads that call them a stack of
 * at least 256 KiB. A follower's functions may be called from any thread.
 *
 * Ownership: handles are opaque. Every _open/_new has a matching _release/_destroy that accepts
 * NULL. A model is reference counted: relearn_model_ref() adds a reference, relearn_model_release()
 * drops one, and the last release frees it. Strings and arrays a function returns point into the
 * model and stay valid while the caller holds a reference. Inputs are only read during the call.
 *
 * Errors: functions return a relearn_err (RELEARN_OK = 0) and, where they can say more, write a
 * NUL-terminated message naming the input and the reason into a caller-supplied buffer
 * (errstr, errstr_size; may be NULL/0). relearn_err_str() gives the code's static text. */
#ifndef RELEARN_H
#define RELEARN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RELEARN_VERSION_STR "0.1.0"

typedef enum relearn_err {
    RELEARN_OK = 0,
    RELEARN_ERR_INVALID_ARG, /* a parameter is missing or out of range */
    RELEARN_ERR_NOMEM,       /* an allocation failed */
    RELEARN_ERR_IO,          /* a file could not be read; errstr names path and reason */
    RELEARN_ERR_FORMAT,      /* not a snapshot, truncated or malformed */
    RELEARN_ERR_VERSION,     /* written by a newer format version: refused, never guessed at */
    RELEARN_ERR_CHECKSUM,    /* the bytes parse but their checksum does not match */
    RELEARN_ERR_NOT_FOUND,   /* no such version (pin), feature or range */
    RELEARN_ERR_MISMATCH,    /* input does not fit the model (dense block length, classes) */
    RELEARN_ERR_BAD_EVENT,   /* an event is unusable: NaN or too large a value, bad protobuf */
    RELEARN_ERR_KAFKA,       /* the broker client failed; errstr has its text */
    RELEARN_ERR_CONFIG,      /* a follower setting is invalid */
    RELEARN_ERR_TIMEOUT,     /* nothing arrived in time */
    RELEARN_ERR__COUNT
} relearn_err;

/* Static text for an error code; never NULL. */
const char *relearn_err_str(relearn_err err);
/* The library's version, RELEARN_VERSION_STR of the build. */
const char *relearn_version(void);

/* ---------------------------------------------------------------- models */
typedef struct relearn_model relearn_model;

/* Opens a snapshot file: a whole snapshot ("RLSN"), as `relearn snapshots --get` writes it. */
relearn_err relearn_model_open_file(const char *path, relearn_model **out, char *errstr,
                                    size_t errstr_size);
/* Opens a snapshot from len bytes at p (a whole snapshot, or the value of a one-message version
 * on the topic). The bytes are copied; the caller keeps p. */
relearn_err relearn_model_open_bytes(const void *p, size_t len, relearn_model **out, char *errstr,
                                     size_t errstr_size);
/* Opens a snapshot published as n messages ("RLSC" chunks of one version, in any order, or one
 * whole snapshot): reassembles, verifies each chunk and the whole. */
relearn_err relearn_model_open_chunks(const void *const *msgs, const size_t *lens, size_t n,
                                      relearn_model **out, char *errstr, size_t errstr_size);
/* Adds a reference; returns m. */
relearn_model *relearn_model_ref(relearn_model *m);
/* Drops a reference; the last one frees the model. NULL: no-op. */
void relearn_model_release(relearn_model *m);

/* What a version is. Strings point into the model. */
typedef struct relearn_info {
    const char *model_name;
    const char *instance_id; /* the relearnd instance that learned and published it */
    uint64_t version;        /* 1, 2, ... per (model, instance) */
    uint64_t parent_version; /* the version it was learned on from (0: none) */
    int64_t created_ms;      /* publish time, ms since the Unix epoch */
    uint64_t events;         /* events learned from when published */
    const char *learner;     /* "sgd", "ftrl", "softmax", ... */
    const char *loss;        /* "logistic", "hinge", "squared", "poisson" */
    const char *task;        /* "binary", "regression", "multiclass" */
    const char *output;      /* what predictions mean: "probability" (binary, probabilistic
                                learners), "mean" (Poisson), "class_probabilities" (softmax),
                                "score" (the raw linear score: everything else) */
    uint32_t n_outputs;      /* values relearn_predict fills in probs: n_classes for softmax,
                                else 0 */
    uint32_t bits;           /* 2^bits hashed slots */
    uint64_t hash_seed;
    uint32_t dense_dim; /* length of the optional dense block */
    uint32_t n_ranges;  /* offset ranges learned from (relearn_model_range) */
    uint32_t dict_size; /* feature names the snapshot carries */
    uint64_t checksum;  /* the snapshot's XXH3-64 */
    /* Metrics at publish (prequential, on the events learned from); has_metrics 0: none and
     * every value NAN. NAN where a metric does not apply to the task. */
    int has_metrics;
    uint64_t metrics_n;
    double accuracy, log_loss, auc, rmse, mae, mean_loss, recent_loss, recent_accuracy;
} relearn_info;

void relearn_model_info(const relearn_model *m, relearn_info *out);

typedef struct relearn_range {
    const char *topic; /* points into the model */
    int32_t partition;
    int64_t first_offset; /* first offset learned from */
    int64_t end_offset;   /* one past the last */
} relearn_range;
/* Range i, 0 <= i < info.n_ranges. */
relearn_err relearn_model_range(const relearn_model *m, uint32_t i, relearn_range *out);

/* ---------------------------------------------------------------- predicting */
/* One feature: by name (name != NULL, name_len bytes, any bytes) or else by index. */
typedef struct relearn_feature {
    const char *name;
    size_t name_len;
    uint64_t index;
    float value;
} relearn_feature;

/* One event to score. dense: NULL, or exactly the model's dense_dim values. */
typedef struct relearn_event {
    const relearn_feature *features;
    size_t n_features;
    const float *dense;
    size_t n_dense;
} relearn_event;

typedef struct relearn_prediction {
    double output; /* what info.output says: P(y=1) for probabilistic binary models, the
                      predicted mean for Poisson, P(best class) for softmax, else the score */
    double score;  /* the raw linear score (softmax: the best class's) */
    int32_t cls;   /* predicted class: 0/1 binary, class id multiclass, -1 regression */
} relearn_prediction;

/* The most features one event may have (relearn_predict hashes them into a stack array). */
#define RELEARN_MAX_FEATURES 8192

/* Scores one event. probs: NULL or room for info.n_outputs class probabilities (softmax).
 * Feature values beyond +-1e18, NaN or infinite, and more than RELEARN_MAX_FEATURES
 * features are refused (RELEARN_ERR_BAD_EVENT), as the readers refuse them; a dense block of the
 * wrong length is RELEARN_ERR_MISMATCH. No allocation, no I/O, no locks: safe from any number of
 * threads at once. */
relearn_err relearn_predict(const relearn_model *m, const relearn_event *ev,
                            relearn_prediction *out, double *probs);
/* n events; probs NULL or n * n_outputs values (row-major). Stops at the first refused event
 * and returns its error with *n_done set to its position (n when all were scored). */
relearn_err relearn_predict_batch(const relearn_model *m, const relearn_event *evs, size_t n,
                                  relearn_prediction *out, double *probs, size_t *n_done);

/* One feature already hashed to its slot (relearn_hash_name / relearn_hash_index), for callers
 * that hash once and score many times. */
typedef struct relearn_slot_feature {
    uint32_t slot; /* masked to 2^bits */
    float value;
} relearn_slot_feature;

/* Scores n pre-hashed features (and dense, NULL or dense_dim values) as relearn_predict scores
 * the same features by name or index: no copy, no hashing. Namespace interactions need names
 * (RELEARN_ERR_MISMATCH for a model with interactions). Same checks, no allocation. */
relearn_err relearn_predict_slots(const relearn_model *m, const relearn_slot_feature *f, size_t n,
                                  const float *dense, size_t n_dense, relearn_prediction *out,
                                  double *probs);

/* The slot a name or an index hashes to, as relearn_predict computes it: for callers that hash
 * once and score many times (features by index are then given as slot indices below 2^bits,
 * which map to themselves). */
uint32_t relearn_hash_name(const relearn_model *m, const void *name, size_t len);
/* A feature value written as decimal text (len bytes, the whole of it), parsed exactly as
 * relearn's readers parse values: the double strtod gives, rounded to float; NaN, infinities
 * and out-of-range values are refused (RELEARN_ERR_BAD_EVENT). For servers that parse
 * requests themselves. */
relearn_err relearn_parse_value(const char *text, size_t len, float *out);
uint32_t relearn_hash_index(const relearn_model *m, uint64_t index);

/* The longest dense block relearn_explain takes. */
#define RELEARN_MAX_DENSE 4096

/* One term of a prediction's score. */
typedef struct relearn_contribution {
    const char *name; /* the feature's name as given, else the snapshot dictionary's name for
                         the slot, else NULL; "(bias)" and "(dense N)" for those terms.
                         Points into the event or the model. */
    size_t name_len;
    uint32_t slot;       /* hashed slot (for dense terms: N; bias: 0) */
    int kind;            /* RELEARN_TERM_FEATURE, _DENSE or _BIAS */
    float value;         /* the feature's value */
    float weight;        /* the model's weight for it (row `row`) */
    double contribution; /* weight * value: its share of the score */
} relearn_contribution;
#define RELEARN_TERM_FEATURE 0
#define RELEARN_TERM_DENSE   1
#define RELEARN_TERM_BIAS    2
#define RELEARN_TERM_CROSSED                                                                       \
    3 /* a feature crossed by the model's namespace interactions:                                  \
         name "(interaction)", value NAN */

/* Scores ev (as relearn_predict, into *pred if non-NULL) and writes its k terms of largest
 * |contribution| into out[0..*n_out), largest first (features, dense values and the bias,
 * k >= 1). For softmax the terms are those of the predicted class's row. All the terms add up
 * to the score up to the rounding of the summation. No allocation (a model with a dense block
 * longer than RELEARN_MAX_DENSE: RELEARN_ERR_MISMATCH). */
relearn_err relearn_explain(const relearn_model *m, const relearn_event *ev, size_t k,
                            relearn_contribution *out, size_t *n_out, relearn_prediction *pred);

/* Decodes a relearn.Event protobuf (proto/event.proto; its label is not needed and ignored)
 * and scores it. Allocates a scratch buffer per call; errstr says what was wrong. */
relearn_err relearn_predict_protobuf(const relearn_model *m, const void *p, size_t len,
                                     relearn_prediction *out, double *probs, char *errstr,
                                     size_t errstr_size);

/* ---------------------------------------------------------------- following a topic */
typedef struct relearn_follower relearn_follower;

typedef struct relearn_follower_conf {
    const char *model_name;  /* required: the message key / relearn-model header followed */
    const char *instance_id; /* NULL: any instance (the version that arrives last wins; name
                                one when several relearnd instances publish the model) */
    uint32_t keep;           /* versions kept for pinning and roll-back (0: 8) */
    uint64_t max_snapshot;   /* largest reassembled snapshot accepted (0: 1 GiB) */
    /* Kafka (used by relearn_follower_start only): */
    const char *brokers;           /* bootstrap servers */
    const char *topic;             /* the snapshot topic */
    const char *const *kafka_conf; /* NULL, or NULL-terminated key, value pairs for librdkafka */
} relearn_follower_conf;

/* A follower without a consumer yet: feed it messages (relearn_follower_feed) or start its
 * Kafka consumer thread (relearn_follower_start). The conf's strings are copied. */
relearn_err relearn_follower_new(const relearn_follower_conf *c, relearn_follower **out,
                                 char *errstr, size_t errstr_size);
/* Stops the consumer thread (if started) and drops the follower's references: models a caller
 * still holds stay valid until released. NULL: no-op. */
void relearn_follower_destroy(relearn_follower *f);

/* Starts a thread that reads the snapshot topic from its start (every partition), feeds every
 * message of this model to the follower, and keeps reconnecting while the broker is away
 * (the last good version stays served). */
relearn_err relearn_follower_start(relearn_follower *f, char *errstr, size_t errstr_size);

/* Feeds one message value (a whole snapshot or a chunk). key: the message key (NULL: not
 * checked here; the snapshot's own model name is). A message of another model is ignored
 * (RELEARN_OK); a message that fails to verify or decode is refused, counted and never served
 * (its error returned). *swapped (may be NULL) is 1 when it made a new version current. */
relearn_err relearn_follower_feed(relearn_follower *f, const void *value, size_t len, int *swapped,
                                  char *errstr, size_t errstr_size);

/* The version to score with now, with a reference the caller must release; NULL while none
 * is loaded. Never waits for a swap in progress. */
relearn_model *relearn_follower_acquire(relearn_follower *f);

/* Kept version `version` (served or not), with a reference the caller must release; NULL when
 * it is not kept. For scoring with a given version without pinning it for everyone. */
relearn_model *relearn_follower_acquire_version(relearn_follower *f, uint64_t version);

/* Serves `version` (one of the kept ones) until unpinned, whatever arrives meanwhile. */
relearn_err relearn_follower_pin(relearn_follower *f, uint64_t version, char *errstr,
                                 size_t errstr_size);
/* Pins the kept version just below the one served now. */
relearn_err relearn_follower_rollback(relearn_follower *f, char *errstr, size_t errstr_size);
/* Back to serving the newest version. */
void relearn_follower_unpin(relearn_follower *f);

typedef struct relearn_follower_stats {
    uint64_t served_version;   /* 0: none loaded */
    uint64_t newest_version;   /* newest verified version seen */
    int pinned;                /* 1 while a pin holds */
    int64_t served_created_ms; /* publish time of the served version (0: none) */
    int64_t last_swap_ms;      /* when the served version last changed (0: never) */
    int64_t last_message_ms;   /* when the last message of this model arrived (0: never) */
    uint64_t messages;         /* message values fed */
    uint64_t versions;         /* versions verified and loaded */
    uint64_t refused;          /* messages or snapshots refused (bad, truncated, mismatched) */
    uint64_t ignored;          /* messages of other models, or older versions */
    int broker_up;             /* the consumer thread last heard from the broker without error */
    uint32_t kept;             /* versions kept for pinning */
} relearn_follower_stats;
void relearn_follower_get_stats(relearn_follower *f, relearn_follower_stats *out);
/* The kept versions, newest first; returns how many (<= n written). */
size_t relearn_follower_versions(relearn_follower *f, uint64_t *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif
