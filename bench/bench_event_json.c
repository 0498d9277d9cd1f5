/* bench_event_json.c - what reading events as JSON costs: per event, relearn's JSON decoder
 * (wire/event_json.c, jsmn tokens, no allocation) against the Event protobuf decoder
 * (wire/event_decode.c) on the same events, and against jansson doing the same job (parse into
 * its tree, hash every member into an example, free), in the same run.
 *
 *   bench_event_json [EVENTS [FEATURES [REPS]]]     (defaults 200000 20 5)
 *
 * Events carry FEATURES named features, half numbers ("f<k>": 0.123) and half categories
 * ("c<k>": "v<m>", hashed as "c<k>=v<m>"), a label and no weight: what `relearn produce` writes
 * for a CSV table (--as json, and as Events). Prints the best-of-REPS nanoseconds per event and
 * the ratios to the Event decoder. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learners/features.h"
#include "wire/event_codec.h"
#include "wire/event_json.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct corpus {
    rl_buf data;
    size_t *off;
} corpus;

/* jansson: parse, hash each member as the JSON decoder names it, free. */
static uint32_t jansson_one(const rl_hasher *h, const char *p, size_t n, rl_feature *out)
{
    json_error_t je;
    json_t *o = json_loadb(p, n, 0, &je);
    const char *k;
    json_t *v;
    uint32_t m = 0;
    char name[128];
    json_object_foreach(o, k, v)
    {
        if (strcmp(k, "label") == 0)
            continue;
        if (json_is_string(v)) {
            int len = snprintf(name, sizeof(name), "%s=%s", k, json_string_value(v));
            out[m].index = rl_hash_name(h, name, (size_t)len);
            out[m++].value = 1.0f;
        } else {
            out[m].index = rl_hash_name(h, k, strlen(k));
            out[m++].value = (float)json_number_value(v);
        }
    }
    json_decref(o);
    return m;
}

int main(int argc, char **argv)
{
    size_t n_events = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    uint32_t n_feats = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 20;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    char err[256];
    if (n_events == 0 || n_feats == 0 || n_feats > 1000 || reps < 1) {
        fprintf(stderr, "usage: bench_event_json [EVENTS [FEATURES [REPS]]]\n");
        return 2;
    }
    corpus pb, js;
    rl_buf_init(&pb.data);
    rl_buf_init(&js.data);
    pb.off = malloc((n_events + 1) * sizeof(size_t));
    js.off = malloc((n_events + 1) * sizeof(size_t));
    rl_event_feature *f = malloc(n_feats * sizeof(*f));
    char(*names)[32] = malloc(n_feats * sizeof(*names));
    rl_feature *scratch = malloc(n_feats * sizeof(*scratch));
    if (!pb.off || !js.off || !f || !names || !scratch)
        return 1;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n_events; i++) {
        char line[8192];
        size_t o = (size_t)snprintf(line, sizeof(line), "{\"label\":%d", (int)(s & 1));
        for (uint32_t k = 0; k < n_feats; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            int len;
            if (k % 2) {
                unsigned v = (unsigned)(s % 50);
                len = snprintf(names[k], sizeof(names[k]), "c%u=v%u", k, v);
                f[k] = (rl_event_feature){names[k], (size_t)len, 0, 1.0f};
                o += (size_t)snprintf(line + o, sizeof(line) - o, ",\"c%u\":\"v%u\"", k, v);
            } else {
                float v = (float)(s % 1000) / 1000.0f;
                len = snprintf(names[k], sizeof(names[k]), "f%u", k);
                f[k] = (rl_event_feature){names[k], (size_t)len, 0, v};
                o += (size_t)snprintf(line + o, sizeof(line) - o, ",\"f%u\":%.9g", k, (double)v);
            }
        }
        o += (size_t)snprintf(line + o, sizeof(line) - o, "}");
        rl_event_record r = {1, (float)(s & 1), 1.0f, f, n_feats, NULL, 0, 0, 0, NULL, 0};
        pb.off[i] = pb.data.len;
        js.off[i] = js.data.len;
        if (rl_event_encode(&r, &pb.data) != RL_OK)
            return 1;
        rl_buf_put(&js.data, line, o);
    }
    pb.off[n_events] = pb.data.len;
    js.off[n_events] = js.data.len;

    rl_event_codec_config c;
    rl_event_codec_config_default(&c);
    rl_event_decoder *d = NULL;
    rl_json_decoder *jd = NULL;
    if (rl_event_decoder_new(&c, &d, err, sizeof(err)) != RL_OK ||
        rl_json_decoder_new(&c, NULL, &jd, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    rl_hasher h;
    rl_hasher_init(&h, c.bits, c.seed);
    double best[3] = {1e30, 1e30, 1e30};
    uint64_t check[3] = {0, 0, 0};
    for (int r = 0; r < reps; r++) {
        for (int which = 0; which < 3; which++) {
            const corpus *cp = which == 0 ? &pb : &js;
            uint64_t sum = 0;
            double t0 = now_s();
            for (size_t i = 0; i < n_events; i++) {
                const void *p = cp->data.data + cp->off[i];
                size_t n = cp->off[i + 1] - cp->off[i];
                rl_example ex;
                if (which == 0) {
                    if (rl_event_decode(d, p, n, &ex, NULL, err, sizeof(err)) != RL_EVENT_OK)
                        return 1;
                    sum += ex.feats[ex.n_feats - 1].index;
                } else if (which == 1) {
                    if (rl_json_decode(jd, p, n, &ex, err, sizeof(err)) != RL_EVENT_OK) {
                        fprintf(stderr, "json: %s\n", err);
                        return 1;
                    }
                    sum += ex.feats[ex.n_feats - 1].index;
                } else {
                    uint32_t m = jansson_one(&h, p, n, scratch);
                    sum += scratch[m - 1].index;
                }
            }
            double t = now_s() - t0;
            if (t < best[which])
                best[which] = t;
            check[which] = sum;
        }
    }
    if (check[0] != check[1] || check[1] != check[2]) {
        fprintf(stderr, "the decoders disagree on the slots\n");
        return 1;
    }
    printf("events %zu, features %u (half categories), bytes per event: Event %.0f, JSON %.0f\n",
           n_events, n_feats, (double)pb.data.len / (double)n_events,
           (double)js.data.len / (double)n_events);
    const char *what[3] = {"Event protobuf (baseline)", "JSON, relearn (jsmn)", "JSON, jansson"};
    for (int w = 0; w < 3; w++)
        printf("%-28s %8.0f ns/event  %.2fx\n", what[w], best[w] * 1e9 / (double)n_events,
               best[w] / best[0]);
    rl_event_decoder_destroy(d);
    rl_json_decoder_destroy(jd);
    return 0;
}
