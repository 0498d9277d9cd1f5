/* http_guard.c - the limits of http_guard.h: a slot per open connection (its address, when its
 * current request began, a dup of its socket) and a watchdog thread that shuts down those past
 * the whole-request deadline. */
#include "http/http_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct slot {
    int in_use;
    int fd; /* our dup of the connection's socket, -1 none */
    int shut;
    double start; /* monotonic: connection start or previous request's end */
    struct sockaddr_storage addr;
} slot;

struct rl_http_guard {
    rl_http_limits lim;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t watchdog;
    int stop;
    slot *slots;
    size_t n_slots;
    rl_http_guard_stats st;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rl_http_limits_default(rl_http_limits *l)
{
    l->max_connections = 256;
    l->per_ip = 8;
    l->reserve = 16;
    l->request_timeout_s = 5;
    l->idle_timeout_s = 3;
}

static int same_ip(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a->sa_family != b->ss_family)
        return 0;
    if (a->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return 0;
}

enum MHD_Result rl_http_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    rl_http_guard *g = cls;
    unsigned open = 0, mine = 0;
    enum MHD_Result ok = MHD_YES;
    (void)addrlen;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_slots; i++) {
        if (!g->slots[i].in_use)
            continue;
        open++;
        mine += same_ip(addr, &g->slots[i].addr);
    }
    if (mine >= g->lim.per_ip) {
        g->st.refused_per_ip++;
        ok = MHD_NO;
    } else if (open >= g->lim.max_connections ||
               (mine > 0 && open + g->lim.reserve >= g->lim.max_connections)) {
        g->st.refused_full++;
        ok = MHD_NO;
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    rl_http_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        pthread_mutex_lock(&g->lock);
        for (size_t i = 0; i < g->n_slots; i++) {
            slot *s = &g->slots[i];
            if (s->in_use)
                continue;
            memset(s, 0, sizeof(*s));
            s->in_use = 1;
            s->fd = fi ? fcntl(fi->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
            s->start = mono_s();
            if (ai && ai->client_addr) {
                socklen_t len = ai->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                       : sizeof(struct sockaddr_in);
                memcpy(&s->addr, ai->client_addr, len);
            }
            *socket_context = (void *)(uintptr_t)(i + 1);
            break;
        }
        pthread_mutex_unlock(&g->lock);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        size_t i = (size_t)(uintptr_t)*socket_context - 1;
        pthread_mutex_lock(&g->lock);
        if (i < g->n_slots && g->slots[i].in_use) {
            if (g->slots[i].fd >= 0)
                close(g->slots[i].fd);
            g->slots[i].in_use = 0;
            g->slots[i].fd = -1;
        }
        pthread_mutex_unlock(&g->lock);
        *socket_context = NULL;
    }
}

/* A request completed: a keep-alive connection's next request gets the whole time again. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    rl_http_guard *g = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && ci->socket_context) {
        size_t i = (size_t)(uintptr_t)ci->socket_context - 1;
        pthread_mutex_lock(&g->lock);
        if (i < g->n_slots && g->slots[i].in_use)
            g->slots[i].start = mono_s();
        pthread_mutex_unlock(&g->lock);
    }
    if (g->completed)
        g->completed(g->completed_cls, conn, con_cls, toe);
}

/* Shuts down (never closes: libmicrohttpd owns the descriptor) the sockets of connections past
 * the deadline; libmicrohttpd then reads end-of-file and closes them itself. */
static void *watchdog(void *arg)
{
    rl_http_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        double now = mono_s();
        for (size_t i = 0; i < g->n_slots; i++) {
            slot *s = &g->slots[i];
            if (s->in_use && !s->shut && s->fd >= 0 &&
                now - s->start > (double)g->lim.request_timeout_s) {
                shutdown(s->fd, SHUT_RDWR);
                s->shut = 1;
                g->st.timed_out++;
            }
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

rl_http_guard *rl_http_guard_new(const rl_http_limits *l, char *errstr, size_t errstr_size)
{
    rl_http_guard *g = calloc(1, sizeof(*g));
    int rc;
    if (!g || l->max_connections == 0 || l->per_ip == 0 || l->reserve >= l->max_connections ||
        l->request_timeout_s == 0) {
        snprintf(errstr, errstr_size, "%s",
                 g ? "HTTP limits: connections, per-address limit and request timeout must be "
                     "positive, the reserve below the connection limit"
                   : "out of memory");
        free(g);
        return NULL;
    }
    g->lim = *l;
    /* room for accepts racing the count in a thread pool; MHD's own limit still holds */
    g->n_slots = (size_t)l->max_connections + 16;
    g->slots = calloc(g->n_slots, sizeof(*g->slots));
    if (!g->slots) {
        snprintf(errstr, errstr_size, "out of memory");
        free(g);
        return NULL;
    }
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    rc = pthread_create(&g->watchdog, NULL, watchdog, g);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "HTTP watchdog thread: %s", strerror(rc));
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g->slots);
        free(g);
        return NULL;
    }
    return g;
}

void rl_http_guard_options(rl_http_guard *g, struct MHD_OptionItem opts[RL_HTTP_GUARD_OPTIONS],
                           MHD_RequestCompletedCallback completed, void *cls)
{
    size_t n = 0;
    g->completed = completed;
    g->completed_cls = cls;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        (intptr_t)g->lim.max_connections, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        (intptr_t)g->lim.idle_timeout_s, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, g};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, g};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    while (n < RL_HTTP_GUARD_OPTIONS)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

void rl_http_guard_stats_get(rl_http_guard *g, rl_http_guard_stats *out)
{
    pthread_mutex_lock(&g->lock);
    *out = g->st;
    out->open = 0;
    for (size_t i = 0; i < g->n_slots; i++)
        out->open += (unsigned)g->slots[i].in_use;
    pthread_mutex_unlock(&g->lock);
}

void rl_http_guard_free(rl_http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->watchdog, NULL);
    for (size_t i = 0; i < g->n_slots; i++)
        if (g->slots[i].in_use && g->slots[i].fd >= 0)
            close(g->slots[i].fd);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g->slots);
    free(g);
}
