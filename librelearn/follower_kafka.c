/* follower_kafka.c - the follower's consumer thread: the snapshot topic's versions of the model,
 * reassembled and verified by kafka/'s snapshot-topic reader (rl_snaptopic, follow mode), are
 * offered to the follower (follower.c), which decodes, keeps and swaps them in.
 *
 * The reader consumes with a manual-assign consumer (no commits: following never moves anyone's
 * offsets) from the start of every partition, so a new follower loads the newest version there
 * is. While the topic is missing or the broker away, the thread retries every second and the
 * last good version stays served. The librdkafka configuration is built here, without kafka/'s
 * logging callback: librelearn is a library and prints nothing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "kafka/kafka.h"
#include "librelearn/follower_int.h"

static void set_broker_up(relearn_follower *f, int up)
{
    pthread_mutex_lock(&f->lock);
    f->st.broker_up = up;
    pthread_mutex_unlock(&f->lock);
}

/* librdkafka's own log lines would go to stderr: a library keeps quiet. */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

/* A consumer conf from the follower's settings; NULL with err on a refused setting. */
static rd_kafka_conf_t *conf_new(const relearn_follower *f, char *err, size_t err_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", f->brokers, err, err_size) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "group.id", "relearn-follower", err, err_size) !=
            RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    for (size_t i = 0; f->kafka_conf[i]; i += 2) {
        if (rd_kafka_conf_set(conf, f->kafka_conf[i], f->kafka_conf[i + 1], err, err_size) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

static void *consume(void *arg)
{
    relearn_follower *f = arg;
    rl_snaptopic *r = NULL;
    rl_snaptopic_event ev;
    rl_snaptopic_opts o;
    char err[512];
    memset(&ev, 0, sizeof(ev));
    memset(&o, 0, sizeof(o));
    o.topic = f->topic;
    o.model = f->model_name;
    o.instance = f->instance_id;
    o.assemble = RL_SNAPTOPIC_EVERY_VERSION;
    o.follow = 1;
    while (!atomic_load(&f->stop)) {
        if (!r) {
            /* The topic may not exist yet, or the broker be away: try again every second. */
            rd_kafka_conf_t *conf = conf_new(f, err, sizeof(err));
            if (!conf || rl_snaptopic_new(conf, &o, 1000, &r, err, sizeof(err)) != RL_OK) {
                r = NULL;
                set_broker_up(f, 0);
                struct timespec ts = {0, 500 * 1000 * 1000};
                nanosleep(&ts, NULL);
                continue;
            }
            set_broker_up(f, 1);
        }
        if (rl_snaptopic_poll(r, 200, &ev, err, sizeof(err)) != RL_OK) {
            set_broker_up(f, 0); /* cannot heal as it is: start the reader again */
            rl_snaptopic_destroy(r);
            r = NULL;
            continue;
        }
        switch (ev.kind) {
        case RL_SNAPTOPIC_MESSAGE:
            set_broker_up(f, 1);
            rl_relearn_follower_message(f);
            if (ev.corrupt)
                rl_relearn_follower_refused(f);
            else if (ev.complete)
                rl_relearn_follower_offer(f, ev.whole.data, ev.whole.len, NULL, err, sizeof(err));
            break;
        case RL_SNAPTOPIC_SKIPPED: /* neither a snapshot nor a chunk: refused, never served */
            rl_relearn_follower_message(f);
            rl_relearn_follower_refused(f);
            break;
        case RL_SNAPTOPIC_KAFKA_ERROR:
            set_broker_up(f, 0);
            break;
        default:
            break;
        }
    }
    rl_snaptopic_event_free(&ev);
    rl_snaptopic_destroy(r);
    return NULL;
}

relearn_err relearn_follower_start(relearn_follower *f, char *errstr, size_t errstr_size)
{
    char err[512];
    if (!f || !f->brokers || !f->topic || !*f->brokers || !*f->topic)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                                       "follower: brokers and topic are required");
    if (f->thread_started)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                       "follower: already started");
    /* Check the settings once here, so a typo is an error now, not a silent thread. */
    rd_kafka_conf_t *conf = conf_new(f, err, sizeof(err));
    if (!conf)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "follower: %s", err);
    rd_kafka_conf_destroy(conf);
    if (pthread_create(&f->thread, NULL, consume, f) != 0)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                                       "follower: cannot start its thread");
    f->thread_started = 1;
    return RELEARN_OK;
}
