/* bench_lorden.c - the drift detectors' delays against the physical limit.
 *
 * For an error rate that rises from p0 to p1, a CUSUM that knows both rates is the fastest
 * detector at a given false-alarm rate (Lorden 1971, Moustakides 1986): with a mean run of ARL
 * events between false alarms it needs about
 *     h = ln(ARL) / KL(p1 || p0),  KL(p1 || p0) = p1 ln(p1/p0) + (1-p1) ln((1-p1)/(1-p0))
 * events after the change. No detector watching the same 0/1 error stream can do much better,
 * so delays are reported as multiples of h (ARL = 100,000: one false alarm per 100k events).
 *
 * Setup: each abrupt concept switch of the drift benchmark's MOA-style streams (bench_drift
 * --moa: one switch at 55,000 of 100,000 events; SEA theta 8 -> 9, Agrawal function 1 -> 2 as
 * indicator features, STAGGER concept 1 -> 2), watched through the prequential 0/1 errors of the
 * default sgd frozen at event 10,000, so the rise lasts to the end of the stream (45,000
 * events). The rise the detector saw is measured on the stream itself: p0 the error rate over
 * [t - 20000, t), p1 over [t, t + 20000). A detector's delay is its first drift alarm at or
 * after t minus t; an alarm in [t - 20000, t) is a false alarm, and false alarms per 100k are
 * also counted on the same streams without the switch. The oracle CUSUM row (log-likelihood
 * ratio of p1 against p0, alarm at ln(ARL)) shows that the bound is reachable by a detector that
 * knows both rates. Then, for the adaptive (not frozen) default learner, the accuracy lost
 * around each switch: its error over [t, t + 1000) and [t + 1000, t + 5000) against [t - 5000, t).
 *
 *   bench_lorden [--seeds N]     (default 30) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/streams.h"
#include "drift/detector.h"
#include "learners/learner.h"

#define N_EVENTS  100000
#define SWITCH_AT 55000
#define FREEZE_AT 10000
#define WIN       20000
#define ARL       1e5

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_lorden: %s: %s\n", what, err);
    exit(1);
}

static uint8_t err_buf[N_EVENTS];

/* The 0/1 prequential errors of the default sgd on gen (with or without the switch); frozen:
 * from FREEZE_AT on it only predicts. */
static void error_stream(const char *gen, int drifting, int frozen, uint64_t seed)
{
    rl_stream_config c;
    char e[256];
    rl_stream_config_default(&c, gen);
    c.seed = seed;
    c.n = N_EVENTS;
    c.onehot = 1;
    if (drifting) {
        c.drift_at[0] = SWITCH_AT;
        c.n_drifts = 1;
        c.width = 1;
    }
    rl_stream *s = NULL;
    if (rl_stream_new(&c, &s, e, sizeof(e)) != RL_OK)
        die(gen, e);
    rl_learner_params p;
    rl_learner_params_default(&p);
    rl_learner *l = NULL;
    if (rl_learner_new(&p, &l, e, sizeof(e)) != RL_OK)
        die("sgd", e);
    rl_stream_example ex;
    rl_feature feats[RL_STREAM_MAX_DIM];
    rl_example x = {.weight = 1, .feats = feats};
    for (uint64_t i = 0; rl_stream_next(s, &ex); i++) {
        uint32_t k = 0;
        for (uint32_t j = 0; j < ex.dim; j++)
            if (ex.x[j] != 0)
                feats[k++] = (rl_feature){j, (float)ex.x[j]};
        x.n_feats = k;
        x.label = (float)ex.label;
        rl_pred pr;
        if (frozen && i >= FREEZE_AT)
            rl_learner_predict(l, &x, &pr);
        else
            rl_learner_learn(l, &x, &pr);
        err_buf[i] = pr.cls != ex.label;
    }
    rl_learner_destroy(l);
    rl_stream_destroy(s);
}

static double rate(uint64_t a, uint64_t b)
{
    double n = 0;
    for (uint64_t i = a; i < b; i++)
        n += err_buf[i];
    return n / (double)(b - a);
}

static double kl(double p1, double p0)
{
    double a = p1 > 0 ? p1 * log(p1 / p0) : 0, b = p1 < 1 ? (1 - p1) * log((1 - p1) / (1 - p0)) : 0;
    return a + b;
}

typedef struct variant {
    const char *name, *label;
    rl_kv kv[2];
    size_t n_kv;
} variant;

/* Detector v over err_buf: first drift alarm at or after from (-1: none); *fa counts alarms in
 * [fa_from, from). v NULL: the oracle CUSUM for p0 -> p1. */
static long first_alarm(const variant *v, double p0, double p1, uint64_t fa_from, uint64_t from,
                        double *fa)
{
    rl_detector *d = NULL;
    char e[256];
    if (v && rl_detector_new(v->name, v->n_kv ? v->kv : NULL, v->n_kv, &d, e, sizeof(e)) != RL_OK)
        die(v->label, e);
    const double up = log(p1 / p0), down = log((1 - p1) / (1 - p0)), h = log(ARL);
    double cusum = 0;
    long hit = -1;
    for (uint64_t i = 0; i < N_EVENTS && hit < 0; i++) {
        int alarm;
        if (v) {
            rl_drift_state st;
            rl_detector_update(d, (double)err_buf[i], &st);
            alarm = st == RL_DRIFT_DRIFT;
        } else {
            /* the oracle watches from FREEZE_AT on: before it the learner is still learning */
            cusum = i < FREEZE_AT ? 0 : fmax(0, cusum + (err_buf[i] ? up : down));
            alarm = cusum >= h;
            if (alarm)
                cusum = 0;
        }
        if (alarm && i >= from)
            hit = (long)(i - from);
        else if (alarm && i >= fa_from)
            *fa += 1;
    }
    rl_detector_destroy(d);
    return hit;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    if (n == 0)
        return NAN;
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    int n_seeds = 30;
    if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
        n_seeds = atoi(argv[2]);
    if (n_seeds < 1 || n_seeds > 64 || (argc != 1 && argc != 3)) {
        fprintf(stderr, "usage: bench_lorden [--seeds N]   (1..64, default 30)\n");
        return 2;
    }
    static const char *const gens[] = {"sea", "agrawal", "stagger"};
    const variant vs[] = {
        {"adwin", "adwin direction=up (the model's ADWIN)", {{"direction", "up"}}, 1},
        {"adwin", "adwin direction=up clock=4", {{"direction", "up"}, {"clock", "4"}}, 2},
        {"adwin", "adwin direction=up clock=1", {{"direction", "up"}, {"clock", "1"}}, 2},
        {"adwin", "adwin", {{NULL, NULL}}, 0},
        {"ddm", "ddm", {{NULL, NULL}}, 0},
        {"page_hinkley", "page_hinkley", {{NULL, NULL}}, 0},
        {"hddm_a", "hddm_a", {{NULL, NULL}}, 0},
        {"eddm", "eddm", {{NULL, NULL}}, 0},
        {NULL, "oracle CUSUM (knows p0, p1)", {{NULL, NULL}}, 0},
    };
    const int n_v = (int)(sizeof(vs) / sizeof(vs[0]));
    printf("## delays against the Lorden/CUSUM bound h = ln(1e5) / KL(p1 || p0): one abrupt switch "
           "at %d, default sgd frozen at %d, %d seeds\n",
           SWITCH_AT, FREEZE_AT, n_seeds);
    printf("| generator | median p0 -> p1 | median bound h | detector | caught | median delay | "
           "median delay / h | within 2h (of eligible) | FA/100k stationary |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (int g = 0; g < 3; g++) {
        double p0s[64], p1s[64], hs[64], delay[16][64], ratio[16][64], fa[16] = {0};
        int caught[16] = {0}, within[16] = {0}, eligible = 0;
        for (int sd = 0; sd < n_seeds; sd++) {
            error_stream(gens[g], 1, 1, (uint64_t)sd + 1);
            double p0 = rate(SWITCH_AT - WIN, SWITCH_AT), p1 = rate(SWITCH_AT, SWITCH_AT + WIN);
            /* No error in the window (STAGGER: a frozen learner is exact) says only p0 < ~1/WIN:
             * take half an error, so the bound is finite (about 2 events there: the first
             * mistakes after the switch are the evidence) rather than 0. */
            if (p0 < 0.5 / WIN)
                p0 = 0.5 / WIN;
            double h = p1 > p0 ? log(ARL) / kl(p1, p0) : INFINITY;
            p0s[sd] = p0;
            p1s[sd] = p1;
            hs[sd] = h;
            int elig = N_EVENTS - SWITCH_AT >= 2 * h;
            eligible += elig;
            for (int k = 0; k < n_v; k++) {
                double dummy = 0;
                long dl =
                    first_alarm(vs[k].name ? &vs[k] : NULL, p0, p1, N_EVENTS, SWITCH_AT, &dummy);
                if (dl >= 0) {
                    delay[k][caught[k]] = (double)dl;
                    ratio[k][caught[k]] = (double)dl / h;
                    caught[k]++;
                    within[k] += elig && dl <= 2 * h;
                }
            }
            /* stationary false alarms: the same stream without the switch (the oracle tuned
             * for this seed's rise) */
            error_stream(gens[g], 0, 1, (uint64_t)sd + 1);
            for (int k = 0; k < n_v; k++)
                first_alarm(vs[k].name ? &vs[k] : NULL, p0, p1, FREEZE_AT, N_EVENTS, &fa[k]);
        }
        double mp0 = median(p0s, n_seeds), mp1 = median(p1s, n_seeds), mh = median(hs, n_seeds);
        for (int k = 0; k < n_v; k++) {
            /* FA counted over the frozen part of the no-switch streams */
            double fa100k = 1e5 * fa[k] / ((double)n_seeds * (N_EVENTS - FREEZE_AT));
            printf("| %s | %.3f -> %.3f | %.1f | %s | %d/%d | %.0f | %.2f | %d/%d | %.2f |\n",
                   gens[g], mp0, mp1, mh, vs[k].label, caught[k], n_seeds,
                   median(delay[k], caught[k]), median(ratio[k], caught[k]), within[k], eligible,
                   fa100k);
        }
    }
    printf("\n## the adaptive default sgd (not frozen): error around the switch, mean over %d "
           "seeds\n| generator | [t-5000, t) | [t, t+1000) | [t+1000, t+5000) | extra errors in "
           "[t, t+5000) |\n|---|---|---|---|---|\n",
           n_seeds);
    for (int g = 0; g < 3; g++) {
        double a = 0, b = 0, c = 0;
        for (int sd = 0; sd < n_seeds; sd++) {
            error_stream(gens[g], 1, 0, (uint64_t)sd + 1);
            a += rate(SWITCH_AT - 5000, SWITCH_AT);
            b += rate(SWITCH_AT, SWITCH_AT + 1000);
            c += rate(SWITCH_AT + 1000, SWITCH_AT + 5000);
        }
        a /= n_seeds, b /= n_seeds, c /= n_seeds;
        printf("| %s | %.3f | %.3f | %.3f | %.0f |\n", gens[g], a, b, c,
               1000 * (b - a) + 4000 * (c - a));
    }
    return 0;
}
