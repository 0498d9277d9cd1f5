/* tail.c - reading the last messages of every partition of a topic (see kafka.h, "reading a
 * topic's tail"). Windows grow fourfold backwards from the end, so finding the last message of
 * one writer costs a short read however long the topic is. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kafka/kafka.h"

/* Reads [from, to) of one partition through s. */
static rl_err read_range(rd_kafka_t *rk, const char *topic, int32_t part, int64_t from, int64_t to,
                         int timeout_ms, const rl_kafka_tail_scan *s, char *errstr,
                         size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rl_err err = RL_OK;
    double deadline = rl_mono_s() + timeout_ms / 1000.0;

    rd_kafka_topic_partition_list_add(l, topic, part)->offset = from;
    if (rd_kafka_assign(rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "%s/%d: cannot assign", topic, part);
        goto done;
    }
    for (;;) {
        rd_kafka_message_t *m;
        if (rl_mono_s() > deadline) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_TIMEOUT,
                             "%s/%d: reading offsets %" PRId64 "..%" PRId64 " timed out", topic,
                             part, from, to);
            break;
        }
        m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        if (m->err) {
            rl_log(RL_LOG_WARN, "reading back our own topic", "topic=%s partition=%d error=\"%s\"",
                   topic, part, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset < to)
            s->scan(s->ctx, m);
        int last = m->offset + 1 >= to;
        rd_kafka_message_destroy(m);
        if (last)
            break;
    }
done:
    rd_kafka_assign(rk, NULL);
    rd_kafka_topic_partition_list_destroy(l);
    return err;
}

rl_err rl_kafka_read_tails(rd_kafka_conf_t *conf, const char *topic, int timeout_ms,
                           const rl_kafka_tail_scan *s, char *errstr, size_t errstr_size)
{
    char e[512];
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    rl_err err = RL_OK;

    /* The windows end at a partition's EOF; nothing read here is ever committed. */
    if (rd_kafka_conf_set(conf, "enable.partition.eof", "true", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof(e))) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: reader config: %s", topic,
                          e);
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: reader: %s", topic, e);
    }
    rkt = rd_kafka_topic_new(rk, topic, NULL);
    kerr = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    if (kerr) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: metadata: %s", topic,
                         rd_kafka_err2str(kerr));
        goto done;
    }
    if (md->topic_cnt < 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        md->topics[0].partition_cnt == 0)
        goto done; /* no topic yet: nothing was ever written */
    if (md->topics[0].err) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: %s", topic,
                         rd_kafka_err2str(md->topics[0].err));
        goto done;
    }
    for (int i = 0; i < md->topics[0].partition_cnt && err == RL_OK; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo, hi, to, window = 64;
        kerr = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, timeout_ms);
        if (kerr) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s/%d: watermarks: %s",
                             topic, p, rd_kafka_err2str(kerr));
            break;
        }
        if (s->begin)
            s->begin(s->ctx, p);
        to = hi;
        while (to > lo && err == RL_OK) {
            int64_t from = to - window > lo ? to - window : lo;
            err = read_range(rk, topic, p, from, to, timeout_ms, s, errstr, errstr_size);
            to = from;
            window *= 4;
            if (s->window_done(s->ctx))
                break;
        }
    }
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return err;
}
