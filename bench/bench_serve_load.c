/* bench_serve_load.c - a bounded HTTP/1.1 load generator for `relearn serve` (and its
 * baseline, bench_serve_const): C connections, each a thread sending the same POST body back to
 * back on one keep-alive connection, for S seconds (or until a stop file appears).
 *
 *   bench_serve_load --addr HOST:PORT --path PATH --body FILE [--connections C] [--seconds S]
 *                    [--stop-file F] [--expect DIR]
 *
 * With --expect DIR, every answer must be status 200 and byte for byte DIR/<V>, where V is the
 * answer's own "model_version": the hot-swap check (an answer scored with one version, and
 * saying which). Prints one line: requests, errors, mismatches, versions seen, requests/s,
 * p50/p99 latency. Exit 1 when any request failed or mismatched. Bounded: 5 s socket timeouts,
 * responses up to 16 MiB, at most 256 connections and 3600 s. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN     256
#define MAX_RESPONSE (16u << 20)
#define MAX_VERSIONS 4096
#define LAT_BUCKETS  4000 /* 10 us each: up to 40 ms, the last one catches the rest */

static struct sockaddr_in g_addr;
static const char *g_path, *g_stop_file, *g_expect_dir;
static char *g_body;
static size_t g_body_len;
static double g_deadline;
static atomic_int g_stop;
static char *g_expected[MAX_VERSIONS];
static size_t g_expected_len[MAX_VERSIONS];
static atomic_ullong g_lat[LAT_BUCKETS];
static atomic_int g_seen[MAX_VERSIONS];

typedef struct worker {
    pthread_t t;
    unsigned long long requests, errors, mismatches;
    char first_problem[300];
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
        p[n] = '\0';
        *len = (size_t)n;
    } else {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

static int connect_once(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct timeval tv = {5, 0};
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&g_addr, sizeof(g_addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response into buf (grown as needed): *status, body at *body (len *blen). */
static int read_response(int fd, char **buf, size_t *cap, size_t *have, int *status, char **body,
                         size_t *blen)
{
    size_t head = 0;
    for (;;) {
        char *end = *have ? memmem(*buf, *have, "\r\n\r\n", 4) : NULL;
        if (end) {
            head = (size_t)(end - *buf) + 4;
            break;
        }
        if (*have == *cap) {
            if (*cap >= MAX_RESPONSE)
                return -1;
            *cap *= 2;
            *buf = realloc(*buf, *cap);
        }
        ssize_t r = recv(fd, *buf + *have, *cap - *have, 0);
        if (r <= 0)
            return -1;
        *have += (size_t)r;
    }
    if (sscanf(*buf, "HTTP/1.%*d %d", status) != 1)
        return -1;
    char *cl = memmem(*buf, head, "Content-Length:", 15);
    if (!cl)
        cl = memmem(*buf, head, "content-length:", 15);
    if (!cl)
        return -1;
    size_t n = strtoul(cl + 15, NULL, 10);
    if (n > MAX_RESPONSE)
        return -1;
    while (*have < head + n) {
        if (*cap < head + n + 1) {
            *cap = head + n + 1;
            *buf = realloc(*buf, *cap);
        }
        ssize_t r = recv(fd, *buf + *have, *cap - *have, 0);
        if (r <= 0)
            return -1;
        *have += (size_t)r;
    }
    *body = *buf + head;
    *blen = n;
    return (int)(head + n);
}

static void problem(worker *w, const char *fmt, const char *detail, size_t n)
{
    if (!w->first_problem[0])
        snprintf(w->first_problem, sizeof(w->first_problem), fmt, (int)(n > 200 ? 200 : n), detail);
}

static void *run(void *arg)
{
    worker *w = arg;
    char req[1024];
    size_t cap = 65536, have = 0;
    char *buf = malloc(cap);
    int fd = -1;
    int hl = snprintf(req, sizeof(req),
                      "POST %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      g_path, g_body_len);
    while (!atomic_load(&g_stop)) {
        int status = 0;
        char *body;
        size_t blen;
        if (fd < 0 && (fd = connect_once()) < 0) {
            w->errors++;
            problem(w, "connect: %.*s", strerror(errno), strlen(strerror(errno)));
            usleep(10000);
            continue;
        }
        double t0 = now_s();
        if (send_all(fd, req, (size_t)hl) != 0 || send_all(fd, g_body, g_body_len) != 0) {
            w->errors++;
            close(fd);
            fd = -1;
            have = 0;
            continue;
        }
        int used = read_response(fd, &buf, &cap, &have, &status, &body, &blen);
        if (used < 0) {
            w->errors++;
            problem(w, "response: %.*s", "unreadable or timed out", 23);
            close(fd);
            fd = -1;
            have = 0;
            continue;
        }
        double dt = now_s() - t0;
        size_t b = (size_t)(dt / 1e-5);
        atomic_fetch_add(&g_lat[b < LAT_BUCKETS ? b : LAT_BUCKETS - 1], 1);
        w->requests++;
        if (status != 200) {
            w->errors++;
            problem(w, "status != 200: %.*s", body, blen);
        } else if (g_expect_dir) {
            const char *mv = memmem(body, blen, "\"model_version\": ", 17);
            unsigned long v = mv ? strtoul(mv + 17, NULL, 10) : 0;
            if (!v || v >= MAX_VERSIONS || !g_expected[v]) {
                w->mismatches++;
                problem(w, "unknown version: %.*s", body, blen);
            } else if (g_expected_len[v] != blen || memcmp(g_expected[v], body, blen) != 0) {
                w->mismatches++;
                problem(w, "answer differs from its version's: %.*s", body, blen);
            } else {
                atomic_store(&g_seen[v], 1);
            }
        }
        memmove(buf, buf + used, have - (size_t)used);
        have -= (size_t)used;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *body_path = NULL;
    int conns = 2;
    double seconds = 5;
    worker ws[MAX_CONN];
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--addr") == 0)
            addr = argv[i + 1];
        else if (strcmp(argv[i], "--path") == 0)
            g_path = argv[i + 1];
        else if (strcmp(argv[i], "--body") == 0)
            body_path = argv[i + 1];
        else if (strcmp(argv[i], "--connections") == 0)
            conns = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--stop-file") == 0)
            g_stop_file = argv[i + 1];
        else if (strcmp(argv[i], "--expect") == 0)
            g_expect_dir = argv[i + 1];
        else {
            fprintf(stderr, "bench_serve_load: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    char host[64];
    if (!colon || !g_path || !body_path || conns < 1 || conns > MAX_CONN || !(seconds > 0) ||
        seconds > 3600 || (size_t)(colon - addr) >= sizeof(host)) {
        fprintf(stderr, "usage: bench_serve_load --addr HOST:PORT --path PATH --body FILE "
                        "[--connections 1..256] [--seconds S<=3600] [--stop-file F] "
                        "[--expect DIR]\n");
        return 2;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &g_addr.sin_addr) != 1) {
        fprintf(stderr, "bench_serve_load: %s: not an IPv4 address\n", host);
        return 2;
    }
    if (!(g_body = slurp(body_path, &g_body_len))) {
        fprintf(stderr, "bench_serve_load: cannot read %s\n", body_path);
        return 2;
    }
    for (int v = 1; g_expect_dir && v < MAX_VERSIONS; v++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%d", g_expect_dir, v);
        g_expected[v] = slurp(p, &g_expected_len[v]);
    }
    g_deadline = now_s() + seconds;
    memset(ws, 0, sizeof(ws));
    double t0 = now_s();
    for (int i = 0; i < conns; i++)
        pthread_create(&ws[i].t, NULL, run, &ws[i]);
    while (now_s() < g_deadline) {
        struct stat st;
        if (g_stop_file && stat(g_stop_file, &st) == 0)
            break;
        usleep(20000);
    }
    atomic_store(&g_stop, 1);
    unsigned long long req = 0, err = 0, mis = 0, seen = 0, cum = 0;
    const char *first = "";
    for (int i = 0; i < conns; i++) {
        pthread_join(ws[i].t, NULL);
        req += ws[i].requests;
        err += ws[i].errors;
        mis += ws[i].mismatches;
        if (!*first && ws[i].first_problem[0])
            first = ws[i].first_problem;
    }
    double el = now_s() - t0;
    for (int v = 0; v < MAX_VERSIONS; v++)
        seen += (unsigned long long)atomic_load(&g_seen[v]);
    double p50 = 0, p99 = 0;
    for (int b = 0; b < LAT_BUCKETS; b++) {
        cum += atomic_load(&g_lat[b]);
        if (!p50 && cum * 2 >= req)
            p50 = (b + 1) * 1e-5;
        if (!p99 && cum * 100 >= req * 99)
            p99 = (b + 1) * 1e-5;
    }
    printf("requests=%llu errors=%llu mismatches=%llu versions_seen=%llu seconds=%.2f rps=%.0f "
           "p50_ms=%.2f p99_ms=%.2f\n",
           req, err, mis, seen, el, req / el, p50 * 1e3, p99 * 1e3);
    if (*first)
        printf("first_problem=%s\n", first);
    return err || mis ? 1 : 0;
}
