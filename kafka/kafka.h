/* kafka.h - what every relearn program that speaks Kafka shares: relearnd, the relearn CLI and
 * whatever follows the snapshot topic next.
 *
 * A Kafka client of relearn is built from relearn's own configuration (a [kafka] section, or
 * -X key=value flags), logs in relearn's format, stops on a signal between batches, reads the
 * relearn-* headers (wire/kafka_headers.h) one way, and reads the snapshot topic one way. This
 * library holds each of those once:
 *
 *   - client configuration: rl_kafka_conf_new() gives a consumer only consumer properties and a
 *     producer only producer properties (librdkafka's own table says which is which), so one
 *     [kafka] section serves every client of a program without librdkafka warning that half of
 *     it "will be ignored by this producer";
 *   - logging: `ts=... level=info msg="..." key=value` lines on stderr, one write(2) each, the
 *     level checked before anything is formatted; librdkafka's own lines go the same way;
 *   - signals: handlers only record (redis's rule); the program's loop acts on what they set;
 *   - headers: a header value as text, and the strict parser of a snapshot message's headers;
 *   - the snapshot-topic reader: consumes a topic's snapshot messages, reassembles chunks
 *     (rl_snapshot_asm) and reports versions, for `relearn snapshots`, for relearnd's version
 *     recovery, and for a follower that keeps consuming (call rl_snaptopic_poll() for as long as
 *     it runs).
 *
 * Errors follow the rest of relearn: an rl_err and a one-line message in (errstr, errstr_size).
 * Nothing here exits; only the logger writes (to stderr). */
#ifndef RL_KAFKA_H
#define RL_KAFKA_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "common/rl_common.h"
#include "storage/snapshot.h"

/* ---- logging ---- */

typedef enum rl_log_level {
    RL_LOG_DEBUG = 0,
    RL_LOG_INFO,
    RL_LOG_WARN,
    RL_LOG_ERROR,
} rl_log_level;

/* Lines below this level are not written (default RL_LOG_INFO). */
extern rl_log_level rl_log_min_level;

/* "debug", "info", "warn", "error" -> the level; -1 if unknown. */
int rl_log_level_parse(const char *s);
const char *rl_log_level_name(rl_log_level l);

/* One line: `ts=2026-11-26T20:30:00.123Z level=info msg="..." TAIL`. msg is a plain string
 * (quoted, escaped with rl_log_quote); fmt gives the key=value tail and may be NULL, e.g.
 * rl_log(RL_LOG_INFO, "started", "pid=%d", getpid()). */
#define rl_log(level, msg, ...)                                                                    \
    do {                                                                                           \
        if ((level) >= rl_log_min_level)                                                           \
            rl_log_write((level), (msg), __VA_ARGS__);                                             \
    } while (0)

/* rl_log without the level check (for lines filtered elsewhere, e.g. librdkafka's own). */
void rl_log_write(rl_log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rate limit state for one kind of message; zero-initialize. */
typedef struct rl_ratelimit {
    int64_t window_start_ms;
    uint32_t in_window;
    uint64_t suppressed;
} rl_ratelimit;

/* Like rl_log, but at most `burst` lines per second for this limiter; a line that follows
 * suppressed ones carries suppressed=N. Not thread-safe per limiter (use one per thread). */
void rl_log_limited(rl_ratelimit *rl, uint32_t burst, rl_log_level level, const char *msg,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Escapes s as the body of a quoted log value into out (always NUL-terminated when out_size >
 * 0): '"' and '\' get a backslash, bytes that are not printable ASCII become \xNN, so hostile
 * input cannot forge log lines or fields. Stops early rather than cut an escape in half. */
void rl_log_quote(const char *s, char *out, size_t out_size);

int64_t rl_now_ms(void); /* wall clock, ms since the epoch */
double rl_mono_s(void);  /* monotonic seconds, for intervals */

/* ---- signals ---- */

/* What the handlers recorded. The loop reads them; rl_usr1_received is cleared by the loop once
 * acted on. Counting the stop signals lets a program give up a graceful step on the second. */
extern volatile sig_atomic_t rl_stop_signals; /* SIGTERM/SIGINT received so far */
extern volatile sig_atomic_t rl_stop_signo;   /* the last of them, 0 before any */
extern volatile sig_atomic_t rl_usr1_received;

#define RL_SIGNALS_STOP       1u /* SIGTERM, SIGINT: count them in rl_stop_signals */
#define RL_SIGNALS_USR1       2u /* SIGUSR1: set rl_usr1_received */
#define RL_SIGNALS_NO_SIGPIPE 4u /* ignore SIGPIPE: a closed socket or pipe is an error return */

/* Installs the handlers that `which` names (RL_SIGNALS_*). */
void rl_signals_install(unsigned which);

/* ---- client configuration ---- */

/* One librdkafka property from relearn's configuration or command line. */
typedef struct rl_kafka_prop {
    const char *key;
    const char *value;
    const char *file; /* where it was written: a config file, or the flag ("-X") */
    int line;         /* its line in file; 0 for a flag */
} rl_kafka_prop;

typedef struct rl_kafka_client {
    rd_kafka_type_t type;       /* RD_KAFKA_CONSUMER or RD_KAFKA_PRODUCER */
    const char *brokers;        /* bootstrap.servers; NULL leaves it unset */
    const char *brokers_origin; /* names it in a message: "--brokers", "[input] brokers" */
    /* The program's own settings for this client: NULL-terminated key, value pairs, set first
     * so props override them. */
    const char *const *defaults;
    const rl_kafka_prop *props; /* the user's, in order; a later one wins */
    size_t n_props;
} rl_kafka_client;

/* A new conf for one client: bootstrap.servers, the defaults, then every prop that applies to
 * this type of client (librdkafka's table marks each property consumer, producer or both; a
 * prop for the other kind is left out, logged at debug), and relearn's log callback. NULL on
 * failure with errstr naming the property: "--brokers LIST: reason", "default KEY=VALUE:
 * reason", "FILE:LINE: [kafka] KEY: reason" or, for a flag, "-X KEY: reason" (never the value:
 * it may be a password). The caller owns the conf until rd_kafka_new() takes it. */
rd_kafka_conf_t *rl_kafka_conf_new(const rl_kafka_client *c, char *errstr, size_t errstr_size);

/* Checks c's configuration as librdkafka will when the client is created - every property and
 * the rules across them (`fetch.max.bytes` against `message.max.bytes`, idempotence against
 * acks) - by creating the client with no bootstrap servers (so it connects nowhere) and
 * destroying it. RL_ERR_CONFIG on a refusal, with "FILE:LINE: [kafka] KEY: ..." (or "-X KEY:
 * ...") for the first of the user's properties librdkafka's reason names. */
rl_err rl_kafka_conf_check(const rl_kafka_client *c, char *errstr, size_t errstr_size);

/* Which clients librdkafka reads a property in: 'C' consumer, 'P' producer, '*' both, 0 when
 * it is not one of librdkafka's properties. */
char rl_kafka_prop_role(const char *key);

/* ---- headers ---- */

/* Header `name` of h (the last one when repeated) as a NUL-terminated string, truncated to
 * out_size - 1 bytes. 0 when present, -1 when absent (out is then left alone). */
int rl_kafka_header_get(const rd_kafka_headers_t *h, const char *name, char *out, size_t out_size);

/* The same for a message: the header's text, or `absent` when the message has no such header.
 * Returns out, for log lines. */
const char *rl_kafka_message_header(const rd_kafka_message_t *m, const char *name,
                                    const char *absent, char *out, size_t out_size);

#define RL_KAFKA_MAX_CHUNKS 1000000u

/* What the relearn-* headers of a snapshot-topic message say: model and version (required),
 * instance (empty when absent), chunk "i/n" (0 <= i < n <= RL_KAFKA_MAX_CHUNKS; absent: a
 * whole snapshot, 0/1) and the whole snapshot's size (0 when absent or unreadable). Returns 1
 * when the headers identify the message, 0 when it has no model or version header (identify it
 * from its frame: rl_snapshot_peek), -1 when a header is malformed, with why. */
int rl_kafka_snapshot_headers(const rd_kafka_headers_t *h, rl_snapshot_id *id, uint64_t *size,
                              char *why, size_t why_size);

/* ---- reading a topic's tail ---- */

/* What a tail read looks for. For each partition, windows of messages are read backwards from
 * the end (64, 256, 1024, ... messages) until window_done() says no older window is needed or
 * the partition's start is reached. begin() (may be NULL) is called before a partition's first
 * window, scan() for every message of a window in offset order, window_done() after each. */
typedef struct rl_kafka_tail_scan {
    void (*begin)(void *ctx, int32_t partition);
    void (*scan)(void *ctx, const rd_kafka_message_t *m);
    int (*window_done)(void *ctx);
    void *ctx;
} rl_kafka_tail_scan;

/* Reads the tail of every partition of topic through s with a short-lived manual-assign
 * consumer (conf is taken, also on failure; it must hold a group.id, nothing is committed). A
 * topic that does not exist has no tail: RL_OK with nothing scanned. RL_ERR_KAFKA or
 * RL_ERR_TIMEOUT (a window not read within timeout_ms) with the topic named. */
rl_err rl_kafka_read_tails(rd_kafka_conf_t *conf, const char *topic, int timeout_ms,
                           const rl_kafka_tail_scan *s, char *errstr, size_t errstr_size);

/* ---- the snapshot-topic reader ---- */

typedef struct rl_snaptopic rl_snaptopic;

#define RL_SNAPTOPIC_EVERY_VERSION UINT64_MAX

typedef struct rl_snaptopic_opts {
    const char *topic;
    const char *model;    /* only this model; NULL: every model */
    const char *instance; /* only this instance; NULL: every instance */
    /* Which versions to reassemble: 0 none, a version number, or RL_SNAPTOPIC_EVERY_VERSION. */
    uint64_t assemble;
    /* 0: read each partition up to the end it had at the start (later messages are ignored)
     * and then report RL_SNAPTOPIC_END; 1: a follower, it keeps reading what comes. */
    int follow;
} rl_snaptopic_opts;

typedef enum rl_snaptopic_kind {
    RL_SNAPTOPIC_NOTHING = 0, /* nothing to report within the timeout; poll again */
    RL_SNAPTOPIC_MESSAGE,     /* a message of a wanted model and instance (below) */
    RL_SNAPTOPIC_SKIPPED,     /* a message that is neither a snapshot nor a chunk: why */
    RL_SNAPTOPIC_KAFKA_ERROR, /* a consumer error librdkafka keeps retrying: why */
    RL_SNAPTOPIC_CAUGHT_UP,   /* every partition read to its start-time end (once) */
    RL_SNAPTOPIC_END,         /* not following: the same, and nothing more will come */
} rl_snaptopic_kind;

typedef struct rl_snaptopic_event {
    rl_snaptopic_kind kind;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the message's; <= 0 unknown */
    size_t len;           /* the message value's bytes */
    rl_snapshot_id id;    /* MESSAGE: model, instance ("-" when unsaid), version, chunk i/n */
    uint64_t size;        /* MESSAGE: whole snapshot bytes said by header or frame; 0 unknown */
    /* MESSAGE of a version being reassembled: the assembler refused it (corrupt = 1, why), or
     * it completed the version: complete = 1, whole_id and whole (the verified framed
     * snapshot, owned by the reader until the next poll; rl_buf_free-ing it is not allowed,
     * copying or swapping it out is). */
    int corrupt;
    int complete;
    rl_snapshot_id whole_id;
    rl_buf whole;
    char why[256];
} rl_snaptopic_event;

/* Starts reading opts->topic from each partition's start: a manual-assign consumer from conf
 * (taken, also on failure; it must hold a group.id; the reader sets enable.partition.eof and
 * turns every commit off, so reading never moves anyone's offsets). Reads the topic's
 * metadata and watermarks within timeout_ms. RL_ERR_CONFIG when librdkafka refuses the conf,
 * RL_ERR_KAFKA or RL_ERR_NOT_FOUND (no such topic) with a message naming the brokers or topic. */
rl_err rl_snaptopic_new(rd_kafka_conf_t *conf, const rl_snaptopic_opts *opts, int timeout_ms,
                        rl_snaptopic **out, char *errstr, size_t errstr_size);

/* Waits up to timeout_ms for the next thing to report and fills ev (its whole buffer is reused
 * from call to call). A follower calls it for as long as it runs. RL_ERR_KAFKA, with the
 * message, on an error that cannot heal (the topic gone, not authorized, a fatal error). */
rl_err rl_snaptopic_poll(rl_snaptopic *r, int timeout_ms, rl_snaptopic_event *ev, char *errstr,
                         size_t errstr_size);

/* Partitions not yet read to the end they had at the start. */
int rl_snaptopic_pending(const rl_snaptopic *r);

void rl_snaptopic_event_free(rl_snaptopic_event *ev); /* its whole buffer */
void rl_snaptopic_destroy(rl_snaptopic *r);           /* NULL: no-op */

/* The last complete version of (model, instance) on topic, 0 when none: the highest version
 * whose last chunk is in the tail of a partition (chunks of one version go in order to one
 * partition, so the last implies the others). Reads only the tails (rl_kafka_read_tails; conf
 * taken). */
rl_err rl_snaptopic_last_version(rd_kafka_conf_t *conf, const char *topic, const char *model,
                                 const char *instance, int timeout_ms, uint64_t *out, char *errstr,
                                 size_t errstr_size);

#endif
