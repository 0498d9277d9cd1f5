/* model_gate.c - the model's side of the promotion gate (model.h, gate.h): the published
 * version scores each event beside the learner, and the pair of losses goes into the gate. The
 * statistic itself is gate.c; which version is the reference, and when to decide, is the
 * daemon's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

rl_err rl_model_gate_enable(rl_model *m, const rl_gate_params *p, char *errstr, size_t errstr_size)
{
    rl_err err;
    if (m->gate)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "promotion gate already on");
    err = rl_gate_new(p, &m->gate, errstr, errstr_size);
    if (err == RL_OK)
        m->gate_every = p->every;
    return err;
}

void rl_model_set_reference(rl_model *m, const rl_model_reference *ref, uint64_t version)
{
    if (!ref || !ref->predict || version == 0) {
        memset(&m->ref, 0, sizeof(m->ref));
        version = 0;
    } else {
        m->ref = *ref;
    }
    if (m->gate && version != m->ref_version)
        rl_gate_reset(m->gate);
    m->ref_version = version;
}

uint64_t rl_model_reference_version(const rl_model *m)
{
    return m->ref_version;
}

int rl_model_gate_decide(const rl_model *m, rl_gate_verdict *out)
{
    if (!m->gate || !m->ref.predict)
        return 0;
    rl_gate_decide(m->gate, out);
    return 1;
}

void rl_model_gate_step(rl_model *m, const rl_example *raw, const rl_pred *cand)
{
    rl_pred rp;
    rp.prob = rp.prob_true = NAN;
    m->ref.predict(m->ref.ctx, raw, &rp);
    rl_gate_add(m->gate, rl_gate_loss(m->task, cand, raw->label),
                rl_gate_loss(m->task, &rp, raw->label));
}

rl_err rl_model_gate_export(const rl_model *m, rl_buf *out)
{
    if (!m->gate)
        return RL_ERR_INVALID_ARG;
    rl_buf_put_u64(out, m->ref_version);
    return rl_gate_export(m->gate, out);
}

rl_err rl_model_gate_import(rl_model *m, const void *p, size_t len, char *errstr,
                            size_t errstr_size)
{
    char sub[256];
    rl_gate *g = NULL;
    rl_cursor r;
    uint64_t ver;
    rl_err err;

    if (!m->gate)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "promotion gate is off");
    rl_cursor_init(&r, p, len);
    ver = rl_cursor_u64(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "gate state: truncated");
    err = rl_gate_new(rl_gate_get_params(m->gate), &g, sub, sizeof(sub));
    if (err == RL_OK)
        err = rl_gate_import(g, r.p, r.left, sub, sizeof(sub));
    if (err != RL_OK) {
        rl_gate_destroy(g);
        return rl_set_err(errstr, errstr_size, err, "%s", sub);
    }
    rl_gate_destroy(m->gate);
    m->gate = g;
    /* The pairs belong to version ver; the caller sets that reference next to keep them (a
     * different one empties them, rl_model_set_reference). */
    memset(&m->ref, 0, sizeof(m->ref));
    m->ref_version = ver;
    return RL_OK;
}
