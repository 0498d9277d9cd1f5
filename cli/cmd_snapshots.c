/* cmd_snapshots.c - placeholder until `relearn snapshots` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_snapshots(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn snapshots: not built yet\n");
    return 2;
}
