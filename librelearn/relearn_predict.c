/* relearn_predict.c - scoring and explaining events with an open model.
 *
 * An event's features are hashed into a stack array (no allocation: the limit is
 * RELEARN_MAX_FEATURES) and scored by the snapshot's scorer. Everything here only reads the
 * model, so any number of threads score with one model at once. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "wire/event_codec.h"
#include "learners/interactions.h"
#include "librelearn/model_int.h"
#include "input/reader_int.h"

static relearn_err hash_event(const relearn_model *m, const relearn_event *ev, rl_feature *feats,
                              uint8_t *ns, rl_example *ex)
{
    const rl_hasher *h = &m->hasher;
    const int crosses = m->snap.learner.interactions.n > 0; /* namespaces matter only then */
    if (ev->n_features > RELEARN_MAX_FEATURES || (ev->n_features && !ev->features))
        return RELEARN_ERR_BAD_EVENT;
    if (ev->dense && ev->n_dense != m->snap.dense_dim)
        return RELEARN_ERR_MISMATCH;
    for (size_t i = 0; i < ev->n_features; i++) {
        const relearn_feature *f = &ev->features[i];
        /* The readers' limits: beyond them the learners' float state would overflow. */
        if (!(fabsf(f->value) <= RL_FEATURE_VALUE_MAX))
            return RELEARN_ERR_BAD_EVENT;
        if (f->name)
            feats[i].index = rl_hash_name(h, f->name, f->name_len);
        else
            feats[i].index = f->index <= h->mask ? (uint32_t)f->index : rl_hash_index(h, f->index);
        feats[i].value = f->value;
        if (crosses)
            ns[i] = rl_ns_byte(f->name, f->name ? f->name_len : 0);
    }
    for (size_t j = 0; ev->dense && j < ev->n_dense; j++)
        if (!(fabsf(ev->dense[j]) <= RL_FEATURE_VALUE_MAX))
            return RELEARN_ERR_BAD_EVENT;
    memset(ex, 0, sizeof(*ex));
    ex->weight = 1.0f;
    ex->feats = feats;
    ex->ns = crosses ? ns : NULL;
    ex->n_feats = (uint32_t)ev->n_features;
    ex->dense = ev->dense;
    ex->n_dense = (uint32_t)ev->n_dense;
    return RELEARN_OK;
}

static void score_example(const relearn_model *m, const rl_example *ex, relearn_prediction *out,
                          double *probs)
{
    rl_pred p;
    if (probs && m->output == RELEARN_OUT_CLASSES)
        rl_predictor_predict_rows(m->pred, ex, &p, NULL, probs);
    else
        rl_predictor_predict(m->pred, ex, &p);
    out->score = p.score;
    out->cls = p.cls;
    switch (m->output) {
    case RELEARN_OUT_PROBABILITY:
    case RELEARN_OUT_CLASSES:
        out->output = p.prob;
        break;
    case RELEARN_OUT_MEAN:
        out->output = p.value;
        break;
    case RELEARN_OUT_SCORE:
        out->output = p.score;
        break;
    }
}

/* Events of up to SMALL_EVENT features hash into one-page stack arrays; larger ones take
 * predict_large's frame of RELEARN_MAX_FEATURES. Not one big array for all: a 72 KiB frame is
 * probed page by page on every call (stack-clash protection) and pushes half of L1 out. */
#define SMALL_EVENT 256

static __attribute__((noinline)) relearn_err predict_large(const relearn_model *m,
                                                           const relearn_event *ev,
                                                           relearn_prediction *out, double *probs)
{
    rl_feature feats[RELEARN_MAX_FEATURES];
    uint8_t ns[RELEARN_MAX_FEATURES];
    rl_example ex;
    relearn_err e = hash_event(m, ev, feats, ns, &ex);
    if (e == RELEARN_OK)
        score_example(m, &ex, out, probs);
    return e;
}

relearn_err relearn_predict(const relearn_model *m, const relearn_event *ev,
                            relearn_prediction *out, double *probs)
{
    rl_feature feats[SMALL_EVENT];
    uint8_t ns[SMALL_EVENT];
    rl_example ex;
    if (!m || !ev || !out)
        return RELEARN_ERR_INVALID_ARG;
    if (ev->n_features > SMALL_EVENT)
        return predict_large(m, ev, out, probs);
    relearn_err e = hash_event(m, ev, feats, ns, &ex);
    if (e != RELEARN_OK)
        return e;
    score_example(m, &ex, out, probs);
    return RELEARN_OK;
}

_Static_assert(sizeof(relearn_slot_feature) == sizeof(rl_feature) &&
                   offsetof(relearn_slot_feature, slot) == offsetof(rl_feature, index) &&
                   offsetof(relearn_slot_feature, value) == offsetof(rl_feature, value),
               "relearn_slot_feature is laid out as rl_feature: scored in place");

relearn_err relearn_predict_slots(const relearn_model *m, const relearn_slot_feature *f, size_t n,
                                  const float *dense, size_t n_dense, relearn_prediction *out,
                                  double *probs)
{
    rl_example ex;
    if (!m || (n && !f) || !out)
        return RELEARN_ERR_INVALID_ARG;
    if (n > RELEARN_MAX_FEATURES)
        return RELEARN_ERR_BAD_EVENT;
    if (m->snap.learner.interactions.n > 0 || (dense && n_dense != m->snap.dense_dim))
        return RELEARN_ERR_MISMATCH;
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(f[i].value) <= RL_FEATURE_VALUE_MAX))
            return RELEARN_ERR_BAD_EVENT;
    for (size_t j = 0; dense && j < n_dense; j++)
        if (!(fabsf(dense[j]) <= RL_FEATURE_VALUE_MAX))
            return RELEARN_ERR_BAD_EVENT;
    memset(&ex, 0, sizeof(ex));
    ex.weight = 1.0f;
    ex.feats = (const rl_feature *)(const void *)f;
    ex.n_feats = (uint32_t)n;
    ex.dense = dense;
    ex.n_dense = (uint32_t)n_dense;
    score_example(m, &ex, out, probs);
    return RELEARN_OK;
}

relearn_err relearn_predict_batch(const relearn_model *m, const relearn_event *evs, size_t n,
                                  relearn_prediction *out, double *probs, size_t *n_done)
{
    size_t i;
    relearn_err e = RELEARN_OK;
    for (i = 0; i < n; i++) {
        e = relearn_predict(m, &evs[i], &out[i], probs ? probs + i * m->n_outputs : NULL);
        if (e != RELEARN_OK)
            break;
    }
    if (n_done)
        *n_done = i;
    return e;
}

uint32_t relearn_hash_name(const relearn_model *m, const void *name, size_t len)
{
    return rl_hash_name(&m->hasher, name, len);
}

relearn_err relearn_parse_value(const char *text, size_t len, float *out)
{
    if (!text || !out || rl_parse_f32(text, len, out) != NULL)
        return RELEARN_ERR_BAD_EVENT;
    return RELEARN_OK;
}

uint32_t relearn_hash_index(const relearn_model *m, uint64_t index)
{
    return rl_hash_index(&m->hasher, index);
}

/* Keeps out[0..*n) the terms of largest |contribution|, largest first (insertion: k is small). */
static void keep_top(relearn_contribution *out, size_t k, size_t *n, const relearn_contribution *t)
{
    double a = fabs(t->contribution);
    size_t i = *n < k ? (*n)++ : k;
    if (i == k) {
        if (!(a > fabs(out[k - 1].contribution)))
            return;
        i = k - 1;
    }
    while (i > 0 && a > fabs(out[i - 1].contribution)) {
        out[i] = out[i - 1];
        i--;
    }
    out[i] = *t;
}

relearn_err relearn_explain(const relearn_model *m, const relearn_event *ev, size_t k,
                            relearn_contribution *out, size_t *n_out, relearn_prediction *pred)
{
    rl_feature feats[RELEARN_MAX_FEATURES];
    uint8_t ns[RELEARN_MAX_FEATURES];
    double contrib[RELEARN_MAX_FEATURES + RELEARN_MAX_DENSE + 1];
    rl_example ex;
    relearn_prediction p;
    relearn_contribution t;
    if (!m || !ev || !out || !n_out || k == 0)
        return RELEARN_ERR_INVALID_ARG;
    *n_out = 0;
    if (m->snap.dense_dim > RELEARN_MAX_DENSE)
        return RELEARN_ERR_MISMATCH;
    relearn_err e = hash_event(m, ev, feats, ns, &ex);
    if (e != RELEARN_OK)
        return e;
    score_example(m, &ex, &p, NULL);
    if (pred)
        *pred = p;
    const uint32_t row = m->output == RELEARN_OUT_CLASSES && p.cls > 0 ? (uint32_t)p.cls : 0;
    /* the features' terms, then the crossed features' (interactions), then the dense block's
     * (when it counts), then the bias's; when the crossed ones fill the room, the rest is cut */
    const size_t cap = sizeof(contrib) / sizeof(contrib[0]);
    size_t n = rl_predictor_contrib(m->pred, &ex, row, contrib, cap);
    size_t n_dense =
        ex.dense && m->snap.dense_dim && ex.n_dense == m->snap.dense_dim ? m->snap.dense_dim : 0;
    size_t n_crossed = n < cap ? n - ex.n_feats - n_dense - 1 : n - ex.n_feats;
    if (n == cap)
        n_dense = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&t, 0, sizeof(t));
        t.contribution = contrib[i];
        if (i < ex.n_feats) {
            const relearn_feature *f = &ev->features[i];
            uint32_t len = 0;
            t.kind = RELEARN_TERM_FEATURE;
            t.slot = feats[i].index & m->hasher.mask;
            t.value = feats[i].value;
            if (f->name) {
                t.name = f->name;
                t.name_len = f->name_len;
            } else if (m->snap.dict && (t.name = rl_dict_lookup(m->snap.dict, t.slot, &len))) {
                t.name_len = len;
            }
        } else if (i < ex.n_feats + n_crossed) {
            t.kind = RELEARN_TERM_CROSSED;
            t.value = NAN;
            t.name = "(interaction)";
            t.name_len = 13;
        } else if (i < ex.n_feats + n_crossed + n_dense) {
            t.kind = RELEARN_TERM_DENSE;
            t.slot = (uint32_t)(i - ex.n_feats - n_crossed);
            t.value = ex.dense[t.slot];
            t.name = "(dense)";
            t.name_len = 7;
        } else {
            t.kind = RELEARN_TERM_BIAS;
            t.value = 1.0f;
            t.name = "(bias)";
            t.name_len = 6;
        }
        keep_top(out, k, n_out, &t);
    }
    return RELEARN_OK;
}

relearn_err relearn_predict_protobuf(const relearn_model *m, const void *p, size_t len,
                                     relearn_prediction *out, double *probs, char *errstr,
                                     size_t errstr_size)
{
    /* Field 2 (label), fixed32, 0: appended so an Event without a label (a scoring request
     * has none) decodes; protobuf takes the last value of a field, and 0 is in every task's
     * label domain. */
    static const uint8_t label0[5] = {0x15, 0, 0, 0, 0};
    rl_event_codec_config c;
    rl_event_decoder *d = NULL;
    rl_example ex;
    uint8_t *copy;
    char sub[256];
    if (!m || (!p && len) || !out)
        return RELEARN_ERR_INVALID_ARG;
    if (len > RL_EVENT_MAX_BYTES_DEFAULT)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT,
                                       "event of %zu bytes: more than %u", len,
                                       RL_EVENT_MAX_BYTES_DEFAULT);
    rl_event_codec_config_default(&c);
    c.task = rl_predictor_task(m->pred);
    c.n_classes = m->snap.learner.n_classes;
    c.poisson = m->snap.learner.loss == RL_LOSS_POISSON;
    c.bits = m->snap.learner.bits;
    c.seed = m->snap.hash_seed;
    c.dense_dim = m->snap.dense_dim;
    c.max_features = RELEARN_MAX_FEATURES;
    c.max_bytes = RL_EVENT_MAX_BYTES_DEFAULT + sizeof(label0);
    copy = malloc(len + sizeof(label0));
    if (!copy)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    if (len)
        memcpy(copy, p, len);
    memcpy(copy + len, label0, sizeof(label0));
    rl_err e = rl_event_decoder_new(&c, &d, errstr, errstr_size);
    if (e == RL_OK) {
        rl_event_reason r =
            rl_event_decode(d, copy, len + sizeof(label0), &ex, NULL, sub, sizeof(sub));
        if (r != RL_EVENT_OK)
            e = rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "%s: %s", rl_event_reason_name(r),
                           sub);
        else
            score_example(m, &ex, out, probs);
    }
    rl_event_decoder_destroy(d);
    free(copy);
    return (relearn_err)e;
}
