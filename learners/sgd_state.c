/* sgd_state.c - the sgd engine's state as bytes (export, import, streamed import) and as
 * weights (the views snapshots publish and score with, and set_weights from them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/sgd_int.h"

static size_t state_floats(const sgd *s)
{
    return (sgd_n_sparse(s) + s->dd + 1) * s->stride;
}

rl_err rl_sgd_export(const rl_learner *l, rl_buf *out)
{
    const sgd *s = (const sgd *)l;
    rl_learner_state_put_header(out, l, (enum rl_learner_kind)s->kind, 1);
    rl_buf_put_f64(out, s->t);
    rl_buf_put_f64(out, s->sum_norm_x);
    rl_buf_put_f64(out, s->total_weight);
    rl_buf_put_f64(out, s->pscale);
    rl_buf_put_f32s(out, s->ws, sgd_n_sparse(s) * s->stride);
    if (s->dd)
        rl_buf_put_f32s(out, s->dws, (size_t)s->dd * s->stride);
    rl_buf_put_f32s(out, s->bws, s->stride);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

/* The header and the four counters that open a state (r positioned after them), checked
 * against s before anything of s changes; need: the bytes p must hold after the header. */
static rl_err open_state(sgd *s, rl_cursor *r, const void *p, size_t len, size_t need, double c[4],
                         uint64_t *updates, char *errstr, size_t errstr_size)
{
    const rl_learner *l = &s->base;
    rl_err err = rl_learner_state_open(r, p, len, l, (enum rl_learner_kind)s->kind, 1, need,
                                       updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    for (int i = 0; i < 4; i++)
        c[i] = rl_cursor_f64(r);
    if (!(c[0] >= 0) || !(c[1] >= 0) || !(c[2] >= 0) || !(c[3] > 0) ||
        !isfinite(c[0] + c[1] + c[2] + c[3]))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s state: invalid counters (t=%g sum_norm_x=%g total_weight=%g "
                          "scale=%g)",
                          l->ops->name, c[0], c[1], c[2], c[3]);
    return RL_OK;
}

static void set_counters(sgd *s, const double c[4], uint64_t updates)
{
    s->t = c[0];
    s->sum_norm_x = c[1];
    s->total_weight = c[2];
    s->pscale = c[3];
    s->base.updates = updates;
}

static size_t state_len(const sgd *s)
{
    return RL_LEARNER_STATE_HEADER_LEN + 4 * 8 + state_floats(s) * sizeof(float);
}

rl_err rl_sgd_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    sgd *s = (sgd *)l;
    rl_cursor r;
    uint64_t updates;
    double c[4];
    rl_err err = open_state(s, &r, p, len, state_len(s) - RL_LEARNER_STATE_HEADER_LEN, c, &updates,
                            errstr, errstr_size);
    if (err != RL_OK)
        return err;
    set_counters(s, c, updates);
    rl_cursor_f32s(&r, s->ws, sgd_n_sparse(s) * s->stride);
    if (s->dd)
        rl_cursor_f32s(&r, s->dws, (size_t)s->dd * s->stride);
    rl_cursor_f32s(&r, s->bws, s->stride);
    return RL_OK;
}

/* The sparse state, the bulk of it, is read from src straight into ws: its bytes are
 * little-endian floats, which on a little-endian host is ws's own layout. */
rl_err rl_sgd_import_from(rl_learner *l, const rl_byte_stream *src, size_t len, char *errstr,
                          size_t errstr_size)
{
    sgd *s = (sgd *)l;
    uint8_t head[RL_LEARNER_STATE_HEADER_LEN + 4 * 8];
    size_t bulk = sgd_n_sparse(s) * s->stride * sizeof(float);
    size_t tail = ((size_t)s->dd + 1) * s->stride * sizeof(float);
    rl_cursor r;
    uint64_t updates;
    double c[4];
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    bulk = 0; /* byte order differs: everything goes through rl_cursor below */
    tail = state_len(s) - sizeof(head);
#endif
    if (len != state_len(s))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s state: %zu bytes, expected %zu for bits=%u dense_dim=%u",
                          l->ops->name, len, state_len(s), l->params.bits, l->params.dense_dim);
    rl_err err = src->read(src->ctx, head, sizeof(head), errstr, errstr_size);
    if (err != RL_OK)
        return err;
    err = open_state(s, &r, head, sizeof(head), 4 * 8, c, &updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (bulk && (err = src->read(src->ctx, s->ws, bulk, errstr, errstr_size)) != RL_OK)
        return err;
    uint8_t *rest = malloc(tail);
    if (!rest)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s state: out of memory",
                          l->ops->name);
    err = src->read(src->ctx, rest, tail, errstr, errstr_size);
    if (err == RL_OK) {
        rl_cursor_init(&r, rest, tail);
        if (!bulk)
            rl_cursor_f32s(&r, s->ws, sgd_n_sparse(s) * s->stride);
        if (s->dd)
            rl_cursor_f32s(&r, s->dws, (size_t)s->dd * s->stride);
        rl_cursor_f32s(&r, s->bws, s->stride);
        set_counters(s, c, updates);
    }
    free(rest);
    return err;
}

void rl_sgd_weights(const rl_learner *l, rl_weights *out)
{
    const sgd *s = (const sgd *)l;
    out->n_sparse = sgd_n_sparse(s);
    out->dense_dim = s->dd;
    out->n_rows = 1;
    if (!s->view) {
        out->w = s->ws;
        out->dense = s->dws;
        out->bias = s->bws;
        return;
    }
    /* view is a cache owned by the learner: filling it does not change the model. */
    float *v = s->view, f = (float)s->pscale;
    size_t n = sgd_n_sparse(s), st = s->stride;
    for (size_t i = 0; i < n; i++)
        v[i] = s->ws[i * st] * f;
    for (size_t j = 0; j < s->dd; j++)
        v[n + j] = s->dws[j * st] * f;
    v[n + s->dd] = s->bws[0] * f;
    rl_learner_weights_view(out, v, n, s->dd);
}

void rl_sgd_scoring(const rl_learner *l, rl_scoring *out)
{
    const sgd *s = (const sgd *)l;
    if (l->params.schedule == RL_SCHED_PEGASOS) {
        /* score() sums the unscaled floats and multiplies by pscale in double: publish both. */
        out->w.w = s->ws;
        out->w.n_sparse = sgd_n_sparse(s);
        out->w.dense = s->dws;
        out->w.dense_dim = s->dd;
        out->w.bias = s->bws;
        out->w.n_rows = 1;
        out->score_scale = s->pscale;
        return;
    }
    rl_sgd_weights(l, &out->w);
    if (s->stride == 4) {
        /* Normalized: score() clips each value to its coordinate's scale N, never the bias. */
        out->scale_sparse = s->ws + 2;
        out->scale_dense = s->dws ? s->dws + 2 : NULL;
        out->scale_stride = 4;
    }
}

rl_err rl_sgd_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    sgd *s = (sgd *)l;
    rl_err err = rl_learner_weights_check(l, w, 1, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    rl_sgd_clear(s);
    size_t n = sgd_n_sparse(s), st = s->stride;
    for (size_t i = 0; i < n; i++)
        s->ws[i * st] = w->w[i];
    for (size_t j = 0; j < s->dd; j++)
        s->dws[j * st] = w->dense[j];
    s->bws[0] = w->bias[0];
    /* Pegasos at t = 0 decays the weights by (1 - 1/1) = 0 on the first step: the algorithm
     * ignores its start. From published weights resume where its step is eta instead,
     * 1 / (l2 t) = eta, so they decay gently. */
    if (l->params.schedule == RL_SCHED_PEGASOS)
        s->t = 1.0 / (l->params.l2 * l->params.eta);
    return RL_OK;
}
