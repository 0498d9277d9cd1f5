/* cmd_eval.c - placeholder until `relearn eval` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_eval(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn eval: not built yet\n");
    return 2;
}
