/* cmd_eval.c - `relearn eval`: offline prequential (test-then-train) evaluation of a learner over
 * a libsvm / VW / CSV file, through rl_model_step(): the same predict -> score -> drift ->
 * update step relearnd runs, so what eval reports is what the daemon would have seen.
 *
 * This file is the command: its options, the checks between them, and the summary; the run
 * itself (reading ahead, stepping the model, --test, --parse-only) is eval_run.c. Memory is
 * bounded whatever the file's length: nothing is allocated per event. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/eval_grid.h"
#include "cli/eval_run.h"
#include "kafka/kafka.h"
#include "storage/ckpt.h"
#include "storage/snapshot.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: relearn eval [OPTIONS] FILE\n"
        "\n"
        "Runs test-then-train over FILE (\"-\" = stdin): each event is first predicted and\n"
        "scored, then learned from. Prints a progress line every N events (stderr) and a\n"
        "final table (stdout).\n"
        "\n"
        "Learner (defaults: sgd, logistic loss, normalized adaptive steps, 2^18 weights):\n"
        "  --learner NAME     sgd | perceptron | avg_perceptron | ogd | ftrl | softmax\n"
        "  --loss L           sgd: logistic | hinge | squared | poisson; ogd: the first 3\n"
        "  --schedule S       normalized | constant | invscaling | adagrad | pegasos\n"
        "  --bits B           2^B hashed weights, %d..%d\n"
        "  --eta X  --power-t X  --t0 X  --l1 X  --l2 X  --alpha X  --beta X  --radius X\n"
        "                     each learner refuses one it does not read: sgd: loss\n"
        "                     schedule eta power_t t0 l1 l2; ogd: loss eta radius;\n"
        "                     softmax: classes schedule eta power_t t0 l1 l2; perceptron,\n"
        "                     avg_perceptron: eta; ftrl: loss alpha beta l1 l2 (all: bits,\n"
        "                     bias)\n"
        "  --classes K        softmax: number of classes (labels 0..K-1)\n"
        "  -q AB, --cubic ABC, --interactions AB,ABC\n"
        "                     cross namespaces as VW does (repeatable): every feature of\n"
        "                     namespace A times every one of B (and C). A feature's namespace\n"
        "                     is the first byte of its name (VW: of its namespace; CSV: of its\n"
        "                     column); indexed features (libsvm) are in ' '\n"
        "  --bias 0|1         learn a bias term (default 1)\n"
        "  --seed N           feature-hashing seed (default 0)\n",
        RL_BITS_MIN, RL_BITS_MAX);
    fprintf(f,
            "Input:\n"
            "  --format F         libsvm | vw | csv | auto (default: by extension, else content)\n"
            "  --label-col C      CSV label column, by header name or 0-based number\n"
            "                     (default: the column named \"label\", else column 0)\n"
            "  --delimiter D      CSV delimiter, one character or \"tab\" (default ',')\n"
            "  --no-header        CSV without a header line (features indexed by "
            "column)\n" RL_CLI_CSV_HELP "  --max-line BYTES   longest accepted line (default %u)\n"
            "Run:\n"
            "  --passes N         passes over FILE (default 1; FILE must be a regular file)\n"
            "  --test FILE2       after training, score FILE2 without learning (hold-out)\n"
            "  --progress N       progress line every N events (default 100000, 0 = none)\n"
            "  --strict           stop at the first bad line, exit status 1\n"
            "  --save FILE        write the final model as a checkpoint file\n"
            "  --init-model SNAP  start from a snapshot's weights (same learner/bits/seed)\n"
            "  --grid SPEC        learn several configurations in one pass (parse and hash\n"
            "                     once) and rank them: \"eta=0.1;eta=0.5 l2=1e-6;...\" (';'\n"
            "                     between configurations, each learner settings over the other\n"
            "                     options), or auto (the rate: eta, ftrl's alpha, 0.1..8);\n"
            "                     --save keeps the best\n"
            "  --parse-only       only read and parse FILE (the benchmark's baseline)\n"
            "Drift (off by default):\n"
            "  --drift DETECTOR   ddm | eddm | adwin | page_hinkley | hddm_a\n"
            "  --drift-param K=V  detector parameter, or a [drift] key (window, error_scale,\n"
            "                     alert_min_gap, boost_factor, boost_halflife, watch_feature)\n"
            "                     watch_feature=NAME, or =#N for the feature with numeric\n"
            "                     index N (libsvm; CSV column N without a header)\n"
            "  --drift-response R alert | reset | boost | challenger (default alert)\n"
            "  --alerts-json F    write every alert as one JSON line to F\n"
            "  --quiet-alerts     do not print alerts on stdout (counts still shown)\n"
            "\n"
            "Labels: binary learners take 0/1 or -1/+1 (-1 is read as 0); regression any\n"
            "finite number (Poisson: >= 0); softmax a class id. Any other label is a bad line.\n"
            "A bad line is reported as file:line: reason (the first %d on stderr), counted\n"
            "and skipped.\n"
            "Blank lines and lines starting with '#' are skipped and counted separately.\n"
            "Exit status: 0 done; 1 the run failed (bad line under --strict, read error,\n"
            "--save failed); 2 usage error or unreadable input.\n",
            RL_READER_MAX_LINE_DEFAULT, MAX_BAD_SHOWN);
}

/* Options that map one-to-one onto rl_learner_params_set keys. */
static const struct {
    const char *flag;
    const char *key;
} learner_flags[] = {
    {"--learner", "learner"}, {"--loss", "loss"},     {"--schedule", "schedule"},
    {"--bits", "bits"},       {"--eta", "eta"},       {"--power-t", "power_t"},
    {"--t0", "t0"},           {"--l1", "l1"},         {"--l2", "l2"},
    {"--alpha", "alpha"},     {"--beta", "beta"},     {"--classes", "classes"},
    {"--bias", "bias"},       {"--radius", "radius"},
};

/* 1 if paths a and b name the same existing file (same device and inode), or are the same
 * string; "-" (stdin) is never a file here. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Returns 0 to run, 1 when --help was printed, -1 on a usage error (already reported). */
/* --learner, --bits, ...: a learner hyperparameter, checked by the learner's own table. */
static int set_learner_flag(void *opts, const char *flag, const char *value)
{
    eval_opts *o = opts;
    char err[256];
    for (size_t k = 0; k < sizeof(learner_flags) / sizeof(learner_flags[0]); k++) {
        if (strcmp(flag, learner_flags[k].flag) != 0)
            continue;
        if (rl_learner_params_set(&o->cfg.learner, learner_flags[k].key, value, err, sizeof(err)) !=
            RL_OK) {
            fprintf(stderr, "relearn eval: %s: %s\n", flag, err);
            return 2;
        }
    }
    return 0;
}

/* --drift DETECTOR, --drift-response R, --drift-param KEY=VALUE: the [drift] keys. */
static int set_drift_flag(void *opts, const char *flag, const char *v)
{
    eval_opts *o = opts;
    char err[256], kbuf[64];
    const char *key = strcmp(flag, "--drift") == 0 ? "detector" : "response";
    if (strcmp(flag, "--drift-param") == 0) {
        const char *e = strchr(v, '=');
        if (!e || e == v || (size_t)(e - v) >= sizeof(kbuf)) {
            fprintf(stderr, "relearn eval: --drift-param: '%s' is not KEY=VALUE\n", v);
            return 2;
        }
        memcpy(kbuf, v, (size_t)(e - v));
        kbuf[e - v] = '\0';
        key = kbuf;
        v = e + 1;
    }
    if (rl_model_config_set_drift(&o->cfg, key, v, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: %s: %s\n", flag, err);
        return 2;
    }
    return 0;
}

/* VW's spellings of interactions: -q ab (pairs), --cubic abc, --interactions ab,abc. */
static int set_interactions(void *opts, const char *flag, const char *v)
{
    eval_opts *o = opts;
    char err[256];
    int ix_len = strcmp(flag, "-q") == 0 || strcmp(flag, "--quadratic") == 0 ? 2
                 : strcmp(flag, "--cubic") == 0                              ? 3
                                                                             : 1;
    if (ix_len > 1 && strlen(v) != (size_t)ix_len) {
        fprintf(stderr, "relearn eval: %s: '%s' is not %d namespace letters (e.g. %s)\n", flag, v,
                ix_len, ix_len == 2 ? "-q ab" : "--cubic abc");
        return 2;
    }
    if (rl_learner_params_set(&o->cfg.learner, "interactions", v, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: %s: %s\n", flag, err);
        return 2;
    }
    return 0;
}

#define LEARNER_ROW(name) RL_OPT_CALL_ROW(name, 0, set_learner_flag, o, 1)
#define DRIFT_ROW(name)   RL_OPT_CALL_ROW(name, 0, set_drift_flag, o, 1)

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, eval_opts *o, rl_reader_args *ra)
{
    uint64_t passes = 1;
    int first;
    memset(o, 0, sizeof(*o));
    rl_model_config_default(&o->cfg);
    rl_reader_opts_default(&o->ropts);
    o->progress = 100000;
    *ra = (rl_reader_args){"eval", &o->ropts, &o->csv_lists};
    const rl_opt opts[] = {
        LEARNER_ROW("learner"),
        LEARNER_ROW("loss"),
        LEARNER_ROW("schedule"),
        LEARNER_ROW("bits"),
        LEARNER_ROW("eta"),
        LEARNER_ROW("power-t"),
        LEARNER_ROW("t0"),
        LEARNER_ROW("l1"),
        LEARNER_ROW("l2"),
        LEARNER_ROW("alpha"),
        LEARNER_ROW("beta"),
        LEARNER_ROW("classes"),
        LEARNER_ROW("bias"),
        LEARNER_ROW("radius"),
        RL_OPT_CALL_ROW("quadratic", 'q', set_interactions, o, 1),
        RL_OPT_CALL_ROW("cubic", 0, set_interactions, o, 1),
        RL_OPT_CALL_ROW("interactions", 0, set_interactions, o, 1),
        DRIFT_ROW("drift"),
        DRIFT_ROW("drift-response"),
        DRIFT_ROW("drift-param"),
        RL_READER_OPT_ROWS(ra),
        RL_OPT_NUMBER_ROW("seed", 0, &o->cfg.hash_seed, RL_PARAM_UINT, 0, 0x1p64, NULL),
        RL_OPT_NUMBER_ROW("passes", 0, &passes, RL_PARAM_UINT, 1, 100000, NULL),
        RL_OPT_NUMBER_ROW("progress", 0, &o->progress, RL_PARAM_UINT, 0, 0x1p64, NULL),
        RL_OPT_STRING_ROW("test", 0, &o->test),
        RL_OPT_STRING_ROW("save", 0, &o->save),
        RL_OPT_STRING_ROW("init-model", 0, &o->init_model),
        RL_OPT_STRING_ROW("grid", 0, &o->grid),
        RL_OPT_STRING_ROW("alerts-json", 0, &o->alerts_json),
        RL_OPT_FLAG_ROW("strict", 0, &o->strict),
        RL_OPT_FLAG_ROW("parse-only", 0, &o->parse_only),
        RL_OPT_FLAG_ROW("quiet-alerts", 0, &o->quiet_alerts),
        {RL_OPT_END},
    };
    int rc = rl_opts_parse(argc, argv, "eval", opts, usage, &first);
    if (rc >= 0)
        return rc;
    o->passes = (uint32_t)passes;
    if (argc - first > 1) {
        fprintf(stderr, "relearn eval: more than one input file ('%s', '%s')\n", argv[first],
                argv[first + 1]);
        return 2;
    }
    o->input = first < argc ? argv[first] : NULL;
    if (!o->input) {
        fprintf(stderr, "relearn eval: no input FILE (see --help)\n");
        return 2;
    }
    if (o->test && strcmp(o->test, "-") == 0 && strcmp(o->input, "-") == 0) {
        fprintf(stderr, "relearn eval: --test -: stdin is already the input\n");
        return 2;
    }
    if (o->passes > 1 && strcmp(o->input, "-") == 0) {
        fprintf(stderr, "relearn eval: --passes %u: stdin can be read only once\n", o->passes);
        return 2;
    }
    struct stat st;
    /* A pipe (e.g. <(zcat data.gz)) or a device reads empty on the second pass: the run said
     * "passes 3" over one pass of events. A missing file is left to the reader's message. */
    if (o->passes > 1 && stat(o->input, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr,
                "relearn eval: --passes %u: %s is not a regular file (a pipe or device can be "
                "read only once)\n",
                o->passes, o->input);
        return 2;
    }
    if (o->grid && (o->cfg.detector[0] || o->test || o->init_model)) {
        fprintf(stderr, "relearn eval: --grid compares learners on one pass: run --drift, "
                        "--test and --init-model on the chosen configuration\n");
        return 2;
    }
    if ((o->alerts_json || o->cfg.n_det_params || o->cfg.response != RL_RESPONSE_ALERT) &&
        !o->cfg.detector[0]) {
        fprintf(stderr, "relearn eval: --alerts-json, --drift-param and --drift-response need "
                        "--drift DETECTOR\n");
        return 2;
    }
    /* --alerts-json is truncated before the input is read and --save replaces its file after:
     * either one naming an input would destroy the data (the run then "succeeded" on 0 events). */
    const char *outs[2][2] = {{"--alerts-json", o->alerts_json}, {"--save", o->save}};
    const char *ins[2][2] = {{"input", o->input}, {"--test", o->test}};
    for (int k = 0; k < 2; k++)
        for (int m = 0; m < 2; m++)
            if (outs[k][1] && ins[m][1] && same_file(outs[k][1], ins[m][1])) {
                fprintf(stderr,
                        "relearn eval: %s %s: is also the %s file; refusing to overwrite it\n",
                        outs[k][0], outs[k][1], ins[m][0]);
                return 2;
            }
    if (o->save && o->alerts_json && same_file(o->save, o->alerts_json)) {
        fprintf(stderr, "relearn eval: --save and --alerts-json name the same file (%s)\n",
                o->save);
        return 2;
    }
    return -1;
}

/* --save is written after the whole run: check before it that the file can go where asked (an
 * existing directory, or a directory that is missing or not writable), so a typo does not cost
 * the run. Returns 1 after saying why. The write itself can still fail (disk full): exit 1. */
static int save_target_unusable(const char *path)
{
    struct stat st;
    char dir[4096];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "relearn eval: --save %s: is a directory\n", path);
        return 1;
    }
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    const char *why = NULL;
    if (stat(dir, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    else if (access(dir, W_OK | X_OK) != 0)
        why = strerror(errno);
    if (why) {
        fprintf(stderr, "relearn eval: --save %s: directory %s: %s\n", path, dir, why);
        return 1;
    }
    return 0;
}

int rl_cmd_eval(int argc, char **argv)
{
    eval_opts o;
    rl_reader_args ra;
    int pr = parse_args(argc, argv, &o, &ra);
    if (pr >= 0) {
        rl_cli_csv_lists_free(&o.csv_lists);
        return pr;
    }
    if (o.parse_only) {
        pr = rl_eval_parse_only(&o);
        rl_cli_csv_lists_free(&o.csv_lists);
        return pr;
    }

    char err[512];
    int rc = 0;
    eval_ctx c = {.o = &o, .file = o.input};
    rl_grid *g = NULL;
    rl_model **gm = NULL; /* --grid: every configuration's model (gm[0] is s.m) */
    uint32_t order[RL_GRID_MAX];
    run_state s;
    rl_reader *test = NULL;
    memset(&s, 0, sizeof(s));
    for (int k = 0; k < EVAL_SLOTS; k++)
        rl_example_builder_init(&s.b[k]);
    if (o.save && save_target_unusable(o.save)) {
        rc = 2;
        goto done;
    }
    if (o.test && rl_reader_open(o.test, &o.ropts, &test, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: --test: %s\n", err);
        rc = 2;
        goto done;
    }
    if (o.alerts_json) {
        c.alerts = fopen(o.alerts_json, "w");
        if (!c.alerts) {
            fprintf(stderr, "relearn eval: --alerts-json: %s: %s\n", o.alerts_json,
                    strerror(errno));
            rc = 2;
            goto done;
        }
    }
    if (o.grid) {
        g = calloc(1, sizeof(*g));
        gm = g ? calloc(RL_GRID_MAX, sizeof(*gm)) : NULL;
        if (!gm) {
            fprintf(stderr, "relearn eval: --grid: out of memory\n");
            rc = 2;
            goto done;
        }
        if (rl_grid_build(&o.cfg, o.grid, g, err, sizeof(err)) != 0 ||
            rl_grid_models(g, gm, err, sizeof(err)) != 0) {
            fprintf(stderr, "relearn eval: --grid: %s\n", err);
            rc = 2;
            goto done;
        }
        s.m = gm[0];
        s.xm = gm + 1;
        s.n_xm = g->k - 1;
    } else if (rl_model_new(&o.cfg, rl_eval_on_alert, &c, &s.m, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: %s\n", err);
        rc = 2;
        goto done;
    }
    if (o.init_model) {
        rl_snapshot snap;
        rl_snapshot_init(&snap);
        rl_err e = rl_snapshot_read_file(o.init_model, &snap, err, sizeof(err));
        if (e == RL_OK)
            e = rl_snapshot_apply_to_model(&snap, s.m, err, sizeof(err));
        rl_snapshot_clear(&snap);
        if (e != RL_OK) {
            fprintf(stderr, "relearn eval: --init-model %s: %s\n", o.init_model, err);
            rc = 2;
            goto done;
        }
    }
    if (o.save && rl_dict_new(0, &s.dict, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn eval: --save: %s\n", err);
        rc = 1;
        goto done;
    }
    s.task = rl_model_learner_c(s.m)->task;
    s.poisson =
        s.task == RL_TASK_REGRESSION && rl_model_learner_c(s.m)->params.loss == RL_LOSS_POISSON;
    s.n_classes = o.cfg.learner.n_classes;
    rl_hasher_init(&s.h, o.cfg.learner.bits, o.cfg.hash_seed);
    s.t0 = rl_mono_s();
    for (uint32_t pass = 0; pass < o.passes && rc == 0; pass++)
        rc = rl_eval_pass(&o, &s, &c, pass);
    double dt = rl_mono_s() - s.t0;
    if (rc == 2)
        goto done;

    rl_metrics_summary sum;
    rl_model_summary(s.m, &sum);
    if (strcmp(o.cfg.learner.learner, "sgd") == 0)
        printf("%-18s sgd, %s loss (%s)\n", "learner", rl_loss_name(o.cfg.learner.loss),
               rl_task_name(s.task));
    else
        printf("%-18s %s (%s)\n", "learner", o.cfg.learner.learner, rl_task_name(s.task));
    printf("%-18s %u\n", "passes", o.passes);
    printf("%-18s %llu\n", "events", (unsigned long long)s.events);
    printf("%-18s %llu\n", "bad lines", (unsigned long long)s.bad);
    printf("%-18s %llu\n", "skipped lines", (unsigned long long)s.skipped);
    if (g) {
        printf("%-18s %u configurations, one pass\n", "grid", g->k);
        rl_grid_rank(gm, g->k, order);
        rl_grid_print(g, gm, order);
        s.m = gm[order[0]]; /* the best is the one --save keeps */
        printf("%-18s %s\n", "best", g->label[order[0]]);
    } else {
        rl_eval_print_metrics("", &sum);
    }
    printf("%-18s %.3f\n", "seconds", dt);
    printf("%-18s %.0f\n", "events/s", dt > 0 ? (double)s.events / dt : 0.0);
    if (o.cfg.detector[0]) {
        printf("%-18s %s (response %s)\n", "drift detector", o.cfg.detector,
               rl_response_name(o.cfg.response));
        printf("%-18s %llu\n", "drift warnings", (unsigned long long)rl_model_warnings(s.m));
        printf("%-18s %llu\n", "drifts", (unsigned long long)rl_model_drifts(s.m));
        printf("%-18s %llu\n", "alerts", (unsigned long long)c.n_alerts);
        /* held back by the rate limit: reported in a later alert's suppressed field, or still
         * pending at the end of the input (no later alert reported them) */
        rl_model_counters mc;
        rl_model_counters_get(s.m, &mc);
        uint64_t pending = 0;
        for (int k = 0; k < 3; k++)
            pending += mc.suppressed_pending[k] + mc.feature_suppressed_pending[k];
        printf("%-18s %llu (%llu reported in later alerts, %llu pending at the end)\n",
               "alerts held back", (unsigned long long)(c.n_suppressed + pending),
               (unsigned long long)c.n_suppressed, (unsigned long long)pending);
    }
    if (s.bad > MAX_BAD_SHOWN && !o.strict)
        fprintf(stderr, "relearn eval: %llu bad lines in all (the first %d shown above)\n",
                (unsigned long long)s.bad, MAX_BAD_SHOWN);
    if (rc == 0 && o.test)
        rc = rl_eval_test(&o, &s, test);
    if (rc == 0 && o.save) {
        if (rl_ckpt_save_model_file(o.save, s.m, "eval", s.dict, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "relearn eval: --save: %s\n", err);
            rc = 1;
        } else {
            printf("%-18s %s\n", "saved", o.save);
        }
    }
done:
    if (c.alerts) {
        if (fclose(c.alerts) != 0 || c.alerts_failed) {
            fprintf(stderr, "relearn eval: --alerts-json: %s: write failed\n", o.alerts_json);
            if (rc == 0)
                rc = 1;
        }
    }
    rl_reader_destroy(test);
    rl_cli_csv_lists_free(&o.csv_lists);
    for (int k = 0; k < EVAL_SLOTS; k++)
        rl_example_builder_free(&s.b[k]);
    if (gm) {
        for (uint32_t k = 0; k < g->k; k++)
            rl_model_destroy(gm[k]);
        s.m = NULL;
    }
    free(gm);
    free(g);
    rl_model_destroy(s.m);
    rl_dict_destroy(s.dict);
    fflush(stdout);
    return rc;
}
