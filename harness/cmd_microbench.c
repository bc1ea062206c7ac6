/* cmd_microbench.c -- placeholder until the issue that owns `arenabench microbench` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_microbench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench microbench: not built yet\n");
    return AB_EXIT_USAGE;
}
