/* follower_kafka.c - the follower's consumer thread: every message of the model on the snapshot
 * topic goes to relearn_follower_feed.
 *
 * The seam: this file only gets message values to the follower; reassembly, verification and
 * the swap are follower.c's. It reads with a manual-assign consumer (no group, no commits:
 * following never moves anyone's offsets) from the start of every partition the topic has at
 * start, so a new follower loads the newest version there is. librdkafka reconnects by itself
 * while the broker is away; meanwhile the last good version stays served. */
#include <stdio.h>
#include <time.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "librelearn/follower_int.h"

static void set_broker_up(relearn_follower *f, int up)
{
    pthread_mutex_lock(&f->lock);
    f->st.broker_up = up;
    pthread_mutex_unlock(&f->lock);
}

static void *consume(void *arg)
{
    relearn_follower *f = arg;
    rd_kafka_t *rk = NULL;
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *assign = NULL;
    const struct rd_kafka_metadata *md = NULL;
    char err[512];
    size_t klen = strlen(f->model_name);
    int assigned = 0;

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", f->brokers, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", "relearn-follower", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    for (size_t i = 0; f->kafka_conf[i]; i += 2)
        rd_kafka_conf_set(conf, f->kafka_conf[i], f->kafka_conf[i + 1], err, sizeof(err));
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    while (!atomic_load(&f->stop)) {
        if (!assigned) {
            /* The topic may not exist yet, or the broker be away: try again every second. */
            rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, f->topic, NULL);
            rd_kafka_resp_err_t ke = rd_kafka_metadata(rk, 0, rkt, &md, 1000);
            rd_kafka_topic_destroy(rkt);
            if (ke == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
                md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                md->topics[0].partition_cnt > 0) {
                assign = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
                for (int p = 0; p < md->topics[0].partition_cnt; p++)
                    rd_kafka_topic_partition_list_add(assign, f->topic,
                                                      md->topics[0].partitions[p].id)
                        ->offset = RD_KAFKA_OFFSET_BEGINNING;
                assigned = rd_kafka_assign(rk, assign) == RD_KAFKA_RESP_ERR_NO_ERROR;
                rd_kafka_topic_partition_list_destroy(assign);
            }
            if (md)
                rd_kafka_metadata_destroy(md);
            md = NULL;
            set_broker_up(f, assigned);
            if (!assigned) {
                struct timespec ts = {0, 200 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                set_broker_up(f, 0);
        } else {
            set_broker_up(f, 1);
            /* Keyed by model name (kafka_headers.h); a keyless message is offered too, and the
             * snapshot's own model name decides. */
            if (!m->key || (m->key_len == klen && memcmp(m->key, f->model_name, klen) == 0))
                relearn_follower_feed(f, m->payload, m->len, NULL, err, sizeof(err));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return NULL;
}

relearn_err relearn_follower_start(relearn_follower *f, char *errstr, size_t errstr_size)
{
    if (!f || !f->brokers || !f->topic || !*f->brokers || !*f->topic)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                                       "follower: brokers and topic are required");
    if (f->thread_started)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                       "follower: already started");
    /* Check the settings once here, so a typo is an error now, not a silent thread. */
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; f->kafka_conf[i]; i += 2) {
        if (rd_kafka_conf_set(conf, f->kafka_conf[i], f->kafka_conf[i + 1], err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "follower: %s", err);
        }
    }
    rd_kafka_conf_destroy(conf);
    if (pthread_create(&f->thread, NULL, consume, f) != 0)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                                       "follower: cannot start its thread");
    f->thread_started = 1;
    return RELEARN_OK;
}
