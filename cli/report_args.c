/* report_args.c - the command line shared by relearn inspect and relearn diff. */
#include "cli/report_args.h"

#include <stdint.h>
#include <string.h>

int rl_report_args_parse(int argc, char **argv, const char *cmd, int n_paths, const char *too_many,
                         void (*usage)(FILE *), rl_report_args *a)
{
    uint64_t top = RL_REPORT_TOP_DEFAULT;
    int first;
    memset(a, 0, sizeof(*a));
    const rl_opt opts[] = {
        RL_OPT_FLAG_ROW("json", 0, &a->json),
        RL_OPT_NUMBER_ROW("top", 0, &top, RL_PARAM_UINT, 0, RL_REPORT_TOP_MAX, NULL),
        {RL_OPT_END},
    };
    int rc = rl_opts_parse(argc, argv, cmd, opts, usage, &first);
    if (rc >= 0)
        return rc;
    a->top = (size_t)top;
    int np = argc - first;
    if (np > n_paths) {
        fprintf(stderr, "relearn %s: %s ('%s' is extra)\n", cmd, too_many, argv[first + n_paths]);
        return 2;
    }
    for (int k = 0; k < np; k++)
        a->paths[k] = argv[first + k];
    if (np != n_paths) {
        fprintf(stderr, "relearn %s: %s\n", cmd,
                n_paths == 1 ? "no FILE given"
                : np == 0    ? "no OLD and NEW files given"
                             : "NEW file missing");
        usage(stderr);
        return 2;
    }
    return -1;
}
