/*
 * tlb.h -- a two-level data-TLB simulator: first-level load and store
 * arrays per page size, a shared second-level TLB (STLB), set-associative
 * with true LRU, fed one access at a time.  Pure computation: no I/O, no
 * globals, so the same accesses always give the same counts.
 *
 * Semantics per access (page size known): look up the first-level array that
 * holds this page size for loads (or stores); a hit ends it.  A miss counts
 * as a dTLB load (store) miss and looks up the STLB; an STLB hit refills the
 * first level, an STLB miss counts a page walk (stlb_*_misses) and fills
 * both levels.  Arrays that hold several page sizes index each page by its
 * own page number (vaddr >> page shift) and tag it with its size: hardware
 * indexing of mixed-size arrays is unpublished, this is the stated
 * approximation.  Page-walk caches and prefetch of translations are not
 * modelled.
 */
#ifndef AB_TLBSIM_TLB_H
#define AB_TLBSIM_TLB_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Page sizes a model can distinguish (1 GiB pages are not used by any
 * backend here, so no model needs them). */
typedef enum ab_page_kind { AB_PAGE_4K, AB_PAGE_2M, AB_PAGE_KINDS } ab_page_kind;

/* log2 of each kind's size, and its name in results ("4k", "2m"). */
unsigned ab_page_kind_shift(ab_page_kind k);
const char *ab_page_kind_name(ab_page_kind k);

/* The TLB levels of a model. */
typedef enum ab_tlb_level { AB_TLB_L1_LOAD, AB_TLB_L1_STORE, AB_TLB_STLB, AB_TLB_LEVELS } ab_tlb_level;
const char *ab_tlb_level_name(ab_tlb_level l);   /* the model file's key */

#define AB_TLB_MAX_ARRAYS 4     /* per level; one per page size is the most any model needs */
#define AB_TLB_TEXT_MAX 512

typedef struct ab_tlb_array_spec {
    unsigned entries, ways;           /* ways == entries: fully associative */
    bool holds[AB_PAGE_KINDS];        /* page sizes this array caches */
    char source[AB_TLB_TEXT_MAX];     /* public source of these figures */
    char approximation[AB_TLB_TEXT_MAX];  /* how the model deviates from it, "" if not */
} ab_tlb_array_spec;

typedef struct ab_tlb_model {
    char name[64];
    char cpu[128];
    char replacement[16];             /* "lru": the only policy implemented */
    unsigned n_arrays[AB_TLB_LEVELS]; /* n_arrays[AB_TLB_L1_STORE] == 0: stores use the load arrays */
    ab_tlb_array_spec arrays[AB_TLB_LEVELS][AB_TLB_MAX_ARRAYS];
} ab_tlb_model;

typedef struct ab_tlb_counts {
    uint64_t loads, stores;
    uint64_t accesses_by_kind[AB_PAGE_KINDS];
    uint64_t dtlb_load_misses[AB_PAGE_KINDS], dtlb_store_misses[AB_PAGE_KINDS];
    uint64_t stlb_load_misses[AB_PAGE_KINDS], stlb_store_misses[AB_PAGE_KINDS];
    uint64_t invalidations;           /* entries dropped by unmaps (TLB shootdown) */
} ab_tlb_counts;

typedef struct ab_tlb_sim ab_tlb_sim;

/* The model must have passed ab_tlb_model_validate (model.h).  NULL when
 * out of memory. */
ab_tlb_sim *ab_tlb_sim_new(const ab_tlb_model *m);
void ab_tlb_sim_free(ab_tlb_sim *s);
void ab_tlb_sim_access(ab_tlb_sim *s, uint64_t vaddr, ab_page_kind kind, bool store);
/* Drop every entry whose page overlaps [lo, hi): munmap's TLB shootdown. */
void ab_tlb_sim_invalidate(ab_tlb_sim *s, uint64_t lo, uint64_t hi);
const ab_tlb_counts *ab_tlb_sim_counts(const ab_tlb_sim *s);

/* Sums over page kinds. */
uint64_t ab_tlb_sum(const uint64_t by_kind[AB_PAGE_KINDS]);

#endif
