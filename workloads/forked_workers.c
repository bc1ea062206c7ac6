/*
 * forked_workers.c -- fork, park, measure, release, reap (forked_workers.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "allocators/procfile.h"
#include "workloads/forked_workers.h"

const char *ab_worker_end_name(ab_worker_end e)
{
    switch (e) {
    case AB_WORKER_OK: return "ok";
    case AB_WORKER_SIGBUS: return "sigbus";
    case AB_WORKER_SIGNALED: return "signaled";
    case AB_WORKER_EXITED: return "exited";
    case AB_WORKER_NOT_STARTED: return "not_started";
    }
    return "exited";
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* No stdio: a worker must not depend on locks the parent's other threads
 * (the timeline) may have held at fork time. */
int ab_smaps_rollup_read(int pid, ab_smaps_rollup *out)
{
    out->rss_kb = out->pss_kb = out->private_dirty_kb = out->private_hugetlb_kb = out->shared_hugetlb_kb = -1;
    char path[64];
    if (pid) snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    else snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    char buf[4096];
    if (ab_procfile_read(path, buf, sizeof buf) < 0) return -1;
    const struct { const char *key; long *field; } keys[] = {
        {"\nRss:", &out->rss_kb}, {"\nPss:", &out->pss_kb}, {"\nPrivate_Dirty:", &out->private_dirty_kb},
        {"\nPrivate_Hugetlb:", &out->private_hugetlb_kb}, {"\nShared_Hugetlb:", &out->shared_hugetlb_kb},
    };
    int found = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *at = strstr(buf, keys[k].key);
        if (!at) continue;
        *keys[k].field = strtol(at + strlen(keys[k].key), NULL, 10);
        found++;
    }
    return found == (int)(sizeof keys / sizeof keys[0]) ? 0 : -1;
}

long ab_worker_private_kb(const ab_worker_result *w)
{
    if (w->smaps.private_dirty_kb < 0 || w->smaps.private_hugetlb_kb < 0) return -1;
    return w->smaps.private_dirty_kb + w->smaps.private_hugetlb_kb;
}

long ab_fork_family_pss_kb(const ab_fork_report *r)
{
    const ab_smaps_rollup *p = &r->parent;
    if (p->pss_kb < 0 || p->private_hugetlb_kb < 0 || p->shared_hugetlb_kb < 0) return -1;
    long total = p->pss_kb + p->private_hugetlb_kb + p->shared_hugetlb_kb;
    for (int i = 0; i < r->workers; i++) {
        const ab_worker_result *w = &r->w[i];
        if (w->end == AB_WORKER_NOT_STARTED || !w->reported) continue;   /* gone: holds nothing */
        if (w->smaps.pss_kb < 0 || w->smaps.private_hugetlb_kb < 0) return -1;
        total += w->smaps.pss_kb + w->smaps.private_hugetlb_kb;
    }
    return total;
}

/* What a worker sends: one write, well below PIPE_BUF, so never torn. */
typedef struct worker_msg {
    int32_t index;
    int64_t wall_ns;
    int64_t cow_faults;
} worker_msg;

static void write_full(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        c += w;
        n -= (size_t)w;
    }
}

static _Noreturn void worker_main(const ab_fork_job *job, int index, pid_t parent, int report_fd, int release_fd)
{
    int64_t t0 = now_ns();
    /* Die with the parent; if it already died before this took effect,
     * nobody will ever release us. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    /* A fault is the kernel's verdict on the worker, recorded as its end:
     * no inherited handler (a test framework's, a sanitizer's) may turn it
     * into an ordinary exit. */
    signal(SIGBUS, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    if (job->touch) job->touch(job->arg, index);
    getrusage(RUSAGE_SELF, &after);
    if (job->churn) job->churn(job->arg, index);
    worker_msg m = {.index = index, .wall_ns = now_ns() - t0,
                    .cow_faults = (int64_t)(after.ru_minflt - before.ru_minflt)};
    write_full(report_fd, &m, sizeof m);
    close(report_fd);
    /* Parked until the parent closes the release pipe (EOF). */
    char c;
    ssize_t r;
    while ((r = read(release_fd, &c, 1)) != 0)
        if (r < 0 && errno != EINTR) break;
    _exit(0);
}

static void classify(ab_worker_result *w, int status)
{
    if (WIFSIGNALED(status)) {
        w->signal = WTERMSIG(status);
        w->end = w->signal == SIGBUS ? AB_WORKER_SIGBUS : AB_WORKER_SIGNALED;
    } else if (WIFEXITED(status)) {
        w->exit_code = WEXITSTATUS(status);
        w->end = w->exit_code == 0 && w->reported ? AB_WORKER_OK : AB_WORKER_EXITED;
    }
}

int ab_fork_workers_run(const ab_fork_job *job, ab_fork_report *out)
{
    memset(out, 0, sizeof *out);
    int n = job->workers < 0 ? 0 : job->workers > AB_FORK_MAX_WORKERS ? AB_FORK_MAX_WORKERS : job->workers;
    out->workers = n;
    pid_t pids[AB_FORK_MAX_WORKERS];
    for (int i = 0; i < n; i++) {
        ab_worker_result *w = &out->w[i];
        w->end = AB_WORKER_NOT_STARTED;
        w->exit_code = -1;
        w->wall_ns = w->cow_faults = w->minflt = -1;
        w->smaps = (ab_smaps_rollup){-1, -1, -1, -1, -1};
        pids[i] = -1;
    }
    out->parent = (ab_smaps_rollup){-1, -1, -1, -1, -1};
    int report[2], release[2];
    if (pipe2(report, O_CLOEXEC) != 0) return 0;
    if (pipe2(release, O_CLOEXEC) != 0) {
        close(report[0]);
        close(report[1]);
        return 0;
    }
    pid_t self = getpid();
    for (int i = 0; i < n; i++) {
        int64_t t = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            close(report[0]);
            close(release[1]);
            worker_main(job, i, self, report[1], release[0]);
        }
        out->w[i].fork_ns = now_ns() - t;
        if (pid > 0) {
            pids[i] = pid;
            out->w[i].end = AB_WORKER_EXITED;   /* until wait4 says otherwise */
        }
    }
    close(report[1]);
    close(release[0]);
    /* EOF once every worker has reported (and closed) or died. */
    worker_msg m;
    size_t have = 0;
    for (;;) {
        ssize_t got = read(report[0], (char *)&m + have, sizeof m - have);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        have += (size_t)got;
        if (have < sizeof m) continue;
        have = 0;
        if (m.index >= 0 && m.index < n) {
            ab_worker_result *w = &out->w[m.index];
            w->reported = true;
            w->wall_ns = m.wall_ns;
            w->cow_faults = m.cow_faults;
        }
    }
    close(report[0]);
    /* Everyone alive is parked now: one moment for every reading. */
    for (int i = 0; i < n; i++)
        if (pids[i] > 0 && out->w[i].reported) ab_smaps_rollup_read(pids[i], &out->w[i].smaps);
    ab_smaps_rollup_read(0, &out->parent);
    close(release[1]);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (pids[i] <= 0) continue;
        int status;
        struct rusage ru;
        pid_t r;
        while ((r = wait4(pids[i], &status, 0, &ru)) < 0 && errno == EINTR) {}
        if (r != pids[i]) continue;
        out->w[i].minflt = (int64_t)ru.ru_minflt;
        classify(&out->w[i], status);
        ok += out->w[i].end == AB_WORKER_OK;
    }
    return ok;
}
