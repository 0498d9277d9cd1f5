/* model_alerts.c - which drift alerts a model raises and what they carry.
 *
 * Per source (error, feature) and per level:
 *   - rate limit: an alert of level L is emitted only if none of level L was emitted in the
 *     last alert_min_gap examples (position - last >= gap);
 *   - hysteresis (warnings): after a warning alert, warnings are disarmed until the detector
 *     has said STABLE for alert_min_gap consecutive examples, or a drift occurs: a drift
 *     always re-arms warnings, so the first warning about the new concept is reported once
 *     the gap allows (the gap itself is not cleared: a detector alternating warning, drift,
 *     warning, drift would otherwise flood warnings);
 *   - every alert swallowed is counted, and the count is carried into (and cleared by) the next
 *     emitted alert of the same source and level (rl_alert.suppressed);
 *   - the alert that ends a challenger (DRIFT: "challenger_promoted" / "challenger_dropped";
 *     STABLE: "challenger_dropped" on a return to stable) is emitted iff the alert that
 *     announced that challenger was, whatever the gap, so every start shown has its end shown
 *     (at most one forced alert per announced start, so this cannot flood either);
 *   - alert_min_gap = 0 turns rate limit and hysteresis off.
 * An alert's statistic is the detector's statistic after the value, except for a drift: a
 * detector restarts itself at drift, so a drift alert reports the statistic just before the
 * value that triggered it.
 * The limiter runs whether or not a callback is set, so state (and exports) do not depend on
 * it. Responses run even when their alert is swallowed. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/metrics_internal.h"
#include "model/model_internal.h"

/* Decides whether an alert of `level` on `src` is emitted now; force >= 0 overrides the
 * limiter (1 emit, 0 swallow). Updates the limiter either way. Returns the suppressed count to
 * report, or UINT64_MAX when the alert is swallowed. */
static uint64_t limiter_take(rl_model *m, int src, rl_drift_state level, int force)
{
    alert_limiter *lim = &m->lim[src];
    uint64_t gap = m->cfg.alert_min_gap;
    int pass;

    if (force >= 0)
        pass = force;
    else if (gap == 0)
        pass = 1;
    else if (level == RL_DRIFT_WARNING && !lim->warn_armed)
        pass = 0;
    else
        pass = lim->last_pos[level] == 0 || m->position - lim->last_pos[level] >= gap;
    if (!pass) {
        lim->suppressed[level]++;
        return UINT64_MAX;
    }
    uint64_t s = lim->suppressed[level];
    lim->suppressed[level] = 0;
    lim->last_pos[level] = m->position;
    if (level == RL_DRIFT_WARNING && gap > 0) {
        lim->warn_armed = 0;
        lim->stable_run = 0;
    }
    return s;
}

void rl_model_alerts_observe(rl_model *m, int src, rl_drift_state st)
{
    alert_limiter *lim = &m->lim[src];
    if (st == RL_DRIFT_DRIFT) {
        lim->warn_armed = 1;
        lim->stable_run = 0;
    } else if (st == RL_DRIFT_STABLE) {
        if (lim->stable_run < UINT64_MAX)
            lim->stable_run++;
        if (lim->stable_run >= m->cfg.alert_min_gap)
            lim->warn_armed = 1;
    } else {
        lim->stable_run = 0;
    }
}

rl_alert_losses rl_model_alert_losses(const rl_model *m)
{
    rl_alert_losses l = {NAN, NAN};
    uint64_t n = 0;
    if (m->chal) {
        rl_metrics_recent_loss(m->chal_metrics, &l.challenger, &n);
        if (n > 0) {
            rl_metrics_recent_loss(m->shadow, &l.champion, &n);
            return l;
        }
        l.challenger = NAN;
    }
    rl_metrics_recent_loss(m->metrics, &l.champion, &n);
    return l;
}

int rl_model_alert_emit(rl_model *m, int src, rl_drift_state level, const char *response,
                        rl_alert_losses losses, int force, const rl_event_pos *pos)
{
    uint64_t suppressed = limiter_take(m, src, level, force);
    if (suppressed == UINT64_MAX)
        return 0;
    if (!m->cb)
        return 1;
    const rl_detector *d = src == SRC_ERROR ? m->det : m->fdet;
    rl_alert a;
    memset(&a, 0, sizeof(a));
    a.detector = d->ops->name;
    a.source = src == SRC_ERROR ? "error" : m->feature_source;
    a.level = level;
    a.statistic_name = "";
    a.statistic = d->ops->statistic(d, &a.statistic_name);
    if (level == RL_DRIFT_DRIFT) /* the detector has restarted: report what triggered it */
        a.statistic = m->stat_before[src];
    if (!a.statistic_name)
        a.statistic_name = "";
    a.position = m->position;
    a.response = response;
    a.suppressed = suppressed;
    a.recent_loss = losses.champion;
    a.challenger_loss = losses.challenger;
    if (pos) {
        a.pos = *pos;
    } else {
        a.pos.topic = NULL;
        a.pos.partition = -1;
        a.pos.offset = -1;
    }
    m->cb(m->opaque, &a);
    return 1;
}
