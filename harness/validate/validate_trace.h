/*
 * validate_trace.h -- `arenabench validate --trace FILE`: replay a captured
 * CPython allocation trace on the 4k preset and compare its arena counts
 * with what sys._debugmallocstats() reported in the traced process.
 */
#ifndef AB_VALIDATE_TRACE_H
#define AB_VALIDATE_TRACE_H

#include <stdio.h>

/* Prints the comparison to out.  Returns an AB_EXIT_* status. */
int ab_validate_trace(const char *path, FILE *out);

#endif
