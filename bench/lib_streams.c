/* lib_streams.c - the synthetic stream generators (see streams.h). */
#include "bench/streams.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded through splitmix64 ---- */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rl_rng_seed(rl_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rl_rng_next(rl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rl_rng_unif(rl_rng *r)
{
    return (double)(rl_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t rl_rng_below(rl_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the bias for n << 2^32 is far below anything we measure. */
    return (uint32_t)(((rl_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* ---- configuration ---- */
enum gen_kind { GEN_SEA, GEN_STAGGER, GEN_HYPERPLANE, GEN_AGRAWAL, GEN_BERNOULLI, GEN__COUNT };

static const char *const gen_names[GEN__COUNT + 1] = {"sea",     "stagger",   "hyperplane",
                                                      "agrawal", "bernoulli", NULL};

const char *const *rl_stream_generators(void)
{
    return gen_names;
}

static int gen_kind_of(const char *name)
{
    for (int i = 0; i < GEN__COUNT; i++)
        if (strcmp(name, gen_names[i]) == 0)
            return i;
    return -1;
}

void rl_stream_config_default(rl_stream_config *c, const char *gen)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->gen, sizeof(c->gen), "%s", gen ? gen : "sea");
    c->seed = 1;
    c->n = 100000;
    c->width = 1;
    c->noise = -1;
    c->perturbation = 0.05;
    c->function = 1;
    c->dim = 10;
    c->mag_change = 0;
    c->rates[0] = 0.2;
    c->rates[1] = 0.4;
    c->n_rates = 2;
}

/* Splits a comma list into doubles (or integers when as_int). */
static rl_err parse_list(const char *what, const char *list, int as_int, double *out,
                         uint64_t *out_int, uint32_t max, uint32_t *n_out, char *errstr,
                         size_t errstr_size)
{
    uint32_t n = 0;
    const char *p = list;
    if (!p || !*p)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "%s: empty list", what);
    for (;;) {
        if (n == max)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "%s: more than %u entries in '%s'", what, (unsigned)max, list);
        char *end = NULL;
        errno = 0;
        if (as_int) {
            if (*p < '0' || *p > '9')
                return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                  "%s: '%s' is not a list of non-negative integers", what, list);
            unsigned long long v = strtoull(p, &end, 10);
            if (errno == ERANGE)
                return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                  "%s: a number in '%s' is too large", what, list);
            out_int[n] = (uint64_t)v;
        } else {
            double v = strtod(p, &end);
            if (end == p || errno == ERANGE || !isfinite(v))
                return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                  "%s: '%s' is not a list of finite numbers", what, list);
            out[n] = v;
        }
        if (end == p)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "%s: '%s' is not a comma-separated list", what, list);
        n++;
        if (*end == '\0')
            break;
        if (*end != ',' || end[1] == '\0')
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "%s: unexpected '%c' in '%s'", what, *end, list);
        p = end + 1;
    }
    *n_out = n;
    return RL_OK;
}

rl_err rl_stream_parse_positions(rl_stream_config *c, const char *list, char *errstr,
                                 size_t errstr_size)
{
    uint64_t pos[RL_STREAM_MAX_DRIFTS];
    uint32_t n = 0;
    rl_err e = parse_list("drift positions", list, 1, NULL, pos, RL_STREAM_MAX_DRIFTS, &n, errstr,
                          errstr_size);
    if (e != RL_OK)
        return e;
    for (uint32_t i = 1; i < n; i++)
        if (pos[i] <= pos[i - 1])
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift positions: '%s' is not strictly increasing", list);
    memcpy(c->drift_at, pos, n * sizeof(pos[0]));
    c->n_drifts = n;
    return RL_OK;
}

rl_err rl_stream_parse_rates(rl_stream_config *c, const char *list, char *errstr,
                             size_t errstr_size)
{
    double r[RL_STREAM_MAX_RATES];
    uint32_t n = 0;
    rl_err e = parse_list("rates", list, 0, r, NULL, RL_STREAM_MAX_RATES, &n, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    for (uint32_t i = 0; i < n; i++)
        if (!(r[i] >= 0 && r[i] <= 1))
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "rates: %g is not a probability in [0, 1]", r[i]);
    memcpy(c->rates, r, n * sizeof(r[0]));
    c->n_rates = n;
    return RL_OK;
}

/* ---- the stream ---- */
#define MAX_CONCEPTS       (RL_STREAM_MAX_DRIFTS + 1)
#define AGRAWAL_ONEHOT_DIM 94

struct rl_stream {
    rl_stream_config c;
    int kind;
    double noise;
    uint64_t t;
    rl_rng rx, rnoise, rblend, rrot;
    uint32_t dim;
    char names[RL_STREAM_MAX_DIM][24];
    /* hyperplane: one weight vector per concept and the rotation directions */
    double w[MAX_CONCEPTS][RL_STREAM_MAX_DIM];
    double sigma[RL_STREAM_MAX_DIM];
};

static const char *const agrawal_names[9] = {"salary",  "commission", "age",    "elevel", "car",
                                             "zipcode", "hvalue",     "hyears", "loan"};
static const char *const stagger_names[9] = {"size_small",   "size_medium",  "size_large",
                                             "color_red",    "color_green",  "color_blue",
                                             "shape_circle", "shape_square", "shape_triangle"};

rl_err rl_stream_new(const rl_stream_config *c, rl_stream **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    int kind = gen_kind_of(c->gen);
    if (kind < 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "unknown generator '%s' (known: sea, stagger, hyperplane, agrawal, "
                          "bernoulli)",
                          c->gen);
    if (c->n == 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "stream length n must be > 0");
    if (c->n_drifts > RL_STREAM_MAX_DRIFTS)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "more than %d drifts",
                          RL_STREAM_MAX_DRIFTS);
    for (uint32_t i = 0; i < c->n_drifts; i++) {
        if (c->drift_at[i] >= c->n || (i && c->drift_at[i] <= c->drift_at[i - 1]))
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift position %llu must be increasing and below n=%llu",
                              (unsigned long long)c->drift_at[i], (unsigned long long)c->n);
    }
    if (!(c->width >= 1) || !isfinite(c->width))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift width %g must be >= 1 (1 = abrupt)", c->width);
    if (!(c->noise == -1 || (c->noise >= 0 && c->noise <= 0.5)))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "label noise %g must be in [0, 0.5]", c->noise);
    if (!(c->perturbation >= 0 && c->perturbation <= 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "perturbation %g must be in [0, 1]", c->perturbation);
    if (c->function < 1 || c->function > 10)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "agrawal function %u must be in 1..10", (unsigned)c->function);
    if (kind == GEN_HYPERPLANE && (c->dim < 2 || c->dim > RL_STREAM_MAX_DIM))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "hyperplane dim %u must be in 2..%d", (unsigned)c->dim,
                          RL_STREAM_MAX_DIM);
    if (!(c->mag_change >= 0 && c->mag_change <= 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "mag_change %g must be in [0, 1]", c->mag_change);
    if (kind == GEN_BERNOULLI && (c->n_rates == 0 || c->n_rates > RL_STREAM_MAX_RATES))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "bernoulli needs 1..%d rates",
                          RL_STREAM_MAX_RATES);
    for (uint32_t i = 0; kind == GEN_BERNOULLI && i < c->n_rates; i++)
        if (!(c->rates[i] >= 0 && c->rates[i] <= 1))
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "bernoulli rate %g is not in [0, 1]", c->rates[i]);

    rl_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "stream: out of memory");
    s->c = *c;
    s->kind = kind;
    static const double default_noise[GEN__COUNT] = {0.1, 0, 0.05, 0, 0};
    s->noise = c->noise == -1 ? default_noise[kind] : c->noise;
    /* Independent generators: features, noise, blend, rotation. */
    rl_rng_seed(&s->rx, c->seed * 4 + 0);
    rl_rng_seed(&s->rnoise, c->seed * 4 + 1);
    rl_rng_seed(&s->rblend, c->seed * 4 + 2);
    rl_rng_seed(&s->rrot, c->seed * 4 + 3);
    switch (kind) {
    case GEN_SEA:
        s->dim = 3;
        for (uint32_t i = 0; i < 3; i++)
            snprintf(s->names[i], sizeof(s->names[i]), "x%u", (unsigned)i + 1);
        break;
    case GEN_STAGGER:
        s->dim = 9;
        for (uint32_t i = 0; i < 9; i++)
            snprintf(s->names[i], sizeof(s->names[i]), "%s", stagger_names[i]);
        break;
    case GEN_HYPERPLANE: {
        s->dim = c->dim;
        rl_rng wr;
        rl_rng_seed(&wr, c->seed ^ 0x5deece66dull);
        for (uint32_t k = 0; k < MAX_CONCEPTS; k++)
            for (uint32_t i = 0; i < s->dim; i++)
                s->w[k][i] = rl_rng_unif(&wr);
        for (uint32_t i = 0; i < s->dim; i++) {
            s->sigma[i] = 1;
            snprintf(s->names[i], sizeof(s->names[i]), "x%u", (unsigned)i + 1);
        }
        break;
    }
    case GEN_AGRAWAL:
        if (!c->onehot) {
            s->dim = 9;
            for (uint32_t i = 0; i < 9; i++)
                snprintf(s->names[i], sizeof(s->names[i]), "%s", agrawal_names[i]);
            break;
        }
        s->dim = AGRAWAL_ONEHOT_DIM;
        for (uint32_t a = 0; a < 6; a++) {
            static const char *const numeric[6] = {"salary", "commission", "age",
                                                   "hvalue", "hyears",     "loan"};
            for (uint32_t b = 0; b < 10; b++)
                snprintf(s->names[a * 10 + b], sizeof(s->names[0]), "%s_b%u", numeric[a],
                         (unsigned)b);
        }
        for (uint32_t v = 0; v < 5; v++)
            snprintf(s->names[60 + v], sizeof(s->names[0]), "elevel_%u", (unsigned)v);
        for (uint32_t v = 0; v < 20; v++)
            snprintf(s->names[65 + v], sizeof(s->names[0]), "car_%u", (unsigned)v + 1);
        for (uint32_t v = 0; v < 9; v++)
            snprintf(s->names[85 + v], sizeof(s->names[0]), "zipcode_%u", (unsigned)v);
        break;
    default:
        s->dim = 1;
        snprintf(s->names[0], sizeof(s->names[0]), "bias");
        break;
    }
    *out = s;
    return RL_OK;
}

void rl_stream_destroy(rl_stream *s)
{
    free(s);
}

uint32_t rl_stream_dim(const rl_stream *s)
{
    return s->dim;
}

const char *rl_stream_feature_name(const rl_stream *s, uint32_t i)
{
    return i < s->dim ? s->names[i] : NULL;
}

static uint32_t concept_at(rl_stream *s, uint64_t t)
{
    uint32_t k = 0;
    for (uint32_t j = 0; j < s->c.n_drifts; j++) {
        double p = (double)s->c.drift_at[j];
        if (s->c.width <= 1) {
            if (t < s->c.drift_at[j])
                break;
        } else {
            double prob = 1.0 / (1.0 + exp(-4.0 * ((double)t - p) / s->c.width));
            if (!(rl_rng_unif(&s->rblend) < prob))
                break;
        }
        k = j + 1;
    }
    return k;
}

static int sea_label(const double *x, uint32_t k)
{
    static const double theta[4] = {8, 9, 7, 9.5};
    return x[0] + x[1] > theta[k % 4];
}

static int stagger_label(uint32_t size, uint32_t color, uint32_t shape, uint32_t k)
{
    switch (k % 3) {
    case 0:
        return size == 0 && color == 0; /* small and red */
    case 1:
        return color == 1 || shape == 0; /* green or circle */
    default:
        return size == 1 || size == 2; /* medium or large */
    }
}

/* Agrawal et al. (1993) functions 1..10: 1 = group A. */
static int agrawal_group_a(int f, double salary, double commission, double age, double elevel,
                           double hvalue, double hyears, double loan)
{
    int young = age < 40, middle = age >= 40 && age < 60, old = age >= 60;
    double total = salary + commission;
#define IN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))
    switch (f) {
    case 1:
        return young || old;
    case 2:
        return (young && IN(salary, 50000, 100000)) || (middle && IN(salary, 75000, 125000)) ||
               (old && IN(salary, 25000, 75000));
    case 3:
        return (young && IN(elevel, 0, 1)) || (middle && IN(elevel, 1, 3)) ||
               (old && IN(elevel, 2, 4));
    case 4:
        return (young &&
                (IN(elevel, 0, 1) ? IN(salary, 25000, 75000) : IN(salary, 50000, 100000))) ||
               (middle &&
                (IN(elevel, 1, 3) ? IN(salary, 50000, 100000) : IN(salary, 75000, 125000))) ||
               (old && (IN(elevel, 2, 4) ? IN(salary, 50000, 100000) : IN(salary, 25000, 75000)));
    case 5:
        return (young && (IN(salary, 50000, 100000) ? IN(loan, 100000, 300000)
                                                    : IN(loan, 200000, 400000))) ||
               (middle && (IN(salary, 75000, 125000) ? IN(loan, 200000, 400000)
                                                     : IN(loan, 300000, 500000))) ||
               (old &&
                (IN(salary, 25000, 75000) ? IN(loan, 300000, 500000) : IN(loan, 100000, 300000)));
    case 6:
        return (young && IN(total, 50000, 100000)) || (middle && IN(total, 75000, 125000)) ||
               (old && IN(total, 25000, 75000));
    case 7:
        return 0.67 * total - 0.2 * loan - 20000 > 0;
    case 8:
        return 0.67 * total - 5000 * elevel - 20000 > 0;
    case 9:
        return 0.67 * total - 5000 * elevel - 0.2 * loan - 10000 > 0;
    default: {
        double equity = hyears >= 20 ? 0.1 * hvalue * (hyears - 20) : 0;
        return 0.67 * total - 5000 * elevel + 0.2 * equity - 10000 > 0;
    }
    }
#undef IN
}

static double perturb(rl_stream *s, double v, double range, double lo, double hi)
{
    v += range * (2.0 * (rl_rng_unif(&s->rnoise) - 0.5)) * s->c.perturbation;
    return v < lo ? lo : (v > hi ? hi : v);
}

static void gen_agrawal(rl_stream *s, uint32_t k, rl_stream_example *ex)
{
    rl_rng *r = &s->rx;
    /* Every draw is made whatever the concept, so feature values do not depend on drifts. */
    double salary = 20000.0 + 130000.0 * rl_rng_unif(r);
    double comm_draw = 10000.0 + 65000.0 * rl_rng_unif(r);
    double commission = salary >= 75000.0 ? 0 : comm_draw;
    double age = 20 + rl_rng_below(r, 61);
    double elevel = rl_rng_below(r, 5);
    double car = 1 + rl_rng_below(r, 20);
    double zipcode = rl_rng_below(r, 9);
    double hvalue = (9.0 - zipcode) * 100000.0 * (0.5 + rl_rng_unif(r));
    double hyears = 1 + rl_rng_below(r, 30);
    double loan = rl_rng_unif(r) * 500000.0;
    int f = (int)((s->c.function - 1 + k) % 10) + 1;
    ex->label = agrawal_group_a(f, salary, commission, age, elevel, hvalue, hyears, loan);
    if (s->c.perturbation > 0) {
        /* As MOA: after the label, so the label keeps the unperturbed truth. MOA clamps hvalue
         * to [0, 135000], which cuts most house values; we clamp to its real range. */
        salary = perturb(s, salary, 130000, 20000, 150000);
        if (commission > 0)
            commission = perturb(s, commission, 65000, 10000, 75000);
        age = round(perturb(s, age, 60, 20, 80));
        hvalue = perturb(s, hvalue, (9.0 - zipcode) * 100000.0, 0, 1350000);
        hyears = round(perturb(s, hyears, 29, 1, 30));
        loan = perturb(s, loan, 500000, 0, 500000);
    }
    if (!s->c.onehot) {
        ex->x[0] = (salary - 20000) / 130000;
        ex->x[1] = commission / 75000;
        ex->x[2] = (age - 20) / 60;
        ex->x[3] = elevel / 4;
        ex->x[4] = (car - 1) / 19;
        ex->x[5] = zipcode / 8;
        ex->x[6] = hvalue / 1350000;
        ex->x[7] = (hyears - 1) / 29;
        ex->x[8] = loan / 500000;
        return;
    }
    /* Indicators: six numeric attributes in 10 bins each (0-59), then elevel (60-64), car
     * (65-84), zipcode (85-93). */
    const double scaled[6] = {(salary - 20000) / 130000, commission / 75000, (age - 20) / 60,
                              hvalue / 1350000,          (hyears - 1) / 29,  loan / 500000};
    memset(ex->x, 0, AGRAWAL_ONEHOT_DIM * sizeof(ex->x[0]));
    for (int a = 0; a < 6; a++) {
        int bin = (int)(scaled[a] * 10);
        bin = bin < 0 ? 0 : (bin > 9 ? 9 : bin);
        ex->x[a * 10 + bin] = 1;
    }
    ex->x[60 + (int)elevel] = 1;
    ex->x[65 + (int)car - 1] = 1;
    ex->x[85 + (int)zipcode] = 1;
}

int rl_stream_next(rl_stream *s, rl_stream_example *ex)
{
    if (s->t >= s->c.n)
        return 0;
    uint32_t k = concept_at(s, s->t);
    ex->dim = s->dim;
    ex->concept = k;
    switch (s->kind) {
    case GEN_SEA:
        for (int i = 0; i < 3; i++)
            ex->x[i] = 10.0 * rl_rng_unif(&s->rx);
        ex->label = sea_label(ex->x, k);
        break;
    case GEN_STAGGER: {
        uint32_t size = rl_rng_below(&s->rx, 3), color = rl_rng_below(&s->rx, 3),
                 shape = rl_rng_below(&s->rx, 3);
        for (int i = 0; i < 9; i++)
            ex->x[i] = 0;
        ex->x[size] = 1;
        ex->x[3 + color] = 1;
        ex->x[6 + shape] = 1;
        ex->label = stagger_label(size, color, shape, k);
        break;
    }
    case GEN_HYPERPLANE: {
        double dot = 0, sum = 0;
        double *w = s->w[k];
        for (uint32_t i = 0; i < s->dim; i++) {
            ex->x[i] = rl_rng_unif(&s->rx);
            dot += w[i] * ex->x[i];
            sum += w[i];
        }
        ex->label = dot >= 0.5 * sum;
        if (s->c.mag_change > 0) {
            /* MOA's rotation: each weight moves by mag_change in its direction, which flips
             * with probability 10%. */
            for (uint32_t i = 0; i < s->dim; i++) {
                w[i] += s->sigma[i] * s->c.mag_change;
                if (rl_rng_unif(&s->rrot) < 0.1)
                    s->sigma[i] = -s->sigma[i];
            }
        }
        break;
    }
    case GEN_AGRAWAL:
        gen_agrawal(s, k, ex);
        break;
    default:
        ex->x[0] = 1;
        ex->label = rl_rng_unif(&s->rx) < s->c.rates[k % s->c.n_rates];
        break;
    }
    /* One noise draw per event whatever the generator, so noise lines up across configs. */
    double u = rl_rng_unif(&s->rnoise);
    if (u < s->noise)
        ex->label = !ex->label;
    s->t++;
    return 1;
}
