/*
 * hugepool.c -- reserve and restore the default-size huge page pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allocators/meminfo.h"
#include "harness/system/hugepool.h"

/* The crash handler must find the pool to restore: one per process. */
static ab_hugepool *armed_pool;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction previous_fatal[N_FATAL];

void ab_hugepool_read(long *total, long *free_pages)
{
    long long v;
    *total = ab_meminfo_field("HugePages_Total", &v) ? (long)v : -1;
    *free_pages = ab_meminfo_field("HugePages_Free", &v) ? (long)v : -1;
}

static int write_nr(const char *text)
{
    int fd = open(AB_NR_HUGEPAGES_PATH, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t len = (ssize_t)strlen(text);
    int rc = write(fd, text, (size_t)len) == len ? 0 : -1;
    if (close(fd) != 0) rc = -1;
    return rc;
}

/* Async-signal-safe: open/write/close, getpid, sigaction, raise. */
static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
    ab_hugepool *hp = armed_pool;
    if (hp && hp->active && getpid() == hp->owner) {
        int fd = open(AB_NR_HUGEPAGES_PATH, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t ignored = write(fd, hp->restore_text, strlen(hp->restore_text));
            (void)ignored;
            close(fd);
        }
        hp->active = false;
    }
    for (size_t i = 0; i < N_FATAL; i++)
        if (fatal_signals[i] == sig) {
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
    for (size_t i = 0; i < N_FATAL; i++) sigaction(fatal_signals[i], &sa, &previous_fatal[i]);
}

static void disarm(void)
{
    for (size_t i = 0; i < N_FATAL; i++) sigaction(fatal_signals[i], &previous_fatal[i], NULL);
    armed_pool = NULL;
}

int ab_hugepool_reserve(ab_hugepool *hp, long n, char *msg, size_t msglen)
{
    memset(hp, 0, sizeof *hp);
    msg[0] = 0;
    hp->requested = n;
    long total, free_pages;
    ab_hugepool_read(&total, &free_pages);
    if (total < 0 || free_pages < 0) {
        snprintf(msg, msglen, "this kernel reports no huge page pool (/proc/meminfo has no HugePages_Total)");
        return 2;
    }
    long target = total - free_pages + n;
    if (target < total) target = total;
    if (geteuid() != 0 || access(AB_NR_HUGEPAGES_PATH, W_OK) != 0) {
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
    hp->previous_total = total;
    hp->target_total = target;
    hp->owner = getpid();
    snprintf(hp->restore_text, sizeof hp->restore_text, "%ld\n", total);
    if (target != total) {
        char text[32];
        snprintf(text, sizeof text, "%ld\n", target);
        hp->active = true;
        arm(hp);
        if (write_nr(text) != 0) {
            int e = errno;
            ab_hugepool_restore(hp);
            snprintf(msg, msglen, "cannot write %s: %s", AB_NR_HUGEPAGES_PATH, strerror(e));
            return 2;
        }
    }
    long now_total;
    ab_hugepool_read(&now_total, &hp->free_after);
    if (hp->free_after < n)
        snprintf(msg, msglen,
                 "asked for %ld free huge pages, the kernel provided %ld (pool %ld -> %ld); "
                 "hugetlb variants will fall back to 4 KiB pages when the pool runs out",
                 n, hp->free_after, total, now_total);
    return 0;
}

int ab_hugepool_restore(ab_hugepool *hp)
{
    if (!hp->active) return 0;
    int rc = write_nr(hp->restore_text);
    hp->active = false;
    disarm();
    return rc;
}
