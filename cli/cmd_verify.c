/* cmd_verify.c - placeholder until `relearn verify` lands. */
#include <stdio.h>

#include "commands.h"

int rl_cmd_verify(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relearn verify: not built yet\n");
    return 2;
}
