/* relearn_predict.c - scoring and explaining events with an open model.
 *
 * An event's features are hashed into a stack array (no allocation: the limit is
 * RELEARN_MAX_FEATURES) and scored by the snapshot's scorer. Everything here only reads the
 * model, so any number of threads score with one model at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event_codec.h"
#include "model_int.h"

static relearn_err hash_event(const relearn_model *m, const relearn_event *ev, rl_feature *feats,
                              rl_example *ex)
{
    const rl_hasher *h = &m->hasher;
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
    }
    for (size_t j = 0; ev->dense && j < ev->n_dense; j++)
        if (!(fabsf(ev->dense[j]) <= RL_FEATURE_VALUE_MAX))
            return RELEARN_ERR_BAD_EVENT;
    memset(ex, 0, sizeof(*ex));
    ex->weight = 1.0f;
    ex->feats = feats;
    ex->n_feats = (uint32_t)ev->n_features;
    ex->dense = ev->dense;
    ex->n_dense = (uint32_t)ev->n_dense;
    return RELEARN_OK;
}

/* Class probabilities of a softmax model, in the learner's own arithmetic (softmax.c: double
 * sums of float weight times float value, in feature order, then dense, then bias). */
static void class_probs(const relearn_model *m, const rl_example *ex, double *p)
{
    const rl_weights *w = &m->wv;
    const uint32_t k = w->n_rows, mask = m->hasher.mask;
    double zmax = -INFINITY, sum = 0;
    for (uint32_t c = 0; c < k; c++) {
        const float *row = w->w + (size_t)c * w->n_sparse;
        double z = 0;
        for (uint32_t i = 0; i < ex->n_feats; i++)
            z += (double)row[ex->feats[i].index & mask] * ex->feats[i].value;
        if (ex->dense && w->dense_dim)
            for (uint32_t j = 0; j < w->dense_dim; j++)
                z += (double)w->dense[(size_t)c * w->dense_dim + j] * ex->dense[j];
        if (m->snap.learner.bias)
            z += (double)w->bias[c] * 1.0f;
        p[c] = z;
        if (z > zmax)
            zmax = z;
    }
    for (uint32_t c = 0; c < k; c++) {
        p[c] = exp(p[c] - zmax);
        sum += p[c];
    }
    for (uint32_t c = 0; c < k; c++)
        p[c] /= sum;
}

static void score_example(const relearn_model *m, const rl_example *ex, relearn_prediction *out,
                          double *probs)
{
    rl_pred p;
    rl_learner_predict(m->learner, ex, &p);
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
    if (probs && m->output == RELEARN_OUT_CLASSES)
        class_probs(m, ex, probs);
}

relearn_err relearn_predict(const relearn_model *m, const relearn_event *ev,
                            relearn_prediction *out, double *probs)
{
    rl_feature feats[RELEARN_MAX_FEATURES];
    rl_example ex;
    if (!m || !ev || !out)
        return RELEARN_ERR_INVALID_ARG;
    relearn_err e = hash_event(m, ev, feats, &ex);
    if (e != RELEARN_OK)
        return e;
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
    rl_example ex;
    relearn_prediction p;
    relearn_contribution t;
    if (!m || !ev || !out || !n_out || k == 0)
        return RELEARN_ERR_INVALID_ARG;
    *n_out = 0;
    relearn_err e = hash_event(m, ev, feats, &ex);
    if (e != RELEARN_OK)
        return e;
    score_example(m, &ex, &p, NULL);
    if (pred)
        *pred = p;
    const rl_weights *w = &m->wv;
    const uint32_t row = m->output == RELEARN_OUT_CLASSES && p.cls > 0 ? (uint32_t)p.cls : 0;
    const float *wr = w->w + (size_t)row * w->n_sparse;
    for (uint32_t i = 0; i < ex.n_feats; i++) {
        const relearn_feature *f = &ev->features[i];
        uint32_t len = 0;
        memset(&t, 0, sizeof(t));
        t.kind = RELEARN_TERM_FEATURE;
        t.slot = feats[i].index;
        if (f->name) {
            t.name = f->name;
            t.name_len = f->name_len;
        } else if (m->snap.dict && (t.name = rl_dict_lookup(m->snap.dict, t.slot, &len))) {
            t.name_len = len;
        }
        t.value = feats[i].value;
        t.weight = wr[t.slot];
        t.contribution = (double)t.weight * t.value;
        keep_top(out, k, n_out, &t);
    }
    for (uint32_t j = 0; ex.dense && j < w->dense_dim; j++) {
        memset(&t, 0, sizeof(t));
        t.kind = RELEARN_TERM_DENSE;
        t.slot = j;
        t.name = "(dense)";
        t.name_len = 7;
        t.value = ex.dense[j];
        t.weight = w->dense[(size_t)row * w->dense_dim + j];
        t.contribution = (double)t.weight * t.value;
        keep_top(out, k, n_out, &t);
    }
    if (m->snap.learner.bias) {
        memset(&t, 0, sizeof(t));
        t.kind = RELEARN_TERM_BIAS;
        t.name = "(bias)";
        t.name_len = 6;
        t.value = 1.0f;
        t.weight = w->bias[row];
        t.contribution = t.weight;
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
    c.task = m->learner->task;
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
