/* metrics.c - prequential metrics in bounded memory (see metrics.h).
 *
 * Totals are weighted sums kept in double. Three choices worth knowing:
 *
 * - Log loss uses the probability the learner gave the true label: prob (or 1 - prob) for
 *   binary, prob_true for multiclass, clipped to [1e-15, 1 - 1e-15] as scikit-learn does. A
 *   learner that gives no probability (NAN: perceptron, hinge) has no log loss: the summary says
 *   NAN as soon as one scored example had none, rather than averaging over a subset.
 *
 * - AUC (binary) is computed from two histograms of AUC_BINS equal-width bins over [0, 1]: one
 *   for positives, one for negatives, weighted. The score binned is the probability when the
 *   learner gives one, else sigmoid(margin) (monotone, so the ranking is the margin's). Pairs in
 *   different bins are ranked exactly; pairs in the same bin count one half, as tied scores do
 *   in the exact (Mann-Whitney) AUC. So the result is exact whenever no positive shares a bin
 *   with a negative, and otherwise off by at most half the weight of the same-bin pairs. With
 *   4096 bins (width 1/4096 ~ 2.4e-4) that is negligible for calibrated probabilities; for a
 *   margin learner sigmoid() crowds |margin| > ~8 into the end bins, which then act as ties.
 *
 * - The "recent" figures come from a ring of the last `window` examples (w * loss, w, correct).
 *   Their running sums are updated by add-new/subtract-old in double and recomputed exactly from
 *   the ring each time the ring wraps, so rounding error cannot build up beyond one window.
 *   Export writes the running sums' bit patterns with the ring, so an imported copy continues
 *   bitwise identically. Recent figures are weighted like the totals. */
#include "model/metrics.h"
#include "model/metrics_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_FORMAT_VERSION 1
#define AUC_BINS               4096
#define PROB_CLIP              1e-15

struct rl_metrics {
    rl_task task;
    uint32_t window;

    uint64_t n;
    double weight;
    double sum_correct; /* sum of w over correct classifications */
    double sum_logloss; /* sum of w * -log(p_true) */
    uint64_t n_noprob;  /* examples scored without a probability: log loss undefined */
    double sum_sq;      /* sum of w * (value - label)^2 */
    double sum_abs;     /* sum of w * |value - label| */
    double sum_loss;    /* sum of w * learner loss */
    double *auc_pos;    /* AUC_BINS weights of positives (binary only, else NULL) */
    double *auc_neg;

    /* ring of the last `window` examples */
    double *r_wloss;
    double *r_w;
    uint8_t *r_correct;
    uint32_t head;  /* next slot to write */
    uint32_t count; /* filled slots (<= window) */
    double r_sum_wloss, r_sum_w, r_sum_wcorrect;
};

static int task_is_valid(rl_task t)
{
    return t == RL_TASK_BINARY || t == RL_TASK_REGRESSION || t == RL_TASK_MULTICLASS;
}

rl_err rl_metrics_new(rl_task task, uint32_t window, rl_metrics **out, char *errstr,
                      size_t errstr_size)
{
    rl_metrics *m = NULL;
    rl_err err = RL_ERR_NOMEM;

    *out = NULL;
    if (!task_is_valid(task))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "metrics: unknown task %d",
                          (int)task);
    if (window < 1 || window > RL_METRICS_WINDOW_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "metrics: window %u out of range [1, %u]", window,
                          (unsigned)RL_METRICS_WINDOW_MAX);
    m = calloc(1, sizeof(*m));
    if (!m)
        goto fail;
    m->task = task;
    m->window = window;
    m->r_wloss = calloc(window, sizeof(*m->r_wloss));
    m->r_w = calloc(window, sizeof(*m->r_w));
    m->r_correct = calloc(window, sizeof(*m->r_correct));
    if (!m->r_wloss || !m->r_w || !m->r_correct)
        goto fail;
    if (task == RL_TASK_BINARY) {
        m->auc_pos = calloc(AUC_BINS, sizeof(double));
        m->auc_neg = calloc(AUC_BINS, sizeof(double));
        if (!m->auc_pos || !m->auc_neg)
            goto fail;
    }
    *out = m;
    return RL_OK;
fail:
    rl_metrics_destroy(m);
    return rl_set_err(errstr, errstr_size, err, "metrics: out of memory (window %u)", window);
}

void rl_metrics_destroy(rl_metrics *m)
{
    if (!m)
        return;
    free(m->auc_pos);
    free(m->auc_neg);
    free(m->r_wloss);
    free(m->r_w);
    free(m->r_correct);
    free(m);
}

void rl_metrics_reset(rl_metrics *m)
{
    m->n = 0;
    m->weight = m->sum_correct = m->sum_logloss = 0;
    m->n_noprob = 0;
    m->sum_sq = m->sum_abs = m->sum_loss = 0;
    if (m->auc_pos) {
        memset(m->auc_pos, 0, AUC_BINS * sizeof(double));
        memset(m->auc_neg, 0, AUC_BINS * sizeof(double));
    }
    memset(m->r_wloss, 0, m->window * sizeof(*m->r_wloss));
    memset(m->r_w, 0, m->window * sizeof(*m->r_w));
    memset(m->r_correct, 0, m->window * sizeof(*m->r_correct));
    m->head = m->count = 0;
    m->r_sum_wloss = m->r_sum_w = m->r_sum_wcorrect = 0;
}

/* Probability the prediction gave the true label, NAN when the learner gives none. */
static double prob_of_truth(const rl_metrics *m, const rl_pred *p, int true_cls)
{
    if (m->task == RL_TASK_BINARY) {
        if (isnan(p->prob))
            return NAN;
        return true_cls == 1 ? p->prob : 1.0 - p->prob;
    }
    return p->prob_true;
}

static uint32_t auc_bin(const rl_pred *p)
{
    double s = isnan(p->prob) ? 1.0 / (1.0 + exp(-p->score)) : p->prob;
    if (!(s > 0)) /* also NaN */
        return 0;
    if (s >= 1)
        return AUC_BINS - 1;
    uint32_t b = (uint32_t)(s * AUC_BINS);
    return b < AUC_BINS ? b : AUC_BINS - 1;
}

static void ring_recompute(rl_metrics *m)
{
    double wl = 0, w = 0, wc = 0;
    for (uint32_t i = 0; i < m->count; i++) {
        wl += m->r_wloss[i];
        w += m->r_w[i];
        if (m->r_correct[i])
            wc += m->r_w[i];
    }
    m->r_sum_wloss = wl;
    m->r_sum_w = w;
    m->r_sum_wcorrect = wc;
}

void rl_metrics_add(rl_metrics *m, const rl_pred *p, float label, float weight, double loss)
{
    double w = weight;
    int correct = 0;

    m->n++;
    m->weight += w;
    m->sum_loss += w * loss;
    if (m->task != RL_TASK_REGRESSION) {
        int true_cls = m->task == RL_TASK_BINARY ? (label >= 0.5f ? 1 : 0) : (int)label;
        correct = p->cls == true_cls;
        if (correct)
            m->sum_correct += w;
        double pt = prob_of_truth(m, p, true_cls);
        if (isnan(pt)) {
            m->n_noprob++;
        } else {
            if (pt < PROB_CLIP)
                pt = PROB_CLIP;
            if (pt > 1.0 - PROB_CLIP)
                pt = 1.0 - PROB_CLIP;
            m->sum_logloss += w * -log(pt);
        }
        if (m->task == RL_TASK_BINARY) {
            if (true_cls == 1)
                m->auc_pos[auc_bin(p)] += w;
            else
                m->auc_neg[auc_bin(p)] += w;
        }
    }
    if (m->task != RL_TASK_MULTICLASS) {
        double e = p->value - (double)label;
        m->sum_sq += w * e * e;
        m->sum_abs += w * fabs(e);
    }

    /* ring: replace the oldest entry once full */
    uint32_t h = m->head;
    if (m->count == m->window) {
        m->r_sum_wloss -= m->r_wloss[h];
        m->r_sum_w -= m->r_w[h];
        if (m->r_correct[h])
            m->r_sum_wcorrect -= m->r_w[h];
    } else {
        m->count++;
    }
    m->r_wloss[h] = w * loss;
    m->r_w[h] = w;
    m->r_correct[h] = (uint8_t)correct;
    m->r_sum_wloss += w * loss;
    m->r_sum_w += w;
    if (correct)
        m->r_sum_wcorrect += w;
    m->head = h + 1 == m->window ? 0 : h + 1;
    if (m->head == 0)
        ring_recompute(m);
}

static double ratio(double num, double den)
{
    return den > 0 ? num / den : NAN;
}

static double auc_from_bins(const rl_metrics *m)
{
    double pos = 0, neg = 0, below = 0, acc = 0;
    for (uint32_t i = 0; i < AUC_BINS; i++) {
        pos += m->auc_pos[i];
        neg += m->auc_neg[i];
    }
    if (!(pos > 0) || !(neg > 0))
        return NAN;
    for (uint32_t i = 0; i < AUC_BINS; i++) {
        acc += m->auc_pos[i] * (below + 0.5 * m->auc_neg[i]);
        below += m->auc_neg[i];
    }
    return acc / (pos * neg);
}

void rl_metrics_summary_get(const rl_metrics *m, rl_metrics_summary *out)
{
    int classif = m->task != RL_TASK_REGRESSION;

    memset(out, 0, sizeof(*out));
    out->task = m->task;
    out->n = m->n;
    out->weight = m->weight;
    out->accuracy = classif ? ratio(m->sum_correct, m->weight) : NAN;
    out->log_loss = classif && m->n_noprob == 0 ? ratio(m->sum_logloss, m->weight) : NAN;
    out->auc = m->task == RL_TASK_BINARY ? auc_from_bins(m) : NAN;
    if (m->task == RL_TASK_MULTICLASS) {
        out->rmse = NAN;
        out->mae = NAN;
    } else {
        out->rmse = sqrt(ratio(m->sum_sq, m->weight));
        out->mae = ratio(m->sum_abs, m->weight);
    }
    out->mean_loss = ratio(m->sum_loss, m->weight);
    out->recent_loss = ratio(m->r_sum_wloss, m->r_sum_w);
    out->recent_accuracy = classif ? ratio(m->r_sum_wcorrect, m->r_sum_w) : NAN;
    out->recent_n = m->count;
}

void rl_metrics_recent_loss(const rl_metrics *m, double *loss, uint64_t *n)
{
    *loss = ratio(m->r_sum_wloss, m->r_sum_w);
    *n = m->count;
}

rl_err rl_metrics_export(const rl_metrics *m, rl_buf *out)
{
    rl_buf_put_u8(out, METRICS_FORMAT_VERSION);
    rl_buf_put_u8(out, (uint8_t)m->task);
    rl_buf_put_u32(out, m->window);
    rl_buf_put_u64(out, m->n);
    rl_buf_put_f64(out, m->weight);
    rl_buf_put_f64(out, m->sum_correct);
    rl_buf_put_f64(out, m->sum_logloss);
    rl_buf_put_u64(out, m->n_noprob);
    rl_buf_put_f64(out, m->sum_sq);
    rl_buf_put_f64(out, m->sum_abs);
    rl_buf_put_f64(out, m->sum_loss);
    if (m->task == RL_TASK_BINARY) {
        rl_buf_put_f64s(out, m->auc_pos, AUC_BINS);
        rl_buf_put_f64s(out, m->auc_neg, AUC_BINS);
    }
    rl_buf_put_u32(out, m->head);
    rl_buf_put_u32(out, m->count);
    rl_buf_put_f64(out, m->r_sum_wloss);
    rl_buf_put_f64(out, m->r_sum_w);
    rl_buf_put_f64(out, m->r_sum_wcorrect);
    rl_buf_put_f64s(out, m->r_wloss, m->count);
    rl_buf_put_f64s(out, m->r_w, m->count);
    rl_buf_put(out, m->r_correct, m->count);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

/* Import reads every scalar first and checks that exactly the ring's bytes remain before
 * touching the object, so a refused blob leaves the metrics as they were. */
rl_err rl_metrics_import(rl_metrics *m, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    rl_cursor r;
    rl_cursor_init(&r, p, len);

    uint8_t ver = rl_cursor_u8(&r);
    uint8_t task = rl_cursor_u8(&r);
    uint32_t window = rl_cursor_u32(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "metrics state: truncated header (%zu bytes)", len);
    rl_err e = rl_check_format_version(ver, METRICS_FORMAT_VERSION, METRICS_FORMAT_VERSION,
                                       "metrics state", errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (task != (uint8_t)m->task)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "metrics state: task %u does not match this model's %s", task,
                          rl_task_name(m->task));
    if (window != m->window)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "metrics state: window %u does not match this model's %u", window,
                          m->window);

    uint64_t n = rl_cursor_u64(&r);
    double weight = rl_cursor_f64(&r);
    double sum_correct = rl_cursor_f64(&r);
    double sum_logloss = rl_cursor_f64(&r);
    uint64_t n_noprob = rl_cursor_u64(&r);
    double sum_sq = rl_cursor_f64(&r);
    double sum_abs = rl_cursor_f64(&r);
    double sum_loss = rl_cursor_f64(&r);
    const uint8_t *bins = r.p;
    size_t bins_len = m->task == RL_TASK_BINARY ? 2 * AUC_BINS * sizeof(double) : 0;
    if (r.left < bins_len) {
        r.failed = 1;
    } else {
        r.p += bins_len;
        r.left -= bins_len;
    }
    uint32_t head = rl_cursor_u32(&r);
    uint32_t count = rl_cursor_u32(&r);
    double r_sum_wloss = rl_cursor_f64(&r);
    double r_sum_w = rl_cursor_f64(&r);
    double r_sum_wcorrect = rl_cursor_f64(&r);
    if (!rl_cursor_ok(&r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "metrics state: truncated (%zu bytes)", len);
    if (count > window || head >= window || (count < window && head != count))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "metrics state: ring position %u/%u invalid for window %u", head, count,
                          window);
    if (r.left != (size_t)count * (2 * sizeof(double) + 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "metrics state: %zu ring bytes for %u entries", r.left, count);

    m->n = n;
    m->weight = weight;
    m->sum_correct = sum_correct;
    m->sum_logloss = sum_logloss;
    m->n_noprob = n_noprob;
    m->sum_sq = sum_sq;
    m->sum_abs = sum_abs;
    m->sum_loss = sum_loss;
    if (bins_len) {
        rl_cursor br;
        rl_cursor_init(&br, bins, bins_len);
        rl_cursor_f64s(&br, m->auc_pos, AUC_BINS);
        rl_cursor_f64s(&br, m->auc_neg, AUC_BINS);
    }
    memset(m->r_wloss, 0, m->window * sizeof(*m->r_wloss));
    memset(m->r_w, 0, m->window * sizeof(*m->r_w));
    memset(m->r_correct, 0, m->window * sizeof(*m->r_correct));
    rl_cursor_f64s(&r, m->r_wloss, count);
    rl_cursor_f64s(&r, m->r_w, count);
    rl_cursor_bytes(&r, m->r_correct, count);
    for (uint32_t i = 0; i < count; i++)
        m->r_correct[i] = m->r_correct[i] ? 1 : 0;
    m->head = head;
    m->count = count;
    m->r_sum_wloss = r_sum_wloss;
    m->r_sum_w = r_sum_w;
    m->r_sum_wcorrect = r_sum_wcorrect;
    return RL_OK;
}
