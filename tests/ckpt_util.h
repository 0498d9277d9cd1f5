/* ckpt_util.h - helpers shared by the checkpoint, snapshot and CLI tests: deterministic models
 * and streams for every learner kind. Header-only (static), included by test files only. */
#ifndef RL_TEST_CKPT_UTIL_H
#define RL_TEST_CKPT_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "storage/ckpt.h"
#include "model/model.h"

#define TU_FEATS 8

typedef struct tu_stream {
    uint64_t rng;
    uint32_t bits;
    rl_task task;
    uint32_t n_classes;
    uint32_t dense_dim;
    uint64_t drift_at; /* the concept flips at this example */
    uint64_t i;
    rl_feature feats[TU_FEATS];
    float dense[4];
} tu_stream;

static inline uint64_t tu_next(tu_stream *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 0x2545F4914F6CDD1Dull;
}

static inline double tu_u01(tu_stream *s)
{
    return (double)(tu_next(s) >> 11) / 9007199254740992.0;
}

static inline void tu_stream_init(tu_stream *s, uint64_t seed, const rl_learner *l,
                                  uint64_t drift_at)
{
    memset(s, 0, sizeof(*s));
    s->rng = seed * 0x9E3779B97F4A7C15ull + 1;
    s->bits = l->params.bits;
    s->task = l->task;
    s->n_classes = l->params.n_classes;
    s->dense_dim = l->params.dense_dim;
    s->drift_at = drift_at;
}

/* Next example: sparse features drawn from a small skewed vocabulary so weights repeat; the
 * label follows a fixed hidden rule on the feature ids, inverted after drift_at. */
static inline void tu_example(tu_stream *s, rl_example *ex, uint32_t *ids)
{
    double score = 0;
    uint32_t mask = (1u << s->bits) - 1;
    for (int k = 0; k < TU_FEATS; k++) {
        double u = tu_u01(s);
        uint32_t id = (uint32_t)(u * u * 200.0); /* skewed: low ids frequent */
        if (ids)
            ids[k] = id;
        s->feats[k].index = (id * 2654435761u) & mask;
        s->feats[k].value = (float)(0.5 + tu_u01(s));
        score += ((id % 3 == 0) ? 1.0 : -0.7) * s->feats[k].value;
    }
    for (uint32_t d = 0; d < s->dense_dim && d < 4; d++)
        s->dense[d] = (float)(tu_u01(s) - 0.5);
    if (s->i >= s->drift_at)
        score = -score;
    memset(ex, 0, sizeof(*ex));
    ex->feats = s->feats;
    ex->n_feats = TU_FEATS;
    ex->weight = 1;
    if (s->dense_dim) {
        ex->dense = s->dense;
        ex->n_dense = s->dense_dim;
    }
    switch (s->task) {
    case RL_TASK_BINARY:
        ex->label = score + 0.3 * (tu_u01(s) - 0.5) > 0 ? 1.0f : 0.0f;
        break;
    case RL_TASK_REGRESSION:
        ex->label = (float)fabs(score * 0.5 + tu_u01(s) * 0.1);
        break;
    case RL_TASK_MULTICLASS:
        ex->label = (float)((uint32_t)fabs(score * 1.7) % (s->n_classes ? s->n_classes : 2));
        break;
    }
    s->i++;
}

static inline int tu_same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static inline int tu_same_pred(const rl_pred *a, const rl_pred *b)
{
    return tu_same_double(a->score, b->score) && tu_same_double(a->value, b->value) &&
           tu_same_double(a->prob, b->prob) && tu_same_double(a->prob_true, b->prob_true) &&
           a->cls == b->cls;
}

/* Config for learner kind `learner` (with loss for sgd), optional detector and response. */
static inline void tu_config(rl_model_config *c, const char *learner, const char *loss,
                             const char *detector, rl_response response, uint32_t bits)
{
    char err[256];
    rl_model_config_default(c);
    snprintf(c->learner.learner, sizeof(c->learner.learner), "%s", learner);
    c->learner.bits = bits;
    if (strcmp(learner, "softmax") == 0)
        c->learner.n_classes = 3;
    if (loss)
        rl_learner_params_set(&c->learner, "loss", loss, err, sizeof(err));
    c->hash_seed = 42;
    if (detector) {
        snprintf(c->detector, sizeof(c->detector), "%s", detector);
        c->response = response;
        c->alert_min_gap = 50;
        c->boost_halflife = 100;
    }
    c->metrics_window = 100;
}

/* 1 when a and b export the same three state blobs, byte for byte. */
static inline int tu_same_export(const rl_model *a, const rl_model *b)
{
    rl_buf x[3], y[3];
    for (int k = 0; k < 3; k++) {
        rl_buf_init(&x[k]);
        rl_buf_init(&y[k]);
    }
    int same = rl_model_export(a, &x[0], &x[1], &x[2]) == RL_OK &&
               rl_model_export(b, &y[0], &y[1], &y[2]) == RL_OK;
    for (int k = 0; k < 3; k++) {
        same = same && !x[k].failed && !y[k].failed && x[k].len == y[k].len &&
               (x[k].len == 0 || memcmp(x[k].data, y[k].data, x[k].len) == 0);
        rl_buf_free(&x[k]);
        rl_buf_free(&y[k]);
    }
    return same;
}

/* Loads the checkpoint at path streamed (rl_ckpt_load_model, what relearnd starts with) and
 * buffered (rl_ckpt_read_file + rl_ckpt_to_model): 1 when they agree, both refusing it with the
 * same error code or both giving a model with the same state bit for bit; else 0, with what
 * each said in msg. No cmocka: the fuzz target fuzz_ckpt_load uses it too. */
static inline int tu_streamed_agrees(const char *path, char *msg, size_t msg_size)
{
    char e1[512] = "", e2[512] = "";
    rl_ckpt c1, c2;
    rl_ckpt_init(&c1);
    rl_ckpt_init(&c2);
    rl_model *m1 = NULL, *m2 = NULL;
    rl_err got = rl_ckpt_load_model(path, &c1, NULL, NULL, &m1, NULL, e1, sizeof(e1));
    rl_err want = rl_ckpt_read_file(path, &c2, e2, sizeof(e2));
    if (want == RL_OK)
        want = rl_ckpt_to_model(&c2, NULL, NULL, &m2, e2, sizeof(e2));
    int agree = got == want;
    if (agree && got == RL_OK && !tu_same_export(m1, m2)) {
        agree = 0;
        snprintf(e1, sizeof(e1), "a model whose state differs from the buffered path's");
    }
    if (!agree)
        snprintf(msg, msg_size, "%s: streamed %s (%s), buffered %s (%s)", path, rl_err_str(got), e1,
                 rl_err_str(want), e2);
    rl_model_destroy(m1);
    rl_model_destroy(m2);
    rl_ckpt_clear(&c1);
    rl_ckpt_clear(&c2);
    return agree;
}

#ifdef assert_memory_equal /* cmocka's: only test programs get it (not make_corpus.c) */
/* Writes exactly n bytes of p to path (replacing it): damaged copies of good files. */
static inline void tu_write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The two models export the same learner, detector and rest state, byte for byte. */
static inline void tu_assert_same_state(const rl_model *a, const rl_model *b)
{
    rl_buf la, da, ra, lb, db, rb;
    rl_buf_init(&la);
    rl_buf_init(&da);
    rl_buf_init(&ra);
    rl_buf_init(&lb);
    rl_buf_init(&db);
    rl_buf_init(&rb);
    assert_int_equal(rl_model_export(a, &la, &da, &ra), RL_OK);
    assert_int_equal(rl_model_export(b, &lb, &db, &rb), RL_OK);
    assert_int_equal(la.len, lb.len);
    assert_int_equal(da.len, db.len);
    assert_int_equal(ra.len, rb.len);
    assert_memory_equal(la.data, lb.data, la.len);
    if (da.len)
        assert_memory_equal(da.data, db.data, da.len);
    assert_memory_equal(ra.data, rb.data, ra.len);
    rl_buf_free(&la);
    rl_buf_free(&da);
    rl_buf_free(&ra);
    rl_buf_free(&lb);
    rl_buf_free(&db);
    rl_buf_free(&rb);
}
#endif

#endif
