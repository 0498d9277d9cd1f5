/* rld_topics.c - at start-up, every topic relearnd reads or writes must exist.
 *
 * Production clusters run with auto.create.topics.enable=false. There a misspelt or missing
 * input topic left relearnd waiting forever behind a rate-limited "consumer error" warning,
 * and a missing output topic failed each snapshot, alert and dead letter at delivery time. So
 * before anything else the cluster is asked once: an input topic must be listed (a consumer
 * never creates topics); an output topic is asked for through a producer, which lets a cluster
 * that does create topics on use create it, and only a cluster that answers "unknown topic"
 * then stops start-up. A cluster that does not answer in time is no verdict: relearnd starts
 * and waits for it as before. */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "daemon/rld_daemon.h"
#include "kafka/kafka.h"

/* Whether TOPIC is in MD; *err gets its per-topic error when it is. */
static int listed(const struct rd_kafka_metadata *md, const char *topic, rd_kafka_resp_err_t *err)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0) {
            *err = md->topics[i].err;
            return *err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        }
    return 0;
}

/* An output topic missing from the listing: ask for it alone through the producer (which asks
 * the cluster to create it where that is allowed). 1: exists or is being created; 0: unknown;
 * -1: no answer. */
static int output_exists(rd_kafka_t *rk, const char *topic, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t terr = RD_KAFKA_RESP_ERR_NO_ERROR;
    int r = -1;
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR)
        r = listed(md, topic, &terr);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return r;
}

rl_err rld_topics_check(const rld_config *cfg, int timeout_ms, char *errstr, size_t errstr_size)
{
    char e[512];
    rd_kafka_conf_t *conf;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr, terr = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_t *rk;
    rl_err err = RL_OK;
    const char *outs[3][2] = {{"snapshot_topic", cfg->snapshot_topic},
                              {"alerts_topic", cfg->alerts_topic},
                              {"dead_letter_topic", cfg->dead_letter_topic}};

    conf = rld_config_kafka_conf(cfg, RD_KAFKA_PRODUCER, NULL, errstr, errstr_size);
    if (!conf)
        return RL_ERR_CONFIG;
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic check: %s", e);
    }
    kerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (kerr) {
        rl_log(RL_LOG_WARN, "cannot check the topics: no metadata from the brokers yet",
               "brokers=%s error=\"%s\"", cfg->brokers, rd_kafka_err2str(kerr));
        goto done;
    }
    for (const char *p = cfg->topics; *p && err == RL_OK;) {
        char t[256];
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        snprintf(t, sizeof(t), "%.*s", (int)l, p);
        if (!listed(md, t, &terr))
            err = rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                             "[input] topics: topic '%s' does not exist on the cluster at %s "
                             "(relearnd never creates the topics it reads): create it, or fix "
                             "the name",
                             t, cfg->brokers);
        p += l + (comma ? 1 : 0);
    }
    for (int i = 0; i < 3 && err == RL_OK; i++) {
        if (listed(md, outs[i][1], &terr) || output_exists(rk, outs[i][1], timeout_ms) != 0)
            continue;
        err = rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                         "[output] %s: topic '%s' does not exist on the cluster at %s and the "
                         "cluster does not create topics on use (auto.create.topics.enable="
                         "false): create it, or fix the name",
                         outs[i][0], outs[i][1], cfg->brokers);
    }
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    return err;
}
