/* model_state.c - the model's full state in three parts (see model.h), exact to the bit: a
 * model imported mid-stream and fed the rest gives the same predictions, metrics and alerts as
 * one that never stopped, and exports the same bytes.
 *
 * "rest" layout (little-endian, version 1):
 *   u8 version, u8 response, u8 task, u8 has_detector, u8 has_feature_detector
 *   u64 position, warnings, drifts, rejected, f_warnings, f_drifts, f_rejected, chal_failures
 *   u8 state, fstate
 *   u8 boosting, u64 boost_start, f64 champion lr_scale
 *   per source (error, feature): per level (stable, warning, drift) u64 last_pos, u64
 *     suppressed; then u64 stable_run, u8 warn_armed
 *   blob metrics                      (blob = u64 length + bytes)
 *   u8 challenger running; if 1: u64 chal_start, u8 chal_announced, f64 chal lr_scale,
 *     blob challenger learner, blob challenger metrics, blob shadow metrics
 *   if has_feature_detector: blob feature detector
 * Import stages every part in fresh objects (validating all of it) before touching the model,
 * so a refused state leaves the model as it was; the champion and detector objects are kept
 * (their state is imported in place, last), so pointers from rl_model_learner() and
 * rl_model_detector() stay valid. */
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

#define MODEL_STATE_VERSION 1

static void blob_begin(rl_buf *b, size_t *at)
{
    *at = b->len;
    rl_buf_put_u64(b, 0);
}

static void blob_end(rl_buf *b, size_t at)
{
    if (b->failed)
        return;
    uint64_t n = (uint64_t)(b->len - at - 8);
    for (int i = 0; i < 8; i++)
        b->data[at + (size_t)i] = (uint8_t)(n >> (8 * i));
}

rl_err rl_model_export(const rl_model *m, rl_buf *learner, rl_buf *detector, rl_buf *rest)
{
    rl_err err;
    size_t at;

    err = rl_learner_export(m->champ, learner);
    if (err != RL_OK)
        return err;
    if (m->det) {
        err = rl_detector_export(m->det, detector);
        if (err != RL_OK)
            return err;
    }

    rl_buf_put_u8(rest, MODEL_STATE_VERSION);
    rl_buf_put_u8(rest, (uint8_t)m->cfg.response);
    rl_buf_put_u8(rest, (uint8_t)m->task);
    rl_buf_put_u8(rest, m->det != NULL);
    rl_buf_put_u8(rest, m->fdet != NULL);
    rl_buf_put_u64(rest, m->position);
    rl_buf_put_u64(rest, m->warnings);
    rl_buf_put_u64(rest, m->drifts);
    rl_buf_put_u64(rest, m->rejected);
    rl_buf_put_u64(rest, m->f_warnings);
    rl_buf_put_u64(rest, m->f_drifts);
    rl_buf_put_u64(rest, m->f_rejected);
    rl_buf_put_u64(rest, m->chal_failures);
    rl_buf_put_u8(rest, m->state);
    rl_buf_put_u8(rest, m->fstate);
    rl_buf_put_u8(rest, m->boosting);
    rl_buf_put_u64(rest, m->boost_start);
    rl_buf_put_f64(rest, m->champ->lr_scale);
    for (int s = 0; s < SRC_COUNT; s++) {
        for (int l = 0; l < N_LEVELS; l++) {
            rl_buf_put_u64(rest, m->lim[s].last_pos[l]);
            rl_buf_put_u64(rest, m->lim[s].suppressed[l]);
        }
        rl_buf_put_u64(rest, m->lim[s].stable_run);
        rl_buf_put_u8(rest, m->lim[s].warn_armed);
    }
    blob_begin(rest, &at);
    err = rl_metrics_export(m->metrics, rest);
    if (err != RL_OK)
        return err;
    blob_end(rest, at);
    rl_buf_put_u8(rest, m->chal != NULL);
    if (m->chal) {
        rl_buf_put_u64(rest, m->chal_start);
        rl_buf_put_u8(rest, m->chal_announced);
        rl_buf_put_f64(rest, m->chal->lr_scale);
        blob_begin(rest, &at);
        err = rl_learner_export(m->chal, rest);
        if (err != RL_OK)
            return err;
        blob_end(rest, at);
        blob_begin(rest, &at);
        err = rl_metrics_export(m->chal_metrics, rest);
        if (err != RL_OK)
            return err;
        blob_end(rest, at);
        blob_begin(rest, &at);
        err = rl_metrics_export(m->shadow, rest);
        if (err != RL_OK)
            return err;
        blob_end(rest, at);
    }
    if (m->fdet) {
        blob_begin(rest, &at);
        err = rl_detector_export(m->fdet, rest);
        if (err != RL_OK)
            return err;
        blob_end(rest, at);
    }
    if (learner->failed || detector->failed || rest->failed)
        return RL_ERR_NOMEM;
    return RL_OK;
}

typedef struct blob {
    const uint8_t *p;
    size_t len;
} blob;

static blob rd_blob(rl_cursor *r)
{
    blob b = {NULL, 0};
    uint64_t n = rl_cursor_u64(r);
    if (r->failed)
        return b;
    if (n > r->left) {
        r->failed = 1;
        return b;
    }
    b.p = r->p;
    b.len = (size_t)n;
    r->p += n;
    r->left -= (size_t)n;
    return b;
}

/* Everything import builds before committing. */
typedef struct staged {
    rl_metrics *metrics, *chal_metrics, *shadow;
    rl_learner *chal;
    rl_detector *det, *fdet;
} staged;

static void staged_free(staged *s)
{
    rl_metrics_destroy(s->metrics);
    rl_metrics_destroy(s->chal_metrics);
    rl_metrics_destroy(s->shadow);
    rl_learner_destroy(s->chal);
    rl_detector_destroy(s->det);
    rl_detector_destroy(s->fdet);
    memset(s, 0, sizeof(*s));
}

static rl_err stage_metrics(const rl_model *m, blob b, const char *what, rl_metrics **out,
                            char *errstr, size_t errstr_size)
{
    char sub[256] = "";
    rl_err err = rl_metrics_new(m->task, m->cfg.metrics_window, out, sub, sizeof(sub));
    if (err == RL_OK)
        err = rl_metrics_import(*out, b.p, b.len, sub, sizeof(sub));
    if (err != RL_OK)
        return rl_set_err(errstr, errstr_size, err, "model state: %s: %s", what, sub);
    return RL_OK;
}

static rl_err stage_detector(const rl_model *m, int error_stream, blob b, const char *what,
                             rl_detector **out, char *errstr, size_t errstr_size)
{
    char sub[256] = "";
    rl_err err =
        error_stream
            ? rl_detector_new(m->cfg.detector, m->kv_err, m->n_kv_err, out, sub, sizeof(sub))
            : rl_detector_new(m->cfg.detector, m->kv, m->cfg.n_det_params, out, sub, sizeof(sub));
    if (err == RL_OK)
        err = rl_detector_import(*out, b.p, b.len, sub, sizeof(sub));
    if (err != RL_OK)
        return rl_set_err(errstr, errstr_size, err, "model state: %s: %s", what, sub);
    return RL_OK;
}

/* learner NULL: the champion has been imported already (rl_model_import_rest). */
static rl_err import_parts(rl_model *m, const void *learner, size_t learner_len,
                           const void *detector, size_t detector_len, const void *rest,
                           size_t rest_len, char *errstr, size_t errstr_size)
{
    char sub[256] = "";
    staged st;
    rl_err err = RL_ERR_FORMAT;
    rl_cursor r;

    memset(&st, 0, sizeof(st));
    rl_cursor_init(&r, rest, rest_len);
    uint8_t ver = rl_cursor_u8(&r);
    uint8_t response = rl_cursor_u8(&r);
    uint8_t task = rl_cursor_u8(&r);
    uint8_t has_det = rl_cursor_u8(&r);
    uint8_t has_fdet = rl_cursor_u8(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "model state: truncated header (%zu bytes)", rest_len);
    rl_err verr = rl_check_format_version(ver, MODEL_STATE_VERSION, MODEL_STATE_VERSION,
                                          "model state", errstr, errstr_size);
    if (verr != RL_OK)
        return verr;
    if (response != (uint8_t)m->cfg.response || task != (uint8_t)m->task ||
        has_det != (m->det != NULL) || has_fdet != (m->fdet != NULL))
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "model state: written by a model with response %s, task %s, "
                          "detector %s, feature detector %s; this one has %s, %s, %s, %s",
                          rl_response_name((rl_response)response), rl_task_name((rl_task)task),
                          has_det ? "on" : "off", has_fdet ? "on" : "off",
                          rl_response_name(m->cfg.response), rl_task_name(m->task),
                          m->det ? "on" : "off", m->fdet ? "on" : "off");
    if (!m->det && detector_len != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "model state: %zu bytes of detector state but drift detection is off",
                          detector_len);

    uint64_t position = rl_cursor_u64(&r);
    uint64_t warnings = rl_cursor_u64(&r);
    uint64_t drifts = rl_cursor_u64(&r);
    uint64_t rejected = rl_cursor_u64(&r);
    uint64_t f_warnings = rl_cursor_u64(&r);
    uint64_t f_drifts = rl_cursor_u64(&r);
    uint64_t f_rejected = rl_cursor_u64(&r);
    uint64_t chal_failures = rl_cursor_u64(&r);
    uint8_t state = rl_cursor_u8(&r);
    uint8_t fstate = rl_cursor_u8(&r);
    uint8_t boosting = rl_cursor_u8(&r);
    uint64_t boost_start = rl_cursor_u64(&r);
    double lr_scale = rl_cursor_f64(&r);
    alert_limiter lim[SRC_COUNT];
    memset(lim, 0, sizeof(lim));
    for (int s = 0; s < SRC_COUNT; s++) {
        for (int l = 0; l < N_LEVELS; l++) {
            lim[s].last_pos[l] = rl_cursor_u64(&r);
            lim[s].suppressed[l] = rl_cursor_u64(&r);
        }
        lim[s].stable_run = rl_cursor_u64(&r);
        lim[s].warn_armed = rl_cursor_u8(&r) ? 1 : 0;
    }
    blob metrics_b = rd_blob(&r);
    uint8_t has_chal = rl_cursor_u8(&r);
    uint64_t chal_start = 0;
    uint8_t chal_announced = 0;
    double chal_lr_scale = 1.0;
    blob chal_b = {NULL, 0}, chal_metrics_b = {NULL, 0}, shadow_b = {NULL, 0}, fdet_b = {NULL, 0};
    if (has_chal) {
        chal_start = rl_cursor_u64(&r);
        chal_announced = rl_cursor_u8(&r) ? 1 : 0;
        chal_lr_scale = rl_cursor_f64(&r);
        chal_b = rd_blob(&r);
        chal_metrics_b = rd_blob(&r);
        shadow_b = rd_blob(&r);
    }
    if (has_fdet)
        fdet_b = rd_blob(&r);
    if (!rl_cursor_ok(&r, 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "model state: %s (%zu bytes)",
                          r.failed ? "truncated" : "trailing bytes after the last field", rest_len);
    if (state > RL_DRIFT_DRIFT || fstate > RL_DRIFT_DRIFT || boosting > 1 || has_chal > 1 ||
        (has_chal && m->cfg.response != RL_RESPONSE_CHALLENGER) ||
        (boosting && m->cfg.response != RL_RESPONSE_BOOST) || (has_chal && position == 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "model state: inconsistent flags (state %u/%u, boosting %u, "
                          "challenger %u)",
                          state, fstate, boosting, has_chal);

    err = stage_metrics(m, metrics_b, "metrics", &st.metrics, errstr, errstr_size);
    if (err != RL_OK)
        goto fail;
    if (has_chal) {
        err = rl_learner_new(&m->cfg.learner, &st.chal, sub, sizeof(sub));
        if (err == RL_OK)
            err = rl_learner_import(st.chal, chal_b.p, chal_b.len, sub, sizeof(sub));
        if (err != RL_OK) {
            rl_set_err(errstr, errstr_size, err, "model state: challenger learner: %s", sub);
            goto fail;
        }
        st.chal->lr_scale = chal_lr_scale;
        err = stage_metrics(m, chal_metrics_b, "challenger metrics", &st.chal_metrics, errstr,
                            errstr_size);
        if (err == RL_OK)
            err = stage_metrics(m, shadow_b, "champion metrics since the challenger started",
                                &st.shadow, errstr, errstr_size);
        if (err != RL_OK)
            goto fail;
    }
    if (m->det) {
        blob det_b = {detector, detector_len};
        err = stage_detector(m, 1, det_b, "detector", &st.det, errstr, errstr_size);
        if (err != RL_OK)
            goto fail;
    }
    if (m->fdet) {
        err = stage_detector(m, 0, fdet_b, "feature detector", &st.fdet, errstr, errstr_size);
        if (err != RL_OK)
            goto fail;
    }
    /* All validated. The champion imports in place (a learner refuses a bad state without
     * changing itself), then everything else is swapped in. */
    if (learner) {
        err = rl_learner_import(m->champ, learner, learner_len, sub, sizeof(sub));
        if (err != RL_OK) {
            rl_set_err(errstr, errstr_size, err, "model state: learner: %s", sub);
            goto fail;
        }
    }
    m->champ->lr_scale = lr_scale;
    if (m->det) {
        /* Re-import into the live detector (its pointer stays valid); the staged copy proved
         * the bytes good. */
        err = rl_detector_import(m->det, detector, detector_len, sub, sizeof(sub));
        if (err != RL_OK) {
            rl_set_err(errstr, errstr_size, err, "model state: detector: %s", sub);
            goto fail;
        }
    }

    rl_metrics *tmp = m->metrics;
    m->metrics = st.metrics;
    st.metrics = tmp;
    if (m->fdet) {
        rl_detector *d = m->fdet;
        m->fdet = st.fdet;
        st.fdet = d;
    }
    rl_learner_destroy(m->chal);
    m->chal = st.chal;
    st.chal = NULL;
    if (has_chal) {
        tmp = m->chal_metrics;
        m->chal_metrics = st.chal_metrics;
        st.chal_metrics = tmp;
        tmp = m->shadow;
        m->shadow = st.shadow;
        st.shadow = tmp;
    }
    m->chal_start = chal_start;
    m->chal_announced = chal_announced;
    m->position = position;
    m->warnings = warnings;
    m->drifts = drifts;
    m->rejected = rejected;
    m->f_warnings = f_warnings;
    m->f_drifts = f_drifts;
    m->f_rejected = f_rejected;
    m->chal_failures = chal_failures;
    m->state = state;
    m->fstate = fstate;
    m->boosting = boosting;
    m->boost_start = boost_start;
    memcpy(m->lim, lim, sizeof(lim));
    staged_free(&st);
    return RL_OK;
fail:
    staged_free(&st);
    return err;
}

rl_err rl_model_import(rl_model *m, const void *learner, size_t learner_len, const void *detector,
                       size_t detector_len, const void *rest, size_t rest_len, char *errstr,
                       size_t errstr_size)
{
    static const uint8_t none; /* an empty state is the learner's to refuse, as before */
    return import_parts(m, learner ? learner : &none, learner_len, detector, detector_len, rest,
                        rest_len, errstr, errstr_size);
}

rl_err rl_model_import_rest(rl_model *m, const void *detector, size_t detector_len,
                            const void *rest, size_t rest_len, char *errstr, size_t errstr_size)
{
    return import_parts(m, NULL, 0, detector, detector_len, rest, rest_len, errstr, errstr_size);
}
