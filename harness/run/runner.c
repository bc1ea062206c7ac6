/*
 * runner.c -- the schedule loop, the per-sample process, timeouts, failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "allocators/reference.h"
#include "harness/run/builds.h"
#include "harness/run/child.h"
#include "harness/run/fresh_sample.h"
#include "harness/counters/counters.h"
#include "harness/run/runner.h"
#include "harness/results/metrics.h"
#include "harness/results/sample.h"
#include "harness/util/forkcollect.h"
#include "harness/util/fatal_signals.h"

/* Set by the handler of every asynchronous fatal signal (util/fatal_signals.h);
 * the only thing it does.  The first signal wins: it is the one reported. */
static volatile sig_atomic_t interrupt_signal;

static void on_interrupt(int sig)
{
    if (!interrupt_signal) interrupt_signal = sig;
}

void ab_runner_install_interrupt_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: ppoll() must return EINTR at once */
    sigset_t async;
    ab_fatal_async_set(&async);
    for (int s = 1; s <= SIGRTMAX; s++)
        if (sigismember(&async, s) == 1) sigaction(s, &sa, NULL);
}

int ab_runner_interrupted(void)
{
    return interrupt_signal;
}

/* Samples of the default matrix are ~10-100 KB of JSON (mostly timeline). */
#define AB_SAMPLE_BUFFER_BYTES (1024 * 1024)

/* What became of the child, in the record's terms; a timeout or interrupt
 * already set the status and reason and keeps them. */
static void classify_exit(ab_sample_record *r, const ab_fc_result *fc)
{
    r->have_rusage = fc->have_rusage;
    r->ru = fc->ru;
    r->elapsed_ns = fc->elapsed_ns;
    r->signal = fc->signal;
    r->exit_code = fc->exit_code;
    if (fc->signal && r->status == AB_SAMPLE_OK) {
        r->status = AB_SAMPLE_CRASHED;
        snprintf(r->reason, sizeof r->reason, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
    }
}

static void spool_json(ab_run_record *rec, ab_sample_record *r, const char *text, size_t len)
{
    if (fseek(rec->spool, 0, SEEK_END) != 0) return;
    r->json_off = ftell(rec->spool);
    if (fwrite(text, 1, len, rec->spool) == len) r->json_len = len;
}

/* The child's own verdict (status/reason in its JSON); NULL: unparseable. */
static void take_child_verdict(ab_sample_record *r, json_t *s)
{
    if (!s) {
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "unparseable sample JSON");
        return;
    }
    const char *why = ab_sample_json_reason(s);
    if (ab_sample_json_status(s) != AB_SAMPLE_OK) {
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s", why ? why : "the sample reported failure");
    }
}

/* ---- run mode ------------------------------------------------------------ */

/* A build's sample (builds.h): exec its binary's sample entry point with
 * stdout on the pipe; it writes the same JSON as ab_child_run_sample. */
static _Noreturn void exec_build_sample(const ab_plan *plan, const ab_slot *slot, int out_fd)
{
    const ab_plan_build *b = &plan->builds[slot->build];
    char scale[40], seed[32], pin[16];
    snprintf(scale, sizeof scale, "%.17g", plan->scale);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)plan->seed);
    snprintf(pin, sizeof pin, "%d", plan->pin);
    size_t len = 1;
    for (size_t e = 0; e < plan->n_events; e++) len += strlen(plan->events[e]) + 1;
    char *events = malloc(len + sizeof "none");
    if (!events) _exit(3);
    strcpy(events, plan->n_events ? "" : "none");
    for (size_t e = 0; e < plan->n_events; e++) {
        if (e) strcat(events, ",");
        strcat(events, plan->events[e]);
    }
    char *argv[24];
    size_t n = 0;
    argv[n++] = b->path;
    argv[n++] = AB_SAMPLE_COMMAND;
    argv[n++] = "--quiet";
    argv[n++] = "--reps";
    argv[n++] = "1";
    argv[n++] = "--warmup";
    argv[n++] = "0";
    argv[n++] = "--variants";
    argv[n++] = plan->variants[slot->variant].name;
    argv[n++] = "--workloads";
    argv[n++] = plan->workloads[slot->workload].spec;
    argv[n++] = "--scale";
    argv[n++] = scale;
    argv[n++] = "--seed";
    argv[n++] = seed;
    argv[n++] = "--events";
    argv[n++] = events;
    if (plan->pin >= 0) {
        argv[n++] = "--pin";
        argv[n++] = pin;
    }
    if (!plan->timeline) argv[n++] = "--no-timeline";
    argv[n] = NULL;
    if (dup2(out_fd, STDOUT_FILENO) < 0) _exit(3);
    unsetenv(AB_SAMPLE_TEST_DELAY_ENV);
    execv(b->path, argv);
    char reason[300];
    snprintf(reason, sizeof reason, "cannot execute build %s (%s): %s", b->name, b->path, strerror(errno));
    json_t *fail = ab_sample_failure_json(AB_SAMPLE_FAILED, reason, plan->events, plan->n_events);
    char *text = fail ? json_dumps(fail, JSON_COMPACT) : NULL;
    if (text) {
        ssize_t ignored = write(STDOUT_FILENO, text, strlen(text));
        (void)ignored;
    }
    _exit(0);
}

/*
 * --target-ci: the wall time of an ok sample, for the stopping rule.  The
 * parse's memory is returned to the kernel (malloc_trim), so the parent's
 * resident size that forked children start with stays as flat as the
 * reused sample buffer keeps it.
 */
static void note_wall(ab_run_record *rec, const ab_sample_record *r, const ab_fc_buffer *b)
{
    json_t *s = json_loadb(b->data, b->len, 0, NULL);
    ab_sample_status st;
    json_t *w = json_object_get(s, ab_metric_key(AB_M_WALL_NS));
    if (ab_sample_status_parse(json_string_value(json_object_get(s, AB_KEY_STATUS)), &st) && st == AB_SAMPLE_OK &&
        json_is_number(w))
        rec->wall_ns[r - rec->samples] = json_number_value(w);
    json_decref(s);
    malloc_trim(0);
}

typedef struct forked_sample {
    const ab_plan *plan;
    const ab_slot *slot;
} forked_sample;

static int forked_sample_child(void *arg, int out_fd)
{
    const forked_sample *fs = arg;
    if (fs->plan->n_builds) exec_build_sample(fs->plan, fs->slot, out_fd);
    /* Simulated TLB figures must not depend on the driver's heap. */
    if (fs->plan->tlb_model) ab_fresh_sample_exec(fs->plan, fs->slot, out_fd);
    ab_child_run_sample(fs->plan, fs->slot, out_fd);
}

static int interrupt_arrived(void)
{
    return interrupt_signal != 0;
}

static void run_forked_sample(const ab_plan *plan, const ab_slot *slot, ab_run_record *rec,
                              ab_sample_record *r, ab_fc_buffer *b, const sigset_t *waitmask)
{
    forked_sample fs = {plan, slot};
    ab_fc_job job = {.child = forked_sample_child, .arg = &fs, .out = b, .timeout_s = plan->timeout_s,
                     .waitmask = waitmask, .stop = interrupt_arrived};
    ab_fc_result fc;
    if (ab_fork_collect(&job, &fc) != 0) {
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s", fc.error);
        return;
    }
    switch (fc.outcome) {
    case AB_FC_STOPPED:
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "interrupted by signal %d", (int)interrupt_signal);
        break;
    case AB_FC_TIMEOUT:
        r->status = AB_SAMPLE_TIMEOUT;
        snprintf(r->reason, sizeof r->reason, "no result within %g s; killed", plan->timeout_s);
        break;
    case AB_FC_NOMEM:
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "out of memory reading the sample");
        break;
    default:
        break;
    }
    classify_exit(r, &fc);
    if (r->status != AB_SAMPLE_OK) return; /* timeout, crash, interrupt: partial JSON is not a sample */
    if (b->len == 0) {
        r->status = AB_SAMPLE_FAILED;
        if (r->exit_code > 0) snprintf(r->reason, sizeof r->reason, "exited with status %d and sent no result", r->exit_code);
        else snprintf(r->reason, sizeof r->reason, "sent no result");
        return;
    }
    /* Parsed after the schedule (see ab_runner_run), not now: parsing
     * here would grow the parent's heap, which every later child inherits.
     * --target-ci needs the wall time now; it parses and gives the heap
     * back at once (note_wall). */
    spool_json(rec, r, b->data, b->len);
    if (rec->wall_ns) note_wall(rec, r, b);
}

/* ---- exec mode ----------------------------------------------------------- */

/*
 * The exec'ed command is measured from outside.  Its peak RSS is read from
 * /proc/PID/status (VmHWM) at its ptrace exit stop (PTRACE_O_TRACEEXIT: the
 * task has called exit but its memory is still mapped), which is exact and
 * belongs to the exec'ed image alone.  wait4's ru_maxrss is kept as well, but
 * it is the maximum over the child's whole life, including the forked copy of
 * the driver before execve -- which is why it is not the primary figure.
 */
/*
 * The driver re-executes itself with a glibc tunable so jemalloc can be
 * dlopen'ed (allocators/reference.h).  That is the driver's business, not the
 * measured command's: give the command the environment the user started
 * arenabench with.
 */
static void undo_driver_environment(void)
{
    if (!getenv(AB_REF_STATIC_TLS_ENV)) return;
    unsetenv(AB_REF_STATIC_TLS_ENV);
    const char *t = getenv("GLIBC_TUNABLES");
    if (!t) return;
    size_t len = strlen(t), tl = strlen(AB_REF_STATIC_TLS_TUNABLE);
    if (!strcmp(t, AB_REF_STATIC_TLS_TUNABLE)) {
        unsetenv("GLIBC_TUNABLES");
    } else if (len > tl && t[len - tl - 1] == ':' && !strcmp(t + len - tl, AB_REF_STATIC_TLS_TUNABLE)) {
        char *orig = strndup(t, len - tl - 1);
        if (orig) setenv("GLIBC_TUNABLES", orig, 1);
        free(orig);
    }
}

static _Noreturn void exec_child(const ab_plan *plan, const ab_plan_variant *pv, int go_fd, int err_fd)
{
    if (plan->pin >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(plan->pin, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    if (!plan->show_output) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
            if (null > 2) close(null);
        }
    }
    undo_driver_environment();
    for (size_t i = 0; i < pv->n_env; i++) putenv(pv->env[i]);
    char go;
    while (read(go_fd, &go, 1) < 0 && errno == EINTR) {}
    close(go_fd);
    execvp(pv->argv[0], pv->argv);
    int e = errno;
    ssize_t ignored = write(err_fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

static void run_exec_sample(const ab_plan *plan, const ab_slot *slot, ab_run_record *rec,
                            ab_sample_record *r, int sigchld_fd, const sigset_t *waitmask)
{
    const ab_plan_variant *pv = &plan->variants[slot->variant];
    /* A failed sample must not leak descriptors: the driver runs thousands
     * of samples, and every leaked pair would also be inherited by the next
     * children until they exec. */
    int go[2] = {-1, -1}, errp[2] = {-1, -1};
    const char *failed_call = NULL;
    pid_t pid = -1;
    int64_t t_fork = 0;
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        failed_call = "pipe";
    } else {
        t_fork = ab_fc_now_ns();
        pid = ab_fc_fork();
        if (pid < 0) failed_call = "fork";
    }
    if (failed_call) {
        int saved = errno;
        for (int i = 0; i < 2; i++) {
            if (go[i] >= 0) close(go[i]);
            if (errp[i] >= 0) close(errp[i]);
        }
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s: %s", failed_call, strerror(saved));
        return;
    }
    if (pid == 0) {
        close(go[1]);
        close(errp[0]);
        exec_child(plan, pv, go[0], errp[1]);
    }
    close(go[0]);
    close(errp[1]);
    bool traced = ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL)) == 0;
    ab_counter_set *cs = ab_counters_open((const char *const *)plan->events, plan->n_events, pid, true);
    int64_t t0 = ab_fc_now_ns();
    ssize_t ignored = write(go[1], "g", 1);
    (void)ignored;
    close(go[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(errp[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {}
    close(errp[0]);

    int64_t deadline = t_fork + (int64_t)(plan->timeout_s * 1e9);
    int64_t t_exit = -1;
    long hwm_kb = -1, rss_kb = -1, hugetlb_kb = -1;
    int wstatus = 0;
    bool reaped = false;
    while (!reaped) {
        pid_t w = wait4(pid, &wstatus, WNOHANG | __WALL, &r->ru);
        if (w == pid) {
            if (WIFSTOPPED(wstatus)) {
                int sig = WSTOPSIG(wstatus), event = wstatus >> 16;
                if (event == PTRACE_EVENT_EXIT) {
                    t_exit = ab_fc_now_ns();
                    char path[64];
                    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
                    ab_read_mem_status(path, &hwm_kb, &rss_kb, &hugetlb_kb);
                    sig = 0;
                } else if (event != 0) {
                    sig = 0; /* group stop and other events: just resume */
                }
                ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
                continue;
            }
            reaped = true;
            break;
        }
        if (w < 0 && errno != EINTR) break;
        if (interrupt_signal) {
            ab_fc_kill(pid);
            r->status = AB_SAMPLE_FAILED;
            snprintf(r->reason, sizeof r->reason, "interrupted by signal %d", (int)interrupt_signal);
            deadline = INT64_MAX;
        }
        int n = ab_fc_wait_fd(sigchld_fd, deadline, waitmask);
        if (n > 0) {
            struct signalfd_siginfo si;
            while (read(sigchld_fd, &si, sizeof si) == (ssize_t)sizeof si) {}
        } else if (n == 0 && r->status == AB_SAMPLE_OK) {
            ab_fc_kill(pid);
            r->status = AB_SAMPLE_TIMEOUT;
            snprintf(r->reason, sizeof r->reason, "did not finish within %g s; killed", plan->timeout_s);
            deadline = INT64_MAX;
        }
    }
    ab_fc_reaped(pid);
    int64_t t_reap = ab_fc_now_ns();
    if (reaped) {
        ab_fc_result fc = {.have_rusage = true, .ru = r->ru, .exit_code = -1};
        if (WIFSIGNALED(wstatus)) fc.signal = WTERMSIG(wstatus);
        else if (WIFEXITED(wstatus)) fc.exit_code = WEXITSTATUS(wstatus);
        classify_exit(r, &fc);
    }
    r->elapsed_ns = t_reap - t_fork;
    if (r->status == AB_SAMPLE_OK && got == (ssize_t)sizeof exec_errno) {
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "cannot execute '%s': %s", pv->argv[0], strerror(exec_errno));
    } else if (r->status == AB_SAMPLE_OK && r->exit_code != 0) {
        r->status = AB_SAMPLE_FAILED;
        snprintf(r->reason, sizeof r->reason, "exited with status %d", r->exit_code);
    }

    bool ok = r->status == AB_SAMPLE_OK;
    ab_sample s;
    ab_sample_init(&s);
    s.status = r->status;
    snprintf(s.reason, sizeof s.reason, "%s", ok ? "" : r->reason);
    if (ok) {
        s.wall_ns = (t_exit >= 0 ? t_exit : t_reap) - t0;
        s.user_ns = (int64_t)r->ru.ru_utime.tv_sec * 1000000000 + (int64_t)r->ru.ru_utime.tv_usec * 1000;
        s.sys_ns = (int64_t)r->ru.ru_stime.tv_sec * 1000000000 + (int64_t)r->ru.ru_stime.tv_usec * 1000;
    }
    ab_counter_value *cv = plan->n_events ? calloc(plan->n_events, sizeof *cv) : NULL;
    s.counters = cs && cv ? cv : NULL;
    s.n_counters = s.counters ? ab_counters_read(cs, cv, plan->n_events) : 0;
    if (hwm_kb >= 0) {
        s.rss_peak_kb = hwm_kb;
        s.rss_end_kb = rss_kb;
        s.rss_source = "VmHWM/VmRSS of the exec'ed process at its exit (ptrace exit stop)";
    } else {
        s.rss_peak_kb = ok && r->have_rusage ? r->ru.ru_maxrss : AB_VALUE_UNKNOWN;
        s.rss_source = traced ? "wait4 ru_maxrss (no exit stop seen)"
                              : "wait4 ru_maxrss (ptrace unavailable); includes the pre-exec image";
    }
    /* HugetlbPages at the exit stop is exact for the end; its peak cannot
     * be seen from outside (hugetlb pages have no high-water mark and may
     * have been unmapped before the exit), so hugetlb_kb_peak and
     * mem_peak_kb are null here rather than a figure that could be low. */
    ab_sample_set_mem(&s, -1, hwm_kb >= 0 && ok ? rss_kb : -1, -1, hwm_kb >= 0 && ok ? hugetlb_kb : -1);
    s.has_exit_code = true;
    s.exit_code = r->exit_code;
    json_t *sj = ab_sample_json(&s, plan->events, plan->n_events);
    ab_counters_close(cs);
    free(cv);
    char *text = json_dumps(sj, JSON_COMPACT);
    json_decref(sj);
    if (text) {
        spool_json(rec, r, text, strlen(text));
        free(text);
    }
}

/* ---- the loop ------------------------------------------------------------ */

static void progress(const ab_plan *plan, size_t i, int64_t started_ns)
{
    const ab_slot *s = &plan->schedule[i];
    size_t n = plan->n_slots;
    double elapsed = (ab_fc_now_ns() - started_ns) / 1e9;
    double eta = i > 0 ? elapsed / (double)i * (double)(n - i) : 0;
    fprintf(stderr, "\r\033[K[sample %zu/%zu] cell %zu of %zu: %s%s%s x %s %s %d  ETA %02d:%02d",
            i + 1, n, ab_plan_slot_cell(plan, s) + 1, ab_plan_n_cells(plan),
            plan->n_builds ? plan->builds[s->build].name : "", plan->n_builds ? "/" : "",
            plan->variants[s->variant].name, plan->workloads[s->workload].spec,
            s->warmup ? "warmup" : "rep", s->rep + 1, (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

/*
 * After measured round `rounds` (1-based count) of a --target-ci run: judge
 * the cells, show the widest, and say whether to stop (target_ci.h).
 */
static ab_ci_stop target_ci_round_done(const ab_plan *plan, const ab_run_record *rec, int rounds, double elapsed_s,
                                       double round_s, bool tty, bool *finished)
{
    size_t n_cells = ab_plan_n_cells(plan), n_ran = (size_t)(plan->warmup + rounds) * n_cells;
    double *wall = malloc(n_ran * sizeof *wall);
    ab_cell_ci *ci = malloc(n_cells * sizeof *ci);
    if (!wall || !ci) {
        free(wall);
        free(ci);
        return AB_CI_STOP_NONE;
    }
    for (size_t i = 0; i < n_ran; i++) wall[i] = rec->wall_ns[i];
    ab_target_ci_eval(plan, wall, n_ran, rounds, ci);
    size_t widest;
    bool reached = ab_target_ci_reached(plan, ci, plan->target_ci_pct, &widest);
    size_t n_finished = rounds >= plan->reps ? ab_target_ci_finish_workloads(plan, ci, plan->target_ci_pct, finished)
                                             : 0;
    ab_ci_stop stop = AB_CI_STOP_NONE;
    if (reached && rounds >= plan->reps) stop = AB_CI_STOP_REACHED;
    else if (elapsed_s + round_s > plan->max_time_s) stop = AB_CI_STOP_TIME;
    if (!plan->quiet) {
        char label[256] = "-";
        if (widest != SIZE_MAX) ab_plan_cell_label(plan, widest, label, sizeof label);
        double h = widest != SIZE_MAX ? ci[widest].half_width_pct : NAN;
        char width[32] = "n/a (fewer than 2 values)";
        if (isfinite(h)) snprintf(width, sizeof width, "+-%.2f%%", h);
        fprintf(stderr, "%s[round %d] widest 95%% CI %s (%s%s), target +-%g%%; %zu of %zu workloads there; %.0f of %.0f s\n",
                tty ? "\r\033[K" : "", rounds, width, label,
                widest != SIZE_MAX && ci[widest].kind == AB_CI_PAIRED ? ", paired" : "", plan->target_ci_pct,
                n_finished, plan->n_workloads, elapsed_s, plan->max_time_s);
    }
    free(wall);
    free(ci);
    return stop;
}

int ab_runner_run(const ab_plan *plan, ab_run_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->n_samples = plan->n_slots;
    rec->samples = calloc(plan->n_slots ? plan->n_slots : 1, sizeof *rec->samples);
    rec->spool = tmpfile();
    if (rec->spool) fcntl(fileno(rec->spool), F_SETFD, FD_CLOEXEC); /* not for exec'ed commands */
    if (!rec->samples || !rec->spool) {
        fprintf(stderr, "arenabench: cannot create the sample spool: %s\n", strerror(errno));
        return -1;
    }
    sigset_t intr, waitmask, orig_mask;
    ab_fatal_async_set(&intr);
    sigprocmask(SIG_BLOCK, &intr, &orig_mask);
    waitmask = orig_mask;
    for (int s = 1; s <= SIGRTMAX; s++)
        if (sigismember(&intr, s) == 1) sigdelset(&waitmask, s);
    int sigchld_fd = -1;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (plan->mode == AB_MODE_EXEC) {
        /* SIGCHLD is blocked and read from a signalfd, so a ptrace stop or an
         * exit wakes the parent at once and the wall time is exact. */
        sigprocmask(SIG_BLOCK, &chld, NULL);
        sigaddset(&waitmask, SIGCHLD); /* stays blocked: it is read from the signalfd */
        sigchld_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sigchld_fd < 0) {
            fprintf(stderr, "arenabench: signalfd: %s\n", strerror(errno));
            sigprocmask(SIG_SETMASK, &orig_mask, NULL);
            return -1;
        }
    }
    bool show_progress = !plan->quiet && isatty(STDERR_FILENO);
    int64_t started = ab_fc_now_ns();
    /* One buffer, sized up front, for every sample's JSON, so the parent's
     * heap (which every child starts with) is not reshaped by reallocs.  It
     * is not touched here: a malloc this size is a fresh mapping, resident
     * only as far as sample JSON has filled it.  (The memset the runner had
     * here was folded into a calloc by the compiler, so it never touched the
     * pages either; the committed CI baseline's memory figures rely on that:
     * touching them adds 1 MiB to every sample's rss_base_kb.) */
    ab_fc_buffer b = {0};
    if (plan->mode == AB_MODE_WORKLOADS) ab_fc_buffer_reserve(&b, AB_SAMPLE_BUFFER_BYTES);
    ab_fc_guard_install(); /* a driver that dies of a signal takes the sample's group along */
    /* --target-ci: workloads whose cells have reached the target are not run
     * again (target_ci.h).  Allocated only then: the parent's heap is every
     * child's starting heap, and the CI baseline's exact counts see it. */
    bool *finished = NULL;
    if (plan->target_ci_pct > 0) {
        rec->wall_ns = malloc((plan->n_slots ? plan->n_slots : 1) * sizeof *rec->wall_ns);
        finished = calloc(plan->n_workloads ? plan->n_workloads : 1, sizeof *finished);
        if (!rec->wall_ns || !finished) {
            free(finished);
            fprintf(stderr, "arenabench: out of memory for --target-ci\n");
            sigprocmask(SIG_SETMASK, &orig_mask, NULL);
            ab_fc_buffer_free(&b);
            if (sigchld_fd >= 0) close(sigchld_fd);
            return -1;
        }
        for (size_t i = 0; i < plan->n_slots; i++) rec->wall_ns[i] = NAN;
    }
    rec->rounds_run = plan->max_rounds;
    size_t n_cells = ab_plan_n_cells(plan);
    int64_t round_started = started;
    for (size_t i = 0; i < plan->n_slots; i++) {
        /* Take delivery of an interrupt that arrived while blocked. */
        sigprocmask(SIG_UNBLOCK, &intr, NULL);
        sigprocmask(SIG_BLOCK, &intr, NULL);
        if (interrupt_signal) break;
        const ab_slot *slot = &plan->schedule[i];
        if (!finished || !finished[slot->workload]) {
            if (show_progress) progress(plan, i, started);
            ab_sample_record *r = &rec->samples[i];
            r->ran = true;
            r->status = AB_SAMPLE_OK;
            r->exit_code = -1;
            if (plan->mode == AB_MODE_EXEC) run_exec_sample(plan, slot, rec, r, sigchld_fd, &waitmask);
            else run_forked_sample(plan, slot, rec, r, &b, &waitmask);
        }
        if (plan->target_ci_pct > 0 && (i + 1) % n_cells == 0 && !slot->warmup) {
            int64_t now = ab_fc_now_ns();
            rec->ci_stop = target_ci_round_done(plan, rec, (int)((i + 1) / n_cells) - plan->warmup,
                                                (now - started) / 1e9, (now - round_started) / 1e9, show_progress,
                                                finished);
            round_started = now;
            if (rec->ci_stop != AB_CI_STOP_NONE) break;
        }
    }
    free(finished);
    ab_fc_guard_remove();
    if (show_progress) fprintf(stderr, "\r\033[K");
    if (plan->target_ci_pct > 0) {
        size_t done = 0;   /* one past the last slot that ran (finished workloads' slots did not) */
        for (size_t i = 0; i < plan->n_slots; i++)
            if (rec->samples[i].ran) done = i + 1;
        /* An interrupt may leave a round half done: keep its samples (as
         * a run without --target-ci does); they pair by round or not at all. */
        size_t per = n_cells ? n_cells : 1;
        int begun = (int)((done + per - 1) / per) - plan->warmup;
        rec->rounds_run = begun > 0 ? begun : 0;
        if (interrupt_signal) rec->ci_stop = AB_CI_STOP_INTERRUPTED;
        else if (rec->ci_stop == AB_CI_STOP_NONE) rec->ci_stop = AB_CI_STOP_MAX_ROUNDS;
    }
    ab_fc_buffer_free(&b);
    if (plan->mode == AB_MODE_WORKLOADS)
        for (size_t i = 0; i < plan->n_slots; i++)
            if (rec->samples[i].ran && rec->samples[i].status == AB_SAMPLE_OK) {
                json_t *s = ab_run_record_sample_json(rec, i);
                take_child_verdict(&rec->samples[i], s);
                json_decref(s);
            }
    if (sigchld_fd >= 0) close(sigchld_fd);
    sigprocmask(SIG_SETMASK, &orig_mask, NULL);
    rec->interrupt_signal = interrupt_signal;
    rec->interrupted = interrupt_signal != 0;
    rec->total_wall_s = (ab_fc_now_ns() - started) / 1e9;
    return 0;
}

json_t *ab_run_record_sample_json(const ab_run_record *rec, size_t i)
{
    const ab_sample_record *r = &rec->samples[i];
    if (!r->json_len || !rec->spool) return NULL;
    char *text = malloc(r->json_len);
    if (!text) return NULL;
    json_t *s = NULL;
    if (fseek(rec->spool, r->json_off, SEEK_SET) == 0 && fread(text, 1, r->json_len, rec->spool) == r->json_len)
        s = json_loadb(text, r->json_len, 0, NULL);
    free(text);
    return s;
}

void ab_run_record_free(ab_run_record *rec)
{
    if (rec->spool) fclose(rec->spool);
    free(rec->samples);
    free(rec->wall_ns);
    memset(rec, 0, sizeof *rec);
}
