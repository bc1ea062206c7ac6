/*
 * forkcollect.h -- the one way the harness forks a child and collects what it
 * sends back: a sample, a validation report, a microbenchmark timing, a
 * gnuplot or Python run.
 *
 * Every child made here
 *   - leads its own process group, so a kill reaches whatever it forked;
 *   - dies with the driver, however the driver dies: PR_SET_PDEATHSIG(SIGKILL)
 *     is set first thing in the child, and a child whose parent already died
 *     between fork() and prctl() exits at once instead of running orphaned;
 *   - starts with default dispositions for the signals the driver handles and
 *     an empty signal mask (the driver's own handling is not the child's).
 *
 * ab_fork_collect() reads the child's pipe until EOF, then reaps it; a
 * deadline covers both, and on expiry (or when the caller's stop() says so,
 * e.g. on SIGINT) the whole group is SIGKILLed.  Signals the caller keeps
 * blocked can be let in only while waiting (waitmask, as ppoll takes it), so
 * an interrupt that arrives between fork() and the wait is not slept through.
 *
 * Limit: PR_SET_PDEATHSIG reaches the direct child only.  What that child
 * forked itself (an exec'ed command's helpers) is killed through the process
 * group on every exit the driver sees: a timeout, an interrupt, and -- while
 * ab_fc_guard_install() is in force -- any default-fatal signal the driver
 * can catch.  Not when the driver is SIGKILLed.
 */
#ifndef AB_FORKCOLLECT_H
#define AB_FORKCOLLECT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Exit status of a child whose parent died before PR_SET_PDEATHSIG took hold. */
#define AB_FC_ORPHAN_EXIT 125

/* A growable output buffer; a caller may keep one across many children (the
 * runner does, so its own heap does not grow with every sample). */
typedef struct ab_fc_buffer {
    char *data;
    size_t len, cap;
} ab_fc_buffer;

/* Room for `extra` more bytes after len; 0, or -1 if out of memory. */
int ab_fc_buffer_reserve(ab_fc_buffer *b, size_t extra);
void ab_fc_buffer_free(ab_fc_buffer *b);

typedef enum {
    AB_FC_EXITED,   /* exit_code is the child's status */
    AB_FC_SIGNALED, /* the child died of `signal` on its own */
    AB_FC_TIMEOUT,  /* the deadline passed: the group was killed */
    AB_FC_STOPPED,  /* stop() asked to stop: the group was killed */
    AB_FC_NOMEM,    /* the output could not be stored: the group was killed */
    AB_FC_ERROR,    /* pipe or fork failed; nothing ran; see error */
} ab_fc_outcome;

typedef struct ab_fc_job {
    /* Runs in the child, with the pipe's write end (close-on-exec: dup2 it to
     * make it a standard stream of an exec'ed program).  Its return value is
     * the child's exit status. */
    int (*child)(void *arg, int out_fd);
    void *arg;
    ab_fc_buffer *out;          /* receives everything written to the pipe */
    double timeout_s;           /* from fork to reap; <= 0: no limit */
    const sigset_t *waitmask;   /* the mask while waiting; NULL: the current one */
    /* Checked whenever a signal interrupts the wait; nonzero: kill and stop. */
    int (*stop)(void);
} ab_fc_job;

typedef struct ab_fc_result {
    ab_fc_outcome outcome;
    int exit_code;              /* AB_FC_EXITED: the status, else -1 */
    int signal;                 /* the signal the child died of, else 0 */
    bool have_rusage;
    struct rusage ru;           /* wait4() of the child */
    int64_t elapsed_ns;         /* fork to reap */
    char error[160];            /* AB_FC_ERROR: which call failed and why */
} ab_fc_result;

/* Fork job->child, collect its output and reap it.  Returns 0 when the child
 * ran (whatever became of it: see res->outcome), -1 on AB_FC_ERROR. */
int ab_fork_collect(const ab_fc_job *job, ab_fc_result *res);

/* For a child that sends one fixed-size report: 0 if it sent exactly `size`
 * bytes (copied to report) and exited with status 0; else -1 with why
 * ("no result within 5 s; killed", "killed by signal 11 (...)", "exited with
 * status 3 and sent no result", or the failed call). */
int ab_fork_collect_report(int (*child)(void *arg, int out_fd), void *arg, double timeout_s, void *report,
                           size_t size, char *why, size_t whylen);

/* ---- the parts, for a caller that waits on something other than a pipe
 * (exec mode's ptrace stops) ------------------------------------------------ */

/* fork() a child with the properties listed at the top: the child's pid in
 * the parent, 0 in the child, -1 with errno if fork failed.  Flushes stdio
 * first, so the child does not write the parent's buffered output again. */
pid_t ab_fc_fork(void);
/* SIGKILL the child's process group and the child itself. */
void ab_fc_kill(pid_t pid);
/* Kill the child forked last if it has not been reaped (ab_fc_reaped);
 * async-signal-safe, for a fatal-signal handler of the driver. */
void ab_fc_kill_running(void);
/* The child forked last has been reaped: ab_fc_kill_running() leaves it be. */
void ab_fc_reaped(pid_t pid);
/* Until ab_fc_guard_remove(): every catchable signal whose default is to end
 * the process first kills the running child's group, then does what it did
 * before (the previous handler runs, or the default action is re-raised).
 * Signals the driver ignores or handles itself (SIGINT, SIGTERM, SIGHUP) are
 * left alone.  Children forked meanwhile start with the previous actions.
 * Not nested; remove in the reverse order of other handlers installed after. */
void ab_fc_guard_install(void);
void ab_fc_guard_remove(void);
/* ppoll() fd for input until deadline_ns (CLOCK_MONOTONIC; INT64_MAX: no
 * deadline) with waitmask (NULL: current mask): >0 ready, 0 timeout, -1 errno. */
int ab_fc_wait_fd(int fd, int64_t deadline_ns, const sigset_t *waitmask);
int64_t ab_fc_now_ns(void);

#endif
