/* http_guard.h - limits that keep a libmicrohttpd server answering when clients misbehave.
 *
 * A slow client (slowloris) that sends one header line every few seconds never trips
 * libmicrohttpd's connection timeout, which restarts with every byte received; a few dozen of
 * them held every slot of relearnd's metrics endpoint and its liveness probe failed. The guard:
 *   - bounds the whole request: a connection that has not completed a request within
 *     request_timeout_s of its start (or of its previous request's end, for keep-alive) is shut
 *     down by a watchdog thread, however steadily it trickles bytes;
 *   - keeps MHD's idle timeout (idle_timeout_s) for connections that send nothing;
 *   - caps connections in total (max_connections) and per client address (per_ip);
 *   - keeps the last `reserve` slots for addresses with no connection open, so a probe from
 *     another address (the kubelet, Prometheus) gets in while one address holds its per_ip.
 *
 * Use:
 *     rl_http_limits lim;
 *     rl_http_limits_default(&lim);           // then adjust
 *     rl_http_guard *g = rl_http_guard_new(&lim, errstr, sizeof errstr);
 *     struct MHD_OptionItem opts[RL_HTTP_GUARD_OPTIONS];
 *     rl_http_guard_options(g, opts, my_completed_cb, my_cls);
 *     mhd = MHD_start_daemon(flags, 0, rl_http_guard_accept, g, handler, cls,
 *                            MHD_OPTION_ARRAY, opts, ...other options..., MHD_OPTION_END);
 *     ...
 *     MHD_stop_daemon(mhd);
 *     rl_http_guard_free(g);                   // after the daemon: its callbacks use it
 * The guard installs MHD_OPTION_NOTIFY_CONNECTION and MHD_OPTION_NOTIFY_COMPLETED itself (the
 * latter forwards to my_completed_cb, which may be NULL), so the caller passes neither. Each
 * connection costs one extra file descriptor (a dup the watchdog can shut down without racing
 * libmicrohttpd's close): budget 2 x max_connections descriptors. */
#ifndef RL_HTTP_GUARD_H
#define RL_HTTP_GUARD_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

typedef struct rl_http_limits {
    unsigned max_connections;   /* total open connections (default 256) */
    unsigned per_ip;            /* open connections per client address (default 8) */
    unsigned reserve;           /* of max_connections, only for addresses with none open (16) */
    unsigned request_timeout_s; /* whole request, trickling or not (default 5) */
    unsigned idle_timeout_s;    /* nothing received at all (default 3) */
} rl_http_limits;

/* What the guard turned away, for metrics. */
typedef struct rl_http_guard_stats {
    uint64_t refused_full;   /* no slot left (or only reserved ones, for a busy address) */
    uint64_t refused_per_ip; /* the address had per_ip open */
    uint64_t timed_out;      /* shut down at request_timeout_s */
    unsigned open;           /* connections open now */
} rl_http_guard_stats;

typedef struct rl_http_guard rl_http_guard;

/* How many MHD_OptionItem entries rl_http_guard_options writes (with the terminating END). */
#define RL_HTTP_GUARD_OPTIONS 6

void rl_http_limits_default(rl_http_limits *l);
/* Starts the watchdog thread. NULL with errstr on failure. */
rl_http_guard *rl_http_guard_new(const rl_http_limits *l, char *errstr, size_t errstr_size);
/* Writes the options to pass as MHD_OPTION_ARRAY; completed/cls: the caller's request-completed
 * callback (may be NULL). */
void rl_http_guard_options(rl_http_guard *g, struct MHD_OptionItem opts[RL_HTTP_GUARD_OPTIONS],
                           MHD_RequestCompletedCallback completed, void *cls);
/* The accept policy: pass as MHD_start_daemon's apc with g as its cls. */
enum MHD_Result rl_http_guard_accept(void *g, const struct sockaddr *addr, socklen_t addrlen);
void rl_http_guard_stats_get(rl_http_guard *g, rl_http_guard_stats *out);
/* Stops the watchdog; call after MHD_stop_daemon. NULL: no-op. */
void rl_http_guard_free(rl_http_guard *g);

#endif
