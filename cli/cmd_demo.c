/* cmd_demo.c - placeholder until `relearn demo` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn demo: not built yet\n");
    return 2;
}
