/* cmd_env.c -- placeholder until the issue that owns `arenabench env` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_env(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench env: not built yet\n");
    return AB_EXIT_USAGE;
}
