/* gen_eval_libsvm.c - a seeded libsvm stream for the `relearn eval` benchmark:
 *   gen_eval_libsvm LINES [FEATURES_PER_LINE [DIM [SEED]]]   (defaults 1000000 40 1000000 1)
 * Each line has FEATURES_PER_LINE distinct-ish indices drawn from 1..DIM with values in
 * [0, 1) written with 4 decimals; the label (+1/-1) is the sign of a fixed hidden linear model
 * plus 10% label noise, so a learner has something to learn. Output on stdout; the same
 * arguments always give the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    /* splitmix64: tiny, fast, and the same everywhere */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double hidden_weight(uint64_t idx)
{
    uint64_t z = idx * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 29)) * 0xBF58476D1CE4E5B9ull;
    z ^= z >> 32;
    return (double)(z % 2001) / 1000.0 - 1.0;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static unsigned long long arg_u64(const char *s, const char *what)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || *s == '-') {
        fprintf(stderr, "gen_eval_libsvm: %s '%s' is not a non-negative integer\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: gen_eval_libsvm LINES [FEATURES_PER_LINE [DIM [SEED]]]\n");
        return 2;
    }
    uint64_t lines = arg_u64(argv[1], "LINES");
    uint64_t k = argc > 2 ? arg_u64(argv[2], "FEATURES_PER_LINE") : 40;
    uint64_t dim = argc > 3 ? arg_u64(argv[3], "DIM") : 1000000;
    rng_state = argc > 4 ? arg_u64(argv[4], "SEED") : 1;
    if (dim == 0 || k == 0 || k > 10000) {
        fprintf(stderr, "gen_eval_libsvm: need DIM >= 1 and 1 <= FEATURES_PER_LINE <= 10000\n");
        return 2;
    }
    static char out[1 << 16];
    char line[10000 * 24 + 16];
    uint64_t *idx = malloc(k * sizeof(*idx));
    unsigned *val = malloc(k * sizeof(*val));
    if (!idx || !val || setvbuf(stdout, out, _IOFBF, sizeof(out)) != 0) {
        fprintf(stderr, "gen_eval_libsvm: out of memory\n");
        return 1;
    }
    for (uint64_t i = 0; i < lines; i++) {
        double margin = 0;
        /* Ascending indices, as libsvm tools write them: k sorted draws via random gaps. */
        uint64_t step = dim / k ? dim / k : 1, at = 0;
        for (uint64_t j = 0; j < k; j++) {
            at += 1 + next_u64() % step;
            idx[j] = at > dim ? dim : at;
            val[j] = (unsigned)(next_u64() % 10000);
            margin += hidden_weight(idx[j]) * val[j] / 10000.0;
        }
        int y = margin > 0 ? 1 : -1;
        if (next_u64() % 10 == 0)
            y = -y;
        char *p = line;
        memcpy(p, y > 0 ? "+1" : "-1", 2);
        p += 2;
        for (uint64_t j = 0; j < k; j++) {
            *p++ = ' ';
            p = put_u64(p, idx[j]);
            memcpy(p, ":0.", 3);
            p += 3;
            unsigned v = val[j];
            p[0] = (char)('0' + v / 1000);
            p[1] = (char)('0' + v / 100 % 10);
            p[2] = (char)('0' + v / 10 % 10);
            p[3] = (char)('0' + v % 10);
            p += 4;
        }
        *p++ = '\n';
        if (fwrite(line, 1, (size_t)(p - line), stdout) != (size_t)(p - line)) {
            perror("gen_eval_libsvm: write");
            return 1;
        }
    }
    free(idx);
    free(val);
    return fflush(stdout) == 0 ? 0 : 1;
}
