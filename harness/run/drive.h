/*
 * drive.h -- what `run` and `exec` share after parsing: reserve huge pages,
 * run the schedule, restore the pool, write the results, print the summary,
 * and turn it all into the exit status (commands.h).
 */
#ifndef AB_DRIVE_H
#define AB_DRIVE_H

#include "harness/run/plan.h"

/* argc/argv are the subcommand's, for the machine block's command line. */
int ab_drive(ab_plan *plan, int argc, char **argv);

#endif
