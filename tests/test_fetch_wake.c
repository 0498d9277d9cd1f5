/* test_fetch_wake.c - when relearnd wakes librdkafka's fetcher (daemon/rld_fetch_wake.h), and
 * that the waker thread sends its request and stops cleanly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "daemon/rld_fetch_wake.h"

static const rld_fetch_bounds bounds = {100000, 64 * 1024 * 1024};

static void test_bounds_are_librdkafkas_effective_values(void **state)
{
    char e[256];
    rld_fetch_bounds b;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    (void)state;
    assert_int_equal(rld_fetch_bounds_get(conf, &b, e, sizeof(e)), RL_OK);
    assert_int_equal(b.min_messages, 100000); /* librdkafka 2.0.2's defaults */
    assert_int_equal(b.max_bytes, 65536LL * 1024);
    assert_int_equal(rd_kafka_conf_set(conf, "queued.min.messages", "5000", e, sizeof(e)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "1024", e, sizeof(e)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rld_fetch_bounds_get(conf, &b, e, sizeof(e)), RL_OK);
    assert_int_equal(b.min_messages, 5000);
    assert_int_equal(b.max_bytes, 1024 * 1024);
    rd_kafka_conf_destroy(conf);
}

static void test_wakes_only_when_low_and_lagging(void **state)
{
    (void)state;
    /* queue below half of queued.min.messages, events on the broker beyond it: wake */
    assert_true(rld_fetch_wake_due(&bounds, 49999, 100, 1, 10.0, 0.0));
    /* at half or more: the fetcher is still running or has a second's worth queued */
    assert_false(rld_fetch_wake_due(&bounds, 50000, 100, 1000000, 10.0, 0.0));
    /* nothing on the broker the queue does not hold: nothing to fetch */
    assert_false(rld_fetch_wake_due(&bounds, 0, 100, 0, 10.0, 0.0));
    assert_false(rld_fetch_wake_due(&bounds, 10, 100, -5, 10.0, 0.0));
    /* at most one wake-up per 10 ms */
    assert_false(rld_fetch_wake_due(&bounds, 0, 100, 1000, 10.005, 10.0));
    assert_true(rld_fetch_wake_due(&bounds, 0, 100, 1000, 10.011, 10.0));
}

static void test_byte_bound_counts_by_mean_payload(void **state)
{
    (void)state;
    /* 2,048-byte events: 64 MiB holds 32,768 of them, so the fetcher stops there first and
     * the wake-up comes below 16,384 queued */
    assert_false(rld_fetch_wake_due(&bounds, 16384, 2048, 1000000, 10.0, 0.0));
    assert_true(rld_fetch_wake_due(&bounds, 16383, 2048, 1000000, 10.0, 0.0));
    /* before any event is seen, the message bound alone */
    assert_true(rld_fetch_wake_due(&bounds, 40000, 0, 1000000, 10.0, 0.0));
}

static void test_thread_sends_and_stops(void **state)
{
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rld_fetch_wake *w;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    (void)state;
    /* no broker listens here: the request times out, which is all a wake-up needs to survive */
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", e, sizeof(e)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "group.id", "t", e, sizeof(e)), RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "0", e, sizeof(e)), RD_KAFKA_CONF_OK);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    assert_non_null(rk);
    rd_kafka_topic_partition_list_add(parts, "events", 0);
    assert_int_equal(rld_fetch_wake_new(rk, &w, e, sizeof(e)), RL_OK);
    assert_int_equal(rld_fetch_wake_count(w), 0);
    assert_int_equal(rld_fetch_wake_request(w, parts), 1);
    /* the first is in flight (up to its 1 s timeout): a second is dropped, not queued */
    assert_int_equal(rld_fetch_wake_request(w, parts), 0);
    for (int i = 0; i < 300 && rld_fetch_wake_count(w) == 0; i++) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(rld_fetch_wake_count(w), 1);
    assert_int_equal(rld_fetch_wake_request(w, parts), 1);
    rld_fetch_wake_destroy(w); /* joins, with a request possibly in flight */
    rld_fetch_wake_destroy(NULL);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_are_librdkafkas_effective_values),
        cmocka_unit_test(test_wakes_only_when_low_and_lagging),
        cmocka_unit_test(test_byte_bound_counts_by_mean_payload),
        cmocka_unit_test(test_thread_sends_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
