/* event_codec.h - Event protobuf bytes <-> rl_example, with validation reasons.
 *
 * The decoder turns the bytes of one relearn.Event (proto/event.proto) into an rl_example the
 * learners can use: features hashed with the model's hasher (bits + seed, learners/features.h),
 * label checked against the task's domain, weight and values checked to be finite. It is a
 * hand-written, bounded parser of the protobuf wire format (not protobuf-c's unpacker), so the
 * hot path allocates nothing: every buffer is sized once in rl_event_decoder_new() from the
 * configured limits, and an event that would exceed them is refused with a reason before any
 * more work is done. Unknown fields are skipped, as protobuf requires; groups (wire types 3/4)
 * are refused as undecodable, as protobuf-c does.
 *
 * Every refusal has a stable reason (rl_event_reason) with a stable snake_case name, used as a
 * Prometheus label and as the value of the dead-letter header RL_HDR_REASON; errstr carries the
 * human detail ("feature 12: value is NaN").
 *
 * Decisions, stated once:
 *   - Binary labels: 0 or 1; -1 is read as 0 (the libsvm +1/-1 convention), anything else is
 *     label_out_of_domain. Multiclass: an integer 0..n_classes-1. Poisson: finite and >= 0.
 *     Regression: any finite value. NaN/Inf labels are nonfinite_label.
 *   - A feature with both name and index uses the name (event.proto); one with neither is
 *     bad_feature. Names are any bytes (not checked for UTF-8, never printed raw).
 *   - Duplicate features (same name twice, or two names hashing to one slot) are kept as they
 *     are, in order: a linear model's prediction is the same as if their values were summed,
 *     and it is what the text readers and hash collisions produce anyway. No dedup pass.
 *   - A feature value of 0 is kept (harmless; the event said so).
 *   - A dense block is optional; when present its length must equal dense_dim.
 *
 * The encoder is the other direction for `relearn produce` and tests: a record of named or
 * indexed features -> Event bytes, appended to an rl_buf. It never allocates beyond the buffer.
 *
 * Ownership: the decoder owns its buffers; the rl_example and rl_event_info it fills point into
 * them (and into the input bytes, for info->key) and stay valid until the next decode call on
 * the same decoder or its destruction. One decoder per thread. */
#ifndef RL_EVENT_CODEC_H
#define RL_EVENT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "learners/features.h"
#include "learners/learner.h"
#include "input/reader.h"
#include "common/rl_common.h"

/* The newest Event format_version this code knows; a newer one is refused (newer_version). */
#define RL_EVENT_FORMAT_VERSION       1
#define RL_EVENT_MAX_FEATURES_DEFAULT 65536u
#define RL_EVENT_MAX_BYTES_DEFAULT    (1u << 20) /* about Kafka's default message.max.bytes */
#define RL_EVENT_MAX_FEATURES_LIMIT   (1u << 24) /* upper bound accepted for max_features */

/* Why an event was refused. Values and names are stable: never renumber, only append. */
typedef enum rl_event_reason {
    RL_EVENT_OK = 0,
    RL_EVENT_UNDECODABLE,       /* "undecodable": not a valid Event protobuf */
    RL_EVENT_NEWER_VERSION,     /* "newer_version": format_version > RL_EVENT_FORMAT_VERSION */
    RL_EVENT_MISSING_LABEL,     /* "missing_label" */
    RL_EVENT_NONFINITE_LABEL,   /* "nonfinite_label": NaN or +-Inf */
    RL_EVENT_LABEL_DOMAIN,      /* "label_out_of_domain" */
    RL_EVENT_BAD_WEIGHT,        /* "bad_weight": NaN, Inf or negative */
    RL_EVENT_NONFINITE_VALUE,   /* "nonfinite_value": a feature or dense value NaN or +-Inf */
    RL_EVENT_TOO_MANY_FEATURES, /* "too_many_features": more than max_features */
    RL_EVENT_DENSE_MISMATCH,    /* "dense_dim_mismatch" */
    RL_EVENT_OVERSIZED,         /* "oversized": more than max_bytes */
    RL_EVENT_BAD_FEATURE,       /* "bad_feature": a feature with neither name nor index */
    RL_EVENT_VALUE_TOO_LARGE,   /* "value_too_large": a value beyond +-RL_FEATURE_VALUE_MAX */
    RL_EVENT_REASON__COUNT
} rl_event_reason;

/* Stable snake_case name ("undecodable", ...); "ok" for RL_EVENT_OK; never NULL. */
const char *rl_event_reason_name(rl_event_reason r);
/* Inverse of rl_event_reason_name; RL_EVENT_REASON__COUNT when unknown. */
rl_event_reason rl_event_reason_parse(const char *name);

typedef struct rl_event_codec_config {
    rl_task task;          /* label domain check */
    uint32_t n_classes;    /* multiclass: labels 0..n_classes-1 */
    int poisson;           /* regression with Poisson loss: labels must be >= 0 */
    uint32_t bits;         /* hasher bits, RL_BITS_MIN..RL_BITS_MAX */
    uint64_t seed;         /* hasher seed */
    uint32_t dense_dim;    /* expected dense length; 0 = events must not carry one */
    uint32_t max_features; /* 1..RL_EVENT_MAX_FEATURES_LIMIT */
    size_t max_bytes;      /* larger messages are "oversized" */
} rl_event_codec_config;

/* Binary task, bits 18, seed RL_HASH_SEED_DEFAULT, no dense, default limits. */
void rl_event_codec_config_default(rl_event_codec_config *c);

/* Extra fields of a decoded event (for alerts, dead letters and tests). */
typedef struct rl_event_info {
    uint32_t format_version; /* 1 when absent */
    int has_event_time;
    int64_t event_time_ms;
    const uint8_t *key; /* points into the input bytes; NULL when absent */
    size_t key_len;
} rl_event_info;

typedef struct rl_event_decoder rl_event_decoder;

/* Validates c and allocates every buffer the decoder will ever use. */
rl_err rl_event_decoder_new(const rl_event_codec_config *c, rl_event_decoder **out, char *errstr,
                            size_t errstr_size);
void rl_event_decoder_destroy(rl_event_decoder *d); /* NULL: no-op */

/* Decodes and validates one Event. On RL_EVENT_OK fills *ex (and *info if non-NULL); on any
 * other reason *ex is unspecified and errstr says what was wrong (it never quotes raw names).
 * Allocates nothing; time and memory are bounded by len and the configured limits. */
rl_event_reason rl_event_decode(rl_event_decoder *d, const void *buf, size_t len, rl_example *ex,
                                rl_event_info *info, char *errstr, size_t errstr_size);

/* The decoders of other formats (JSON, text lines) share c's limits and carry no dense block:
 * checks c as rl_event_decoder_new() does, and that c->dense_dim is 0; what names the format in
 * the message. */
rl_err rl_event_codec_check_sparse(const rl_event_codec_config *c, const char *what, char *errstr,
                                   size_t errstr_size);

/* Checks a label against c's task (the rules above) and maps binary -1 to 0 in place:
 * RL_EVENT_OK, NONFINITE_LABEL or LABEL_DOMAIN with errstr saying why. Shared with the JSON
 * decoder (event_json.h). */
rl_event_reason rl_event_check_label(const rl_event_codec_config *c, float *label, char *errstr,
                                     size_t errstr_size);

/* The name of feature i (0 <= i < ex->n_feats) of the event last decoded with RL_EVENT_OK, as
 * it was hashed into ex->feats[i].index: a pointer into that event's input bytes (valid while
 * they are; not NUL-terminated, any bytes), *len its length. NULL (and *len 0) for a feature
 * given by index. Lets a caller count names per slot (model/dict.h) without re-parsing or
 * allocating. */
const uint8_t *rl_event_feature_name(const rl_event_decoder *d, uint32_t i, size_t *len);

/* ---- encoding ---- */

/* One feature to encode: a name (name != NULL; any bytes, name_len of them) or else an index. */
typedef struct rl_event_feature {
    const char *name;
    size_t name_len;
    uint64_t index;
    float value;
} rl_event_feature;

typedef struct rl_event_record {
    int has_label; /* 0 encodes an event without label (tests of missing_label) */
    float label;
    float weight; /* 1 is not written (the proto default) */
    const rl_event_feature *feats;
    size_t n_feats;
    const float *dense; /* NULL or n_dense values */
    size_t n_dense;
    int has_event_time;
    int64_t event_time_ms;
    const void *key; /* NULL or key_len bytes */
    size_t key_len;
} rl_event_record;

/* Appends the Event encoding of rec to out (format_version is written as
 * RL_EVENT_FORMAT_VERSION). No validation: producing invalid events on purpose is how the
 * dead-letter path is tested. RL_ERR_NOMEM if out failed to grow. */
rl_err rl_event_encode(const rl_event_record *rec, rl_buf *out);

/* Appends the Event encoding of a text reader's record (input/reader.h), for `relearn
 * produce`: label as written (the decoder maps binary -1 to 0, like rl_record_label), weight
 * when the line gave one, named features under the name rl_record_feature_name() gives (so
 * "ns^name" for VW), indexed ones by index, and the VW tag, if any, as Event.key. Writes names
 * straight into out: no allocation beyond out's growth. RL_ERR_NOMEM if out failed to grow. */
rl_err rl_event_encode_text(const rl_record *rec, rl_buf *out);

#endif
