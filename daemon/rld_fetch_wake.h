/* rld_fetch_wake.h - wakes librdkafka's fetcher when the consume loop has drained a full
 * prefetch queue.
 *
 * librdkafka (2.0.2, Debian's) stops fetching a partition once the consumer queue holds
 * queued.min.messages messages or queued.max.messages.kbytes bytes, and its broker thread looks
 * at that partition again only when something wakes it - an op for that broker, socket I/O -
 * or after its fixed 1 s idle wait (rd_kafka_max_block_ms). Taking messages out of the queue
 * wakes nothing. So a consumer that learns more slowly than the fetcher fetches fills the queue,
 * drains it in a fraction of a second, and then waits for the rest of that second with every
 * partition lagging (`fetch.queue.backoff.ms`, which shortens that wait, arrives in 2.2).
 *
 * The waker is one thread that, when asked, sends a ListOffsets request for the lagging
 * partitions (rd_kafka_offsets_for_times at the end: one request per partition leader). The
 * request is an op on each leader's broker thread, which then decides again, for all of its
 * partitions, whether to fetch. It reads offsets only: no position, commit or assignment
 * changes. */
#ifndef RLD_FETCH_WAKE_H
#define RLD_FETCH_WAKE_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "common/rl_common.h"

typedef struct rld_fetch_wake rld_fetch_wake;

/* The consumer's effective prefetch bounds, read from its configuration before rd_kafka_new
 * (queued.min.messages, queued.max.messages.kbytes). */
typedef struct rld_fetch_bounds {
    int64_t min_messages;
    int64_t max_bytes;
} rld_fetch_bounds;

rl_err rld_fetch_bounds_get(const rd_kafka_conf_t *conf, rld_fetch_bounds *out, char *errstr,
                            size_t errstr_size);

/* Whether the fetcher may have stopped and should be woken now: the queue holds less than half
 * of what stops the fetcher (counting bytes by the mean payload size seen so far), the brokers
 * hold events the queue does not, and the last wake-up was at least 10 ms ago. */
int rld_fetch_wake_due(const rld_fetch_bounds *b, int64_t queued, double mean_payload,
                       int64_t lag_beyond_queue, double now_s, double last_wake_s);

/* Starts the thread; consumer must outlive the waker. */
rl_err rld_fetch_wake_new(rd_kafka_t *consumer, rld_fetch_wake **out, char *errstr,
                          size_t errstr_size);
/* Asks for a wake-up of the leaders of parts (copied). Never blocks: returns 0 and drops the
 * request while the previous one is still in flight, 1 when it was handed to the thread. */
int rld_fetch_wake_request(rld_fetch_wake *w, const rd_kafka_topic_partition_list_t *parts);
/* Wake-ups sent so far (any thread). */
uint64_t rld_fetch_wake_count(rld_fetch_wake *w);
/* Stops and joins the thread (waits for a request in flight, at most its 1 s timeout). NULL:
 * no-op. */
void rld_fetch_wake_destroy(rld_fetch_wake *w);

#endif
