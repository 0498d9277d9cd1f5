/* cmd_produce.c - placeholder until `relearn produce` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_produce(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn produce: not built yet\n");
    return 2;
}
