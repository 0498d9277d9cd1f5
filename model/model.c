/* model.c - the predict -> score -> update step, drift responses and alerts (see model.h).
 *
 * The step, for the example at 1-based position p:
 *   1. boost: if a boost is running, the champion's lr_scale is set for this example;
 *   2. the champion learns (its prediction is made first) and the metrics score it;
 *   3. a running challenger learns the same example; chal_metrics scores it and `shadow` scores
 *      the champion's prediction, so both rings hold the same examples;
 *   4. the error detector sees 0/1 (mistake) for classifiers or min(|value - label| /
 *      error_scale, 1) for regression; the feature detector sees the watched feature's value
 *      (0 when the example does not carry it: sparse features are zero when absent). A value a
 *      detector refuses (RL_ERR_INVALID_ARG: NaN, not 0/1 for DDM...) leaves it untouched and is
 *      counted in rejected / f_rejected;
 *   5. transitions of the error detector run the response and raise alerts.
 *
 * Events on a detector's stream: a warning is a transition into WARNING (staying there is not a
 * new warning); every DRIFT is a drift (the detector restarts itself after one).
 *
 * Responses, on the error stream only (the watched feature only alerts):
 *   reset      at drift, rl_learner_reset() the champion.
 *   boost      at drift d, the example at p > d learns with lr_scale
 *              1 + (boost_factor - 1) * 0.5^((p - d - 1) / boost_halflife); once the exponent
 *              passes 64 (factor below 2^-64) lr_scale is set to exactly 1 and the boost ends. A
 *              new drift restarts it.
 *   challenger at a warning with no challenger running, a fresh learner with the same
 *              parameters is allocated; it learns from the next example on. At drift it is
 *              promoted (it becomes the champion, the champion is freed) iff it has seen at
 *              least one example and its recent loss is strictly lower than the champion's
 *              recent loss over the same examples: both are rl_metrics recent_loss (weighted
 *              mean loss over the last metrics_window examples) computed on rings that were
 *              reset together when the challenger started, so each covers the last
 *              min(window, examples since the warning) examples, the same ones. Otherwise it
 *              is dropped. A return from WARNING to STABLE drops it too. A drift without a
 *              running challenger (the detector jumped straight to DRIFT) changes nothing and
 *              reports response "alert".
 *
 * Alerts (rate limit, hysteresis, suppressed counts): model_alerts.c. Responses run even when
 * their alert is swallowed. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics_internal.h"
#include "model/model_internal.h"

#define BOOST_END_EXPONENT 64.0

static rl_err fail_sub(char *errstr, size_t errstr_size, rl_err err, const char *what,
                       const char *detail)
{
    return rl_set_err(errstr, errstr_size, err, "model: %s: %s", what, detail);
}

static rl_err check_config(const rl_model_config *c, char *errstr, size_t errstr_size)
{
    rl_err bad = RL_ERR_INVALID_ARG;
    if ((unsigned)c->response > RL_RESPONSE_CHALLENGER)
        return rl_set_err(errstr, errstr_size, bad, "drift: response %d is unknown",
                          (int)c->response);
    if (!isfinite(c->boost_factor) || c->boost_factor < 1)
        return rl_set_err(errstr, errstr_size, bad,
                          "drift: boost_factor = %g out of range [1, 1e6]", c->boost_factor);
    if (!isfinite(c->boost_halflife) || !(c->boost_halflife > 0))
        return rl_set_err(errstr, errstr_size, bad,
                          "drift: boost_halflife = %g must be a positive number of examples",
                          c->boost_halflife);
    if (!isfinite(c->error_scale) || !(c->error_scale > 0))
        return rl_set_err(errstr, errstr_size, bad, "drift: error_scale = %g must be positive",
                          c->error_scale);
    if (c->metrics_window < 1 || c->metrics_window > RL_METRICS_WINDOW_MAX)
        return rl_set_err(errstr, errstr_size, bad, "drift: window = %u out of range [1, %u]",
                          c->metrics_window, (unsigned)RL_METRICS_WINDOW_MAX);
    if (c->n_det_params > RL_MODEL_MAX_DETECTOR_PARAMS)
        return rl_set_err(errstr, errstr_size, bad, "drift: %u detector parameters (at most %d)",
                          c->n_det_params, RL_MODEL_MAX_DETECTOR_PARAMS);
    if (memchr(c->detector, '\0', sizeof(c->detector)) == NULL ||
        memchr(c->watch_feature, '\0', sizeof(c->watch_feature)) == NULL)
        return rl_set_err(errstr, errstr_size, bad,
                          "drift: detector or watch_feature name is "
                          "not NUL-terminated");
    for (uint32_t i = 0; i < c->n_det_params; i++)
        if (!memchr(c->det_keys[i], '\0', sizeof(c->det_keys[i])) ||
            !memchr(c->det_values[i], '\0', sizeof(c->det_values[i])) || !c->det_keys[i][0])
            return rl_set_err(errstr, errstr_size, bad,
                              "drift: detector parameter %u is empty or not NUL-terminated", i);
    if (c->watch_feature[0]) {
        int is_index;
        uint64_t index;
        const char *name;
        size_t name_len;
        rl_err e = rl_model_watch_parse(c->watch_feature, &is_index, &index, &name, &name_len,
                                        errstr, errstr_size);
        if (e != RL_OK)
            return e;
    }
    if (c->detector[0] == '\0') {
        if (c->response != RL_RESPONSE_ALERT)
            return rl_set_err(errstr, errstr_size, bad,
                              "drift: response = %s needs a detector (set drift detector)",
                              rl_response_name(c->response));
        if (c->watch_feature[0])
            return rl_set_err(errstr, errstr_size, bad,
                              "drift: watch_feature = \"%s\" needs a detector (it is watched by "
                              "a second detector of the same kind)",
                              c->watch_feature);
        if (c->n_det_params)
            return rl_set_err(errstr, errstr_size, bad,
                              "drift: detector parameter \"%s\" given but no detector",
                              c->det_keys[0]);
    }
    return RL_OK;
}

rl_err rl_model_new(const rl_model_config *c, rl_alert_cb cb, void *opaque, rl_model **out,
                    char *errstr, size_t errstr_size)
{
    char sub[256];
    rl_err err;
    rl_model *m = NULL;

    *out = NULL;
    err = check_config(c, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    m = calloc(1, sizeof(*m));
    if (!m)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "model: out of memory");
    m->cfg = *c;
    m->cb = cb;
    m->opaque = opaque;
    for (uint32_t i = 0; i < m->cfg.n_det_params; i++) {
        m->kv[i].key = m->cfg.det_keys[i];
        m->kv[i].value = m->cfg.det_values[i];
        m->kv_err[i] = m->kv[i];
    }
    m->n_kv_err = m->cfg.n_det_params;
    if (strcmp(m->cfg.detector, "adwin") == 0) {
        uint32_t i = 0;
        while (i < m->cfg.n_det_params && strcmp(m->cfg.det_keys[i], "direction") != 0)
            i++;
        if (i == m->cfg.n_det_params)
            m->kv_err[m->n_kv_err++] = (rl_kv){"direction", "up"};
    }
    for (int s = 0; s < SRC_COUNT; s++)
        m->lim[s].warn_armed = 1;

    sub[0] = '\0';
    err = rl_learner_new(&m->cfg.learner, &m->champ, sub, sizeof(sub));
    if (err != RL_OK) {
        fail_sub(errstr, errstr_size, err, "learner", sub);
        goto fail;
    }
    m->champ->lr_scale = 1.0;
    m->task = m->champ->task;
    rl_hasher_init(&m->hasher, m->cfg.learner.bits, m->cfg.hash_seed);

    err = rl_metrics_new(m->task, m->cfg.metrics_window, &m->metrics, sub, sizeof(sub));
    if (err != RL_OK) {
        fail_sub(errstr, errstr_size, err, "metrics", sub);
        goto fail;
    }
    if (m->cfg.detector[0]) {
        if (m->task == RL_TASK_REGRESSION &&
            (strcmp(m->cfg.detector, "ddm") == 0 || strcmp(m->cfg.detector, "eddm") == 0)) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                             "drift: detector = %s watches 0/1 mistakes and cannot watch a "
                             "regression error (use adwin, page_hinkley or hddm_a)",
                             m->cfg.detector);
            goto fail;
        }
        err = rl_detector_new(m->cfg.detector, m->kv_err, m->n_kv_err, &m->det, sub, sizeof(sub));
        if (err != RL_OK) {
            fail_sub(errstr, errstr_size, err, "drift detector", sub);
            goto fail;
        }
    }
    if (m->cfg.watch_feature[0]) {
        err = rl_detector_new(m->cfg.detector, m->kv, m->cfg.n_det_params, &m->fdet, sub,
                              sizeof(sub));
        if (err != RL_OK) {
            fail_sub(errstr, errstr_size, err, "feature drift detector", sub);
            goto fail;
        }
        int is_index;
        uint64_t index;
        const char *name;
        size_t name_len;
        err = rl_model_watch_parse(m->cfg.watch_feature, &is_index, &index, &name, &name_len,
                                   errstr, errstr_size);
        if (err != RL_OK)
            goto fail; /* check_config parsed it already: cannot happen */
        m->watch_index =
            is_index ? rl_hash_index(&m->hasher, index) : rl_hash_name(&m->hasher, name, name_len);
        /* The source is the value as configured ("feature:#17", "feature:##17" for the name
         * "#17"), so an index and a name never read alike. */
        snprintf(m->feature_source, sizeof(m->feature_source), "feature:%s", m->cfg.watch_feature);
    }
    if (m->cfg.response == RL_RESPONSE_CHALLENGER) {
        err = rl_metrics_new(m->task, m->cfg.metrics_window, &m->chal_metrics, sub, sizeof(sub));
        if (err == RL_OK)
            err = rl_metrics_new(m->task, m->cfg.metrics_window, &m->shadow, sub, sizeof(sub));
        if (err != RL_OK) {
            fail_sub(errstr, errstr_size, err, "challenger metrics", sub);
            goto fail;
        }
    }
    *out = m;
    return RL_OK;
fail:
    rl_model_destroy(m);
    return err;
}

void rl_model_destroy(rl_model *m)
{
    if (!m)
        return;
    rl_learner_destroy(m->champ);
    rl_learner_destroy(m->chal);
    rl_metrics_destroy(m->metrics);
    rl_metrics_destroy(m->chal_metrics);
    rl_metrics_destroy(m->shadow);
    rl_detector_destroy(m->det);
    rl_detector_destroy(m->fdet);
    rl_gate_destroy(m->gate);
    free(m->xf);
    free(m);
}

/* ---- responses ---- */

static int challenger_start(rl_model *m)
{
    rl_learner *l = NULL;
    if (rl_learner_new(&m->cfg.learner, &l, NULL, 0) != RL_OK) {
        m->chal_failures++;
        return 0;
    }
    l->lr_scale = 1.0;
    m->chal = l;
    m->chal_start = m->position;
    m->chal_announced = 0;
    rl_metrics_reset(m->chal_metrics);
    rl_metrics_reset(m->shadow);
    return 1;
}

static void challenger_drop(rl_model *m)
{
    rl_learner_destroy(m->chal);
    m->chal = NULL;
    m->chal_announced = 0;
}

/* At drift: promote or drop. Returns 1 when promoted. */
static int challenger_decide(rl_model *m)
{
    double chal_loss, champ_loss;
    uint64_t n, n2;
    rl_metrics_recent_loss(m->chal_metrics, &chal_loss, &n);
    rl_metrics_recent_loss(m->shadow, &champ_loss, &n2);
    assert(n == n2);
    if (n > 0 && chal_loss < champ_loss) {
        rl_learner_destroy(m->champ);
        m->champ = m->chal;
        m->champ->lr_scale = 1.0;
        m->chal = NULL;
        m->chal_announced = 0;
        return 1;
    }
    challenger_drop(m);
    return 0;
}

static void on_error_state(rl_model *m, rl_drift_state st, const rl_event_pos *pos)
{
    rl_drift_state prev = (rl_drift_state)m->state;
    m->state = (uint8_t)st;
    rl_model_alerts_observe(m, SRC_ERROR, st);

    if (st == RL_DRIFT_WARNING && prev != RL_DRIFT_WARNING) {
        m->warnings++;
        const char *resp = rl_response_name(RL_RESPONSE_ALERT);
        int started = 0;
        if (m->cfg.response == RL_RESPONSE_CHALLENGER && !m->chal) {
            started = challenger_start(m);
            if (started)
                resp = "challenger_started";
        }
        int shown = rl_model_alert_emit(m, SRC_ERROR, RL_DRIFT_WARNING, resp,
                                        rl_model_alert_losses(m), -1, pos);
        if (started)
            m->chal_announced = (uint8_t)shown;
    } else if (st == RL_DRIFT_DRIFT) {
        m->drifts++;
        const char *resp = rl_response_name(RL_RESPONSE_ALERT);
        rl_alert_losses losses = rl_model_alert_losses(m);
        int force = -1;
        switch (m->cfg.response) {
        case RL_RESPONSE_ALERT:
            break;
        case RL_RESPONSE_RESET:
            rl_learner_reset(m->champ);
            m->champ->lr_scale = 1.0;
            resp = "reset";
            break;
        case RL_RESPONSE_BOOST:
            m->boosting = 1;
            m->boost_start = m->position;
            resp = "boost";
            break;
        case RL_RESPONSE_CHALLENGER:
            if (m->chal) {
                /* Ops saw this challenger start: they must see how it ended (a promotion
                 * replaces the model), even within the gap of the last drift alert. */
                if (m->chal_announced)
                    force = 1;
                resp = challenger_decide(m) ? "challenger_promoted" : "challenger_dropped";
            }
            break;
        }
        rl_model_alert_emit(m, SRC_ERROR, RL_DRIFT_DRIFT, resp, losses, force, pos);
    } else if (st == RL_DRIFT_STABLE && prev == RL_DRIFT_WARNING && m->chal) {
        rl_alert_losses losses = rl_model_alert_losses(m);
        int announced = m->chal_announced;
        challenger_drop(m);
        rl_model_alert_emit(m, SRC_ERROR, RL_DRIFT_STABLE, "challenger_dropped", losses, announced,
                            pos);
    }
}

static void on_feature_state(rl_model *m, rl_drift_state st, const rl_event_pos *pos)
{
    rl_drift_state prev = (rl_drift_state)m->fstate;
    m->fstate = (uint8_t)st;
    rl_model_alerts_observe(m, SRC_FEATURE, st);
    if (st == RL_DRIFT_WARNING && prev != RL_DRIFT_WARNING) {
        m->f_warnings++;
        rl_model_alert_emit(m, SRC_FEATURE, st, "alert", rl_model_alert_losses(m), -1, pos);
    } else if (st == RL_DRIFT_DRIFT) {
        m->f_drifts++;
        rl_model_alert_emit(m, SRC_FEATURE, st, "alert", rl_model_alert_losses(m), -1, pos);
    }
}

static void boost_apply(rl_model *m)
{
    double x = (double)(m->position - m->boost_start - 1) / m->cfg.boost_halflife;
    if (x > BOOST_END_EXPONENT) {
        m->champ->lr_scale = 1.0;
        m->boosting = 0;
        return;
    }
    m->champ->lr_scale = 1.0 + (m->cfg.boost_factor - 1.0) * pow(0.5, x);
}

static double error_signal(const rl_model *m, const rl_example *ex, const rl_pred *p)
{
    if (m->task == RL_TASK_REGRESSION) {
        double e = fabs(p->value - (double)ex->label) / m->cfg.error_scale;
        if (e > 1.0) /* NaN stays NaN: the detector refuses it and the step counts that */
            e = 1.0;
        return e;
    }
    int truth = m->task == RL_TASK_BINARY ? (ex->label >= 0.5f ? 1 : 0) : (int)ex->label;
    return p->cls == truth ? 0.0 : 1.0;
}

static double feature_value(const rl_model *m, const rl_example *ex)
{
    for (uint32_t i = 0; i < ex->n_feats; i++)
        if (ex->feats[i].index == m->watch_index)
            return ex->feats[i].value;
    return 0.0;
}

double rl_model_step(rl_model *m, const rl_example *in, const rl_event_pos *pos, rl_pred *pred)
{
    rl_example xex;
    const rl_example *ex = rl_model_expand(m, in, &xex);
    rl_pred local;
    rl_pred *p = pred ? pred : &local;
    rl_drift_state st;
    const char *stat_name;

    m->position++;
    if (m->boosting)
        boost_apply(m);
    double loss = rl_learner_learn(m->champ, ex, p);
    rl_metrics_add(m->metrics, p, ex->label, ex->weight, loss);
    if (m->gate && m->ref.predict && m->position % m->gate_every == 0)
        rl_model_gate_step(m, in, p);
    if (m->chal) {
        rl_pred cp;
        double closs = rl_learner_learn(m->chal, ex, &cp);
        rl_metrics_add(m->chal_metrics, &cp, ex->label, ex->weight, closs);
        rl_metrics_add(m->shadow, p, ex->label, ex->weight, loss);
    }
    if (m->det) {
        m->stat_before[SRC_ERROR] = m->det->ops->statistic(m->det, &stat_name);
        if (rl_detector_update(m->det, error_signal(m, ex, p), &st) == RL_OK)
            on_error_state(m, st, pos);
        else
            m->rejected++;
    }
    if (m->fdet) {
        m->stat_before[SRC_FEATURE] = m->fdet->ops->statistic(m->fdet, &stat_name);
        if (rl_detector_update(m->fdet, feature_value(m, in), &st) == RL_OK)
            on_feature_state(m, st, pos);
        else
            m->f_rejected++;
    }
    return loss;
}

void rl_model_predict(const rl_model *m, const rl_example *ex, rl_pred *pred)
{
    /* The expansion buffer is scratch, not model state: a model is used by one thread. */
    rl_example xex;
    rl_learner_predict(m->champ, rl_model_expand((rl_model *)m, ex, &xex), pred);
}

const rl_model_config *rl_model_get_config(const rl_model *m)
{
    return &m->cfg;
}

rl_learner *rl_model_learner(rl_model *m)
{
    return m->champ;
}

const rl_learner *rl_model_learner_c(const rl_model *m)
{
    return m->champ;
}

const rl_detector *rl_model_detector(const rl_model *m)
{
    return m->det;
}

void rl_model_summary(const rl_model *m, rl_metrics_summary *out)
{
    rl_metrics_summary_get(m->metrics, out);
}

uint64_t rl_model_position(const rl_model *m)
{
    return m->position;
}

rl_drift_state rl_model_drift_state(const rl_model *m)
{
    return (rl_drift_state)m->state;
}

uint64_t rl_model_warnings(const rl_model *m)
{
    return m->warnings;
}

uint64_t rl_model_drifts(const rl_model *m)
{
    return m->drifts;
}

void rl_model_counters_get(const rl_model *m, rl_model_counters *out)
{
    memset(out, 0, sizeof(*out));
    out->rejected = m->rejected;
    out->feature_warnings = m->f_warnings;
    out->feature_drifts = m->f_drifts;
    out->feature_rejected = m->f_rejected;
    out->challenger_failures = m->chal_failures;
    out->challenger_running = m->chal != NULL;
    out->challenger_start = m->chal ? m->chal_start : 0;
    out->boosting = m->boosting;
    for (int l = 0; l < N_LEVELS; l++) {
        out->suppressed_pending[l] = m->lim[SRC_ERROR].suppressed[l];
        out->feature_suppressed_pending[l] = m->lim[SRC_FEATURE].suppressed[l];
    }
}

uint32_t rl_model_hash_name(const rl_model *m, const char *name, size_t len)
{
    return rl_hash_name(&m->hasher, name, len);
}

uint32_t rl_model_hash_index(const rl_model *m, uint64_t index)
{
    return rl_hash_index(&m->hasher, index);
}
