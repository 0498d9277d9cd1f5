/* rld_snapver.c - what this (model, instance) line last wrote, read from its topics themselves.
 *
 * Snapshot versions (docs/DESIGN.md: the topic is the truth for versions):
 * rl_snaptopic_last_version (kafka/kafka.h) counts a version once its last chunk is on the topic.
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
 * Both read only each partition's tail, backwards in growing windows (rl_kafka_read_tails), so
 * a long topic costs a short read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "daemon/rld_alert_ids.h"
#include "daemon/rld_daemon.h"
#include "kafka/kafka.h"
#include "wire/alert_json.h"

/* The short-lived consumer that reads a topic's tail: no group membership, no commits. */
static rd_kafka_conf_t *probe_conf(const rld_config *cfg, char *errstr, size_t errstr_size)
{
    static const char *const defaults[] = {"group.id", "relearnd-version-probe", NULL};
    return rld_config_kafka_conf(cfg, RD_KAFKA_CONSUMER, defaults, errstr, errstr_size);
}

/* A model alert of our line, as the window being read holds it. */
typedef struct alert_rec {
    uint64_t seq, position;
    uint64_t source_hash;
    int level;
} alert_rec;

/* The identities to skip (ids), gathered window by window, newest first; the window's records
 * and where the reading of the partition stands. */
typedef struct scan_state {
    const rld_config *cfg;
    uint64_t ckpt_seq, ckpt_pos;
    rld_alert_ids *ids;
    alert_rec *win; /* this window's records of ours, in offset order */
    size_t n_win, cap_win;
    uint64_t prev_seq; /* seq of the newer alert seen last, reading backwards */
    int stop;
} scan_state;

/* A partition's reading starts afresh (the window buffer is kept). */
static void alerts_begin(void *ctx, int32_t partition)
{
    scan_state *st = ctx;
    (void)partition;
    st->n_win = 0;
    st->prev_seq = UINT64_MAX;
    st->stop = 0;
}

/* A model alert of our line (JSON, rld_publish.c): kept in the window's records. Only model
 * alerts (source "error" or "feature:...") are replayed; the daemon's own (gate, checkpoint,
 * offset_jump, checkpoint_dir) are not. An alert without checkpoint_seq (older relearnd) cannot
 * be placed on a line and is left out. */
static void scan_alert(void *ctx, const rd_kafka_message_t *m)
{
    scan_state *st = ctx;
    const rld_config *cfg = st->cfg;
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
static int alerts_window_done(void *ctx)
{
    scan_state *st = ctx;
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
            rl_log(RL_LOG_WARN, "too many alerts to read back; older ones may be sent again",
                   "max=%d", RLD_ALERT_IDS_MAX);
            st->stop = 1;
            break;
        }
        rld_alert_ids_add(st->ids, r->position, r->source_hash, r->level);
    }
    st->n_win = 0;
    return st->stop;
}

rl_err rld_snapshot_topic_last_version(const rld_config *cfg, int timeout_ms, uint64_t *out,
                                       char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = probe_conf(cfg, errstr, errstr_size);
    *out = 0;
    if (!conf)
        return RL_ERR_CONFIG;
    return rl_snaptopic_last_version(conf, cfg->snapshot_topic, cfg->model_name, cfg->instance_id,
                                     timeout_ms, out, errstr, errstr_size);
}

rl_err rld_alerts_topic_sent(const rld_config *cfg, uint64_t ckpt_seq, uint64_t ckpt_position,
                             int timeout_ms, rld_alert_ids *ids, char *errstr, size_t errstr_size)
{
    scan_state st = {.cfg = cfg, .ckpt_seq = ckpt_seq, .ckpt_pos = ckpt_position, .ids = ids};
    rl_kafka_tail_scan scan = {alerts_begin, scan_alert, alerts_window_done, &st};
    rd_kafka_conf_t *conf = probe_conf(cfg, errstr, errstr_size);
    if (!conf)
        return RL_ERR_CONFIG;
    rl_err err =
        rl_kafka_read_tails(conf, cfg->alerts_topic, timeout_ms, &scan, errstr, errstr_size);
    free(st.win);
    return err;
}
