/* rld_daemon.h - relearnd itself: consume, learn, checkpoint, commit, publish.
 *
 * One thread runs everything that touches the model (the consume loop, the rebalance callback,
 * delivery reports, the schedules); librdkafka's threads move bytes and the HTTP thread reads a
 * published copy of the counters. Exactly-once follows docs/DESIGN.md: a checkpoint holds the whole
 * learning state and, per partition, the next offset to read; offsets are committed to the
 * group (metadata "<instance-id>:<checkpoint-seq>") only once that checkpoint is durable; on
 * assignment a partition resumes at this instance's checkpoint offset if this instance made the
 * last commit, else at the committed offset, else per auto.offset.reset.
 *
 * Signals: main.c installs rl_signals_install()'s handlers (kafka/kafka.h), which only record;
 * the loop acts on rl_stop_signals and rl_usr1_received between batches (SIGTERM/SIGINT: finish
 * the batch, checkpoint, commit, close; SIGUSR1: publish a snapshot now). */
#ifndef RLD_DAEMON_H
#define RLD_DAEMON_H

#include "common/rl_common.h"
#include "daemon/rld_config.h"

/* Exit statuses of relearnd (also in --help and README). */
#define RLD_EXIT_OK 0 /* clean shutdown after SIGTERM/SIGINT: checkpoint written */
#define RLD_EXIT_FAILURE                                                                           \
    1                     /* start-up failed (Kafka client, checkpoint dir, model load) or the     \
                             final checkpoint could not be written */
#define RLD_EXIT_CONFIG 2 /* usage or configuration error */

typedef struct rld_daemon rld_daemon;

/* Builds everything from a checked config (rld_config_check passed): loads the newest valid
 * checkpoint (or --init-model, or a fresh model), creates the Kafka clients, finds the last
 * published snapshot version, starts the HTTP endpoint. The config is copied. Errors: RL_ERR_*
 * with a one-line message naming what failed. */
rl_err rld_daemon_new(const rld_config *cfg, rld_daemon **out, char *errstr, size_t errstr_size);
/* Asks the cluster (once, waiting up to timeout_ms per request) whether every topic of the
 * config exists: [input] topics must; an [output] topic may instead be created on use where the
 * cluster allows it. RL_ERR_NOT_FOUND names the first missing topic, its config key and the
 * reason (exit status RLD_EXIT_CONFIG); no answer from the brokers is logged and is RL_OK. */
rl_err rld_topics_check(const rld_config *cfg, int timeout_ms, char *errstr, size_t errstr_size);
/* Runs until a stop signal (rl_stop_signals); returns an RLD_EXIT_* status. */
int rld_daemon_run(rld_daemon *d);
void rld_daemon_destroy(rld_daemon *d); /* NULL: no-op */

/* The last complete snapshot version of (model, instance) on the snapshot topic, 0 when none.
 * Reads the tail of each partition with a short-lived consumer (no group). RL_ERR_KAFKA when the
 * topic cannot be read within timeout_ms. */
rl_err rld_snapshot_topic_last_version(const rld_config *cfg, int timeout_ms, uint64_t *out,
                                       char *errstr, size_t errstr_size);
/* The identities of the model alerts of (model, instance) on the alerts topic that the line
 * resuming from checkpoint ckpt_seq at ckpt_position sent already (rld_snapver.c says which),
 * added to ids. Same reading as above. */
struct rld_alert_ids;
rl_err rld_alerts_topic_sent(const rld_config *cfg, uint64_t ckpt_seq, uint64_t ckpt_position,
                             int timeout_ms, struct rld_alert_ids *ids, char *errstr,
                             size_t errstr_size);

#endif
