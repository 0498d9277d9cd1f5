/* bench_consumer.c - the bare librdkafka consumer that bench_relearnd.sh measures relearnd
 * against: same group protocol as relearnd (subscribe, rebalance callback, no auto commit), a
 * rd_kafka_consumer_poll loop that touches each message's payload and does nothing else.
 *
 *   bench_consumer BROKERS TOPIC GROUP N [key=value ...]   (extra librdkafka properties)
 *
 * Prints one line when N messages have been read:
 *   events=N wall_s=T cpu_s=C peak_rss_kib=R
 * with T from the first partition assignment to the N-th message (as relearnd's time is
 * counted), C this process's user + system CPU over the whole run. Exit 1 on a consumer error
 * or if the topic holds fewer than N messages (it stops after 10 s without a message). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static double t_assigned;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (t_assigned == 0)
            t_assigned = mono_s();
        rd_kafka_assign(rk, parts);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

int main(int argc, char **argv)
{
    char e[512];
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *subs;
    unsigned long long want, got = 0, sum = 0;
    double last_msg, t_end = 0;
    struct rusage ru;

    if (argc < 5) {
        fprintf(stderr, "usage: bench_consumer BROKERS TOPIC GROUP N [key=value ...]\n");
        return 2;
    }
    want = strtoull(argv[4], NULL, 10);
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "group.id", argv[3], e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", e, sizeof(e))) {
        fprintf(stderr, "bench_consumer: %s\n", e);
        return 2;
    }
    for (int i = 5; i < argc; i++) {
        char kv[512], *eq;
        snprintf(kv, sizeof(kv), "%s", argv[i]);
        eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "bench_consumer: %s: expected key=value\n", argv[i]);
            return 2;
        }
        *eq = 0;
        if (rd_kafka_conf_set(conf, kv, eq + 1, e, sizeof(e))) {
            fprintf(stderr, "bench_consumer: %s\n", e);
            return 2;
        }
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    if (!rk) {
        fprintf(stderr, "bench_consumer: %s\n", e);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);
    subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, argv[2], RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);

    last_msg = mono_s();
    while (got < want) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            if (t_assigned > 0 && mono_s() - last_msg > 10.0)
                break;
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "bench_consumer: %s\n", rd_kafka_message_errstr(m));
        } else {
            /* touch the payload, as a consumer that uses it must */
            if (m->len)
                sum += ((const unsigned char *)m->payload)[m->len - 1];
            got++;
            last_msg = mono_s();
        }
        rd_kafka_message_destroy(m);
    }
    t_end = mono_s();
    getrusage(RUSAGE_SELF, &ru);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (got < want) {
        fprintf(stderr, "bench_consumer: read %llu of %llu messages\n", got, want);
        return 1;
    }
    printf("events=%llu wall_s=%.4f cpu_s=%.4f peak_rss_kib=%ld check=%llu\n", got,
           t_end - t_assigned,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
           ru.ru_maxrss, sum % 10);
    return 0;
}
