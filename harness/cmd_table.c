/* cmd_table.c -- placeholder until the issue that owns `arenabench table` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_table(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench table: not built yet\n");
    return AB_EXIT_USAGE;
}
