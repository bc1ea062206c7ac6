/*
 * replay.h -- running a captured CPython allocation trace (trace_format.h)
 * through an ab_allocator.  The `replay:FILE` workload is this plus loading;
 * `arenabench validate --trace` uses it directly to see the counts below.
 *
 * A replay has three stages:
 *   1. prefill (outside the measured phase, not counted in ctx->n_*): rebuild
 *      the heap the traced interpreter had when the hook was installed, from
 *      the INSTALL statistics: for every size class, fill as many pools as
 *      CPython had in use and then free the available blocks spread over
 *      them; fill and free as many whole pools as CPython had unused ones,
 *      interleaved with the used ones so they spread over the arenas as
 *      CPython's did.  Placeholders are never freed by the stream (a
 *      FREE_PREHOOK does not say which block it released), so they model
 *      the pre-hook objects that outlive the trace (modules, code, interned
 *      strings: nearly all of them, in practice).
 *   2. the stream (the measured phase): every obj/mem-domain record in order,
 *      through ctx->alloc, touching memory as CPython does: a malloc'd block
 *      is written in full (CPython initialises every object it allocates),
 *      a realloc writes the bytes it grew by, a calloc writes only the
 *      16-byte object header (calloc'd memory is zero already, and
 *      CPython's large zeroed buffers stay untouched until used).
 *      Raw-domain records, FREE_PREHOOK, arena events and statistics are
 *      skipped and counted; a REALLOC_PREHOOK becomes a malloc of a new
 *      block (its pre-hook original is a placeholder that stays).
 *   3. teardown (after the measured phase): free every live block and
 *      placeholder.
 * The checksum mixes every record of the stream (op, domain, id, size), so
 * it is the same for every allocator.
 */
#ifndef AB_REPLAY_H
#define AB_REPLAY_H

#include <stdint.h>
#include "workloads/trace/trace_format.h"
#include "workloads/workload.h"

/* sizeof(struct pool_header) on LP64, rounded up to ALIGNMENT (obmalloc.c). */
#define AB_REPLAY_POOL_OVERHEAD 48
/* Bytes of a calloc'd block the replay writes: PyObject's ob_refcnt + ob_type. */
#define AB_REPLAY_CALLOC_TOUCH 16

typedef struct ab_replay_counts {
    uint64_t prefill_blocks;     /* placeholders left live after prefill */
    uint64_t prefill_used_pools; /* pools filled for the INSTALL size classes */
    uint64_t prefill_free_pools; /* whole pools filled and freed (CPython's unused pools) */
    uint64_t prehook_frees;      /* FREE_PREHOOK records skipped */
    uint64_t prehook_reallocs;   /* REALLOC_PREHOOK records replayed as malloc */
    uint64_t raw_skipped;        /* raw-domain records skipped */
    uint64_t arena_events;       /* ARENA_ALLOC/ARENA_FREE records skipped */
    uint64_t replayed;           /* allocation records replayed */
} ab_replay_counts;

/* Replay a loaded trace through ctx->alloc, calling ctx->phase_begin/end
 * around stage 2.  0 on success; -1 with ctx->error set (an allocation
 * failed).  counts may be NULL. */
int ab_replay_run(const ab_trace *t, ab_wl_ctx *ctx, ab_replay_counts *counts);

#endif
