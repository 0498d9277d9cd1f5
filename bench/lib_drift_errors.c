/* lib_drift_errors.c - the error streams bench_drift's detectors watch (drift_errors.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/drift_errors.h"
#include "bench/streams.h"

double rl_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void rl_bench_die(const char *what, const char *err)
{
    fprintf(stderr, "bench_drift: %s: %s\n", what, err);
    exit(1);
}

double rl_bench_learn_ns, rl_bench_learn_events;

void rl_bench_error_stream(const char *gen, const setup *su, int drifting, uint64_t seed,
                           const learner_choice *lc, uint8_t *err)
{
    rl_stream_config c;
    char e[256];
    rl_stream_config_default(&c, gen);
    c.seed = seed;
    c.n = N_EVENTS;
    if (drifting) {
        memcpy(c.drift_at, su->drift_at, sizeof(su->drift_at));
        c.n_drifts = su->n_drifts;
        c.width = su->width;
    }
    c.onehot = 1; /* agrawal: indicators, see streams.h */
    if (strcmp(gen, "bernoulli") == 0) {
        c.n_rates = 5;
        for (uint32_t i = 0; i < 5; i++)
            c.rates[i] = 0.1 * (i + 1);
    }
    rl_stream *s = NULL;
    if (rl_stream_new(&c, &s, e, sizeof(e)) != RL_OK)
        rl_bench_die(gen, e);
    rl_stream_example ex;
    if (strcmp(gen, "bernoulli") == 0) {
        for (uint64_t i = 0; rl_stream_next(s, &ex); i++)
            err[i] = (uint8_t)ex.label;
        rl_stream_destroy(s);
        return;
    }
    rl_learner_params p;
    if (lc && lc->params)
        p = *lc->params;
    else
        rl_learner_params_default(&p);
    rl_learner *l = NULL;
    if (rl_learner_new(&p, &l, e, sizeof(e)) != RL_OK)
        rl_bench_die("sgd", e);
    rl_feature feats[RL_STREAM_MAX_DIM];
    rl_example x = {.weight = 1, .feats = feats};
    double t0 = rl_bench_now_ns();
    for (uint64_t i = 0; rl_stream_next(s, &ex); i++) {
        uint32_t k = 0;
        for (uint32_t j = 0; j < ex.dim; j++) {
            if (ex.x[j] != 0)
                feats[k++] = (rl_feature){j, (float)ex.x[j]};
        }
        x.n_feats = k;
        x.label = (float)ex.label;
        rl_pred pr;
        if (lc && lc->freeze_at && i >= lc->freeze_at)
            rl_learner_predict(l, &x, &pr);
        else
            rl_learner_learn(l, &x, &pr);
        err[i] = pr.cls != ex.label;
    }
    rl_bench_learn_ns += rl_bench_now_ns() - t0;
    rl_bench_learn_events += N_EVENTS;
    rl_learner_destroy(l);
    rl_stream_destroy(s);
}
