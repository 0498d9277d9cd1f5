/* report_args.h - the command line of the commands that report on model files (relearn inspect,
 * relearn diff): FILE arguments, --json, --top K and --help, parsed and refused alike. */
#ifndef RL_REPORT_ARGS_H
#define RL_REPORT_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "cli/options.h"

#define RL_REPORT_TOP_DEFAULT 20
#define RL_REPORT_TOP_MAX     100000

typedef struct rl_report_args {
    const char *paths[2]; /* point into argv */
    int json;
    size_t top;
} rl_report_args;

/* Parses argv for `relearn CMD`, which takes exactly n_paths FILEs (1 or 2); too_many is how an
 * extra FILE is refused ("one FILE only"). usage prints the command's help. Returns -1 when the
 * command should go on, else the exit status to stop with: 0 after --help, 2 on a usage error
 * (the message printed on stderr). */
int rl_report_args_parse(int argc, char **argv, const char *cmd, int n_paths, const char *too_many,
                         void (*usage)(FILE *), rl_report_args *a);

#endif
