/* cmd_inspect.c - placeholder until `relearn inspect` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_inspect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn inspect: not built yet\n");
    return 2;
}
