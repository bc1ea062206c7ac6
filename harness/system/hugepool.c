/*
 * hugepool.c -- reserve and restore the default-size huge page pool through
 * the shared ledger (see hugepool.h and system/hugepool_ledger.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allocators/meminfo.h"
#include "harness/system/hugepool.h"
#include "harness/util/fatal_signals.h"

/* The crash handler must find the pool to release: one per process. */
static ab_hugepool *armed_pool;
/* The locked ledger fd while this process is inside a transaction: a crash
 * handler running then must use it (a second flock would wait for itself). */
static volatile int transaction_fd = -1;
#define AB_MAX_SYNC_SIGNALS 16
static struct sigaction previous_fatal[AB_MAX_SYNC_SIGNALS];

/* A /proc/meminfo number (kB for sizes), -1 if absent. */
static long meminfo(const char *key)
{
    long long v;
    return ab_meminfo_field(key, &v) ? (long)v : -1;
}

void ab_hugepool_read(long *total, long *free_pages)
{
    long long v;
    *total = ab_meminfo_field("HugePages_Total", &v) ? (long)v : -1;
    *free_pages = ab_meminfo_field("HugePages_Free", &v) ? (long)v : -1;
}

static int lock_ledger(void)
{
    int fd = transaction_fd;
    if (fd >= 0) return fd;
    fd = ab_ledger_lock();
    transaction_fd = fd;
    return fd;
}

static void unlock_ledger(int fd)
{
    transaction_fd = -1;
    ab_ledger_unlock(fd);
}

static void disarm(void)
{
    size_t n;
    const int *sigs = ab_fatal_sync_signals(&n);
    for (size_t i = 0; i < n && i < AB_MAX_SYNC_SIGNALS; i++) sigaction(sigs[i], &previous_fatal[i], NULL);
    armed_pool = NULL;
}

/* Async-signal-safe: the ledger code, sigaction, raise. */
static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
    ab_hugepool *hp = armed_pool;
    if (hp && hp->active && getpid() == hp->owner) ab_hugepool_restore(hp);
    size_t n;
    const int *sigs = ab_fatal_sync_signals(&n);
    for (size_t i = 0; i < n && i < AB_MAX_SYNC_SIGNALS; i++)
        if (sigs[i] == sig) {
            const struct sigaction *prev = &previous_fatal[i];
            if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
                prev->sa_sigaction(sig, info, uctx);
                return;
            }
            if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
                prev->sa_handler(sig);
                return;
            }
        }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void arm(ab_hugepool *hp)
{
    armed_pool = hp;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    size_t n;
    const int *sigs = ab_fatal_sync_signals(&n);
    for (size_t i = 0; i < n && i < AB_MAX_SYNC_SIGNALS; i++) sigaction(sigs[i], &sa, &previous_fatal[i]);
}

/* Checks that need no lock: a pool exists, the size is sane, we are root. */
static int check_request(long n, bool force, long total, long free_pages, char *msg, size_t msglen)
{
    if (total < 0 || free_pages < 0) {
        snprintf(msg, msglen, "this kernel reports no huge page pool (/proc/meminfo has no HugePages_Total)");
        return 2;
    }
    long page_kb = meminfo("Hugepagesize"), mem_kb = meminfo("MemTotal");
    double limit_kb = AB_HUGEPOOL_MAX_MEM_FRACTION * (double)mem_kb;
    if (!force && page_kb > 0 && mem_kb > 0 && (double)n * (double)page_kb > limit_kb) {
        snprintf(msg, msglen,
                 "--hugepages %ld is %.0f MiB of huge pages, more than %.0f%% of memory (%.0f of %.0f MiB);\n"
                 "the kernel would take it from everything else.  Ask for at most %ld, or pass --force",
                 n, (double)n * (double)page_kb / 1024, AB_HUGEPOOL_MAX_MEM_FRACTION * 100, limit_kb / 1024,
                 (double)mem_kb / 1024, (long)(limit_kb / (double)page_kb));
        return 2;
    }
    if (geteuid() != 0 || access(AB_NR_HUGEPAGES_PATH, W_OK) != 0) {
        long target = total - free_pages + n;
        if (target < total) target = total;
        snprintf(msg, msglen,
                 "--hugepages needs root to change %s.  Reserve the pool yourself and run\n"
                 "without --hugepages:\n"
                 "  echo %ld | sudo tee %s\n"
                 "  grep HugePages /proc/meminfo     # HugePages_Free should be >= %ld\n"
                 "and afterwards restore it with:\n"
                 "  echo %ld | sudo tee %s",
                 AB_NR_HUGEPAGES_PATH, target, AB_NR_HUGEPAGES_PATH, n, total, AB_NR_HUGEPAGES_PATH);
        return 2;
    }
    return 0;
}

int ab_hugepool_reserve(ab_hugepool *hp, long n, bool force, char *msg, size_t msglen)
{
    memset(hp, 0, sizeof *hp);
    msg[0] = 0;
    hp->requested = n;
    long total, free_pages;
    ab_hugepool_read(&total, &free_pages);
    int rc = check_request(n, force, total, free_pages, msg, msglen);
    if (rc) return rc;

    int fd = lock_ledger();
    if (fd < 0) {
        snprintf(msg, msglen, "cannot lock %s: %s", AB_HUGEPOOL_LEDGER_PATH, strerror(errno));
        return 2;
    }
    ab_pool_ledger l;
    long current = ab_nr_hugepages_get();
    if (ab_ledger_read(fd, &l) != 0 || current < 0) {
        snprintf(msg, msglen, "cannot read %s or %s: %s", AB_HUGEPOOL_LEDGER_PATH, AB_NR_HUGEPAGES_PATH,
                 strerror(errno));
        unlock_ledger(fd);
        return 2;
    }
    size_t dropped = ab_ledger_prune(&l);
    if (!l.recorded) {
        l.recorded = true;
        l.original = current;
        l.base = total - free_pages; /* pages others hold now are not ours to count */
    } else if (l.n == 0 && dropped > 0) {
        snprintf(msg, msglen, "a run killed earlier left %s at %ld; it returns to the recorded %ld when this run ends",
                 AB_NR_HUGEPAGES_PATH, current, l.original);
    }
    if (l.n >= AB_HUGEPOOL_MAX_HOLDERS) {
        snprintf(msg, msglen, "%zu runs already hold the huge page pool (%s)", l.n, AB_HUGEPOOL_LEDGER_PATH);
        unlock_ledger(fd);
        return 2;
    }
    hp->owner = getpid();
    hp->owner_start = ab_process_start_time(hp->owner);
    l.holders[l.n++] = (ab_pool_holder){.pid = hp->owner, .start = hp->owner_start, .pages = n};
    long target = l.base + ab_ledger_pages(&l);
    if (target < current) target = current; /* never shrink a larger pool */
    hp->previous_total = l.original;
    hp->target_total = target;
    /* In the ledger before the pool grows: a crash from here on is undone. */
    hp->active = true;
    arm(hp);
    if (ab_ledger_write(fd, &l) != 0) {
        int e = errno;
        hp->active = false;
        disarm();
        snprintf(msg, msglen, "cannot write %s: %s", AB_HUGEPOOL_LEDGER_PATH, strerror(e));
        unlock_ledger(fd);
        return 2;
    }
    if (target != current && ab_nr_hugepages_set(target) != 0) {
        int e = errno;
        ab_hugepool_restore(hp); /* still inside the transaction: reuses fd */
        snprintf(msg, msglen, "cannot write %s: %s", AB_NR_HUGEPAGES_PATH, strerror(e));
        unlock_ledger(fd);
        return 2;
    }
    unlock_ledger(fd);
    long now_total;
    ab_hugepool_read(&now_total, &hp->free_after);
    if (hp->free_after < n && !*msg)
        snprintf(msg, msglen,
                 "asked for %ld free huge pages, the kernel provided %ld (pool %ld -> %ld); "
                 "hugetlb variants will fall back to 4 KiB pages when the pool runs out",
                 n, hp->free_after, current, now_total);
    return 0;
}

int ab_hugepool_restore(ab_hugepool *hp)
{
    if (!hp->active) return 0;
    bool nested = transaction_fd >= 0;
    int fd = lock_ledger();
    int rc = -1;
    if (fd >= 0) {
        ab_pool_ledger l;
        if (ab_ledger_read(fd, &l) == 0) {
            ab_ledger_remove(&l, hp->owner, hp->owner_start);
            ab_ledger_prune(&l);
            rc = 0;
            if (l.recorded && l.n == 0) {
                rc = ab_nr_hugepages_set(l.original);
                if (rc == 0) l.recorded = false; /* an empty ledger: nobody holds the pool */
            }
            if (ab_ledger_write(fd, &l) != 0) rc = -1;
        }
        if (!nested) unlock_ledger(fd);
    }
    hp->active = false;
    disarm();
    return rc;
}

int ab_hugepool_repair(char *msg, size_t msglen)
{
    if (geteuid() != 0 || access(AB_NR_HUGEPAGES_PATH, W_OK) != 0) {
        snprintf(msg, msglen, "restoring %s needs root", AB_NR_HUGEPAGES_PATH);
        return 2;
    }
    int fd = lock_ledger();
    if (fd < 0) {
        snprintf(msg, msglen, "cannot lock %s: %s", AB_HUGEPOOL_LEDGER_PATH, strerror(errno));
        return 1;
    }
    ab_pool_ledger l;
    long current = ab_nr_hugepages_get();
    int rc = 0;
    if (ab_ledger_read(fd, &l) != 0) {
        snprintf(msg, msglen, "cannot read %s: %s", AB_HUGEPOOL_LEDGER_PATH, strerror(errno));
        rc = 1;
    } else if (ab_ledger_prune(&l), !l.recorded) {
        snprintf(msg, msglen, "nothing to restore: no arenabench run recorded a change of %s (now %ld)",
                 AB_NR_HUGEPAGES_PATH, current);
    } else if (l.n > 0) {
        snprintf(msg, msglen, "run %ld still holds the huge page pool (%zu run(s) in %s); "
                 "the last one to end restores %ld", l.holders[0].pid, l.n, AB_HUGEPOOL_LEDGER_PATH, l.original);
        ab_ledger_write(fd, &l);
        rc = 1;
    } else if (ab_nr_hugepages_set(l.original) != 0) {
        snprintf(msg, msglen, "cannot write %s: %s", AB_NR_HUGEPAGES_PATH, strerror(errno));
        rc = 1;
    } else {
        snprintf(msg, msglen, "%s: %ld -> %ld (the value before the run that was killed)", AB_NR_HUGEPAGES_PATH,
                 current, l.original);
        l.recorded = false;
        ab_ledger_write(fd, &l);
    }
    unlock_ledger(fd);
    return rc;
}
