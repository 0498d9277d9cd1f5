/* rld_snapver.c - what this (model, instance) line last wrote, read from its topics themselves.
 *
 * Snapshot versions (docs/DESIGN.md: the topic is the truth for versions). A version counts only
 * once its last chunk is on the topic (chunks of one version go in order to one partition, so
 * the last chunk implies the others; a reader discards a partial version).
 *
 * Alert identities. After a crash the events since the last checkpoint are read and applied
 * again, and they raise the same alerts again: ops were paged twice for one drift. The model
 * alerts of this (model, instance) on the alerts topic raised after the position relearnd
 * starts from are collected by identity (source, level, position; rld_alert_ids.h) and not sent
 * again. Which of them belong to the model line relearnd continues: each carries the
 * checkpoint_seq it was raised after, and along one line those never decrease in topic order
 * (each life starts from the newest checkpoint, whose seq is at least any the life before
 * tagged). Reading backwards, a seq above the checkpoint relearnd starts from belongs to another
 * line (a fresh model under the same instance id, the old checkpoints removed), and a seq rising
 * again marks where this line began: older alerts are not ours. The reading stops there, or at
 * the first alert at or below the starting position.
 *
 * Both read backwards from each partition's end in growing windows until a message of this
 * (model, instance) line turns up, so a long topic costs a short read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "wire/alert_json.h"
#include "wire/kafka_headers.h"
#include "daemon/rld_alert_ids.h"
#include "daemon/rld_daemon.h"
#include "daemon/rld_log.h"

/* A header value as a NUL-terminated string (truncated to out_size - 1); 0 if absent. */
static int header_str(rd_kafka_headers_t *h, const char *name, char *out, size_t out_size)
{
    const void *v;
    size_t n;
    if (!h || rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
        return 0;
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 1;
}

/* A model alert of our line, as the window being read holds it. */
typedef struct alert_rec {
    uint64_t seq, position;
    uint64_t source_hash;
    int level;
} alert_rec;

/* What the messages of our line say. Snapshots: the highest version (found once one turned up).
 * Alerts: the identities to skip (ids), gathered window by window, newest first. */
typedef struct scan_state {
    int found;
    uint64_t version;
    uint64_t ckpt_seq, ckpt_pos;
    rld_alert_ids *ids;
    alert_rec *win; /* this window's records of ours, in offset order */
    size_t n_win, cap_win;
    uint64_t prev_seq; /* seq of the newer alert seen last, reading backwards */
    int stop;
} scan_state;

typedef void (*scan_fn)(const rld_config *cfg, const rd_kafka_message_t *m, scan_state *st);
/* After each window: 1 when no older window needs reading. */
typedef int (*window_fn)(scan_state *st);

/* Is this message the completing message of a version of our line? Returns the version or 0. */
static uint64_t our_version(const rld_config *cfg, const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *h = NULL;
    char model[256], inst[256], ver[32], chunk[32];
    unsigned long long v;
    unsigned ci, cn;
    char *end;

    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    if (!header_str(h, RL_HDR_MODEL, model, sizeof(model)) ||
        !header_str(h, RL_HDR_INSTANCE, inst, sizeof(inst)) ||
        !header_str(h, RL_HDR_VERSION, ver, sizeof(ver)))
        return 0;
    if (strcmp(model, cfg->model_name) != 0 || strcmp(inst, cfg->instance_id) != 0)
        return 0;
    v = strtoull(ver, &end, 10);
    if (*end != '\0')
        return 0;
    if (header_str(h, RL_HDR_CHUNK, chunk, sizeof(chunk))) {
        if (sscanf(chunk, "%u/%u", &ci, &cn) != 2 || cn == 0 || ci + 1 != cn)
            return 0; /* not the last chunk: the version counts at its last one */
    }
    return v;
}

static void scan_version(const rld_config *cfg, const rd_kafka_message_t *m, scan_state *st)
{
    uint64_t v = our_version(cfg, m);
    if (v > st->version)
        st->version = v;
    if (v)
        st->found = 1;
}

static int version_found(scan_state *st)
{
    return st->found;
}

/* A model alert of our line (JSON, rld_publish.c): kept in the window's records. Only model
 * alerts (source "error" or "feature:...") are replayed; the daemon's own (gate, checkpoint,
 * offset_jump, checkpoint_dir) are not. An alert without checkpoint_seq (older relearnd) cannot
 * be placed on a line and is left out. */
static void scan_alert(const rld_config *cfg, const rd_kafka_message_t *m, scan_state *st)
{
    json_error_t je;
    json_t *o;
    const char *model, *inst, *src, *lvl;
    json_t *pos, *seq;
    int level = -1;
    if (!m->payload || m->len == 0)
        return;
    o = json_loadb(m->payload, m->len, 0, &je);
    if (!json_is_object(o))
        goto done;
    model = json_string_value(json_object_get(o, "model"));
    inst = json_string_value(json_object_get(o, "instance_id"));
    src = json_string_value(json_object_get(o, "source"));
    lvl = json_string_value(json_object_get(o, "level"));
    pos = json_object_get(o, "position");
    seq = json_object_get(o, "checkpoint_seq");
    for (int l = 0; lvl && l < 3; l++)
        if (strcmp(lvl, rl_alert_level_name((rl_drift_state)l)) == 0)
            level = l;
    if (!model || !inst || !src || level < 0 || !json_is_integer(pos) ||
        json_integer_value(pos) < 1 || !json_is_integer(seq) || json_integer_value(seq) < 0 ||
        strcmp(model, cfg->model_name) != 0 || strcmp(inst, cfg->instance_id) != 0 ||
        (strcmp(src, "error") != 0 && strncmp(src, "feature:", 8) != 0))
        goto done;
    if (st->n_win == st->cap_win) {
        size_t cap = st->cap_win ? st->cap_win * 2 : 64;
        alert_rec *w = realloc(st->win, cap * sizeof(*w));
        if (!w)
            goto done;
        st->win = w;
        st->cap_win = cap;
    }
    st->win[st->n_win++] =
        (alert_rec){(uint64_t)json_integer_value(seq), (uint64_t)json_integer_value(pos),
                    rld_alert_source_hash(src), level};
done:
    json_decref(o);
}

/* The window's records, newest first: identities of our line above the starting position. */
static int alerts_window_done(scan_state *st)
{
    for (size_t i = st->n_win; i-- > 0 && !st->stop;) {
        const alert_rec *r = &st->win[i];
        /* Raised after a checkpoint this start does not have (another line: a fresh model after
         * the old one's checkpoints were removed), or a seq rising again (where this line
         * began), or at or before where this line resumes: the older ones are not ours. A
         * doubt stops here - an alert sent twice is better than one never sent. */
        if (r->seq > st->ckpt_seq || r->seq > st->prev_seq || r->position <= st->ckpt_pos) {
            st->stop = 1;
            break;
        }
        st->prev_seq = r->seq;
        if (st->ids->n >= RLD_ALERT_IDS_MAX) {
            rld_log(RLD_WARN, "too many alerts to read back; older ones may be sent again",
                    "max=%d", RLD_ALERT_IDS_MAX);
            st->stop = 1;
            break;
        }
        rld_alert_ids_add(st->ids, r->position, r->source_hash, r->level);
    }
    st->n_win = 0;
    return st->stop;
}

/* Reads [from, to) of one partition through scan. */
static rl_err read_range(rd_kafka_t *rk, const char *topic, int32_t part, int64_t from, int64_t to,
                         int timeout_ms, scan_fn scan, scan_state *st, char *errstr,
                         size_t errstr_size)
{
    const rld_config *cfg = rd_kafka_opaque(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rl_err err = RL_OK;
    double deadline = rld_mono_s() + timeout_ms / 1000.0;

    rd_kafka_topic_partition_list_add(l, topic, part)->offset = from;
    if (rd_kafka_assign(rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "%s/%d: cannot assign", topic, part);
        goto done;
    }
    for (;;) {
        rd_kafka_message_t *m;
        if (rld_mono_s() > deadline) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_TIMEOUT,
                             "%s/%d: reading offsets %" PRId64 "..%" PRId64 " timed out", topic,
                             part, from, to);
            break;
        }
        m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        if (m->err) {
            rld_log(RLD_WARN, "reading back our own topic", "topic=%s partition=%d error=\"%s\"",
                    topic, part, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset < to)
            scan(cfg, m, st);
        if (m->offset + 1 >= to) {
            rd_kafka_message_destroy(m);
            break;
        }
        rd_kafka_message_destroy(m);
    }
done:
    rd_kafka_assign(rk, NULL);
    rd_kafka_topic_partition_list_destroy(l);
    return err;
}

/* What scan finds in the tail of every partition of topic: per partition, windows are read
 * backwards until done says the older ones are not needed (a version found; the alerts of our
 * line covered); the highest version over the partitions goes to version. */
static rl_err topic_last(const rld_config *cfg, const char *topic, scan_fn scan, window_fn done,
                         const scan_state *init, int timeout_ms, uint64_t *version, char *errstr,
                         size_t errstr_size)
{
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    rl_err err = RL_OK;
    uint64_t best = 0;
    alert_rec *win = NULL; /* the window buffer, kept across partitions */
    size_t cap_win = 0;

    if (version)
        *version = 0;
    if (rld_config_apply_kafka(cfg, conf, errstr, errstr_size) != RL_OK) {
        rd_kafka_conf_destroy(conf);
        return RL_ERR_CONFIG;
    }
    if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "group.id", "relearnd-version-probe", e, sizeof(e))) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "version probe config: %s", e);
    }
    rd_kafka_conf_set_opaque(conf, (void *)cfg);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "version probe: %s", e);
    }
    rkt = rd_kafka_topic_new(rk, topic, NULL);
    kerr = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    if (kerr) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: metadata: %s", topic,
                         rd_kafka_err2str(kerr));
        goto done;
    }
    if (md->topic_cnt < 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        md->topics[0].partition_cnt == 0) {
        /* No topic yet: nothing was ever published. */
        goto done;
    }
    if (md->topics[0].err) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: %s", topic,
                         rd_kafka_err2str(md->topics[0].err));
        goto done;
    }
    for (int i = 0; i < md->topics[0].partition_cnt && err == RL_OK; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo, hi, to, window = 64;
        scan_state st = *init;
        st.win = win;
        st.cap_win = cap_win;
        st.prev_seq = UINT64_MAX;
        kerr = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, timeout_ms);
        if (kerr) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s/%d: watermarks: %s",
                             topic, p, rd_kafka_err2str(kerr));
            break;
        }
        to = hi;
        while (to > lo && err == RL_OK) {
            int64_t from = to - window > lo ? to - window : lo;
            err = read_range(rk, topic, p, from, to, timeout_ms, scan, &st, errstr, errstr_size);
            to = from;
            window *= 4;
            if (done(&st))
                break;
        }
        win = st.win;
        cap_win = st.cap_win;
        if (st.version > best)
            best = st.version;
    }
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(win);
    if (err == RL_OK && version)
        *version = best;
    return err;
}

rl_err rld_snapshot_topic_last_version(const rld_config *cfg, int timeout_ms, uint64_t *out,
                                       char *errstr, size_t errstr_size)
{
    scan_state init = {0};
    return topic_last(cfg, cfg->snapshot_topic, scan_version, version_found, &init, timeout_ms, out,
                      errstr, errstr_size);
}

rl_err rld_alerts_topic_sent(const rld_config *cfg, uint64_t ckpt_seq, uint64_t ckpt_position,
                             int timeout_ms, rld_alert_ids *ids, char *errstr, size_t errstr_size)
{
    scan_state init = {.ckpt_seq = ckpt_seq, .ckpt_pos = ckpt_position, .ids = ids};
    return topic_last(cfg, cfg->alerts_topic, scan_alert, alerts_window_done, &init, timeout_ms,
                      NULL, errstr, errstr_size);
}
