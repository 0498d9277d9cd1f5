/* gen_stream - writes a synthetic drifting stream (bench/streams.h) as libsvm, VW or CSV text
 * that `relearn eval` reads.
 *
 *   gen_stream --gen sea --n 100000 --drift-at 25000,50000 --width 1 --seed 1 \
 *              --format libsvm|vw|csv [-o FILE]
 *
 * Labels are 0/1. libsvm: `label 1:v 2:v ...` (features numbered from 1, zeros omitted);
 * VW: `label |f name:v ...`; CSV: a header `label,<names>` then one row per event. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/streams.h"

enum fmt { FMT_LIBSVM, FMT_VW, FMT_CSV };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gen_stream --gen NAME [options]\n"
            "  --gen NAME          sea | stagger | hyperplane | agrawal | bernoulli\n"
            "  --n N               events (default 100000)\n"
            "  --drift-at P1,P2..  0-based positions of concept changes (default none)\n"
            "  --width W           1 = abrupt (default); else sigmoid blend of width W\n"
            "  --seed S            (default 1)\n"
            "  --format F          libsvm (default) | vw | csv\n"
            "  -o FILE             output (default stdout)\n"
            "  --noise P           label flip probability (default: sea 0.1, hyperplane 0.05, "
            "else 0)\n"
            "  --perturbation P    agrawal (default 0.05)\n"
            "  --function F        agrawal function of the first concept, 1..10 (default 1)\n"
            "  --onehot 0|1        agrawal: indicator features (10 bins per numeric attribute)\n"
            "  --dim D             hyperplane dimensions (default 10)\n"
            "  --mag-change M      hyperplane weight change per event (default 0)\n"
            "  --rates R1,R2..     bernoulli label rates, cycled by concept (default 0.2,0.4)\n");
}

static int parse_u64(const char *opt, const char *v, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *v == '-' || *end || errno) {
        fprintf(stderr, "gen_stream: %s '%s' is not a non-negative integer\n", opt, v);
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

static int parse_f64(const char *opt, const char *v, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno) {
        fprintf(stderr, "gen_stream: %s '%s' is not a number\n", opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int write_stream(rl_stream *s, enum fmt fmt, FILE *f)
{
    uint32_t dim = rl_stream_dim(s);
    if (fmt == FMT_CSV) {
        fputs("label", f);
        for (uint32_t i = 0; i < dim; i++)
            fprintf(f, ",%s", rl_stream_feature_name(s, i));
        fputc('\n', f);
    }
    rl_stream_example ex;
    while (rl_stream_next(s, &ex)) {
        fprintf(f, "%d", ex.label);
        if (fmt == FMT_VW)
            fputs(" |f", f);
        for (uint32_t i = 0; i < dim; i++) {
            if (fmt == FMT_CSV) {
                fprintf(f, ",%.9g", ex.x[i]);
            } else if (ex.x[i] != 0) {
                if (fmt == FMT_LIBSVM)
                    fprintf(f, " %u:%.9g", (unsigned)i + 1, ex.x[i]);
                else
                    fprintf(f, " %s:%.9g", rl_stream_feature_name(s, i), ex.x[i]);
            }
        }
        if (fputc('\n', f) == EOF)
            return -1;
    }
    return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
    rl_stream_config c;
    const char *gen = NULL, *out_path = NULL, *drifts = NULL, *rates = NULL;
    enum fmt fmt = FMT_LIBSVM;
    char err[256];
    rl_stream_config_default(&c, "sea");
    uint64_t n = c.n, seed = c.seed, function = c.function, dim = c.dim, onehot = 0;
    double width = c.width, noise = c.noise, pert = c.perturbation, mag = c.mag_change;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "gen_stream: %s needs a value (or unknown option)\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (strcmp(a, "--gen") == 0)
            gen = v;
        else if (strcmp(a, "--n") == 0)
            bad = parse_u64(a, v, &n);
        else if (strcmp(a, "--drift-at") == 0)
            drifts = v;
        else if (strcmp(a, "--width") == 0)
            bad = parse_f64(a, v, &width);
        else if (strcmp(a, "--seed") == 0)
            bad = parse_u64(a, v, &seed);
        else if (strcmp(a, "-o") == 0)
            out_path = v;
        else if (strcmp(a, "--noise") == 0)
            bad = parse_f64(a, v, &noise);
        else if (strcmp(a, "--perturbation") == 0)
            bad = parse_f64(a, v, &pert);
        else if (strcmp(a, "--function") == 0)
            bad = parse_u64(a, v, &function);
        else if (strcmp(a, "--onehot") == 0) {
            bad = parse_u64(a, v, &onehot);
            if (!bad && onehot > 1) {
                fprintf(stderr, "gen_stream: --onehot takes 0 or 1\n");
                bad = 1;
            }
        } else if (strcmp(a, "--dim") == 0)
            bad = parse_u64(a, v, &dim);
        else if (strcmp(a, "--mag-change") == 0)
            bad = parse_f64(a, v, &mag);
        else if (strcmp(a, "--rates") == 0)
            rates = v;
        else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "libsvm") == 0)
                fmt = FMT_LIBSVM;
            else if (strcmp(v, "vw") == 0)
                fmt = FMT_VW;
            else if (strcmp(v, "csv") == 0)
                fmt = FMT_CSV;
            else {
                fprintf(stderr, "gen_stream: --format '%s': use libsvm, vw or csv\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "gen_stream: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (bad)
            return 2;
    }
    if (!gen) {
        fprintf(stderr, "gen_stream: --gen is required\n");
        usage(stderr);
        return 2;
    }
    rl_stream_config_default(&c, gen);
    if (strlen(gen) >= sizeof(c.gen)) {
        fprintf(stderr, "gen_stream: unknown generator '%s'\n", gen);
        return 2;
    }
    c.n = n;
    c.seed = seed;
    c.width = width;
    c.noise = noise;
    c.perturbation = pert;
    c.function = function > 10 ? 0 : (uint32_t)function;
    c.dim = dim > RL_STREAM_MAX_DIM ? 0 : (uint32_t)dim;
    c.mag_change = mag;
    c.onehot = (int)onehot;
    if (drifts && rl_stream_parse_positions(&c, drifts, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "gen_stream: --drift-at: %s\n", err);
        return 2;
    }
    if (rates && rl_stream_parse_rates(&c, rates, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "gen_stream: --rates: %s\n", err);
        return 2;
    }
    rl_stream *s = NULL;
    if (rl_stream_new(&c, &s, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "gen_stream: %s\n", err);
        return 2;
    }
    FILE *f = stdout;
    if (out_path && strcmp(out_path, "-") != 0) {
        f = fopen(out_path, "w");
        if (!f) {
            fprintf(stderr, "gen_stream: %s: %s\n", out_path, strerror(errno));
            rl_stream_destroy(s);
            return 1;
        }
    }
    int rc = write_stream(s, fmt, f);
    if (f != stdout) {
        if (fclose(f) != 0)
            rc = -1;
    } else if (fflush(f) != 0) {
        rc = -1;
    }
    rl_stream_destroy(s);
    if (rc != 0) {
        fprintf(stderr, "gen_stream: writing %s: %s\n", out_path ? out_path : "stdout",
                strerror(errno));
        return 1;
    }
    return 0;
}
