/* cmd_broker.c - `relearn broker`: librdkafka's mock cluster as a standalone local broker.
 *
 * The mock cluster speaks the real Kafka protocol on 127.0.0.1 (kernel-chosen ports), so any
 * client - relearnd, kcat, relearn produce - talks to it over TCP as to a real cluster. It
 * runs on librdkafka's own threads; this process only creates it, publishes the bootstrap
 * address, applies fault-injection commands from a control file or FIFO, and waits for
 * SIGTERM/SIGINT (the handler only sets a flag; the loop acts on it).
 *
 * Control commands, one per line (blank lines and '#' comments ignored), each acknowledged on
 * stderr with `msg="control" seq=N cmd="..." result=ok|error`, seq counting every line read:
 *   broker-down ID | broker-up ID          (ID -1 = every broker; no leader change)
 *   leader TOPIC PARTITION BROKER          (BROKER -1 = leaderless)
 *   error API N ERRCODE                    (the next N requests of API fail with ERRCODE)
 *   broker-error ID API N ERRCODE [RTT_MS] (same, on one broker, optionally delayed)
 *   clear-errors API
 *   latency BROKER MS                      (round-trip delay; BROKER -1 = all)
 *   create-topic TOPIC PARTITIONS [REPLICATION]
 *   topic-error TOPIC ERRCODE              (metadata requests for TOPIC fail)
 *   coordinator group|transaction KEY BROKER
 * API is a Kafka request name (produce, fetch, list-offsets, metadata, commit (OffsetCommit),
 * offset-fetch, find-coordinator, join-group, heartbeat, leave-group, sync-group,
 * init-producer-id, ...) or its numeric ApiKey. ERRCODE is a librdkafka error name
 * (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, _TRANSPORT to drop the connection, ...) with or
 * without the RD_KAFKA_RESP_ERR_ prefix, or its number. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "cli/commands.h"
#include "cli/kafka_util.h"

#define MAX_TOPICS   64
#define CTL_LINE_MAX 1024

static void usage(FILE *f)
{
    fprintf(f,
            "usage: relearn broker [--partitions N] [--brokers B] [--replication R]\n"
            "                      [--topics t1,t2,...] [--bootstrap-file FILE]\n"
            "                      [--control FILE-or-FIFO]\n"
            "\n"
            "Runs a local Kafka-protocol broker (librdkafka %s mock cluster) until SIGTERM or\n"
            "SIGINT, then exits 0. Prints the bootstrap address on stdout and, with\n"
            "--bootstrap-file, writes it there atomically (temp file + rename; removed on exit).\n"
            "\n"
            "  --partitions N     partitions of each --topics topic (default 1)\n"
            "  --brokers B        number of brokers, ids 1..B (default 1)\n"
            "  --replication R    replication factor of created topics (default min(B, 3))\n"
            "  --topics LIST      comma-separated topics to create up front; others are\n"
            "                     auto-created on first use with 4 partitions\n"
            "  --control PATH     fault injection: a FIFO, or a regular file that is followed\n"
            "                     like `tail -f` (created if missing); one command per line:\n"
            "      broker-down ID | broker-up ID | leader TOPIC PARTITION BROKER\n"
            "      error API N ERRCODE | broker-error ID API N ERRCODE [RTT_MS]\n"
            "      clear-errors API | latency BROKER MS | create-topic TOPIC N [R]\n"
            "      topic-error TOPIC ERRCODE | coordinator group|transaction KEY BROKER\n"
            "    each acknowledged on stderr: msg=\"control\" seq=N cmd=\"...\" result=ok|error\n"
            "\n"
            "Limits (it is a test double, not a Kafka server):\n"
            "  - everything is in memory and lost on exit;\n"
            "  - each partition keeps about 5 MiB of record batches and silently drops the\n"
            "    oldest beyond that (use more partitions or compression for big streams);\n"
            "  - no log compaction, no retention by time, no CreateTopics admin API;\n"
            "  - ports are chosen by the kernel on 127.0.0.1: read the bootstrap file;\n"
            "  - consumers need a group.id even with manual assign();\n"
            "  - transactions are accepted but not really atomic;\n"
            "  - broker-down does not move partition leaders (use `leader`).\n",
            rd_kafka_version_str());
}

/* Kafka ApiKeys by the names scripts use. */
static const struct {
    const char *name;
    int16_t key;
} api_names[] = {
    {"produce", 0},
    {"fetch", 1},
    {"list-offsets", 2},
    {"offsets", 2},
    {"metadata", 3},
    {"commit", 8},
    {"offset-commit", 8},
    {"offset-fetch", 9},
    {"find-coordinator", 10},
    {"join-group", 11},
    {"heartbeat", 12},
    {"leave-group", 13},
    {"sync-group", 14},
    {"describe-groups", 15},
    {"list-groups", 16},
    {"api-versions", 18},
    {"init-producer-id", 22},
    {"add-partitions-to-txn", 24},
    {"add-offsets-to-txn", 25},
    {"end-txn", 26},
    {"txn-offset-commit", 28},
};

static int parse_api(const char *s, int16_t *out)
{
    long long v;
    for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++)
        if (strcasecmp(s, api_names[i].name) == 0) {
            *out = api_names[i].key;
            return 0;
        }
    if (rl_cli_parse_ll(s, 0, 100, &v) == 0) {
        *out = (int16_t)v;
        return 0;
    }
    return -1;
}

static int parse_errcode(const char *s, rd_kafka_resp_err_t *out)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;
    long long v;
    if (rl_cli_parse_ll(s, -200, 1000, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
        s += 18;
    else if (strncasecmp(s, "ERR_", 4) == 0)
        s += 4;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++)
        if (descs[i].name && strcasecmp(descs[i].name, s) == 0) {
            *out = descs[i].code;
            return 0;
        }
    return -1;
}

static int parse_id(const char *s, int32_t *out)
{
    long long v;
    if (rl_cli_parse_ll(s, -1, 1000000, &v) != 0)
        return -1;
    *out = (int32_t)v;
    return 0;
}

/* Applies one control line; fills why on failure. */
static int apply_command(rd_kafka_mock_cluster_t *mc, char *line, char *why, size_t why_size)
{
    char *tok[8];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t", &save); t && n < 8; t = strtok_r(NULL, " \t", &save))
        tok[n++] = t;
    if (n == 0) {
        snprintf(why, why_size, "empty command");
        return -1;
    }
    const char *cmd = tok[0];
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    int32_t id, part, broker;
    int16_t api;
    long long cnt, ms;
    rd_kafka_resp_err_t code;

    if ((strcmp(cmd, "broker-down") == 0 || strcmp(cmd, "broker-up") == 0) && n == 2) {
        if (parse_id(tok[1], &id) != 0)
            goto bad_args;
        kerr = cmd[7] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
                             : rd_kafka_mock_broker_set_up(mc, id);
    } else if (strcmp(cmd, "leader") == 0 && n == 4) {
        if (parse_id(tok[2], &part) != 0 || part < 0 || parse_id(tok[3], &broker) != 0)
            goto bad_args;
        kerr = rd_kafka_mock_partition_set_leader(mc, tok[1], part, broker);
    } else if (strcmp(cmd, "error") == 0 && n == 4) {
        if (parse_api(tok[1], &api) != 0 || rl_cli_parse_ll(tok[2], 1, 100000, &cnt) != 0 ||
            parse_errcode(tok[3], &code) != 0)
            goto bad_args;
        rd_kafka_resp_err_t *errs = malloc((size_t)cnt * sizeof(*errs));
        if (!errs) {
            snprintf(why, why_size, "out of memory");
            return -1;
        }
        for (long long i = 0; i < cnt; i++)
            errs[i] = code;
        rd_kafka_mock_push_request_errors_array(mc, api, (size_t)cnt, errs);
        free(errs);
    } else if (strcmp(cmd, "broker-error") == 0 && (n == 5 || n == 6)) {
        ms = 0;
        if (parse_id(tok[1], &id) != 0 || parse_api(tok[2], &api) != 0 ||
            rl_cli_parse_ll(tok[3], 1, 100000, &cnt) != 0 || parse_errcode(tok[4], &code) != 0 ||
            (n == 6 && rl_cli_parse_ll(tok[5], 0, 3600000, &ms) != 0))
            goto bad_args;
        for (long long i = 0; i < cnt && !kerr; i++)
            kerr = rd_kafka_mock_broker_push_request_error_rtts(mc, id, api, 1, code, (int)ms);
    } else if (strcmp(cmd, "clear-errors") == 0 && n == 2) {
        if (parse_api(tok[1], &api) != 0)
            goto bad_args;
        rd_kafka_mock_clear_request_errors(mc, api);
    } else if (strcmp(cmd, "latency") == 0 && n == 3) {
        if (parse_id(tok[1], &id) != 0 || rl_cli_parse_ll(tok[2], 0, 3600000, &ms) != 0)
            goto bad_args;
        kerr = rd_kafka_mock_broker_set_rtt(mc, id, (int)ms);
    } else if (strcmp(cmd, "create-topic") == 0 && (n == 3 || n == 4)) {
        long long parts, repl = 1;
        if (rl_cli_parse_ll(tok[2], 1, 10000, &parts) != 0 ||
            (n == 4 && rl_cli_parse_ll(tok[3], 1, 100, &repl) != 0))
            goto bad_args;
        kerr = rd_kafka_mock_topic_create(mc, tok[1], (int)parts, (int)repl);
    } else if (strcmp(cmd, "topic-error") == 0 && n == 3) {
        if (parse_errcode(tok[2], &code) != 0)
            goto bad_args;
        rd_kafka_mock_topic_set_error(mc, tok[1], code);
    } else if (strcmp(cmd, "coordinator") == 0 && n == 4) {
        if ((strcmp(tok[1], "group") != 0 && strcmp(tok[1], "transaction") != 0) ||
            parse_id(tok[3], &broker) != 0)
            goto bad_args;
        kerr = rd_kafka_mock_coordinator_set(mc, tok[1], tok[2], broker);
    } else {
        snprintf(why, why_size, "unknown command or wrong number of arguments (see --help)");
        return -1;
    }
    if (kerr) {
        snprintf(why, why_size, "%s", rd_kafka_err2str(kerr));
        return -1;
    }
    return 0;
bad_args:
    snprintf(why, why_size, "bad argument (see --help)");
    return -1;
}

/* The control channel: a FIFO (we also hold a write end so that a writer closing it does not
 * make poll() report EOF forever) or a regular file we follow from its start. */
typedef struct control {
    const char *path;
    int fd;
    int wfd;
    int is_fifo;
    char line[CTL_LINE_MAX];
    size_t len;
    int overlong;
    unsigned long seq;
} control;

static int control_open(control *c, const char *path)
{
    struct stat st;
    memset(c, 0, sizeof(*c));
    c->path = path;
    c->fd = c->wfd = -1;
    if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
        c->is_fifo = 1;
        c->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (c->fd >= 0)
            c->wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    } else {
        c->fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    }
    if (c->fd < 0 || (c->is_fifo && c->wfd < 0)) {
        fprintf(stderr, "relearn broker: --control %s: %s\n", path, strerror(errno));
        if (c->fd >= 0)
            close(c->fd);
        return -1;
    }
    return 0;
}

static void control_close(control *c)
{
    if (c->fd >= 0)
        close(c->fd);
    if (c->wfd >= 0)
        close(c->wfd);
}

static void control_line(control *c, rd_kafka_mock_cluster_t *mc)
{
    char why[256], q[CTL_LINE_MAX + 64], copy[CTL_LINE_MAX];
    char *s = c->line;
    c->seq++;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    rl_log_quote(s, q, sizeof(q));
    if (c->overlong) {
        rl_log(RL_LOG_ERROR, "control",
               "seq=%lu cmd=\"%.60s...\" result=error reason=\"line "
               "longer than %d bytes\"",
               c->seq, q, CTL_LINE_MAX - 1);
        return;
    }
    if (n == 0 || s[0] == '#') {
        rl_log(RL_LOG_INFO, "control", "seq=%lu cmd=\"%s\" result=ignored", c->seq, q);
        return;
    }
    snprintf(copy, sizeof(copy), "%s", s);
    if (apply_command(mc, copy, why, sizeof(why)) == 0)
        rl_log(RL_LOG_INFO, "control", "seq=%lu cmd=\"%s\" result=ok", c->seq, q);
    else
        rl_log(RL_LOG_ERROR, "control", "seq=%lu cmd=\"%s\" result=error reason=\"%s\"", c->seq, q,
               why);
}

/* Reads what is available and applies each complete line. */
static void control_read(control *c, rd_kafka_mock_cluster_t *mc)
{
    char buf[4096];
    for (;;) {
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] == '\n') {
                c->line[c->len] = '\0';
                control_line(c, mc);
                c->len = 0;
                c->overlong = 0;
            } else if (c->len < CTL_LINE_MAX - 1) {
                c->line[c->len++] = buf[i];
            } else {
                c->overlong = 1;
            }
        }
    }
}

/* Writes "bootstrap\n" to path via a temp file + rename, so a reader sees all or nothing. */
static int write_bootstrap(const char *path, const char *bootstrap)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        fprintf(stderr, "relearn broker: --bootstrap-file %s: path too long\n", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f)
        goto fail;
    int ok = fprintf(f, "%s\n", bootstrap) > 0;
    if (fclose(f) != 0 || !ok)
        goto fail;
    if (rename(tmp, path) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "relearn broker: --bootstrap-file %s: %s\n", path, strerror(errno));
    unlink(tmp);
    return -1;
}

/* The names a real Kafka broker accepts (1..249 of [A-Za-z0-9._-], not "." or ".."); the mock
 * cluster takes anything, so "bad topic" or an empty name from "a,,b" would be created here and
 * refused by the real cluster the same setup later meets. */
static int valid_topic_list(const char *list)
{
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        size_t ok = 0;
        while (ok < n &&
               ((p[ok] >= 'a' && p[ok] <= 'z') || (p[ok] >= 'A' && p[ok] <= 'Z') ||
                (p[ok] >= '0' && p[ok] <= '9') || p[ok] == '.' || p[ok] == '_' || p[ok] == '-'))
            ok++;
        if (n == 0 || n > 249 || ok != n || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.')) {
            fprintf(stderr,
                    "relearn broker: --topics %s: '%.*s' is not a topic name (allowed: 1..249 "
                    "of A-Z a-z 0-9 . _ -, comma-separated)\n",
                    list, (int)(n > 249 ? 249 : n), p);
            return 0;
        }
        if (p[n] == '\0')
            return 1;
        p += n + 1;
    }
}

int rl_cmd_broker(int argc, char **argv)
{
    int64_t partitions = 1, brokers = 1, replication = -1;
    const char *topics = NULL, *bootstrap_file = NULL, *control_path = NULL;
    char errstr[512];
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    control ctl;
    int have_ctl = 0, status = 1, wrote_file = 0;
    char *topics_copy = NULL;

    int first;
    const rl_opt opts[] = {
        RL_OPT_NUMBER_ROW("partitions", 0, &partitions, RL_PARAM_INT, 1, 10000, NULL),
        RL_OPT_NUMBER_ROW("brokers", 0, &brokers, RL_PARAM_INT, 1, 32, NULL),
        RL_OPT_NUMBER_ROW("replication", 0, &replication, RL_PARAM_INT, 1, 32, NULL),
        RL_OPT_STRING_ROW("topics", 0, &topics),
        RL_OPT_STRING_ROW("bootstrap-file", 0, &bootstrap_file),
        RL_OPT_STRING_ROW("control", 0, &control_path),
        {RL_OPT_END},
    };
    int rc = rl_opts_parse(argc, argv, "broker", opts, usage, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        fprintf(stderr, "relearn broker: unexpected argument '%s' (see --help)\n", argv[first]);
        return 2;
    }
    if (replication < 0)
        replication = brokers < 3 ? brokers : 3;
    if (replication > brokers) {
        fprintf(stderr, "relearn broker: --replication %lld exceeds --brokers %lld\n",
                (long long)replication, (long long)brokers);
        return 2;
    }
    if (topics && !valid_topic_list(topics))
        return 2;

    rl_signals_install(RL_SIGNALS_STOP | RL_SIGNALS_NO_SIGPIPE);

    /* The handle only anchors the cluster; it never connects anywhere itself. */
    rl_kafka_opts ko;
    memset(&ko, 0, sizeof(ko));
    static const char *const defaults[] = {"client.id", "relearn-broker", "log_level", "3", NULL};
    rd_kafka_conf_t *conf =
        rl_cli_kafka_conf(&ko, RD_KAFKA_PRODUCER, defaults, errstr, sizeof(errstr));
    if (!conf) {
        fprintf(stderr, "relearn broker: %s\n", errstr);
        goto done;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "relearn broker: cannot create client handle: %s\n", errstr);
        goto done;
    }
    mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
    if (!mc) {
        fprintf(stderr, "relearn broker: cannot create the mock cluster (no free port?)\n");
        goto done;
    }
    if (topics) {
        topics_copy = strdup(topics);
        if (!topics_copy) {
            fprintf(stderr, "relearn broker: out of memory\n");
            goto done;
        }
        char *save = NULL;
        for (char *t = strtok_r(topics_copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            rd_kafka_resp_err_t e =
                rd_kafka_mock_topic_create(mc, t, (int)partitions, (int)replication);
            if (e) {
                fprintf(stderr, "relearn broker: --topics %s: %s\n", t, rd_kafka_err2str(e));
                goto done;
            }
        }
    }
    if (control_path) {
        if (control_open(&ctl, control_path) != 0)
            goto done;
        have_ctl = 1;
    }
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    if (bootstrap_file) {
        if (write_bootstrap(bootstrap_file, bootstrap) != 0)
            goto done;
        wrote_file = 1;
    }
    printf("%s\n", bootstrap);
    fflush(stdout);
    rl_log(RL_LOG_INFO, "broker up",
           "bootstrap=%s brokers=%lld partitions=%lld replication=%lld topics=\"%s\" pid=%ld",
           bootstrap, (long long)brokers, (long long)partitions, (long long)replication,
           topics ? topics : "", (long)getpid());

    while (!rl_stop_signals) {
        if (have_ctl && ctl.is_fifo) {
            struct pollfd pfd = {.fd = ctl.fd, .events = POLLIN};
            int r = poll(&pfd, 1, 500);
            if (r > 0)
                control_read(&ctl, mc);
        } else {
            /* Regular files are always "readable" to poll(); follow them on a short timer. */
            poll(NULL, 0, have_ctl ? 100 : 500);
            if (have_ctl)
                control_read(&ctl, mc);
        }
    }
    rl_log(RL_LOG_INFO, "broker stopping", "signal=%s",
           rl_stop_signo == SIGINT    ? "SIGINT"
           : rl_stop_signo == SIGTERM ? "SIGTERM"
                                      : "?");
    status = 0;
done:
    if (have_ctl)
        control_close(&ctl);
    if (wrote_file)
        unlink(bootstrap_file);
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    free(topics_copy);
    return status;
}
