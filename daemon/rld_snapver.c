/* rld_snapver.c - what this (model, instance) line last wrote, read from its topics themselves.
 *
 * Snapshot versions (DESIGN.md: the topic is the truth for versions). A version counts only
 * once its last chunk is on the topic (chunks of one version go in order to one partition, so
 * the last chunk implies the others; a reader discards a partial version).
 *
 * Alert positions. After a crash the events since the last checkpoint are read and applied
 * again, and they raise the same alerts again: ops were paged twice for one drift. The last
 * position alerted per source (error stream, watched feature) on the alerts topic, when that
 * alert was raised after the checkpoint relearnd starts from (its checkpoint_seq), tells which
 * replayed alerts were already sent.
 *
 * Both read backwards from each partition's end in growing windows until a message of this
 * (model, instance) line turns up, so a long topic costs a short read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "kafka_headers.h"
#include "rld_daemon.h"
#include "rld_log.h"

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

/* What the messages of our line say, per slot (snapshots: slot 0; alerts: error stream, watched
 * feature): found once one turned up, and the value. */
typedef struct scan_state {
    uint64_t ckpt_seq; /* alerts: the checkpoint relearnd starts from */
    int found[2];
    uint64_t val[2];
} scan_state;

typedef void (*scan_fn)(const rld_config *cfg, const rd_kafka_message_t *m, scan_state *st);

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
    if (v > st->val[0])
        st->val[0] = v;
    if (v)
        st->found[0] = 1;
}

/* A model alert of our line (JSON, rld_publish.c), per source. The last one counts (messages
 * come in offset order): its position, if it was raised after the checkpoint we start from;
 * otherwise 0 (raised before it, or by an earlier life of the instance whose checkpoints were
 * removed: not ours to skip). Only model alerts (source "error" or "feature:...") are replayed;
 * the daemon's own (gate, checkpoint, offset_jump) are not. */
static void scan_alert(const rld_config *cfg, const rd_kafka_message_t *m, scan_state *st)
{
    json_error_t je;
    json_t *o;
    const char *model, *inst, *det, *src;
    json_t *pos, *seq;
    if (!m->payload || m->len == 0)
        return;
    o = json_loadb(m->payload, m->len, 0, &je);
    if (!json_is_object(o))
        goto done;
    model = json_string_value(json_object_get(o, "model"));
    inst = json_string_value(json_object_get(o, "instance_id"));
    det = json_string_value(json_object_get(o, "detector"));
    src = json_string_value(json_object_get(o, "source"));
    pos = json_object_get(o, "position");
    seq = json_object_get(o, "checkpoint_seq");
    if (!model || !inst || !det || !src || !json_is_integer(pos) || json_integer_value(pos) < 1 ||
        strcmp(model, cfg->model_name) != 0 || strcmp(inst, cfg->instance_id) != 0 ||
        (strcmp(src, "error") != 0 && strncmp(src, "feature:", 8) != 0))
        goto done;
    int i = strcmp(src, "error") == 0 ? 0 : 1;
    st->found[i] = 1;
    st->val[i] = json_is_integer(seq) && (uint64_t)json_integer_value(seq) == st->ckpt_seq
                     ? (uint64_t)json_integer_value(pos)
                     : 0;
done:
    json_decref(o);
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
 * backwards until one holds a message of ours (slot 0 or, when want_both, both slots); the
 * highest value over the partitions goes to out. */
static rl_err topic_last(const rld_config *cfg, const char *topic, scan_fn scan, int want_both,
                         uint64_t ckpt_seq, int timeout_ms, uint64_t out[2], char *errstr,
                         size_t errstr_size)
{
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    rl_err err = RL_OK;
    uint64_t best[2] = {0, 0};

    out[0] = out[1] = 0;
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
        scan_state st = {.ckpt_seq = ckpt_seq};
        kerr = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, timeout_ms);
        if (kerr) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s/%d: watermarks: %s",
                             topic, p, rd_kafka_err2str(kerr));
            break;
        }
        to = hi;
        while (to > lo && !(st.found[0] && (!want_both || st.found[1])) && err == RL_OK) {
            int64_t from = to - window > lo ? to - window : lo;
            err = read_range(rk, topic, p, from, to, timeout_ms, scan, &st, errstr, errstr_size);
            to = from;
            window *= 4;
        }
        for (int k = 0; k < 2; k++)
            if (st.val[k] > best[k])
                best[k] = st.val[k];
    }
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (err == RL_OK) {
        out[0] = best[0];
        out[1] = best[1];
    }
    return err;
}

rl_err rld_snapshot_topic_last_version(const rld_config *cfg, int timeout_ms, uint64_t *out,
                                       char *errstr, size_t errstr_size)
{
    uint64_t v[2];
    rl_err err = topic_last(cfg, cfg->snapshot_topic, scan_version, 0, 0, timeout_ms, v, errstr,
                            errstr_size);
    *out = err == RL_OK ? v[0] : 0;
    return err;
}

rl_err rld_alerts_topic_last_positions(const rld_config *cfg, uint64_t ckpt_seq, int timeout_ms,
                                       uint64_t out[2], char *errstr, size_t errstr_size)
{
    return topic_last(cfg, cfg->alerts_topic, scan_alert, cfg->model.watch_feature[0] != '\0',
                      ckpt_seq, timeout_ms, out, errstr, errstr_size);
}
