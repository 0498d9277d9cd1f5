/* eval_run.c - relearn eval's run: reads the input ahead of the model, steps the model on each
 * example through rl_model_step() (the step relearnd runs), reports progress, bad lines and
 * alerts, and scores --test. Nothing is allocated per event. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/eval_run.h"
#include "kafka/kafka.h"
#include "wire/alert_json.h"

void rl_eval_on_alert(void *opaque, const rl_alert *a)
{
    eval_ctx *c = opaque;
    c->n_alerts++;
    c->n_suppressed += a->suppressed;
    const char *level = rl_drift_state_name(a->level);
    if (!c->o->quiet_alerts)
        printf("%s at event %llu (%s:%llu): detector=%s source=%s %s=%.6g response=%s "
               "suppressed=%llu\n",
               level, (unsigned long long)a->position, c->file, (unsigned long long)c->line,
               a->detector, a->source, a->statistic_name ? a->statistic_name : "statistic",
               a->statistic, a->response, (unsigned long long)a->suppressed);
    if (!c->alerts || c->alerts_failed)
        return;
    /* the record relearnd sends to its alerts topic (wire/alert_json.h), plus where in the
     * input the alert came */
    json_t *j = rl_alert_to_json(a);
    if (!j) {
        c->alerts_failed = 1;
        return;
    }
    json_object_set_new(j, "file", json_string(c->file));
    json_object_set_new(j, "line", json_integer((json_int_t)c->line));
    if (json_dumpf(j, c->alerts, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 ||
        fputc('\n', c->alerts) == EOF)
        c->alerts_failed = 1;
    json_decref(j);
}

static void print_row(const char *name, double v, const char *fmt)
{
    if (isnan(v))
        return;
    printf("%-18s ", name);
    printf(fmt, v);
    putchar('\n');
}

void rl_eval_print_metrics(const char *prefix, const rl_metrics_summary *s)
{
    char name[64];
#define ROW(label, val, fmt)                                                                       \
    do {                                                                                           \
        snprintf(name, sizeof(name), "%s%s", prefix, label);                                       \
        print_row(name, val, fmt);                                                                 \
    } while (0)
    if (s->task != RL_TASK_REGRESSION)
        ROW("accuracy", s->accuracy, "%.6f");
    ROW("log loss", s->log_loss, "%.6f");
    if (s->task == RL_TASK_BINARY)
        ROW("AUC", s->auc, "%.6f");
    if (s->task == RL_TASK_REGRESSION) {
        ROW("RMSE", s->rmse, "%.6g");
        ROW("MAE", s->mae, "%.6g");
    }
    if (!prefix[0])
        ROW("mean loss", s->mean_loss, "%.6g");
#undef ROW
}

static void report_bad(uint64_t *n_bad, const char *msg)
{
    (*n_bad)++;
    if (*n_bad <= MAX_BAD_SHOWN)
        fprintf(stderr, "relearn eval: %s\n", msg);
}

/* Reads every record of the input: the parse-only baseline. */
int rl_eval_parse_only(const eval_opts *o)
{
    char err[512];
    rl_reader *r = NULL;
    if (rl_reader_open(o->input, &o->ropts, &r, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: %s\n", err);
        return 2;
    }
    if (rl_cli_check_csv_opts("eval", &o->ropts, r)) {
        rl_reader_destroy(r);
        return 2;
    }
    double t0 = rl_mono_s();
    uint64_t n = 0, bad = 0, feats = 0;
    int rc = 0;
    for (;;) {
        const rl_record *rec;
        rl_err e = rl_reader_next(r, &rec, err, sizeof(err));
        if (e == RL_ERR_FORMAT) {
            report_bad(&bad, err);
            if (o->strict) {
                rc = 1;
                break;
            }
            continue;
        }
        if (e != RL_OK) {
            fprintf(stderr, "relearn eval: %s\n", err);
            rc = 1;
            break;
        }
        if (!rec)
            break;
        n++;
        feats += rec->n_feats;
    }
    double dt = rl_mono_s() - t0;
    rl_reader_stats st;
    rl_reader_get_stats(r, &st);
    printf("%-18s %s\n", "format", rl_text_format_name(rl_reader_format(r)));
    printf("%-18s %llu\n", "events", (unsigned long long)n);
    printf("%-18s %llu\n", "features", (unsigned long long)feats);
    printf("%-18s %llu\n", "bad lines", (unsigned long long)bad);
    printf("%-18s %llu\n", "skipped lines", (unsigned long long)st.skipped);
    printf("%-18s %.3f\n", "seconds", dt);
    printf("%-18s %.0f\n", "events/s", dt > 0 ? (double)n / dt : 0.0);
    rl_reader_destroy(r);
    return rc;
}

/* What one read gave: an example (err RL_OK, !at_end), the end of the input, a bad line
 * (RL_ERR_FORMAT, not fatal: report it and read on) or a fatal error. msg holds the reason. */
typedef struct next_example {
    rl_example ex;
    uint64_t line;
    rl_err err;
    int at_end;
    int fatal;
    char msg[512];
} next_example;

/* Counts the names behind ex's slots in the feature dictionary (VW features, CSV columns by
 * header: "ns^name", "col=value" or the name, as they were hashed), so `relearn inspect` on the
 * saved model shows names rather than slot numbers. libsvm's indices have no names: they are their
 * own slots. The dictionary keeps at most RL_DICT_NAME_MAX - 1 bytes of a name (and flags a longer
 * one), so only that much is copied, into a fixed buffer: nothing is allocated. */
static void add_names(rl_dict *d, const rl_record *rec, const rl_example *ex)
{
    char name[RL_DICT_NAME_MAX];
    for (uint32_t i = 0; i < rec->n_feats; i++) {
        const rl_text_feature *f = &rec->feats[i];
        if (!f->name)
            continue;
        size_t n = 0, k;
        if (f->ns && f->ns_sep) {
            k = f->ns_len < sizeof(name) ? f->ns_len : sizeof(name);
            memcpy(name, f->ns, k);
            n = k;
            if (n < sizeof(name))
                name[n++] = f->ns_sep;
        }
        k = f->name_len < sizeof(name) - n ? f->name_len : sizeof(name) - n;
        memcpy(name + n, f->name, k);
        n += k;
        rl_dict_add(d, ex->feats[i].index, name, n);
    }
}

/* Reads the next record, maps its label and builds its example in b (and counts its names in
 * dict unless NULL). Prints nothing: the caller reports what the read found (no_example). */
static void read_example(rl_reader *r, const run_state *s, rl_example_builder *b, rl_dict *dict,
                         next_example *n)
{
    const rl_record *rec;
    float y = 0;
    n->at_end = 0;
    n->fatal = 0;
    n->err = rl_reader_next(r, &rec, n->msg, sizeof(n->msg));
    if (n->err == RL_OK && rec)
        n->err = rl_record_label(r, rec, s->task, s->n_classes, &y, n->msg, sizeof(n->msg));
    if (n->err != RL_OK) {
        n->fatal = n->err != RL_ERR_FORMAT;
        return;
    }
    if (!rec) {
        n->at_end = 1;
        return;
    }
    if (s->poisson && y < 0.0f) {
        /* relearnd's decoder refuses these (label_out_of_domain); taken here they made the
         * loss NaN and its row vanished from the table. */
        n->err = RL_ERR_FORMAT;
        snprintf(n->msg, sizeof(n->msg), "%s:%llu: label %.9g is negative (Poisson regression)",
                 rl_reader_name(r), (unsigned long long)rec->line, (double)y);
        return;
    }
    n->line = rec->line;
    n->err = rl_example_from_record(b, &s->h, rec, y, &n->ex, n->msg, sizeof(n->msg));
    n->fatal = n->err != RL_OK;
    if (n->err == RL_OK && dict)
        add_names(dict, rec, &n->ex);
}

/* Acts on a read that gave no example. Returns -1 to read on, else the status to stop with. */
static int no_example(const eval_opts *o, const next_example *n, uint64_t *bad, int report)
{
    if (n->fatal) {
        fprintf(stderr, "relearn eval: %s\n", n->msg);
        return 1;
    }
    if (n->err == RL_ERR_FORMAT) {
        if (report || o->strict)
            report_bad(bad, n->msg);
        return o->strict ? 1 : -1;
    }
    return 0; /* the end */
}

static void print_progress(const run_state *s)
{
    rl_metrics_summary sum;
    rl_model_summary(s->m, &sum);
    double dt = rl_mono_s() - s->t0;
    double rate = dt > 0 ? (double)s->events / dt : 0.0;
    if (s->task == RL_TASK_REGRESSION)
        fprintf(stderr,
                "relearn eval: events=%llu bad=%llu rmse=%.6g mae=%.6g "
                "recent_loss=%.6g events/s=%.0f\n",
                (unsigned long long)s->events, (unsigned long long)s->bad, sum.rmse, sum.mae,
                sum.recent_loss, rate);
    else
        fprintf(stderr,
                "relearn eval: events=%llu bad=%llu accuracy=%.4f log_loss=%.4f "
                "recent_accuracy=%.4f events/s=%.0f\n",
                (unsigned long long)s->events, (unsigned long long)s->bad, sum.accuracy,
                sum.log_loss, sum.recent_accuracy, rate);
}

/* Reads on until the next example (into *n), reporting bad lines as they come. Returns -1 when
 * *n holds an example, else the status to stop with (0 at the end). */
static int fetch_example(const eval_opts *o, rl_reader *r, run_state *s, rl_example_builder *b,
                         rl_dict *dict, int report, next_example *n)
{
    for (;;) {
        read_example(r, s, b, dict, n);
        if (n->err == RL_OK && !n->at_end)
            return -1;
        int st = no_example(o, n, &s->bad, report);
        if (st >= 0)
            return st;
    }
}

/* One pass of test-then-train over the input. Returns 0, or the exit status to stop with.
 *
 * Examples are read EVAL_AHEAD ahead of the one being learned, and the learner is asked to
 * prefetch each one's state as it is read: with a large spread-out weight space nearly every
 * feature is a cache miss, and this way the misses are served while the following lines are
 * parsed instead of stalling the learner. Results are the same as reading one at a time:
 * examples are learned in file order, and a bad line under --strict (or a read error) still
 * stops the run after every example before it was learned. Only the interleaving of stderr
 * lines moves: a bad line is reported when it is read, up to EVAL_AHEAD events before the
 * progress line of the examples just ahead of it. */
int rl_eval_pass(const eval_opts *o, run_state *s, eval_ctx *c, uint32_t pass)
{
    char err[512];
    rl_reader *r = NULL;
    if (rl_reader_open(o->input, &o->ropts, &r, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: %s\n", err);
        return 2;
    }
    if (pass == 0 && rl_cli_check_csv_opts("eval", &o->ropts, r)) {
        rl_reader_destroy(r);
        return 2;
    }
    c->file = rl_reader_name(r);
    /* Names are counted once per file, not once per pass. */
    rl_dict *dict = pass == 0 ? s->dict : NULL;
    int report = pass == 0;
    next_example n[EVAL_SLOTS];
    uint32_t head = 0, have = 0;
    int st = -1; /* -1 while the input has more examples, then the status to stop with */
    for (;;) {
        while (st < 0 && have < EVAL_SLOTS) {
            uint32_t k = (head + have) % EVAL_SLOTS;
            st = fetch_example(o, r, s, &s->b[k], dict, report, &n[k]);
            if (st < 0) {
                rl_learner_prefetch(rl_model_learner(s->m), &n[k].ex);
                have++;
            }
        }
        if (have == 0)
            break;
        c->line = n[head].line;
        rl_model_step(s->m, &n[head].ex, NULL, NULL);
        for (uint32_t k = 0; k < s->n_xm; k++)
            rl_model_step(s->xm[k], &n[head].ex, NULL, NULL);
        head = (head + 1) % EVAL_SLOTS;
        have--;
        s->events++;
        if (o->progress && s->events % o->progress == 0)
            print_progress(s);
    }
    if (pass == 0) {
        rl_reader_stats rst;
        rl_reader_get_stats(r, &rst);
        s->skipped = rst.skipped;
    }
    rl_reader_destroy(r);
    return st;
}

/* Scores the hold-out file (opened before training, so a wrong --test path fails at once
 * rather than after a long run) with the trained model, without learning. */
int rl_eval_test(const eval_opts *o, run_state *s, rl_reader *r)
{
    char err[512];
    rl_metrics *met = NULL;
    int rc = 0;
    if (rl_metrics_new(s->task, RL_METRICS_WINDOW_DEFAULT, &met, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: %s\n", err);
        return 1;
    }
    uint64_t bad = 0;
    next_example n;
    for (;;) {
        read_example(r, s, &s->b[0], NULL, &n);
        if (n.err != RL_OK || n.at_end) {
            int st = no_example(o, &n, &bad, 1);
            if (st < 0)
                continue;
            rc = st;
            break;
        }
        rl_pred p;
        /* Training told the learner that eval prefetches (rl_eval_pass): keep doing so. */
        rl_learner_prefetch(rl_model_learner(s->m), &n.ex);
        rl_model_predict(s->m, &n.ex, &p);
        rl_metrics_add(met, &p, n.ex.label, n.ex.weight, 0.0);
    }
    rl_metrics_summary sum;
    rl_metrics_summary_get(met, &sum);
    printf("%-18s %llu\n", "test events", (unsigned long long)sum.n);
    printf("%-18s %llu\n", "test bad lines", (unsigned long long)bad);
    rl_eval_print_metrics("test ", &sum);
    rl_metrics_destroy(met);
    return rc;
}
