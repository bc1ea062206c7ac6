/*
 * pages.h -- where arena memory comes from: one small interface (map/unmap
 * of arena-sized regions) with a backend per ab_pages_kind.
 *
 *   4k             plain anonymous mmap (CPython 3.10-3.14 _PyObject_ArenaMmap)
 *   hugetlb        MAP_HUGETLB when the system huge page size divides the
 *                  request (else skipped, counted); on failure plain mmap
 *                  (counted).  Never MAP_NORESERVE: an exhausted pool makes
 *                  mmap fail instead of a later SIGBUS.
 *   thp            mapping aligned to the THP size (over-map and trim), then
 *                  MADV_HUGEPAGE before the first touch
 *   thp-unaligned  plain mmap + MADV_HUGEPAGE (CPython main since gh-144353)
 *
 * Counters count system calls as made: mmap_calls includes failed MAP_HUGETLB
 * attempts, munmap_calls includes the trims of the thp backend.
 */
#ifndef AB_PAGES_H
#define AB_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "allocators/variant.h"

typedef struct ab_pages ab_pages;

struct ab_pages {
    ab_pages_kind kind;
    /* hugetlb: "Hugepagesize:" of /proc/meminfo; thp: hpage_pmd_size.
     * 0 when unknown (hugetlb is then never tried). */
    size_t hugepage_size;
    int64_t mmap_calls;
    int64_t munmap_calls;
    int64_t hugetlb_fallbacks;
    int64_t hugetlb_skipped;
    /* NULL on failure (errno set by mmap). */
    void *(*map)(ab_pages *pg, size_t size);
    /* 0, or -1 (errno set by munmap). */
    int (*unmap)(ab_pages *pg, void *p, size_t size);
};

/* Set up a backend; reads the huge page size once. */
void ab_pages_init(ab_pages *pg, ab_pages_kind kind);

/* Backend initialisers (pages_4k.c, pages_hugetlb.c, pages_thp.c). */
void ab_pages_4k_init(ab_pages *pg);
void ab_pages_hugetlb_init(ab_pages *pg);
void ab_pages_thp_init(ab_pages *pg, bool aligned);

/* Counted system calls shared by the backends (pages.c). */
void *ab_pages_sys_mmap(ab_pages *pg, size_t size, int extra_flags);
int ab_pages_sys_munmap(ab_pages *pg, void *p, size_t size);

/* Machine facts, read fresh on every call (pages_facts.c). */
size_t ab_pages_hugetlb_size(void);          /* Hugepagesize in bytes, 0 if unknown */
long ab_pages_hugetlb_free(void);            /* HugePages_Free, -1 if unknown */
size_t ab_pages_thp_size(void);              /* THP PMD size (2 MiB default) */
/* The bracketed word of /sys/kernel/mm/transparent_hugepage/enabled
 * ("always", "madvise", "never"), or "unavailable". */
void ab_pages_thp_mode(char *buf, size_t len);

#endif
