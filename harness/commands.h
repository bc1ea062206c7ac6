/*
 * commands.h -- one entry point per subcommand, each in its own cmd_*.c.
 *
 * Every command takes (argc, argv) with argv[0] being the subcommand name
 * and returns the process exit status (harness/util/exit_codes.h).
 */
#ifndef AB_COMMANDS_H
#define AB_COMMANDS_H

#include "harness/util/exit_codes.h"

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_microbench(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_noise(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_hugepages(int argc, char **argv);

#endif
