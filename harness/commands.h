/*
 * commands.h -- one entry point per subcommand, each in its own cmd_*.c.
 *
 * Every command takes (argc, argv) with argv[0] being the subcommand name,
 * returns the process exit status, and follows one convention:
 *   0 success; 1 a result the user must act on (regression, correctness
 *   failure, fidelity miss); 2 unusable input (bad option, unknown variant,
 *   workload or event, unreadable/corrupt file) with a message on stderr.
 */
#ifndef AB_COMMANDS_H
#define AB_COMMANDS_H

#define AB_EXIT_OK 0
#define AB_EXIT_FAIL 1
#define AB_EXIT_USAGE 2

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

#endif
