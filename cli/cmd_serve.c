/* cmd_serve.c - `relearn serve`: score with a published model over HTTP (serve/serve.h).
 *
 * The model comes from the snapshot topic (--brokers --topic --model: every new version is
 * swapped in as it is published) or from a file (--snapshot). Either way it is held by a
 * relearn_follower, so pinning and roll-back work the same for both. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/kafka_util.h"
#include "relearn.h"
#include "serve/serve.h"

static void usage(FILE *o)
{
    fprintf(
        o,
        "usage: relearn serve --brokers B --topic T --model NAME [options]\n"
        "       relearn serve --snapshot FILE [options]\n"
        "Serves predictions over HTTP (KServe / TF Serving V1 REST):\n"
        "  GET  /v1/models/NAME            the served version, its metrics and age\n"
        "  POST /v1/models/NAME:predict    {\"instances\": [{\"f^o=LAS\": 1, \"f^ldist\": "
        "7.6}]}\n"
        "                                  or one relearn.Event (application/x-protobuf)\n"
        "  POST /v1/models/NAME:explain    per-feature contributions (?k=10)\n"
        "  POST /v1/models/NAME:pin?version=N, :unpin, :rollback\n"
        "  GET  /metrics, /healthz\n"
        "Feature names are those the readers build (\"ns^name\" for VW namespaces); a string\n"
        "value v of feature k is the categorical feature \"k=v\".\n"
        "Options:\n"
        "  --listen HOST:PORT       default 127.0.0.1:8500 (loopback); port 0: any free one\n"
        "  --instance ID            follow only this relearnd instance's versions\n"
        "  --keep N                 versions kept for pin and roll-back (default 8)\n"
        "  --max-age SECONDS        /healthz fails when the served version is older (0: "
        "off)\n"
        "  --threads N              server threads (default 2)\n"
        "  --max-connections N      default 64\n"
        "  --max-body BYTES         default 1048576 (larger: 413)\n"
        "  --max-instances N        per request (default 10000)\n"
        "  --request-timeout S      whole request, from its first byte (default 10)\n"
        "  -X key=value             librdkafka setting for the topic consumer\n"
        "Prints `listening=HOST:PORT` on stdout once it serves. SIGTERM/SIGINT: clean exit 0.\n");
}

/* Loads FILE into the follower as the one version it serves. */
static int load_file(relearn_follower **f, const char *path, const rl_serve_config *sc,
                     uint32_t keep)
{
    char err[512];
    relearn_model *m = NULL;
    relearn_info info;
    relearn_follower_conf fc;
    if (relearn_model_open_file(path, &m, err, sizeof(err)) != RELEARN_OK) {
        fprintf(stderr, "relearn serve: %s\n", err);
        return 1;
    }
    relearn_model_info(m, &info);
    if (sc->model_name && strcmp(sc->model_name, info.model_name) != 0) {
        fprintf(stderr, "relearn serve: --snapshot %s holds model \"%s\", not --model %s\n", path,
                info.model_name, sc->model_name);
        relearn_model_release(m);
        return 2;
    }
    memset(&fc, 0, sizeof(fc));
    fc.model_name = info.model_name;
    fc.keep = keep;
    int rc = relearn_follower_new(&fc, f, err, sizeof(err)) == RELEARN_OK ? 0 : 1;
    /* The follower takes versions as message bytes: read the file once more as they are. */
    FILE *in = rc == 0 ? fopen(path, "rb") : NULL;
    char *buf = NULL;
    long len = -1;
    if (in && fseek(in, 0, SEEK_END) == 0 && (len = ftell(in)) >= 0 &&
        fseek(in, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
        fread(buf, 1, (size_t)len, in) == (size_t)len)
        rc = relearn_follower_feed(*f, buf, (size_t)len, NULL, err, sizeof(err)) == RELEARN_OK ? 0
                                                                                               : 1;
    else
        rc = 1;
    if (rc != 0)
        fprintf(stderr, "relearn serve: %s: %s\n", path, err[0] ? err : "cannot read it again");
    if (in)
        fclose(in);
    free(buf);
    relearn_model_release(m);
    return rc;
}

int rl_cmd_serve(int argc, char **argv)
{
    rl_serve_config sc;
    rl_kafka_opts ko;
    const char *topic = NULL, *snapshot = NULL, *instance = NULL;
    const char *conf_kv[2 * RL_KAFKA_MAX_X + 1];
    int64_t keep = 8;
    char err[512];
    relearn_follower *f = NULL;
    rl_serve *srv = NULL;
    int rc = 1;

    rl_serve_config_default(&sc);
    memset(&ko, 0, sizeof(ko));
    ko.cmd = "serve";
    ko.topic = &topic;
    /* Numbers are read in [lo, 2^40] and capped where the server has a limit, as always. */
    int64_t max_age = (int64_t)sc.max_age_s, threads = sc.threads, conns = sc.max_connections;
    int64_t per_ip = sc.max_per_ip;
    int64_t body = (int64_t)sc.max_body, insts = sc.max_instances, tmo = sc.request_timeout_s;
    int first;
#define SERVE_NUMBER(name, dst, lo) RL_OPT_NUMBER_ROW(name, 0, dst, RL_PARAM_INT, lo, 0x1p40, NULL)
    const rl_opt opts[] = {
        RL_KAFKA_OPT_ROWS(&ko),
        RL_OPT_STRING_ROW("model", 0, &sc.model_name),
        RL_OPT_STRING_ROW("snapshot", 0, &snapshot),
        RL_OPT_STRING_ROW("listen", 0, &sc.listen),
        RL_OPT_STRING_ROW("instance", 0, &instance),
        SERVE_NUMBER("keep", &keep, 1),
        SERVE_NUMBER("max-age", &max_age, 0),
        SERVE_NUMBER("threads", &threads, 1),
        SERVE_NUMBER("max-connections", &conns, 1),
        SERVE_NUMBER("max-per-ip", &per_ip, 1),
        SERVE_NUMBER("max-body", &body, 1),
        SERVE_NUMBER("max-instances", &insts, 1),
        SERVE_NUMBER("request-timeout", &tmo, 1),
        {RL_OPT_END},
    };
#undef SERVE_NUMBER
    rc = rl_opts_parse(argc, argv, "serve", opts, usage, &first);
    if (rc >= 0)
        return rc;
    rc = 1;
    if (first < argc) {
        fprintf(stderr, "relearn serve: unexpected argument '%s' (see --help)\n", argv[first]);
        return 2;
    }
    sc.max_age_s = max_age;
    sc.threads = (uint32_t)(threads > 256 ? 256 : threads);
    sc.max_connections = (uint32_t)(conns > 100000 ? 100000 : conns);
    sc.max_per_ip = (uint32_t)(per_ip > 100000 ? 100000 : per_ip);
    sc.max_body = (size_t)(body > (1ll << 30) ? (1ll << 30) : body); /* jsmn: int offsets */
    sc.max_instances = (uint32_t)(insts > 1000000 ? 1000000 : insts);
    sc.request_timeout_s = (uint32_t)(tmo > 3600 ? 3600 : tmo);
    if (!snapshot == !(ko.brokers || topic)) {
        fprintf(stderr, "relearn serve: give either --snapshot FILE or --brokers B --topic T "
                        "--model NAME\n");
        return 2;
    }
    if (!snapshot && (!ko.brokers || !topic || !sc.model_name)) {
        fprintf(stderr, "relearn serve: following a topic needs --brokers, --topic and --model\n");
        return 2;
    }
    if (snapshot) {
        rc = load_file(&f, snapshot, &sc, (uint32_t)keep);
        if (rc != 0)
            return rc;
        relearn_model *m = relearn_follower_acquire(f);
        relearn_info info;
        relearn_model_info(m, &info);
        sc.model_name = strdup(info.model_name);
        relearn_model_release(m);
    } else {
        relearn_follower_conf fc;
        size_t n = 0;
        for (int i = 0; i < ko.n_x; i++) {
            conf_kv[n++] = ko.keys[i];
            conf_kv[n++] = ko.values[i];
        }
        conf_kv[n] = NULL;
        memset(&fc, 0, sizeof(fc));
        fc.model_name = sc.model_name;
        fc.instance_id = instance;
        fc.keep = (uint32_t)keep;
        fc.brokers = ko.brokers;
        fc.topic = topic;
        fc.kafka_conf = conf_kv;
        if (relearn_follower_new(&fc, &f, err, sizeof(err)) != RELEARN_OK ||
            relearn_follower_start(f, err, sizeof(err)) != RELEARN_OK) {
            fprintf(stderr, "relearn serve: %s\n", err);
            relearn_follower_destroy(f);
            return 2;
        }
    }

    rl_signals_install(RL_SIGNALS_STOP | RL_SIGNALS_NO_SIGPIPE);

    if (rl_serve_start(&sc, f, &srv, err, sizeof(err)) != RELEARN_OK) {
        fprintf(stderr, "relearn serve: %s\n", err);
        rc = 2;
        goto done;
    }
    {
        char addr[300];
        const char *colon = strrchr(sc.listen, ':');
        snprintf(addr, sizeof(addr), "%.*s:%d", (int)(colon - sc.listen), sc.listen,
                 rl_serve_port(srv));
        printf("listening=%s\n", addr);
        fflush(stdout);
        rl_log(RL_LOG_INFO, "serving", "listen=%s model=%s source=%s", addr, sc.model_name,
               snapshot ? "file" : "topic");
    }
    while (!rl_stop_signals) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    rl_log(RL_LOG_INFO, "serve stopping", "signal=%s",
           rl_stop_signo == SIGINT ? "SIGINT" : "SIGTERM");
    rc = 0;
done:
    rl_serve_stop(srv);
    relearn_follower_destroy(f);
    if (snapshot)
        free((char *)sc.model_name);
    return rc;
}
