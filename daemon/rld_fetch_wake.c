/* rld_fetch_wake.c - the fetcher wake-up thread (why: rld_fetch_wake.h). */
#include "daemon/rld_fetch_wake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/rld_int.h"

/* A wake-up is a network round trip to each leader: no more often than this. */
#define WAKE_MIN_INTERVAL_S 0.010
/* How long one wake-up may wait for its answers (it is only a nudge: a slow answer still woke
 * the broker thread when the request went out). */
#define WAKE_TIMEOUT_MS 1000

struct rld_fetch_wake {
    rd_kafka_t *rk;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rd_kafka_topic_partition_list_t *pending; /* handed over, not yet taken; owned */
    int busy;                                 /* a request is pending or in flight */
    int stop;
    atomic_uint_fast64_t sent;
};

static int64_t conf_int(const rd_kafka_conf_t *conf, const char *key, int64_t def)
{
    char v[64];
    size_t n = sizeof(v);
    if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK)
        return def;
    return strtoll(v, NULL, 10);
}

rl_err rld_fetch_bounds_get(const rd_kafka_conf_t *conf, rld_fetch_bounds *out, char *errstr,
                            size_t errstr_size)
{
    out->min_messages = conf_int(conf, "queued.min.messages", -1);
    out->max_bytes = conf_int(conf, "queued.max.messages.kbytes", -1) * 1024;
    if (out->min_messages <= 0 || out->max_bytes <= 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA,
                          "cannot read queued.min.messages / queued.max.messages.kbytes from the "
                          "consumer configuration");
    return RL_OK;
}

int rld_fetch_wake_due(const rld_fetch_bounds *b, int64_t queued, double mean_payload,
                       int64_t lag_beyond_queue, double now_s, double last_wake_s)
{
    /* librdkafka counts the payload bytes of the queued messages against max_bytes. */
    double stop_at = (double)b->min_messages;
    if (mean_payload > 0 && (double)b->max_bytes / mean_payload < stop_at)
        stop_at = (double)b->max_bytes / mean_payload;
    if (lag_beyond_queue <= 0 || (double)queued >= stop_at / 2)
        return 0;
    return now_s - last_wake_s >= WAKE_MIN_INTERVAL_S;
}

static void *wake_main(void *arg)
{
    rld_fetch_wake *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && !w->pending)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        rd_kafka_topic_partition_list_t *parts = w->pending;
        w->pending = NULL;
        pthread_mutex_unlock(&w->mu);
        /* The answer does not matter (the loop reads the watermarks librdkafka caches): the
         * request reaching each leader's broker thread is the point. */
        rd_kafka_offsets_for_times(w->rk, parts, WAKE_TIMEOUT_MS);
        rd_kafka_topic_partition_list_destroy(parts);
        atomic_fetch_add(&w->sent, 1);
        pthread_mutex_lock(&w->mu);
        w->busy = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

rl_err rld_fetch_wake_new(rd_kafka_t *consumer, rld_fetch_wake **out, char *errstr,
                          size_t errstr_size)
{
    rld_fetch_wake *w = calloc(1, sizeof(*w));
    *out = NULL;
    if (!w)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    w->rk = consumer;
    atomic_init(&w->sent, 0);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, wake_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "cannot start the fetch waker");
    }
    *out = w;
    return RL_OK;
}

int rld_fetch_wake_request(rld_fetch_wake *w, const rd_kafka_topic_partition_list_t *parts)
{
    int taken = 0;
    pthread_mutex_lock(&w->mu);
    if (!w->busy && !w->stop) {
        w->pending = rd_kafka_topic_partition_list_copy(parts);
        /* at the end: ListOffsets with timestamp -1 */
        for (int i = 0; i < w->pending->cnt; i++)
            w->pending->elems[i].offset = RD_KAFKA_OFFSET_END;
        w->busy = 1;
        taken = 1;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return taken;
}

uint64_t rld_fetch_wake_count(rld_fetch_wake *w)
{
    return w ? (uint64_t)atomic_load(&w->sent) : 0;
}

void rld_fetch_wake_destroy(rld_fetch_wake *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (w->pending)
        rd_kafka_topic_partition_list_destroy(w->pending);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void rld_fetch_wake_tick(rld_daemon *d, rd_kafka_queue_t *q, double now)
{
    int64_t queued = (int64_t)rd_kafka_queue_length(q), lag = 0;
    double mean = d->sd.events_ok + d->sd.events_bad > 0
                      ? (double)d->payload_bytes / (double)(d->sd.events_ok + d->sd.events_bad)
                      : 0.0;
    rd_kafka_topic_partition_list_t *lagging;

    d->sd.fetch_wakeups = rld_fetch_wake_count(d->waker);
    if (!d->waker)
        return;
    /* p->high is librdkafka's cached high watermark (refresh_stats reads it every batch) */
    for (size_t i = 0; i < d->n_parts; i++)
        if (d->parts[i].assigned && d->parts[i].next >= 0 && d->parts[i].high > d->parts[i].next)
            lag += d->parts[i].high - d->parts[i].next;
    if (!rld_fetch_wake_due(&d->fetch_bounds, queued, mean, lag - queued, now, d->last_wake))
        return;
    lagging = rd_kafka_topic_partition_list_new((int)d->n_parts);
    for (size_t i = 0; i < d->n_parts; i++)
        if (d->parts[i].assigned && d->parts[i].next >= 0 && d->parts[i].high > d->parts[i].next)
            rd_kafka_topic_partition_list_add(lagging, d->parts[i].topic, d->parts[i].partition);
    if (rld_fetch_wake_request(d->waker, lagging))
        d->last_wake = now;
    rd_kafka_topic_partition_list_destroy(lagging);
}
