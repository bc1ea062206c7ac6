/* cmd_validate.c -- placeholder until the issue that owns `arenabench validate` lands. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "arenabench validate: not built yet\n");
    return AB_EXIT_USAGE;
}
