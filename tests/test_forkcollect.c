/* test_forkcollect.c -- the fork-and-collect helper (harness forkcollect.h)
 * and the promise it exists for: no child outlives the driver.
 *
 * The oracle is the kernel's process table: a process is gone when
 * /proc/PID no longer names the process that was started (same start time).
 * Unit tests: output, exit status and signal collected; a timeout kills the
 * whole process group, also after the child closed its pipe; an interrupt
 * stops the wait; a child dies with its parent (PR_SET_PDEATHSIG).
 * End to end: `arenabench run` killed by SIGSEGV or SIGKILL while a
 * selftest:hang sample runs leaves no sample process behind; `arenabench
 * exec` killed by a catchable fatal signal leaves neither the command nor
 * what it forked (a SIGKILLed driver cannot take the latter along). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness/util/forkcollect.h"
#include "tests/testutil.h"

/* How long a killed process may take to leave the process table (it is
 * reaped by init, or by us); generous for a loaded 2-core machine. */
#define GONE_WITHIN_S 10.0
/* How long the driver may take to fork its first sample (ASan included). */
#define SAMPLE_STARTS_WITHIN_S 60.0
#define POLL_STEP_NS 20000000L

static double now_s(void)
{
    return ab_fc_now_ns() / 1e9;
}

static void nap(void)
{
    struct timespec ts = {0, POLL_STEP_NS};
    nanosleep(&ts, NULL);
}

/* Field 22 (start time) and the state of /proc/PID/stat; false if absent. */
static bool proc_stat(pid_t pid, char *state, unsigned long long *start, pid_t *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) return false;
    int pp = 0;
    unsigned long long st = 0;
    char s = 0;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice threads itrealvalue starttime */
    if (sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &s, &pp,
               &st) != 3)
        return false;
    if (state) *state = s;
    if (start) *start = st;
    if (ppid) *ppid = pp;
    return true;
}

typedef struct proc_id {
    pid_t pid;
    unsigned long long start;
} proc_id;

static proc_id identify(pid_t pid)
{
    proc_id id = {pid, 0};
    assert_true(proc_stat(pid, NULL, &id.start, NULL));
    return id;
}

/* Alive: present with the same start time and not a zombie. */
static bool alive(proc_id id)
{
    char state;
    unsigned long long start;
    return proc_stat(id.pid, &state, &start, NULL) && start == id.start && state != 'Z' && state != 'X';
}

static bool gone_within(proc_id id, double seconds)
{
    double until = now_s() + seconds;
    while (alive(id)) {
        if (now_s() > until) return false;
        nap();
    }
    return true;
}

/* True once pid, a member of process group pgid, has left it or died (a
 * start time cannot be taken before it could die, so a reused pid is told
 * apart by its group, which a stranger would not share). */
static bool gone_from_group_within(pid_t pid, pid_t pgid, double seconds)
{
    char st;
    double until = now_s() + seconds;
    while (proc_stat(pid, &st, NULL, NULL) && st != 'Z' && st != 'X' && getpgid(pid) == pgid) {
        if (now_s() > until) return false;
        nap();
    }
    return true;
}

/* A child of ppid, or -1. */
static pid_t find_child(pid_t ppid)
{
    pid_t found = -1;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) && found < 0) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        pid_t pp;
        char state;
        if (*end || pid <= 0) continue;
        if (proc_stat((pid_t)pid, &state, NULL, &pp) && pp == ppid && state != 'Z') found = (pid_t)pid;
    }
    closedir(d);
    return found;
}

/* ---- children for the unit tests ---- */

#define BIG_OUTPUT_BYTES (3 * 1024 * 1024 + 17) /* many pipe buffers, not a multiple of one */
#define BIG_OUTPUT_EXIT 7

static char pattern_byte(size_t i)
{
    return (char)('a' + i % 23);
}

static int write_big_output(void *arg, int out_fd)
{
    (void)arg;
    static char chunk[4096];
    for (size_t done = 0; done < BIG_OUTPUT_BYTES;) {
        size_t n = BIG_OUTPUT_BYTES - done < sizeof chunk ? BIG_OUTPUT_BYTES - done : sizeof chunk;
        for (size_t i = 0; i < n; i++) chunk[i] = pattern_byte(done + i);
        ssize_t w = write(out_fd, chunk, n);
        if (w <= 0) return 1;
        done += (size_t)w;
    }
    return BIG_OUTPUT_EXIT;
}

static int die_of_sigusr1(void *arg, int out_fd)
{
    (void)arg;
    ssize_t w = write(out_fd, "x", 1);
    (void)w;
    raise(SIGUSR1);
    return 0;
}

static _Noreturn void pause_forever(void)
{
    for (;;) pause();
}

/* Forks a grandchild; both report their pids, then hang. */
static int fork_and_hang(void *arg, int out_fd)
{
    bool close_pipe = arg != NULL;
    pid_t pids[2] = {getpid(), fork()};
    if (pids[1] == 0) pause_forever();
    ssize_t w = write(out_fd, pids, sizeof pids);
    (void)w;
    if (close_pipe) close(out_fd); /* the wait goes on past EOF, on the pidfd */
    pause_forever();
}

static int hang(void *arg, int out_fd)
{
    (void)arg;
    (void)out_fd;
    pause_forever();
}

static volatile sig_atomic_t alarm_rang;

static void on_alarm(int sig)
{
    (void)sig;
    alarm_rang = 1;
}

static int alarm_has_rung(void)
{
    return alarm_rang;
}

typedef struct small_report {
    int magic;
    char note[20];
} small_report;

#define REPORT_MAGIC 4711

/* arg: how many bytes of the report to send, and then the exit status. */
typedef struct report_plan {
    size_t send;
    int status;
} report_plan;

static int send_report(void *arg, int out_fd)
{
    const report_plan *plan = arg;
    small_report r = {.magic = REPORT_MAGIC, .note = "from the child"};
    ssize_t w = write(out_fd, &r, plan->send);
    (void)w;
    return plan->status;
}

/* ---- unit tests ---- */

static void output_and_exit_status_are_collected(void **state)
{
    (void)state;
    ab_fc_buffer out = {0};
    ab_fc_job job = {.child = write_big_output, .out = &out, .timeout_s = 60};
    ab_fc_result res;
    assert_int_equal(ab_fork_collect(&job, &res), 0);
    assert_int_equal(res.outcome, AB_FC_EXITED);
    assert_int_equal(res.exit_code, BIG_OUTPUT_EXIT);
    assert_int_equal(res.signal, 0);
    assert_true(res.have_rusage);
    assert_int_equal(out.len, BIG_OUTPUT_BYTES);
    for (size_t i = 0; i < out.len; i++)
        if (out.data[i] != pattern_byte(i)) fail_msg("byte %zu differs", i);
    ab_fc_buffer_free(&out);
}

static void death_by_signal_is_collected(void **state)
{
    (void)state;
    ab_fc_buffer out = {0};
    ab_fc_job job = {.child = die_of_sigusr1, .out = &out, .timeout_s = 60};
    ab_fc_result res;
    assert_int_equal(ab_fork_collect(&job, &res), 0);
    assert_int_equal(res.outcome, AB_FC_SIGNALED);
    assert_int_equal(res.signal, SIGUSR1);
    assert_int_equal(res.exit_code, -1);
    assert_int_equal(out.len, 1);
    ab_fc_buffer_free(&out);
}

static void fixed_size_report_is_all_or_nothing(void **state)
{
    (void)state;
    small_report r;
    char why[200];
    report_plan whole = {sizeof r, 0}, half = {sizeof r / 2, 0}, failed = {sizeof r, 3};
    memset(&r, 0, sizeof r);
    assert_int_equal(ab_fork_collect_report(send_report, &whole, 60, &r, sizeof r, why, sizeof why), 0);
    assert_int_equal(r.magic, REPORT_MAGIC);
    assert_string_equal(r.note, "from the child");
    memset(&r, 0, sizeof r);
    assert_int_equal(ab_fork_collect_report(send_report, &half, 60, &r, sizeof r, why, sizeof why), -1);
    assert_int_equal(r.magic, 0);
    assert_non_null(strstr(why, "incomplete"));
    assert_int_equal(ab_fork_collect_report(send_report, &failed, 60, &r, sizeof r, why, sizeof why), -1);
    assert_non_null(strstr(why, "status 3"));
    assert_int_equal(ab_fork_collect_report(hang, NULL, 0.3, &r, sizeof r, why, sizeof why), -1);
    assert_non_null(strstr(why, "no result within 0.3 s"));
}

static void check_timeout_kills_group(bool child_closes_pipe)
{
    ab_fc_buffer out = {0};
    static int closes_pipe_marker;
    ab_fc_job job = {.child = fork_and_hang, .arg = child_closes_pipe ? &closes_pipe_marker : NULL, .out = &out,
                     .timeout_s = 0.5};
    ab_fc_result res;
    double t0 = now_s();
    assert_int_equal(ab_fork_collect(&job, &res), 0);
    double took = now_s() - t0;
    assert_int_equal(res.outcome, AB_FC_TIMEOUT);
    assert_int_equal(res.signal, SIGKILL);
    assert_true(took >= 0.5);
    assert_true(took < GONE_WITHIN_S);
    assert_int_equal(out.len, 2 * sizeof(pid_t));
    pid_t pids[2];
    memcpy(pids, out.data, sizeof pids);
    ab_fc_buffer_free(&out);
    /* The child was reaped by ab_fork_collect (signal SIGKILL, above); the
     * grandchild, which only the group kill reaches, must be gone too. */
    if (!gone_from_group_within(pids[1], pids[0], GONE_WITHIN_S)) {
        kill(-pids[0], SIGKILL); /* leave nothing behind, then fail */
        fail_msg("grandchild %d outlived the timeout", (int)pids[1]);
    }
}

static void timeout_kills_the_whole_group(void **state)
{
    (void)state;
    check_timeout_kills_group(false);
}

static void timeout_holds_after_the_pipe_closes(void **state)
{
    (void)state;
    check_timeout_kills_group(true);
}

static void stop_request_kills_and_returns(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old); /* no SA_RESTART */
    sigset_t alrm, orig;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &orig);
    sigset_t waitmask = orig;
    sigdelset(&waitmask, SIGALRM);
    alarm_rang = 0;
    alarm(1);
    ab_fc_buffer out = {0};
    ab_fc_job job = {.child = hang, .out = &out, .timeout_s = 60, .waitmask = &waitmask, .stop = alarm_has_rung};
    ab_fc_result res;
    double t0 = now_s();
    assert_int_equal(ab_fork_collect(&job, &res), 0);
    assert_int_equal(res.outcome, AB_FC_STOPPED);
    assert_int_equal(res.signal, SIGKILL);
    assert_true(now_s() - t0 < 30);
    ab_fc_buffer_free(&out);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    sigaction(SIGALRM, &old, NULL);
}

static void child_dies_with_its_parent(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t parent = fork();
    assert_true(parent >= 0);
    if (parent == 0) {
        close(fds[0]);
        pid_t c = ab_fc_fork();
        if (c == 0) hang(NULL, -1);
        ssize_t w = write(fds[1], &c, sizeof c);
        _exit(w == (ssize_t)sizeof c ? 0 : 1);
    }
    close(fds[1]);
    pid_t child = -1;
    assert_int_equal(read(fds[0], &child, sizeof child), (ssize_t)sizeof child);
    close(fds[0]);
    assert_true(child > 0);
    int st;
    assert_int_equal(waitpid(parent, &st, 0), parent);
    /* The parent has exited; PR_SET_PDEATHSIG must take the child along. */
    if (!gone_from_group_within(child, child, GONE_WITHIN_S)) {
        kill(child, SIGKILL);
        fail_msg("child %d outlived its parent", (int)child);
    }
}

/* ---- end to end: the driver dies while a sample hangs ---- */

static pid_t start_driver(const char *const *args)
{
    pid_t driver = fork();
    assert_true(driver >= 0);
    if (driver == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execv(ab_test_arenabench(), (char *const *)args);
        _exit(127);
    }
    return driver;
}

/* A child of parent that stays a second, or -1 (parent is then killed). */
static pid_t lasting_child(pid_t parent, pid_t driver)
{
    double until = now_s() + SAMPLE_STARTS_WITHIN_S;
    while (now_s() < until) {
        pid_t c = find_child(parent);
        if (c > 0) {
            sleep(1);
            pid_t pp;
            char s;
            if (proc_stat(c, &s, NULL, &pp) && pp == parent && s != 'Z') return c;
        } else {
            nap();
        }
    }
    kill(driver, SIGKILL);
    waitpid(driver, NULL, 0);
    return -1;
}

static void kill_driver_and_check(pid_t driver, int sig, proc_id *procs, size_t n)
{
    assert_int_equal(kill(driver, sig), 0);
    int st;
    assert_int_equal(waitpid(driver, &st, 0), driver);
    bool all_gone = true;
    for (size_t i = 0; i < n; i++) {
        bool gone = gone_within(procs[i], GONE_WITHIN_S);
        if (!gone) {
            fprintf(stderr, "process %d outlived the driver killed by signal %d\n", (int)procs[i].pid, sig);
            kill(procs[i].pid, SIGKILL); /* leave nothing behind, then fail */
        }
        all_gone = all_gone && gone;
    }
    assert_true(all_gone);
}

static void sample_dies_with_driver(int sig)
{
    char out[64];
    snprintf(out, sizeof out, "/tmp/abfc-%d.json", (int)getpid());
    const char *const args[] = {"arenabench", "run",       "--quiet", "--variants", "4k",  "--workloads",
                                "selftest:hang", "--reps", "1",       "--warmup",   "0",   "--timeout",
                                "600",           "--out",  out,       NULL};
    pid_t driver = start_driver(args);
    pid_t sample = lasting_child(driver, driver);
    if (sample < 0) fail_msg("the driver started no sample within %g s", SAMPLE_STARTS_WITHIN_S);
    proc_id procs[] = {identify(sample)};
    kill_driver_and_check(driver, sig, procs, 1);
    unlink(out);
}

/* exec mode: the command (a shell) and what it forked (sleep) both go. */
static void exec_group_dies_with_driver(int sig)
{
    char out[64];
    snprintf(out, sizeof out, "/tmp/abfc-exec-%d.json", (int)getpid());
    const char *const args[] = {"arenabench", "exec",    "--quiet", "--variant", "x=sh -c 'sleep 600 & wait'",
                                "--reps",     "1",       "--warmup", "0",        "--timeout",
                                "600",        "--events", "none",   "--out",     out,
                                NULL};
    pid_t driver = start_driver(args);
    pid_t shell = lasting_child(driver, driver);
    if (shell < 0) fail_msg("the driver started no command within %g s", SAMPLE_STARTS_WITHIN_S);
    pid_t sleeper = lasting_child(shell, driver);
    if (sleeper < 0) fail_msg("the command forked nothing within %g s", SAMPLE_STARTS_WITHIN_S);
    proc_id procs[] = {identify(shell), identify(sleeper)};
    kill_driver_and_check(driver, sig, procs, 2);
    unlink(out);
}

static void exec_group_dies_with_driver_on_sigsegv(void **state)
{
    (void)state;
    exec_group_dies_with_driver(SIGSEGV);
}

static void exec_group_dies_with_driver_on_sigusr1(void **state)
{
    (void)state;
    exec_group_dies_with_driver(SIGUSR1);
}

static void sample_dies_with_driver_on_sigsegv(void **state)
{
    (void)state;
    sample_dies_with_driver(SIGSEGV);
}

static void sample_dies_with_driver_on_sigkill(void **state)
{
    (void)state;
    sample_dies_with_driver(SIGKILL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(output_and_exit_status_are_collected),
        cmocka_unit_test(death_by_signal_is_collected),
        cmocka_unit_test(fixed_size_report_is_all_or_nothing),
        cmocka_unit_test(timeout_kills_the_whole_group),
        cmocka_unit_test(timeout_holds_after_the_pipe_closes),
        cmocka_unit_test(stop_request_kills_and_returns),
        cmocka_unit_test(child_dies_with_its_parent),
        cmocka_unit_test(sample_dies_with_driver_on_sigsegv),
        cmocka_unit_test(sample_dies_with_driver_on_sigkill),
        cmocka_unit_test(exec_group_dies_with_driver_on_sigsegv),
        cmocka_unit_test(exec_group_dies_with_driver_on_sigusr1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
