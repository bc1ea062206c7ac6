/*
 * cmd_version.c -- `arenabench --version`: which code this binary is and how
 * it was built and linked, so a results file from a cluster node can be
 * traced back to its source.
 *
 * The commit and compiler flags come from the build's provenance
 * (harness/system/build_info.h); AB_VERSION (the VERSION file) and
 * AB_BUILD_LINK (the libraries, static or not) from the Makefile for this
 * object alone (mk/dist.mk).  A build without them says "unknown".
 */
#include <stdio.h>
#include "harness/commands.h"
#include "harness/system/build_info.h"

#ifndef AB_VERSION
#define AB_VERSION "unknown"
#endif
#ifndef AB_BUILD_LINK
#define AB_BUILD_LINK "unknown"
#endif

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char identity[128];
    ab_build_identity(identity, sizeof identity);
    printf("arenabench %s\ncommit: %s\nbuild flags: %s\nlink: %s\n", AB_VERSION, identity, ab_build_flags(),
           AB_BUILD_LINK);
    return AB_EXIT_OK;
}
