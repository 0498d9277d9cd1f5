/* model_stream.h - what the model tests share: a drifting synthetic stream, an alert recorder,
 * a base configuration and a model made from it. */
#ifndef RL_TEST_MODEL_STREAM_H
#define RL_TEST_MODEL_STREAM_H

/* Each test file uses some of these helpers: the others must not warn. */
#define RL_TEST_UNUSED __attribute__((unused))

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learners/features.h"
#include "model/metrics.h"
#include "tests/model_util.h"
#include "model/model.h"

/* ---- the model on synthetic streams ---- */

#define MAX_ALERTS 4096

typedef struct rec {
    uint64_t position;
    rl_drift_state level;
    char response[32];
    char source[64];
    uint64_t suppressed;
    double statistic, recent_loss, challenger_loss;
    int64_t offset;
    /* observations made inside the callback */
    uint64_t learner_updates;
    double lr_scale;
} rec;

typedef struct ctx {
    rl_model *m;
    rec alerts[MAX_ALERTS];
    size_t n;
} ctx;

static RL_TEST_UNUSED void on_alert(void *opaque, const rl_alert *a)
{
    ctx *c = opaque;
    assert_true(c->n < MAX_ALERTS);
    rec *r = &c->alerts[c->n++];
    memset(r, 0, sizeof(*r));
    r->position = a->position;
    r->level = a->level;
    snprintf(r->response, sizeof(r->response), "%s", a->response);
    snprintf(r->source, sizeof(r->source), "%s", a->source);
    r->suppressed = a->suppressed;
    r->statistic = a->statistic;
    r->recent_loss = a->recent_loss;
    r->challenger_loss = a->challenger_loss;
    r->offset = a->pos.offset;
    assert_non_null(a->detector);
    assert_non_null(a->statistic_name);
    if (c->m) {
        r->learner_updates = rl_model_learner_c(c->m)->updates;
        r->lr_scale = rl_model_learner_c(c->m)->lr_scale;
    }
}

/* One example of a two-feature stream: label = [u1 > u2], flipped after `flip_at` (abrupt
 * concept drift), with label noise `noise` (or `noise2` after noise_at). */
typedef struct stream {
    uint64_t flip_at;
    double noise, noise2;
    uint64_t noise_at;
    uint64_t i;
    rl_feature f[3];
    uint32_t n_feats;
} stream;

static RL_TEST_UNUSED void stream_next(stream *s, rl_example *ex)
{
    double u1 = rng_u01(), u2 = rng_u01();
    s->i++;
    int y = u1 > u2;
    if (s->flip_at && s->i > s->flip_at)
        y = !y;
    double noise = s->noise_at && s->i > s->noise_at ? s->noise2 : s->noise;
    if (rng_u01() < noise)
        y = !y;
    s->f[0] = (rl_feature){1, (float)u1};
    s->f[1] = (rl_feature){2, (float)u2};
    s->n_feats = 2;
    memset(ex, 0, sizeof(*ex));
    ex->label = (float)y;
    ex->weight = 1;
    ex->feats = s->f;
    ex->n_feats = s->n_feats;
}

/* Steps m through the next n examples of s. */
static RL_TEST_UNUSED void feed(rl_model *m, stream *s, int n)
{
    for (int i = 0; i < n; i++) {
        rl_example ex;
        stream_next(s, &ex);
        rl_model_step(m, &ex, NULL, NULL);
    }
}

static RL_TEST_UNUSED void cfg_base(rl_model_config *c, rl_response r)
{
    char err[256];
    rl_model_config_default(c);
    c->learner.bits = 10;
    assert_int_equal(rl_model_config_set_drift(c, "detector", "ddm", err, sizeof(err)), RL_OK);
    c->response = r;
}

static RL_TEST_UNUSED rl_model *model_new(const rl_model_config *c, ctx *cx)
{
    rl_model *m = NULL;
    char err[256] = "";
    rl_err e = rl_model_new(c, cx ? on_alert : NULL, cx, &m, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("rl_model_new: %s: %s", rl_err_str(e), err);
    if (cx)
        cx->m = m;
    return m;
}

static RL_TEST_UNUSED const rec *find_alert(const ctx *c, rl_drift_state level,
                                            const char *response, uint64_t after)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->alerts[i].level == level && c->alerts[i].position > after &&
            (!response || strcmp(c->alerts[i].response, response) == 0))
            return &c->alerts[i];
    return NULL;
}

#endif
