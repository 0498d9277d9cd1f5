/* predictor.c - a snapshot's scoring function (predictor.h, docs/FORMAT.md "Scoring").
 *
 * The weights are copied coordinate-major (the k weights of one slot side by side, so a softmax
 * feature reads one cache line, not k), either for every slot (dense snapshots, small models)
 * or, for sparse ones, only for the slots the snapshot has, found through an open-addressing
 * table; a slot it does not have maps to one extra all-zero coordinate, so the scoring loops
 * have no branch for "absent" and compute 0 * x as the learners do. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/interactions.h"
#include "storage/predictor.h"

struct rl_predictor {
    uint32_t k;    /* rows */
    uint32_t mask; /* 2^bits - 1 */
    uint32_t dd;   /* dense_dim */
    rl_task task;
    rl_loss link; /* binary and regression: the loss whose link gives the output */
    /* Sparse coordinates: entry e has weights w[e * k .. e * k + k) and clip scale scale[e]. */
    uint32_t *keys;   /* hashed: slot + 1 per table cell (0: empty); NULL: direct, e = slot */
    uint32_t *cells;  /* hashed: the entry of each table cell */
    uint64_t cap;     /* table cells (a power of two) */
    uint32_t shift;   /* 64 - log2(cap) */
    uint32_t n_entry; /* hashed: entries; entry n_entry is the all-zero one */
    float *w;
    float *scale;        /* NULL: no clipping */
    float *dense_w;      /* dd * k, coordinate-major */
    float *dense_scale;  /* dd, or NULL */
    float *bias;         /* k */
    float bias_scale;    /* 0: the bias is not clipped */
    double *score_scale; /* k */
    rl_interactions ix;  /* crossed after an example's own features, as the model did */
};

/* Crossed features are generated in chunks of this many on the stack: no allocation, and the
 * sums add them one at a time in generation order, so chunking changes nothing. */
#define IX_CHUNK 256

static inline float clip(float x, float n)
{
    return n > 0 && fabsf(x) > n ? copysignf(n, x) : x;
}

static inline uint64_t cell_of(const rl_predictor *p, uint32_t slot)
{
    return (uint64_t)(slot + 1u) * 0x9E3779B97F4A7C15ull >> p->shift;
}

static inline uint32_t entry_of(const rl_predictor *p, uint32_t slot)
{
    if (!p->keys)
        return slot;
    for (uint64_t c = cell_of(p, slot);; c = (c + 1) & (p->cap - 1)) {
        uint32_t key = p->keys[c];
        if (key == slot + 1u)
            return p->cells[c];
        if (key == 0)
            return p->n_entry;
    }
}

void rl_predictor_destroy(rl_predictor *p)
{
    if (!p)
        return;
    free(p->keys);
    free(p->cells);
    free(p->w);
    free(p->scale);
    free(p->dense_w);
    free(p->dense_scale);
    free(p->bias);
    free(p->score_scale);
    free(p);
}

/* How the learner named in the snapshot turns its score into a prediction; -1: unknown. */
static int rule_of(const rl_snapshot *s, rl_task *task, rl_loss *link)
{
    const char *name = s->learner.learner;
    *link = RL_LOSS_HINGE; /* the sign: perceptrons */
    if (strcmp(name, "softmax") == 0) {
        *task = RL_TASK_MULTICLASS;
        return 0;
    }
    *task = RL_TASK_BINARY;
    if (strcmp(name, "perceptron") == 0 || strcmp(name, "avg_perceptron") == 0)
        return 0;
    if (strcmp(name, "ftrl") == 0) {
        *link = RL_LOSS_LOGISTIC;
        return 0;
    }
    if (strcmp(name, "sgd") == 0 || strcmp(name, "ogd") == 0) {
        *link = s->learner.loss;
        if (*link == RL_LOSS_SQUARED || *link == RL_LOSS_POISSON)
            *task = RL_TASK_REGRESSION;
        return 0;
    }
    return -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The union of the slots the sparse rows (and scales) store, sorted and unique, into *out. */
static rl_err union_slots(const rl_snapshot *s, uint32_t **out, uint64_t *n, char *errstr,
                          size_t errstr_size)
{
    uint64_t total = s->scales ? s->scales->nnz : 0;
    for (uint32_t r = 0; r < s->n_rows; r++)
        total += s->rows[r].nnz;
    uint32_t *u = malloc((total ? total : 1) * sizeof(uint32_t));
    if (!u)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "predictor: out of memory");
    uint64_t m = 0;
    for (uint32_t r = 0; r <= s->n_rows; r++) {
        const rl_snapshot_row *row = r < s->n_rows ? &s->rows[r] : s->scales;
        for (uint64_t i = 0; row && i < row->nnz; i++)
            u[m++] = row->idx[i];
    }
    qsort(u, m, sizeof(uint32_t), cmp_u32);
    uint64_t w = 0;
    for (uint64_t i = 0; i < m; i++)
        if (w == 0 || u[i] != u[w - 1])
            u[w++] = u[i];
    *out = u;
    *n = w;
    return RL_OK;
}

/* Value of slot i in a decoded row, for filling the direct layout. */
static void row_spread(const rl_snapshot_row *r, uint64_t n, float *dst, uint32_t stride)
{
    if (r->w) {
        for (uint64_t i = 0; i < n; i++)
            dst[i * stride] = r->w[i];
        return;
    }
    for (uint64_t i = 0; i < r->nnz; i++)
        dst[(uint64_t)r->idx[i] * stride] = r->val[i];
}

/* Hashed layout: entries for the union of stored slots, filled from the sparse rows. */
static rl_err build_hashed(rl_predictor *p, const rl_snapshot *s, const uint32_t *slots, uint64_t n,
                           char *errstr, size_t errstr_size)
{
    uint32_t lg = 4;
    while (((uint64_t)1 << lg) < 2 * n)
        lg++;
    p->cap = (uint64_t)1 << lg;
    p->shift = 64 - lg;
    p->n_entry = (uint32_t)n;
    p->keys = calloc(p->cap, sizeof(uint32_t));
    p->cells = calloc(p->cap, sizeof(uint32_t));
    p->w = calloc((n + 1) * p->k, sizeof(float));
    if (s->scales)
        p->scale = calloc(n + 1, sizeof(float));
    if (!p->keys || !p->cells || !p->w || (s->scales && !p->scale))
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "predictor: out of memory");
    for (uint64_t e = 0; e < n; e++) {
        uint64_t c = cell_of(p, slots[e]);
        while (p->keys[c])
            c = (c + 1) & (p->cap - 1);
        p->keys[c] = slots[e] + 1u;
        p->cells[c] = (uint32_t)e;
    }
    for (uint32_t r = 0; r < s->n_rows; r++)
        for (uint64_t i = 0; i < s->rows[r].nnz; i++)
            p->w[(uint64_t)entry_of(p, s->rows[r].idx[i]) * p->k + r] = s->rows[r].val[i];
    for (uint64_t i = 0; s->scales && i < s->scales->nnz; i++)
        p->scale[entry_of(p, s->scales->idx[i])] = s->scales->val[i];
    return RL_OK;
}

static rl_err build_direct(rl_predictor *p, const rl_snapshot *s, char *errstr, size_t errstr_size)
{
    uint64_t n = s->n_sparse;
    p->w = calloc(n * p->k, sizeof(float));
    if (s->scales)
        p->scale = calloc(n, sizeof(float));
    if (!p->w || (s->scales && !p->scale))
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                          "predictor: cannot allocate 2^%u x %u weights", s->learner.bits, p->k);
    for (uint32_t r = 0; r < p->k; r++)
        row_spread(&s->rows[r], n, p->w + r, p->k);
    if (s->scales)
        row_spread(s->scales, n, p->scale, 1);
    return RL_OK;
}

/* The direct layout when a row is stored dense, the model is small, or an eighth of the slots
 * or more are set (the table would then save little memory and cost a probe per feature). */
static int want_direct(const rl_snapshot *s, uint64_t n_union)
{
    for (uint32_t r = 0; r < s->n_rows; r++)
        if (s->rows[r].w)
            return 1;
    if (s->scales && s->scales->w)
        return 1;
    return s->n_sparse <= ((uint64_t)1 << 16) || n_union * 8 >= s->n_sparse;
}

static rl_err build(rl_predictor *p, const rl_snapshot *s, char *errstr, size_t errstr_size)
{
    uint32_t *slots = NULL;
    uint64_t n_union = 0;
    rl_err e = union_slots(s, &slots, &n_union, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (want_direct(s, n_union))
        e = build_direct(p, s, errstr, errstr_size);
    else
        e = build_hashed(p, s, slots, n_union, errstr, errstr_size);
    free(slots);
    if (e != RL_OK)
        return e;
    size_t dd = p->dd, k = p->k;
    p->dense_w = calloc(dd * k + 1, sizeof(float));
    p->bias = calloc(k, sizeof(float));
    p->score_scale = calloc(k, sizeof(double));
    if (s->scales && dd)
        p->dense_scale = calloc(dd, sizeof(float));
    if (!p->dense_w || !p->bias || !p->score_scale || (s->scales && dd && !p->dense_scale))
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "predictor: out of memory");
    for (uint32_t r = 0; r < k; r++) {
        const rl_snapshot_row *row = &s->rows[r];
        for (size_t j = 0; j < dd; j++)
            p->dense_w[j * k + r] = row->dense_block[j];
        /* A learner without a bias term adds none, whatever its weights view holds. */
        p->bias[r] = s->learner.bias ? row->bias : 0.0f;
        p->score_scale[r] = row->score_scale;
    }
    if (s->scales) {
        if (dd)
            memcpy(p->dense_scale, s->scales->dense_block, dd * sizeof(float));
        p->bias_scale = s->scales->bias;
    }
    return RL_OK;
}

rl_err rl_predictor_new(const rl_snapshot *s, rl_predictor **out, char *errstr, size_t errstr_size)
{
    rl_task task;
    rl_loss link;
    *out = NULL;
    if (rule_of(s, &task, &link) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_VERSION,
                          "snapshot learner '%s': no scoring rule known for it (a newer relearn "
                          "wrote it?)",
                          s->learner.learner);
    uint32_t want_rows = task == RL_TASK_MULTICLASS ? s->learner.n_classes : 1;
    if (s->n_rows != want_rows || !s->rows)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "snapshot learner '%s': %u weight rows, expected %u", s->learner.learner,
                          s->n_rows, want_rows);
    for (uint32_t r = 0; task == RL_TASK_MULTICLASS && r < s->n_rows; r++)
        if (s->rows[r].score_scale != 1.0)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "snapshot learner softmax: row %u has a score_scale", r);
    rl_predictor *p = calloc(1, sizeof(*p));
    if (!p)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "predictor: out of memory");
    p->k = s->n_rows;
    p->mask = (uint32_t)(s->n_sparse - 1);
    p->dd = s->dense_dim;
    p->task = task;
    p->link = link;
    p->ix = s->learner.interactions;
    rl_err e = build(p, s, errstr, errstr_size);
    if (e != RL_OK) {
        rl_predictor_destroy(p);
        return e;
    }
    *out = p;
    return RL_OK;
}

uint32_t rl_predictor_rows(const rl_predictor *p)
{
    return p->k;
}

rl_task rl_predictor_task(const rl_predictor *p)
{
    return p->task;
}

uint32_t rl_predictor_dense_dim(const rl_predictor *p)
{
    return p->dd;
}

static inline int dense_counts(const rl_predictor *p, const rl_example *ex)
{
    return ex->dense && p->dd > 0 && ex->n_dense == p->dd;
}

static float sum1(const rl_predictor *p, const rl_feature *f, uint32_t n, float z)
{
    const uint32_t m = p->mask;
    if (p->scale) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t e = entry_of(p, f[i].index & m);
            z += p->w[e] * clip(f[i].value, p->scale[e]);
        }
    } else {
        for (uint32_t i = 0; i < n; i++)
            z += p->w[entry_of(p, f[i].index & m)] * f[i].value;
    }
    return z;
}

/* One row (k = 1): the float sum of the learners, then the score scale in double. */
static double score1(const rl_predictor *p, const rl_example *ex)
{
    float z = sum1(p, ex->feats, ex->n_feats, 0.0f);
    if (p->ix.n) {
        rl_feature buf[IX_CHUNK];
        rl_ix_cursor c = {0, 0, 0, 0};
        for (uint32_t n; (n = rl_interactions_next(&p->ix, ex, p->mask, &c, buf, IX_CHUNK));)
            z = sum1(p, buf, n, z);
    }
    if (dense_counts(p, ex))
        for (uint32_t j = 0; j < p->dd; j++)
            z += p->dense_w[j] *
                 (p->dense_scale ? clip(ex->dense[j], p->dense_scale[j]) : ex->dense[j]);
    z += p->bias[0] * clip(1.0f, p->bias_scale);
    return (double)z * p->score_scale[0];
}

static void sum_k(const rl_predictor *p, const rl_feature *f, uint32_t n, double *z)
{
    const uint32_t m = p->mask, k = p->k;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t e = entry_of(p, f[i].index & m);
        float x = p->scale ? clip(f[i].value, p->scale[e]) : f[i].value;
        const float *w = p->w + (size_t)e * k;
        for (uint32_t r = 0; r < k; r++)
            z[r] += (double)w[r] * x;
    }
}

/* k rows (softmax): exact float products summed in double per class. */
static void score_k(const rl_predictor *p, const rl_example *ex, double *z)
{
    const uint32_t k = p->k;
    memset(z, 0, k * sizeof(double));
    sum_k(p, ex->feats, ex->n_feats, z);
    if (p->ix.n) {
        rl_feature buf[IX_CHUNK];
        rl_ix_cursor c = {0, 0, 0, 0};
        for (uint32_t n; (n = rl_interactions_next(&p->ix, ex, p->mask, &c, buf, IX_CHUNK));)
            sum_k(p, buf, n, z);
    }
    if (dense_counts(p, ex))
        for (uint32_t j = 0; j < p->dd; j++) {
            float x = p->dense_scale ? clip(ex->dense[j], p->dense_scale[j]) : ex->dense[j];
            for (uint32_t r = 0; r < k; r++)
                z[r] += (double)p->dense_w[(size_t)j * k + r] * x;
        }
    float xb = clip(1.0f, p->bias_scale);
    for (uint32_t r = 0; r < k; r++)
        z[r] += (double)p->bias[r] * xb;
}

void rl_predictor_predict_rows(const rl_predictor *p, const rl_example *ex, rl_pred *out,
                               double *scores, double *probs)
{
    if (p->task != RL_TASK_MULTICLASS) {
        rl_loss_fill_pred(p->link, score1(p, ex), out);
        if (scores)
            scores[0] = out->score;
        if (probs)
            probs[0] = out->prob;
        return;
    }
    double z[RL_CLASSES_MAX], pr[RL_CLASSES_MAX];
    score_k(p, ex, z);
    rl_softmax_fill_pred(z, p->k, pr, out);
    if (scores)
        memcpy(scores, z, p->k * sizeof(double));
    if (probs)
        memcpy(probs, pr, p->k * sizeof(double));
}

void rl_predictor_predict(const rl_predictor *p, const rl_example *ex, rl_pred *out)
{
    rl_predictor_predict_rows(p, ex, out, NULL, NULL);
}

/* One term as the row's sum adds it, scaled to score units. */
static double term(const rl_predictor *p, float w, float x, float n, uint32_t row)
{
    float xc = clip(x, n);
    if (p->task == RL_TASK_MULTICLASS)
        return (double)w * xc;
    return (double)(w * xc) * p->score_scale[row];
}

size_t rl_predictor_contrib(const rl_predictor *p, const rl_example *ex, uint32_t row,
                            double *contrib, size_t cap)
{
    size_t n = 0;
    if (row >= p->k)
        return 0;
    rl_feature buf[IX_CHUNK];
    rl_ix_cursor c = {0, 0, 0, 0};
    const rl_feature *f = ex->feats;
    uint32_t nf = ex->n_feats;
    for (;;) {
        for (uint32_t i = 0; i < nf && n < cap; i++) {
            uint32_t e = entry_of(p, f[i].index & p->mask);
            contrib[n++] = term(p, p->w[(size_t)e * p->k + row], f[i].value,
                                p->scale ? p->scale[e] : 0.0f, row);
        }
        if (!p->ix.n || n >= cap ||
            !(nf = rl_interactions_next(&p->ix, ex, p->mask, &c, buf, IX_CHUNK)))
            break;
        f = buf;
    }
    if (dense_counts(p, ex))
        for (uint32_t j = 0; j < p->dd && n < cap; j++)
            contrib[n++] = term(p, p->dense_w[(size_t)j * p->k + row], ex->dense[j],
                                p->dense_scale ? p->dense_scale[j] : 0.0f, row);
    if (n < cap)
        contrib[n++] = term(p, p->bias[row], 1.0f, p->bias_scale, row);
    return n;
}
