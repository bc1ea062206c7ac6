/*
 * meminfo.h -- the one reader of /proc/meminfo, shared by the page backends
 * (huge page size, free pool pages) and the harness (machine facts, the
 * huge-page pool).  It lives at the bottom, in allocators/, because the
 * backends may not include the harness while the harness may include them.
 */
#ifndef AB_MEMINFO_H
#define AB_MEMINFO_H

#include <stdbool.h>

/* The number on the "KEY:" line as the kernel prints it: kB for lines that
 * carry a "kB" unit (Hugepagesize, MemTotal), a plain count otherwise
 * (HugePages_Total, HugePages_Free).  False when the file or line is absent. */
bool ab_meminfo_field(const char *key, long long *value);

#endif
