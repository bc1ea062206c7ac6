/* cmd_exec.c -- placeholder until the issue that owns `arenabench exec` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_exec(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench exec: not built yet\n");
    return AB_EXIT_USAGE;
}
