/* bench_learners.c - learner core throughput: events/s for every learner (and every sgd
 * schedule) at 40 active features per event over 2^20 weights, with pre-hashed indices and with
 * string names hashed per event. The baseline, measured in the same run on the same events, is
 * a plain loop computing the dot product only (w.x over the same 2^20 floats): the memory
 * traffic every learner must pay at least once. Figures go to BENCHMARKS.md "## Learners".
 *
 * Times are this thread's CPU time (the build machine is shared; wall time would count the
 * neighbours), so a figure is events per CPU-second on one core.
 *
 * usage: bench_learners [events-per-measurement (default 1000000)] [config-substring] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "learners/features.h"
#include "learners/learner.h"

#define NF    40
#define POOL  50000 /* distinct events, cycled; 50k x 40 features = 16 MB, beyond the caches */
#define NAMES 200000
#define BITS  20
#define REPS  3

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double unif(void)
{
    return (double)(next() >> 11) * (1.0 / 9007199254740992.0);
}

/* CPU time of this thread: the machine is shared, and wall time would measure the neighbours. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static rl_feature *feats;  /* POOL * NF, pre-hashed */
static uint32_t *name_off; /* POOL * NF: where each event's feature name is in name_buf */
static uint8_t *name_sz;
static char *name_buf; /* the names packed event by event, as in a decoded message */
static float *labels, *labels_mc;
static char (*names)[16];
static uint8_t *name_len;

static void make_data(void)
{
    feats = malloc(sizeof(rl_feature) * POOL * NF);
    name_off = malloc(sizeof(uint32_t) * POOL * NF);
    name_sz = malloc(POOL * NF);
    name_buf = malloc((size_t)POOL * NF * 8);
    labels = malloc(sizeof(float) * POOL);
    labels_mc = malloc(sizeof(float) * POOL);
    names = malloc(sizeof(*names) * NAMES);
    name_len = malloc(NAMES);
    if (!feats || !name_off || !name_sz || !name_buf || !labels || !labels_mc || !names ||
        !name_len) {
        fprintf(stderr, "bench_learners: out of memory\n");
        exit(1);
    }
    rl_hasher h;
    rl_hasher_init(&h, BITS, RL_HASH_SEED_DEFAULT);
    for (uint32_t i = 0; i < NAMES; i++)
        name_len[i] = (uint8_t)snprintf(names[i], sizeof(names[i]), "f%u", i);
    size_t used = 0;
    for (uint32_t e = 0; e < POOL; e++) {
        double z = 0;
        for (uint32_t k = 0; k < NF; k++) {
            /* Zipf-ish: a few hot features, a long tail, as in real sparse data. */
            uint32_t id = (uint32_t)(pow(unif(), 3.0) * NAMES);
            if (id >= NAMES)
                id = NAMES - 1;
            float v = k < 4 ? (float)(unif() * 2 - 1) : 1.0f;
            name_off[e * NF + k] = (uint32_t)used;
            name_sz[e * NF + k] = name_len[id];
            memcpy(name_buf + used, names[id], name_len[id]);
            used += name_len[id];
            feats[e * NF + k].index = rl_hash_name(&h, names[id], name_len[id]);
            feats[e * NF + k].value = v;
            z += (id % 7 == 0 ? 1 : -0.3) * v;
        }
        labels[e] = unif() < 1 / (1 + exp(-z * 0.3)) ? 1.0f : 0.0f;
        labels_mc[e] = (float)(next() % 3);
    }
}

/* Plain dot product over the same events and a 2^20 float array: the baseline. */
static double run_baseline(uint64_t n, double *sink)
{
    float *w = calloc((size_t)1 << BITS, sizeof(float));
    if (!w)
        exit(1);
    for (size_t i = 0; i < ((size_t)1 << BITS); i++)
        w[i] = (float)(i & 7) * 0.01f;
    const uint32_t m = (1u << BITS) - 1;
    double acc = 0, t0 = now();
    for (uint64_t e = 0; e < n; e++) {
        const rl_feature *f = feats + (e % POOL) * NF;
        float z = 0;
        for (uint32_t k = 0; k < NF; k++)
            z += w[f[k].index & m] * f[k].value;
        acc += z;
    }
    double dt = now() - t0;
    *sink += acc;
    free(w);
    return n / dt;
}

static double run_learner(const char *kv, int with_names, uint64_t n, double *sink)
{
    rl_learner_params p;
    char err[256], buf[256];
    rl_learner_params_default(&p);
    p.bits = BITS;
    snprintf(buf, sizeof(buf), "%s", kv);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        if (rl_learner_params_set(&p, tok, eq + 1, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "bench_learners: %s\n", err);
            exit(1);
        }
    }
    rl_learner *l;
    if (rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "bench_learners: %s: %s\n", kv, err);
        exit(1);
    }
    int mc = l->task == RL_TASK_MULTICLASS;
    rl_hasher h;
    rl_hasher_init(&h, BITS, RL_HASH_SEED_DEFAULT);
    rl_feature scratch[NF]; /* reused: hashing allocates nothing per event */
    rl_pred pr;
    double acc = 0;
    /* Warm the weights so the timed part is steady state, not first touches. */
    for (uint64_t e = 0; e < POOL; e++) {
        rl_example ex = {mc ? labels_mc[e] : labels[e], 1.0f, feats + e * NF, NF, NULL, 0, NULL};
        acc += rl_learner_learn(l, &ex, &pr);
    }
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t e = i % POOL;
        rl_example ex = {mc ? labels_mc[e] : labels[e], 1.0f, feats + e * NF, NF, NULL, 0, NULL};
        if (with_names) {
            const uint32_t *off = name_off + e * NF;
            const uint8_t *sz = name_sz + e * NF;
            for (uint32_t k = 0; k < NF; k++) {
                scratch[k].index = rl_hash_name(&h, name_buf + off[k], sz[k]);
                scratch[k].value = ex.feats[k].value;
            }
            ex.feats = scratch;
        }
        acc += rl_learner_learn(l, &ex, &pr);
    }
    double dt = now() - t0;
    *sink += acc;
    rl_learner_destroy(l);
    return n / dt;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    if (n == 0)
        n = 1000000;
    const char *only = argc > 2 ? argv[2] : NULL;
    static const char *const cfgs[] = {
        "learner=sgd schedule=constant",
        "learner=sgd schedule=invscaling",
        "learner=sgd schedule=adagrad",
        "learner=sgd schedule=pegasos loss=hinge l2=0.000001",
        "learner=sgd",
        "learner=sgd loss=hinge",
        "learner=sgd loss=squared",
        "learner=sgd loss=poisson",
        "learner=sgd schedule=constant l1=0.000001 l2=0.000001",
        "learner=perceptron",
        "learner=avg_perceptron",
        "learner=ogd",
        "learner=ftrl",
        "learner=ftrl l1=1",
        "learner=softmax classes=3",
        "learner=softmax classes=3 schedule=constant",
    };
    double sink = 0;
    make_data();
    printf("# bench_learners: %llu events per figure, %d features/event, 2^%d weights, "
           "best of %d\n\n",
           (unsigned long long)n, NF, BITS, REPS);
    printf("| learner | baseline M ev/s | indices M ev/s | x baseline | names M ev/s | x baseline "
           "|\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        if (only && !strstr(cfgs[i], only))
            continue;
        /* Baseline and learner alternate, best of REPS each: on a shared machine the best run
         * is the one least disturbed, and the ratio compares like with like. */
        double base = 0, a = 0, b = 0;
        for (int r = 0; r < REPS; r++) {
            double x = run_baseline(n, &sink);
            double y = run_learner(cfgs[i], 0, n, &sink);
            double z = run_learner(cfgs[i], 1, n, &sink);
            base = x > base ? x : base;
            a = y > a ? y : a;
            b = z > b ? z : b;
        }
        printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", cfgs[i] + 8, base / 1e6, a / 1e6,
               a / base, b / 1e6, b / base);
        fflush(stdout);
    }
    /* Print the sink so no loop can be optimised away. */
    fprintf(stderr, "(checksum %g)\n", sink);
    return 0;
}
