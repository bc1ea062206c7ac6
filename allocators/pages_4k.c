/*
 * pages_4k.c -- the plain 4 KiB-page backend: CPython 3.10-3.14's
 * _PyObject_ArenaMmap, an anonymous private mapping with no advice.
 */
#include "allocators/pages.h"

static void *map_4k(ab_pages *pg, size_t size)
{
    return ab_pages_sys_mmap(pg, size, 0);
}

static int unmap_plain(ab_pages *pg, void *p, size_t size)
{
    return ab_pages_sys_munmap(pg, p, size);
}

void ab_pages_4k_init(ab_pages *pg)
{
    pg->map = map_4k;
    pg->unmap = unmap_plain;
}
