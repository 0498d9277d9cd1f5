/* rld_http.c - /metrics, /healthz, /model over libmicrohttpd. */
#include "daemon/rld_http.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http/http_guard.h"
#include "kafka/kafka.h"

struct rld_http {
    struct MHD_Daemon *mhd;
    rl_http_guard *guard;
    rld_stats *stats;
    int port;
    atomic_int started;  /* read by libmicrohttpd's thread in on_mhd_log */
    char start_err[256]; /* libmicrohttpd's last message while starting */
};

/* libmicrohttpd's own messages, which it would print raw on stderr ("Failed to bind to port 0:
 * Address already in use" - the port it names is its port argument, unused with SOCK_ADDR):
 * while starting, kept for the start-up error; later, logged as relearnd lines. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    rld_http *h = cls;
    char msg[256], q[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    if (!atomic_load(&h->started)) {
        snprintf(h->start_err, sizeof(h->start_err), "%s", msg);
        return;
    }
    rl_log_quote(msg, q, sizeof(q));
    rl_log(RL_LOG_WARN, "metrics endpoint", "detail=\"%s\"", q);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body /* malloc'd, freed by MHD */)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (!body)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The endpoint's own defence (http_guard.h), appended to the metrics text. */
static char *with_http_metrics(rld_http *h, char *text)
{
    rl_http_guard_stats st;
    size_t cap;
    char *out;
    if (!text)
        return NULL;
    cap = strlen(text) + 1024;
    out = malloc(cap);
    if (!out) {
        free(text);
        return NULL;
    }
    rl_http_guard_stats_get(h->guard, &st);
    snprintf(out, cap,
             "%s# HELP relearnd_http_connections Open connections to this endpoint.\n"
             "# TYPE relearnd_http_connections gauge\nrelearnd_http_connections %u\n"
             "# HELP relearnd_http_refused_total Connections refused at accept: no slot "
             "left (full) or the address had its share open (per_ip).\n"
             "# TYPE relearnd_http_refused_total counter\n"
             "relearnd_http_refused_total{reason=\"full\"} %llu\n"
             "relearnd_http_refused_total{reason=\"per_ip\"} %llu\n"
             "# HELP relearnd_http_timed_out_total Connections shut down for not completing a "
             "request within the request timeout.\n"
             "# TYPE relearnd_http_timed_out_total counter\nrelearnd_http_timed_out_total "
             "%llu\n",
             text, st.open, (unsigned long long)st.refused_full,
             (unsigned long long)st.refused_per_ip, (unsigned long long)st.timed_out);
    free(text);
    return out;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    rld_http *h = cls;
    rld_stats_data *d;
    enum MHD_Result ret;
    int64_t now = rl_now_ms();
    char reason[512];

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                     strdup("only GET and HEAD\n"));
    /* The data is large (per-partition table): keep it off the server thread's stack. */
    d = malloc(sizeof(*d));
    if (!d)
        return MHD_NO;
    rld_stats_get(h->stats, d);
    if (strcmp(url, "/metrics") == 0) {
        ret = reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4",
                    with_http_metrics(h, rld_stats_prometheus(d, now)));
    } else if (strcmp(url, "/healthz") == 0) {
        int ok = rld_stats_healthy(d, now, reason, sizeof(reason) - 2);
        strcat(reason, "\n");
        ret = reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                    strdup(reason));
    } else if (strcmp(url, "/model") == 0) {
        char *j = rld_stats_model_json(d, now);
        size_t n = j ? strlen(j) : 0;
        char *body = j ? realloc(j, n + 2) : NULL;
        if (body) {
            body[n] = '\n';
            body[n + 1] = '\0';
        } else {
            free(j);
        }
        ret = reply(conn, MHD_HTTP_OK, "application/json", body);
    } else {
        ret = reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
                    strdup("not found: try /metrics, /healthz, /model\n"));
    }
    free(d);
    return ret;
}

rl_err rld_http_start(const char *listen, rld_stats *stats, rld_http **out, char *errstr,
                      size_t errstr_size)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    struct addrinfo hints, *ai = NULL;
    rld_http *h = NULL;
    const union MHD_DaemonInfo *info;
    int rc;
    size_t hl;

    *out = NULL;
    if (!colon)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "[metrics] listen: '%s' is not host:port", listen);
    hl = (size_t)(colon - listen);
    if (hl >= sizeof(host))
        hl = sizeof(host) - 1;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') { /* [::1]:9464 */
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "[metrics] listen: '%s': %s", listen,
                          gai_strerror(rc));
    h = calloc(1, sizeof(*h));
    if (!h) {
        freeaddrinfo(ai);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    }
    h->stats = stats;
    /* Slow clients must not take /metrics and /healthz down (http_guard.h: whole-request
     * deadline, per-address share, slots kept for new addresses). */
    rl_http_limits lim;
    struct MHD_OptionItem opts[RL_HTTP_GUARD_OPTIONS];
    rl_http_limits_default(&lim);
    h->guard = rl_http_guard_new(&lim, errstr, errstr_size);
    if (!h->guard) {
        freeaddrinfo(ai);
        free(h);
        return RL_ERR_NOMEM;
    }
    rl_http_guard_options(h->guard, opts, NULL, NULL);
    h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                                  (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                              0, rl_http_guard_accept, h->guard, on_request, h,
                              MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_ARRAY, opts,
                              MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->mhd) {
        /* "Failed to bind to port 0: Address already in use" -> "Address already in use" */
        const char *why = strrchr(h->start_err, ':');
        why = why ? why + 1 : h->start_err;
        while (*why == ' ')
            why++;
        rl_set_err(errstr, errstr_size, RL_ERR_IO, "[metrics] listen: cannot listen on %s: %s",
                   listen, *why ? why : "address in use or not local?");
        rl_http_guard_free(h->guard);
        free(h);
        return RL_ERR_IO;
    }
    atomic_store(&h->started, 1);
    info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    *out = h;
    return RL_OK;
}

int rld_http_port(const rld_http *h)
{
    return h->port;
}

void rld_http_stop(rld_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->mhd);
    rl_http_guard_free(h->guard);
    free(h);
}
