/* rld_int.h - relearnd's internal state, shared by the consume loop (rld_daemon.c) and the
 * publisher (rld_publish.c). Not a public header: everything here runs on the loop thread. */
#ifndef RLD_INT_H
#define RLD_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>

#include "storage/ckpt.h"
#include "wire/event_codec.h"
#include "wire/event_json.h"
#include "wire/event_text.h"
#include "daemon/rld_alert_ids.h"
#include "model/model.h"
#include "daemon/rld_config.h"
#include "daemon/rld_daemon.h"
#include "daemon/rld_fetch_wake.h"
#include "daemon/rld_gate.h"
#include "daemon/rld_http.h"
#include "kafka/kafka.h"
#include "daemon/rld_stats.h"

/* What a produced message was, carried as its msg_opaque to the delivery report. */
enum rld_msg_kind {
    RLD_MSG_DEAD_LETTER = 1,
    RLD_MSG_ALERT = 2,
    RLD_MSG_SNAPSHOT = 3, /* upper bits: the publish attempt it belongs to */
};

/* One input partition this instance holds or held. */
typedef struct rld_part {
    char topic[128];
    int32_t partition;
    int assigned;
    int64_t next;      /* next offset to read; -1 unknown (waiting for auto.offset.reset) */
    int64_t first;     /* first offset learned from since it was assigned, -1 none */
    int64_t committed; /* last offset committed to the group, -1 none */
    int64_t ckpt_next; /* next offset in the last durable checkpoint, -1 none */
    int64_t high;      /* high watermark as last seen, -1 unknown */
    /* Started per auto.offset.reset with nothing committed: the first offset read says how
     * many events retention removed before this group read any (rld_jumps.c). */
    int from_reset;
    int skipping; /* in a backward jump: offsets below next come back and are skipped */
    uint64_t jumps_back, jumps_fwd, skipped, lost;
} rld_part;

/* The snapshot being published: kept until every chunk's delivery report is in; a failure
 * republishes the same version with the same bytes. */
typedef struct rld_inflight {
    int active;
    uint64_t version;
    uint32_t attempt;
    rl_buf *chunks;
    size_t n_chunks;
    size_t reports, failures;
    size_t total_len;
    double t_tick;   /* when the schedule asked for it (monotonic) */
    double retry_at; /* after a failure: when to try again */
    double recent_loss;
} rld_inflight;

struct rld_daemon {
    rld_config cfg;
    rl_model *model;
    rl_event_decoder *dec;
    rl_json_decoder *jdec; /* NULL unless a topic is JSON ([input] format, topic_formats) */
    rl_text_decoder *tdec[RLD_FMT_N]; /* vw, libsvm, csv lines: NULL unless a topic has them */
    /* The names behind the most frequent slots (heavy hitters, fixed memory), fed by every
     * decoded event, copied into each checkpoint and sent with each snapshot, so `relearn
     * inspect` shows names. */
    rl_dict *dict;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    /* librdkafka's fetcher stalls up to 1 s after its queue was full (rld_fetch_wake.h) */
    rld_fetch_wake *waker;
    rld_fetch_bounds fetch_bounds;
    double last_wake;       /* monotonic */
    uint64_t payload_bytes; /* of every message consumed, for the mean payload size */

    rld_part *parts;
    size_t n_parts, cap_parts;
    size_t last_part; /* cache for the per-event lookup */

    /* checkpoints */
    int ckpt_lock_fd;   /* the checkpoint directory, flock()ed: one relearnd per directory */
    dev_t ckpt_dir_dev; /* ... and its identity, to notice it removed or replaced */
    ino_t ckpt_dir_ino;
    int ckpt_dir_lost;       /* it was: no more checkpoints (rld_ckpt_dir.c) */
    double ckpt_dir_checked; /* monotonic, last check from the loop */
    uint64_t ckpt_seq;       /* last durable */
    uint64_t ckpt_position;  /* model position in it */
    double ckpt_last_mono;   /* when it was written (or start) */
    double ckpt_retry_at;    /* after failures: not before (monotonic) */
    uint32_t ckpt_failures;  /* in a row */
    int dirty;               /* anything consumed since the last durable checkpoint */
    int pub_dirty;      /* a version was published since: the next checkpoint records it and its
                         * loss (written even when nothing was consumed, e.g. at shutdown) */
    int commit_pending; /* the last durable checkpoint's offsets are not committed yet */
    /* The newest durable checkpoint and the newest one the group accepted the offsets of, kept
     * in memory: when a hand-over's commit is refused, the model rolls back to the latter. */
    rl_ckpt last_ck, committed_ck;
    int have_committed_ck;

    /* snapshots */
    uint64_t snap_version;  /* last delivered */
    uint64_t snap_position; /* model position at the last publish attempt */
    double snap_last_mono;
    int have_pub_loss;
    double pub_loss; /* recent loss of the last published version (informational: the gate
                        compares on the same events, rld_gate.c) */
    rld_inflight fl;
    /* The encode buffer, kept across publishes so its pages are faulted in once. While a
     * one-message version is in flight, that message points into it (not encoded again until
     * the version is delivered). */
    rl_buf snap_buf;
    rld_gate gate; /* the published version beside the learner (rld_gate.c) */

    /* observability */
    rld_stats stats;
    rld_stats_data sd;
    rld_http *http;
    /* The model's warning, drift, feature-warning and feature-drift counts when last looked at:
     * their rises are what this process saw (rld_stats_data.proc_*). */
    uint64_t seen_counts[4];
    double rate_t; /* events/s sampling */
    uint64_t rate_events;
    double last_broker_probe;
    rl_ratelimit rl_bad, rl_kafka, rl_dlq, rl_replayed_alert;
    uint64_t pending_records; /* dead letters + alerts produced, delivery report not yet in */
    /* Model alerts sent already, by identity (rld_alert_ids.h): read back from the alerts topic
     * at start, extended by every alert sent, pruned at each commit. Events applied again after
     * a crash or a roll-back raise their alerts again; those in the set are not sent twice. */
    rld_alert_ids alert_ids;

    int exit_status;
    int config_refused; /* the brokers refused a setting no retry can change: exit status 2 */
};

/* rld_daemon.c: adds the rises of the model's warning and drift counts since last called to
 * this process's counters (called per batch, and before a roll-back replaces the model). */
void rld_count_model_rises(rld_daemon *d);

/* rld_start.c */
/* The consumer's and the producer's error callback (opaque: the daemon). */
void rld_on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque);

/* rld_offsets.c */
/* The partition's entry (created when create and absent; NULL when the table is full). */
rld_part *rld_part_find(rld_daemon *d, const char *topic, int32_t partition, int create);
/* Checkpoint now, then commit its offsets; on failure nothing is committed and a retry is
 * scheduled with backoff. */
rl_err rld_checkpoint(rld_daemon *d, const char *why);
rd_kafka_resp_err_t rld_commit_offsets(rld_daemon *d);
/* A copy of src (same capacity, same entries in the same order, so it continues exactly). */
rl_err rld_dict_copy(const rl_dict *src, rl_dict **out, char *errstr, size_t errstr_size);
void rld_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque);
void rld_on_ckpt_report(void *opaque, const char *path, rl_err err, const char *reason);

/* rld_fetch_wake.c: wakes the fetcher when the queue runs low while partitions lag. */
void rld_fetch_wake_tick(rld_daemon *d, rd_kafka_queue_t *q, double now);

/* rld_publish.c */
rl_err rld_producer_new(rld_daemon *d, char *errstr, size_t errstr_size);
void rld_dead_letter(rld_daemon *d, const rd_kafka_message_t *m, rl_event_reason reason,
                     const char *detail);
void rld_alert_cb(void *opaque, const rl_alert *a);
/* Sends a non-model alert (gate, checkpoint failure, offset jump) with the same JSON shape;
 * pos (may be NULL) names the partition and offset it concerns. */
void rld_alert_send(rld_daemon *d, const char *detector, int level, const char *response,
                    const char *detail, double recent_loss, const rl_event_pos *pos);

/* rld_ckpt_dir.c */
/* Records the locked directory's st_dev/st_ino (after the lock is taken). */
void rld_ckpt_dir_remember(rld_daemon *d);
/* 0 while the path still names the locked directory; else -1, once logged, alerted and shown in
 * /healthz, and checkpoints stop. */
int rld_ckpt_dir_check(rld_daemon *d);

/* rld_jumps.c */
/* Checks m's offset against the one p expects. Returns 1 when m must not be learned: it came
 * back below the expected offset (a backward reset), so it was learned already. A jump either
 * way is logged, counted per partition, alerted and marks /healthz degraded. */
int rld_offset_check(rld_daemon *d, rld_part *p, const rd_kafka_message_t *m);
/* The number, "earliest" (librdkafka's logical offset), or "none" (relearnd's -1: none yet). */
const char *rld_offset_str(int64_t off, char *buf, size_t size);
/* Starts publishing a snapshot if one is due (or forced); drives retries. */
void rld_snapshot_tick(rld_daemon *d, int forced);
/* Blocks up to timeout_ms for outstanding deliveries (shutdown). */
void rld_publish_drain(rld_daemon *d, int timeout_ms);
void rld_publish_destroy(rld_daemon *d);

#endif
