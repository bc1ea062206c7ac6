/* stats.c -- helpers shared by every allocator's statistics. */
#include "allocators/allocator.h"

void ab_alloc_stats_init_unknown(ab_alloc_stats *st)
{
    int64_t *f = (int64_t *)st;
    for (size_t i = 0; i < sizeof *st / sizeof(int64_t); i++)
        f[i] = AB_STAT_UNKNOWN;
}
