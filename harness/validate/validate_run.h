/*
 * validate_run.h -- the two halves of `arenabench validate`: run a Python
 * original under the real interpreter and read its sys._debugmallocstats()
 * before and after the measured call; run the C equivalent on an allocator
 * variant in a forked child and read the allocator's statistics at the
 * same two points.  Both report deltas with the same meaning.
 */
#ifndef AB_VALIDATE_RUN_H
#define AB_VALIDATE_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "allocators/variant.h"

/* Arena counts across the measured call:
 *   total     = arenas allocated during the call ("allocated total" after - before);
 *   highwater = the peak number of arenas above the count at the start
 *               ("highwater mark" after - "allocated current" before);
 *   current   = arenas still allocated at the end of the call, beyond the start. */
typedef struct ab_arena_delta {
    int64_t total, highwater, current;
} ab_arena_delta;

typedef struct ab_python_result {
    ab_arena_delta delta;
    /* Free room inside the arenas the interpreter already had before the
     * call ("bytes in available blocks" + unused pools), in arenas rounded
     * up: the Python run fills it before it needs a new arena, the C run
     * (starting from an empty allocator) cannot. */
    int64_t startup_free_arenas;
    int64_t arena_size;
} ab_python_result;

/* Run "python -E SCRIPT SPEC --scale F --seed N --mallocstats".  0 on
 * success; -1 with a reason in err. */
int ab_validate_python(const char *python, const char *script, const char *spec, double scale,
                       uint64_t seed, ab_python_result *out, char *err, size_t errlen);

typedef struct ab_c_result {
    ab_arena_delta delta;
    uint64_t checksum;
} ab_c_result;

/* Run workload SPEC on variant v in a forked child.  0 on success; -1 with
 * a reason in err (the variant could not be opened, the workload failed or
 * the child died). */
int ab_validate_c(const ab_variant *v, const char *spec, double scale, uint64_t seed,
                  ab_c_result *out, char *err, size_t errlen);

/* The pass rule: -tol*p <= c - p <= tol*p + slack (tol a fraction, slack
 * the startup arenas' free room in arenas). */
bool ab_validate_within(int64_t c, int64_t p, double tol, int64_t slack);

/* Parse one sys._debugmallocstats() dump: 0 if every field was found. */
typedef struct ab_mallocstats {
    int64_t total, reclaimed, highwater, current, arena_size;
    int64_t available_bytes, unused_pools, pool_size;
} ab_mallocstats;
int ab_parse_mallocstats(const char *text, ab_mallocstats *out);

#endif
