/* rld_http.h - relearnd's HTTP endpoint (libmicrohttpd, its own thread):
 *   GET /metrics  Prometheus text format 0.0.4
 *   GET /healthz  200 "ok", or 503 with the reason (checkpoints failing, brokers down, stuck)
 *   GET /model    JSON summary of the model and its positions
 * It only reads the published copy in rld_stats, so a slow scraper never slows the stream. */
#ifndef RLD_HTTP_H
#define RLD_HTTP_H

#include "common/rl_common.h"
#include "daemon/rld_stats.h"

typedef struct rld_http rld_http;

/* listen is "host:port" (host numeric or a name; port 0 picks a free port). stats must outlive
 * the server. */
rl_err rld_http_start(const char *listen, rld_stats *stats, rld_http **out, char *errstr,
                      size_t errstr_size);
/* The port actually bound. */
int rld_http_port(const rld_http *h);
void rld_http_stop(rld_http *h); /* NULL: no-op */

#endif
