/* cmd_produce.c - `relearn produce`: text records (libsvm / VW / CSV, via input/reader.h) to
 * Event protobufs on a Kafka topic.
 *
 * Reading and encoding reuse one buffer; librdkafka copies each payload into its own batches.
 * An idempotent producer (no duplicates, per-partition order kept across retries) with larger
 * batches than librdkafka's defaults, since this tool exists to push volume. Every delivery
 * report is counted; the exit status says whether every event arrived. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "cli/commands.h"
#include "wire/event_codec.h"
#include "wire/event_json.h"
#include "cli/kafka_util.h"
#include "input/reader.h"
#include "cli/reader_args.h"
#include "common/rl_common.h"

#define MAX_BAD_SHOWN       20
#define MAX_DR_ERRORS_SHOWN 5

typedef enum key_mode { KEY_NONE = 0, KEY_TAG, KEY_LINE } key_mode;

typedef struct produce_opts {
    rl_kafka_opts kafka;
    const char *topic;
    const char *input;
    rl_reader_opts reader;
    rl_cli_csv_lists csv_lists;
    int as_json; /* --as json: one JSON object per message instead of an Event */
    key_mode key;
    const char *partitioner;
    int32_t partition; /* RD_KAFKA_PARTITION_UA unless --partition */
    double rate;       /* events per second, 0 = unlimited */
    uint64_t progress; /* events between progress lines, 0 = none */
    uint64_t limit;    /* stop after this many events, 0 = all */
    const char *compression;
    int strict;
} produce_opts;

/* Delivery accounting, updated from rd_kafka_poll() on this thread only. */
typedef struct dr_state {
    uint64_t delivered;
    uint64_t failed;
    uint64_t shown;
} dr_state;

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: relearn produce --brokers B --topic T [OPTIONS] FILE\n"
        "\n"
        "Reads libsvm / VW text / CSV from FILE (\"-\" = stdin) and produces one Event\n"
        "protobuf (proto/event.proto) per line to topic T. Named features keep their names\n"
        "(VW: \"ns^name\"), so the consumer hashes them with its own bits and seed.\n"
        "\n"
        "  --brokers B        bootstrap servers (host:port,...)\n"
        "  --topic T          destination topic\n"
        "Input (as `relearn eval`):\n"
        "  --format F         libsvm | vw | csv | auto (default: by extension, else content)\n"
        "  --label-col C      CSV label column, by header name or 0-based number\n"
        "  --delimiter D      CSV delimiter, one character or \"tab\" (default ',')\n"
        "  --no-header        CSV without a header line (features indexed by "
        "column)\n" RL_CLI_CSV_HELP "  --max-line BYTES   longest accepted line (default %u)\n"
        "  --strict           stop at the first bad line (exit status 1)\n"
        "Output:\n"
        "  --as F             event (default: relearn.Event protobuf) or json (one object\n"
        "                     per message: {\"label\": y, \"city\": \"paris\", \"age\": 30, ...},\n"
        "                     what relearnd's [input] format = json reads by default)\n"
        "  --key MODE         message key: none (default), tag (the VW tag; also sent as\n"
        "                     Event.key), line (the input line number)\n"
        "  --partitioner P    librdkafka partitioner: consistent_random (default),\n"
        "                     murmur2_random, murmur2, consistent, fnv1a, fnv1a_random, random\n"
        "  --partition N      send everything to partition N\n"
        "  --compression C    none | gzip | snappy | lz4 | zstd (default lz4)\n"
        "  --rate N           at most N events per second (default unlimited)\n"
        "  --limit N          stop after N events (default 0 = no limit)\n"
        "  --progress N       progress line on stderr every N events (default 0 = none)\n"
        "  -X key=value       any librdkafka producer property (repeatable), e.g.\n"
        "                     -X message.timeout.ms=5000 -X security.protocol=ssl\n"
        "\n"
        "The producer is idempotent (no duplicates or reordering on retries). A bad line\n"
        "is reported as file:line: reason (the first %d on stderr), counted and skipped.\n"
        "Labels are sent as written: the consumer checks them against its task.\n"
        "At the end, waits for every delivery report and prints a summary line. Waits\n"
        "(for the last reports, or on a full queue with no report coming) are bounded by\n"
        "message.timeout.ms (default 300000; 0 = none) + 5 s, then what is left counts as\n"
        "failed: -X message.timeout.ms=N bounds how long an unreachable cluster is\n"
        "waited for.\n"
        "Exit status: 0 every event delivered; 1 a delivery failed, a bad line under\n"
        "--strict, or a read error; 2 usage error or unreadable input.\n",
        RL_READER_MAX_LINE_DEFAULT, MAX_BAD_SHOWN);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    dr_state *st = opaque;
    (void)rk;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        st->delivered++;
        return;
    }
    st->failed++;
    if (st->shown++ < MAX_DR_ERRORS_SHOWN)
        fprintf(stderr, "relearn produce: delivery to %s [%d] failed: %s\n",
                rd_kafka_topic_name(m->rkt), (int)m->partition, rd_kafka_err2str(m->err));
}

static int set_format_out(void *opts, const char *flag, const char *value)
{
    produce_opts *o = opts;
    if (strcmp(value, "event") != 0 && strcmp(value, "json") != 0) {
        fprintf(stderr, "relearn produce: %s: '%s' is not event or json\n", flag, value);
        return 2;
    }
    o->as_json = strcmp(value, "json") == 0;
    return 0;
}

static int set_key_mode(void *opts, const char *flag, const char *value)
{
    static const char *const modes[] = {"none", "tag", "line"}; /* in key_mode order */
    produce_opts *o = opts;
    for (int k = 0; k < 3; k++) {
        if (strcmp(value, modes[k]) == 0) {
            o->key = (key_mode)k;
            return 0;
        }
    }
    fprintf(stderr, "relearn produce: %s: '%s' is not none, tag or line\n", flag, value);
    return 2;
}

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, produce_opts *o, rl_reader_args *ra)
{
    int64_t partition = -1;
    int first;
    memset(o, 0, sizeof(*o));
    rl_reader_opts_default(&o->reader);
    o->compression = "lz4";
    o->kafka.cmd = "produce";
    o->kafka.topic = &o->topic;
    *ra = (rl_reader_args){"produce", &o->reader, &o->csv_lists};
    const rl_opt opts[] = {
        RL_KAFKA_OPT_ROWS(&o->kafka),
        RL_READER_OPT_ROWS(ra),
        RL_OPT_FLAG_ROW("strict", 0, &o->strict),
        RL_OPT_CALL_ROW("as", 0, set_format_out, o, 1),
        RL_OPT_CALL_ROW("key", 0, set_key_mode, o, 1),
        RL_OPT_STRING_ROW("partitioner", 0, &o->partitioner),
        RL_OPT_NUMBER_ROW("partition", 0, &partition, RL_PARAM_INT, 0, INT32_MAX, NULL),
        RL_OPT_STRING_ROW("compression", 0, &o->compression),
        RL_OPT_NUMBER_ROW("rate", 0, &o->rate, RL_PARAM_REAL, 0, 1e9, "a number >= 0"),
        RL_OPT_NUMBER_ROW("progress", 0, &o->progress, RL_PARAM_UINT, 0, INT64_MAX, NULL),
        RL_OPT_NUMBER_ROW("limit", 0, &o->limit, RL_PARAM_UINT, 0, INT64_MAX, NULL),
        {RL_OPT_END},
    };
    int rc = rl_opts_parse(argc, argv, "produce", opts, usage, &first);
    if (rc >= 0)
        return rc;
    o->partition = partition >= 0 ? (int32_t)partition : RD_KAFKA_PARTITION_UA;
    if (argc - first > 1) {
        fprintf(stderr, "relearn produce: more than one input file ('%s', '%s')\n", argv[first],
                argv[first + 1]);
        return 2;
    }
    o->input = first < argc ? argv[first] : NULL;
    if (!o->kafka.brokers || !o->topic || !o->input) {
        fprintf(stderr, "relearn produce: --brokers, --topic and FILE are required (see --help)\n");
        return 2;
    }
    return -1;
}

/* Produces one payload, waiting (and serving delivery reports) while the local queue is full.
 * The wait is bounded: librdkafka never times out messages waiting for a partition it has no
 * metadata for (no broker reachable since the start), so a full queue may never drain. With no
 * delivery report at all for stall_s seconds it gives up with RD_KAFKA_RESP_ERR__TIMED_OUT. */
static rd_kafka_resp_err_t produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
                                       const void *payload, size_t len, const void *key,
                                       size_t key_len, const dr_state *dr, double stall_s)
{
    uint64_t reports = dr->delivered + dr->failed;
    double since = 0;
    for (;;) {
        if (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, (void *)payload, len, key,
                             key_len, NULL) == 0)
            return RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || rl_stop_signals)
            return e;
        double now = rl_mono_s();
        if (since == 0 || dr->delivered + dr->failed != reports) {
            reports = dr->delivered + dr->failed;
            since = now;
        } else if (now - since > stall_s) {
            return RD_KAFKA_RESP_ERR__TIMED_OUT;
        }
        rd_kafka_poll(rk, 50);
    }
}

int rl_cmd_produce(int argc, char **argv)
{
    produce_opts o;
    char err[1024];
    rl_reader *rd = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    rl_buf buf;
    dr_state dr = {0, 0, 0};
    uint64_t produced = 0, bad = 0, local_fail = 0;
    int status = 1, read_failed = 0, strict_stop = 0, stalled = 0;

    rl_buf_init(&buf);
    rl_reader_args ra;
    int pa = parse_args(argc, argv, &o, &ra);
    if (pa >= 0) {
        rl_cli_csv_lists_free(&o.csv_lists);
        return pa;
    }

    rl_err re = rl_reader_open(o.input, &o.reader, &rd, err, sizeof(err));
    rl_cli_csv_lists_free(&o.csv_lists); /* the reader has its own copies */
    if (re != RL_OK) {
        fprintf(stderr, "relearn produce: %s\n", err);
        return 2;
    }
    if (rl_cli_check_csv_opts("produce", &o.reader, rd)) {
        rl_reader_destroy(rd);
        return 2;
    }

    static const char *const defaults[] = {
        "enable.idempotence",
        "true",
        "linger.ms",
        "20",
        "batch.num.messages",
        "10000",
        "batch.size",
        "1000000",
        "queue.buffering.max.messages",
        "500000",
        "queue.buffering.max.kbytes",
        "262144",
        "client.id",
        "relearn-produce",
        NULL,
    };
    rd_kafka_conf_t *conf =
        rl_cli_kafka_conf(&o.kafka, RD_KAFKA_PRODUCER, defaults, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "relearn produce: %s\n", err);
        status = 2;
        goto done;
    }
    /* --compression is applied before -X would be, but after the defaults: set it only when
     * no -X names the codec, so -X stays the last word. */
    int x_codec = 0;
    for (int i = 0; i < o.kafka.n_x; i++)
        if (strncmp(o.kafka.keys[i], "compression.", 12) == 0)
            x_codec = 1;
    if (!x_codec && rd_kafka_conf_set(conf, "compression.codec", o.compression, err, sizeof(err)) !=
                        RD_KAFKA_CONF_OK) {
        fprintf(stderr, "relearn produce: --compression %s: %s\n", o.compression, err);
        rd_kafka_conf_destroy(conf);
        status = 2;
        goto done;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, &dr);
    /* librdkafka never times out messages that wait for a partition it has no metadata for
     * (every broker down from the start): bound the final wait ourselves. */
    char tmo[32];
    size_t tmo_size = sizeof(tmo);
    double msg_timeout_s = 300.0;
    if (rd_kafka_conf_get(conf, "message.timeout.ms", tmo, &tmo_size) == RD_KAFKA_CONF_OK)
        msg_timeout_s = strtod(tmo, NULL) / 1000.0;
    /* librdkafka reads 0 as "never time out": then neither do the waits below (a second
     * SIGTERM/SIGINT still ends them), rather than giving up after 5 s. */
    if (!(msg_timeout_s > 0))
        msg_timeout_s = INFINITY;
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "relearn produce: %s\n", err);
        status = 2;
        goto done;
    }
    rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
    if (o.partitioner && rd_kafka_topic_conf_set(tconf, "partitioner", o.partitioner, err,
                                                 sizeof(err)) != RD_KAFKA_CONF_OK) {
        rd_kafka_topic_conf_destroy(tconf);
        fprintf(stderr, "relearn produce: --partitioner %s: %s\n", o.partitioner, err);
        status = 2;
        goto done;
    }
    rkt = rd_kafka_topic_new(rk, o.topic, tconf);
    if (!rkt) {
        fprintf(stderr, "relearn produce: topic %s: %s\n", o.topic,
                rd_kafka_err2str(rd_kafka_last_error()));
        status = 2;
        goto done;
    }

    rl_signals_install(RL_SIGNALS_STOP);

    double t0 = rl_mono_s(), next_poll = t0;
    while (!rl_stop_signals && (o.limit == 0 || produced < o.limit)) {
        const rl_record *rec = NULL;
        re = rl_reader_next(rd, &rec, err, sizeof(err));
        if (re == RL_ERR_FORMAT) {
            if (++bad <= MAX_BAD_SHOWN)
                fprintf(stderr, "relearn produce: %s\n", err);
            if (o.strict) {
                strict_stop = 1;
                break;
            }
            continue;
        }
        if (re != RL_OK) {
            fprintf(stderr, "relearn produce: %s\n", err);
            read_failed = 1;
            break;
        }
        if (!rec)
            break;
        rl_buf_reset(&buf);
        if ((o.as_json ? rl_event_encode_json(rec, &buf) : rl_event_encode_text(rec, &buf)) !=
            RL_OK) {
            fprintf(stderr, "relearn produce: out of memory encoding %s:%llu\n", rl_reader_name(rd),
                    (unsigned long long)rec->line);
            read_failed = 1;
            break;
        }
        char linekey[24];
        const void *key = NULL;
        size_t key_len = 0;
        if (o.key == KEY_TAG && rec->tag) {
            key = rec->tag;
            key_len = rec->tag_len;
        } else if (o.key == KEY_LINE) {
            key_len =
                (size_t)snprintf(linekey, sizeof(linekey), "%llu", (unsigned long long)rec->line);
            key = linekey;
        }
        rd_kafka_resp_err_t e = produce_one(rk, rkt, o.partition, buf.data, buf.len, key, key_len,
                                            &dr, msg_timeout_s + 5.0);
        if (e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
            local_fail++;
            stalled = 1;
            fprintf(stderr,
                    "relearn produce: %s:%llu: not produced: the local queue stayed full with no "
                    "delivery report for %.0f s (message.timeout.ms + 5 s); is a broker of '%s' "
                    "reachable? giving up\n",
                    rl_reader_name(rd), (unsigned long long)rec->line, msg_timeout_s + 5.0,
                    o.kafka.brokers);
            break;
        }
        if (e) {
            /* Refused locally (unknown partition, message too large): counted as failed. */
            local_fail++;
            if (local_fail <= MAX_DR_ERRORS_SHOWN)
                fprintf(stderr, "relearn produce: %s:%llu: not produced: %s\n", rl_reader_name(rd),
                        (unsigned long long)rec->line, rd_kafka_err2str(e));
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL && e != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE &&
                e != RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
                break; /* unknown topic/partition, fatal idempotence error: stop */
            continue;
        }
        produced++;
        if (o.progress && produced % o.progress == 0) {
            double el = rl_mono_s() - t0;
            rl_log(RL_LOG_INFO, "produce progress",
                   "produced=%llu delivered=%llu failed=%llu bad_lines=%llu events_per_s=%.0f",
                   (unsigned long long)produced, (unsigned long long)dr.delivered,
                   (unsigned long long)(dr.failed + local_fail), (unsigned long long)bad,
                   el > 0 ? (double)produced / el : 0.0);
        }
        if (o.rate > 0) {
            /* Pace against the start time, so short stalls are caught up, not accumulated. */
            double due = t0 + (double)produced / o.rate;
            for (double now = rl_mono_s(); now < due && !rl_stop_signals; now = rl_mono_s())
                rd_kafka_poll(rk, (int)((due - now) * 1000) + 1);
        } else {
            double now = (produced & 1023) == 0 ? rl_mono_s() : 0;
            if (now >= next_poll) {
                rd_kafka_poll(rk, 0);
                next_poll = now + 0.01;
            }
        }
    }

    /* Wait for every delivery report, at most message.timeout.ms (+5 s of slack) past the
     * last produce; a second signal, or that deadline, purges what is left (counted as failed
     * through its delivery reports). */
    int signals_at_flush = rl_stop_signals;
    double deadline = rl_mono_s() + msg_timeout_s + 5.0;
    while (rd_kafka_outq_len(rk) > 0) {
        rd_kafka_flush(rk, 200);
        int timed_out = stalled || rl_mono_s() > deadline;
        if (rl_stop_signals > signals_at_flush || timed_out) {
            if (timed_out && !stalled)
                fprintf(stderr,
                        "relearn produce: %d messages still undelivered %.0f s after the last "
                        "one was queued (message.timeout.ms): giving up on them\n",
                        rd_kafka_outq_len(rk), msg_timeout_s + 5.0);
            rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_flush(rk, 5000);
            break;
        }
    }
    rd_kafka_poll(rk, 0);

    double el = rl_mono_s() - t0;
    uint64_t failed = dr.failed + local_fail;
    rl_reader_stats rs;
    rl_reader_get_stats(rd, &rs);
    rl_log(failed ? RL_LOG_ERROR : RL_LOG_INFO, "produce done",
           "input=%s format=%s topic=%s produced=%llu delivered=%llu failed=%llu "
           "bad_lines=%llu skipped_lines=%llu seconds=%.3f events_per_s=%.0f%s",
           rl_reader_name(rd), rl_text_format_name(rl_reader_format(rd)), o.topic,
           (unsigned long long)produced, (unsigned long long)dr.delivered,
           (unsigned long long)failed, (unsigned long long)bad, (unsigned long long)rs.skipped, el,
           el > 0 ? (double)dr.delivered / el : 0.0, rl_stop_signals ? " interrupted=1" : "");
    if (bad > MAX_BAD_SHOWN)
        fprintf(stderr, "relearn produce: %llu bad lines (the first %d shown)\n",
                (unsigned long long)bad, MAX_BAD_SHOWN);
    status = (failed || read_failed || strict_stop || rl_stop_signals || dr.delivered != produced)
                 ? 1
                 : 0;
done:
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk)
        rd_kafka_destroy(rk);
    rl_reader_destroy(rd);
    rl_buf_free(&buf);
    return status;
}
