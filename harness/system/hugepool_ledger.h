/*
 * hugepool_ledger.h -- the machine-wide record of who raised the huge page
 * pool, so overlapping arenabench runs share it safely.
 *
 * One small text file, AB_HUGEPOOL_LEDGER_PATH, guarded by flock(2):
 *
 *   original 0          nr_hugepages before the first of the overlapping runs
 *   base 0              huge pages in use by others at that moment
 *   holder PID START N  a run holding the pool: pid, its start time (field 22
 *                       of /proc/PID/stat, so a recycled pid is not mistaken
 *                       for it) and the free pages it asked for
 *
 * Invariants (every transaction holds the lock from read to write):
 *   - the pool is only ever raised while a holder is alive, to
 *     max(current, base + sum of the holders' N): a run never lowers the
 *     pool under another and every run gets its own N;
 *   - when the last live holder leaves, the pool is written back to
 *     `original` and the ledger emptied; a holder that died without leaving
 *     (SIGKILL) is pruned by the next transaction, and `arenabench hugepages
 *     --restore` performs exactly that last-holder step by hand.
 * The file lives under /run (tmpfs): it is gone after a reboot, as is the
 * pool it describes.
 *
 * Everything here uses only async-signal-safe calls (open, flock, pread,
 * pwrite, ftruncate, close, getpid, kill) and no heap, so the fatal-signal
 * handler can release the pool through the same code as the normal path.
 */
#ifndef AB_HUGEPOOL_LEDGER_H
#define AB_HUGEPOOL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AB_NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"
#define AB_HUGEPOOL_LEDGER_DIR "/run/arenabench"
#define AB_HUGEPOOL_LEDGER_PATH AB_HUGEPOOL_LEDGER_DIR "/hugepool.ledger"
/* More overlapping runs than cores x a few is a mistake, not a use case. */
#define AB_HUGEPOOL_MAX_HOLDERS 64

typedef struct ab_pool_holder {
    long pid;
    unsigned long long start;   /* /proc/PID/stat starttime, clock ticks since boot */
    long pages;
} ab_pool_holder;

typedef struct ab_pool_ledger {
    bool recorded;              /* original/base are meaningful */
    long original, base;
    size_t n;
    ab_pool_holder holders[AB_HUGEPOOL_MAX_HOLDERS];
} ab_pool_ledger;

/* nr_hugepages as a number (-1 if unreadable); write it (0 or -1, errno). */
long ab_nr_hugepages_get(void);
int ab_nr_hugepages_set(long pages);

/* The start time of a live process, or 0 if there is none with that pid. */
unsigned long long ab_process_start_time(long pid);

/* Open (creating the directory and file) and lock the ledger; the fd, or -1
 * with errno.  ab_ledger_unlock closes it (which drops the lock). */
int ab_ledger_lock(void);
void ab_ledger_unlock(int fd);

/* Read (an empty or missing file is an empty ledger), write back (an empty
 * ledger truncates the file).  0 or -1. */
int ab_ledger_read(int fd, ab_pool_ledger *l);
int ab_ledger_write(int fd, const ab_pool_ledger *l);

/* Drop holders whose process is gone; returns how many were dropped. */
size_t ab_ledger_prune(ab_pool_ledger *l);

/* Remove (pid, start); true if it was there. */
bool ab_ledger_remove(ab_pool_ledger *l, long pid, unsigned long long start);

/* Sum of the holders' pages. */
long ab_ledger_pages(const ab_pool_ledger *l);

#endif
