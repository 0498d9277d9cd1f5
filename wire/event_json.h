/* event_json.h - events as JSON objects, as production topics mostly carry them, -> rl_example.
 *
 * One message is one JSON object. A mapping says which field is the label (default "label"),
 * which the importance weight (default "weight"; absent field: 1) and which fields are features
 * (default: every other field). Nested objects are flattened: {"user": {"age": 30}} is the
 * field "user.age". A feature field gives, by its value:
 *   - a number: the numeric feature named by its path, with that value;
 *   - a string: the categorical feature "path=string" (the string unescaped), value 1;
 *   - true / false: the feature named by its path, value 1 / 0;
 *   - an array of strings: one categorical feature per element (a bag of categories);
 *   - null, or a missing field: a missing value, no feature.
 * These are the names the CSV reader gives a table's columns ("age", "city=paris"), so a model
 * learned from a CSV file with relearn eval hashes a JSON topic of the same records the same
 * way; a feature's namespace (interactions) is the first byte of its path. The label is a number,
 * true/false, or a string: one of the mapping's label_values (their position), else yes/no,
 * true/false; then checked against the task as rl_event_decode checks it.
 *
 * Refusals reuse the Event reasons (event_codec.h): "undecodable" (not one JSON object, an array
 * of other than strings, a name or path too long, nesting deeper than RL_JSON_MAX_DEPTH),
 * "missing_label", "label_out_of_domain", "nonfinite_label", "bad_weight", "nonfinite_value",
 * "value_too_large", "too_many_features", "oversized".
 *
 * Parsing is jsmn's (Debian's libjsmn-dev, header-only, strict mode) into a token array sized
 * once from the limits: no allocation per event, time and memory bounded by the message length.
 * jansson, which the rest of relearn uses for JSON files, builds a tree of allocated objects per
 * document (BENCHMARKS.md, "JSON events": the decode cost of both against the Event path). */
#ifndef RL_EVENT_JSON_H
#define RL_EVENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"
#include "learners/learner.h"
#include "wire/event_codec.h"

#define RL_JSON_MAX_DEPTH 32
#define RL_JSON_MAX_NAME  1024 /* bytes of a feature name ("path=value") */

/* Which fields mean what; strings are copied by rl_json_decoder_new. */
typedef struct rl_json_mapping {
    const char *label;        /* path of the label field; NULL: "label" */
    const char *weight;       /* path of the importance weight; NULL: "weight"; "": none */
    const char *features;     /* comma-separated paths that are features (a path names a field
                                 or every field under an object); NULL: all but label, weight */
    const char *label_values; /* class names in class order, comma-separated; NULL: none */
} rl_json_mapping;

typedef struct rl_json_decoder rl_json_decoder;

/* c: task, hashing and limits as for rl_event_decoder_new (dense blocks are not read from JSON:
 * c->dense_dim must be 0). Allocates every buffer the decoder will use. */
rl_err rl_json_decoder_new(const rl_event_codec_config *c, const rl_json_mapping *m,
                           rl_json_decoder **out, char *errstr, size_t errstr_size);
void rl_json_decoder_destroy(rl_json_decoder *d); /* NULL: no-op */

/* Decodes one message. On RL_EVENT_OK fills *ex (pointing into the decoder, valid until the
 * next call); otherwise errstr says what was wrong. Allocates nothing. */
rl_event_reason rl_json_decode(rl_json_decoder *d, const void *buf, size_t len, rl_example *ex,
                               char *errstr, size_t errstr_size);

/* Appends rec (a text reader's record) as one JSON object, for `relearn produce --as json`:
 * {"label": y, "weight": w (when the line gave one), then one member per feature}: a CSV
 * category "col=value" as "col": "value", any other named feature as "name": value, an indexed
 * one (libsvm) as "index": value (so a JSON consumer hashes it as the name "index", not as the
 * index). Decoded with the default mapping, the named features hash as the file's do.
 * RL_ERR_NOMEM if out failed to grow. */
rl_err rl_event_encode_json(const rl_record *rec, rl_buf *out);

/* The name feature i of the last event decoded with RL_EVENT_OK was hashed from. */
const uint8_t *rl_json_feature_name(const rl_json_decoder *d, uint32_t i, size_t *len);

#endif
