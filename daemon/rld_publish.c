/* rld_publish.c - everything relearnd writes to Kafka: dead letters, alerts, snapshots.
 *
 * One idempotent producer serves all three (enable.idempotence=true: librdkafka's retries never
 * duplicate or reorder within a partition). Delivery reports arrive through rd_kafka_poll() on
 * the loop thread, so the counters and the snapshot state below need no locks. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wire/alert_json.h"
#include "wire/kafka_headers.h"
#include "daemon/rld_int.h"
#include "storage/snapshot.h"

static void hdr_add(rd_kafka_headers_t *h, const char *name, const char *value)
{
    rd_kafka_header_add(h, name, -1, value, -1);
}

/* A header of a message being reported on, for its log line. */
static const char *hdr_get(const rd_kafka_message_t *m, const char *name, char *out,
                           size_t out_size)
{
    return rl_kafka_message_header(m, name, "?", out, out_size);
}

static void snapshot_delivered(rld_daemon *d);

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    rld_daemon *d = opaque;
    uintptr_t tag = (uintptr_t)m->_private;
    char t[160], p[32], o[32];
    (void)rk;

    switch (tag & 0xf) {
    case RLD_MSG_DEAD_LETTER:
        d->pending_records--;
        if (m->err) {
            d->sd.dead_letter_failed++;
            rl_log(RL_LOG_ERROR, "dead-letter record not delivered",
                   "topic=%s partition=%s offset=%s dlq=%s error=\"%s\"",
                   hdr_get(m, RL_HDR_TOPIC, t, sizeof(t)),
                   hdr_get(m, RL_HDR_PARTITION, p, sizeof(p)),
                   hdr_get(m, RL_HDR_OFFSET, o, sizeof(o)), d->cfg.dead_letter_topic,
                   rd_kafka_err2str(m->err));
        } else {
            d->sd.dead_letter_produced++;
        }
        break;
    case RLD_MSG_ALERT:
        d->pending_records--;
        if (m->err) {
            d->sd.alerts_failed++;
            rl_log(RL_LOG_ERROR, "alert not delivered", "topic=%s error=\"%s\"",
                   d->cfg.alerts_topic, rd_kafka_err2str(m->err));
        } else {
            d->sd.alerts_sent++;
        }
        break;
    case RLD_MSG_SNAPSHOT:
        if (!d->fl.active || (tag >> 4) != d->fl.attempt)
            break; /* a report of an earlier attempt that already failed */
        d->fl.reports++;
        if (m->err) {
            d->fl.failures++;
            rl_log(RL_LOG_WARN, "snapshot chunk not delivered",
                   "version=%" PRIu64 " chunk=%s error=\"%s\"", d->fl.version,
                   hdr_get(m, RL_HDR_CHUNK, t, sizeof(t)), rd_kafka_err2str(m->err));
        }
        if (d->fl.reports == d->fl.n_chunks)
            snapshot_delivered(d);
        break;
    default:
        break;
    }
}

rl_err rld_producer_new(rld_daemon *d, char *errstr, size_t errstr_size)
{
    char e[512];
    const char *defaults[RLD_CLIENT_DEFAULTS];
    rld_config_client_defaults(&d->cfg, RD_KAFKA_PRODUCER, defaults);
    rd_kafka_conf_t *conf =
        rld_config_kafka_conf(&d->cfg, RD_KAFKA_PRODUCER, defaults, errstr, errstr_size);
    if (!conf)
        return RL_ERR_CONFIG;
    rd_kafka_conf_set_opaque(conf, d);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, rld_on_kafka_error);
    d->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    if (!d->producer) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "producer: %s", e);
    }
    return RL_OK;
}

/* producev, waiting while the local queue is full (back-pressure, never a drop). */
static rd_kafka_resp_err_t produce(rld_daemon *d, const char *topic, const void *key,
                                   size_t key_len, const void *val, size_t val_len,
                                   rd_kafka_headers_t *h, int copy, uintptr_t tag)
{
    rd_kafka_resp_err_t err;
    for (;;) {
        err = rd_kafka_producev(d->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_VALUE((void *)val, val_len), RD_KAFKA_V_HEADERS(h),
                                RD_KAFKA_V_MSGFLAGS(copy ? RD_KAFKA_MSG_F_COPY : 0),
                                RD_KAFKA_V_OPAQUE((void *)tag), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(d->producer, 100);
    }
    if (err)
        rd_kafka_headers_destroy(h); /* not taken over on failure */
    else if ((tag & 0xf) != RLD_MSG_SNAPSHOT)
        d->pending_records++;
    return err;
}

void rld_dead_letter(rld_daemon *d, const rd_kafka_message_t *m, rl_event_reason reason,
                     const char *detail)
{
    rd_kafka_headers_t *orig = NULL, *h;
    char p[16], o[32];
    rd_kafka_resp_err_t err;
    const char *topic = rd_kafka_topic_name(m->rkt);

    /* The original headers travel with the original bytes; ours are added after them. */
    if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR)
        h = rd_kafka_headers_copy(orig);
    else
        h = rd_kafka_headers_new(6);
    snprintf(p, sizeof(p), "%" PRId32, m->partition);
    snprintf(o, sizeof(o), "%" PRId64, m->offset);
    hdr_add(h, RL_HDR_REASON, rl_event_reason_name(reason));
    hdr_add(h, RL_HDR_DETAIL, detail);
    hdr_add(h, RL_HDR_TOPIC, topic);
    hdr_add(h, RL_HDR_PARTITION, p);
    hdr_add(h, RL_HDR_OFFSET, o);
    hdr_add(h, RL_HDR_INSTANCE, d->cfg.instance_id);
    /* An oversized event is not copied: the dead-letter topic's size limit would refuse the
     * copy, and then no record would carry the reason. Its size and the position above say
     * where the original is. */
    if (reason == RL_EVENT_OVERSIZED) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", m->len);
        hdr_add(h, RL_HDR_SIZE, n);
    }
    err = produce(d, d->cfg.dead_letter_topic, m->key, m->key_len,
                  reason == RL_EVENT_OVERSIZED ? NULL : m->payload,
                  reason == RL_EVENT_OVERSIZED ? 0 : m->len, h, 1, RLD_MSG_DEAD_LETTER);
    if (err) {
        d->sd.dead_letter_failed++;
        rl_log(RL_LOG_ERROR, "dead-letter record not produced",
               "topic=%s partition=%s offset=%s reason=%s error=\"%s\"", topic, p, o,
               rl_event_reason_name(reason), rd_kafka_err2str(err));
    }
}

/* ---- alerts ---- */

/* The JSON form of proto/alert.proto's DriftAlert (its field names), produced to the alerts
 * topic keyed by model name, and the same facts as one log line. */
static void alert_emit(rld_daemon *d, json_t *o)
{
    char *s;
    rd_kafka_resp_err_t err;
    json_object_set_new(o, "format_version", json_integer(1));
    json_object_set_new(o, "model", json_string(d->cfg.model_name));
    json_object_set_new(o, "instance_id", json_string(d->cfg.instance_id));
    json_object_set_new(o, "model_version", json_integer((json_int_t)d->snap_version));
    json_object_set_new(o, "time_ms", json_integer((json_int_t)rl_now_ms()));
    json_object_set_new(o, "checkpoint_seq", json_integer((json_int_t)d->ckpt_seq));
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s) {
        rl_log(RL_LOG_ERROR, "alert not encoded", "error=\"out of memory\"");
        return;
    }
    rl_log(RL_LOG_WARN, "alert", "json=%s", s);
    if (d->producer) {
        err = produce(d, d->cfg.alerts_topic, d->cfg.model_name, strlen(d->cfg.model_name), s,
                      strlen(s), NULL, 1, RLD_MSG_ALERT);
        if (err) {
            d->sd.alerts_failed++;
            rl_log(RL_LOG_ERROR, "alert not produced", "topic=%s error=\"%s\"", d->cfg.alerts_topic,
                   rd_kafka_err2str(err));
        }
    }
    free(s);
}

void rld_alert_cb(void *opaque, const rl_alert *a)
{
    rld_daemon *d = opaque;
    uint64_t src = rld_alert_source_hash(a->source);
    if (rld_alert_ids_has(&d->alert_ids, a->position, src, (int)a->level)) {
        /* an event applied again after a crash or roll-back: this alert went out already */
        d->sd.alerts_already_sent++;
        rl_log_limited(&d->rl_replayed_alert, 5, RL_LOG_INFO, "alert already sent; not sent again",
                       "source=%s level=%s position=%" PRIu64, a->source ? a->source : "error",
                       rl_alert_level_name(a->level), a->position);
        return;
    }
    if (rld_alert_ids_add(&d->alert_ids, a->position, src, (int)a->level) != 0)
        rl_log(RL_LOG_WARN, "alert not remembered as sent; a roll-back may send it again",
               "position=%" PRIu64, a->position);
    json_t *o = rl_alert_to_json(a);
    if (!o)
        return;
    if ((unsigned)a->level < 3)
        d->sd.alerts_suppressed[a->level] += a->suppressed;
    alert_emit(d, o);
    json_decref(o);
}

void rld_alert_send(rld_daemon *d, const char *detector, int level, const char *response,
                    const char *detail, double recent_loss, const rl_event_pos *pos)
{
    /* the record of a model alert (wire/alert_json.h), with no statistic and no event place;
     * source is a machine value (alert.proto), the sentence goes to detail */
    rl_alert a = {.detector = detector,
                  .source = "daemon",
                  .detail = detail,
                  .level = (rl_drift_state)level,
                  .statistic = NAN,
                  .position = rl_model_position(d->model),
                  .response = response,
                  .recent_loss = recent_loss,
                  .challenger_loss = NAN};
    if (pos)
        a.pos = *pos;
    json_t *o = rl_alert_to_json(&a);
    if (!o)
        return;
    alert_emit(d, o);
    json_decref(o);
}

/* ---- snapshots ---- */

static void snapshot_free(rld_daemon *d)
{
    /* chunks is NULL for a one-message version (it lives in snap_buf, kept for reuse). */
    rl_snapshot_chunks_free(d->fl.chunks, d->fl.n_chunks);
    memset(&d->fl, 0, sizeof(d->fl));
}

/* Produces every chunk of the in-flight version (again, after a failure). */
static void snapshot_produce(rld_daemon *d)
{
    char ver[32], size[32], chunk[32];
    d->fl.attempt++;
    d->fl.reports = d->fl.failures = 0;
    d->fl.retry_at = 0;
    snprintf(ver, sizeof(ver), "%" PRIu64, d->fl.version);
    snprintf(size, sizeof(size), "%zu", d->fl.total_len);
    for (size_t i = 0; i < d->fl.n_chunks; i++) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(5);
        rd_kafka_resp_err_t err;
        snprintf(chunk, sizeof(chunk), "%zu/%zu", i, d->fl.n_chunks);
        hdr_add(h, RL_HDR_MODEL, d->cfg.model_name);
        hdr_add(h, RL_HDR_VERSION, ver);
        hdr_add(h, RL_HDR_INSTANCE, d->cfg.instance_id);
        hdr_add(h, RL_HDR_CHUNK, chunk);
        hdr_add(h, RL_HDR_SIZE, size);
        const rl_buf *msg = d->fl.chunks ? &d->fl.chunks[i] : &d->snap_buf;
        /* No copy: the chunk buffers (or snap_buf) live until every delivery report is in. */
        err =
            produce(d, d->cfg.snapshot_topic, d->cfg.model_name, strlen(d->cfg.model_name),
                    msg->data, msg->len, h, 0, RLD_MSG_SNAPSHOT | ((uintptr_t)d->fl.attempt << 4));
        if (err) {
            rl_log(RL_LOG_WARN, "snapshot chunk not produced",
                   "version=%" PRIu64 " chunk=%s error=\"%s\"", d->fl.version, chunk,
                   rd_kafka_err2str(err));
            d->fl.reports++;
            d->fl.failures++;
        }
    }
    if (d->fl.reports == d->fl.n_chunks)
        snapshot_delivered(d);
}

static void snapshot_delivered(rld_daemon *d)
{
    double now = rl_mono_s();
    if (d->fl.failures) {
        /* The same version and bytes go out again: a version is never skipped, and the
         * idempotent producer keeps the log free of duplicates within a session. */
        double backoff = 0.5 * (double)(1u << (d->fl.attempt < 6 ? d->fl.attempt : 6));
        d->sd.snapshots_failed++;
        d->fl.retry_at = now + backoff;
        rl_log(RL_LOG_WARN, "snapshot publish failed, will retry the same version",
               "version=%" PRIu64 " failed_chunks=%zu chunks=%zu retry_in_s=%.1f", d->fl.version,
               d->fl.failures, d->fl.n_chunks, backoff);
        return;
    }
    d->snap_version = d->fl.version;
    d->pub_loss = d->fl.recent_loss;
    d->have_pub_loss = isfinite(d->fl.recent_loss);
    d->pub_dirty = 1;
    d->sd.snapshot_version = d->fl.version;
    d->sd.snapshot_last_ms = rl_now_ms();
    d->sd.snapshots_published++;
    rld_hist_observe(&d->sd.snapshot_latency, now - d->fl.t_tick);
    d->sd.snapshot_last_loss = d->fl.recent_loss;
    rl_log(RL_LOG_INFO, "snapshot published",
           "version=%" PRIu64 " bytes=%zu chunks=%zu latency_ms=%.1f recent_loss=%.6g "
           "topic=%s",
           d->fl.version, d->fl.total_len, d->fl.n_chunks, (now - d->fl.t_tick) * 1000.0,
           d->fl.recent_loss, d->cfg.snapshot_topic);
    snapshot_free(d);
}

void rld_snapshot_tick(rld_daemon *d, int forced)
{
    char e[512];
    double now = rl_mono_s();
    uint64_t pos = rl_model_position(d->model);
    rl_metrics_summary sum;
    rl_snapshot_meta meta;
    rl_snapshot_range ranges[RLD_STATS_MAX_PARTS];
    rl_buf *framed = &d->snap_buf;
    int due;

    if (d->fl.active) {
        if (d->fl.retry_at > 0 && now >= d->fl.retry_at)
            snapshot_produce(d);
        if (forced)
            rl_log(RL_LOG_INFO, "snapshot requested while one is in flight", "version=%" PRIu64,
                   d->fl.version);
        return;
    }
    due = forced ||
          (d->cfg.snap_every_events > 0 && pos - d->snap_position >= d->cfg.snap_every_events) ||
          (d->cfg.snap_every_seconds > 0 && now - d->snap_last_mono >= d->cfg.snap_every_seconds &&
           pos > d->snap_position);
    if (!due)
        return;
    d->snap_last_mono = now;
    d->snap_position = pos;
    rl_model_summary(d->model, &sum);

    /* The promotion gate (rld_gate.c): the candidate against the published version, on the
     * same events. SIGUSR1 is an operator's explicit request and bypasses it (logged). */
    if (rld_gate_holds(d, forced, pos))
        return;

    memset(&meta, 0, sizeof(meta));
    size_t nr = 0;
    for (size_t i = 0; i < d->n_parts && nr < RLD_STATS_MAX_PARTS; i++) {
        if (d->parts[i].first < 0 || d->parts[i].next < 0)
            continue;
        ranges[nr].topic = d->parts[i].topic;
        ranges[nr].partition = d->parts[i].partition;
        ranges[nr].first_offset = d->parts[i].first;
        ranges[nr].end_offset = d->parts[i].next;
        nr++;
    }
    meta.model_name = d->cfg.model_name;
    meta.instance_id = d->cfg.instance_id;
    meta.version = d->snap_version + 1;
    meta.parent_version = d->snap_version;
    meta.ranges = ranges;
    meta.n_ranges = nr;
    meta.dict = d->dict;
    /* Reused: nothing points into snap_buf here, as no version is in flight. */
    rl_buf_reset(framed);
    if (rl_snapshot_encode_model(d->model, &meta, d->cfg.snap_compress, framed, e, sizeof(e)) !=
            RL_OK ||
        (framed->len > d->cfg.snap_chunk_bytes &&
         rl_snapshot_split(framed->data, framed->len, d->cfg.model_name, d->cfg.instance_id,
                           meta.version, d->cfg.snap_chunk_bytes, &d->fl.chunks, &d->fl.n_chunks, e,
                           sizeof(e)) != RL_OK)) {
        d->sd.snapshots_failed++;
        rl_log(RL_LOG_ERROR, "snapshot not encoded", "version=%" PRIu64 " error=\"%s\"",
               meta.version, e);
        /* A failed allocation sticks to an rl_buf: start the next attempt from scratch. */
        rl_buf_free(framed);
        rl_buf_init(framed);
        return;
    }
    /* From the next event on, candidates are judged against this version. */
    rld_gate_promote(d, framed->data, framed->len, meta.version);
    /* A version that fits one message (what rl_snapshot_split would copy as is) goes out
     * straight from snap_buf: the same bytes, without a fresh copy per publish. */
    if (!d->fl.chunks)
        d->fl.n_chunks = 1;
    d->fl.active = 1;
    d->fl.version = meta.version;
    d->fl.total_len = framed->len;
    d->fl.t_tick = now;
    d->fl.recent_loss = sum.recent_loss;
    snapshot_produce(d);
}

void rld_publish_drain(rld_daemon *d, int timeout_ms)
{
    double deadline = rl_mono_s() + timeout_ms / 1000.0;
    if (!d->producer)
        return;
    while (rl_mono_s() < deadline) {
        if (d->fl.active && d->fl.retry_at > 0)
            snapshot_produce(d);
        if (rd_kafka_outq_len(d->producer) == 0 && !d->fl.active)
            break;
        rd_kafka_poll(d->producer, 100);
    }
    if (d->fl.active)
        rl_log(RL_LOG_WARN, "snapshot still unconfirmed at shutdown; the next start republishes",
               "version=%" PRIu64, d->fl.version);
}

void rld_publish_destroy(rld_daemon *d)
{
    if (d->fl.active)
        snapshot_free(d);
    rl_buf_free(&d->snap_buf);
}
