/* rel_committed.c - prints a consumer group's committed offsets, as the broker holds them, so
 * the reliability scripts check commits independently of relearnd's own metrics:
 *
 *   rel_committed BROKERS GROUP TOPIC PARTITIONS
 *
 * One line per partition: "TOPIC PARTITION OFFSET METADATA" (OFFSET -1001 = nothing committed,
 * METADATA "-" when empty). The tool never joins the group (no subscribe, no assign): it only
 * asks the coordinator. Exit 0 on an answer, 1 on a Kafka error, 2 on usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

int main(int argc, char **argv)
{
    char e[512];
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err;
    int n, status = 0;

    if (argc != 5 || atoi(argv[4]) <= 0) {
        fprintf(stderr, "usage: rel_committed BROKERS GROUP TOPIC PARTITIONS\n");
        return 2;
    }
    n = atoi(argv[4]);
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "group.id", argv[2], e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof(e))) {
        fprintf(stderr, "rel_committed: %s\n", e);
        rd_kafka_conf_destroy(conf);
        return 2;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    if (!rk) {
        fprintf(stderr, "rel_committed: %s\n", e);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, argv[3], i);
    err = rd_kafka_committed(rk, l, 10000);
    if (err) {
        fprintf(stderr, "rel_committed: %s\n", rd_kafka_err2str(err));
        status = 1;
    } else {
        for (int i = 0; i < l->cnt; i++) {
            const rd_kafka_topic_partition_t *t = &l->elems[i];
            if (t->err) {
                fprintf(stderr, "rel_committed: %s [%d]: %s\n", t->topic, (int)t->partition,
                        rd_kafka_err2str(t->err));
                status = 1;
                continue;
            }
            printf("%s %d %lld %.*s\n", t->topic, (int)t->partition, (long long)t->offset,
                   t->metadata_size ? (int)t->metadata_size : 1,
                   t->metadata_size ? (const char *)t->metadata : "-");
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return status;
}
