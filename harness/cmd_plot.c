/* cmd_plot.c -- placeholder until the issue that owns `arenabench plot` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_plot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench plot: not built yet\n");
    return AB_EXIT_USAGE;
}
