/* bench_drift - the drift benchmark: every detector on every generator, abrupt and gradual,
 * over many seeds; and the drift responses compared by prequential accuracy.
 *
 *   bench_drift [--seeds N] [--no-responses] [--no-detectors] [--moa]
 *
 * --moa runs only the MOA-style tables (bench_moa() says what they hold), apart from the
 * default run so that one stays the length it was.
 *
 * Setup (the standard ones, docs/DESIGN.md): 100 000-event streams; abrupt = drifts at
 * 20k/40k/60k/80k with a sigmoid of width 50; gradual = drifts at 25k/50k/75k with width 500. SEA
 * has its 10% label noise, hyperplane 5%. A drift "happens" at t = position - width/2 (where the
 * new concept reaches 12%), and a detection is true if it is the first alarm in [t, t + Delta],
 * Delta = 250 (abrupt) or 1000 (gradual). Every other alarm is a false positive; a drift without a
 * true detection is missed. Mean delay is over caught drifts only, with the missed rate beside it
 * (misses are never counted as delay Delta).
 *
 * The detectors watch the prequential 0/1 error of an "sgd" learner (learners/learner.h,
 * default parameters: logistic loss, normalized adaptive steps) that predicts each event and
 * then learns it; Agrawal is written as indicator features (streams.h says why). The bernoulli
 * generator is the error stream itself, with error rates 0.1,
 * 0.2, ... rising by 0.1 at each drift. False alarms per 100k stationary events come from a
 * separate run of each generator and seed with no drift at all.
 *
 * Cost: per-event time of rl_detector_update() over the stored error stream, against a
 * baseline loop in the same run that feeds the same values through an indirect call to a no-op
 * (so call overhead cancels out); the learner's own learn() time is printed for scale.
 *
 * Responses: rl_model_step() (model/model.h) with the default model config (sgd learner,
 * alert_min_gap 1000) on the abrupt SEA and Agrawal streams, for responses alert, reset, boost
 * and challenger, with DDM, HDDM-A, Page-Hinkley and ADWIN (both directions, increases only, and
 * without its warning window, as it was before it had one); the figure is the prequential
 * accuracy over the whole stream, paired by seed against alert, beside what each run did:
 * drifts, warnings, challengers started and promoted (from the model's state, not from alerts,
 * which the rate limit thins). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drift/detector.h"
#include "learners/learner.h"
#include "model/model.h"
#include "bench/drift_errors.h"
#include "bench/streams.h"

#define MAX_DET 8

static const setup setups[2] = {
    {"abrupt", {20000, 40000, 60000, 80000}, 4, 50, 250},
    {"gradual", {25000, 50000, 75000, 0}, 3, 500, 1000},
};

static const char *const gens[] = {"sea", "agrawal", "hyperplane", "stagger", "bernoulli"};
#define N_GENS 5

/* The detectors at their defaults, plus ADWIN watching increases only (see drift/adwin.c). */
typedef struct variant {
    const char *name, *label;
    rl_kv kv;
    size_t n_kv;
} variant;

static variant variants[MAX_DET];
static size_t n_variants;

static void init_variants(void)
{
    const struct rl_detector_ops *const *all = rl_detector_all();
    for (size_t i = 0; all[i] && n_variants < MAX_DET - 2; i++)
        variants[n_variants++] = (variant){all[i]->name, all[i]->name, {NULL, NULL}, 0};
    variants[n_variants++] = (variant){"adwin", "adwin direction=up", {"direction", "up"}, 1};
    /* ADWIN without its warning window: same drifts (the drift window never sees the warning
     * window), so this row shows what the warning level costs. */
    variants[n_variants++] = (variant){"adwin", "adwin warning_delta=0", {"warning_delta", "0"}, 1};
}

typedef struct det_stats {
    double caught, drifts, delay_sum;
    double late_caught, late_delay_sum; /* first alarm anywhere before the next drift */
    double fp_in_drift_runs, events_outside;
    double stationary_alarms, stationary_events;
    double stationary_warnings; /* transitions into warning in the stationary runs */
    double last_warnings;       /* of the last run_detector() call */
    double ns, base_ns, events_timed;
} det_stats;

/* A no-op with the detector's update signature, for the baseline loop. */
static rl_err noop_update(rl_detector *d, double x, rl_drift_state *st)
{
    (void)d;
    (void)x;
    *st = RL_DRIFT_STABLE;
    return RL_OK;
}

static rl_err (*volatile baseline_fn)(rl_detector *, double, rl_drift_state *) = noop_update;

static uint64_t alarms[N_EVENTS];

/* Feeds err to a fresh detector; returns the alarm count, alarm positions in alarms[]. */
static size_t run_detector(const variant *v, const uint8_t *err, det_stats *st)
{
    rl_detector *d = NULL;
    char e[256];
    if (rl_detector_new(v->name, v->n_kv ? &v->kv : NULL, v->n_kv, &d, e, sizeof(e)) != RL_OK)
        rl_bench_die(v->label, e);
    size_t n_alarms = 0;
    double t0 = rl_bench_now_ns();
    for (uint64_t i = 0; i < N_EVENTS; i++) {
        rl_drift_state s;
        rl_detector_update(d, (double)err[i], &s);
        if (s == RL_DRIFT_DRIFT)
            alarms[n_alarms++] = i;
    }
    double t1 = rl_bench_now_ns();
    st->last_warnings = (double)d->n_warnings;
    rl_drift_state sink_state = RL_DRIFT_STABLE;
    int sink = 0;
    for (uint64_t i = 0; i < N_EVENTS; i++) {
        baseline_fn(d, (double)err[i], &sink_state);
        sink += sink_state == RL_DRIFT_DRIFT;
    }
    double t2 = rl_bench_now_ns();
    if (sink)
        fprintf(stderr, "impossible\n");
    st->ns += t1 - t0;
    st->base_ns += t2 - t1;
    st->events_timed += N_EVENTS;
    rl_detector_destroy(d);
    return n_alarms;
}

/* Where drift j "happens": the switch itself when abrupt (width <= 1, streams.h), else where the
 * sigmoid's new concept reaches 12%. */
static double drift_time(const setup *su, uint32_t j)
{
    return su->width <= 1 ? (double)su->drift_at[j] : (double)su->drift_at[j] - su->width / 2;
}

static void score(const setup *su, size_t n_alarms, det_stats *st)
{
    int used[N_EVENTS > 0 ? 64 : 1] = {0};
    size_t fp = 0;
    double outside = N_EVENTS;
    for (uint32_t j = 0; j < su->n_drifts; j++)
        outside -= su->delta_window + 1;
    for (size_t a = 0; a < n_alarms; a++) {
        int true_det = 0;
        for (uint32_t j = 0; j < su->n_drifts; j++) {
            double t = drift_time(su, j);
            double pos = (double)alarms[a];
            if (pos >= t && pos <= t + su->delta_window && !used[j]) {
                used[j] = 1;
                st->caught++;
                st->delay_sum += pos - t;
                true_det = 1;
                break;
            }
        }
        if (!true_det)
            fp++;
    }
    for (uint32_t j = 0; j < su->n_drifts; j++) {
        double t = drift_time(su, j);
        double next = j + 1 < su->n_drifts ? drift_time(su, j + 1) : (double)N_EVENTS;
        for (size_t a = 0; a < n_alarms; a++) {
            double pos = (double)alarms[a];
            if (pos >= t && pos < next) {
                st->late_caught++;
                st->late_delay_sum += pos - t;
                break;
            }
        }
    }
    st->drifts += su->n_drifts;
    st->fp_in_drift_runs += (double)fp;
    st->events_outside += outside;
}

static void bench_detectors(int n_seeds)
{
    static uint8_t err_drift[N_EVENTS], err_stat[N_EVENTS];
    printf("## detectors: %d seeds, %d events per stream\n", n_seeds, N_EVENTS);
    printf("| detector | generator | drift | caught in window | missed | mean delay | caught "
           "before next drift | its mean delay | FA/100k stationary | FP/100k in drift runs "
           "|\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    det_stats total[MAX_DET];
    memset(total, 0, sizeof(total));
    for (int g = 0; g < N_GENS; g++) {
        for (int t = 0; t < 2; t++) {
            det_stats st[MAX_DET];
            memset(st, 0, sizeof(st));
            for (int seed = 1; seed <= n_seeds; seed++) {
                rl_bench_error_stream(gens[g], &setups[t], 1, (uint64_t)seed, NULL, err_drift);
                rl_bench_error_stream(gens[g], &setups[t], 0, (uint64_t)seed + 1000, NULL,
                                      err_stat);
                for (size_t k = 0; k < n_variants; k++) {
                    size_t na = run_detector(&variants[k], err_drift, &st[k]);
                    score(&setups[t], na, &st[k]);
                    st[k].stationary_alarms += (double)run_detector(&variants[k], err_stat, &st[k]);
                    st[k].stationary_warnings += st[k].last_warnings;
                    st[k].stationary_events += N_EVENTS;
                }
            }
            for (size_t k = 0; k < n_variants; k++) {
                det_stats *s = &st[k];
                printf("| %s | %s | %s | %.0f/%.0f | %.1f%% | %.1f | %.0f/%.0f | %.1f | %.2f | "
                       "%.2f |\n",
                       variants[k].label, gens[g], setups[t].type, s->caught, s->drifts,
                       100.0 * (1.0 - s->caught / s->drifts),
                       s->caught > 0 ? s->delay_sum / s->caught : NAN, s->late_caught, s->drifts,
                       s->late_caught > 0 ? s->late_delay_sum / s->late_caught : NAN,
                       1e5 * s->stationary_alarms / s->stationary_events,
                       1e5 * s->fp_in_drift_runs / s->events_outside);
                total[k].stationary_alarms += s->stationary_alarms;
                total[k].stationary_warnings += s->stationary_warnings;
                total[k].stationary_events += s->stationary_events;
                if (t == 0 && (g == 0 || g == 1)) {
                    total[k].caught += s->caught;
                    total[k].drifts += s->drifts;
                }
            }
            fflush(stdout);
        }
    }
    printf("\n## summary against the goals\n");
    printf("| detector | abrupt SEA+Agrawal drifts caught in window | FA/100k stationary, all "
           "generators | warnings/100k stationary (not a goal) |\n|---|---|---|---|\n");
    for (size_t k = 0; k < n_variants; k++)
        printf("| %s | %.0f/%.0f | %.2f | %.2f |\n", variants[k].label, total[k].caught,
               total[k].drifts, 1e5 * total[k].stationary_alarms / total[k].stationary_events,
               1e5 * total[k].stationary_warnings / total[k].stationary_events);
}

/* Cost: the best of `reps` timings of each loop over one error stream (SEA, abrupt, seed 1),
 * so other load on the machine inflates the figures as little as possible. */
static void bench_cost(int reps)
{
    static uint8_t err[N_EVENTS];
    rl_bench_error_stream("sea", &setups[0], 1, 1, NULL, err);
    printf("\n## cost: ns per event, best of %d runs over %d events (SEA abrupt seed 1)\n", reps,
           N_EVENTS);
    printf("| detector | update loop ns | baseline loop ns | net detector ns | ratio loop / "
           "baseline |\n|---|---|---|---|---|\n");
    for (size_t k = 0; k < n_variants; k++) {
        double best = INFINITY, best_base = INFINITY;
        for (int r = 0; r < reps; r++) {
            det_stats st;
            memset(&st, 0, sizeof(st));
            run_detector(&variants[k], err, &st);
            if (st.ns < best)
                best = st.ns;
            if (st.base_ns < best_base)
                best_base = st.base_ns;
        }
        printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", variants[k].label, best / N_EVENTS,
               best_base / N_EVENTS, (best - best_base) / N_EVENTS, best / best_base);
    }
    if (rl_bench_learn_events > 0)
        printf("\nsgd learn() for scale (mean over every error stream built): %.1f ns/event\n",
               rl_bench_learn_ns / rl_bench_learn_events);
}

/* ---- MOA-style concept switches ---- */

/* Mean prequential error in [t + from, t + to) around each drift, summed over drifts. */
#define N_SIG 4
static const int sig_from[N_SIG] = {-2000, 0, 250, 1000};
static const int sig_to[N_SIG] = {0, 250, 1000, 3000};

static void signal_sums(const setup *su, const uint8_t *err, double sum[N_SIG])
{
    for (uint32_t j = 0; j < su->n_drifts; j++) {
        long t = (long)drift_time(su, j);
        for (int k = 0; k < N_SIG; k++) {
            long a = t + sig_from[k], b = t + sig_to[k], ones = 0;
            if (a < 0)
                a = 0;
            if (b > N_EVENTS)
                b = N_EVENTS;
            for (long i = a; i < b; i++)
                ones += err[i];
            sum[k] += b > a ? (double)ones / (double)(b - a) : 0;
        }
    }
}

/* One row set: every detector on one generator x setup x learner, scored as in
 * bench_detectors(), plus the error signal around the drifts. */
static void moa_rows(const char *gen, const setup *su, const learner_choice *lc, int n_seeds,
                     double sig[N_SIG])
{
    static uint8_t err[N_EVENTS];
    det_stats st[MAX_DET];
    memset(st, 0, sizeof(st));
    for (int k = 0; k < N_SIG; k++)
        sig[k] = 0;
    for (int seed = 1; seed <= n_seeds; seed++) {
        rl_bench_error_stream(gen, su, 1, (uint64_t)seed, lc, err);
        signal_sums(su, err, sig);
        for (size_t k = 0; k < n_variants; k++)
            score(su, run_detector(&variants[k], err, &st[k]), &st[k]);
    }
    for (int k = 0; k < N_SIG; k++)
        sig[k] /= (double)n_seeds * su->n_drifts;
    for (size_t k = 0; k < n_variants; k++) {
        det_stats *s = &st[k];
        printf("| %s | %s | %s | %.0f | %s | %.0f/%.0f | %.1f%% | %.1f | %.0f/%.0f | %.1f | %.2f "
               "|\n",
               gen, su->type, lc->label, su->delta_window, variants[k].label, s->caught, s->drifts,
               100.0 * (1.0 - s->caught / s->drifts),
               s->caught > 0 ? s->delay_sum / s->caught : NAN, s->late_caught, s->drifts,
               s->late_caught > 0 ? s->late_delay_sum / s->late_caught : NAN,
               1e5 * s->fp_in_drift_runs / s->events_outside);
    }
    fflush(stdout);
}

/* The MOA setup (docs/DESIGN.md): one concept switch at 55 000 (SEA theta 8 -> 9, Agrawal function
 * 1 -> 2), widths 1, 500, 1000, 5000, with the default learner. Then SEA's abrupt streams (the
 * single switch, and bench_detectors()' four drifts) with slower learners, to tell a detector
 * that misses from an error rise that is gone before a detector could see it: sgd at a constant
 * rate 0.01 (both streams), and the default sgd frozen (predicting only) from event 10 000 on
 * (single switch only). */
static void bench_moa(int n_seeds)
{
    static const double widths[4] = {1, 500, 1000, 5000};
    static char names[4][32];
    setup su[4];
    for (int w = 0; w < 4; w++) {
        snprintf(names[w], sizeof(names[w]), "switch width %.0f", widths[w]);
        /* Delta reaches 250 events past p + width, where the blend is 98% done. */
        su[w] = (setup){
            names[w], {55000, 0, 0, 0}, 1, widths[w], widths[w] <= 1 ? 250 : 1.5 * widths[w] + 250};
    }
    rl_learner_params slow;
    char e[256];
    rl_learner_params_default(&slow);
    if (rl_learner_params_set(&slow, "schedule", "constant", e, sizeof(e)) != RL_OK ||
        rl_learner_params_set(&slow, "eta", "0.01", e, sizeof(e)) != RL_OK)
        rl_bench_die("slow learner", e);
    const learner_choice def = {"default sgd", NULL, 0};
    const learner_choice lcs[2] = {{"sgd constant eta 0.01", &slow, 0},
                                   {"default sgd frozen at 10000", NULL, 10000}};
    double sig[16][N_SIG];
    const char *sig_gen[16], *sig_type[16], *sig_lp[16];
    int n_sig = 0;
    const char *head = "| generator | setup | learner | Delta | detector | caught within Delta | "
                       "missed | mean delay | caught by end of stream | its mean delay | FP/100k "
                       "outside window |\n|---|---|---|---|---|---|---|---|---|---|---|\n";

    printf("## MOA-style concept switches: one drift at 55000, %d seeds, %d events per stream\n",
           n_seeds, N_EVENTS);
    fputs(head, stdout);
    for (int g = 0; g < 2; g++) {
        for (int w = 0; w < 4; w++) {
            moa_rows(gens[g], &su[w], &def, n_seeds, sig[n_sig]);
            sig_gen[n_sig] = gens[g], sig_type[n_sig] = su[w].type, sig_lp[n_sig++] = def.label;
        }
    }
    printf("\n## SEA abrupt drifts with slower learners, %d seeds\n", n_seeds);
    fputs(head, stdout);
    const setup *sea_setups[2] = {&su[0], &setups[0]};
    for (int k = 0; k < 2; k++) {
        for (int l = 0; l < 2; l++) {
            /* Frozen on the four-drift stream would compare later concepts with theta 8, and
             * the fourth drift (back to 8) would lower the error. */
            if (k == 1 && l == 1)
                continue;
            moa_rows("sea", sea_setups[k], &lcs[l], n_seeds, sig[n_sig]);
            sig_gen[n_sig] = "sea", sig_type[n_sig] = sea_setups[k]->type;
            sig_lp[n_sig++] = lcs[l].label;
        }
    }
    printf("\n## error signal: mean prequential error around the drift time t, over seeds and "
           "drifts\n");
    printf("| generator | setup | learner | [t-2000, t) | [t, t+250) | [t+250, t+1000) | "
           "[t+1000, t+3000) |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n_sig; i++)
        printf("| %s | %s | %s | %.3f | %.3f | %.3f | %.3f |\n", sig_gen[i], sig_type[i], sig_lp[i],
               sig[i][0], sig[i][1], sig[i][2], sig[i][3]);
}

/* ---- responses ---- */
/* What one model run did besides its accuracy. */
typedef struct run_counts {
    double drifts, warnings, started, promoted;
} run_counts;

static double run_model(const char *gen, const variant *v, rl_response resp, uint64_t seed,
                        run_counts *rc)
{
    rl_model_config c;
    char e[256];
    rl_model_config_default(&c);
    snprintf(c.detector, sizeof(c.detector), "%s", v->name);
    if (v->n_kv) {
        snprintf(c.det_keys[0], sizeof(c.det_keys[0]), "%s", v->kv.key);
        snprintf(c.det_values[0], sizeof(c.det_values[0]), "%s", v->kv.value);
        c.n_det_params = 1;
    }
    c.response = resp;
    rl_model *m = NULL;
    if (rl_model_new(&c, NULL, NULL, &m, e, sizeof(e)) != RL_OK)
        rl_bench_die("rl_model_new", e);
    rl_stream_config sc;
    rl_stream_config_default(&sc, gen);
    sc.seed = seed;
    sc.n = N_EVENTS;
    memcpy(sc.drift_at, setups[0].drift_at, sizeof(setups[0].drift_at));
    sc.n_drifts = setups[0].n_drifts;
    sc.width = setups[0].width;
    sc.onehot = 1;
    rl_stream *s = NULL;
    if (rl_stream_new(&sc, &s, e, sizeof(e)) != RL_OK)
        rl_bench_die(gen, e);
    rl_stream_example ex;
    rl_feature feats[RL_STREAM_MAX_DIM];
    rl_example x = {.weight = 1, .feats = feats};
    const rl_learner *champ = rl_model_learner_c(m);
    while (rl_stream_next(s, &ex)) {
        uint32_t k = 0;
        for (uint32_t j = 0; j < ex.dim; j++) {
            if (ex.x[j] != 0)
                feats[k++] = (rl_feature){rl_model_hash_index(m, j), (float)ex.x[j]};
        }
        x.n_feats = k;
        x.label = (float)ex.label;
        rl_model_step(m, &x, NULL, NULL);
        if (resp == RL_RESPONSE_CHALLENGER) {
            /* counted from the model's state, not from alerts (the rate limit swallows some) */
            rl_model_counters kc;
            rl_model_counters_get(m, &kc);
            rc->started += kc.challenger_running && kc.challenger_start == rl_model_position(m);
            rc->promoted += rl_model_learner_c(m) != champ;
            champ = rl_model_learner_c(m);
        }
    }
    rl_metrics_summary sum;
    rl_model_summary(m, &sum);
    rc->drifts += (double)rl_model_drifts(m);
    rc->warnings += (double)rl_model_warnings(m);
    rl_model_destroy(m);
    rl_stream_destroy(s);
    return sum.accuracy;
}

static void bench_responses(int n_seeds)
{
    const variant dets[] = {{"ddm", "ddm", {NULL, NULL}, 0},
                            {"hddm_a", "hddm_a", {NULL, NULL}, 0},
                            {"page_hinkley", "page_hinkley", {NULL, NULL}, 0},
                            {"adwin", "adwin", {NULL, NULL}, 0},
                            {"adwin", "adwin direction=up", {"direction", "up"}, 1},
                            {"adwin", "adwin warning_delta=0", {"warning_delta", "0"}, 1}};
    const int n_dets = (int)(sizeof(dets) / sizeof(dets[0]));
    const rl_response resps[] = {RL_RESPONSE_ALERT, RL_RESPONSE_RESET, RL_RESPONSE_BOOST,
                                 RL_RESPONSE_CHALLENGER};
    printf("\n## responses: prequential accuracy over the whole stream, abrupt drifts, %d seeds\n",
           n_seeds);
    printf("| generator | detector | response | mean accuracy | mean diff vs alert | seeds better "
           "than alert | drifts/run | warnings/run | challengers started/run | promoted/run "
           "|\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (int g = 0; g < 2; g++) {
        for (int d = 0; d < n_dets; d++) {
            double acc_alert[64];
            for (int r = 0; r < 4; r++) {
                double sum = 0, diff = 0;
                run_counts rc = {0, 0, 0, 0};
                int better = 0;
                for (int seed = 1; seed <= n_seeds; seed++) {
                    double a = run_model(gens[g], &dets[d], resps[r], (uint64_t)seed, &rc);
                    if (r == 0)
                        acc_alert[seed - 1] = a;
                    sum += a;
                    diff += a - acc_alert[seed - 1];
                    better += a > acc_alert[seed - 1];
                }
                printf("| %s | %s | %s | %.4f | %+.4f | %d/%d | %.1f | %.1f | %.1f | %.1f |\n",
                       gens[g], dets[d].label, rl_response_name(resps[r]), sum / n_seeds,
                       diff / n_seeds, better, n_seeds, rc.drifts / n_seeds, rc.warnings / n_seeds,
                       rc.started / n_seeds, rc.promoted / n_seeds);
                fflush(stdout);
            }
        }
    }
}

int main(int argc, char **argv)
{
    int n_seeds = 30, detectors = 1, responses = 1, moa = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            n_seeds = atoi(argv[++i]);
            if (n_seeds < 1 || n_seeds > 64) {
                fprintf(stderr, "bench_drift: --seeds must be 1..64\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--no-responses") == 0) {
            responses = 0;
        } else if (strcmp(argv[i], "--no-detectors") == 0) {
            detectors = 0;
        } else if (strcmp(argv[i], "--moa") == 0) {
            moa = 1;
        } else {
            fprintf(stderr, "usage: bench_drift [--seeds N] [--no-responses] [--no-detectors] "
                            "[--moa]\n");
            return 2;
        }
    }
    init_variants();
    if (moa) {
        bench_moa(n_seeds);
        return 0;
    }
    if (detectors) {
        bench_detectors(n_seeds);
        bench_cost(9);
    }
    if (responses)
        bench_responses(n_seeds);
    return 0;
}
