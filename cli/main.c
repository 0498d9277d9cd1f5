/* main.c - `relearn COMMAND ...`: dispatch to one subcommand. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"eval", rl_cmd_eval, "offline prequential (test-then-train) run over a libsvm/VW/CSV file"},
    {"inspect", rl_cmd_inspect, "readable report of a checkpoint or snapshot (--json)"},
    {"diff", rl_cmd_diff, "how retraining changed a model: most changed weights, L2, cosine"},
    {"verify", rl_cmd_verify, "check checksums and structure of checkpoints/snapshots"},
    {"produce", rl_cmd_produce, "send a libsvm/VW/CSV file (or stdin) as Event messages"},
    {"broker", rl_cmd_broker, "run a local Kafka-protocol broker for tests and demos"},
    {"demo", rl_cmd_demo, "end-to-end demo: broker, drifting stream, relearnd, inspect"},
    {"snapshots", rl_cmd_snapshots, "list published snapshot versions; --get V -o FILE"},
    {"serve", rl_cmd_serve, "HTTP scoring service (KServe/TF Serving V1) on a snapshot or topic"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: relearn COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`relearn COMMAND --help` describes each.\n");
}

/* A report that could not be written (disk full, closed stdout) is a failure, not a success
 * with a truncated file: buffered output only fails when it is flushed, so check at the end. */
static int flush_stdout(const char *cmd, int rc)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "relearn%s%s: writing stdout: %s\n", cmd ? " " : "", cmd ? cmd : "",
                errno ? strerror(errno) : "write error");
        return rc ? rc : 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return flush_stdout(NULL, 0);
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return flush_stdout(commands[i].name, commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "relearn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
