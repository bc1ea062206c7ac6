/*
 * pages.c -- the page-backend dispatcher and the counted system calls every
 * backend maps and unmaps through.  Backends depend on this file; it
 * depends on each backend only through its initialiser, so no backend
 * knows another.
 */
#include <string.h>
#include <sys/mman.h>
#include "allocators/pages.h"
#include "tlbsim/access_hook.h"

void *ab_pages_sys_mmap(ab_pages *pg, size_t size, int extra_flags)
{
    pg->mmap_calls++;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int ab_pages_sys_munmap(ab_pages *pg, void *p, size_t size)
{
    pg->munmap_calls++;
    AB_SIM_UNMAP(p, size);   /* the kernel's TLB shootdown */
    return munmap(p, size);
}

void ab_pages_init(ab_pages *pg, ab_pages_kind kind)
{
    memset(pg, 0, sizeof *pg);
    pg->kind = kind;
    switch (kind) {
    case AB_PAGES_4K: ab_pages_4k_init(pg); break;
    case AB_PAGES_HUGETLB: ab_pages_hugetlb_init(pg); break;
    case AB_PAGES_THP: ab_pages_thp_init(pg, true); break;
    case AB_PAGES_THP_UNALIGNED: ab_pages_thp_init(pg, false); break;
    }
}
