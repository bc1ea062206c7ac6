/* cmd_list.c -- placeholder until the issue that owns `arenabench list` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_list(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench list: not built yet\n");
    return AB_EXIT_USAGE;
}
