/* bench_gate.c - what the promotion gate costs per event: the model step alone against the step
 * with the published version scoring the same event beside it (model.h "promotion gate"), in the
 * same run, on events of 10 and 40 features, default learner (sgd, normalized, bits 22).
 *
 * The ratio is an upper bound on the gate's share of relearnd's event cost, which also decodes,
 * tracks offsets and feeds the name dictionary (issue goal: <= 15 %).
 *   build/bench/bench_gate [events [every]]   (default 2,000,000 per configuration, 5 rounds;
 *                                              every: [snapshot] gate_every, default 1) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "storage/predictor.h"
#include "storage/snapshot.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void ref_predict(void *ctx, const rl_example *ex, rl_pred *out)
{
    rl_predictor_predict(ctx, ex, out);
}

/* Events: nf features, slots from a skewed vocabulary, a label from a hidden linear rule. */
static void make_events(rl_example *ex, rl_feature *f, uint32_t n, uint32_t nf)
{
    for (uint32_t i = 0; i < n; i++) {
        double s = 0;
        for (uint32_t j = 0; j < nf; j++) {
            rl_feature *x = &f[(size_t)i * nf + j];
            x->index = (uint32_t)(next_u64() % (1000u * (j + 1)) + j * 100000u);
            x->value = j == 0 ? (float)((next_u64() % 1000) / 100.0) : 1.0f;
            s += (x->index % 7 == 0) ? 1.0 : -0.2;
        }
        memset(&ex[i], 0, sizeof(ex[i]));
        ex[i].feats = &f[(size_t)i * nf];
        ex[i].n_feats = nf;
        ex[i].weight = 1.0f;
        ex[i].label = s + (double)(next_u64() % 100) / 50.0 - 1.0 > 0 ? 1.0f : 0.0f;
    }
}

static double run(rl_model *m, const rl_example *ex, uint32_t n_ev, uint64_t total)
{
    double t0 = now_s();
    for (uint64_t k = 0; k < total; k++)
        rl_model_step(m, &ex[k % n_ev], NULL, NULL);
    return (now_s() - t0) / (double)total * 1e9;
}

int main(int argc, char **argv)
{
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    uint32_t every = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1;
    const uint32_t n_ev = 100000, widths[] = {10, 40};
    char e[512];

    printf("gate_every %u\nfeatures plain_ns_per_event gated_ns_per_event ratio (5 rounds, min "
           "of each)\n",
           every);
    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
        uint32_t nf = widths[w];
        rl_example *ex = calloc(n_ev, sizeof(*ex));
        rl_feature *f = calloc((size_t)n_ev * nf, sizeof(*f));
        rl_model_config c;
        rl_model *plain, *gated;
        rl_gate_params gp;
        rl_snapshot_meta meta;
        rl_snapshot snap;
        rl_predictor *pred;
        rl_buf buf;
        if (!ex || !f)
            return 1;
        make_events(ex, f, n_ev, nf);
        rl_model_config_default(&c);
        c.learner.bits = 22;
        if (rl_model_new(&c, NULL, NULL, &plain, e, sizeof(e)) != RL_OK ||
            rl_model_new(&c, NULL, NULL, &gated, e, sizeof(e)) != RL_OK) {
            fprintf(stderr, "bench_gate: %s\n", e);
            return 1;
        }
        rl_gate_params_default(&gp);
        gp.every = every;
        if (rl_model_gate_enable(gated, &gp, e, sizeof(e)) != RL_OK)
            return 1;
        /* Warm both up identically, then publish the gated one's state as its reference. */
        run(plain, ex, n_ev, n_ev);
        run(gated, ex, n_ev, n_ev);
        memset(&meta, 0, sizeof(meta));
        meta.model_name = "bench";
        meta.instance_id = "bench";
        meta.version = 1;
        rl_buf_init(&buf);
        rl_snapshot_init(&snap);
        if (rl_snapshot_encode_model(gated, &meta, 0, &buf, e, sizeof(e)) != RL_OK ||
            rl_snapshot_decode(buf.data, buf.len, &snap, e, sizeof(e)) != RL_OK ||
            rl_predictor_new(&snap, &pred, e, sizeof(e)) != RL_OK) {
            fprintf(stderr, "bench_gate: %s\n", e);
            return 1;
        }
        rl_model_reference ref = {ref_predict, pred};
        rl_model_set_reference(gated, &ref, 1);
        double best_p = INFINITY, best_g = INFINITY;
        for (int r = 0; r < 5; r++) {
            best_p = fmin(best_p, run(plain, ex, n_ev, total));
            best_g = fmin(best_g, run(gated, ex, n_ev, total));
        }
        printf("%u %.1f %.1f %.3f\n", nf, best_p, best_g, best_g / best_p);
        rl_predictor_destroy(pred);
        rl_snapshot_clear(&snap);
        rl_buf_free(&buf);
        rl_model_destroy(plain);
        rl_model_destroy(gated);
        free(ex);
        free(f);
    }
    return 0;
}
