/* report_args.c - the command line shared by relearn inspect and relearn diff. */
#include "cli/report_args.h"

#include <stdlib.h>
#include <string.h>

int rl_report_args_parse(int argc, char **argv, const char *cmd, int n_paths, const char *too_many,
                         void (*usage)(FILE *), rl_report_args *a)
{
    int np = 0;
    memset(a, 0, sizeof(*a));
    a->top = RL_REPORT_TOP_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a->json = 1;
        } else if (strcmp(argv[i], "--top") == 0 && i + 1 >= argc) {
            fprintf(stderr, "relearn %s: --top needs a value (0..%d)\n", cmd, RL_REPORT_TOP_MAX);
            return 2;
        } else if (strcmp(argv[i], "--top") == 0) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end || argv[i][0] == '-' || v > RL_REPORT_TOP_MAX) {
                fprintf(stderr, "relearn %s: --top %s: expected 0..%d\n", cmd, argv[i],
                        RL_REPORT_TOP_MAX);
                return 2;
            }
            a->top = (size_t)v;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "relearn %s: unknown option '%s'\n", cmd, argv[i]);
            usage(stderr);
            return 2;
        } else if (np < n_paths) {
            a->paths[np++] = argv[i];
        } else {
            fprintf(stderr, "relearn %s: %s ('%s' is extra)\n", cmd, too_many, argv[i]);
            return 2;
        }
    }
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
