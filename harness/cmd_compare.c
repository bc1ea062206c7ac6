/* cmd_compare.c -- placeholder until the issue that owns `arenabench compare` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench compare: not built yet\n");
    return AB_EXIT_USAGE;
}
