/*
 * timeline.h -- memory over time inside a sample's child: RSS and the
 * allocator's current arena count, recorded at every arena map/unmap (the
 * allocator's arena hook) and every AB_TIMELINE_INTERVAL_MS (SIGALRM from
 * setitimer), plus "begin"/"end" marks at the measured phase's brackets.
 *
 * Cost, by construction:
 *   - the buffer is one anonymous mmap made before the workload starts (never
 *     the allocator under test), touched lazily: one 4 KiB page fault per
 *     AB_TIMELINE_RECORDS_PER_PAGE records, i.e. a handful per sample;
 *   - a record is clock_gettime + pread(/proc/self/statm) on an fd opened
 *     before the workload (about 2 us); at 5 ms that is < 0.1% of the time;
 *   - with a hugetlb meter attached (only for variants that can map
 *     MAP_HUGETLB arenas, see hugetlb_status.h) a record also preads and
 *     parses /proc/self/status, about ten times the statm read (5 us vs
 *     0.5 us here, measured over 20000 reads): at 5 ms ticks about 0.1% of
 *     the time, plus one read per 2 MiB arena map/unmap; other variants pay
 *     nothing and their hugetlb_kb column is 0 ("hugetlb_sampled": false);
 *   - the signal handler only does async-signal-safe work (clock_gettime,
 *     pread, hand parsing, atomics); the workload's syscalls restart (SA_RESTART).
 * Records claim their slot with an atomic increment, so a tick that
 * interrupts an arena-hook record cannot overwrite it; the two may land out
 * of time order and are sorted when serialised.
 */
#ifndef AB_TIMELINE_H
#define AB_TIMELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "harness/system/hugetlb_status.h"

#define AB_TIMELINE_INTERVAL_MS 5
/* 65536 records cover 327 s of ticks at 5 ms, plus arena events. */
#define AB_TIMELINE_CAPACITY 65536

typedef enum { AB_TL_MAP, AB_TL_UNMAP, AB_TL_TICK, AB_TL_BEGIN, AB_TL_END } ab_tl_event;

typedef struct ab_tl_record {
    int64_t t_ns;      /* since ab_timeline_start */
    int64_t rss_kb;    /* -1 if statm could not be read */
    int64_t hugetlb_kb; /* HugetlbPages; 0 when not sampled, -1 if unreadable */
    int32_t arenas;    /* -1 if the allocator reports no arena events */
    int32_t event;     /* ab_tl_event */
} ab_tl_record;

#define AB_TIMELINE_RECORDS_PER_PAGE (4096 / sizeof(ab_tl_record))

typedef struct ab_timeline {
    ab_tl_record *rec;
    size_t capacity;
    atomic_size_t n;            /* slots claimed (may exceed capacity: dropped) */
    atomic_int_fast64_t arenas; /* last count the hook reported, -1 unknown */
    int statm_fd;
    /* Borrowed; NULL: the variant maps no hugetlb pages, not sampled. */
    ab_hugetlb_meter *hugetlb;
    long page_kb;
    int64_t t0_ns;
    int interval_ms;
    bool ticking;
} ab_timeline;

/* Map the buffer, open statm; with interval_ms > 0 start the SIGALRM ticks
 * (at most one ticking timeline per process).  0 or -1 (errno). */
int ab_timeline_start(ab_timeline *tl, size_t capacity, int interval_ms);
void ab_timeline_record(ab_timeline *tl, ab_tl_event ev);
/* An ab_arena_event_fn: install with alloc->set_arena_hook(self, fn, tl). */
void ab_timeline_arena_hook(void *tl, int mapped, int64_t arenas_current);
/* Stop ticking (idempotent). */
void ab_timeline_stop(ab_timeline *tl);
/* {"t_ns": [...], "rss_kb": [...], "hugetlb_kb": [...], "arenas": [...],
 *  "event": [...], "interval_ms", "dropped", "hugetlb_sampled"}, sorted by
 *  time; unknown values are null. */
json_t *ab_timeline_json(ab_timeline *tl);
void ab_timeline_free(ab_timeline *tl);

#endif
