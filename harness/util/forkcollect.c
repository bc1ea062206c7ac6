/*
 * forkcollect.c -- see forkcollect.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness/util/fatal_signals.h"
#include "harness/util/forkcollect.h"

/* The pipe is drained in steps of this much free room. */
#define READ_CHUNK_BYTES 65536

/* The guard covers every default-fatal signal (fatal_signals.h, the one
 * owner of that list): whatever ends the driver ends the sample's group
 * first.  Indexed by signal number; real-time signals included. */

static bool is_guarded(int sig)
{
    sigset_t async;
    ab_fatal_async_set(&async);
    if (sigismember(&async, sig) == 1) return true;
    size_t n;
    const int *sync = ab_fatal_sync_signals(&n);
    for (size_t i = 0; i < n; i++)
        if (sync[i] == sig) return true;
    return false;
}

/* What each guarded signal did before ab_fc_guard_install(): the handler
 * hands over to it.  Written only outside handlers, before they are armed. */
static struct sigaction guard_previous[_NSIG];
static bool guard_armed[_NSIG];

/* The child forked last and not yet reaped, for ab_fc_kill_running() in a
 * fatal-signal handler: the one piece of state a handler can reach. */
static volatile sig_atomic_t running_child;

int64_t ab_fc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ab_fc_buffer_reserve(ab_fc_buffer *b, size_t extra)
{
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : READ_CHUNK_BYTES;
    while (cap < b->len + extra) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

void ab_fc_buffer_free(ab_fc_buffer *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void restore_guarded(void)
{
    for (int sig = 1; sig < _NSIG; sig++)
        if (guard_armed[sig]) {
            sigaction(sig, &guard_previous[sig], NULL);
            guard_armed[sig] = false;
        }
}

/* Async-signal-safe: kill, sigaction, raise. */
static void on_fatal_signal(int sig, siginfo_t *info, void *uctx)
{
    ab_fc_kill_running();
    if (sig <= 0 || sig >= _NSIG || !guard_armed[sig]) return;
    const struct sigaction *prev = &guard_previous[sig];
    sigaction(sig, prev, NULL);
    if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
        prev->sa_sigaction(sig, info, uctx);
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
    } else {
        /* Blocked while its handler runs: the raised signal arrives, with
         * the default action, as soon as this handler returns. */
        raise(sig);
    }
}

void ab_fc_guard_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < _NSIG; sig++) {
        struct sigaction cur;
        guard_armed[sig] = false;
        if (!is_guarded(sig) || sigaction(sig, NULL, &cur) != 0 || cur.sa_handler == SIG_IGN) continue;
        guard_previous[sig] = cur;
        guard_armed[sig] = sigaction(sig, &sa, NULL) == 0;
    }
}

void ab_fc_guard_remove(void)
{
    restore_guarded();
}

pid_t ab_fc_fork(void)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) {
        if (pid > 0) {
            setpgid(pid, pid); /* also done by the child; whichever runs first wins */
            running_child = pid;
        }
        return pid;
    }
    running_child = 0;
    restore_guarded();
    setpgid(0, 0);
    /* Set before anything else runs; if the parent died before this line,
     * the death signal will never come, and getppid() shows the new parent. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(AB_FC_ORPHAN_EXIT);
    ab_fatal_signals_reset_in_child(); /* the driver's handlers and mask are not the child's */
    return 0;
}

void ab_fc_kill(pid_t pid)
{
    if (pid <= 0) return;
    kill(-pid, SIGKILL); /* what the child forked, too */
    kill(pid, SIGKILL);  /* in case it has not reached setpgid yet */
}

void ab_fc_kill_running(void)
{
    pid_t pid = running_child;
    if (pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
}

void ab_fc_reaped(pid_t pid)
{
    if (running_child == pid) running_child = 0;
}

int ab_fc_wait_fd(int fd, int64_t deadline_ns, const sigset_t *waitmask)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t left = deadline_ns == INT64_MAX ? -1 : deadline_ns - ab_fc_now_ns();
    if (left < 0 && deadline_ns != INT64_MAX) left = 0;
    struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
    return ppoll(&p, 1, left < 0 ? NULL : &ts, waitmask);
}

/* A descriptor that becomes readable when the child exits, so the wait for
 * it keeps the deadline; -1 if the kernel has no pidfd (then wait4 blocks). */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

static void set_error(ab_fc_result *res, const char *call)
{
    res->outcome = AB_FC_ERROR;
    snprintf(res->error, sizeof res->error, "%s: %s", call, strerror(errno));
}

/* Wait for fd until the deadline; false (with the child killed and the
 * outcome set) if the deadline passed or stop() asked to stop first. */
static bool wait_or_kill(const ab_fc_job *job, pid_t pid, int fd, int64_t deadline, ab_fc_result *res)
{
    for (;;) {
        int n = ab_fc_wait_fd(fd, deadline, job->waitmask);
        if (n > 0) return true;
        if (n < 0 && errno == EINTR) {
            if (job->stop && job->stop()) {
                ab_fc_kill(pid);
                res->outcome = AB_FC_STOPPED;
                return false;
            }
            continue;
        }
        if (n < 0) return true; /* cannot wait: fall through to the blocking read/wait */
        ab_fc_kill(pid);
        res->outcome = AB_FC_TIMEOUT;
        return false;
    }
}

/* Read the child's pipe to EOF (or until the child is killed). */
static void drain(const ab_fc_job *job, pid_t pid, int fd, int64_t deadline, ab_fc_result *res)
{
    ab_fc_buffer *b = job->out;
    for (;;) {
        if (!wait_or_kill(job, pid, fd, deadline, res)) return;
        if (ab_fc_buffer_reserve(b, READ_CHUNK_BYTES) != 0) {
            ab_fc_kill(pid);
            res->outcome = AB_FC_NOMEM;
            return;
        }
        ssize_t got = read(fd, b->data + b->len, b->cap - b->len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return; /* EOF: the child is gone or has sent everything */
        b->len += (size_t)got;
    }
}

int ab_fork_collect(const ab_fc_job *job, ab_fc_result *res)
{
    memset(res, 0, sizeof *res);
    res->outcome = AB_FC_EXITED;
    res->exit_code = -1;
    job->out->len = 0;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        set_error(res, "pipe");
        return -1;
    }
    int64_t t0 = ab_fc_now_ns();
    pid_t pid = ab_fc_fork();
    if (pid < 0) {
        set_error(res, "fork");
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        int status = job->child(job->arg, fds[1]);
        fflush(NULL);
        _exit(status);
    }
    close(fds[1]);
    int pidfd = open_pidfd(pid);
    int64_t deadline = job->timeout_s > 0 ? t0 + (int64_t)(job->timeout_s * 1e9) : INT64_MAX;
    drain(job, pid, fds[0], deadline, res);
    close(fds[0]);
    if (res->outcome == AB_FC_EXITED && pidfd >= 0) wait_or_kill(job, pid, pidfd, deadline, res);
    if (pidfd >= 0) close(pidfd);
    int wstatus = 0;
    pid_t w;
    while ((w = wait4(pid, &wstatus, 0, &res->ru)) < 0 && errno == EINTR) {
        if (job->stop && job->stop()) {
            ab_fc_kill(pid);
            if (res->outcome == AB_FC_EXITED) res->outcome = AB_FC_STOPPED;
        }
    }
    ab_fc_reaped(pid);
    res->elapsed_ns = ab_fc_now_ns() - t0;
    if (w != pid) return 0;
    res->have_rusage = true;
    if (WIFSIGNALED(wstatus)) {
        res->signal = WTERMSIG(wstatus);
        if (res->outcome == AB_FC_EXITED) res->outcome = AB_FC_SIGNALED;
    } else if (WIFEXITED(wstatus)) {
        res->exit_code = WEXITSTATUS(wstatus);
    }
    return 0;
}

int ab_fork_collect_report(int (*child)(void *arg, int out_fd), void *arg, double timeout_s, void *report,
                           size_t size, char *why, size_t whylen)
{
    ab_fc_buffer out = {0};
    ab_fc_job job = {.child = child, .arg = arg, .out = &out, .timeout_s = timeout_s};
    ab_fc_result res;
    int rc = -1;
    if (ab_fork_collect(&job, &res) != 0)
        snprintf(why, whylen, "%s", res.error);
    else if (res.outcome == AB_FC_TIMEOUT)
        snprintf(why, whylen, "no result within %g s; killed", timeout_s);
    else if (res.outcome == AB_FC_NOMEM)
        snprintf(why, whylen, "out of memory reading its result");
    else if (res.signal)
        snprintf(why, whylen, "killed by signal %d (%s)", res.signal, strsignal(res.signal));
    else if (res.exit_code != 0 || out.len != size)
        snprintf(why, whylen, "exited with status %d and sent %s", res.exit_code,
                 out.len ? "an incomplete result" : "no result");
    else {
        memcpy(report, out.data, size);
        rc = 0;
    }
    ab_fc_buffer_free(&out);
    return rc;
}
