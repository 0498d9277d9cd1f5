/* eval_run.h - internal to relearn eval: its options, and the run (cmd_eval.c parses the command
 * line and prints the summary; eval_run.c reads the input and steps the model). */
#ifndef RL_CLI_EVAL_RUN_H
#define RL_CLI_EVAL_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "cli/reader_args.h"
#include "input/reader.h"
#include "learners/features.h"
#include "model/dict.h"
#include "model/model.h"

#define MAX_BAD_SHOWN 5
/* Examples read ahead of the one being learned (see rl_eval_pass); one builder per example
 * held. 1 already hides most of the misses; 2 measured a little better, 4 no better. */
#define EVAL_AHEAD 2
#define EVAL_SLOTS (EVAL_AHEAD + 1)

typedef struct eval_opts {
    rl_model_config cfg;
    rl_reader_opts ropts;
    rl_cli_csv_lists csv_lists;
    const char *input;
    const char *test;
    const char *save;
    const char *init_model; /* a snapshot to start from (relearnd --init-model's meaning) */
    const char *grid;       /* --grid SPEC (eval_grid.h) */
    const char *alerts_json;
    uint64_t progress;
    uint32_t passes;
    int strict;
    int parse_only;
    int quiet_alerts;
} eval_opts;

typedef struct eval_ctx {
    const eval_opts *o;
    FILE *alerts;
    const char *file; /* current input and line, copied into alerts */
    uint64_t line;
    uint64_t n_alerts;
    uint64_t n_suppressed; /* the suppressed fields of the alerts sent */
    int alerts_failed;
} eval_ctx;

typedef struct run_state {
    rl_model *m;
    rl_model **xm; /* --grid: the other configurations' models, stepped on the same examples */
    uint32_t n_xm;
    rl_example_builder b[EVAL_SLOTS]; /* the example being learned and those read ahead */
    rl_hasher h;
    rl_dict *dict; /* with --save: the names behind the slots, saved with the model; else NULL */
    rl_task task;
    uint32_t n_classes;
    int poisson; /* Poisson regression: counts, so a negative label is a bad line */
    uint64_t events, bad, skipped;
    double t0;
} run_state;

/* The model's alert callback: counts alerts, prints them (unless --quiet-alerts) and writes
 * them to --alerts-json. opaque is the eval_ctx. */
void rl_eval_on_alert(void *opaque, const rl_alert *a);
/* The metric rows of the summary, each name prefixed (e.g. "test "). */
void rl_eval_print_metrics(const char *prefix, const rl_metrics_summary *s);
/* --parse-only: reads the input, counts events and bad lines, learns nothing. Exit status. */
int rl_eval_parse_only(const eval_opts *o);
/* One pass over the input (predict, score, update per example). 0, 1 (--strict stop, read
 * error) or 2 (fatal). */
int rl_eval_pass(const eval_opts *o, run_state *s, eval_ctx *c, uint32_t pass);
/* --test: scores the trained model on r without learning; prints the test rows. */
int rl_eval_test(const eval_opts *o, run_state *s, rl_reader *r);

#endif
