/* serve_http.c - the HTTP side of `relearn serve` on libmicrohttpd: routing, bounds, answers.
 *
 * Bounds, so that no client can take the service down or starve the probes: a body larger than
 * max_body is read away and answered 413; connections are capped in total, per client address,
 * with slots kept for addresses that have none (a probe gets in), and a request not complete
 * request_timeout_s after it started is cut however steadily it trickles: all of that is
 * http/http_guard.h, shared with relearnd's endpoint. Requests are served by a pool of
 * `threads` threads. */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "http/http_guard.h"
#include "serve/serve.h"

struct rl_serve {
    rl_serve_config cfg;
    char *model_name;
    relearn_follower *f;
    rl_serve_metrics *metrics;
    struct MHD_Daemon *mhd;
    rl_http_guard *guard;
    int port;
    char prefix[300]; /* "/v1/models/NAME" */
};

/* One request in progress. */
typedef struct req {
    rl_sbuf body;
    int too_big;
    double start;
} req;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void rl_serve_config_default(rl_serve_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = "127.0.0.1:8500";
    c->threads = 2;
    c->max_connections = 64;
    c->max_per_ip = 32;
    c->max_body = 1u << 20;
    c->max_instances = 10000;
    c->request_timeout_s = 10;
}

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status, const char *type,
                                rl_sbuf *b)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (b->failed || !b->p) {
        free(b->p);
        memset(b, 0, sizeof(*b));
        rl_sbuf_printf(b, "{\"error\": \"out of memory\"}\n");
        status = 503;
        if (b->failed)
            return MHD_NO;
    }
    r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(b->p);
        memset(b, 0, sizeof(*b));
        return MHD_NO;
    }
    memset(b, 0, sizeof(*b)); /* the response owns the text now */
    MHD_add_response_header(r, "Content-Type", type);
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Admin calls: pin a version, unpin, roll back. */
static unsigned admin(rl_serve *s, struct MHD_Connection *conn, const char *verb, rl_sbuf *out)
{
    char err[256];
    relearn_err e = RELEARN_OK;
    if (strcmp(verb, "pin") == 0) {
        const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "version");
        char *end = NULL;
        unsigned long long ver = v ? strtoull(v, &end, 10) : 0;
        if (!v || !*v || *end || ver == 0) {
            rl_serve_error_json(out, "pin needs ?version=N (a kept version, N >= 1)");
            return 400;
        }
        e = relearn_follower_pin(s->f, ver, err, sizeof(err));
    } else if (strcmp(verb, "unpin") == 0) {
        relearn_follower_unpin(s->f);
    } else if (strcmp(verb, "rollback") == 0) {
        e = relearn_follower_rollback(s->f, err, sizeof(err));
    } else {
        rl_serve_error_json(out,
                            "unknown verb \":%.50s\" (predict, explain, pin, unpin, "
                            "rollback)",
                            verb);
        return 404;
    }
    if (e != RELEARN_OK) {
        rl_serve_error_json(out, "%s", err);
        return 404;
    }
    relearn_follower_stats st;
    relearn_follower_get_stats(s->f, &st);
    rl_sbuf_printf(out, "{\"model_version\": %llu, \"pinned\": %s}\n",
                   (unsigned long long)st.served_version, st.pinned ? "true" : "false");
    return 200;
}

static unsigned healthz(rl_serve *s, rl_sbuf *out)
{
    relearn_follower_stats st;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    relearn_follower_get_stats(s->f, &st);
    if (!st.served_version) {
        rl_serve_error_json(out, "no model loaded yet");
        return 503;
    }
    double age = (double)(now_ms - st.served_created_ms) / 1000.0;
    if (s->cfg.max_age_s > 0 && age > (double)s->cfg.max_age_s) {
        rl_serve_error_json(out, "served version %llu is %.0f s old, more than the %lld s bound",
                            (unsigned long long)st.served_version, age,
                            (long long)s->cfg.max_age_s);
        return 503;
    }
    rl_sbuf_printf(out, "{\"status\": \"ok\", \"model_version\": %llu, \"age\": %.3f}\n",
                   (unsigned long long)st.served_version, age);
    return 200;
}

static enum rl_serve_route route_of(const char *verb)
{
    if (!verb)
        return RL_ROUTE_MODEL;
    if (strcmp(verb, "predict") == 0)
        return RL_ROUTE_PREDICT;
    if (strcmp(verb, "explain") == 0)
        return RL_ROUTE_EXPLAIN;
    return RL_ROUTE_ADMIN;
}

/* Answers a complete request. Returns the status; out holds the body; *type its type. */
static unsigned dispatch(rl_serve *s, struct MHD_Connection *conn, const char *url,
                         const char *method, req *q, rl_sbuf *out, const char **type,
                         enum rl_serve_route *route, uint64_t *n_pred)
{
    size_t pl = strlen(s->prefix);
    int post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
    *type = "application/json";
    *route = RL_ROUTE_OTHER;
    if (strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0) {
        *route = url[1] == 'm' ? RL_ROUTE_METRICS : RL_ROUTE_HEALTHZ;
        if (!get) {
            rl_serve_error_json(out, "%s takes GET", url);
            return 405;
        }
        if (*route == RL_ROUTE_HEALTHZ)
            return healthz(s, out);
        rl_http_guard_stats gs;
        rl_http_guard_stats_get(s->guard, &gs);
        *type = "text/plain; version=0.0.4";
        rl_serve_metrics_text(s->metrics, s->f, out);
        rl_sbuf_printf(out,
                       "# HELP relearn_serve_connections_refused_total Connections turned away "
                       "(reason: full, per_ip) or cut (timed_out: not a whole request within "
                       "--request-timeout).\n"
                       "# TYPE relearn_serve_connections_refused_total counter\n"
                       "relearn_serve_connections_refused_total{reason=\"full\"} %llu\n"
                       "relearn_serve_connections_refused_total{reason=\"per_ip\"} %llu\n"
                       "relearn_serve_connections_refused_total{reason=\"timed_out\"} %llu\n"
                       "# TYPE relearn_serve_connections_open gauge\n"
                       "relearn_serve_connections_open %u\n",
                       (unsigned long long)gs.refused_full, (unsigned long long)gs.refused_per_ip,
                       (unsigned long long)gs.timed_out, gs.open);
        return 200;
    }
    /* /v1/models/NAME[/versions/N][:verb] (TF Serving's versioned form: a kept version) */
    const char *rest = url + pl;
    uint64_t version = 0;
    if (strncmp(url, s->prefix, pl) == 0 && strncmp(rest, "/versions/", 10) == 0) {
        char *end = NULL;
        version = strtoull(rest + 10, &end, 10);
        rest = version && end != rest + 10 ? end : "?";
    }
    if (strncmp(url, s->prefix, pl) != 0 || (*rest != '\0' && *rest != ':')) {
        rl_serve_error_json(out, "no such path: %.200s (this server serves %s)", url, s->prefix);
        return 404;
    }
    const char *verb = *rest == ':' ? rest + 1 : NULL;
    *route = route_of(verb);
    if ((verb && !post) || (!verb && !get)) {
        rl_serve_error_json(out, "%s takes %s", url, verb ? "POST" : "GET");
        return 405;
    }
    if (q->too_big) {
        rl_serve_error_json(out, "request body larger than %zu bytes", s->cfg.max_body);
        return 413;
    }
    if (*route == RL_ROUTE_ADMIN && !version)
        return admin(s, conn, verb, out);
    if (*route == RL_ROUTE_ADMIN) {
        rl_serve_error_json(out, ":%.50s takes no version in the path", verb);
        return 404;
    }
    relearn_model *m =
        version ? relearn_follower_acquire_version(s->f, version) : relearn_follower_acquire(s->f);
    if (!m && version) {
        rl_serve_error_json(out, "version %llu is not among the versions kept",
                            (unsigned long long)version);
        return 404;
    }
    if (!m) {
        rl_serve_error_json(out, "no model loaded yet");
        return 503;
    }
    unsigned status = 200;
    if (*route == RL_ROUTE_MODEL) {
        rl_serve_model_json(m, s->f, out);
    } else {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        int pb = ct && strncmp(ct, "application/x-protobuf", 22) == 0;
        if (pb && *route == RL_ROUTE_EXPLAIN) {
            rl_serve_error_json(out, ":explain takes JSON instances");
            status = 415;
        } else if (pb) {
            rl_serve_predict_protobuf(m, q->body.p, q->body.len, &status, out);
            *n_pred = status == 200;
        } else {
            rl_serve_limits lim = {s->cfg.max_instances, 10};
            const char *k = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "k");
            if (k) {
                long v = strtol(k, NULL, 10);
                lim.explain_k = v >= 1 && v <= 1000 ? (size_t)v : 0;
            }
            if (!lim.explain_k) {
                rl_serve_error_json(out, "k must be 1..1000");
                status = 400;
            } else {
                rl_serve_predict_json(m, q->body.p ? q->body.p : "", q->body.len,
                                      *route == RL_ROUTE_EXPLAIN, &lim, &status, out, n_pred);
            }
        }
    }
    relearn_model_release(m);
    return status;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    rl_serve *s = cls;
    req *q = *con_cls;
    (void)version;
    if (!q) {
        q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        q->start = now_s();
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!q->too_big && q->body.len + *upload_size > s->cfg.max_body) {
            q->too_big = 1;
            free(q->body.p);
            memset(&q->body, 0, sizeof(q->body));
        }
        if (!q->too_big) {
            size_t need = q->body.len + *upload_size + 1;
            if (need > q->body.cap) {
                size_t nc = q->body.cap ? q->body.cap * 2 : 4096;
                while (nc < need)
                    nc *= 2;
                char *np = realloc(q->body.p, nc);
                if (!np)
                    return MHD_NO;
                q->body.p = np;
                q->body.cap = nc;
            }
            memcpy(q->body.p + q->body.len, upload, *upload_size);
            q->body.len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    rl_sbuf out = {0};
    const char *type;
    enum rl_serve_route route;
    uint64_t n_pred = 0;
    unsigned status = dispatch(s, conn, url, method, q, &out, &type, &route, &n_pred);
    rl_serve_metrics_add(s->metrics, route, status, now_s() - q->start, status == 200 ? n_pred : 0);
    return send_buf(conn, status, type, &out);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *q = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (q) {
        free(q->body.p);
        free(q);
        *con_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    /* libmicrohttpd's own complaints (a client that vanished): not ours to print raw. */
    (void)cls;
    (void)fmt;
    (void)ap;
}

relearn_err rl_serve_start(const rl_serve_config *c, relearn_follower *f, rl_serve **out,
                           char *errstr, size_t errstr_size)
{
    char host[256], port[16];
    struct addrinfo hints, *ai = NULL;
    const char *colon = strrchr(c->listen, ':');
    rl_serve *s;
    *out = NULL;
    if (!colon || colon == c->listen || (size_t)(colon - c->listen) >= sizeof(host) ||
        strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port)) {
        snprintf(errstr, errstr_size, "--listen %s: expected HOST:PORT", c->listen);
        return RELEARN_ERR_CONFIG;
    }
    memcpy(host, c->listen, (size_t)(colon - c->listen));
    host[colon - c->listen] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    snprintf(port, sizeof(port), "%s", colon + 1);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(errstr, errstr_size, "--listen %s: %s", c->listen, gai_strerror(gai));
        return RELEARN_ERR_CONFIG;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        freeaddrinfo(ai);
        return RELEARN_ERR_NOMEM;
    }
    s->cfg = *c;
    s->f = f;
    s->metrics = rl_serve_metrics_new();
    snprintf(s->prefix, sizeof(s->prefix), "/v1/models/%s", c->model_name);
    rl_http_limits lim;
    struct MHD_OptionItem opts[RL_HTTP_GUARD_OPTIONS];
    rl_http_limits_default(&lim);
    lim.max_connections = c->max_connections;
    lim.per_ip = c->max_per_ip < c->max_connections ? c->max_per_ip : c->max_connections;
    lim.reserve = c->max_connections / 4 < 16 ? c->max_connections / 4 : 16;
    lim.request_timeout_s = c->request_timeout_s;
    lim.idle_timeout_s = c->request_timeout_s;
    s->guard = rl_http_guard_new(&lim, errstr, errstr_size);
    if (s->guard) {
        rl_http_guard_options(s->guard, opts, on_completed, s);
        s->mhd =
            MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                                 (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                             0, rl_http_guard_accept, s->guard, on_request, s, MHD_OPTION_ARRAY,
                             opts, MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
                             (unsigned)(c->threads ? c->threads : 1), MHD_OPTION_EXTERNAL_LOGGER,
                             on_mhd_log, s, MHD_OPTION_END);
    }
    freeaddrinfo(ai);
    if (!s->guard) {
        rl_serve_stop(s);
        return RELEARN_ERR_CONFIG;
    }
    if (!s->mhd || !s->metrics) {
        snprintf(errstr, errstr_size,
                 "--listen %s: cannot listen there (in use, or no such "
                 "address)",
                 c->listen);
        rl_serve_stop(s);
        return RELEARN_ERR_CONFIG;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    *out = s;
    return RELEARN_OK;
}

int rl_serve_port(const rl_serve *s)
{
    return s->port;
}

void rl_serve_stop(rl_serve *s)
{
    if (!s)
        return;
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    rl_http_guard_free(s->guard); /* after the daemon: its callbacks use it */
    rl_serve_metrics_destroy(s->metrics);
    free(s);
}
