/* ckpt_util.h - helpers shared by the checkpoint, snapshot and CLI tests: deterministic models
 * and streams for every learner kind. Header-only (static), included by test files only. */
#ifndef RL_TEST_CKPT_UTIL_H
#define RL_TEST_CKPT_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

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
