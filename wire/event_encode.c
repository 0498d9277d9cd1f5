/* event_encode.c - record -> relearn.Event bytes, for `relearn produce` and the tests: the other
 * direction of event_decode.c, written against the same field numbers (event_wire.h). */
#include <string.h>

#include "common/varint.h"
#include "wire/event_codec.h"
#include "wire/event_wire.h"

static void put_varint(rl_buf *b, uint64_t v)
{
    uint8_t tmp[RL_VARINT_MAX_LEN];
    rl_buf_put(b, tmp, rl_varint_put(tmp, v));
}

static void put_tag(rl_buf *b, unsigned field, unsigned wt)
{
    put_varint(b, (uint64_t)field << 3 | wt);
}

static int is_one(float v)
{
    float one = 1.0f;
    return memcmp(&v, &one, sizeof(v)) == 0;
}

/* A feature's index and its value (left out when 1, protobuf's default): the fields after
 * the name, the same for a record's features as for a text line's. */
static void put_index(rl_buf *b, uint64_t index)
{
    put_tag(b, FT_INDEX, WT_VARINT);
    put_varint(b, index);
}

static void put_value(rl_buf *b, float v)
{
    if (!is_one(v)) {
        put_tag(b, FT_VALUE, WT_FIXED32);
        rl_buf_put_f32(b, v);
    }
}

static size_t feature_size(const rl_event_feature *f)
{
    size_t n = 0;
    if (f->name)
        n += 1 + rl_varint_size(f->name_len) + f->name_len;
    else
        n += 1 + rl_varint_size(f->index);
    if (!is_one(f->value))
        n += 1 + 4;
    return n;
}

rl_err rl_event_encode(const rl_event_record *rec, rl_buf *out)
{
    if (!rec || !out || (rec->n_feats > 0 && !rec->feats))
        return RL_ERR_INVALID_ARG;
    put_tag(out, EV_FORMAT_VERSION, WT_VARINT);
    put_varint(out, RL_EVENT_FORMAT_VERSION);
    if (rec->has_label) {
        put_tag(out, EV_LABEL, WT_FIXED32);
        rl_buf_put_f32(out, rec->label);
    }
    if (!is_one(rec->weight)) {
        put_tag(out, EV_WEIGHT, WT_FIXED32);
        rl_buf_put_f32(out, rec->weight);
    }
    for (size_t i = 0; i < rec->n_feats; i++) {
        const rl_event_feature *f = &rec->feats[i];
        put_tag(out, EV_FEATURES, WT_LEN);
        put_varint(out, feature_size(f));
        if (f->name) {
            put_tag(out, FT_NAME, WT_LEN);
            put_varint(out, f->name_len);
            rl_buf_put(out, f->name, f->name_len);
        } else {
            put_index(out, f->index);
        }
        put_value(out, f->value);
    }
    if (rec->dense && rec->n_dense > 0) {
        put_tag(out, EV_DENSE, WT_LEN);
        put_varint(out, (uint64_t)rec->n_dense * 4);
        rl_buf_put_f32s(out, rec->dense, rec->n_dense);
    }
    if (rec->has_event_time) {
        put_tag(out, EV_EVENT_TIME, WT_VARINT);
        put_varint(out, (uint64_t)rec->event_time_ms);
    }
    if (rec->key) {
        put_tag(out, EV_KEY, WT_LEN);
        put_varint(out, rec->key_len);
        rl_buf_put(out, rec->key, rec->key_len);
    }
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

rl_err rl_event_encode_text(const rl_record *rec, rl_buf *out)
{
    if (!rec || !out || (rec->n_feats > 0 && !rec->feats))
        return RL_ERR_INVALID_ARG;
    put_tag(out, EV_FORMAT_VERSION, WT_VARINT);
    put_varint(out, RL_EVENT_FORMAT_VERSION);
    put_tag(out, EV_LABEL, WT_FIXED32);
    rl_buf_put_f32(out, rec->label);
    if (rec->has_weight && !is_one(rec->weight)) {
        put_tag(out, EV_WEIGHT, WT_FIXED32);
        rl_buf_put_f32(out, rec->weight);
    }
    for (uint32_t i = 0; i < rec->n_feats; i++) {
        const rl_text_feature *f = &rec->feats[i];
        size_t body;
        size_t name_len = 0;
        if (f->name) {
            char probe[1]; /* never NULL: an empty name would memcpy 0 bytes to it */
            name_len = rl_record_feature_name(f, probe, 0);
            body = 1 + rl_varint_size(name_len) + name_len;
        } else {
            body = 1 + rl_varint_size(f->index);
        }
        if (!is_one(f->value))
            body += 1 + 4;
        put_tag(out, EV_FEATURES, WT_LEN);
        put_varint(out, body);
        if (f->name) {
            put_tag(out, FT_NAME, WT_LEN);
            put_varint(out, name_len);
            /* The name is composed in place, so "ns^name" never needs a scratch copy. */
            if (rl_buf_reserve(out, name_len) != 0)
                return RL_ERR_NOMEM;
            size_t n = rl_record_feature_name(f, (char *)out->data + out->len, name_len);
            if (n != name_len)
                return RL_ERR_INVALID_ARG;
            out->len += name_len;
        } else {
            put_index(out, f->index);
        }
        put_value(out, f->value);
    }
    if (rec->tag) {
        put_tag(out, EV_KEY, WT_LEN);
        put_varint(out, rec->tag_len);
        rl_buf_put(out, rec->tag, rec->tag_len);
    }
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}
