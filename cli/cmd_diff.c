/* cmd_diff.c - placeholder until `relearn diff` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_diff(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn diff: not built yet\n");
    return 2;
}
