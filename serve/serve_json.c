/* serve_json.c - the V1 REST bodies: instances in, predictions or contributions out.
 *
 * Requests are read by serve_request.c. Answers are written straight into a text buffer, numbers as
 * %.17g so a client reads back the exact double the library computed. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/serve.h"

void rl_sbuf_printf(rl_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    if (b->failed)
        return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 1024;
        while (nc - b->len <= (size_t)n)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

void rl_sbuf_json_str(rl_sbuf *b, const char *s, size_t n)
{
    rl_sbuf_printf(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            rl_sbuf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            rl_sbuf_printf(b, "\\u%04x", c);
        else
            rl_sbuf_printf(b, "%c", c);
    }
    rl_sbuf_printf(b, "\"");
}

void rl_sbuf_num(rl_sbuf *b, double v)
{
    if (isfinite(v))
        rl_sbuf_printf(b, "%.17g", v);
    else
        rl_sbuf_printf(b, "null");
}

void rl_serve_error_json(rl_sbuf *out, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    out->len = 0;
    rl_sbuf_printf(out, "{\"error\": ");
    rl_sbuf_json_str(out, msg, strlen(msg));
    rl_sbuf_printf(out, "}\n");
}

static void write_prediction(rl_sbuf *out, const relearn_info *info, const relearn_prediction *p,
                             const double *probs)
{
    if (info->n_outputs) {
        rl_sbuf_printf(out, "[");
        for (uint32_t c = 0; c < info->n_outputs; c++) {
            rl_sbuf_printf(out, c ? ", " : "");
            rl_sbuf_num(out, probs[c]);
        }
        rl_sbuf_printf(out, "]");
    } else {
        rl_sbuf_num(out, p->output);
    }
}

static void write_explanation(rl_sbuf *out, const relearn_info *info, const relearn_prediction *p,
                              const relearn_contribution *c, size_t n)
{
    rl_sbuf_printf(out, "{\"output\": ");
    rl_sbuf_num(out, p->output);
    rl_sbuf_printf(out, ", \"score\": ");
    rl_sbuf_num(out, p->score);
    if (info->n_outputs)
        rl_sbuf_printf(out, ", \"class\": %d", (int)p->cls);
    rl_sbuf_printf(out, ", \"contributions\": [");
    for (size_t i = 0; i < n; i++) {
        rl_sbuf_printf(out, "%s{\"feature\": ", i ? ", " : "");
        if (c[i].name)
            rl_sbuf_json_str(out, c[i].name, c[i].name_len);
        else
            rl_sbuf_printf(out, "null");
        rl_sbuf_printf(out, ", \"slot\": %u, \"value\": ", c[i].slot);
        rl_sbuf_num(out, c[i].value);
        rl_sbuf_printf(out, ", \"contribution\": ");
        rl_sbuf_num(out, c[i].contribution);
        rl_sbuf_printf(out, "}");
    }
    rl_sbuf_printf(out, "]}");
}

void rl_serve_predict_json(const relearn_model *m, const char *body, size_t len, int explain,
                           const rl_serve_limits *lim, unsigned *status, rl_sbuf *out,
                           uint64_t *n_scored)
{
    relearn_info info;
    relearn_feature *f = NULL;
    size_t *name_off = NULL;
    relearn_contribution *contrib = NULL;
    double probs[1024];
    rl_sbuf names = {0};
    rl_serve_req req;
    *status = 400;
    *n_scored = 0;
    relearn_model_info(m, &info);
    if (rl_serve_req_parse(&req, body, len, out) != 0)
        goto done;
    if (req.n_instances > lim->max_instances) {
        *status = 413;
        rl_serve_error_json(out, "%zu instances: more than %u in one request", req.n_instances,
                            lim->max_instances);
        goto done;
    }
    /* Room for the largest instance only: a fixed worst case (RELEARN_MAX_FEATURES) would be a
     * 256 KiB allocation, mmap'd and unmapped on every request. */
    size_t most = req.most > RELEARN_MAX_FEATURES ? RELEARN_MAX_FEATURES : req.most;
    f = malloc(most * sizeof(*f));
    name_off = malloc(most * sizeof(*name_off));
    contrib = explain ? malloc(lim->explain_k * sizeof(*contrib)) : NULL;
    if (!f || !name_off || (explain && !contrib)) {
        *status = 503;
        rl_serve_error_json(out, "out of memory");
        goto done;
    }
    rl_sbuf_printf(out, explain ? "{\"explanations\": [" : "{\"predictions\": [");
    for (size_t i = 0; i < req.n_instances; i++) {
        relearn_event ev;
        relearn_prediction p;
        size_t n = 0, nc = 0;
        relearn_err e;
        if (rl_serve_req_instance(&req, i, f, &n, &names, name_off, out) != 0)
            goto done;
        memset(&ev, 0, sizeof(ev));
        ev.features = f;
        ev.n_features = n;
        if (explain)
            e = relearn_explain(m, &ev, lim->explain_k, contrib, &nc, &p);
        else
            e = relearn_predict(m, &ev, &p, probs);
        if (e != RELEARN_OK) {
            rl_serve_error_json(out, "instance %zu: %s (values must be finite, within +-1e18)", i,
                                relearn_err_str(e));
            goto done;
        }
        rl_sbuf_printf(out, i ? ", " : "");
        if (explain)
            write_explanation(out, &info, &p, contrib, nc);
        else
            write_prediction(out, &info, &p, probs);
    }
    rl_sbuf_printf(out, "], \"model_version\": %llu}\n", (unsigned long long)info.version);
    *status = 200;
    *n_scored = req.n_instances;
done:
    if (out->failed) {
        *status = 503;
        out->failed = 0;
        rl_serve_error_json(out, "out of memory");
    }
    rl_serve_req_free(&req);
    free(names.p);
    free(f);
    free(name_off);
    free(contrib);
}

void rl_serve_predict_protobuf(const relearn_model *m, const char *body, size_t len,
                               unsigned *status, rl_sbuf *out)
{
    relearn_info info;
    relearn_prediction p;
    double probs[1024];
    char err[300];
    relearn_model_info(m, &info);
    relearn_err e = relearn_predict_protobuf(m, body, len, &p, probs, err, sizeof(err));
    if (e != RELEARN_OK) {
        *status = 400;
        rl_serve_error_json(out, "protobuf Event: %s", err);
        return;
    }
    *status = 200;
    rl_sbuf_printf(out, "{\"predictions\": [");
    write_prediction(out, &info, &p, probs);
    rl_sbuf_printf(out, "], \"model_version\": %llu}\n", (unsigned long long)info.version);
}

void rl_serve_model_json(const relearn_model *m, relearn_follower *f, rl_sbuf *out)
{
    relearn_info i;
    relearn_follower_stats st;
    uint64_t kept[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    relearn_model_info(m, &i);
    relearn_follower_get_stats(f, &st);
    size_t nk = relearn_follower_versions(f, kept, 64);
    rl_sbuf_printf(out, "{\"name\": ");
    rl_sbuf_json_str(out, i.model_name, strlen(i.model_name));
    rl_sbuf_printf(out, ", \"version\": %llu, \"parent\": %llu, \"instance\": ",
                   (unsigned long long)i.version, (unsigned long long)i.parent_version);
    rl_sbuf_json_str(out, i.instance_id, strlen(i.instance_id));
    rl_sbuf_printf(out,
                   ", \"learner\": \"%s\", \"loss\": \"%s\", \"task\": \"%s\", "
                   "\"output\": \"%s\", \"bits\": %u, \"events\": %llu, "
                   "\"created_ms\": %lld, \"age\": ",
                   i.learner, i.loss, i.task, i.output, i.bits, (unsigned long long)i.events,
                   (long long)i.created_ms);
    rl_sbuf_num(out, now - (double)i.created_ms / 1000.0);
    rl_sbuf_printf(out, ", \"pinned\": %s, \"kept_versions\": [", st.pinned ? "true" : "false");
    for (size_t k = 0; k < nk; k++)
        rl_sbuf_printf(out, "%s%llu", k ? ", " : "", (unsigned long long)kept[k]);
    rl_sbuf_printf(out, "], \"metrics\": ");
    if (!i.has_metrics) {
        rl_sbuf_printf(out, "null");
    } else {
        static const char *names[] = {"accuracy", "log_loss",  "auc",         "rmse",
                                      "mae",      "mean_loss", "recent_loss", "recent_accuracy"};
        const double vals[] = {i.accuracy, i.log_loss,  i.auc,         i.rmse,
                               i.mae,      i.mean_loss, i.recent_loss, i.recent_accuracy};
        rl_sbuf_printf(out, "{\"n\": %llu", (unsigned long long)i.metrics_n);
        for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
            rl_sbuf_printf(out, ", \"%s\": ", names[k]);
            rl_sbuf_num(out, vals[k]);
        }
        rl_sbuf_printf(out, "}");
    }
    rl_sbuf_printf(out, "}\n");
}
