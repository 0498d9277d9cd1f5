/* serve.h - `relearn serve`: an HTTP scoring service over librelearn, speaking the KServe /
 * TF Serving V1 REST protocol.
 *
 *   GET  /v1/models/NAME              the served version: name, version, parent, learner, age,
 *                                     metrics at publish, kept versions, pinned
 *   .../v1/models/NAME/versions/N[:predict|:explain]   the same with kept version N
 *   POST /v1/models/NAME:predict      {"instances": [{"f^o=LAS": 1, "f^ldist": 7.6}, ...]} ->
 *                                     {"predictions": [...], "model_version": N}; or one
 *                                     relearn.Event (Content-Type: application/x-protobuf)
 *   POST /v1/models/NAME:explain      the same request -> per-feature contributions (?k=10)
 *   POST /v1/models/NAME:pin?version=N, :unpin, :rollback
 *   GET  /metrics, /healthz
 *
 * The model comes from a relearn_follower (relearn.h): fed from the snapshot topic, or once from
 * a file. Every request scores with the one version it acquired, whatever is swapped in
 * meanwhile, and answers which version that was. Requests are bounded (body bytes, instances,
 * connections, threads, whole-request time); a malformed one gets a 4xx with a JSON error. */
#ifndef RL_SERVE_H
#define RL_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "relearn.h"

typedef struct rl_serve_config {
    const char *listen;         /* HOST:PORT (default 127.0.0.1:8500; port 0: any free one) */
    const char *model_name;     /* the NAME in /v1/models/NAME */
    uint32_t threads;           /* server threads (default 2) */
    uint32_t max_connections;   /* default 64 */
    uint32_t max_per_ip;        /* connections from one client address (default 32) */
    size_t max_body;            /* bytes of one request body (default 1 MiB) */
    uint32_t max_instances;     /* instances in one request (default 10000) */
    uint32_t request_timeout_s; /* whole request, from its first byte (default 10) */
    int64_t max_age_s;          /* /healthz fails when the served version is older (0: no bound) */
} rl_serve_config;

void rl_serve_config_default(rl_serve_config *c);

typedef struct rl_serve rl_serve;

/* Starts serving f (borrowed: it must outlive the server). */
relearn_err rl_serve_start(const rl_serve_config *c, relearn_follower *f, rl_serve **out,
                           char *errstr, size_t errstr_size);
/* The port it listens on (useful with port 0). */
int rl_serve_port(const rl_serve *s);
void rl_serve_stop(rl_serve *s); /* NULL: no-op */

/* ---- internals shared by serve_*.c ---- */
/* A growable text buffer; on allocation failure `failed` is set and appends are dropped. */
typedef struct rl_sbuf {
    char *p;
    size_t len, cap;
    int failed;
} rl_sbuf;
void rl_sbuf_printf(rl_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rl_sbuf_json_str(rl_sbuf *b, const char *s, size_t n); /* a quoted, escaped JSON string */
void rl_sbuf_num(rl_sbuf *b, double v);                     /* %.17g, or null when not finite */

/* Request metrics (serve_metrics.c). */
enum rl_serve_route {
    RL_ROUTE_PREDICT = 0,
    RL_ROUTE_EXPLAIN,
    RL_ROUTE_MODEL,
    RL_ROUTE_ADMIN,
    RL_ROUTE_METRICS,
    RL_ROUTE_HEALTHZ,
    RL_ROUTE_OTHER,
    RL_ROUTE__COUNT
};
typedef struct rl_serve_metrics rl_serve_metrics;
rl_serve_metrics *rl_serve_metrics_new(void);
void rl_serve_metrics_destroy(rl_serve_metrics *m);
void rl_serve_metrics_add(rl_serve_metrics *m, enum rl_serve_route r, unsigned status,
                          double seconds, uint64_t predictions);
/* Prometheus text: the request counters, the latency histogram, the served version and its
 * age, the follower's counters. */
void rl_serve_metrics_text(const rl_serve_metrics *m, relearn_follower *f, rl_sbuf *out);

/* A predict request body, tokenized in place (serve_request.c). */
#define RL_SERVE_STACK_TOKENS 512
typedef struct rl_serve_req {
    const char *js;
    struct jsmntok_stack {
        int type, start, end, size; /* jsmntok_t's layout (jsmn.h is included in one file) */
    } stack_tok[RL_SERVE_STACK_TOKENS];
    void *heap;
    void *tok;
    int n, inst, next;
    size_t n_instances;
    size_t most; /* features in the largest instance */
} rl_serve_req;
/* 0, or -1 with err holding the JSON error (a 400). */
int rl_serve_req_parse(rl_serve_req *r, const char *js, size_t len, rl_sbuf *err);
/* The next instance's features into f (room for r->most); categorical and escaped names are
 * built in names (name_off: scratch of the same size as f). 0, or -1 with err (a 400). */
int rl_serve_req_instance(rl_serve_req *r, size_t idx, relearn_feature *f, size_t *n_out,
                          rl_sbuf *names, size_t *name_off, rl_sbuf *err);
void rl_serve_req_free(rl_serve_req *r);

/* JSON requests and answers (serve_json.c). On failure *status is the HTTP status and out
 * holds the JSON error body. */
typedef struct rl_serve_limits {
    uint32_t max_instances;
    size_t explain_k;
} rl_serve_limits;
/* *n_scored: instances scored (on success). */
void rl_serve_predict_json(const relearn_model *m, const char *body, size_t len, int explain,
                           const rl_serve_limits *lim, unsigned *status, rl_sbuf *out,
                           uint64_t *n_scored);
void rl_serve_predict_protobuf(const relearn_model *m, const char *body, size_t len,
                               unsigned *status, rl_sbuf *out);
void rl_serve_model_json(const relearn_model *m, relearn_follower *f, rl_sbuf *out);
void rl_serve_error_json(rl_sbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
