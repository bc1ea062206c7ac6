/*
 * cmd_version.c -- `arenabench --version`: which code this binary is and how
 * it was built, so a results file from a cluster node can be traced back.
 *
 * AB_VERSION (the VERSION file), AB_GIT_COMMIT and AB_BUILD_FLAGS come from
 * the Makefile; a build without them says "unknown" rather than guessing.
 */
#include <stdio.h>
#include "harness/commands.h"

#ifndef AB_VERSION
#define AB_VERSION "unknown"
#endif
#ifndef AB_GIT_COMMIT
#define AB_GIT_COMMIT "unknown"
#endif
#ifndef AB_BUILD_FLAGS
#define AB_BUILD_FLAGS "unknown"
#endif
#ifndef AB_BUILD_LINK
#define AB_BUILD_LINK "unknown"
#endif

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("arenabench %s\ncommit: %s\nbuild flags: %s\nlink: %s\n", AB_VERSION, AB_GIT_COMMIT, AB_BUILD_FLAGS,
           AB_BUILD_LINK);
    return AB_EXIT_OK;
}
