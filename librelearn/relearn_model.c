/* relearn_model.c - opening a published version: decode, verify, build the scorer; what it is. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "librelearn/model_int.h"
#include "common/rl_common.h"

_Static_assert((int)RELEARN_ERR__COUNT == (int)RL_ERR__COUNT,
               "relearn_err mirrors rl_err value for value");

const char *relearn_err_str(relearn_err err)
{
    return rl_err_str((rl_err)err);
}

const char *relearn_version(void)
{
    return RELEARN_VERSION_STR;
}

/* Decides what predictions mean from the learner itself: a prediction of the empty event says
 * whether the learner is probabilistic. */
static void choose_output(relearn_model *m)
{
    rl_task task = rl_predictor_task(m->pred);
    rl_example ex;
    rl_pred p;
    memset(&ex, 0, sizeof(ex));
    rl_predictor_predict(m->pred, &ex, &p);
    m->n_outputs = 0;
    if (task == RL_TASK_MULTICLASS) {
        m->output = RELEARN_OUT_CLASSES;
        m->n_outputs = rl_predictor_rows(m->pred);
    } else if (task == RL_TASK_BINARY) {
        m->output = isnan(p.prob) ? RELEARN_OUT_SCORE : RELEARN_OUT_PROBABILITY;
    } else {
        m->output = m->snap.learner.loss == RL_LOSS_POISSON ? RELEARN_OUT_MEAN : RELEARN_OUT_SCORE;
    }
}

relearn_err rl_relearn_model_adopt(rl_snapshot *snap, relearn_model **out, char *errstr,
                                   size_t errstr_size)
{
    rl_err e;
    relearn_model *m = calloc(1, sizeof(*m));
    *out = NULL;
    if (!m) {
        rl_snapshot_clear(snap);
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    }
    m->snap = *snap;
    rl_snapshot_init(snap);
    atomic_init(&m->refs, 1);
    rl_hasher_init(&m->hasher, m->snap.learner.bits, m->snap.hash_seed);
    e = rl_predictor_new(&m->snap, &m->pred, errstr, errstr_size);
    if (e != RL_OK) {
        relearn_model_release(m);
        return (relearn_err)e;
    }
    choose_output(m);
    *out = m;
    return RELEARN_OK;
}

relearn_err relearn_model_open_file(const char *path, relearn_model **out, char *errstr,
                                    size_t errstr_size)
{
    rl_snapshot s;
    if (!path || !out)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                       "relearn_model_open_file: path and out are required");
    *out = NULL;
    rl_snapshot_init(&s);
    rl_err e = rl_snapshot_read_file(path, &s, errstr, errstr_size);
    if (e != RL_OK)
        return (relearn_err)e;
    return rl_relearn_model_adopt(&s, out, errstr, errstr_size);
}

relearn_err relearn_model_open_bytes(const void *p, size_t len, relearn_model **out, char *errstr,
                                     size_t errstr_size)
{
    return relearn_model_open_chunks(&p, &len, 1, out, errstr, errstr_size);
}

relearn_err relearn_model_open_chunks(const void *const *msgs, const size_t *lens, size_t n,
                                      relearn_model **out, char *errstr, size_t errstr_size)
{
    rl_snapshot_asm *a = NULL;
    rl_snapshot s;
    rl_buf whole;
    char sub[512];
    int complete = 0;
    rl_err e;
    if (!out || (n && (!msgs || !lens)))
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                       "relearn_model_open: out and the messages are required");
    *out = NULL;
    if (n == 0)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "no snapshot bytes");
    rl_buf_init(&whole);
    rl_snapshot_init(&s);
    e = rl_snapshot_asm_new(0, &a, errstr, errstr_size);
    for (size_t i = 0; e == RL_OK && i < n; i++) {
        if (complete) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "message %zu of %zu: the snapshot was already complete", i + 1, n);
            break;
        }
        e = rl_snapshot_asm_add(a, msgs[i], lens[i], &complete, NULL, &whole, sub, sizeof(sub));
        if (e != RL_OK)
            rl_set_err(errstr, errstr_size, e, "message %zu of %zu: %s", i + 1, n, sub);
    }
    if (e == RL_OK && !complete)
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "incomplete snapshot: %zu message(s) hold only some of its chunks", n);
    if (e == RL_OK)
        e = rl_snapshot_decode(whole.data, whole.len, &s, errstr, errstr_size);
    rl_snapshot_asm_destroy(a);
    rl_buf_free(&whole);
    if (e != RL_OK)
        return (relearn_err)e;
    return rl_relearn_model_adopt(&s, out, errstr, errstr_size);
}

relearn_model *relearn_model_ref(relearn_model *m)
{
    if (m)
        atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void relearn_model_release(relearn_model *m)
{
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    rl_predictor_destroy(m->pred);
    rl_snapshot_clear(&m->snap);
    free(m);
}

static const char *output_name(enum relearn_output o)
{
    switch (o) {
    case RELEARN_OUT_PROBABILITY:
        return "probability";
    case RELEARN_OUT_MEAN:
        return "mean";
    case RELEARN_OUT_CLASSES:
        return "class_probabilities";
    case RELEARN_OUT_SCORE:
        break;
    }
    return "score";
}

void relearn_model_info(const relearn_model *m, relearn_info *o)
{
    const rl_snapshot *s = &m->snap;
    memset(o, 0, sizeof(*o));
    o->model_name = s->model_name;
    o->instance_id = s->instance_id;
    o->version = s->version;
    o->parent_version = s->parent_version;
    o->created_ms = s->created_ms;
    o->events = s->events;
    o->learner = s->learner.learner;
    o->loss = rl_loss_name(s->learner.loss);
    o->task = rl_task_name(rl_predictor_task(m->pred));
    o->output = output_name(m->output);
    o->n_outputs = m->n_outputs;
    o->bits = s->learner.bits;
    o->hash_seed = s->hash_seed;
    o->dense_dim = s->dense_dim;
    o->n_ranges = (uint32_t)s->n_ranges;
    o->dict_size = s->dict ? rl_dict_size(s->dict) : 0;
    o->checksum = s->frame.checksum;
    o->has_metrics = s->has_metrics;
    o->metrics_n = s->has_metrics ? s->metrics.n : 0;
    o->accuracy = s->has_metrics ? s->metrics.accuracy : NAN;
    o->log_loss = s->has_metrics ? s->metrics.log_loss : NAN;
    o->auc = s->has_metrics ? s->metrics.auc : NAN;
    o->rmse = s->has_metrics ? s->metrics.rmse : NAN;
    o->mae = s->has_metrics ? s->metrics.mae : NAN;
    o->mean_loss = s->has_metrics ? s->metrics.mean_loss : NAN;
    o->recent_loss = s->has_metrics ? s->metrics.recent_loss : NAN;
    o->recent_accuracy = s->has_metrics ? s->metrics.recent_accuracy : NAN;
}

relearn_err relearn_model_range(const relearn_model *m, uint32_t i, relearn_range *out)
{
    if (!m || !out || i >= m->snap.n_ranges)
        return RELEARN_ERR_NOT_FOUND;
    const rl_snapshot_range *r = &m->snap.ranges[i];
    out->topic = r->topic;
    out->partition = r->partition;
    out->first_offset = r->first_offset;
    out->end_offset = r->end_offset;
    return RELEARN_OK;
}
