/*
 * cmd_run.c -- `arenabench run`: the variant x workload matrix.
 */
#include "harness/commands.h"
#include "harness/run/drive.h"
#include "harness/run/plan.h"

int cmd_run(int argc, char **argv)
{
    ab_plan plan;
    int rc = ab_plan_parse_run(argc, argv, &plan);
    if (rc == AB_PARSE_OK) rc = ab_drive(&plan, argc, argv);
    else rc = rc == AB_PARSE_HELP ? AB_EXIT_OK : AB_EXIT_USAGE;
    ab_plan_free(&plan);
    return rc;
}
