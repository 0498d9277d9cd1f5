/* rld_stats.c - the published copy of relearnd's counters and its three renderings. */
#include "daemon/rld_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/rld_process.h"
#include "drift/detector.h"

const double rld_hist_bounds[RLD_HIST_BOUNDS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5,   1,      2.5,   5,    10,    30,   60};

void rld_hist_observe(rld_hist *h, double seconds)
{
    size_t b = 0;
    while (b < RLD_HIST_BOUNDS && seconds > rld_hist_bounds[b])
        b++;
    h->counts[b]++;
    h->sum += seconds;
}

void rld_stats_init(rld_stats *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
}

void rld_stats_destroy(rld_stats *s)
{
    if (s)
        pthread_mutex_destroy(&s->lock);
}

void rld_stats_publish(rld_stats *s, const rld_stats_data *d)
{
    pthread_mutex_lock(&s->lock);
    s->d = *d;
    pthread_mutex_unlock(&s->lock);
}

void rld_stats_get(rld_stats *s, rld_stats_data *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->d;
    pthread_mutex_unlock(&s->lock);
}

static int64_t part_lag(const rld_part_stats *p)
{
    if (p->high < 0 || p->next_offset < 0)
        return -1;
    return p->high > p->next_offset ? p->high - p->next_offset : 0;
}

int rld_stats_healthy(const rld_stats_data *d, int64_t now_ms, char *reason, size_t reason_size)
{
    double idle_s = (double)(now_ms - d->last_progress_ms) / 1000.0;
    if (d->ckpt_dir_lost[0]) {
        snprintf(reason, reason_size, "%s", d->ckpt_dir_lost);
        return 0;
    }
    if (d->ckpt_consecutive_failures > 0) {
        snprintf(reason, reason_size, "checkpoints failing: %u in a row",
                 d->ckpt_consecutive_failures);
        return 0;
    }
    if (d->brokers_down) {
        snprintf(reason, reason_size, "all brokers down: %s", d->last_kafka_error);
        return 0;
    }
    if (idle_s > d->stuck_after_s) {
        for (size_t i = 0; i < d->n_parts; i++) {
            int64_t lag = part_lag(&d->parts[i]);
            if (lag > 0) {
                snprintf(reason, reason_size,
                         "consumer stuck: %s/%d lag %lld, nothing consumed for %.0f s",
                         d->parts[i].topic, d->parts[i].partition, (long long)lag, idle_s);
                return 0;
            }
        }
    }
    if (d->degraded_ms > 0 && now_ms - d->degraded_ms < (int64_t)RLD_DEGRADED_HOLD_S * 1000) {
        snprintf(reason, reason_size, "degraded: %s", d->degraded_reason);
        return 1;
    }
    snprintf(reason, reason_size, "ok");
    return 1;
}

static void metric(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP relearnd_%s %s\n# TYPE relearnd_%s %s\n", name, help, name, type);
}

static void hist(FILE *f, const char *name, const rld_hist *h)
{
    uint64_t cum = 0;
    for (size_t b = 0; b <= RLD_HIST_BOUNDS; b++) {
        cum += h->counts[b];
        if (b < RLD_HIST_BOUNDS)
            fprintf(f, "relearnd_%s_bucket{le=\"%g\"} %llu\n", name, rld_hist_bounds[b],
                    (unsigned long long)cum);
        else
            fprintf(f, "relearnd_%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    fprintf(f, "relearnd_%s_sum %.9g\nrelearnd_%s_count %llu\n", name, h->sum, name,
            (unsigned long long)cum);
}

/* A wall-clock time in seconds since the epoch; no sample at all when there is none yet (0), so
 * `time() - x` never reads an age of 56 years. */
static void stamp(FILE *f, const char *name, int64_t ms)
{
    if (ms > 0)
        fprintf(f, "relearnd_%s %.3f\n", name, (double)ms / 1000.0);
}

/* A family of one unlabelled sample. */
static void scalar(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
    metric(f, name, type, help);
    fprintf(f, "relearnd_%s %llu\n", name, (unsigned long long)v);
}

/* Prometheus wants NaN / +Inf spelled this way. */
static void val(FILE *f, const char *name, double v)
{
    fprintf(f, "relearnd_%s ", name);
    if (isnan(v))
        fputs("NaN\n", f);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf\n" : "-Inf\n", f);
    else
        fprintf(f, "%.17g\n", v);
}

char *rld_stats_prometheus(const rld_stats_data *d, int64_t now_ms)
{
    char *out = NULL;
    size_t len = 0;
    char reason[512];
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;

    metric(f, "info", "gauge",
           "Identity of this relearnd instance (instance_id: Prometheus owns `instance`).");
    fprintf(f, "relearnd_info{model=\"%s\",instance_id=\"%s\",learner=\"%s\",detector=\"%s\"} 1\n",
            d->model_name, d->instance_id, d->learner, d->detector);
    rld_process_metrics(f);
    metric(f, "up", "gauge", "1 when /healthz would answer 200.");
    fprintf(f, "relearnd_up %d\n", rld_stats_healthy(d, now_ms, reason, sizeof(reason)));

    metric(f, "events_total", "counter",
           "Events consumed by this process, by outcome (rate() gives events per second).");
    fprintf(f, "relearnd_events_total{outcome=\"learned\"} %llu\n",
            (unsigned long long)d->events_ok);
    fprintf(f, "relearnd_events_total{outcome=\"dead_lettered\"} %llu\n",
            (unsigned long long)d->events_bad);
    metric(f, "bad_events_total", "counter", "Refused events, by reason.");
    for (int r = 1; r < RL_EVENT_REASON__COUNT; r++)
        fprintf(f, "relearnd_bad_events_total{reason=\"%s\"} %llu\n",
                rl_event_reason_name((rl_event_reason)r), (unsigned long long)d->bad_by_reason[r]);
    metric(f, "dead_letter_total", "counter", "Dead-letter records, by delivery result.");
    fprintf(f, "relearnd_dead_letter_total{result=\"delivered\"} %llu\n",
            (unsigned long long)d->dead_letter_produced);
    fprintf(f, "relearnd_dead_letter_total{result=\"failed\"} %llu\n",
            (unsigned long long)d->dead_letter_failed);
    scalar(f, "offset_resets_total", "counter",
           "Offset out of range: position reset per auto.offset.reset.", d->offset_resets);
    metric(f, "degraded", "gauge",
           "1 while /healthz says degraded (an offset jump in the last hour; still 200).");
    fprintf(f, "relearnd_degraded %d\n",
            d->degraded_ms > 0 && now_ms - d->degraded_ms < (int64_t)RLD_DEGRADED_HOLD_S * 1000);
    metric(f, "offset_jumps_total", "counter",
           "Positions that moved away from the next expected offset, by direction: backward "
           "(events come back that were learned already) or forward (offsets never read).");
    for (size_t i = 0; i < d->n_parts; i++)
        for (int fwd = 0; fwd < 2; fwd++)
            fprintf(f,
                    "relearnd_offset_jumps_total{topic=\"%s\",partition=\"%d\","
                    "direction=\"%s\"} %llu\n",
                    d->parts[i].topic, d->parts[i].partition, fwd ? "forward" : "backward",
                    (unsigned long long)(fwd ? d->parts[i].jumps_fwd : d->parts[i].jumps_back));
    metric(f, "offset_skipped_events_total", "counter",
           "Events read again below the expected offset after a backward jump: not learned twice.");
    for (size_t i = 0; i < d->n_parts; i++)
        fprintf(f, "relearnd_offset_skipped_events_total{topic=\"%s\",partition=\"%d\"} %llu\n",
                d->parts[i].topic, d->parts[i].partition, (unsigned long long)d->parts[i].skipped);
    metric(f, "offset_lost_events_total", "counter",
           "Offsets jumped over forward (removed by retention before they were read), including "
           "those before the log start at a first assignment.");
    for (size_t i = 0; i < d->n_parts; i++)
        fprintf(f, "relearnd_offset_lost_events_total{topic=\"%s\",partition=\"%d\"} %llu\n",
                d->parts[i].topic, d->parts[i].partition, (unsigned long long)d->parts[i].lost);
    scalar(f, "fetch_wakeups_total", "counter",
           "Requests sent to wake librdkafka's fetcher after its prefetch queue was drained.",
           d->fetch_wakeups);

    metric(f, "partition_lag", "gauge", "High watermark minus next offset to read (events).");
    for (size_t i = 0; i < d->n_parts; i++)
        fprintf(f, "relearnd_partition_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                d->parts[i].topic, d->parts[i].partition, (long long)part_lag(&d->parts[i]));
    metric(f, "partition_next_offset", "gauge", "Next offset to read, per partition.");
    for (size_t i = 0; i < d->n_parts; i++)
        fprintf(f, "relearnd_partition_next_offset{topic=\"%s\",partition=\"%d\"} %lld\n",
                d->parts[i].topic, d->parts[i].partition, (long long)d->parts[i].next_offset);
    metric(f, "partition_committed_offset", "gauge", "Offset last committed to the group.");
    for (size_t i = 0; i < d->n_parts; i++)
        fprintf(f, "relearnd_partition_committed_offset{topic=\"%s\",partition=\"%d\"} %lld\n",
                d->parts[i].topic, d->parts[i].partition, (long long)d->parts[i].committed);

    scalar(f, "model_events", "gauge",
           "Events the model has learned from in its whole life (restored from the checkpoint).",
           d->model_position);
    metric(f, "recent_loss", "gauge", "Mean learner loss over the recent window.");
    val(f, "recent_loss", d->summary.recent_loss);
    metric(f, "recent_accuracy_ratio", "gauge",
           "Accuracy over the recent window (classifiers), 0 to 1.");
    val(f, "recent_accuracy_ratio", d->summary.recent_accuracy);
    metric(f, "accuracy_ratio", "gauge", "Prequential accuracy over the model's life, 0 to 1.");
    val(f, "accuracy_ratio", d->summary.accuracy);
    metric(f, "mean_loss", "gauge", "Prequential mean loss over the model's life.");
    val(f, "mean_loss", d->summary.mean_loss);
    scalar(f, "drift_warnings_total", "counter",
           "Drift warnings this process saw the model raise (a roll-back never lowers it).",
           d->proc_warnings);
    scalar(f, "drifts_total", "counter",
           "Drifts this process saw the model raise (a roll-back never lowers it).",
           d->proc_drifts);
    scalar(f, "feature_drift_warnings_total", "counter",
           "Drift warnings of the watched feature (watch_feature) this process saw.",
           d->proc_feature_warnings);
    scalar(f, "feature_drifts_total", "counter",
           "Drifts of the watched feature (watch_feature) this process saw.",
           d->proc_feature_drifts);
    scalar(f, "model_drift_warnings", "gauge",
           "Drift warnings over the model's life, as restored from its checkpoint.",
           d->drift_warnings);
    scalar(f, "model_drifts", "gauge", "Drifts over the model's life, as restored.", d->drifts);
    scalar(f, "model_feature_drift_warnings", "gauge",
           "Watched-feature drift warnings over the model's life, as restored.",
           d->feature_warnings);
    scalar(f, "model_feature_drifts", "gauge",
           "Watched-feature drifts over the model's life, as restored.", d->feature_drifts);
    metric(f, "drift_state", "gauge",
           "The error detector's state: 1 on the series of the current state, 0 on the others.");
    for (int l = 0; l < 3; l++)
        fprintf(f, "relearnd_drift_state{state=\"%s\"} %d\n",
                rl_drift_state_name((rl_drift_state)l), d->drift_state == l);
    metric(f, "alerts_total", "counter",
           "Alerts, by result: delivered to the alerts topic, failed, or not sent again "
           "because an event applied again after a restart or roll-back had raised it before.");
    fprintf(f, "relearnd_alerts_total{result=\"delivered\"} %llu\n",
            (unsigned long long)d->alerts_sent);
    fprintf(f, "relearnd_alerts_total{result=\"failed\"} %llu\n",
            (unsigned long long)d->alerts_failed);
    fprintf(f, "relearnd_alerts_total{result=\"already_sent\"} %llu\n",
            (unsigned long long)d->alerts_already_sent);
    metric(f, "alerts_suppressed_total", "counter",
           "Alerts swallowed by the rate limit (alert_min_gap, hysteresis), by level, as "
           "reported in the suppressed field of the alert that followed them.");
    for (int l = 0; l < 3; l++)
        fprintf(f, "relearnd_alerts_suppressed_total{level=\"%s\"} %llu\n",
                rl_drift_state_name((rl_drift_state)l),
                (unsigned long long)d->alerts_suppressed[l]);
    metric(f, "alerts_suppressed_pending", "gauge",
           "Alerts swallowed by the rate limit that no alert has reported yet, by source and "
           "level.");
    for (int src = 0; src < 2; src++)
        for (int l = 0; l < 3; l++)
            fprintf(f, "relearnd_alerts_suppressed_pending{source=\"%s\",level=\"%s\"} %llu\n",
                    src ? "feature" : "error", rl_drift_state_name((rl_drift_state)l),
                    (unsigned long long)d->alerts_suppressed_pending[src][l]);

    scalar(f, "checkpoint_seq", "gauge", "Sequence number of the last durable checkpoint.",
           d->ckpt_seq);
    metric(f, "checkpoints_total", "counter", "Checkpoint writes, by result.");
    fprintf(f, "relearnd_checkpoints_total{result=\"ok\"} %llu\n", (unsigned long long)d->ckpt_ok);
    fprintf(f, "relearnd_checkpoints_total{result=\"failed\"} %llu\n",
            (unsigned long long)d->ckpt_failed);
    metric(f, "checkpoint_failures_in_a_row", "gauge", "Consecutive failed checkpoint writes.");
    fprintf(f, "relearnd_checkpoint_failures_in_a_row %u\n", d->ckpt_consecutive_failures);
    metric(f, "checkpoint_last_success_timestamp_seconds", "gauge",
           "When the last durable checkpoint of this process was written, seconds since the "
           "epoch (no sample before the first).");
    stamp(f, "checkpoint_last_success_timestamp_seconds", d->ckpt_last_ms);
    metric(f, "checkpoint_duration_seconds", "histogram",
           "Checkpoint writes (serialise, write, fsync, rename), by duration.");
    hist(f, "checkpoint_duration_seconds", &d->ckpt_duration);
    metric(f, "commits_total", "counter", "Offset commits to the group, by result.");
    fprintf(f, "relearnd_commits_total{result=\"ok\"} %llu\n", (unsigned long long)d->commits_ok);
    fprintf(f, "relearnd_commits_total{result=\"failed\"} %llu\n",
            (unsigned long long)d->commits_failed);

    scalar(f, "handover_commit_behind_total", "counter",
           "Partitions given up while the group commit lagged the checkpoint.", d->handover_behind);
    scalar(f, "handover_rollbacks_total", "counter",
           "Roll-backs to the last committed checkpoint when a hand-over commit was refused.",
           d->rollbacks);
    scalar(f, "snapshot_version", "gauge", "Last published (delivered) snapshot version.",
           d->snapshot_version);
    metric(f, "snapshot_last_publish_timestamp_seconds", "gauge",
           "When this process last published a version (delivery confirmed), seconds since the "
           "epoch (no sample before the first).");
    stamp(f, "snapshot_last_publish_timestamp_seconds", d->snapshot_last_ms);
    metric(f, "snapshots_total", "counter", "Snapshot candidates, by result.");
    fprintf(f, "relearnd_snapshots_total{result=\"published\"} %llu\n",
            (unsigned long long)d->snapshots_published);
    fprintf(f, "relearnd_snapshots_total{result=\"failed\"} %llu\n",
            (unsigned long long)d->snapshots_failed);
    fprintf(f, "relearnd_snapshots_total{result=\"held_back\"} %llu\n",
            (unsigned long long)d->snapshots_held);
    scalar(f, "gate_reference_version", "gauge",
           "The published version the promotion gate compares candidates with (0: none).",
           d->gate_reference_version);
    scalar(f, "gate_paired_events", "gauge",
           "Events both the candidate and the reference scored, at the last gate decision.",
           d->gate_events);
    metric(f, "gate_loss_difference", "gauge",
           "Mean loss of the candidate minus the reference's on the same events, last decision.");
    val(f, "gate_loss_difference", d->gate_events ? d->gate_mean_diff : NAN);
    metric(f, "gate_loss_difference_lower_bound", "gauge",
           "Lower confidence bound of that difference; a hold-back needs it above the tolerance.");
    val(f, "gate_loss_difference_lower_bound", d->gate_events ? d->gate_lower_bound : NAN);
    metric(f, "snapshot_publish_latency_seconds", "histogram",
           "Published versions, by time from the schedule's tick to the delivery report.");
    hist(f, "snapshot_publish_latency_seconds", &d->snapshot_latency);
    metric(f, "brokers_down", "gauge", "1 while librdkafka reports all brokers down.");
    fprintf(f, "relearnd_brokers_down %d\n", d->brokers_down);

    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* JSON cannot hold NaN: absent values are null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

char *rld_stats_model_json(const rld_stats_data *d, int64_t now_ms)
{
    char reason[512];
    char *s;
    json_t *parts = json_array();
    json_t *o;
    for (size_t i = 0; i < d->n_parts; i++)
        json_array_append_new(parts,
                              json_pack("{s:s, s:i, s:I, s:I, s:I}", "topic", d->parts[i].topic,
                                        "partition", (int)d->parts[i].partition, "next_offset",
                                        (json_int_t)d->parts[i].next_offset, "high",
                                        (json_int_t)d->parts[i].high, "committed",
                                        (json_int_t)d->parts[i].committed));
    o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s}", "model", d->model_name, "instance_id",
                  d->instance_id, "learner", d->learner, "detector", d->detector, "bits",
                  (int)d->bits, "events", (json_int_t)d->model_position, "task",
                  rl_task_name(d->summary.task));
    if (!o) {
        json_decref(parts);
        return NULL;
    }
    json_object_set_new(o, "accuracy", num(d->summary.accuracy));
    json_object_set_new(o, "log_loss", num(d->summary.log_loss));
    json_object_set_new(o, "auc", num(d->summary.auc));
    json_object_set_new(o, "rmse", num(d->summary.rmse));
    json_object_set_new(o, "mean_loss", num(d->summary.mean_loss));
    json_object_set_new(o, "recent_loss", num(d->summary.recent_loss));
    json_object_set_new(o, "recent_accuracy", num(d->summary.recent_accuracy));
    json_object_set_new(o, "drift_state",
                        json_string(rl_drift_state_name((rl_drift_state)d->drift_state)));
    json_object_set_new(o, "drift_warnings", json_integer((json_int_t)d->drift_warnings));
    json_object_set_new(o, "drifts", json_integer((json_int_t)d->drifts));
    json_object_set_new(o, "snapshot_version", json_integer((json_int_t)d->snapshot_version));
    json_object_set_new(o, "checkpoint_seq", json_integer((json_int_t)d->ckpt_seq));
    json_object_set_new(o, "checkpoint_age_s",
                        num(d->ckpt_last_ms ? (double)(now_ms - d->ckpt_last_ms) / 1000.0 : NAN));
    json_object_set_new(o, "events_per_s", num(d->events_per_s));
    json_object_set_new(o, "healthy",
                        json_boolean(rld_stats_healthy(d, now_ms, reason, sizeof(reason))));
    json_object_set_new(o, "health", json_string(reason));
    json_object_set_new(o, "partitions", parts);
    s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}
