/* streams.h - seeded synthetic classification streams with drifts at known positions, for the
 * drift benchmark, the demo and `relearn eval` (through gen_stream).
 *
 * Generators (names as on the command line):
 *   sea        x1..x3 uniform in [0, 10]; label 1 iff x1 + x2 > theta, theta cycling through
 *              8, 9, 7, 9.5 by concept (Street & Kim 2001, MOA's SEAGenerator); 10% of labels
 *              flipped (noise).
 *   stagger    size, colour, shape each one of three values, written one-hot (9 binary
 *              features); concepts cycle: (small and red), (green or circle),
 *              (medium or large) (Schlimmer & Granger 1986).
 *   hyperplane x uniform in [0, 1]^dim (dim 10); label 1 iff w.x >= sum(w)/2, a fresh weight
 *              vector per concept drawn from the seed; optionally the weights also rotate a
 *              little at every event (mag_change, MOA's rotating hyperplane); 5% label noise.
 *   agrawal    the nine attributes of Agrawal et al. (1993) as MOA generates them, perturbed by
 *              `perturbation` (0.05) of each numeric range after the label is computed; the
 *              concept k uses classification function ((function - 1 + k) mod 10) + 1, so the
 *              default stream walks 1, 2, 3, ...; label 1 = group A. Features are scaled to
 *              [0, 1] by their ranges so any linear learner sees comparable magnitudes. With
 *              onehot = 1 they are written as indicators instead: each numeric attribute in 10
 *              equal-width bins, elevel/car/zipcode one per value (94 binary features, 9 set).
 *              A linear model over raw Agrawal attributes stays near chance on most of the ten
 *              functions (they are bands and conjunctions), so its error barely moves at a drift;
 *              over indicators it is an additive model, like the naive Bayes MOA users run.
 *   bernoulli  a Bernoulli "mistake" stream: label 1 with the concept's rate (rates cycle
 *              through `rates`, default 0.2, 0.4), one constant feature. The drift benchmark
 *              feeds its labels to the detectors directly as the error signal.
 * Concept 0 runs until the first drift position; drift j switches to concept j + 1. With
 * width <= 1 the switch is abrupt at the position; otherwise it is MOA's sigmoid blend: at event
 * t the new concept is used with probability 1 / (1 + exp(-4 (t - p) / width)), so half-way at p
 * and 98% done at p + width. Positions are 0-based event indices.
 *
 * Reproducible: the whole stream is a function of the config. Features, label noise and the blend
 * draw from three separate xoshiro256** generators seeded via splitmix64, so two streams that
 * differ only in drift positions see identical feature values. No rand(), no allocation per
 * event. */
#ifndef RL_STREAMS_H
#define RL_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"

#define RL_STREAM_MAX_DRIFTS 64
#define RL_STREAM_MAX_DIM    128
#define RL_STREAM_MAX_RATES  16

typedef struct rl_stream_config {
    char gen[16];  /* "sea", "stagger", "hyperplane", "agrawal", "bernoulli" */
    uint64_t seed; /* default 1 */
    uint64_t n;    /* events; default 100000 */
    uint64_t drift_at[RL_STREAM_MAX_DRIFTS]; /* increasing positions */
    uint32_t n_drifts;
    double width;                      /* 1 = abrupt (default) */
    double noise;                      /* label flip probability; -1 = the generator's default */
    double perturbation;               /* agrawal; default 0.05 */
    uint32_t function;                 /* agrawal: function of concept 0, 1..10; default 1 */
    int onehot;                        /* agrawal: indicator features, not scaled values */
    uint32_t dim;                      /* hyperplane; default 10 */
    double mag_change;                 /* hyperplane: weight change per event; default 0 */
    double rates[RL_STREAM_MAX_RATES]; /* bernoulli */
    uint32_t n_rates;
} rl_stream_config;

typedef struct rl_stream_example {
    double x[RL_STREAM_MAX_DIM];
    uint32_t dim;
    int label;        /* 0 or 1, after noise */
    uint32_t concept; /* concept that produced it */
} rl_stream_example;

typedef struct rl_stream rl_stream;

/* Defaults for gen (see above); gen must be one of the names, else the name is kept and
 * rl_stream_new refuses it. */
void rl_stream_config_default(rl_stream_config *c, const char *gen);
/* Parses "25000,50000" into drift_at (increasing, each < n checked by rl_stream_new). */
rl_err rl_stream_parse_positions(rl_stream_config *c, const char *list, char *errstr,
                                 size_t errstr_size);
/* Parses "0.2,0.4" into rates, each in [0, 1]. */
rl_err rl_stream_parse_rates(rl_stream_config *c, const char *list, char *errstr,
                             size_t errstr_size);

rl_err rl_stream_new(const rl_stream_config *c, rl_stream **out, char *errstr, size_t errstr_size);
void rl_stream_destroy(rl_stream *s); /* NULL: no-op */
/* Next event; returns 0 at the end of the stream (n events), 1 otherwise. */
int rl_stream_next(rl_stream *s, rl_stream_example *ex);
uint32_t rl_stream_dim(const rl_stream *s);
/* Feature i's name ("x1", "salary", "size_small"...); valid while s lives. */
const char *rl_stream_feature_name(const rl_stream *s, uint32_t i);
/* Names of the generators, NULL-terminated. */
const char *const *rl_stream_generators(void);

/* The PRNG, exposed so benchmarks share it: xoshiro256** seeded through splitmix64. */
typedef struct rl_rng {
    uint64_t s[4];
} rl_rng;
void rl_rng_seed(rl_rng *r, uint64_t seed);
uint64_t rl_rng_next(rl_rng *r);
double rl_rng_unif(rl_rng *r);                /* [0, 1) with 53 random bits */
uint32_t rl_rng_below(rl_rng *r, uint32_t n); /* uniform in [0, n), n > 0 */

#endif
