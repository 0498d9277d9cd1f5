/* test_metrics.c - prequential metrics (model/metrics.c): known answers for every task,
 * importance weights, log-loss clipping, AUC with ties, the recent window, no float drift over
 * long streams, exact state export/import, bad arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/metrics.h"
#include "tests/model_util.h"

/* ---- helpers ---- */

static rl_pred bin_pred(double prob)
{
    rl_pred p;
    p.score = log(prob / (1 - prob));
    p.value = prob;
    p.prob = prob;
    p.prob_true = NAN;
    p.cls = prob >= 0.5 ? 1 : 0;
    return p;
}

static rl_metrics *metrics_new(rl_task task, uint32_t window)
{
    rl_metrics *m = NULL;
    char err[256];
    assert_int_equal(rl_metrics_new(task, window, &m, err, sizeof(err)), RL_OK);
    return m;
}

/* ---- metrics: known answers ---- */

static void test_metrics_binary_known(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_BINARY, 3);
    const double prob[4] = {0.3, 0.6, 0.9, 0.2};
    const float label[4] = {1, 0, 1, 0};
    double ll = 0;
    for (int i = 0; i < 4; i++) {
        rl_pred p = bin_pred(prob[i]);
        double l = -log(label[i] == 1 ? prob[i] : 1 - prob[i]);
        ll += l;
        rl_metrics_add(m, &p, label[i], 1, l);
    }
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_int_equal(s.n, 4);
    assert_true(s.weight == 4);
    /* predicted classes 0 1 1 0 against 1 0 1 0: two right */
    assert_true(fabs(s.accuracy - 0.5) < 1e-12);
    assert_true(fabs(s.log_loss - ll / 4) < 1e-12);
    assert_true(fabs(s.mean_loss - ll / 4) < 1e-12);
    /* positives 0.3, 0.9 vs negatives 0.6, 0.2: pairs won 0.3>0.2, 0.9>0.6, 0.9>0.2 -> 3/4 */
    assert_true(fabs(s.auc - 0.75) < 1e-12);
    /* errors 0.7 0.6 0.1 0.2 */
    assert_true(fabs(s.rmse - sqrt((0.49 + 0.36 + 0.01 + 0.04) / 4)) < 1e-12);
    assert_true(fabs(s.mae - 0.4) < 1e-12);
    /* window 3: the last three */
    assert_int_equal(s.recent_n, 3);
    assert_true(fabs(s.recent_accuracy - 2.0 / 3) < 1e-12);
    assert_true(fabs(s.recent_loss - (-log(0.4) - log(0.9) - log(0.8)) / 3) < 1e-12);
    rl_metrics_destroy(m);
}

static void test_metrics_weighted(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_BINARY, 10);
    rl_pred a = bin_pred(0.8), b = bin_pred(0.4);
    rl_metrics_add(m, &a, 1, 3, 1.0); /* right, weight 3 */
    rl_metrics_add(m, &b, 1, 1, 2.0); /* wrong, weight 1 */
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_true(fabs(s.accuracy - 0.75) < 1e-12);
    assert_true(fabs(s.mean_loss - (3 * 1.0 + 2.0) / 4) < 1e-12);
    assert_true(fabs(s.log_loss - (3 * -log(0.8) - log(0.4)) / 4) < 1e-12);
    assert_true(fabs(s.recent_loss - 5.0 / 4) < 1e-12);
    assert_true(fabs(s.recent_accuracy - 0.75) < 1e-12);
    /* one class only: AUC undefined */
    assert_true(isnan(s.auc));
    rl_metrics_destroy(m);
}

static void test_metrics_logloss_clip_and_noprob(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_BINARY, 5);
    rl_pred p = bin_pred(0.5);
    p.prob = 0.0; /* certain and wrong: clipped to 1e-15 */
    p.value = 0.0;
    p.cls = 0;
    rl_metrics_add(m, &p, 1, 1, 0);
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_true(fabs(s.log_loss - -log(1e-15)) < 1e-9);
    assert_true(isfinite(s.log_loss));

    /* a margin learner: no probability -> no log loss; AUC ranks sigmoid(score) */
    rl_metrics_reset(m);
    const double score[4] = {-2.0, 1.0, 3.0, -0.5};
    const float label[4] = {0, 0, 1, 1};
    for (int i = 0; i < 4; i++) {
        rl_pred q = {score[i], score[i] > 0, NAN, NAN, score[i] > 0};
        rl_metrics_add(m, &q, label[i], 1, 0);
    }
    rl_metrics_summary_get(m, &s);
    assert_int_equal(s.n, 4);
    assert_true(isnan(s.log_loss));
    assert_true(fabs(s.accuracy - 0.5) < 1e-12);
    /* positives 3, -0.5 vs negatives -2, 1: won 3>-2, 3>1, -0.5>-2 -> 3/4 */
    assert_true(fabs(s.auc - 0.75) < 1e-12);
    rl_metrics_destroy(m);
}

static void test_metrics_auc_ties_in_bin(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_BINARY, 5);
    /* same bin (width 1/4096): a tie, counted one half */
    rl_pred a = bin_pred(0.50001), b = bin_pred(0.50002);
    rl_metrics_add(m, &a, 1, 1, 0);
    rl_metrics_add(m, &b, 0, 1, 0);
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_true(fabs(s.auc - 0.5) < 1e-12);
    rl_metrics_destroy(m);
}

static void test_metrics_regression_known(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_REGRESSION, 2);
    const double value[3] = {1.0, 2.0, 5.0};
    const float label[3] = {2.0f, 2.0f, 1.0f};
    for (int i = 0; i < 3; i++) {
        rl_pred p = {value[i], value[i], NAN, NAN, -1};
        double e = value[i] - label[i];
        rl_metrics_add(m, &p, label[i], 1, 0.5 * e * e);
    }
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_true(fabs(s.rmse - sqrt((1.0 + 0 + 16.0) / 3)) < 1e-12);
    assert_true(fabs(s.mae - 5.0 / 3) < 1e-12);
    assert_true(fabs(s.mean_loss - 0.5 * 17.0 / 3) < 1e-12);
    assert_true(fabs(s.recent_loss - 0.5 * 16.0 / 2) < 1e-12);
    assert_true(isnan(s.accuracy) && isnan(s.auc) && isnan(s.log_loss));
    assert_true(isnan(s.recent_accuracy));
    rl_metrics_destroy(m);
}

static void test_metrics_multiclass_known(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_MULTICLASS, 4);
    rl_pred a = {2.0, 2, 0.7, 0.7, 2}; /* right, P(true) 0.7 */
    rl_pred b = {1.0, 1, 0.5, 0.2, 1}; /* wrong, P(true) 0.2 */
    rl_metrics_add(m, &a, 2, 1, -log(0.7));
    rl_metrics_add(m, &b, 0, 1, -log(0.2));
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_true(fabs(s.accuracy - 0.5) < 1e-12);
    assert_true(fabs(s.log_loss - (-log(0.7) - log(0.2)) / 2) < 1e-12);
    assert_true(isnan(s.auc) && isnan(s.rmse) && isnan(s.mae));
    rl_metrics_destroy(m);
}

static void test_metrics_window_wrap(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_REGRESSION, 4);
    rl_pred p = {0, 0, NAN, NAN, -1};
    rl_metrics_summary s;
    for (int i = 1; i <= 10; i++) {
        rl_metrics_add(m, &p, 0, 1, (double)i);
        rl_metrics_summary_get(m, &s);
        int lo = i > 4 ? i - 3 : 1;
        double want = 0;
        for (int k = lo; k <= i; k++)
            want += k;
        want /= (i - lo + 1);
        assert_int_equal(s.recent_n, (uint64_t)(i - lo + 1));
        assert_true(fabs(s.recent_loss - want) < 1e-12);
    }
    /* after a wrap the running sum is recomputed exactly: 7+8+9+10 ... then at 12: 9..12 */
    rl_metrics_add(m, &p, 0, 1, 11);
    rl_metrics_add(m, &p, 0, 1, 12);
    rl_metrics_summary_get(m, &s);
    assert_true(s.recent_loss == (9.0 + 10 + 11 + 12) / 4);
    assert_true(fabs(s.mean_loss - 6.5) < 1e-12);
    rl_metrics_destroy(m);
}

/* Rounding cannot accumulate: after many wraps of wildly scaled losses the recent mean matches
 * a fresh sum of the window exactly. */
static void test_metrics_no_float_drift(void **state)
{
    (void)state;
    rl_metrics *m = metrics_new(RL_TASK_REGRESSION, 8);
    rl_pred p = {0, 0, NAN, NAN, -1};
    double ring[8];
    for (int i = 0; i < 8 * 1000; i++) {
        double l = (i % 3 == 0) ? 1e12 : 1e-3 * i;
        ring[i % 8] = l;
        rl_metrics_add(m, &p, 0, 1, l);
    }
    double want = 0;
    for (int k = 0; k < 8; k++)
        want += ring[k];
    rl_metrics_summary s;
    rl_metrics_summary_get(m, &s);
    assert_true(s.recent_loss == want / 8);
    rl_metrics_destroy(m);
}

static void test_metrics_export_import(void **state)
{
    (void)state;
    char err[256];
    rl_metrics *a = metrics_new(RL_TASK_BINARY, 16);
    rl_metrics *b = metrics_new(RL_TASK_BINARY, 16);
    rng_seed(7);
    for (int i = 0; i < 37; i++) {
        rl_pred p = bin_pred(0.01 + 0.98 * rng_u01());
        rl_metrics_add(a, &p, rng_u01() < 0.5, (float)(0.5 + rng_u01()), rng_u01());
    }
    rl_buf ea, eb;
    rl_buf_init(&ea);
    rl_buf_init(&eb);
    assert_int_equal(rl_metrics_export(a, &ea), RL_OK);
    assert_int_equal(rl_metrics_import(b, ea.data, ea.len, err, sizeof(err)), RL_OK);
    for (int i = 0; i < 29; i++) {
        rl_pred p = bin_pred(0.01 + 0.98 * rng_u01());
        float y = rng_u01() < 0.5, w = (float)(0.5 + rng_u01());
        double l = rng_u01();
        rl_metrics_add(a, &p, y, w, l);
        rl_metrics_add(b, &p, y, w, l);
    }
    rl_buf_reset(&ea);
    assert_int_equal(rl_metrics_export(a, &ea), RL_OK);
    assert_int_equal(rl_metrics_export(b, &eb), RL_OK);
    assert_int_equal(ea.len, eb.len);
    assert_memory_equal(ea.data, eb.data, ea.len);
    rl_metrics_summary sa, sb;
    rl_metrics_summary_get(a, &sa);
    rl_metrics_summary_get(b, &sb);
    assert_true(same_double(sa.recent_loss, sb.recent_loss) && same_double(sa.auc, sb.auc));

    /* refusals: another window, another task, a newer version, truncation, trailing bytes */
    rl_metrics *w = metrics_new(RL_TASK_BINARY, 17);
    rl_metrics *t = metrics_new(RL_TASK_REGRESSION, 16);
    assert_int_equal(rl_metrics_import(w, ea.data, ea.len, err, sizeof(err)), RL_ERR_MISMATCH);
    assert_non_null(strstr(err, "window"));
    assert_int_equal(rl_metrics_import(t, ea.data, ea.len, err, sizeof(err)), RL_ERR_MISMATCH);
    assert_non_null(strstr(err, "task"));
    ea.data[0] = 99;
    assert_int_equal(rl_metrics_import(b, ea.data, ea.len, err, sizeof(err)), RL_ERR_VERSION);
    ea.data[0] = 1;
    assert_int_equal(rl_metrics_import(b, ea.data, ea.len - 1, err, sizeof(err)), RL_ERR_FORMAT);
    rl_buf_put_u8(&ea, 0);
    assert_int_equal(rl_metrics_import(b, ea.data, ea.len, err, sizeof(err)), RL_ERR_FORMAT);
    /* a refused import left b as it was */
    rl_buf_reset(&ea);
    assert_int_equal(rl_metrics_export(b, &ea), RL_OK);
    assert_memory_equal(ea.data, eb.data, eb.len);

    rl_buf_free(&ea);
    rl_buf_free(&eb);
    rl_metrics_destroy(a);
    rl_metrics_destroy(b);
    rl_metrics_destroy(w);
    rl_metrics_destroy(t);
}

static void test_metrics_bad_args(void **state)
{
    (void)state;
    rl_metrics *m = NULL;
    char err[256];
    assert_int_equal(rl_metrics_new(RL_TASK_BINARY, 0, &m, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_null(m);
    assert_int_equal(
        rl_metrics_new(RL_TASK_BINARY, RL_METRICS_WINDOW_MAX + 1, &m, err, sizeof(err)),
        RL_ERR_INVALID_ARG);
    assert_int_equal(rl_metrics_new((rl_task)9, 10, &m, err, sizeof(err)), RL_ERR_INVALID_ARG);
    rl_metrics_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_binary_known),
        cmocka_unit_test(test_metrics_weighted),
        cmocka_unit_test(test_metrics_logloss_clip_and_noprob),
        cmocka_unit_test(test_metrics_auc_ties_in_bin),
        cmocka_unit_test(test_metrics_regression_known),
        cmocka_unit_test(test_metrics_multiclass_known),
        cmocka_unit_test(test_metrics_window_wrap),
        cmocka_unit_test(test_metrics_no_float_drift),
        cmocka_unit_test(test_metrics_export_import),
        cmocka_unit_test(test_metrics_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
