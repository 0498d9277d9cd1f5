/* snapshot_rows.c - a WeightRow's two codings (dense, or delta-coded sparse slots), and the
 * clip scales that travel in one (Snapshot.scales, format 2): docs/FORMAT.md section 2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/snapshot_rows.h"

static size_t varint_len(uint32_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A float is "absent" from a sparse row only when it is +0.0 exactly, so that decoding gives
 * back the very same bits (-0.0 is kept). */
static int is_zero(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u == 0;
}

/* Fills one WeightRow, sparse when that is smaller than 4 bytes per slot. */
rl_err rl_snap_row_to_pb(const float *w, uint64_t n, Relearn__WeightRow *r, char *errstr,
                         size_t errstr_size)
{
    uint64_t nnz = 0, sparse_bytes = 0;
    uint32_t prev = 0;
    for (uint64_t i = 0; i < n && sparse_bytes < 4 * n; i++) {
        /* (stops as soon as sparse can no longer win) */
        if (is_zero(w[i]))
            continue;
        uint32_t delta = nnz ? (uint32_t)i - prev : (uint32_t)i;
        sparse_bytes += varint_len(delta) + 4;
        prev = (uint32_t)i;
        nnz++;
    }
    if (sparse_bytes >= 4 * n) {
        r->n_dense_weights = n;
        r->dense_weights = (float *)w;
        return RL_OK;
    }
    if (nnz == 0)
        return RL_OK; /* all zero: no slots at all */
    r->sparse_delta = malloc(nnz * sizeof(uint32_t));
    r->sparse_values = malloc(nnz * sizeof(float));
    if (!r->sparse_delta || !r->sparse_values) {
        free(r->sparse_delta);
        free(r->sparse_values);
        r->sparse_delta = NULL;
        r->sparse_values = NULL;
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot row: out of memory");
    }
    uint64_t k = 0;
    prev = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (is_zero(w[i]))
            continue;
        r->sparse_delta[k] = k ? (uint32_t)i - prev : (uint32_t)i;
        r->sparse_values[k] = w[i];
        prev = (uint32_t)i;
        k++;
    }
    r->n_sparse_delta = nnz;
    r->n_sparse_values = nnz;
    return RL_OK;
}

/* Reads a strided scale (NULL: 0, no clipping). */
static float scale_at(const float *base, size_t stride, size_t i)
{
    return base ? base[i * stride] : 0.0f;
}

/* The clip scales of a normalized learner, as Snapshot.scales: one per coordinate, kept only
 * where some row's weight is not zero (elsewhere the term is 0 whatever the scale), so the
 * scales are as sparse as the weights. */
rl_err rl_snap_scales_to_pb(const rl_scoring *sc, Relearn__WeightRow *out, float **bufp,
                            char *errstr, size_t errstr_size)
{
    const rl_weights *w = &sc->w;
    size_t n = w->n_sparse, dd = w->dense_dim;
    float *buf = *bufp = calloc(n + dd + 1, sizeof(float));
    if (!buf)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot scales: out of memory");
    for (size_t i = 0; i < n; i++)
        for (uint32_t r = 0; r < w->n_rows; r++)
            if (w->w[(size_t)r * n + i] != 0.0f) {
                buf[i] = scale_at(sc->scale_sparse, sc->scale_stride, i);
                break;
            }
    for (size_t j = 0; j < dd; j++)
        buf[n + j] = scale_at(sc->scale_dense, sc->scale_stride, j);
    relearn__weight_row__init(out);
    out->has_bias = 1;
    out->bias = scale_at(sc->scale_bias, sc->scale_stride, 0);
    if (dd) {
        out->n_dense_block = dd;
        out->dense_block = buf + n;
    }
    return rl_snap_row_to_pb(buf, n, out, errstr, errstr_size);
}

rl_err rl_snap_row_from_pb(Relearn__WeightRow *in, uint32_t r, uint64_t n_sparse,
                           uint32_t dense_dim, rl_snapshot_row *out, char *errstr,
                           size_t errstr_size)
{
    out->bias = in->has_bias ? in->bias : 0.0f;
    out->score_scale = in->has_score_scale ? in->score_scale : 1.0;
    if (!(out->score_scale > 0) || !isfinite(out->score_scale))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "row %u: score_scale %g (must be finite and > 0)", r, out->score_scale);
    if (in->n_dense_weights && in->n_sparse_delta)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "row %u: both dense and sparse weights", r);
    if (in->n_dense_weights) {
        if (in->n_dense_weights != n_sparse)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "row %u: %zu dense weights, expected 2^bits = %llu", r,
                              in->n_dense_weights, (unsigned long long)n_sparse);
        out->w = in->dense_weights;
        in->dense_weights = NULL;
        in->n_dense_weights = 0;
    } else {
        if (in->n_sparse_delta != in->n_sparse_values)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "row %u: %zu sparse indices but %zu values", r, in->n_sparse_delta,
                              in->n_sparse_values);
        uint64_t idx = 0;
        for (size_t i = 0; i < in->n_sparse_delta; i++) {
            uint32_t d = in->sparse_delta[i];
            if (i > 0 && d == 0)
                return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                                  "row %u: sparse index %zu repeats the previous one", r, i);
            idx = i ? idx + d : d;
            if (idx >= n_sparse)
                return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                                  "row %u: sparse index %llu outside 2^bits = %llu", r,
                                  (unsigned long long)idx, (unsigned long long)n_sparse);
            in->sparse_delta[i] = (uint32_t)idx; /* in place: deltas become indices */
        }
        out->nnz = in->n_sparse_delta;
        out->idx = in->sparse_delta;
        out->val = in->sparse_values;
        in->sparse_delta = NULL;
        in->sparse_values = NULL;
        in->n_sparse_delta = in->n_sparse_values = 0;
    }
    if (in->n_dense_block != dense_dim)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "row %u: dense block of %zu weights, expected dense_dim = %u", r,
                          in->n_dense_block, dense_dim);
    if (dense_dim) {
        out->dense_block = in->dense_block;
        in->dense_block = NULL;
        in->n_dense_block = 0;
    }
    return RL_OK;
}

/* Snapshot.scales: a WeightRow of clip scales, each finite and >= 0 (format 2 only). */
rl_err rl_snap_scales_from_pb(Relearn__WeightRow *in, rl_snapshot *s, char *errstr,
                              size_t errstr_size)
{
    char sub[200];
    if (s->format_version < 2)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "snapshot format 1 with a format-2 field (scales)");
    if (in->has_score_scale)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "snapshot scales: a score_scale");
    s->scales = calloc(1, sizeof(*s->scales));
    if (!s->scales)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
    rl_err e = rl_snap_row_from_pb(in, 0, s->n_sparse, s->dense_dim, s->scales, sub, sizeof(sub));
    if (e != RL_OK)
        return rl_set_err(errstr, errstr_size, e, "snapshot scales: %s", sub);
    const rl_snapshot_row *c = s->scales;
    int ok = c->bias >= 0 && isfinite(c->bias);
    for (uint64_t i = 0; c->w && i < s->n_sparse; i++)
        ok &= c->w[i] >= 0 && isfinite(c->w[i]);
    for (uint64_t i = 0; i < c->nnz; i++)
        ok &= c->val[i] >= 0 && isfinite(c->val[i]);
    for (uint32_t j = 0; j < s->dense_dim; j++)
        ok &= c->dense_block[j] >= 0 && isfinite(c->dense_block[j]);
    if (!ok)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "snapshot scales: a scale that is negative, NaN or infinite");
    return RL_OK;
}
