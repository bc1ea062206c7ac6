/*
 * hugepool.h -- `--hugepages N`: make N default-size huge pages free for a
 * run through /proc/sys/vm/nr_hugepages, and put the pool back afterwards.
 *
 * The target is max(previous total, pages in use + N): pages other processes
 * already hold are not counted as ours, and a pool that already has N free
 * pages is not changed.  The kernel may deliver fewer (fragmented memory);
 * that is reported, not fatal.  Restoring writes the previous total back:
 * pages still in use at that moment become surplus and are freed when their
 * owner unmaps them, so restoring while a sample's child is alive is safe;
 * the runner reaps every child before the caller restores anyway.
 *
 * Restore paths: the normal end of the run, every error path after the
 * reservation (the caller's job), SIGINT/SIGTERM/SIGHUP (the runner's flag
 * stops the schedule and the normal path restores), and a crash of the
 * driver itself (SIGSEGV/SIGBUS/SIGABRT/SIGFPE: an async-signal-safe handler
 * writes the previous value, then the signal proceeds).  A sample that
 * crashes is a child: it cannot touch the parent's pool bookkeeping, and the
 * crash handler ignores signals in any process but the one that reserved.
 * Only SIGKILL of the driver leaves the pool reserved.
 */
#ifndef AB_HUGEPOOL_H
#define AB_HUGEPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AB_NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"

typedef struct ab_hugepool {
    bool active;              /* reserved and not yet restored */
    long requested;           /* N */
    long previous_total;      /* nr_hugepages before */
    long target_total;        /* what was written */
    long free_after;          /* HugePages_Free after reserving */
    pid_t owner;              /* the process that reserved */
    char restore_text[24];    /* previous_total formatted for the signal handler */
} ab_hugepool;

/* HugePages_Total and HugePages_Free from /proc/meminfo (-1 if unreadable). */
void ab_hugepool_read(long *total, long *free_pages);

/*
 * Reserve.  Returns 0 (msg may hold a shortfall warning), or 2 with msg
 * (not root: msg says exactly what to run; or the write failed).
 */
int ab_hugepool_reserve(ab_hugepool *hp, long n, char *msg, size_t msglen);

/* Restore the previous pool size (idempotent); 0 or -1. */
int ab_hugepool_restore(ab_hugepool *hp);

#endif
