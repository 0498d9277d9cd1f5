/* serve_metrics.c - what /metrics says: requests by route and status, a latency histogram,
 * predictions made, the served version, its age, and the follower's counters. Counters are
 * C11 atomics bumped by the server threads; a scrape reads them without stopping anyone. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "serve/serve.h"

static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
#define N_BOUNDS   (sizeof(bounds) / sizeof(bounds[0]))
#define N_STATUSES 6 /* 200, 400, 404, 405, 413, other */

static const char *route_names[RL_ROUTE__COUNT] = {"predict", "explain", "model", "admin",
                                                   "metrics", "healthz", "other"};
static const unsigned status_codes[N_STATUSES] = {200, 400, 404, 405, 413, 0};

struct rl_serve_metrics {
    atomic_ullong requests[RL_ROUTE__COUNT][N_STATUSES];
    atomic_ullong buckets[N_BOUNDS + 1]; /* predict and explain only; the last is +Inf */
    atomic_ullong sum_us;
    atomic_ullong predictions;
};

rl_serve_metrics *rl_serve_metrics_new(void)
{
    return calloc(1, sizeof(rl_serve_metrics)); /* all-zero atomics are valid zeros */
}

void rl_serve_metrics_destroy(rl_serve_metrics *m)
{
    free(m);
}

void rl_serve_metrics_add(rl_serve_metrics *m, enum rl_serve_route r, unsigned status,
                          double seconds, uint64_t predictions)
{
    size_t s = N_STATUSES - 1;
    for (size_t i = 0; i + 1 < N_STATUSES; i++)
        if (status_codes[i] == status)
            s = i;
    atomic_fetch_add_explicit(&m->requests[r][s], 1, memory_order_relaxed);
    if (r != RL_ROUTE_PREDICT && r != RL_ROUTE_EXPLAIN)
        return;
    size_t b = 0;
    while (b < N_BOUNDS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us, (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&m->predictions, predictions, memory_order_relaxed);
}

void rl_serve_metrics_text(const rl_serve_metrics *m, relearn_follower *f, rl_sbuf *o)
{
    relearn_follower_stats st;
    struct timespec ts;
    unsigned long long cum = 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    relearn_follower_get_stats(f, &st);

    rl_sbuf_printf(o, "# HELP relearn_serve_requests_total HTTP requests by route and status "
                      "(status \"other\": any other).\n"
                      "# TYPE relearn_serve_requests_total counter\n");
    for (int r = 0; r < RL_ROUTE__COUNT; r++)
        for (size_t s = 0; s < N_STATUSES; s++) {
            unsigned long long v = atomic_load(&m->requests[r][s]);
            if (!v)
                continue;
            if (status_codes[s])
                rl_sbuf_printf(o, "relearn_serve_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                               route_names[r], status_codes[s], v);
            else
                rl_sbuf_printf(o,
                               "relearn_serve_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                               route_names[r], v);
        }
    rl_sbuf_printf(o, "# HELP relearn_serve_request_duration_seconds Time to answer a predict or "
                      "explain request, from its first byte.\n"
                      "# TYPE relearn_serve_request_duration_seconds histogram\n");
    for (size_t b = 0; b <= N_BOUNDS; b++) {
        cum += atomic_load(&m->buckets[b]);
        if (b < N_BOUNDS)
            rl_sbuf_printf(o, "relearn_serve_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                           bounds[b], cum);
        else
            rl_sbuf_printf(o, "relearn_serve_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                           cum);
    }
    rl_sbuf_printf(o,
                   "relearn_serve_request_duration_seconds_sum %.6f\n"
                   "relearn_serve_request_duration_seconds_count %llu\n",
                   (double)atomic_load(&m->sum_us) / 1e6, cum);
    rl_sbuf_printf(o,
                   "# TYPE relearn_serve_predictions_total counter\n"
                   "relearn_serve_predictions_total %llu\n"
                   "# HELP relearn_serve_model_version The version served now (0: none).\n"
                   "# TYPE relearn_serve_model_version gauge\n"
                   "relearn_serve_model_version %llu\n"
                   "# HELP relearn_serve_model_newest_version The newest version verified.\n"
                   "# TYPE relearn_serve_model_newest_version gauge\n"
                   "relearn_serve_model_newest_version %llu\n"
                   "# HELP relearn_serve_model_age_seconds Since the served version was "
                   "published (-1: none).\n"
                   "# TYPE relearn_serve_model_age_seconds gauge\n"
                   "relearn_serve_model_age_seconds %.3f\n"
                   "# TYPE relearn_serve_model_pinned gauge\n"
                   "relearn_serve_model_pinned %d\n"
                   "# TYPE relearn_serve_snapshot_messages_total counter\n"
                   "relearn_serve_snapshot_messages_total %llu\n"
                   "# HELP relearn_serve_snapshot_refused_total Snapshot messages or versions "
                   "refused (corrupt, truncated, undecodable); never served.\n"
                   "# TYPE relearn_serve_snapshot_refused_total counter\n"
                   "relearn_serve_snapshot_refused_total %llu\n"
                   "# TYPE relearn_serve_snapshot_versions_total counter\n"
                   "relearn_serve_snapshot_versions_total %llu\n"
                   "# TYPE relearn_serve_broker_up gauge\n"
                   "relearn_serve_broker_up %d\n"
                   "# HELP relearn_serve_snapshot_last_message_age_seconds Since the last "
                   "snapshot message of this model arrived (-1: none yet).\n"
                   "# TYPE relearn_serve_snapshot_last_message_age_seconds gauge\n"
                   "relearn_serve_snapshot_last_message_age_seconds %.3f\n",
                   (unsigned long long)atomic_load(&m->predictions),
                   (unsigned long long)st.served_version, (unsigned long long)st.newest_version,
                   st.served_version ? (double)(now_ms - st.served_created_ms) / 1000.0 : -1.0,
                   st.pinned, (unsigned long long)st.messages, (unsigned long long)st.refused,
                   (unsigned long long)st.versions, st.broker_up,
                   st.last_message_ms ? (double)(now_ms - st.last_message_ms) / 1000.0 : -1.0);
}
