/* snapshot.c - the snapshot codec: learner weights <-> Snapshot message in an "RLSN" frame,
 * and turning a decoded snapshot back into a learner that predicts as the publisher did. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/ckpt_internal.h"
#include "storage/snapshot.h"
#include "storage/snapshot_rows.h"
#include "proto/snapshot.pb-c.h"

void rl_snapshot_init(rl_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    rl_learner_params_default(&s->learner);
}

static void row_free(rl_snapshot_row *r)
{
    free(r->w);
    free(r->idx);
    free(r->val);
    free(r->dense_block);
}

void rl_snapshot_clear(rl_snapshot *s)
{
    if (!s)
        return;
    free(s->model_name);
    free(s->instance_id);
    for (uint32_t i = 0; s->rows && i < s->n_rows; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    if (s->scales)
        row_free(s->scales);
    free(s->scales);
    for (size_t i = 0; i < s->n_ranges; i++)
        free(s->ranges[i].topic);
    free(s->ranges);
    rl_dict_destroy(s->dict);
    rl_snapshot_init(s);
}

/* ---- encode ---- */
typedef struct snap_pb {
    Relearn__Snapshot msg;
    Relearn__LearnerConfig learner;
    char ix[RL_FMT_IX_LEN];
    Relearn__Metrics metrics;
    Relearn__WeightRow *rows;
    Relearn__WeightRow **rowp;
    Relearn__OffsetRange *ranges;
    Relearn__OffsetRange **rangep;
    rl_fmt_dict_pb dict;
    int has_dict;
    Relearn__WeightRow scales;
    float
        *scale_buf; /* the scales gathered from the learner's state (dense_weights may point in) */
} snap_pb;

static void snap_pb_free(snap_pb *pb, uint32_t n_rows)
{
    for (uint32_t i = 0; pb->rows && i < n_rows; i++) {
        /* Sparse arrays are ours; dense ones point into the learner. */
        if (pb->rows[i].n_sparse_delta) {
            free(pb->rows[i].sparse_delta);
            free(pb->rows[i].sparse_values);
        }
    }
    if (pb->scales.n_sparse_delta) {
        free(pb->scales.sparse_delta);
        free(pb->scales.sparse_values);
    }
    free(pb->scale_buf);
    free(pb->rows);
    free(pb->rowp);
    free(pb->ranges);
    free(pb->rangep);
    if (pb->has_dict)
        rl_fmt_dict_pb_free(&pb->dict);
}

static void metrics_to_pb(const rl_metrics_summary *s, Relearn__Metrics *m)
{
    relearn__metrics__init(m);
    m->task = (char *)rl_task_name(s->task);
#define SET(f, v)                                                                                  \
    do {                                                                                           \
        m->has_##f = 1;                                                                            \
        m->f = (v);                                                                                \
    } while (0)
    SET(n, s->n);
    SET(weight, s->weight);
    SET(accuracy, s->accuracy);
    SET(log_loss, s->log_loss);
    SET(auc, s->auc);
    SET(rmse, s->rmse);
    SET(mae, s->mae);
    SET(mean_loss, s->mean_loss);
    SET(recent_loss, s->recent_loss);
    SET(recent_accuracy, s->recent_accuracy);
    SET(recent_n, s->recent_n);
#undef SET
}

rl_err rl_snapshot_encode_learner(const rl_learner *l, uint64_t hash_seed, uint64_t events,
                                  const rl_metrics_summary *metrics, const rl_snapshot_meta *meta,
                                  unsigned flags, rl_buf *out, char *errstr, size_t errstr_size)
{
    snap_pb pb;
    rl_scoring sc;
    rl_err e = RL_OK;
    memset(&pb, 0, sizeof(pb));
    rl_learner_scoring(l, &sc);
    const rl_weights w = sc.w;
    /* Format 2 only when its fields are needed to score as the model does (snapshot.h). */
    const int v2 = sc.scale_sparse || sc.scale_dense || sc.scale_bias || sc.score_scale != 1.0;
    if (w.n_rows == 0 || !w.w || !w.bias)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "snapshot: learner '%s' exposes no weights", l->params.learner);
    Relearn__Snapshot *m = &pb.msg;
    relearn__snapshot__init(m);
    m->has_format_version = 1;
    m->format_version = l->params.interactions.n ? 3 : v2 ? 2 : 1;
    m->model_name = (char *)(meta && meta->model_name ? meta->model_name : "");
    m->instance_id = (char *)(meta && meta->instance_id ? meta->instance_id : "");
    m->has_version = 1;
    m->version = meta ? meta->version : 0;
    m->has_parent_version = 1;
    m->parent_version = meta ? meta->parent_version : 0;
    m->has_created_ms = 1;
    m->created_ms = meta && meta->created_ms ? meta->created_ms : rl_fmt_now_ms();
    m->has_events_seen = 1;
    m->events_seen = events;
    rl_fmt_learner_to_pb(&l->params, hash_seed, &pb.learner, pb.ix);
    m->learner = &pb.learner;
    m->has_row_count = 1;
    m->row_count = w.n_rows;
    pb.rows = calloc(w.n_rows, sizeof(*pb.rows));
    pb.rowp = calloc(w.n_rows, sizeof(*pb.rowp));
    if (!pb.rows || !pb.rowp) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
        goto fail;
    }
    int all_sparse = 1;
    for (uint32_t r = 0; r < w.n_rows; r++) {
        Relearn__WeightRow *row = &pb.rows[r];
        relearn__weight_row__init(row);
        row->has_bias = 1;
        row->bias = w.bias[r];
        if (sc.score_scale != 1.0) {
            row->has_score_scale = 1;
            row->score_scale = sc.score_scale;
        }
        e = rl_snap_row_to_pb(w.w + (size_t)r * w.n_sparse, w.n_sparse, row, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
        if (row->n_dense_weights)
            all_sparse = 0;
        if (w.dense && w.dense_dim) {
            row->n_dense_block = w.dense_dim;
            row->dense_block = (float *)(w.dense + (size_t)r * w.dense_dim);
        }
        pb.rowp[r] = row;
    }
    m->n_rows = w.n_rows;
    m->rows = pb.rowp;
    if (sc.scale_sparse || sc.scale_dense || sc.scale_bias) {
        e = rl_snap_scales_to_pb(&sc, &pb.scales, &pb.scale_buf, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
        m->scales = &pb.scales;
        if (pb.scales.n_dense_weights)
            all_sparse = 0;
    }
    if (metrics) {
        metrics_to_pb(metrics, &pb.metrics);
        m->metrics = &pb.metrics;
    }
    if (meta && meta->n_ranges) {
        pb.ranges = calloc(meta->n_ranges, sizeof(*pb.ranges));
        pb.rangep = calloc(meta->n_ranges, sizeof(*pb.rangep));
        if (!pb.ranges || !pb.rangep) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
            goto fail;
        }
        for (size_t i = 0; i < meta->n_ranges; i++) {
            Relearn__OffsetRange *o = &pb.ranges[i];
            relearn__offset_range__init(o);
            o->topic = meta->ranges[i].topic ? meta->ranges[i].topic : (char *)"";
            o->has_partition = 1;
            o->partition = meta->ranges[i].partition;
            o->has_first_offset = 1;
            o->first_offset = meta->ranges[i].first_offset;
            o->has_end_offset = 1;
            o->end_offset = meta->ranges[i].end_offset;
            pb.rangep[i] = o;
        }
        m->n_ranges = meta->n_ranges;
        m->ranges = pb.rangep;
    }
    if (meta && meta->dict) {
        e = rl_fmt_dict_to_pb(meta->dict, &pb.dict, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
        pb.has_dict = 1;
        m->dict = &pb.dict.msg;
    }
    if (flags & RL_SNAPSHOT_COMPRESS_AUTO)
        flags = (flags & ~(RL_SNAPSHOT_COMPRESS_AUTO | RL_FRAME_ZSTD)) |
                (all_sparse ? RL_FRAME_ZSTD : 0);
    e = rl_frame_encode_msg(RL_MAGIC_SNAPSHOT, &m->base, flags, 0, out, errstr, errstr_size);
fail:
    snap_pb_free(&pb, w.n_rows);
    return e;
}

rl_err rl_snapshot_encode_model(const rl_model *m, const rl_snapshot_meta *meta, unsigned flags,
                                rl_buf *out, char *errstr, size_t errstr_size)
{
    rl_metrics_summary sum;
    rl_model_summary(m, &sum);
    return rl_snapshot_encode_learner(rl_model_learner_c(m), rl_model_get_config(m)->hash_seed,
                                      rl_model_position(m), &sum, meta, flags, out, errstr,
                                      errstr_size);
}

/* ---- decode ---- */
static rl_err metrics_from_pb(const Relearn__Metrics *m, rl_metrics_summary *s, char *errstr,
                              size_t errstr_size)
{
    memset(s, 0, sizeof(*s));
    s->task = RL_TASK_BINARY;
    int found = m->task == NULL;
    for (int t = RL_TASK_BINARY; m->task && t <= RL_TASK_MULTICLASS; t++) {
        if (strcmp(m->task, rl_task_name((rl_task)t)) == 0) {
            s->task = (rl_task)t;
            found = 1;
        }
    }
    if (!found)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "metrics: unknown task '%s'",
                          m->task);
#define GET(f) s->f = m->has_##f ? m->f : NAN
    s->n = m->n;
    s->recent_n = m->recent_n;
    GET(weight);
    GET(accuracy);
    GET(log_loss);
    GET(auc);
    GET(rmse);
    GET(mae);
    GET(mean_loss);
    GET(recent_loss);
    GET(recent_accuracy);
#undef GET
    return RL_OK;
}

/* The decoder's allocations: the weight rows it unpacks (and that rl_snapshot keeps) are
 * filled at once, so large ones get huge pages (rl_fmt_alloc_big); all are free()-able. */
static void *pb_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return rl_fmt_alloc_big(size, 0, NULL);
}

static void pb_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

/* rl_snapshot_decode with the checksum the loader computed as it read (sum, may be NULL). */
static rl_err decode_sum(const void *p, size_t len, const rl_fmt_sum *sum, rl_snapshot *s,
                         char *errstr, size_t errstr_size)
{
    rl_frame_info info;
    const uint8_t *payload;
    size_t plen;
    void *owned = NULL;
    Relearn__Snapshot *m = NULL;
    rl_err e;

    rl_snapshot_clear(s);
    e = rl_frame_decode_ex(p, len, RL_MAGIC_SNAPSHOT, sum, NULL, 0, &info, &payload, &plen, &owned,
                           errstr, errstr_size);
    if (e != RL_OK)
        return e;
    m = relearn__snapshot__unpack(&pb_allocator, plen, payload);
    if (!m) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "checksum matches but the snapshot message does not parse");
        goto fail;
    }
    e = rl_fmt_check_message_version(m->has_format_version, m->format_version,
                                     RL_SNAPSHOT_FORMAT_VERSION, "snapshot", errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    s->format_version = m->format_version;
    e = rl_fmt_learner_from_pb(m->learner, &s->learner, &s->hash_seed, errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    if (s->learner.interactions.n && s->format_version < 3) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "snapshot format %u with a format-3 field (learner interactions)",
                       s->format_version);
        goto fail;
    }
    s->n_sparse = (uint64_t)1 << s->learner.bits;
    s->dense_dim = s->learner.dense_dim;
    if (!m->has_row_count || m->row_count == 0 || m->row_count > RL_CLASSES_MAX ||
        m->row_count != m->n_rows) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "snapshot: row_count %u but %zu rows (1..%d allowed)", m->row_count,
                       m->n_rows, RL_CLASSES_MAX);
        goto fail;
    }
    s->model_name = rl_fmt_strdup(m->model_name);
    s->instance_id = rl_fmt_strdup(m->instance_id);
    s->rows = calloc(m->n_rows, sizeof(*s->rows));
    if (!s->model_name || !s->instance_id || !s->rows) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
        goto fail;
    }
    s->n_rows = (uint32_t)m->n_rows;
    for (uint32_t r = 0; r < s->n_rows; r++) {
        e = rl_snap_row_from_pb(m->rows[r], r, s->n_sparse, s->dense_dim, &s->rows[r], errstr,
                                errstr_size);
        if (e != RL_OK)
            goto fail;
        if (s->rows[r].score_scale != 1.0 && s->format_version < 2) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "snapshot format 1 with a format-2 field (row %u score_scale)", r);
            goto fail;
        }
    }
    if (m->scales) {
        e = rl_snap_scales_from_pb(m->scales, s, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    s->version = m->version;
    s->parent_version = m->parent_version;
    s->created_ms = m->created_ms;
    s->events = m->events_seen;
    if (m->metrics) {
        e = metrics_from_pb(m->metrics, &s->metrics, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
        s->has_metrics = 1;
    }
    if (m->n_ranges) {
        s->ranges = calloc(m->n_ranges, sizeof(*s->ranges));
        if (!s->ranges) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
            goto fail;
        }
        for (size_t i = 0; i < m->n_ranges; i++) {
            const Relearn__OffsetRange *o = m->ranges[i];
            if (!o->topic || !o->has_partition || !o->has_first_offset || !o->has_end_offset ||
                o->end_offset < o->first_offset) {
                e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                               "snapshot offset range %zu: missing field or end before first", i);
                goto fail;
            }
            s->ranges[i].topic = rl_fmt_strdup(o->topic);
            if (!s->ranges[i].topic) {
                e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
                goto fail;
            }
            s->ranges[i].partition = o->partition;
            s->ranges[i].first_offset = o->first_offset;
            s->ranges[i].end_offset = o->end_offset;
            s->n_ranges = i + 1;
        }
    }
    if (m->dict) {
        e = rl_fmt_dict_from_pb(m->dict, &s->dict, errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    s->frame = info;
    relearn__snapshot__free_unpacked(m, &pb_allocator);
    free(owned);
    return RL_OK;
fail:
    if (m)
        relearn__snapshot__free_unpacked(m, &pb_allocator);
    free(owned);
    rl_snapshot_clear(s);
    return e;
}

rl_err rl_snapshot_decode(const void *p, size_t len, rl_snapshot *s, char *errstr,
                          size_t errstr_size)
{
    return decode_sum(p, len, NULL, s, errstr, errstr_size);
}

rl_err rl_snapshot_read_file(const char *path, rl_snapshot *s, char *errstr, size_t errstr_size)
{
    char sub[256];
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    rl_fmt_sum sum;
    rl_snapshot_clear(s);
    rl_err e = rl_fmt_file_load(path, NULL, 0, &buf, &len, &cap, &sum, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    e = decode_sum(buf, len, &sum, s, sub, sizeof(sub));
    if (e != RL_OK)
        rl_set_err(errstr, errstr_size, e, "%s: %s", path, sub);
    free(buf);
    return e;
}

rl_err rl_snapshot_write_file(const char *path, const void *framed, size_t len, char *errstr,
                              size_t errstr_size)
{
    return rl_file_write_atomic(path, framed, len, errstr, errstr_size);
}
