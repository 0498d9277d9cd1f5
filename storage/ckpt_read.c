/* ckpt_read.c - decoding checkpoints: the frame, then the Checkpoint message with its large
 * state blobs located by a scan of the top-level fields and left where they are (views into the
 * file's bytes or the decompressed payload), so loading makes no copy of the weights before the
 * model imports them. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/ckpt_internal.h"
#include "common/varint.h"

/* ---- decode ---- */
static rl_err copy_str(char *dst, size_t size, const char *src, const char *what, char *errstr,
                       size_t errstr_size)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%s longer than %zu bytes", what,
                          size - 1);
    memcpy(dst, src, n + 1);
    return RL_OK;
}

static rl_err drift_from_pb(const Relearn__DriftConfig *d, rl_model_config *c, char *errstr,
                            size_t errstr_size)
{
    rl_err e;
    if (!d)
        return RL_OK; /* no drift section: defaults (detection off) */
    if ((e = copy_str(c->detector, sizeof(c->detector), d->detector, "detector name", errstr,
                      errstr_size)) != RL_OK)
        return e;
    if (d->n_params > RL_MODEL_MAX_DETECTOR_PARAMS)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%zu detector parameters (max %d)",
                          d->n_params, RL_MODEL_MAX_DETECTOR_PARAMS);
    for (size_t i = 0; i < d->n_params; i++) {
        if ((e = copy_str(c->det_keys[i], sizeof(c->det_keys[i]), d->params[i]->key,
                          "detector parameter key", errstr, errstr_size)) != RL_OK ||
            (e = copy_str(c->det_values[i], sizeof(c->det_values[i]), d->params[i]->value,
                          "detector parameter value", errstr, errstr_size)) != RL_OK)
            return e;
    }
    c->n_det_params = (uint32_t)d->n_params;
    if (d->response && rl_response_parse(d->response, &c->response) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "unknown drift response '%s'",
                          d->response);
    if (d->has_boost_factor)
        c->boost_factor = d->boost_factor;
    if (d->has_boost_halflife)
        c->boost_halflife = d->boost_halflife;
    if (d->has_error_scale)
        c->error_scale = d->error_scale;
    if (d->has_alert_min_gap)
        c->alert_min_gap = d->alert_min_gap;
    if (d->has_metrics_window)
        c->metrics_window = d->metrics_window;
    return copy_str(c->watch_feature, sizeof(c->watch_feature), d->watch_feature,
                    "watched feature name", errstr, errstr_size);
}

/* Where the state blobs (fields 10, 11, 12: length-delimited) lie in a Checkpoint payload.
 * Found by a scan of the top-level fields, so that the large blobs are never copied by the
 * protobuf decoder: it gets the payload without them. */
typedef struct blob_views {
    const uint8_t *p[3];
    size_t len[3];
    int found[3];
    /* byte ranges of the payload to leave out (every occurrence of the three fields) */
    size_t cut_at[16], cut_len[16];
    int n_cut;
} blob_views;

/* 0 on success; -1 when the payload is not plain top-level fields (the protobuf decoder will
 * then see it whole and say what is wrong). */
static int scan_blobs(const uint8_t *p, size_t len, blob_views *v)
{
    size_t pos = 0;
    memset(v, 0, sizeof(*v));
    while (pos < len) {
        size_t start = pos;
        uint64_t key, x;
        if (rl_varint_get(p, len, &pos, &key) != 0)
            return -1;
        uint64_t field = key >> 3;
        switch (key & 7) {
        case 0:
            if (rl_varint_get(p, len, &pos, &x) != 0)
                return -1;
            break;
        case 1:
            if (len - pos < 8)
                return -1;
            pos += 8;
            break;
        case 5:
            if (len - pos < 4)
                return -1;
            pos += 4;
            break;
        case 2:
            if (rl_varint_get(p, len, &pos, &x) != 0 || x > len - pos)
                return -1;
            if (field >= 10 && field <= 12) {
                int i = (int)field - 10;
                if (v->n_cut == 16)
                    return -1;
                v->p[i] = p + pos; /* the last occurrence wins, as in protobuf */
                v->len[i] = (size_t)x;
                v->found[i] = 1;
                v->cut_at[v->n_cut] = start;
                v->cut_len[v->n_cut] = pos + (size_t)x - start;
                v->n_cut++;
            }
            pos += (size_t)x;
            break;
        default:
            return -1; /* groups: not ours */
        }
    }
    return 0;
}

/* Decodes payload into c. The blobs become views into `backing` when it is non-NULL (c then
 * owns backing, a malloc'd buffer), copies otherwise. */
static rl_err decode_payload(const uint8_t *payload, size_t plen, const rl_frame_info *info,
                             rl_ckpt *c, void *backing, size_t backing_len, int learner_elsewhere,
                             char *errstr, size_t errstr_size)
{
    Relearn__Checkpoint *m = NULL;
    uint8_t *small = NULL;
    blob_views bv;
    rl_err e;
    char sub[256];
    int scanned = scan_blobs(payload, plen, &bv) == 0;
    const uint8_t *msg = payload;
    size_t msg_len = plen;
    if (scanned && bv.n_cut) {
        size_t cut = 0;
        for (int i = 0; i < bv.n_cut; i++)
            cut += bv.cut_len[i];
        small = malloc(plen - cut + 1);
        if (!small) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "checkpoint: out of memory");
            goto fail;
        }
        size_t at = 0, w = 0;
        for (int i = 0; i < bv.n_cut; i++) {
            memcpy(small + w, payload + at, bv.cut_at[i] - at);
            w += bv.cut_at[i] - at;
            at = bv.cut_at[i] + bv.cut_len[i];
        }
        memcpy(small + w, payload + at, plen - at);
        w += plen - at;
        msg = small;
        msg_len = w;
    }
    m = relearn__checkpoint__unpack(NULL, msg_len, msg);
    if (!m) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "checksum matches but the checkpoint message does not parse");
        goto fail;
    }
    if (!scanned) {
        /* the decoder parsed it whole after all: take the blobs from its result */
        bv.p[0] = m->learner_state.data;
        bv.len[0] = m->learner_state.len;
        bv.found[0] = m->has_learner_state;
        bv.p[1] = m->detector_state.data;
        bv.len[1] = m->detector_state.len;
        bv.found[1] = m->has_detector_state;
        bv.p[2] = m->rest_state.data;
        bv.len[2] = m->rest_state.len;
        bv.found[2] = m->has_rest_state;
        backing = NULL; /* views into m would die with it: copy */
    }
    e = rl_fmt_check_message_version(m->has_format_version, m->format_version,
                                     RL_CKPT_FORMAT_VERSION, "checkpoint", errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    c->format_version = m->format_version;
    e = rl_fmt_learner_from_pb(m->learner, &c->config.learner, &c->config.hash_seed, errstr,
                               errstr_size);
    if (e != RL_OK)
        goto fail;
    e = drift_from_pb(m->drift, &c->config, errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    if (!learner_elsewhere && (!bv.found[0] || bv.len[0] == 0)) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "checkpoint has no learner state");
        goto fail;
    }
    e = rl_ckpt_set_ids(c, m->model_name, m->instance_id, errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    c->seq = m->seq;
    c->created_ms = m->created_ms;
    c->events = m->events_seen;
    c->snapshot_version = m->snapshot_version;
    if (m->has_published_recent_loss) {
        if (!isfinite(m->published_recent_loss)) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "checkpoint published_recent_loss is not finite");
            goto fail;
        }
        c->has_published_loss = 1;
        c->published_loss = m->published_recent_loss;
    }
    for (size_t i = 0; i < m->n_offsets; i++) {
        const Relearn__PartitionOffset *o = m->offsets[i];
        if (!o->topic || !o->has_partition || !o->has_next_offset) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "checkpoint offset %zu: topic, partition or offset missing", i);
            goto fail;
        }
        if (rl_ckpt_get_offset(c, o->topic, o->partition) >= 0) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "checkpoint offsets: %s/%d appears twice", o->topic, o->partition);
            goto fail;
        }
        e = rl_ckpt_set_offset(c, o->topic, o->partition, o->next_offset, sub, sizeof(sub));
        if (e != RL_OK) {
            e = rl_set_err(errstr, errstr_size, e == RL_ERR_NOMEM ? e : RL_ERR_FORMAT, "%s", sub);
            goto fail;
        }
    }
    if (m->dict) {
        e = rl_fmt_dict_from_pb(m->dict, &c->dict, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    rl_buf *dst[3] = {&c->learner_state, &c->detector_state, &c->rest_state};
    for (int i = 0; i < 3; i++) {
        rl_buf_init(dst[i]);
        if (!bv.found[i] || bv.len[i] == 0)
            continue;
        if (backing) {
            dst[i]->data = (uint8_t *)bv.p[i];
            dst[i]->len = bv.len[i];
            dst[i]->cap = bv.len[i];
        } else {
            rl_buf_put(dst[i], bv.p[i], bv.len[i]);
            if (dst[i]->failed) {
                e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "checkpoint: out of memory");
                goto fail;
            }
        }
    }
    if (backing) {
        c->backing_ = backing;
        c->backing_len_ = backing_len;
    }
    c->frame = *info;
    relearn__checkpoint__free_unpacked(m, NULL);
    free(small);
    return RL_OK;
fail:
    if (m)
        relearn__checkpoint__free_unpacked(m, NULL);
    free(small);
    return e;
}

/* Frame check, then decode_payload. `mine` (capacity mine_cap, may be NULL) is the caller's
 * malloc'd buffer holding p: on success it may become c's backing (uncompressed: the blobs stay
 * in it); otherwise it stays the caller's. scratch (may be NULL) is lent for the decompressed
 * payload and always consumed (kept as backing or freed). sum: see rl_frame_decode_ex. */
static rl_err decode_bytes(const void *p, size_t len, rl_ckpt *c, void *mine, size_t mine_cap,
                           const rl_fmt_sum *sum, void *scratch, size_t scratch_cap, char *errstr,
                           size_t errstr_size)
{
    rl_frame_info info;
    const uint8_t *payload;
    size_t plen;
    void *owned = NULL;
    rl_ckpt_clear(c);
    rl_err e = rl_frame_decode_ex(p, len, RL_MAGIC_CKPT, sum, scratch, scratch_cap, &info, &payload,
                                  &plen, &owned, errstr, errstr_size);
    if (owned != scratch)
        free(scratch); /* not needed (not compressed, or too small) */
    if (e != RL_OK)
        return e;
    /* Compressed: the decompressed payload is ours and can back the views. */
    void *backing = owned ? owned : mine;
    size_t cap = owned ? (owned == scratch ? scratch_cap : plen + 1) : mine_cap;
    e = decode_payload(payload, plen, &info, c, backing, owned ? plen : len, 0, errstr,
                       errstr_size);
    if (e != RL_OK) {
        free(owned);
        rl_ckpt_clear(c);
        return e;
    }
    if (c->backing_)
        c->backing_cap_ = cap;
    if (owned && c->backing_ != owned)
        free(owned); /* copied after all */
    return RL_OK;
}

rl_err rl_ckpt_decode_fields(const uint8_t *payload, size_t len, const rl_frame_info *info,
                             rl_ckpt *c, char *errstr, size_t errstr_size)
{
    return decode_payload(payload, len, info, c, NULL, 0, 1, errstr, errstr_size);
}

rl_err rl_ckpt_decode(const void *p, size_t len, rl_ckpt *c, char *errstr, size_t errstr_size)
{
    return decode_bytes(p, len, c, NULL, 0, NULL, NULL, 0, errstr, errstr_size);
}

/* ---- files ---- */
/* The frame flags of the file at path (its bytes 6-7), or -1 when they cannot be read. */
static int peek_flags(const char *path)
{
    uint8_t h[8];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, h, sizeof(h), 0);
    close(fd);
    return n == (ssize_t)sizeof(h) ? h[6] | (h[7] << 8) : -1;
}

rl_err rl_ckpt_read_file(const char *path, rl_ckpt *c, char *errstr, size_t errstr_size)
{
    char sub[256];
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    rl_fmt_sum sum;
    /* The buffer of the checkpoint c held, if any, is reused rather than freed: loading again
     * then fills memory that is already mapped. */
    void *old = NULL;
    size_t old_cap = 0;
    if (c->backing_) {
        old = c->backing_;
        old_cap = c->backing_cap_;
        c->backing_ = NULL;
        rl_buf_init(&c->learner_state);
        rl_buf_init(&c->detector_state);
        rl_buf_init(&c->rest_state);
    }
    rl_ckpt_clear(c);
    /* The old buffer takes what is large: the file itself when it is not compressed, else
     * the decompressed payload (the file is then the smaller of the two). */
    int whole = old && peek_flags(path) == 0;
    rl_err e = rl_fmt_file_load(path, whole ? old : NULL, whole ? old_cap : 0, &buf, &len, &cap,
                                &sum, errstr, errstr_size);
    if (whole)
        old = NULL; /* consumed by the load */
    if (e != RL_OK) {
        free(old);
        return e;
    }
    e = decode_bytes(buf, len, c, buf, cap, &sum, old, old_cap, sub, sizeof(sub));
    if (e != RL_OK) {
        rl_set_err(errstr, errstr_size, e, "%s: %s", path, sub);
        free(buf);
        return e;
    }
    /* The blobs are views into buf, or (compressed, or copied) buf is no longer needed. */
    if (c->backing_ != buf)
        free(buf);
    return RL_OK;
}
