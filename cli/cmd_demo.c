/* cmd_demo.c - `relearn demo`: the whole product in about a minute, with nothing to set up.
 *
 * Starts `relearn broker` (a child process), produces a drifting SEA-style stream into it (the
 * concept - the threshold of x1 + x2 - changes three times), runs relearnd on it (a child, with
 * a temporary config and checkpoint directory), shows one live line from relearnd's /metrics
 * (events/s, recent accuracy, drift warnings/drifts, snapshot version, lag), then stops relearnd
 * with SIGTERM, prints a summary and `relearn inspect` of the final checkpoint. Children are
 * always stopped and the temporary directory removed (unless --keep), also on Ctrl-C. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <dirent.h>

#include <librdkafka/rdkafka.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "wire/event_codec.h"
#include "kafka/kafka.h"

struct demo {
    char dir[64];
    char self_dir[PATH_MAX];
    char relearnd[PATH_MAX + 32];
    char relearn[PATH_MAX + 32];
    pid_t broker, daemon;
    int keep;
    uint64_t events;
    double rate;
    int port;
};

static void sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* Runs argv with stdout+stderr to logfile (or inherited when NULL); returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *logfile)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (logfile) {
            int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                close(fd);
            }
        }
        signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the whole group; the demo stops children */
        execv(argv[0], argv);
        fprintf(stderr, "relearn demo: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* SIGTERM, wait up to timeout_s, then SIGKILL. Returns the exit status (-1 if killed). */
static int stop_child(pid_t *pid, double timeout_s)
{
    int st = 0;
    double t0 = rl_mono_s();
    if (*pid <= 0)
        return 0;
    kill(*pid, SIGTERM);
    for (;;) {
        pid_t r = waitpid(*pid, &st, WNOHANG);
        if (r == *pid)
            break;
        if (r < 0 || rl_mono_s() - t0 > timeout_s) {
            kill(*pid, SIGKILL);
            waitpid(*pid, &st, 0);
            *pid = 0;
            return -1;
        }
        sleep_s(0.05);
    }
    *pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists_x(const char *p)
{
    return access(p, X_OK) == 0;
}

/* relearn and relearnd sit next to each other when installed, in cli/ and daemon/ of a build. */
static int find_binaries(struct demo *d)
{
    ssize_t n = readlink("/proc/self/exe", d->self_dir, sizeof(d->self_dir) - 1);
    char *slash;
    if (n <= 0)
        return -1;
    d->self_dir[n] = '\0';
    snprintf(d->relearn, sizeof(d->relearn), "%s", d->self_dir);
    slash = strrchr(d->self_dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf(d->relearnd, sizeof(d->relearnd), "%s/relearnd", d->self_dir);
    if (exists_x(d->relearnd))
        return 0;
    snprintf(d->relearnd, sizeof(d->relearnd), "%s/../daemon/relearnd", d->self_dir);
    return exists_x(d->relearnd) ? 0 : -1;
}

static int read_file_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    if (!fgets(out, (int)n, f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] ? 0 : -1;
}

/* The metrics port relearnd logged ("metrics endpoint listening ... port=N"). */
static int find_port(const char *log)
{
    char line[2048];
    int port = 0;
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, "msg=\"metrics endpoint listening\"");
        if (p && (p = strstr(p, " port=")))
            port = atoi(p + 6);
    }
    fclose(f);
    return port;
}

/* GET /metrics from 127.0.0.1:port into buf (NUL-terminated). */
static int scrape(int port, char *buf, size_t n)
{
    struct sockaddr_in a;
    size_t got = 0;
    const char *req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {2, 0};
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    while (got + 1 < n) {
        ssize_t r = read(fd, buf + got, n - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    return got > 0 ? 0 : -1;
}

static double metric(const char *text, const char *name)
{
    char key[160];
    const char *p;
    snprintf(key, sizeof(key), "\n%s ", name);
    p = strstr(text, key);
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

static double lag_sum(const char *text)
{
    double sum = 0;
    const char *p = text;
    while ((p = strstr(p, "\nrelearnd_partition_lag{"))) {
        const char *sp = strchr(p + 1, ' ');
        if (!sp)
            break;
        double v = strtod(sp + 1, NULL);
        if (v > 0)
            sum += v;
        p = sp;
    }
    return sum;
}

/* SEA-style concepts (Street & Kim 2001): label 1 iff x1 + x2 <= theta; x3 is irrelevant; 5%
 * label noise. Four concepts of equal length, so three abrupt drifts; the thresholds are further
 * apart than SEA's so that each change is visible in the accuracy. */
static const double sea_theta[4] = {10.0, 6.0, 14.0, 8.0};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, uint64_t i, uint64_t total,
                       uint64_t *rng, rl_buf *buf)
{
    rl_event_feature f[3];
    rl_event_record r;
    double x[3];
    int concept = (int)(i * 4 / total);
    for (int k = 0; k < 3; k++) {
        x[k] = rng_unit(rng) * 10.0;
        f[k].name = NULL;
        f[k].name_len = 0;
        f[k].index = (uint64_t)k + 1;
        f[k].value = (float)x[k];
    }
    memset(&r, 0, sizeof(r));
    r.has_label = 1;
    r.label = x[0] + x[1] <= sea_theta[concept] ? 1.0f : 0.0f;
    if (rng_unit(rng) < 0.05)
        r.label = 1.0f - r.label;
    r.weight = 1.0f;
    r.feats = f;
    r.n_feats = 3;
    rl_buf_reset(buf);
    if (rl_event_encode(&r, buf) != RL_OK)
        return -1;
    for (;;) {
        if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, buf->data, buf->len,
                             NULL, 0, NULL) == 0)
            return 0;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return -1;
        rd_kafka_poll(rk, 50);
    }
}

static int write_config(const struct demo *d, const char *bootstrap)
{
    char path[128];
    FILE *f;
    snprintf(path, sizeof(path), "%s/relearnd.ini", d->dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "; written by relearn demo\n"
            "[model]\nname = demo\nlearner = sgd\nbits = 18\n"
            "[input]\nbrokers = %s\ntopics = events\ngroup = relearn-demo\n"
            "instance_id = demo-1\n"
            "[checkpoint]\ndir = %s/checkpoints\nevery_events = 10000\nevery_seconds = 5\n"
            "[snapshot]\nevery_events = 0\nevery_seconds = 8\ngate_tolerance = 0.05\n"
            "[drift]\ndetector = ddm\nresponse = boost\n"
            "[metrics]\nlisten = 127.0.0.1:0\n"
            "[kafka]\nsession.timeout.ms = 6000\nheartbeat.interval.ms = 500\n",
            bootstrap, d->dir);
    return fclose(f);
}

/* The newest ckpt-*.rlck of the demo's checkpoint dir into out. */
static int newest_checkpoint(const struct demo *d, char *out, size_t n)
{
    char dir[128], best[256] = "";
    DIR *dd;
    struct dirent *e;
    snprintf(dir, sizeof(dir), "%s/checkpoints", d->dir);
    dd = opendir(dir);
    if (!dd)
        return -1;
    while ((e = readdir(dd)))
        if (strncmp(e->d_name, "ckpt-", 5) == 0 && strstr(e->d_name, ".rlck") &&
            strcmp(e->d_name, best) > 0)
            snprintf(best, sizeof(best), "%s", e->d_name);
    closedir(dd);
    if (!best[0])
        return -1;
    snprintf(out, n, "%s/%s", dir, best);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: relearn demo [--events N] [--rate N] [--keep]\n"
               "\n"
               "End-to-end demo, about a minute, nothing to set up: starts `relearn broker`,\n"
               "streams a drifting SEA-style stream (three concept changes), runs relearnd on it\n"
               "and shows a live line (events/s, accuracy, drift alerts, snapshot version), then\n"
               "stops relearnd, prints a summary and `relearn inspect` of the final checkpoint.\n"
               "\n"
               "  --events N   events to stream (default 60000)\n"
               "  --rate N     events per second (default 2000)\n"
               "  --keep       keep the temporary directory (logs, config, checkpoints)\n");
}

static void live_line(const struct demo *d, double t, uint64_t produced, const char *m)
{
    /* On a terminal the line redraws itself; in a log (CI, a pipe) each sample is a line. The
     * rate is ours to compute from two samples: /metrics has counters, not rates. */
    static double prev_t = -1, prev_learned;
    int tty = isatty(STDERR_FILENO);
    double learned = metric(m, "relearnd_model_events");
    double rate = prev_t >= 0 && t > prev_t ? (learned - prev_learned) / (t - prev_t) : 0;
    prev_t = t;
    prev_learned = learned;
    fprintf(stderr,
            "%s[%5.1fs] produced %6llu  learned %6.0f  %6.0f ev/s  recent acc %5.3f  "
            "drift warnings %2.0f drifts %2.0f  snapshot v%-3.0f lag %5.0f %s",
            tty ? "\r" : "", t, (unsigned long long)produced, learned, rate,
            metric(m, "relearnd_recent_accuracy_ratio"), metric(m, "relearnd_drift_warnings_total"),
            metric(m, "relearnd_drifts_total"), metric(m, "relearnd_snapshot_version"), lag_sum(m),
            tty ? "" : "\n");
    (void)d;
}

static int run(struct demo *d)
{
    char path[256], log[256], bootstrap[512], e[512], ckpt[512];
    static char m[65536];
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    rl_buf buf;
    uint64_t rng = 0x9E3779B97F4A7C15ull, produced = 0;
    double t0, last_print = 0;
    int rc = 1, st;

    /* 1. broker */
    snprintf(path, sizeof(path), "%s/bootstrap", d->dir);
    snprintf(log, sizeof(log), "%s/broker.log", d->dir);
    {
        char *argv[] = {d->relearn, "broker",           "--partitions", "2", "--topics",
                        "events",   "--bootstrap-file", path,           NULL};
        d->broker = spawn(argv, log);
    }
    if (d->broker < 0)
        return 1;
    t0 = rl_mono_s();
    while (read_file_line(path, bootstrap, sizeof(bootstrap)) != 0) {
        if (rl_stop_signals || rl_mono_s() - t0 > 10) {
            fprintf(stderr, "relearn demo: the broker did not start (see %s)\n", log);
            return 1;
        }
        sleep_s(0.05);
    }
    fprintf(stderr, "relearn demo: broker up at %s (pid %d)\n", bootstrap, (int)d->broker);

    /* 2. relearnd */
    if (write_config(d, bootstrap) != 0) {
        fprintf(stderr, "relearn demo: cannot write %s/relearnd.ini\n", d->dir);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/relearnd.ini", d->dir);
    snprintf(log, sizeof(log), "%s/relearnd.log", d->dir);
    {
        char *argv[] = {d->relearnd, "--config", path, NULL};
        d->daemon = spawn(argv, log);
    }
    if (d->daemon < 0)
        return 1;
    t0 = rl_mono_s();
    while (!(d->port = find_port(log))) {
        if (rl_stop_signals || rl_mono_s() - t0 > 30 ||
            waitpid(d->daemon, &st, WNOHANG) == d->daemon) {
            fprintf(stderr, "relearn demo: relearnd did not start (see %s)\n", log);
            return 1;
        }
        sleep_s(0.05);
    }
    fprintf(stderr, "relearn demo: relearnd up (pid %d), metrics at http://127.0.0.1:%d/metrics\n",
            (int)d->daemon, d->port);

    /* 3. the stream */
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "linger.ms", "20", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "compression.codec", "lz4", e, sizeof(e))) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "relearn demo: producer config: %s\n", e);
        return 1;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "relearn demo: producer: %s\n", e);
        return 1;
    }
    rkt = rd_kafka_topic_new(rk, "events", NULL);
    rl_buf_init(&buf);
    fprintf(stderr,
            "relearn demo: streaming %llu events at %.0f/s; the concept changes at %llu, %llu "
            "and %llu\n",
            (unsigned long long)d->events, d->rate, (unsigned long long)(d->events / 4),
            (unsigned long long)(d->events / 2), (unsigned long long)(d->events * 3 / 4));
    t0 = rl_mono_s();
    while (!rl_stop_signals) {
        double t = rl_mono_s() - t0;
        uint64_t due = (uint64_t)(t * d->rate);
        if (due > d->events)
            due = d->events;
        while (produced < due) {
            if (produce_one(rk, rkt, produced, d->events, &rng, &buf) != 0) {
                fprintf(stderr, "\nrelearn demo: produce failed: %s\n",
                        rd_kafka_err2str(rd_kafka_last_error()));
                goto done;
            }
            produced++;
        }
        rd_kafka_poll(rk, 0);
        if (t - last_print >= 1.0) {
            last_print = t;
            if (scrape(d->port, m, sizeof(m)) == 0)
                live_line(d, t, produced, m);
        }
        if (produced >= d->events) {
            double learned =
                scrape(d->port, m, sizeof(m)) == 0 ? metric(m, "relearnd_model_events") : 0;
            if (learned >= (double)d->events)
                break;
            if (t > d->events / d->rate + 60) {
                fprintf(stderr, "\nrelearn demo: relearnd did not catch up within 60 s\n");
                goto done;
            }
        }
        if (waitpid(d->daemon, &st, WNOHANG) == d->daemon) {
            d->daemon = 0;
            fprintf(stderr, "\nrelearn demo: relearnd exited early (see %s)\n", log);
            goto done;
        }
        sleep_s(0.05);
    }
    if (rl_stop_signals) {
        fprintf(stderr, "\nrelearn demo: interrupted\n");
        goto done;
    }
    live_line(d, rl_mono_s() - t0, produced, m);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\n");
    rd_kafka_flush(rk, 5000);

    /* 4. stop relearnd: final checkpoint, commit, exit 0 */
    {
        double acc = metric(m, "relearnd_accuracy_ratio");
        double recent = metric(m, "relearnd_recent_accuracy_ratio");
        double warnings = metric(m, "relearnd_drift_warnings_total");
        double drifts = metric(m, "relearnd_drifts_total");
        double version = metric(m, "relearnd_snapshot_version");
        double held = metric(m, "relearnd_snapshots_total{result=\"held_back\"}");
        st = stop_child(&d->daemon, 30);
        printf("\nrelearn demo summary\n"
               "  events streamed        %llu (concept changes at %llu, %llu, %llu)\n"
               "  events learned         %llu, each exactly once\n"
               "  prequential accuracy   %.4f overall, %.4f over the recent window\n"
               "  drift                  %.0f warnings, %.0f drifts (detector ddm, response "
               "boost)\n"
               "  snapshots published    up to version %.0f (topic relearn-snapshots), %.0f held "
               "back by the promotion gate\n"
               "  relearnd exit status   %d after SIGTERM\n",
               (unsigned long long)d->events, (unsigned long long)(d->events / 4),
               (unsigned long long)(d->events / 2), (unsigned long long)(d->events * 3 / 4),
               (unsigned long long)produced, acc, recent, warnings, drifts, version, held, st);
        fflush(stdout);
        if (st != 0) {
            fprintf(stderr, "relearn demo: relearnd exited with status %d (see %s)\n", st, log);
            goto done;
        }
    }

    /* 5. the final checkpoint, as `relearn inspect` reads it */
    if (newest_checkpoint(d, ckpt, sizeof(ckpt)) != 0) {
        fprintf(stderr, "relearn demo: no checkpoint in %s/checkpoints\n", d->dir);
        goto done;
    }
    printf("\n$ relearn inspect %s --top 5\n", ckpt);
    fflush(stdout);
    {
        char *argv[] = {d->relearn, "inspect", ckpt, "--top", "5", NULL};
        pid_t p = spawn(argv, NULL);
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            rc = 0;
        else
            fprintf(stderr, "relearn demo: relearn inspect failed on %s\n", ckpt);
    }
done:
    rl_buf_free(&buf);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (rk) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(rk);
    }
    return rc;
}

static void remove_tree(const char *dir)
{
    /* Only what the demo created: files in dir and dir/checkpoints, then the dirs. */
    const char *subs[] = {"/checkpoints", ""};
    for (int i = 0; i < 2; i++) {
        char p[256];
        DIR *dd;
        struct dirent *e;
        snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
        dd = opendir(p);
        if (!dd)
            continue;
        while ((e = readdir(dd))) {
            char f[600];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(f, sizeof(f), "%s/%s", p, e->d_name);
            unlink(f);
        }
        closedir(dd);
        rmdir(p);
    }
}

int rl_cmd_demo(int argc, char **argv)
{
    struct demo d;
    int rc;

    memset(&d, 0, sizeof(d));
    d.events = 60000;
    d.rate = 2000;
    int first;
    const rl_opt opts[] = {
        RL_OPT_FLAG_ROW("keep", 0, &d.keep),
        RL_OPT_NUMBER_ROW("events", 0, &d.events, RL_PARAM_UINT, 100, 10000000, "100..10000000"),
        RL_OPT_NUMBER_ROW("rate", 0, &d.rate, RL_PARAM_REAL, 10, 1e6, "10..1000000"),
        {RL_OPT_END},
    };
    rc = rl_opts_parse(argc, argv, "demo", opts, usage, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        fprintf(stderr, "relearn demo: unknown argument '%s'\n", argv[first]);
        usage(stderr);
        return 2;
    }
    if (find_binaries(&d) != 0) {
        fprintf(stderr, "relearn demo: relearnd not found next to %s or in ../daemon/\n",
                d.relearn);
        return 1;
    }
    snprintf(d.dir, sizeof(d.dir), "/tmp/relearn-demo.XXXXXX");
    if (!mkdtemp(d.dir)) {
        fprintf(stderr, "relearn demo: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    rl_signals_install(RL_SIGNALS_STOP | RL_SIGNALS_NO_SIGPIPE);

    rc = run(&d);

    /* Children always go, whatever happened above. */
    stop_child(&d.daemon, 30);
    stop_child(&d.broker, 10);
    if (d.keep || rc != 0)
        fprintf(stderr, "relearn demo: logs, config and checkpoints kept in %s\n", d.dir);
    else
        remove_tree(d.dir);
    return rl_stop_signals ? 1 : rc;
}
