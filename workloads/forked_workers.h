/*
 * forked_workers.h -- fork W workers from the process that built a heap, let
 * each do its work on the inherited memory, and measure what that cost: the
 * fork() call, the copy-on-write faults, each worker's private memory, the
 * family's proportional set size, and how each worker ended.
 *
 * The pre-fork server pattern (gunicorn, uWSGI, multiprocessing): the heap
 * is shared copy-on-write after fork(), and every page a worker writes --
 * a refcount, a GC header, an allocator free list -- is copied for it: 4 KiB
 * with 4 KiB pages and with THP (the kernel splits the huge mapping), the
 * whole 2 MiB page with MAP_HUGETLB, which needs a free page in the pool and
 * gets SIGBUS when there is none (the pool reservation belongs to the parent).
 *
 * Protocol, per worker: run touch(), then churn(); send a fixed-size report
 * through a shared pipe (atomic: smaller than PIPE_BUF), close the pipe, and
 * park until the parent releases everyone.  While the workers are parked the
 * parent reads each one's /proc/PID/smaps_rollup and its own, so every
 * reading is of the same moment; then it releases them and reaps each with
 * wait4().  A worker that dies (SIGBUS) simply never reports: its end of the
 * pipe closes with it, so the parent never waits for it.
 *
 * Workers die with their parent: PR_SET_PDEATHSIG(SIGKILL), set before they
 * do anything, so a sample killed for its timeout takes its workers along.
 * Workers leave through _exit() (no atexit handlers, no stdio flush).
 */
#ifndef AB_FORKED_WORKERS_H
#define AB_FORKED_WORKERS_H

#include <stdbool.h>
#include <stdint.h>

#define AB_FORK_MAX_WORKERS 64

/* How a worker ended, from wait4(). */
typedef enum {
    AB_WORKER_OK,           /* reported, exited 0 */
    AB_WORKER_SIGBUS,       /* killed by SIGBUS: no huge page for a copy-on-write */
    AB_WORKER_SIGNALED,     /* killed by another signal */
    AB_WORKER_EXITED,       /* exited non-zero, or exited without reporting */
    AB_WORKER_NOT_STARTED,  /* fork() failed */
} ab_worker_end;

const char *ab_worker_end_name(ab_worker_end e);

/* The lines of smaps_rollup the fork block uses, in kB (-1: unreadable). */
typedef struct ab_smaps_rollup {
    long rss_kb, pss_kb, private_dirty_kb, private_hugetlb_kb, shared_hugetlb_kb;
} ab_smaps_rollup;

/* Read /proc/PID/smaps_rollup (pid 0: self).  0, or -1 (fields stay -1). */
int ab_smaps_rollup_read(int pid, ab_smaps_rollup *out);

typedef struct ab_worker_result {
    ab_worker_end end;
    int signal;              /* killed: the signal, else 0 */
    int exit_code;           /* exited: the status, else -1 */
    bool reported;           /* its report arrived */
    int64_t fork_ns;         /* the parent's fork() call for this worker */
    /* From the worker's report (-1 when it never reported). */
    int64_t wall_ns;         /* the worker's work: fork() return to the end of churn */
    int64_t cow_faults;      /* minor faults during touch(): each is a copy-on-write */
    /* The parent's reading while the worker was parked (-1: not read). */
    ab_smaps_rollup smaps;
    int64_t minflt;          /* wait4: every minor fault of the worker's life, -1 unknown */
} ab_worker_result;

typedef struct ab_fork_report {
    int workers;                         /* asked for */
    ab_worker_result w[AB_FORK_MAX_WORKERS];
    ab_smaps_rollup parent;              /* the forking process, same moment */
} ab_fork_report;

typedef struct ab_fork_job {
    int workers;                         /* 1..AB_FORK_MAX_WORKERS */
    /* Run in each worker, in this order; index is 0..workers-1. */
    void (*touch)(void *arg, int index);
    void (*churn)(void *arg, int index);
    void *arg;
} ab_fork_job;

/* Fork, let the workers run, measure, reap.  Never fails as a whole: a
 * worker that could not be forked or died is recorded as such.  Returns the
 * number of workers that ended AB_WORKER_OK. */
int ab_fork_workers_run(const ab_fork_job *job, ab_fork_report *out);

/* Derived figures (shared by the JSON writer and the tests). */
/* Private_Dirty + Private_Hugetlb of worker i, kB; -1 unknown. */
long ab_worker_private_kb(const ab_worker_result *w);
/* Parent + workers: every Pss, plus every hugetlb page once (smaps' Pss
 * leaves hugetlb pages out).  Pages shared between the family's members are
 * all the parent's (workers only share what they inherited and did not
 * copy), so the parent's Shared_Hugetlb counts each of them once.  -1 when
 * a reading is missing. */
long ab_fork_family_pss_kb(const ab_fork_report *r);

#endif
