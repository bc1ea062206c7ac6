/* cmd_run.c -- placeholder until the issue that owns `arenabench run` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench run: not built yet\n");
    return AB_EXIT_USAGE;
}
