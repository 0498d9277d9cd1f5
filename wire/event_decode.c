/* event_decode.c - a bounded, allocation-free parser of relearn.Event (the encoder is
 * event_encode.c).
 *
 * Why not protobuf-c's unpacker: it mallocs one struct per Feature plus every string, so a
 * batch of events would allocate thousands of times, and it would build the whole message
 * before we could say "too many features". The Event schema is small and fixed, so a direct
 * walk over the wire format is short, does no allocation, and stops storing at the limits.
 * tests/test_event_codec.c checks this parser against protobuf-c's packer and the encoder
 * against protobuf-c's unpacker, so the two implementations keep each other honest. */
#include "common/varint.h"
#include "wire/event_codec.h"
#include "wire/event_wire.h"
#include "learners/interactions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rl_event_decoder {
    rl_event_codec_config cfg;
    rl_hasher hasher;
    rl_feature *feats; /* cfg.max_features slots */
    uint8_t *ns;       /* each feature's namespace byte (interactions.h) */
    float *dense;      /* cfg.dense_dim slots (NULL when 0) */
    /* Per stored feature: its name in the input bytes (NULL for an indexed one), so a caller
     * can learn which names stand behind the hashed slots without re-parsing. */
    const uint8_t **names;
    size_t *name_lens;
};

static const char *const reason_names[RL_EVENT_REASON__COUNT] = {
    [RL_EVENT_OK] = "ok",
    [RL_EVENT_UNDECODABLE] = "undecodable",
    [RL_EVENT_NEWER_VERSION] = "newer_version",
    [RL_EVENT_MISSING_LABEL] = "missing_label",
    [RL_EVENT_NONFINITE_LABEL] = "nonfinite_label",
    [RL_EVENT_LABEL_DOMAIN] = "label_out_of_domain",
    [RL_EVENT_BAD_WEIGHT] = "bad_weight",
    [RL_EVENT_NONFINITE_VALUE] = "nonfinite_value",
    [RL_EVENT_TOO_MANY_FEATURES] = "too_many_features",
    [RL_EVENT_DENSE_MISMATCH] = "dense_dim_mismatch",
    [RL_EVENT_OVERSIZED] = "oversized",
    [RL_EVENT_BAD_FEATURE] = "bad_feature",
    [RL_EVENT_VALUE_TOO_LARGE] = "value_too_large",
};

const char *rl_event_reason_name(rl_event_reason r)
{
    if ((int)r < 0 || r >= RL_EVENT_REASON__COUNT)
        return "unknown";
    return reason_names[r];
}

rl_event_reason rl_event_reason_parse(const char *name)
{
    if (!name)
        return RL_EVENT_REASON__COUNT;
    for (int i = 0; i < RL_EVENT_REASON__COUNT; i++)
        if (strcmp(name, reason_names[i]) == 0)
            return (rl_event_reason)i;
    return RL_EVENT_REASON__COUNT;
}

void rl_event_codec_config_default(rl_event_codec_config *c)
{
    memset(c, 0, sizeof(*c));
    c->task = RL_TASK_BINARY;
    c->n_classes = 2;
    c->bits = 18;
    c->seed = RL_HASH_SEED_DEFAULT;
    c->max_features = RL_EVENT_MAX_FEATURES_DEFAULT;
    c->max_bytes = RL_EVENT_MAX_BYTES_DEFAULT;
}

rl_err rl_event_decoder_new(const rl_event_codec_config *c, rl_event_decoder **out, char *errstr,
                            size_t errstr_size)
{
    rl_event_decoder *d = NULL;
    rl_err err = RL_ERR_INVALID_ARG;

    if (!c || !out)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "event decoder: NULL argument");
    *out = NULL;
    if (c->bits < RL_BITS_MIN || c->bits > RL_BITS_MAX) {
        rl_set_err(errstr, errstr_size, err, "event decoder: bits %u not in %d..%d", c->bits,
                   RL_BITS_MIN, RL_BITS_MAX);
        goto fail;
    }
    if (c->max_features < 1 || c->max_features > RL_EVENT_MAX_FEATURES_LIMIT) {
        rl_set_err(errstr, errstr_size, err, "event decoder: max_features %u not in 1..%u",
                   c->max_features, RL_EVENT_MAX_FEATURES_LIMIT);
        goto fail;
    }
    if (c->max_bytes < 1) {
        rl_set_err(errstr, errstr_size, err, "event decoder: max_bytes must be > 0");
        goto fail;
    }
    if (c->task != RL_TASK_BINARY && c->task != RL_TASK_REGRESSION &&
        c->task != RL_TASK_MULTICLASS) {
        rl_set_err(errstr, errstr_size, err, "event decoder: unknown task %d", (int)c->task);
        goto fail;
    }
    if (c->task == RL_TASK_MULTICLASS && (c->n_classes < 2 || c->n_classes > RL_CLASSES_MAX)) {
        rl_set_err(errstr, errstr_size, err, "event decoder: n_classes %u not in 2..%d",
                   c->n_classes, RL_CLASSES_MAX);
        goto fail;
    }
    err = RL_ERR_NOMEM;
    d = calloc(1, sizeof(*d));
    if (!d) {
        rl_set_err(errstr, errstr_size, err, "event decoder: out of memory");
        goto fail;
    }
    d->cfg = *c;
    rl_hasher_init(&d->hasher, c->bits, c->seed);
    d->feats = malloc((size_t)c->max_features * sizeof(*d->feats));
    d->names = calloc(c->max_features, sizeof(*d->names));
    d->name_lens = calloc(c->max_features, sizeof(*d->name_lens));
    d->ns = calloc(c->max_features, sizeof(*d->ns));
    if (c->dense_dim > 0)
        d->dense = malloc((size_t)c->dense_dim * sizeof(*d->dense));
    if (!d->feats || !d->names || !d->name_lens || !d->ns || (c->dense_dim > 0 && !d->dense)) {
        rl_set_err(errstr, errstr_size, err, "event decoder: out of memory for %u features",
                   c->max_features);
        goto fail;
    }
    *out = d;
    return RL_OK;
fail:
    rl_event_decoder_destroy(d);
    return err;
}

void rl_event_decoder_destroy(rl_event_decoder *d)
{
    if (!d)
        return;
    free(d->feats);
    free(d->names);
    free(d->name_lens);
    free(d->ns);
    free(d->dense);
    free(d);
}

/* ---- wire-format reading ---- */

typedef struct cursor {
    const uint8_t *p;
    const uint8_t *end;
} cursor;

/* 0 on success. Refuses varints longer than 10 bytes, as protobuf does. */
static int read_varint(cursor *c, uint64_t *out)
{
    size_t pos = 0;
    if (rl_varint_get(c->p, (size_t)(c->end - c->p), &pos, out) != 0)
        return -1;
    c->p += pos;
    return 0;
}

static int read_fixed32(cursor *c, uint32_t *out)
{
    if (c->end - c->p < 4)
        return -1;
    *out = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
           (uint32_t)c->p[3] << 24;
    c->p += 4;
    return 0;
}

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* A length-delimited payload: sets *sub to it and advances c past it. */
static int read_len(cursor *c, cursor *sub)
{
    uint64_t n;
    if (read_varint(c, &n) != 0 || n > (uint64_t)(c->end - c->p))
        return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

/* Skips an unknown field of wire type wt. Groups (3, 4) and reserved types fail. */
static int skip_field(cursor *c, unsigned wt)
{
    uint64_t v;
    cursor sub;
    switch (wt) {
    case WT_VARINT:
        return read_varint(c, &v);
    case WT_FIXED64:
        if (c->end - c->p < 8)
            return -1;
        c->p += 8;
        return 0;
    case WT_LEN:
        return read_len(c, &sub);
    case WT_FIXED32:
        if (c->end - c->p < 4)
            return -1;
        c->p += 4;
        return 0;
    default:
        return -1;
    }
}

static int read_tag(cursor *c, uint64_t *field, unsigned *wt)
{
    uint64_t tag;
    const uint8_t *start = c->p;
    if (read_varint(c, &tag) != 0)
        return -1;
    /* A tag is a 32-bit varint, at most 5 bytes even when padded: protobuf-c refuses more. */
    if (c->p - start > 5)
        return -1;
    *field = tag >> 3;
    *wt = (unsigned)(tag & 7);
    /* Field 0 is never valid; protobuf field numbers fit in 29 bits. */
    if (*field == 0 || *field > 0x1fffffff)
        return -1;
    return 0;
}

/* What a parse found, before validation. */
typedef struct parsed {
    int has_version, has_label;
    uint32_t version;
    float label, weight;
    uint64_t n_feats;        /* features seen (may exceed the stored ones) */
    uint64_t n_dense;        /* dense values seen (may exceed dense_dim) */
    uint64_t first_bad_feat; /* index of the first feature with neither name nor index */
    uint64_t first_nan_feat; /* index of the first feature with a non-finite value */
    int bad_feat, nan_feat, nan_dense;
    uint64_t first_nan_dense;
    int big_feat, big_dense; /* a finite value beyond RL_FEATURE_VALUE_MAX */
    uint64_t first_big_feat, first_big_dense;
} parsed;

/* The float in the last 4 bytes of c (little-endian), whatever c->p is. */
static float last_fixed32(const cursor *c)
{
    const uint8_t *q = c->end - 4;
    return bits_to_float((uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                         (uint32_t)q[3] << 24);
}

/* Parses one Feature message into slot (if non-NULL). Returns 0 or -1 (undecodable). */
static int parse_feature(rl_event_decoder *d, cursor *c, rl_feature *slot, parsed *ps)
{
    const uint8_t *name = NULL;
    size_t name_len = 0;
    int has_name = 0, has_index = 0;
    uint64_t index = 0;
    float value = 1.0f;

    /* The shape relearn produce (and protobuf-c) writes: a name shorter than 128 bytes or an
     * index, then the value, nothing else. Read it straight; any other bytes take the general
     * loop below, which would read these exactly the same way. */
    const uint8_t tag_name = FT_NAME << 3 | WT_LEN, tag_index = FT_INDEX << 3 | WT_VARINT;
    const uint8_t tag_value = FT_VALUE << 3 | WT_FIXED32;
    if (c->end - c->p >= 7 && c->p[0] == tag_name && c->p[1] < 0x80 &&
        c->end - c->p == 7 + (ptrdiff_t)c->p[1] && c->end[-5] == tag_value) {
        name = c->p + 2;
        name_len = c->p[1];
        has_name = 1;
        value = last_fixed32(c);
        c->p = c->end;
    } else if (c->end - c->p >= 7 && c->p[0] == tag_index && c->end[-5] == tag_value) {
        cursor v = {c->p + 1, c->end - 5};
        if (read_varint(&v, &index) == 0 && v.p == v.end) {
            has_index = 1;
            value = last_fixed32(c);
            c->p = c->end;
        }
    }
    while (c->p < c->end) {
        uint64_t field;
        unsigned wt;
        if (read_tag(c, &field, &wt) != 0)
            return -1;
        if (field == FT_NAME && wt == WT_LEN) {
            cursor s;
            if (read_len(c, &s) != 0)
                return -1;
            name = s.p;
            name_len = (size_t)(s.end - s.p);
            has_name = 1;
        } else if (field == FT_INDEX && wt == WT_VARINT) {
            if (read_varint(c, &index) != 0)
                return -1;
            has_index = 1;
        } else if (field == FT_VALUE && wt == WT_FIXED32) {
            uint32_t u;
            if (read_fixed32(c, &u) != 0)
                return -1;
            value = bits_to_float(u);
        } else if (field == FT_NAME || field == FT_INDEX || field == FT_VALUE) {
            return -1; /* a known field with the wrong wire type */
        } else if (skip_field(c, wt) != 0) {
            return -1;
        }
    }
    uint64_t i = ps->n_feats;
    if (!has_name && !has_index && !ps->bad_feat) {
        ps->bad_feat = 1;
        ps->first_bad_feat = i;
    }
    if (!isfinite(value) && !ps->nan_feat) {
        ps->nan_feat = 1;
        ps->first_nan_feat = i;
    } else if (isfinite(value) && !(fabsf(value) <= RL_FEATURE_VALUE_MAX) && !ps->big_feat) {
        ps->big_feat = 1;
        ps->first_big_feat = i;
    }
    if (slot) {
        size_t k = (size_t)(slot - d->feats);
        slot->value = value;
        if (has_name)
            slot->index = rl_hash_name(&d->hasher, name, name_len);
        else
            slot->index = rl_hash_index(&d->hasher, index);
        d->names[k] = has_name ? name : NULL;
        d->name_lens[k] = has_name ? name_len : 0;
        d->ns[k] = rl_ns_byte(has_name ? name : NULL, has_name ? name_len : 0);
    }
    return 0;
}

static void store_dense(rl_event_decoder *d, parsed *ps, float v)
{
    if (!isfinite(v) && !ps->nan_dense) {
        ps->nan_dense = 1;
        ps->first_nan_dense = ps->n_dense;
    } else if (isfinite(v) && !(fabsf(v) <= RL_FEATURE_VALUE_MAX) && !ps->big_dense) {
        ps->big_dense = 1;
        ps->first_big_dense = ps->n_dense;
    }
    if (ps->n_dense < d->cfg.dense_dim)
        d->dense[ps->n_dense] = v;
    ps->n_dense++;
}

/* Walks the whole message (bounded by len <= max_bytes). Returns 0 or -1 (undecodable), with a
 * short reason in *why. */
static int parse_event(rl_event_decoder *d, cursor *c, parsed *ps, rl_event_info *info,
                       const char **why)
{
    while (c->p < c->end) {
        uint64_t field;
        unsigned wt;
        uint64_t v;
        uint32_t u = 0;
        cursor s;
        if (read_tag(c, &field, &wt) != 0) {
            *why = "bad field tag";
            return -1;
        }
        switch (field) {
        case EV_FORMAT_VERSION:
            if (wt != WT_VARINT || read_varint(c, &v) != 0)
                goto bad_field;
            ps->has_version = 1;
            ps->version = (uint32_t)v;
            break;
        case EV_LABEL:
            if (wt != WT_FIXED32 || read_fixed32(c, &u) != 0)
                goto bad_field;
            ps->has_label = 1;
            ps->label = bits_to_float(u);
            break;
        case EV_WEIGHT:
            if (wt != WT_FIXED32 || read_fixed32(c, &u) != 0)
                goto bad_field;
            ps->weight = bits_to_float(u);
            break;
        case EV_FEATURES: {
            if (wt != WT_LEN || read_len(c, &s) != 0)
                goto bad_field;
            rl_feature *slot = ps->n_feats < d->cfg.max_features ? &d->feats[ps->n_feats] : NULL;
            if (parse_feature(d, &s, slot, ps) != 0) {
                *why = "malformed feature";
                return -1;
            }
            ps->n_feats++;
            break;
        }
        case EV_DENSE:
            /* Packed (the schema's choice) or unpacked: protobuf readers accept both. */
            if (wt == WT_LEN) {
                if (read_len(c, &s) != 0 || (s.end - s.p) % 4 != 0)
                    goto bad_field;
                while (s.p < s.end) {
                    (void)read_fixed32(&s, &u);
                    store_dense(d, ps, bits_to_float(u));
                }
            } else if (wt == WT_FIXED32) {
                if (read_fixed32(c, &u) != 0)
                    goto bad_field;
                store_dense(d, ps, bits_to_float(u));
            } else {
                goto bad_field;
            }
            break;
        case EV_EVENT_TIME:
            if (wt != WT_VARINT || read_varint(c, &v) != 0)
                goto bad_field;
            info->has_event_time = 1;
            info->event_time_ms = (int64_t)v;
            break;
        case EV_KEY:
            if (wt != WT_LEN || read_len(c, &s) != 0)
                goto bad_field;
            info->key = s.p;
            info->key_len = (size_t)(s.end - s.p);
            break;
        default:
            if (skip_field(c, wt) != 0) {
                *why = "malformed unknown field";
                return -1;
            }
        }
        continue;
    bad_field:
        *why = "bad or truncated field";
        return -1;
    }
    return 0;
}

rl_event_reason rl_event_check_label(const rl_event_codec_config *cfg, float *label, char *errstr,
                                     size_t errstr_size)
{
    float y = *label;
    if (!isfinite(y)) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "label is %s", isnan(y) ? "NaN" : "Inf");
        return RL_EVENT_NONFINITE_LABEL;
    }
    switch (cfg->task) {
    case RL_TASK_BINARY:
        if (y == -1.0f)
            *label = 0.0f;
        else if (y != 0.0f && y != 1.0f)
            goto domain;
        return RL_EVENT_OK;
    case RL_TASK_MULTICLASS:
        if (y < 0.0f || y >= (float)cfg->n_classes || y != floorf(y))
            goto domain;
        return RL_EVENT_OK;
    case RL_TASK_REGRESSION:
        if (cfg->poisson && y < 0.0f)
            goto domain;
        return RL_EVENT_OK;
    }
domain:
    if (cfg->task == RL_TASK_BINARY)
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "label %.9g is not 0 or 1 (binary task)",
                   (double)y);
    else if (cfg->task == RL_TASK_MULTICLASS)
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT,
                   "label %.9g is not a class id 0..%u (multiclass task)", (double)y,
                   cfg->n_classes - 1);
    else
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT,
                   "label %.9g is negative (Poisson regression)", (double)y);
    return RL_EVENT_LABEL_DOMAIN;
}

rl_event_reason rl_event_decode(rl_event_decoder *d, const void *buf, size_t len, rl_example *ex,
                                rl_event_info *info, char *errstr, size_t errstr_size)
{
    rl_event_info scratch;
    parsed ps;
    const char *why = "";

    if (!info)
        info = &scratch;
    memset(info, 0, sizeof(*info));
    memset(&ps, 0, sizeof(ps));
    ps.weight = 1.0f;
    if (errstr && errstr_size > 0)
        errstr[0] = '\0';
    if (!d || !ex || (!buf && len > 0)) {
        rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "event decoder: NULL argument");
        return RL_EVENT_UNDECODABLE;
    }
    if (len > d->cfg.max_bytes) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "message of %zu bytes exceeds %zu", len,
                   d->cfg.max_bytes);
        return RL_EVENT_OVERSIZED;
    }
    cursor c;
    c.p = len > 0 ? (const uint8_t *)buf : (const uint8_t *)"";
    c.end = c.p + len;
    int perr = parse_event(d, &c, &ps, info, &why);
    info->format_version = ps.has_version ? ps.version : 1;
    if (ps.has_version && ps.version > RL_EVENT_FORMAT_VERSION) {
        /* Checked before the parse result: a newer writer may use fields we cannot parse. */
        rl_set_err(errstr, errstr_size, RL_ERR_VERSION,
                   "format_version %u is newer than %d (upgrade relearn)", ps.version,
                   RL_EVENT_FORMAT_VERSION);
        return RL_EVENT_NEWER_VERSION;
    }
    if (perr != 0) {
        rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "not an Event protobuf: %s (%zu bytes)", why,
                   len);
        return RL_EVENT_UNDECODABLE;
    }
    if (ps.has_version && ps.version == 0) {
        rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "format_version 0 is not valid");
        return RL_EVENT_UNDECODABLE;
    }
    if (!ps.has_label) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "event has no label");
        return RL_EVENT_MISSING_LABEL;
    }
    rl_event_reason r = rl_event_check_label(&d->cfg, &ps.label, errstr, errstr_size);
    if (r != RL_EVENT_OK)
        return r;
    if (!isfinite(ps.weight) || ps.weight < 0.0f) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "weight %.9g is not finite and >= 0",
                   (double)ps.weight);
        return RL_EVENT_BAD_WEIGHT;
    }
    if (ps.n_feats > d->cfg.max_features) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "%llu features exceed the limit %u",
                   (unsigned long long)ps.n_feats, d->cfg.max_features);
        return RL_EVENT_TOO_MANY_FEATURES;
    }
    if (ps.bad_feat) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "feature %llu has neither name nor index",
                   (unsigned long long)ps.first_bad_feat);
        return RL_EVENT_BAD_FEATURE;
    }
    if (ps.nan_feat) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "feature %llu: value is not finite",
                   (unsigned long long)ps.first_nan_feat);
        return RL_EVENT_NONFINITE_VALUE;
    }
    if (ps.n_dense > 0 && ps.n_dense != d->cfg.dense_dim) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT,
                   "dense block has %llu values, the model expects %u",
                   (unsigned long long)ps.n_dense, d->cfg.dense_dim);
        return RL_EVENT_DENSE_MISMATCH;
    }
    if (ps.nan_dense) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "dense value %llu is not finite",
                   (unsigned long long)ps.first_nan_dense);
        return RL_EVENT_NONFINITE_VALUE;
    }
    if (ps.big_feat || ps.big_dense) {
        if (ps.big_feat)
            rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT,
                       "feature %llu: value beyond +-%g, the largest the learners take",
                       (unsigned long long)ps.first_big_feat, (double)RL_FEATURE_VALUE_MAX);
        else
            rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT,
                       "dense value %llu beyond +-%g, the largest the learners take",
                       (unsigned long long)ps.first_big_dense, (double)RL_FEATURE_VALUE_MAX);
        return RL_EVENT_VALUE_TOO_LARGE;
    }
    ex->label = ps.label;
    ex->weight = ps.weight;
    ex->feats = d->feats;
    ex->ns = d->ns;
    ex->n_feats = (uint32_t)ps.n_feats;
    ex->dense = ps.n_dense > 0 ? d->dense : NULL;
    ex->n_dense = (uint32_t)ps.n_dense;
    return RL_EVENT_OK;
}

const uint8_t *rl_event_feature_name(const rl_event_decoder *d, uint32_t i, size_t *len)
{
    if (len)
        *len = 0;
    if (!d || i >= d->cfg.max_features || !d->names[i])
        return NULL;
    if (len)
        *len = d->name_lens[i];
    return d->names[i];
}
