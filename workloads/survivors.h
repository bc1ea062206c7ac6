/*
 * survivors.h -- what the survivors family measures (workloads/survivors.c):
 * the allocator's statistics at the peak (every object alive) and at the end
 * (1 in K kept, the rest freed), from which the results derive the bloat:
 * arena memory resident (alloc.arena_bytes_resident) / bytes in live blocks
 * (alloc.bytes_in_blocks).  A single live block pins its pool, and a pool
 * its arena; with THP a touched 2 MiB arena is resident in full.
 */
#ifndef AB_SURVIVORS_H
#define AB_SURVIVORS_H

#include <stdint.h>
#include "allocators/allocator.h"

typedef enum { AB_SURVIVORS_SCATTERED, AB_SURVIVORS_CLUSTERED } ab_survivors_layout;

const char *ab_survivors_layout_name(ab_survivors_layout l);

typedef struct ab_survivors_report {
    int64_t k;                    /* 1 in k kept */
    ab_survivors_layout layout;
    int64_t objects, kept;
    ab_alloc_stats peak, end;     /* AB_STAT_UNKNOWN where the allocator cannot tell */
} ab_survivors_report;

/* held / live, or a negative value when either is unknown or live is 0. */
double ab_survivors_bloat(const ab_alloc_stats *st);

#endif
