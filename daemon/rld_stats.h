/* rld_stats.h - what relearnd exposes about itself: the registry behind /metrics, /healthz and
 * /model.
 *
 * The consume loop owns the live counters and publishes a copy here once per batch (and after
 * each checkpoint/snapshot), under one mutex; the HTTP thread only ever reads that copy. So the
 * per-event path never takes a lock, and a scrape never sees a half-updated batch. Counters are
 * monotonic from process start (Prometheus counters: what this process did); the model's own
 * counts (events stepped, warnings, drifts) come from the model, survive restarts through the
 * checkpoint and fall back at a roll-back, so /metrics shows them as gauges (relearnd_model_*). */
#ifndef RLD_STATS_H
#define RLD_STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/event_codec.h"
#include "model/metrics.h"

#define RLD_STATS_MAX_PARTS 256
#define RLD_DEGRADED_HOLD_S 3600

/* A Prometheus histogram with fixed bounds (rld_hist_bounds: 1 ms to 60 s), for durations. */
#define RLD_HIST_BOUNDS 15
typedef struct rld_hist {
    uint64_t counts[RLD_HIST_BOUNDS + 1]; /* per bucket, not cumulative; the last is +Inf */
    double sum;
} rld_hist;
extern const double rld_hist_bounds[RLD_HIST_BOUNDS];
void rld_hist_observe(rld_hist *h, double seconds);

typedef struct rld_part_stats {
    char topic[128];
    int32_t partition;
    int64_t next_offset; /* next offset to read (-1 unknown) */
    int64_t high;        /* high watermark as last seen (-1 unknown) */
    int64_t committed;   /* last offset committed to the group (-1 none) */
    /* Offset jumps (rld_jumps.c): resets backward and forward, the events that came back below
     * the expected offset (skipped, learned already), the offsets jumped over (lost). */
    uint64_t jumps_back, jumps_fwd, skipped, lost;
} rld_part_stats;

typedef struct rld_stats_data {
    /* identity */
    char model_name[256];
    char instance_id[256];
    char learner[32];
    char detector[32];
    uint32_t bits;
    /* events (since process start) */
    uint64_t events_ok;  /* stepped through the model */
    uint64_t events_bad; /* refused, dead-lettered */
    uint64_t bad_by_reason[RL_EVENT_REASON__COUNT];
    uint64_t dead_letter_produced; /* delivery reports OK */
    uint64_t dead_letter_failed;   /* delivery failed (logged, counted) */
    uint64_t offset_resets;        /* offset out of range -> auto.offset.reset */
    uint64_t fetch_wakeups;        /* fetcher wake-ups sent (rld_fetch_wake.h) */
    double events_per_s;           /* over the last ~2 s, for /model only (Prometheus: rate()) */
    /* model */
    uint64_t model_position; /* events stepped in the model's whole life (across restarts) */
    rl_metrics_summary summary;
    uint64_t drift_warnings, drifts;
    uint64_t feature_warnings, feature_drifts; /* the watched feature's detector (0 when off) */
    /* The same four as seen by this process: rises of the model's counts since start, never
     * lowered by a roll-back (events applied again that raise a drift again count again). */
    uint64_t proc_warnings, proc_drifts, proc_feature_warnings, proc_feature_drifts;
    int drift_state; /* rl_drift_state */
    uint64_t alerts_sent, alerts_failed;
    uint64_t alerts_already_sent; /* alerts of replayed events, sent before a restart/roll-back */
    /* Rate-limited alerts, by level (rl_drift_state): those a later alert reported in its
     * `suppressed` field (since process start), and those not reported yet (the model's
     * limiter, per source error/feature: what a quiet spell after a noisy one leaves). */
    uint64_t alerts_suppressed[3];
    uint64_t alerts_suppressed_pending[2][3];
    /* checkpoints */
    uint64_t ckpt_seq;
    uint64_t ckpt_ok, ckpt_failed;
    uint32_t ckpt_consecutive_failures;
    int64_t ckpt_last_ms; /* wall clock of the last durable checkpoint (0 none) */
    rld_hist ckpt_duration;
    uint64_t commits_ok, commits_failed;
    uint64_t handover_behind; /* partitions given up with the commit behind the checkpoint */
    uint64_t rollbacks;       /* roll-backs to the last committed checkpoint at a hand-over */
    /* snapshots */
    uint64_t snapshot_version; /* last published (delivery confirmed) */
    int64_t snapshot_last_ms;
    uint64_t snapshots_published, snapshots_failed, snapshots_held;
    /* The promotion gate at its last decision (rld_gate.c). */
    uint64_t gate_reference_version, gate_events;
    double gate_mean_diff, gate_lower_bound;
    rld_hist snapshot_latency; /* schedule tick to delivery report */
    double snapshot_last_loss; /* recent loss of the last published version */
    /* consumer health */
    int64_t last_progress_ms; /* last time an event was consumed (or start) */
    int brokers_down;         /* librdkafka reported all brokers down, not yet back */
    char last_kafka_error[256];
    double stuck_after_s;
    /* Degraded: still healthy (/healthz 200) but something went wrong that ops must see - an
     * offset jump. Shown for RLD_DEGRADED_HOLD_S after the last such event. */
    char degraded_reason[320];
    int64_t degraded_ms;     /* wall clock of the last such event, 0 never */
    char ckpt_dir_lost[420]; /* non-empty: the checkpoint directory went away (503) */
    size_t n_parts;
    rld_part_stats parts[RLD_STATS_MAX_PARTS];
    int64_t started_ms;
} rld_stats_data;

typedef struct rld_stats {
    pthread_mutex_t lock;
    rld_stats_data d;
} rld_stats;

void rld_stats_init(rld_stats *s);
void rld_stats_destroy(rld_stats *s);
/* Replaces the published copy (the loop calls this once per batch). */
void rld_stats_publish(rld_stats *s, const rld_stats_data *d);
void rld_stats_get(rld_stats *s, rld_stats_data *out);

/* Health: 1 = healthy (reason "ok", or "degraded: ..." within RLD_DEGRADED_HOLD_S of an
 * offset jump), 0 = not (reason says why). */
int rld_stats_healthy(const rld_stats_data *d, int64_t now_ms, char *reason, size_t reason_size);
/* Prometheus text exposition (format 0.0.4) into a malloc'd string; NULL on ENOMEM. */
char *rld_stats_prometheus(const rld_stats_data *d, int64_t now_ms);
/* /model JSON summary into a malloc'd string; NULL on ENOMEM. */
char *rld_stats_model_json(const rld_stats_data *d, int64_t now_ms);

#endif
