/* ckpt.c - the checkpoint codec: rl_ckpt <-> Checkpoint message inside an "RLCK" frame, and
 * the model capture/rebuild around rl_model_export/import. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <zstd.h>

#include "storage/ckpt_hash.h"
#include "storage/ckpt_internal.h"
#include "common/varint.h"
#include "storage/zero_runs.h"

void rl_ckpt_init(rl_ckpt *c)
{
    memset(c, 0, sizeof(*c));
    c->format_version = RL_CKPT_FORMAT_VERSION;
    rl_model_config_default(&c->config);
    rl_buf_init(&c->learner_state);
    rl_buf_init(&c->detector_state);
    rl_buf_init(&c->rest_state);
}

/* Frees the blobs, or forgets them when they are views into the backing (then freed). */
static void release_blobs(rl_ckpt *c)
{
    if (c->backing_) {
        rl_buf_init(&c->learner_state);
        rl_buf_init(&c->detector_state);
        rl_buf_init(&c->rest_state);
        free(c->backing_);
        c->backing_ = NULL;
        c->backing_len_ = 0;
        c->backing_cap_ = 0;
        return;
    }
    rl_buf_free(&c->learner_state);
    rl_buf_free(&c->detector_state);
    rl_buf_free(&c->rest_state);
}

void rl_ckpt_clear(rl_ckpt *c)
{
    if (!c)
        return;
    free(c->model_name);
    free(c->instance_id);
    for (size_t i = 0; i < c->n_offsets; i++)
        free(c->offsets[i].topic);
    free(c->offsets);
    release_blobs(c);
    rl_dict_destroy(c->dict);
    rl_ckpt_init(c);
}

rl_err rl_ckpt_set_ids(rl_ckpt *c, const char *model_name, const char *instance_id, char *errstr,
                       size_t errstr_size)
{
    char *m = rl_fmt_strdup(model_name);
    char *i = rl_fmt_strdup(instance_id);
    if (!m || !i) {
        free(m);
        free(i);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "checkpoint ids: out of memory");
    }
    free(c->model_name);
    free(c->instance_id);
    c->model_name = m;
    c->instance_id = i;
    return RL_OK;
}

rl_err rl_ckpt_set_offset(rl_ckpt *c, const char *topic, int32_t partition, int64_t next_offset,
                          char *errstr, size_t errstr_size)
{
    if (!topic || !topic[0] || partition < 0 || next_offset < 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "checkpoint offset: topic '%s' partition %d offset %lld is invalid",
                          topic ? topic : "", partition, (long long)next_offset);
    for (size_t i = 0; i < c->n_offsets; i++) {
        if (c->offsets[i].partition == partition && strcmp(c->offsets[i].topic, topic) == 0) {
            c->offsets[i].next_offset = next_offset;
            return RL_OK;
        }
    }
    rl_ckpt_offset *o = realloc(c->offsets, (c->n_offsets + 1) * sizeof(*o));
    if (!o)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "checkpoint offsets: out of memory");
    c->offsets = o;
    char *t = rl_fmt_strdup(topic);
    if (!t)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "checkpoint offsets: out of memory");
    o[c->n_offsets].topic = t;
    o[c->n_offsets].partition = partition;
    o[c->n_offsets].next_offset = next_offset;
    c->n_offsets++;
    return RL_OK;
}

int64_t rl_ckpt_get_offset(const rl_ckpt *c, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < c->n_offsets; i++)
        if (c->offsets[i].partition == partition && strcmp(c->offsets[i].topic, topic) == 0)
            return c->offsets[i].next_offset;
    return -1;
}

rl_err rl_ckpt_from_model(rl_ckpt *c, const rl_model *m, char *errstr, size_t errstr_size)
{
    if (c->backing_)
        release_blobs(c); /* views are read-only: export into buffers of our own */
    rl_buf_reset(&c->learner_state);
    rl_buf_reset(&c->detector_state);
    rl_buf_reset(&c->rest_state);
    rl_err e = rl_model_export(m, &c->learner_state, &c->detector_state, &c->rest_state);
    if (e != RL_OK || c->learner_state.failed || c->detector_state.failed || c->rest_state.failed)
        return rl_set_err(errstr, errstr_size, e != RL_OK ? e : RL_ERR_NOMEM,
                          "exporting the model: %s", rl_err_str(e != RL_OK ? e : RL_ERR_NOMEM));
    c->config = *rl_model_get_config(m);
    c->events = rl_model_position(m);
    return RL_OK;
}

rl_err rl_ckpt_to_model(const rl_ckpt *c, rl_alert_cb cb, void *opaque, rl_model **out,
                        char *errstr, size_t errstr_size)
{
    rl_model *m = NULL;
    char sub[256];
    *out = NULL;
    rl_err e = rl_model_new(&c->config, cb, opaque, &m, sub, sizeof(sub));
    if (e != RL_OK)
        return rl_set_err(errstr, errstr_size, e, "checkpoint config: %s", sub);
    e = rl_model_import(m, c->learner_state.data, c->learner_state.len, c->detector_state.data,
                        c->detector_state.len, c->rest_state.data, c->rest_state.len, sub,
                        sizeof(sub));
    if (e != RL_OK) {
        rl_model_destroy(m);
        return rl_set_err(errstr, errstr_size, e, "checkpoint state: %s", sub);
    }
    *out = m;
    return RL_OK;
}

/* ---- encode ---- */
typedef struct ckpt_pb {
    Relearn__Checkpoint msg;
    Relearn__LearnerConfig learner;
    char ix[RL_FMT_IX_LEN];
    Relearn__DriftConfig drift;
    Relearn__KeyValue kv[RL_MODEL_MAX_DETECTOR_PARAMS];
    Relearn__KeyValue *kvp[RL_MODEL_MAX_DETECTOR_PARAMS];
    Relearn__PartitionOffset *offs;
    Relearn__PartitionOffset **offp;
    rl_fmt_dict_pb dict;
    int has_dict;
} ckpt_pb;

static void ckpt_pb_free(ckpt_pb *pb)
{
    free(pb->offs);
    free(pb->offp);
    if (pb->has_dict)
        rl_fmt_dict_pb_free(&pb->dict);
}

static void drift_to_pb(const rl_model_config *c, ckpt_pb *pb)
{
    Relearn__DriftConfig *d = &pb->drift;
    relearn__drift_config__init(d);
    d->detector = (char *)c->detector;
    uint32_t n = c->n_det_params;
    if (n > RL_MODEL_MAX_DETECTOR_PARAMS)
        n = RL_MODEL_MAX_DETECTOR_PARAMS;
    for (uint32_t i = 0; i < n; i++) {
        relearn__key_value__init(&pb->kv[i]);
        pb->kv[i].key = (char *)c->det_keys[i];
        pb->kv[i].value = (char *)c->det_values[i];
        pb->kvp[i] = &pb->kv[i];
    }
    d->n_params = n;
    d->params = pb->kvp;
    d->response = (char *)rl_response_name(c->response);
    d->has_boost_factor = 1;
    d->boost_factor = c->boost_factor;
    d->has_boost_halflife = 1;
    d->boost_halflife = c->boost_halflife;
    d->has_error_scale = 1;
    d->error_scale = c->error_scale;
    d->has_alert_min_gap = 1;
    d->alert_min_gap = c->alert_min_gap;
    d->has_metrics_window = 1;
    d->metrics_window = c->metrics_window;
    d->watch_feature = (char *)c->watch_feature;
}

/* Fills pb from c; the blobs are left out when with_blobs is 0 (the streaming writer appends
 * them itself). pb borrows from c; ckpt_pb_free releases what it allocated. */
static rl_err ckpt_pb_build(const rl_ckpt *c, ckpt_pb *pb, int with_blobs, char *errstr,
                            size_t errstr_size)
{
    memset(pb, 0, sizeof(*pb));
    Relearn__Checkpoint *m = &pb->msg;
    relearn__checkpoint__init(m);
    m->has_format_version = 1;
    m->format_version = RL_CKPT_FORMAT_VERSION;
    m->model_name = c->model_name ? c->model_name : (char *)"";
    m->instance_id = c->instance_id ? c->instance_id : (char *)"";
    m->has_seq = 1;
    m->seq = c->seq;
    m->has_created_ms = 1;
    m->created_ms = c->created_ms ? c->created_ms : rl_fmt_now_ms();
    m->has_events_seen = 1;
    m->events_seen = c->events;
    m->has_snapshot_version = 1;
    m->snapshot_version = c->snapshot_version;
    if (c->has_published_loss && isfinite(c->published_loss)) {
        m->has_published_recent_loss = 1;
        m->published_recent_loss = c->published_loss;
    }
    rl_fmt_learner_to_pb(&c->config.learner, c->config.hash_seed, &pb->learner, pb->ix);
    m->learner = &pb->learner;
    drift_to_pb(&c->config, pb);
    m->drift = &pb->drift;
    if (with_blobs) {
        m->has_learner_state = 1;
        m->learner_state.data = c->learner_state.data;
        m->learner_state.len = c->learner_state.len;
        m->has_detector_state = 1;
        m->detector_state.data = c->detector_state.data;
        m->detector_state.len = c->detector_state.len;
        m->has_rest_state = 1;
        m->rest_state.data = c->rest_state.data;
        m->rest_state.len = c->rest_state.len;
    }
    if (c->n_offsets) {
        pb->offs = calloc(c->n_offsets, sizeof(*pb->offs));
        pb->offp = calloc(c->n_offsets, sizeof(*pb->offp));
        if (!pb->offs || !pb->offp)
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "checkpoint: out of memory");
        for (size_t i = 0; i < c->n_offsets; i++) {
            relearn__partition_offset__init(&pb->offs[i]);
            pb->offs[i].topic = c->offsets[i].topic;
            pb->offs[i].has_partition = 1;
            pb->offs[i].partition = c->offsets[i].partition;
            pb->offs[i].has_next_offset = 1;
            pb->offs[i].next_offset = c->offsets[i].next_offset;
            pb->offp[i] = &pb->offs[i];
        }
        m->n_offsets = c->n_offsets;
        m->offsets = pb->offp;
    }
    if (c->dict) {
        rl_err e = rl_fmt_dict_to_pb(c->dict, &pb->dict, errstr, errstr_size);
        if (e != RL_OK)
            return e;
        pb->has_dict = 1;
        m->dict = &pb->dict.msg;
    }
    return RL_OK;
}

/* As rl_frame_encode's default: level 1 (floats gain little from more effort). */
#define CKPT_ZSTD_LEVEL 1
/* A 128 KiB window (zstd would pick one as large as the state): a streaming decoder then keeps
 * only that much of its own buffer, so rl_ckpt_load_model can decode straight into the learner
 * (ckpt_load.c). The states that get compressed are mostly zeros, whose matches are short: the
 * files come out within 1% of the size (1% dense 2^22: 276 478 against 274 775 bytes). */
#define CKPT_ZSTD_WINDOW_LOG 17
#define AUTO_SAMPLES         65536 /* bytes looked at, spread evenly over the blobs */

unsigned rl_ckpt_auto_flags(const rl_ckpt *c)
{
    const rl_buf *blobs[3] = {&c->learner_state, &c->detector_state, &c->rest_state};
    size_t total = 0, seen = 0, zeros = 0;
    for (int i = 0; i < 3; i++)
        total += blobs[i]->len;
    if (total == 0)
        return 0;
    /* A stride that is odd and not a multiple of 4 visits every byte position of the floats,
     * so a dense array with zero low bytes (rounded values) is not mistaken for a sparse one. */
    size_t stride = total / AUTO_SAMPLES;
    stride = stride < 1 ? 1 : stride | 1;
    for (int i = 0; i < 3; i++) {
        const uint8_t *p = blobs[i]->data;
        for (size_t k = 0; k < blobs[i]->len; k += stride) {
            zeros += p[k] == 0;
            seen++;
        }
    }
    return seen && zeros * 2 >= seen ? RL_FRAME_ZERO_RUNS | RL_FRAME_ZSTD : 0;
}

/* RL_CKPT_COMPRESS_AUTO resolved against c; other bits pass through (and are checked later). */
static unsigned resolve_flags(const rl_ckpt *c, unsigned flags)
{
    if (!(flags & RL_CKPT_COMPRESS_AUTO))
        return flags;
    return (flags & ~(RL_CKPT_COMPRESS_AUTO | RL_FRAME_KNOWN)) | rl_ckpt_auto_flags(c);
}

rl_err rl_ckpt_encode(const rl_ckpt *c, unsigned flags, rl_buf *out, char *errstr,
                      size_t errstr_size)
{
    ckpt_pb pb;
    flags = resolve_flags(c, flags) & ~RL_FRAME_ZERO_RUNS;
    rl_err e = ckpt_pb_build(c, &pb, 1, errstr, errstr_size);
    if (e == RL_OK)
        e = rl_frame_encode_msg(RL_MAGIC_CKPT, &pb.msg.base, flags, 0, out, errstr, errstr_size);
    ckpt_pb_free(&pb);
    return e;
}

/* Protobuf key + length prefix of a length-delimited field (field number < 16). */
static size_t blob_prefix(uint8_t *p, unsigned field, uint64_t len)
{
    p[0] = (uint8_t)((field << 3) | 2);
    return 1 + rl_varint_put(p + 1, len);
}

/* Feeds every piece through one zstd stream into out (which holds room for the whole bound),
 * so the raw payload is never joined in memory: only the compressed bytes are written, which
 * for the sparse states that get compressed is a few pages instead of the whole array. */
static rl_err zstd_pieces(const struct iovec *iov, int n, uint64_t raw_len, uint8_t *dst,
                          size_t cap, size_t *z, char *errstr, size_t errstr_size)
{
    rl_err e = RL_OK;
    ZSTD_CCtx *cx = ZSTD_createCCtx();
    if (!cx)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "zstd: out of memory");
    size_t r = ZSTD_CCtx_setParameter(cx, ZSTD_c_compressionLevel, CKPT_ZSTD_LEVEL);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(cx, ZSTD_c_windowLog, CKPT_ZSTD_WINDOW_LOG);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setPledgedSrcSize(cx, raw_len);
    ZSTD_outBuffer ob = {dst, cap, 0};
    for (int i = 0; i < n && !ZSTD_isError(r); i++) {
        ZSTD_inBuffer ib = {iov[i].iov_base, iov[i].iov_len, 0};
        while (ib.pos < ib.size && !ZSTD_isError(r))
            r = ZSTD_compressStream2(cx, &ob, &ib, ZSTD_e_continue);
    }
    if (!ZSTD_isError(r)) {
        ZSTD_inBuffer none = {NULL, 0, 0};
        do
            r = ZSTD_compressStream2(cx, &ob, &none, ZSTD_e_end);
        while (r != 0 && !ZSTD_isError(r) && ob.pos < ob.size);
        if (r != 0 && !ZSTD_isError(r))
            e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "zstd: output exceeds its bound");
    }
    if (ZSTD_isError(r))
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "zstd compression failed: %s",
                       ZSTD_getErrorName(r));
    *z = ob.pos;
    ZSTD_freeCCtx(cx);
    return e;
}

/* The write path, without joining the state blobs into one buffer: the small fields are
 * packed, each blob follows as its own length-delimited field (protobuf accepts fields in any
 * order). Uncompressed, the pieces are written as they are and the checksum is computed over
 * them; with zstd they are streamed through one compression context into the frame. */
static rl_err write_streamed(const char *path, const rl_ckpt *c, unsigned flags, char *errstr,
                             size_t errstr_size)
{
    ckpt_pb pb;
    rl_buf small;
    uint8_t *zbuf = NULL;
    rl_zr_enc zr;
    rl_buf_init(&small);
    rl_zr_enc_init(&zr);
    rl_err e = ckpt_pb_build(c, &pb, 0, errstr, errstr_size);
    if (e != RL_OK)
        goto out;
    size_t n_small = relearn__checkpoint__get_packed_size(&pb.msg);
    if (rl_buf_reserve(&small, n_small) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    small.len = relearn__checkpoint__pack(&pb.msg, small.data);
    const rl_buf *blobs[3] = {&c->learner_state, &c->detector_state, &c->rest_state};
    uint8_t prefix[3][16], header[RL_FRAME_HEADER_LEN];
    size_t plen[3];
    uint64_t payload = small.len;
    for (int i = 0; i < 3; i++) {
        plen[i] = blob_prefix(prefix[i], 10 + (unsigned)i, blobs[i]->len);
        payload += plen[i] + blobs[i]->len;
    }
    struct iovec iov[8];
    int n = 0;
    iov[n++] = (struct iovec){header, sizeof(header)};
    iov[n++] = (struct iovec){small.data, small.len};
    for (int i = 0; i < 3; i++) {
        iov[n++] = (struct iovec){prefix[i], plen[i]};
        iov[n++] = (struct iovec){blobs[i]->data, blobs[i]->len};
    }
    /* The payload as stored: its pieces, or their zero-run coding when that saves at least an
     * eighth (a state that is only somewhat sparse is not worth a format older builds refuse). */
    const struct iovec *body = iov + 1;
    int n_body = n - 1;
    uint64_t body_len = payload;
    if (flags & RL_FRAME_ZERO_RUNS) {
        if (rl_zr_encode(&zr, iov + 1, n - 1) != RL_OK || zr.n_iov > INT_MAX - 2) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        if (zr.len <= payload - payload / 8) {
            body = zr.iov;
            n_body = (int)zr.n_iov;
            body_len = zr.len;
        } else {
            flags &= ~RL_FRAME_ZERO_RUNS;
        }
    }
    if (flags & RL_FRAME_ZSTD) {
        size_t bound = ZSTD_compressBound((size_t)body_len), z = 0;
        /* Fresh memory for the bound (huge pages when large): only the compressed bytes are
         * touched, but for a dense state that is nearly all of it. */
        if (!ZSTD_isError(bound))
            zbuf = rl_fmt_alloc_big(RL_FRAME_HEADER_LEN + bound + RL_FRAME_TRAILER_LEN, 1, NULL);
        if (ZSTD_isError(bound) || !zbuf) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        char sub[256];
        e = zstd_pieces(body, n_body, body_len, zbuf + RL_FRAME_HEADER_LEN, bound, &z, sub,
                        sizeof(sub));
        if (e != RL_OK) {
            rl_set_err(errstr, errstr_size, e, "%s: %s", path, sub);
            goto out;
        }
        rl_frame_header(zbuf, RL_MAGIC_CKPT, flags, z, payload);
        rl_frame_put_u64(zbuf + RL_FRAME_HEADER_LEN + z,
                         rl_fmt_hash64(zbuf, RL_FRAME_HEADER_LEN + z));
        e = rl_file_write_atomic(path, zbuf, RL_FRAME_HEADER_LEN + z + RL_FRAME_TRAILER_LEN, errstr,
                                 errstr_size);
        goto out;
    }
    rl_frame_header(header, RL_MAGIC_CKPT, flags, body_len, payload);
    if (body != iov + 1) {
        /* the coded pieces, after the header */
        struct iovec *all = malloc(((size_t)n_body + 1) * sizeof(*all));
        if (!all) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
        all[0] = iov[0];
        memcpy(all + 1, body, (size_t)n_body * sizeof(*all));
        e = rl_file_write_atomic_sum(path, all, n_body + 1, 1, errstr, errstr_size);
        free(all);
        goto out;
    }
    e = rl_file_write_atomic_sum(path, iov, n, 1, errstr, errstr_size);
out:
    ckpt_pb_free(&pb);
    rl_buf_free(&small);
    rl_zr_enc_free(&zr);
    free(zbuf);
    return e;
}

/* ---- files ---- */
rl_err rl_ckpt_write_file(const char *path, const rl_ckpt *c, unsigned flags, char *errstr,
                          size_t errstr_size)
{
    flags = resolve_flags(c, flags);
    if (flags & ~RL_FRAME_KNOWN)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "%s: unknown flags 0x%x", path,
                          flags);
    return write_streamed(path, c, flags, errstr, errstr_size);
}

rl_err rl_ckpt_save_model_file(const char *path, const rl_model *m, const char *model_name,
                               const rl_dict *dict, char *errstr, size_t errstr_size)
{
    rl_ckpt c;
    char sub[256];
    rl_ckpt_init(&c);
    rl_err e = rl_ckpt_set_ids(&c, model_name ? model_name : "", "", errstr, errstr_size);
    if (e == RL_OK) {
        e = rl_ckpt_from_model(&c, m, sub, sizeof(sub));
        if (e != RL_OK)
            rl_set_err(errstr, errstr_size, e, "%s: %s", path, sub);
    }
    if (e == RL_OK) {
        /* The checkpoint borrows the caller's dictionary for the encode only. */
        c.dict = (rl_dict *)dict;
        e = rl_ckpt_write_file(path, &c, RL_CKPT_COMPRESS_AUTO, errstr, errstr_size);
        c.dict = NULL;
    }
    rl_ckpt_clear(&c);
    return e;
}
