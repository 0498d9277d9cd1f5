/* cmd_broker.c - placeholder until `relearn broker` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_broker(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn broker: not built yet\n");
    return 2;
}
