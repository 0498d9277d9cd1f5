/* bench_serve_json.c - the cost of reading one predict request body, two ways, same run:
 *   jansson   json_loadb + walking instances (what relearn serve used first)
 *   jsmn      rl_serve_req_parse + rl_serve_req_instance (serve/serve_request.c, used now)
 * Both end with every feature's name and float value in hand.
 *
 *   bench_serve_json BODY.json [--reps N]   prints us per request for each and the ratio */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "serve/serve.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int reps = argc > 3 ? atoi(argv[3]) : 20000;
    FILE *in = argc > 1 ? fopen(argv[1], "rb") : NULL;
    static char body[1 << 20];
    if (!in) {
        fprintf(stderr, "usage: bench_serve_json BODY.json [--reps N]\n");
        return 2;
    }
    size_t len = fread(body, 1, sizeof(body) - 1, in);
    fclose(in);
    body[len] = '\0';
    double sink = 0, best[2] = {1e9, 1e9};
    relearn_feature *f = malloc(8192 * sizeof(*f));
    size_t *off = malloc(8192 * sizeof(*off));
    for (int run = 0; run < 5; run++) {
        double t = now_s();
        for (int r = 0; r < reps; r++) {
            json_error_t e;
            json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
            json_t *insts = json_object_get(root, "instances");
            for (size_t i = 0; i < json_array_size(insts); i++) {
                const char *k;
                json_t *v;
                json_object_foreach(json_array_get(insts, i), k, v)
                {
                    sink += (float)json_number_value(v) + (double)strlen(k);
                }
            }
            json_decref(root);
        }
        t = (now_s() - t) / reps;
        if (t < best[0])
            best[0] = t;
        t = now_s();
        for (int r = 0; r < reps; r++) {
            rl_serve_req q;
            rl_sbuf err = {0}, names = {0};
            if (rl_serve_req_parse(&q, body, len, &err) == 0)
                for (size_t i = 0; i < q.n_instances; i++) {
                    size_t n = 0;
                    if (rl_serve_req_instance(&q, i, f, &n, &names, off, &err) != 0)
                        break;
                    for (size_t j = 0; j < n; j++)
                        sink += f[j].value + (double)f[j].name_len;
                }
            rl_serve_req_free(&q);
            free(err.p);
            free(names.p);
        }
        t = (now_s() - t) / reps;
        if (t < best[1])
            best[1] = t;
    }
    printf("body=%zu bytes reps=%d (best of 5)\n", len, reps);
    printf("jansson  %8.2f us/request\n", best[0] * 1e6);
    printf("jsmn     %8.2f us/request  %.2fx jansson's time\n", best[1] * 1e6, best[1] / best[0]);
    if (sink == 0.5)
        printf("\n");
    free(f);
    free(off);
    return 0;
}
