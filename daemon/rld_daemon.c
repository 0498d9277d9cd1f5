/* rld_daemon.c - the consume loop and shutdown. (Start-up is rld_start.c; checkpoints, commits
 * and rebalances are in rld_offsets.c, publishing in rld_publish.c, reading relearnd's own
 * topics back in rld_snapver.c.) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "learners/interactions.h"
#include "daemon/rld_int.h"
#include "daemon/rld_notify.h"
#include "storage/snapshot.h"

/* ---- the loop ---- */

/* Lag, rate, model figures: refreshed once per batch and published for the HTTP thread. */
static void refresh_stats(rld_daemon *d)
{
    double now = rl_mono_s();
    rld_stats_data *s = &d->sd;
    uint64_t total = s->events_ok + s->events_bad;
    size_t n = 0;

    if (now - d->rate_t >= 2.0) {
        s->events_per_s = (double)(total - d->rate_events) / (now - d->rate_t);
        d->rate_t = now;
        d->rate_events = total;
    }
    for (size_t i = 0; i < d->n_parts && n < RLD_STATS_MAX_PARTS; i++) {
        rld_part *p = &d->parts[i];
        int64_t lo, hi;
        if (!p->assigned)
            continue;
        if (d->consumer &&
            rd_kafka_get_watermark_offsets(d->consumer, p->topic, p->partition, &lo, &hi) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            hi >= 0)
            p->high = hi;
        snprintf(s->parts[n].topic, sizeof(s->parts[n].topic), "%s", p->topic);
        s->parts[n].partition = p->partition;
        s->parts[n].next_offset = p->next;
        s->parts[n].high = p->high;
        s->parts[n].committed = p->committed;
        s->parts[n].jumps_back = p->jumps_back;
        s->parts[n].jumps_fwd = p->jumps_fwd;
        s->parts[n].skipped = p->skipped;
        s->parts[n].lost = p->lost;
        n++;
    }
    s->n_parts = n;
    s->model_position = rl_model_position(d->model);
    rl_model_summary(d->model, &s->summary);
    rld_count_model_rises(d);
    s->drift_warnings = d->seen_counts[0];
    s->drifts = d->seen_counts[1];
    s->feature_warnings = d->seen_counts[2];
    s->feature_drifts = d->seen_counts[3];
    s->drift_state = (int)rl_model_drift_state(d->model);
    rl_model_counters k;
    rl_model_counters_get(d->model, &k);
    for (int l = 0; l < 3; l++) {
        s->alerts_suppressed_pending[0][l] = k.suppressed_pending[l];
        s->alerts_suppressed_pending[1][l] = k.feature_suppressed_pending[l];
    }
    rld_stats_publish(&d->stats, s);
}

static void handle_error_message(rld_daemon *d, rd_kafka_message_t *m)
{
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "-";
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return;
    snprintf(d->sd.last_kafka_error, sizeof(d->sd.last_kafka_error), "%s",
             rd_kafka_message_errstr(m));
    if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
        m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
        d->sd.offset_resets++;
        rl_log(RL_LOG_ERROR, "offset out of range",
               "topic=%s partition=%d offset=%" PRId64 " error=\"%s\"", topic, m->partition,
               m->offset, rd_kafka_message_errstr(m));
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT) {
        /* Apache Kafka refuses a session.timeout.ms outside its group.min/max.session.timeout.ms
         * (6 s / 30 min by default) on every JoinGroup: retrying can never join. */
        rl_log(RL_LOG_ERROR, "the brokers refuse the consumer group's session timeout",
               "error=\"%s\" fix=\"set [kafka] session.timeout.ms within the brokers' "
               "group.min.session.timeout.ms .. group.max.session.timeout.ms\"",
               rd_kafka_message_errstr(m));
        d->config_refused = 1;
        return;
    }
    rl_log_limited(&d->rl_kafka, 5, RL_LOG_WARN, "consumer error",
                   "topic=%s partition=%d code=%s error=\"%s\"", topic, m->partition,
                   rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
}

/* The per-event path: decode, step, track the offset. Allocates nothing. */
static void handle_message(rld_daemon *d, rd_kafka_message_t *m)
{
    char e[256];
    rl_example ex;
    rl_event_reason reason;
    const char *topic;
    rld_part *p;

    if (m->err) {
        handle_error_message(d, m);
        return;
    }
    topic = rd_kafka_topic_name(m->rkt);
    d->payload_bytes += m->len;
    p = rld_part_find(d, topic, m->partition, 1);
    if (p && rld_offset_check(d, p, m))
        return; /* learned already, before a backward jump */
    const int fmt = rld_config_topic_format(&d->cfg, topic);
    if (fmt == RLD_FMT_JSON)
        reason = rl_json_decode(d->jdec, m->payload, m->len, &ex, e, sizeof(e));
    else if (fmt != RLD_FMT_EVENT)
        reason = rl_text_decode(d->tdec[fmt], m->payload, m->len, &ex, e, sizeof(e));
    else
        reason = rl_event_decode(d->dec, m->payload, m->len, &ex, NULL, e, sizeof(e));
    if (reason == RL_EVENT_OK) {
        rl_event_pos pos = {topic, m->partition, m->offset};
        /* Names point into the message (or the JSON decoder's names); the dictionary copies at
         * most RL_DICT_NAME_MAX bytes into its fixed entries, so nothing is allocated here. */
        for (uint32_t i = 0; i < ex.n_feats; i++) {
            size_t nl;
            const uint8_t *nm = fmt == RLD_FMT_JSON    ? rl_json_feature_name(d->jdec, i, &nl)
                                : fmt != RLD_FMT_EVENT ? rl_text_feature_name(d->tdec[fmt], i, &nl)
                                                       : rl_event_feature_name(d->dec, i, &nl);
            if (nm)
                rl_dict_add(d->dict, ex.feats[i].index, nm, nl);
        }
        rl_model_step(d->model, &ex, &pos, NULL);
        d->sd.events_ok++;
    } else {
        d->sd.events_bad++;
        d->sd.bad_by_reason[reason]++;
        rl_log_limited(&d->rl_bad, 10, RL_LOG_WARN, "bad event dead-lettered",
                       "topic=%s partition=%d offset=%" PRId64 " reason=%s detail=\"%s\"", topic,
                       m->partition, m->offset, rl_event_reason_name(reason), e);
        rld_dead_letter(d, m, reason, e);
    }
    if (p) {
        if (p->first < 0)
            p->first = m->offset;
        p->next = m->offset + 1;
    }
    d->dirty = 1;
}

static int checkpoint_due(rld_daemon *d, double now)
{
    uint64_t pos = rl_model_position(d->model);
    if ((!d->dirty && !d->pub_dirty) || now < d->ckpt_retry_at || d->ckpt_dir_lost)
        return 0;
    if (d->ckpt_failures)
        return 1; /* retrying after backoff */
    if (d->cfg.ckpt_every_events > 0 && pos - d->ckpt_position >= d->cfg.ckpt_every_events)
        return 1;
    return d->cfg.ckpt_every_seconds > 0 && now - d->ckpt_last_mono >= d->cfg.ckpt_every_seconds;
}

/* librdkafka says "all brokers down" but not when they are back: ask, cheaply, now and then. */
static void probe_brokers(rld_daemon *d, double now)
{
    const struct rd_kafka_metadata *md = NULL;
    if (!d->sd.brokers_down || now - d->last_broker_probe < 2.0)
        return;
    d->last_broker_probe = now;
    if (rd_kafka_metadata(d->consumer, 0, NULL, &md, 500) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        d->sd.brokers_down = 0;
        rl_log(RL_LOG_INFO, "brokers reachable again", "brokers=%s", d->cfg.brokers);
    }
    if (md)
        rd_kafka_metadata_destroy(md);
}

int rld_daemon_run(rld_daemon *d)
{
    size_t batch = (size_t)d->cfg.batch_size;
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(d->consumer);
    rd_kafka_message_t **msgs = calloc(batch, sizeof(*msgs));

    if (!q || !msgs) {
        rl_log(RL_LOG_ERROR, "start-up failed", "error=\"%s\"",
               q ? "out of memory" : "no consumer queue");
        if (q)
            rd_kafka_queue_destroy(q);
        free(msgs);
        return RLD_EXIT_FAILURE;
    }
    rld_notify_status("waiting for the consumer group's first assignment");
    rl_log(RL_LOG_INFO, "relearnd running",
           "model=%s instance=%s group=%s topics=%s brokers=%s learner=%s", d->cfg.model_name,
           d->cfg.instance_id, d->cfg.group, d->cfg.topics, d->cfg.brokers, d->sd.learner);
    while (!rl_stop_signals && !d->config_refused) {
        int forced = 0, timeout_ms;
        size_t n;
        ssize_t got;
        double now;

        if (rl_usr1_received) {
            rl_usr1_received = 0;
            forced = 1;
            rl_log(RL_LOG_INFO, "SIGUSR1: publishing a snapshot now", NULL);
        }
        /* One call takes up to a batch from the consumer queue (rebalance callbacks are
         * served inside it): it returns when the batch is full or the timeout passes, so an
         * idle stream costs one wake-up per timeout, never a busy loop. While deliveries are
         * outstanding the timeout is short, to see their reports soon. */
        timeout_ms = forced ? 0
                     : rd_kafka_outq_len(d->producer) > 0
                         ? 10
                         : (int)(d->cfg.batch_timeout_s * 1000.0 + 0.5);
        got = rd_kafka_consume_batch_queue(q, timeout_ms, msgs, batch);
        if (got < 0) {
            rl_log_limited(&d->rl_kafka, 5, RL_LOG_WARN, "consume failed", "error=\"%s\"",
                           rd_kafka_err2str(rd_kafka_last_error()));
            got = 0;
        }
        for (ssize_t i = 0; i < got; i++) {
            handle_message(d, msgs[i]);
            rd_kafka_message_destroy(msgs[i]);
        }
        n = (size_t)got;
        now = rl_mono_s();
        if (n > 0) {
            d->sd.last_progress_ms = rl_now_ms();
            if (d->sd.brokers_down)
                d->sd.brokers_down = 0;
        }
        rd_kafka_poll(d->producer, 0); /* delivery reports */
        if (now - d->ckpt_dir_checked >= 1.0) {
            d->ckpt_dir_checked = now;
            rld_ckpt_dir_check(d);
        }
        if (checkpoint_due(d, now))
            rld_checkpoint(d, d->ckpt_failures ? "retry" : "schedule");
        rld_snapshot_tick(d, forced);
        probe_brokers(d, now);
        refresh_stats(d);
        rld_fetch_wake_tick(d, q, now);
        rld_notify_alive(now, d->sd.model_position, d->ckpt_seq, d->snap_version);
    }

    rld_fetch_wake_destroy(d->waker);
    d->waker = NULL;
    rd_kafka_queue_destroy(q);
    free(msgs);
    rl_log(RL_LOG_INFO, "stopping: final checkpoint and commit", NULL);
    rld_notify_stopping("stopping: final checkpoint and commit");
    d->exit_status = d->config_refused ? RLD_EXIT_CONFIG : RLD_EXIT_OK;
    if (!d->dirty && d->commit_pending)
        rld_commit_offsets(d);
    if (d->dirty || d->pub_dirty) {
        for (int attempt = 0; attempt < 5; attempt++) {
            struct timespec ts = {0, 500000000L};
            if (rld_checkpoint(d, "shutdown") == RL_OK)
                break;
            nanosleep(&ts, NULL);
        }
        if (d->dirty || d->pub_dirty) {
            rl_log(RL_LOG_ERROR, "final checkpoint failed; offsets stay at the last durable one",
                   "seq=%" PRIu64, d->ckpt_seq);
            d->exit_status = RLD_EXIT_FAILURE;
        }
    }
    /* Leaves the group: the revoke callback commits again if needed. */
    rd_kafka_consumer_close(d->consumer);
    rld_publish_drain(d, 10000);
    refresh_stats(d);
    rl_log(RL_LOG_INFO, "relearnd stopped",
           "events=%" PRIu64 " bad=%" PRIu64 " checkpoint_seq=%" PRIu64 " snapshot_version=%" PRIu64
           " exit=%d",
           d->sd.events_ok, d->sd.events_bad, d->ckpt_seq, d->snap_version, d->exit_status);
    return d->exit_status;
}

void rld_daemon_destroy(rld_daemon *d)
{
    if (!d)
        return;
    rld_http_stop(d->http);
    rld_fetch_wake_destroy(d->waker);
    if (d->consumer)
        rd_kafka_destroy(d->consumer);
    if (d->producer) {
        rd_kafka_flush(d->producer, 1000);
        rd_kafka_destroy(d->producer);
    }
    /* Only now: unconfirmed snapshot chunks were produced without a copy. */
    rld_publish_destroy(d);
    rl_event_decoder_destroy(d->dec);
    rl_json_decoder_destroy(d->jdec);
    for (int f = 0; f < RLD_FMT_N; f++)
        rl_text_decoder_destroy(d->tdec[f]);
    rl_dict_destroy(d->dict);
    rl_ckpt_clear(&d->last_ck);
    rl_ckpt_clear(&d->committed_ck);
    rl_model_destroy(d->model);
    rld_gate_free(&d->gate);
    rld_alert_ids_free(&d->alert_ids);
    free(d->parts);
    rld_stats_destroy(&d->stats);
    if (d->ckpt_lock_fd >= 0)
        close(d->ckpt_lock_fd);
    free(d);
}
