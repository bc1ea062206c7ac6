/* validate_trace.c -- placeholder until trace capture/replay lands. */
#include "harness/validate_trace.h"
#include "harness/commands.h"

int ab_validate_trace(const char *path, FILE *out)
{
    fprintf(out, "arenabench validate --trace %s: trace replay not built yet\n", path);
    return AB_EXIT_USAGE;
}
