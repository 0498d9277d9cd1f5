/* gen_events.c - flights-like labeled events for the end-to-end benchmark (bench_relearnd.sh):
 *
 *   gen_events --n N --named K [--seed S]      VW text, K named features per event
 *   gen_events --n N --indexed K [--seed S]    libsvm, K indexed features per event
 *   gen_events --n N --sea [--seed S]          libsvm, the 3-feature SEA-style event
 *
 * Named events look like the flight-delay stream: the first 10 features are its columns
 * (carrier, origin, dest as categorical "name=value" features; hour, weekday, month, distance,
 * scheduled duration, taxi-out, day of month as numbers), and features past 10 are more of
 * the same kind (x11=c17, n12:0.4...), alternating categorical (up to 300 values, so the name
 * dictionary keeps growing as it would on real categorical data) and numeric. Indexed events
 * draw K distinct-ish indices from 1..1,000,000 with values in [0, 1). The label (0/1, "delayed")
 * is the sign of a fixed hidden linear model of the features plus 10% label noise. The same
 * arguments always give the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/streams.h"

static const char *const carriers[] = {"AA", "DL", "UA", "WN", "B6", "AS", "NK", "F9", "HA", "OO"};
static const char *const airports[] = {
    "ATL", "LAX", "ORD", "DFW", "DEN", "JFK", "SFO", "SEA", "LAS", "MCO", "EWR", "CLT", "PHX",
    "IAH", "MIA", "BOS", "MSP", "FLL", "DTW", "PHL", "LGA", "BWI", "SLC", "SAN", "IAD", "DCA",
    "MDW", "TPA", "PDX", "HNL", "STL", "BNA", "AUS", "OAK", "MCI", "RDU", "SMF", "SJC", "SNA"};
#define N_CARRIERS (sizeof(carriers) / sizeof(carriers[0]))
#define N_AIRPORTS (sizeof(airports) / sizeof(airports[0]))

/* A hidden weight per (feature, category) pair, derived from a hash so nothing is stored. */
static double hidden_weight(uint64_t feature, uint64_t category)
{
    uint64_t z = feature * 0x9E3779B97F4A7C15ull + category * 0xBF58476D1CE4E5B9ull + 1;
    z = (z ^ (z >> 31)) * 0x94D049BB133111EBull;
    return (double)(z >> 11) / 9007199254740992.0 - 0.5;
}

static int label_of(rl_rng *r, double margin)
{
    int y = margin > 0;
    return rl_rng_unif(r) < 0.1 ? !y : y;
}

static void named_event(rl_rng *r, unsigned k, char *line, size_t cap)
{
    size_t o = 0;
    double m = 0;
    unsigned c = rl_rng_below(r, N_CARRIERS), a = rl_rng_below(r, N_AIRPORTS);
    unsigned b = rl_rng_below(r, N_AIRPORTS), hour = rl_rng_below(r, 24);
    unsigned dow = rl_rng_below(r, 7), month = 1 + rl_rng_below(r, 12);
    unsigned dom = 1 + rl_rng_below(r, 28);
    double dist = 0.1 + rl_rng_unif(r) * 2.5, dur = dist * 0.8 + rl_rng_unif(r) * 0.3;
    double taxi = rl_rng_unif(r);

    m += hidden_weight(1, c) + hidden_weight(2, a) + hidden_weight(3, b);
    m += (hour > 16 ? 0.6 : -0.2) + (dow >= 5 ? 0.2 : 0) + (month == 12 ? 0.4 : 0);
    m += 0.3 * dist - 0.2 * dur + 0.8 * (taxi - 0.5) - 0.3;
    o += (size_t)snprintf(line + o, cap - o,
                          "|f carrier=%s origin=%s dest=%s dep_hour:%u weekday:%u month:%u "
                          "distance:%.3f duration:%.3f taxi_out:%.3f day:%u",
                          carriers[c], airports[a], airports[b], hour, dow, month, dist, dur, taxi,
                          dom);
    for (unsigned j = 11; j <= k && o < cap; j++) {
        if (j % 2) {
            unsigned card = 2 + (j * 37) % 299, v = rl_rng_below(r, card);
            m += 0.3 * hidden_weight(j, v);
            o += (size_t)snprintf(line + o, cap - o, " x%u=c%u", j, v);
        } else {
            double v = rl_rng_unif(r);
            m += 0.3 * hidden_weight(j, 0) * v;
            o += (size_t)snprintf(line + o, cap - o, " n%u:%.3f", j, v);
        }
    }
    printf("%d %s\n", label_of(r, m), line);
}

static void indexed_event(rl_rng *r, unsigned k)
{
    double m = 0;
    char line[65536];
    size_t o = 0;
    for (unsigned j = 0; j < k && o < sizeof(line) - 32; j++) {
        /* ascending indices: one per 1/k-th of the index space */
        uint32_t span = 1000000u / k, idx = 1 + j * span + rl_rng_below(r, span);
        double v = rl_rng_unif(r);
        m += hidden_weight(idx, 0) * v;
        o += (size_t)snprintf(line + o, sizeof(line) - o, " %u:%.4f", idx, v);
    }
    printf("%d%s\n", label_of(r, m), line);
}

static void sea_event(rl_rng *r)
{
    double a = rl_rng_unif(r), b = rl_rng_unif(r);
    int y = a > b;
    if (rl_rng_unif(r) < 0.1)
        y = !y;
    printf("%d 1:%.6f 2:%.6f 3:1\n", y, a, b);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: gen_events --n N (--named K | --indexed K | --sea) [--seed S]\n");
}

int main(int argc, char **argv)
{
    unsigned long long n = 0, seed = 1;
    unsigned named = 0, indexed = 0;
    int sea = 0;
    static char line[1 << 20];
    rl_rng r;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--sea") == 0) {
            sea = 1;
            continue;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (strcmp(a, "--n") == 0)
            n = strtoull(v, NULL, 10);
        else if (strcmp(a, "--named") == 0)
            named = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--indexed") == 0)
            indexed = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else {
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (n == 0 || (named == 0) + (indexed == 0) + !sea != 2 || (named && named < 10) ||
        named > 10000 || indexed > 10000) {
        fprintf(stderr, "gen_events: give --n and one of --named K (10..10000), --indexed K "
                        "(1..10000), --sea\n");
        return 2;
    }
    rl_rng_seed(&r, seed);
    for (unsigned long long i = 0; i < n; i++) {
        if (named)
            named_event(&r, named, line, sizeof(line));
        else if (indexed)
            indexed_event(&r, indexed);
        else
            sea_event(&r);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
