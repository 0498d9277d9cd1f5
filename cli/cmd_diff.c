/* cmd_diff.c - `relearn diff OLD NEW [--json] [--top K]`: how retraining changed a model.
 * Both files (checkpoints or snapshots, any mix) are verified and must have the same shape
 * (learner rows, 2^bits, dense block). Prints the K most changed weights as a table
 * `feature | original | retrained | difference`, then the L2 norm of the difference, the
 * cosine similarity of the two weight vectors and the count of weights that changed at all.
 * Vector math through OpenBLAS (saxpy, snrm2, sdot), in blocks so any size fits its int n. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <jansson.h>

#include "cli/commands.h"
#include "model/dict.h"
#include "storage/model_file.h"
#include "cli/report_args.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: relearn diff OLD NEW [--json] [--top K]\n"
            "  Compares two checkpoints/snapshots of the same model shape (and, when they\n"
            "  hold named features, the same hash seed).\n"
            "  --top K   show the K most changed weights (default %d)\n"
            "  --json    print the comparison as JSON\n",
            RL_REPORT_TOP_DEFAULT);
}

static json_t *jreal(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* Scores ||a||, ||b||, a.b and ||b - a|| over n floats; d receives b - a. */
/* Norms, dot product and the difference vector, summed in double: float sums (BLAS's sdot and
 * snrm2) said cosine 0.99999988 for a model compared with itself. */
static void vector_stats(const float *a, const float *b, float *d, uint64_t n, double *na,
                         double *nb, double *dot, double *nd)
{
    double sa = 0, sb = 0, sd = 0, sdot = 0;
    for (uint64_t i = 0; i < n; i++) {
        double x = a[i], y = b[i];
        d[i] = b[i] - a[i];
        sa += x * x;
        sb += y * y;
        sd += (y - x) * (y - x);
        sdot += x * y;
    }
    *na = sqrt(sa);
    *nb = sqrt(sb);
    *nd = sqrt(sd);
    *dot = sdot;
}

static int has_names(const rl_model_file *f)
{
    return f->dict && rl_dict_total(f->dict) > 0;
}

static int same_shape(const rl_model_file *a, const rl_model_file *b, const char *pa,
                      const char *pb)
{
    if (a->w.n_rows == b->w.n_rows && a->w.n_sparse == b->w.n_sparse &&
        a->w.dense_dim == b->w.dense_dim) {
        /* With another seed a named feature hashes to another slot: slot by slot the two
         * models compare unrelated features (two runs on the same data looked ~orthogonal).
         * Indexed (libsvm) features are their own slots whatever the seed, and a model that
         * learned only those has no names in its dictionary. */
        if (a->hash_seed == b->hash_seed || (!has_names(a) && !has_names(b)))
            return 1;
        fprintf(stderr,
                "relearn diff: %s (hash seed %llu) and %s (hash seed %llu) hash features with "
                "different seeds: slot N is a different feature in each, nothing to compare "
                "weight by weight\n",
                pa, (unsigned long long)a->hash_seed, pb, (unsigned long long)b->hash_seed);
        return 0;
    }
    fprintf(stderr,
            "relearn diff: %s (%s, 2^%u slots, dense %u, %u rows) and %s (%s, 2^%u slots, dense "
            "%u, %u rows) have different shapes: nothing to compare weight by weight\n",
            pa, a->params->learner, a->params->bits, a->w.dense_dim, a->w.n_rows, pb,
            b->params->learner, b->params->bits, b->w.dense_dim, b->w.n_rows);
    return 0;
}

int rl_cmd_diff(int argc, char **argv)
{
    rl_report_args args;
    int st = rl_report_args_parse(argc, argv, "diff", 2, "two files only", usage, &args);
    if (st >= 0)
        return st;
    const char *const *paths = args.paths;
    int json = args.json;
    size_t top = args.top;
    openblas_set_num_threads(1);
    rl_model_file f[2];
    char err[1024];
    int opened = 0, rc = 1;
    float *a = NULL, *b = NULL, *d = NULL;
    uint64_t *idx = NULL;
    json_t *j = NULL;
    for (; opened < 2; opened++) {
        if (rl_model_file_open(paths[opened], &f[opened], err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "relearn diff: %s\n", err);
            goto out;
        }
        if (f[opened].kind == RL_FILE_CHUNK) {
            fprintf(stderr, "relearn diff: %s: a snapshot chunk holds no model by itself\n",
                    paths[opened]);
            opened++;
            goto out;
        }
    }
    if (!same_shape(&f[0], &f[1], paths[0], paths[1]))
        goto out;
    uint64_t n = rl_model_file_dim(&f[0]);
    a = malloc(n * sizeof(float));
    b = malloc(n * sizeof(float));
    d = malloc(n * sizeof(float));
    idx = malloc((top ? top : 1) * sizeof(uint64_t));
    if (!a || !b || !d || !idx) {
        fprintf(stderr, "relearn diff: out of memory for 3 x %llu weights\n",
                (unsigned long long)n);
        goto out;
    }
    rl_model_file_flatten(&f[0], a);
    rl_model_file_flatten(&f[1], b);
    double na, nb, dot, nd;
    vector_stats(a, b, d, n, &na, &nb, &dot, &nd);
    uint64_t changed = 0;
    for (uint64_t i = 0; i < n; i++)
        changed += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    double cosine = na > 0 && nb > 0 ? dot / (na * nb) : NAN;
    /* Bitwise-identical weights are exactly similar, whatever the rounding of the sums. */
    if (changed == 0 && na > 0)
        cosine = 1;
    /* rounding in the sums can push it a hair past +-1 */
    if (cosine > 1)
        cosine = 1;
    if (cosine < -1)
        cosine = -1;
    size_t k = rl_top_abs(d, n, top, 1, idx);
    /* Names from the newer file's dictionary, else the older one's. */
    const rl_model_file *names = f[1].dict ? &f[1] : &f[0];
    if (json) {
        j = json_object();
        json_object_set_new(j, "original", json_string(paths[0]));
        json_object_set_new(j, "retrained", json_string(paths[1]));
        json_object_set_new(j, "weights", json_integer((json_int_t)n));
        json_object_set_new(j, "changed", json_integer((json_int_t)changed));
        json_object_set_new(j, "l2_norm_difference", jreal(nd));
        json_object_set_new(j, "l2_norm_original", jreal(na));
        json_object_set_new(j, "l2_norm_retrained", jreal(nb));
        json_object_set_new(j, "cosine_similarity", jreal(cosine));
        json_t *arr = json_array();
        for (size_t i = 0; i < k; i++) {
            char label[512];
            rl_model_file_label(names, idx[i], label, sizeof(label));
            json_array_append_new(arr,
                                  json_pack("{s:s, s:f, s:f, s:f}", "feature", label, "original",
                                            (double)a[idx[i]], "retrained", (double)b[idx[i]],
                                            "difference", (double)d[idx[i]]));
        }
        json_object_set_new(j, "top_changes", arr);
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
        if (!s) {
            fprintf(stderr, "relearn diff: cannot format JSON\n");
            goto out;
        }
        printf("%s\n", s);
        free(s);
    } else {
        printf("original:  %s\nretrained: %s\n", paths[0], paths[1]);
        if (top) {
            printf("\n%-40s | %15s | %15s | %15s\n", "feature", "original", "retrained",
                   "difference");
            printf("%.40s-+-%.15s-+-%.15s-+-%.15s\n", "----------------------------------------",
                   "----------------", "----------------", "----------------");
            if (k == 0)
                printf("%-40s |\n", "(no weight changed)");
            for (size_t i = 0; i < k; i++) {
                char label[512];
                rl_model_file_label(names, idx[i], label, sizeof(label));
                printf("%-40s | %15.9g | %15.9g | %15.9g\n", label, (double)a[idx[i]],
                       (double)b[idx[i]], (double)d[idx[i]]);
            }
            printf("\n");
        }
        printf("weights compared:      %llu\n", (unsigned long long)n);
        printf("changed weights:       %llu (%.2f%%)\n", (unsigned long long)changed,
               n ? 100.0 * (double)changed / (double)n : 0.0);
        printf("L2 norm of difference: %.9g (original %.9g, retrained %.9g)\n", nd, na, nb);
        printf("cosine similarity:     %.9g\n", cosine);
    }
    rc = 0;
out:
    json_decref(j);
    free(a);
    free(b);
    free(d);
    free(idx);
    for (int i = 0; i < opened && i < 2; i++)
        rl_model_file_close(&f[i]);
    return rc;
}
