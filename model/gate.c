/* gate.c - the promotion gate's paired statistic (gate.h).
 *
 * The window is a ring of (candidate loss, reference loss) pairs. Sums are taken afresh at each
 * decision (a few thousand additions, once per snapshot tick) instead of being kept running:
 * a running sum carries rounding from pairs long gone, so a gate restored from its exported
 * pairs would add up differently from the one that wrote them, and decide differently on a tie. */
#include "model/gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GATE_STATE_VERSION 1u

struct rl_gate {
    rl_gate_params p;
    double *cand, *ref; /* p.window each */
    uint32_t head;      /* next slot to write */
    uint32_t count;
};

void rl_gate_params_default(rl_gate_params *p)
{
    p->window = RL_GATE_WINDOW_DEFAULT;
    p->loss_cap = 10.0;
    p->tolerance = 0.0;
    p->confidence = 0.99;
    p->every = 1;
}

rl_err rl_gate_new(const rl_gate_params *p, rl_gate **out, char *errstr, size_t errstr_size)
{
    rl_gate *g;
    *out = NULL;
    if (p->window < 1 || p->window > RL_GATE_WINDOW_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "gate window %u outside 1..%u",
                          p->window, RL_GATE_WINDOW_MAX);
    if (!(p->loss_cap > 0) || !isfinite(p->loss_cap))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "gate loss cap %g must be finite and > 0", p->loss_cap);
    if (!(p->confidence > 0 && p->confidence < 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "gate confidence %g outside (0, 1)", p->confidence);
    if (p->every < 1)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "gate sampling every 0 events");
    if (!(p->tolerance >= 0) || !isfinite(p->tolerance))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "gate tolerance %g must be finite and >= 0", p->tolerance);
    g = calloc(1, sizeof(*g));
    if (g) {
        g->cand = malloc(sizeof(double) * p->window);
        g->ref = malloc(sizeof(double) * p->window);
    }
    if (!g || !g->cand || !g->ref) {
        rl_gate_destroy(g);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "gate window of %u", p->window);
    }
    g->p = *p;
    *out = g;
    return RL_OK;
}

void rl_gate_destroy(rl_gate *g)
{
    if (!g)
        return;
    free(g->cand);
    free(g->ref);
    free(g);
}

const rl_gate_params *rl_gate_get_params(const rl_gate *g)
{
    return &g->p;
}

void rl_gate_reset(rl_gate *g)
{
    g->head = 0;
    g->count = 0;
}

uint64_t rl_gate_count(const rl_gate *g)
{
    return g->count;
}

/* The same clip the prequential metrics use for log loss, so a probability of exactly 0 or 1
 * costs a finite amount. */
#define GATE_PROB_CLIP 1e-15

static double log_loss_of(double pt)
{
    if (pt < GATE_PROB_CLIP)
        pt = GATE_PROB_CLIP;
    if (pt > 1.0 - GATE_PROB_CLIP)
        pt = 1.0 - GATE_PROB_CLIP;
    return -log(pt);
}

double rl_gate_loss(rl_task task, const rl_pred *p, float label)
{
    switch (task) {
    case RL_TASK_REGRESSION: {
        double e = p->value - (double)label;
        return e * e;
    }
    case RL_TASK_MULTICLASS:
        if (!isnan(p->prob_true))
            return log_loss_of(p->prob_true);
        return p->cls == (int32_t)label ? 0.0 : 1.0;
    case RL_TASK_BINARY:
    default: {
        int truth = label >= 0.5f ? 1 : 0;
        if (!isnan(p->prob))
            return log_loss_of(truth ? p->prob : 1.0 - p->prob);
        return p->cls == truth ? 0.0 : 1.0;
    }
    }
}

void rl_gate_add(rl_gate *g, double cand_loss, double ref_loss)
{
    if (isnan(cand_loss) || isnan(ref_loss))
        return;
    g->cand[g->head] = fmin(cand_loss, g->p.loss_cap);
    g->ref[g->head] = fmin(ref_loss, g->p.loss_cap);
    g->head = g->head + 1 == g->p.window ? 0 : g->head + 1;
    if (g->count < g->p.window)
        g->count++;
}

/* Index of the i-th oldest pair. */
static uint32_t slot(const rl_gate *g, uint32_t i)
{
    uint32_t start = g->count < g->p.window ? 0 : g->head;
    uint32_t k = start + i;
    return k >= g->p.window ? k - g->p.window : k;
}

void rl_gate_decide(const rl_gate *g, rl_gate_verdict *out)
{
    double sc = 0, sr = 0, sd = 0, ssd = 0;
    uint32_t n = g->count;

    memset(out, 0, sizeof(*out));
    out->n = n;
    out->lower_bound = -INFINITY;
    if (n == 0) {
        out->mean_diff = out->cand_loss = out->ref_loss = NAN;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = slot(g, i);
        sc += g->cand[k];
        sr += g->ref[k];
        sd += g->cand[k] - g->ref[k];
    }
    double mean = sd / n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = slot(g, i);
        double e = (g->cand[k] - g->ref[k]) - mean;
        ssd += e * e;
    }
    out->mean_diff = mean;
    out->cand_loss = sc / n;
    out->ref_loss = sr / n;
    if (n < RL_GATE_MIN_EVENTS)
        return;
    double var = ssd / (n - 1);
    double l = log(2.0 / (1.0 - g->p.confidence));
    double range = 2.0 * g->p.loss_cap;
    out->lower_bound = mean - sqrt(2.0 * var * l / n) - 7.0 * range * l / (3.0 * (n - 1));
    out->hold = out->lower_bound > g->p.tolerance;
}

rl_err rl_gate_export(const rl_gate *g, rl_buf *out)
{
    rl_buf_put_u32(out, GATE_STATE_VERSION);
    rl_buf_put_u32(out, g->count);
    for (uint32_t i = 0; i < g->count; i++) {
        uint32_t k = slot(g, i);
        rl_buf_put_f64(out, g->cand[k]);
        rl_buf_put_f64(out, g->ref[k]);
    }
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

rl_err rl_gate_import(rl_gate *g, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    rl_cursor r;
    uint32_t ver, n;

    rl_gate_reset(g);
    rl_cursor_init(&r, p, len);
    ver = rl_cursor_u32(&r);
    n = rl_cursor_u32(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "gate state: truncated header");
    if (ver != GATE_STATE_VERSION)
        return rl_check_format_version(ver, GATE_STATE_VERSION, GATE_STATE_VERSION, "gate state",
                                       errstr, errstr_size);
    if ((uint64_t)n * 16u != r.left)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "gate state: %u pairs need %llu bytes, %zu given", n,
                          (unsigned long long)n * 16u, r.left);
    for (uint32_t i = 0; i < n; i++) {
        double c = rl_cursor_f64(&r), f = rl_cursor_f64(&r);
        if (!(c >= 0 && f >= 0 && isfinite(c) && isfinite(f))) {
            rl_gate_reset(g);
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "gate state: pair %u (%g, %g) is not a pair of losses", i, c, f);
        }
        /* An older, larger window keeps only its newest pairs (the ring overwrites the rest);
         * a lower loss_cap than the writer's caps them again. */
        rl_gate_add(g, c, f);
    }
    return RL_OK;
}
