/*
 * faultutil.h -- helpers for the fault-injection tests (test_reliability,
 * test_pool_safety, test_cli_fuzz): start the driver with a resource limit,
 * another uid or a deadline; watch the huge page pool; sweep up processes a
 * killed driver left behind; remember what a non-regular file was so a test
 * can prove it is untouched.  Header-only, like testutil.h.
 */
#ifndef AB_FAULTUTIL_H
#define AB_FAULTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness/system/hugepool_ledger.h"
#include "tests/testutil.h"

/* The uid/gid a test drops to when it needs an unprivileged user. */
#define FAULT_NOBODY 65534
/* Beyond this a driver is hung: every command the tests start is small. */
#define FAULT_DEADLINE_S 60

typedef struct fault_opts {
    long fsize_limit;        /* RLIMIT_FSIZE bytes, 0 = unchanged */
    bool as_nobody;
    const char *tmpdir;      /* TMPDIR for the driver, NULL = unchanged */
} fault_opts;

typedef struct fault_proc {
    pid_t pid;
    char out_path[64], err_path[64];
} fault_proc;

/* Start `arenabench argv...` (argv NULL-terminated, without the program). */
static inline void fault_start(fault_proc *p, const fault_opts *o, char *const *argv)
{
    snprintf(p->out_path, sizeof p->out_path, "/tmp/abfault-out-XXXXXX");
    snprintf(p->err_path, sizeof p->err_path, "/tmp/abfault-err-XXXXXX");
    int ofd = mkstemp(p->out_path), efd = mkstemp(p->err_path);
    size_t n = 0;
    while (argv[n]) n++;
    char **full = calloc(n + 2, sizeof *full);
    full[0] = (char *)ab_test_arenabench();
    for (size_t i = 0; i < n; i++) full[i + 1] = argv[i];
    fflush(NULL);
    p->pid = fork();
    if (p->pid == 0) {
        dup2(ofd, 1);
        dup2(efd, 2);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        if (o && o->fsize_limit > 0) {
            struct rlimit rl = {(rlim_t)o->fsize_limit, (rlim_t)o->fsize_limit};
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        if (o && o->tmpdir) setenv("TMPDIR", o->tmpdir, 1);
        if (o && o->as_nobody && (setgid(FAULT_NOBODY) != 0 || setuid(FAULT_NOBODY) != 0)) _exit(126);
        execv(full[0], full);
        _exit(127);
    }
    free(full);
    close(ofd);
    close(efd);
}

/* Wait for it (at most FAULT_DEADLINE_S; then SIGKILL and 255); the exit
 * status, 128+signal if it was killed. */
static inline int fault_wait(fault_proc *p)
{
    int st = 0;
    for (int i = 0; i < FAULT_DEADLINE_S * 100; i++) {
        pid_t w = waitpid(p->pid, &st, WNOHANG);
        if (w == p->pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    return 255;
}

/* Captured output (heap strings; "" if none) and cleanup. */
static inline char *fault_stdout(const fault_proc *p)
{
    char *s = ab_test_slurp(p->out_path);
    return s ? s : strdup("");
}
static inline char *fault_stderr(const fault_proc *p)
{
    char *s = ab_test_slurp(p->err_path);
    return s ? s : strdup("");
}
static inline void fault_done(fault_proc *p)
{
    unlink(p->out_path);
    unlink(p->err_path);
}

/* Run to completion; returns the status, and the stdout/stderr text in out/err
 * (either may be NULL; caller frees). */
static inline int fault_run_out(const fault_opts *o, char *const *argv, char **out, char **err)
{
    fault_proc p;
    fault_start(&p, o, argv);
    int rc = fault_wait(&p);
    if (out) *out = fault_stdout(&p);
    if (err) *err = fault_stderr(&p);
    fault_done(&p);
    return rc;
}

static inline int fault_run(const fault_opts *o, char *const *argv, char **err)
{
    return fault_run_out(o, argv, NULL, err);
}

/* ---- the pool ---------------------------------------------------------- */

static inline bool fault_is_root(void)
{
    return geteuid() == 0 && access(AB_NR_HUGEPAGES_PATH, W_OK) == 0;
}

/* Wait until pred-ish: poll nr_hugepages until it differs from v (true) or
 * ms pass (false). */
static inline bool fault_pool_leaves(long v, int ms)
{
    for (int i = 0; i < ms; i += 5) {
        if (ab_nr_hugepages_get() != v) return true;
        usleep(5000);
    }
    return false;
}

/* Wait (at most ms) until process pid has a child: a driver that forked its
 * first sample is past every up-front check.  True if it has. */
static inline bool fault_wait_for_child(pid_t pid, int ms)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    for (int i = 0; i < ms; i += 5) {
        char *kids = ab_test_slurp(path);
        bool some = kids && kids[0];
        free(kids);
        if (some) return true;
        usleep(5000);
    }
    return false;
}

/* ---- orphans ------------------------------------------------------------- */

/* Make this test the reaper of whatever a killed driver leaves behind. */
static inline void fault_become_subreaper(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* SIGKILL and reap every child of this process: the drivers' orphans, and
 * any driver still running, so call it only when none should be. */
static inline void fault_sweep_children(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
    FILE *f = fopen(path, "r");
    if (f) {
        int pid;
        while (fscanf(f, "%d", &pid) == 1) kill(pid, SIGKILL);
        fclose(f);
    }
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

/* ---- non-regular files stay what they were ------------------------------- */

typedef struct fault_node {
    char path[256];
    struct stat st;
} fault_node;

static inline void fault_node_remember(fault_node *n, const char *path)
{
    snprintf(n->path, sizeof n->path, "%s", path);
    lstat(path, &n->st);
}

static inline bool fault_node_unchanged(const fault_node *n)
{
    struct stat now;
    if (lstat(n->path, &now) != 0) return false;
    return now.st_ino == n->st.st_ino && (now.st_mode & S_IFMT) == (n->st.st_mode & S_IFMT) &&
           now.st_rdev == n->st.st_rdev;
}

/* A private directory for one test (mkdtemp); removed with fault_rmtree. */
static inline void fault_tmpdir(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/ab%s-XXXXXX", tag);
    if (!mkdtemp(buf)) buf[0] = 0;
}

static inline void fault_rmtree(const char *dir)
{
    if (!dir[0]) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int ignored = system(cmd);
    (void)ignored;
}

#endif
