/* registry.c - the list of detectors by name and the rl_detector_* wrappers.
 *
 * The wrappers own what is common to every detector: the counters in struct rl_detector (n,
 * transitions into warning, drifts) and an envelope around each detector's state blob that
 * names the detector and carries those counters, so a restored detector continues with the
 * same counts as well as the same statistics. */
#include <stdio.h>
#include <string.h>

#include "drift/detector.h"
#include "drift/params.h"

static const struct rl_detector_ops *const all_detectors[] = {
    &rl_drift_ddm_ops,          &rl_drift_eddm_ops,   &rl_drift_adwin_ops,
    &rl_drift_page_hinkley_ops, &rl_drift_hddm_a_ops, NULL,
};

/* "RLDT": envelope of rl_detector_export. */
#define ENVELOPE_MAGIC   0x54444c52u
#define ENVELOPE_VERSION 1

const struct rl_detector_ops *const *rl_detector_all(void)
{
    return all_detectors;
}

const struct rl_detector_ops *rl_detector_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; all_detectors[i]; i++) {
        if (strcmp(all_detectors[i]->name, name) == 0)
            return all_detectors[i];
    }
    return NULL;
}

rl_err rl_detector_new(const char *name, const rl_kv *params, size_t n_params, rl_detector **out,
                       char *errstr, size_t errstr_size)
{
    if (!out)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "rl_detector_new: out is NULL");
    *out = NULL;
    const struct rl_detector_ops *ops = rl_detector_find(name);
    if (!ops) {
        char known[128];
        size_t used = 0;
        known[0] = '\0';
        for (size_t i = 0; all_detectors[i]; i++) {
            size_t len = strlen(all_detectors[i]->name);
            if (used + len + 3 > sizeof(known))
                break;
            if (i) {
                memcpy(known + used, ", ", 2);
                used += 2;
            }
            memcpy(known + used, all_detectors[i]->name, len + 1);
            used += len;
        }
        return rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                          "unknown drift detector '%s' (known: %s)", name ? name : "(null)", known);
    }
    rl_detector *d = NULL;
    rl_err e = ops->create(params, n_params, &d, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    rl_det_base *b = (rl_det_base *)d;
    d->n = 0;
    d->n_warnings = 0;
    d->n_drifts = 0;
    b->last = RL_DRIFT_STABLE;
    *out = d;
    return RL_OK;
}

void rl_detector_destroy(rl_detector *d)
{
    if (!d)
        return;
    d->ops->destroy(d);
}

rl_err rl_detector_update(rl_detector *d, double x, rl_drift_state *state)
{
    if (!d)
        return RL_ERR_INVALID_ARG;
    rl_drift_state st = RL_DRIFT_STABLE;
    rl_err e = d->ops->update(d, x, &st);
    if (e != RL_OK)
        return e;
    rl_det_base *b = (rl_det_base *)d;
    d->n++;
    if (st == RL_DRIFT_WARNING && b->last != RL_DRIFT_WARNING)
        d->n_warnings++;
    else if (st == RL_DRIFT_DRIFT)
        d->n_drifts++;
    b->last = st;
    if (state)
        *state = st;
    return RL_OK;
}

void rl_detector_reset(rl_detector *d)
{
    if (!d)
        return;
    d->ops->reset(d);
    ((rl_det_base *)d)->last = RL_DRIFT_STABLE;
}

rl_err rl_detector_export(const rl_detector *d, rl_buf *out)
{
    if (!d || !out)
        return RL_ERR_INVALID_ARG;
    const rl_det_base *b = (const rl_det_base *)d;
    size_t name_len = strlen(d->ops->name);
    rl_buf_put_u32(out, ENVELOPE_MAGIC);
    rl_buf_put_u32(out, ENVELOPE_VERSION);
    rl_buf_put_u32(out, (uint32_t)name_len);
    rl_buf_put(out, d->ops->name, name_len);
    rl_buf_put_u64(out, d->n);
    rl_buf_put_u64(out, d->n_warnings);
    rl_buf_put_u64(out, d->n_drifts);
    rl_buf_put_u8(out, (uint8_t)b->last);
    /* The detector's own blob follows, length-prefixed so its reader can insist on the end. */
    size_t len_at = out->len;
    rl_buf_put_u64(out, 0);
    size_t start = out->len;
    rl_err e = d->ops->export_state(d, out);
    if (e != RL_OK)
        return e;
    if (out->failed)
        return RL_ERR_NOMEM;
    uint64_t blob_len = (uint64_t)(out->len - start);
    for (int i = 0; i < 8; i++)
        out->data[len_at + (size_t)i] = (uint8_t)(blob_len >> (8 * i));
    return RL_OK;
}

rl_err rl_detector_import(rl_detector *d, const void *p, size_t len, char *errstr,
                          size_t errstr_size)
{
    if (!d || (!p && len))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "rl_detector_import: NULL detector or state");
    const char *name = d->ops->name;
    rl_cursor r;
    rl_cursor_init(&r, p, len);
    uint32_t magic = rl_cursor_u32(&r);
    uint32_t version = rl_cursor_u32(&r);
    uint32_t name_len = rl_cursor_u32(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: detector state truncated (%zu bytes)", name, len);
    if (magic != ENVELOPE_MAGIC)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: bytes are not a detector state (bad magic 0x%08x)", name,
                          (unsigned)magic);
    char what[96];
    snprintf(what, sizeof(what), "%s: detector state", name);
    rl_err verr = rl_check_format_version(version, 1, ENVELOPE_VERSION, what, errstr, errstr_size);
    if (verr != RL_OK)
        return verr;
    if (name_len == 0 || name_len > 64)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: detector state header is malformed", name);
    char got[65];
    rl_cursor_bytes(&r, got, name_len);
    got[name_len] = '\0';
    uint64_t n = rl_cursor_u64(&r);
    uint64_t n_warnings = rl_cursor_u64(&r);
    uint64_t n_drifts = rl_cursor_u64(&r);
    uint8_t last = rl_cursor_u8(&r);
    uint64_t blob_len = rl_cursor_u64(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: detector state truncated in its header", name);
    if (strlen(got) != name_len || strcmp(got, name) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "detector state belongs to '%.64s', not to '%s'", got, name);
    if (last > RL_DRIFT_DRIFT)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: detector state has an invalid last state %u", name, (unsigned)last);
    if (blob_len != r.left)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: detector state body is %llu bytes but %zu remain", name,
                          (unsigned long long)blob_len, r.left);
    rl_err e = d->ops->import_state(d, r.p, r.left, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    d->n = n;
    d->n_warnings = n_warnings;
    d->n_drifts = n_drifts;
    ((rl_det_base *)d)->last = (rl_drift_state)last;
    return RL_OK;
}

const char *rl_drift_state_name(rl_drift_state s)
{
    switch (s) {
    case RL_DRIFT_STABLE:
        return "stable";
    case RL_DRIFT_WARNING:
        return "warning";
    case RL_DRIFT_DRIFT:
        return "drift";
    }
    return "unknown";
}
