/*
 * cmd_exec.c -- `arenabench exec`: whole external commands as variants
 * (e.g. two CPython builds, or one with PYTHONMALLOC=malloc), with the same
 * schedule, isolation, statistics and results JSON as `run`.
 */
#include "harness/commands.h"
#include "harness/run/drive.h"
#include "harness/run/plan.h"

int cmd_exec(int argc, char **argv)
{
    ab_plan plan;
    int rc = ab_plan_parse_exec(argc, argv, &plan);
    if (rc == AB_PARSE_OK) rc = ab_drive(&plan, argc, argv);
    else rc = rc == AB_PARSE_HELP ? AB_EXIT_OK : AB_EXIT_USAGE;
    ab_plan_free(&plan);
    return rc;
}
