/*
 * exit_codes.h -- the process exit statuses every command follows:
 *   0 success; 1 a result the user must act on (regression, correctness
 *   failure, fidelity miss, results that could not be written where asked);
 *   2 unusable input (bad option, unknown variant, workload or event,
 *   unreadable/corrupt file) with a message on stderr.
 * In the lowest wing so the machinery a command calls can return them.
 */
#ifndef AB_EXIT_CODES_H
#define AB_EXIT_CODES_H

#define AB_EXIT_OK 0
#define AB_EXIT_FAIL 1
#define AB_EXIT_USAGE 2

#endif
