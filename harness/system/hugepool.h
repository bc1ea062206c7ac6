/*
 * hugepool.h -- `--hugepages N`: make N default-size huge pages free for a
 * run through /proc/sys/vm/nr_hugepages, and put the pool back afterwards,
 * safely when runs overlap (the shared ledger: system/hugepool_ledger.h).
 *
 * The pool is raised to max(current, base + the N of every live run), where
 * base is what others held before the first run: a larger pool is never
 * shrunk and a second run gets its own N.  It returns to the value before the
 * first of the overlapping runs when the last of them ends; a run that ends
 * while another holds the pool leaves it alone.  The kernel may deliver fewer
 * pages (fragmented memory): reported, not fatal.  Restoring while a
 * sample's child is alive is safe (its pages become surplus and are freed
 * when unmapped); the runner reaps every child first anyway.
 *
 * Asking for more than AB_HUGEPOOL_MAX_MEM_FRACTION of MemTotal is refused
 * (exit 2) unless forced: the kernel would take it from everything else.
 *
 * Restore paths: the normal end of the run and every error path after the
 * reservation (the caller's job); every asynchronous fatal signal (the
 * runner's flag stops the schedule, then the normal path); every synchronous
 * one (SIGSEGV, SIGBUS, SIGABRT, ... in the driver itself: an
 * async-signal-safe handler releases the hold, then the signal proceeds).
 * A sample that crashes is a child: the handler acts only in the process
 * that reserved.  After SIGKILL the ledger still names the dead run: the
 * next run, or `arenabench hugepages --restore`, puts the pool back.
 */
#ifndef AB_HUGEPOOL_H
#define AB_HUGEPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "harness/system/hugepool_ledger.h"

/* Half of memory: what is left must hold the workload's own 4 KiB pages, the
 * page cache and everything else the machine runs. */
#define AB_HUGEPOOL_MAX_MEM_FRACTION 0.5

typedef struct ab_hugepool {
    bool active;              /* our hold is in the ledger */
    long requested;           /* N */
    long previous_total;      /* the pool before the first overlapping run */
    long target_total;        /* what the pool was raised to (or left at) */
    long free_after;          /* HugePages_Free after reserving */
    pid_t owner;              /* the process that reserved */
    unsigned long long owner_start;
} ab_hugepool;

/* HugePages_Total and HugePages_Free (-1 if unreadable). */
void ab_hugepool_read(long *total, long *free_pages);

/*
 * Reserve.  Returns 0 (msg may hold a warning), or 2 with msg (no pool; not
 * root: msg says exactly what to run; too large without force; the ledger or
 * the pool file cannot be written).
 */
int ab_hugepool_reserve(ab_hugepool *hp, long n, bool force, char *msg, size_t msglen);

/* Release our hold (idempotent); the last holder writes the original back.
 * 0 or -1 (errno).  Async-signal-safe. */
int ab_hugepool_restore(ab_hugepool *hp);

/* `arenabench hugepages --restore`: drop dead holders and, if no run holds
 * the pool any more, write the recorded original back.  0 (msg says what
 * happened), 1 (a live run still holds it, or the write failed), 2 (not
 * root). */
int ab_hugepool_repair(char *msg, size_t msglen);

#endif
