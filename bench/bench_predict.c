/* bench_predict.c - what one prediction costs in-process with librelearn (include/relearn.h).
 *
 *   bench_predict [--events N] [--bits B] [--learner NAME] [--reps R]
 *
 * A model (default sgd, 2^18 slots) is trained on N events of 40 named features ("f^k<id>", ids
 * from a 100,000-name vocabulary; 3 passes), published as a snapshot and opened with librelearn.
 * Then the same N events (default 256, so they sit in cache as a just-parsed request does; the
 * model's weights need not) are scored R times over (the best of 5 runs each):
 *   baseline    the publishing learner's own predict on pre-hashed events (relearnd's cost)
 *   by_name     relearn_predict with 40 named features: hashing included
 *   predictor   rl_predictor_predict (storage/predictor.h) on the same pre-hashed events: the
 *               snapshot's scoring function alone, without librelearn's input checks
 *   by_index    relearn_predict with 40 features given by index below 2^bits (no hashing)
 *   by_slot     relearn_predict_slots with the 40 features pre-hashed (hash once, score many)
 * and prints ns per event and events/s for each, and the ratios to the baseline. One thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learners/features.h"
#include "learners/learner.h"
#include "storage/predictor.h"
#include "relearn.h"
#include "storage/snapshot.h"

#define NF 40

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    size_t n = 256;
    int reps = 4000;
    const char *kind = "sgd", *bits = "18";
    char err[512];
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--events") == 0)
            n = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--learner") == 0)
            kind = argv[i + 1];
        else if (strcmp(argv[i], "--bits") == 0)
            bits = argv[i + 1];
    }
    rl_learner_params p;
    rl_learner *l = NULL;
    rl_learner_params_default(&p);
    if (rl_learner_params_set(&p, "learner", kind, err, sizeof(err)) != RL_OK ||
        rl_learner_params_set(&p, "bits", bits, err, sizeof(err)) != RL_OK ||
        rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "bench_predict: %s\n", err);
        return 2;
    }
    rl_hasher h;
    rl_hasher_init(&h, p.bits, RL_HASH_SEED_DEFAULT);
    char(*names)[16] = malloc(n * NF * 16);
    relearn_feature *byname = malloc(n * NF * sizeof(*byname));
    relearn_feature *byidx = malloc(n * NF * sizeof(*byidx));
    rl_feature *hashed = malloc(n * NF * sizeof(*hashed));
    relearn_event *ev_name = malloc(n * sizeof(*ev_name)), *ev_idx = malloc(n * sizeof(*ev_idx));
    rl_example *ex = malloc(n * sizeof(*ex));
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t e = 0; e < n; e++) {
        for (int k = 0; k < NF; k++) {
            size_t i = e * NF + (size_t)k;
            int len = snprintf(names[i], 16, "f^k%u", (unsigned)(rnd(&s) % 100000));
            float v = (float)(rnd(&s) % 1000) / 100.0f;
            byname[i] = (relearn_feature){names[i], (size_t)len, 0, v};
            hashed[i] = (rl_feature){rl_hash_name(&h, names[i], (size_t)len), v};
            byidx[i] = (relearn_feature){NULL, 0, hashed[i].index, v};
        }
        ev_name[e] = (relearn_event){byname + e * NF, NF, NULL, 0};
        ev_idx[e] = (relearn_event){byidx + e * NF, NF, NULL, 0};
        ex[e] = (rl_example){(float)(rnd(&s) & 1), 1.0f, hashed + e * NF, NF, NULL, 0, NULL};
    }
    rl_pred pr;
    for (int pass = 0; pass < 3; pass++)
        for (size_t e = 0; e < n; e++)
            rl_learner_learn(l, &ex[e], &pr);
    rl_snapshot_meta meta;
    memset(&meta, 0, sizeof(meta));
    meta.model_name = "bench";
    meta.instance_id = "bench";
    meta.version = 1;
    rl_buf b;
    rl_buf_init(&b);
    relearn_model *m = NULL;
    if (rl_snapshot_encode_learner(l, RL_HASH_SEED_DEFAULT, n, NULL, &meta, 0, &b, err,
                                   sizeof(err)) != RL_OK ||
        relearn_model_open_bytes(b.data, b.len, &m, err, sizeof(err)) != RELEARN_OK) {
        fprintf(stderr, "bench_predict: %s\n", err);
        return 1;
    }
    rl_snapshot snap;
    rl_predictor *pd = NULL;
    rl_snapshot_init(&snap);
    if (rl_snapshot_decode(b.data, b.len, &snap, err, sizeof(err)) != RL_OK ||
        rl_predictor_new(&snap, &pd, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "bench_predict: %s\n", err);
        return 1;
    }
    double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9}, sink = 0;
    relearn_prediction out;
    for (int run = 0; run < 5; run++) {
        double t = now_s();
        for (int r = 0; r < reps; r++)
            for (size_t e = 0; e < n; e++) {
                rl_learner_predict(l, &ex[e], &pr);
                sink += pr.score;
            }
        t = now_s() - t;
        if (t < best[0])
            best[0] = t;
        t = now_s();
        for (int r = 0; r < reps; r++)
            for (size_t e = 0; e < n; e++) {
                relearn_predict(m, &ev_name[e], &out, NULL);
                sink += out.score;
            }
        t = now_s() - t;
        if (t < best[1])
            best[1] = t;
        t = now_s();
        for (int r = 0; r < reps; r++)
            for (size_t e = 0; e < n; e++) {
                relearn_predict(m, &ev_idx[e], &out, NULL);
                sink += out.score;
            }
        t = now_s() - t;
        if (t < best[2])
            best[2] = t;
        t = now_s();
        for (int r = 0; r < reps; r++)
            for (size_t e = 0; e < n; e++) {
                rl_predictor_predict(pd, &ex[e], &pr);
                sink += pr.score;
            }
        t = now_s() - t;
        if (t < best[3])
            best[3] = t;
        t = now_s();
        for (int r = 0; r < reps; r++)
            for (size_t e = 0; e < n; e++) {
                relearn_predict_slots(m, (const relearn_slot_feature *)(const void *)ex[e].feats,
                                      NF, NULL, 0, &out, NULL);
                sink += out.score;
            }
        t = now_s() - t;
        if (t < best[4])
            best[4] = t;
    }
    const char *what[5] = {"baseline (learner predict, pre-hashed)", "relearn_predict by name",
                           "relearn_predict by index", "rl_predictor_predict (pre-hashed)",
                           "relearn_predict_slots (pre-hashed)"};
    double total = (double)n * reps;
    printf("learner=%s bits=%s features=%d events=%zu reps=%d (best of 5)\n", kind, bits, NF, n,
           reps);
    for (int i = 0; i < 5; i++)
        printf("%-40s %8.1f ns/event %10.0f events/s  %.2fx baseline\n", what[i],
               best[i] / total * 1e9, total / best[i], best[i] / best[0]);
    if (sink == 12345.678)
        printf("\n");
    relearn_model_release(m);
    rl_predictor_destroy(pd);
    rl_snapshot_clear(&snap);
    rl_learner_destroy(l);
    rl_buf_free(&b);
    free(names);
    free(byname);
    free(byidx);
    free(hashed);
    free(ev_name);
    free(ev_idx);
    free(ex);
    return 0;
}
