/*
 * validate_run.c -- see validate_run.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/run/plan.h"
#include "harness/util/forkcollect.h"
#include "harness/validate/validate_run.h"
#include "workloads/workload.h"

/* The markers _abharness.mallocstats() writes before each dump. */
#define MARK_BEFORE "=== arenabench before\n"
#define MARK_AFTER "=== arenabench after\n"

/* The number after '=' on the line starting with key ("1,234" allowed). */
static int stat_after_equals(const char *text, const char *key, int64_t *out)
{
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, strlen(key))) continue;
        const char *eq = strchr(line, '=');
        const char *nl = strchr(line, '\n');
        if (!eq || (nl && eq > nl)) return -1;
        int64_t v = 0;
        bool any = false;
        for (const char *p = eq + 1; *p && *p != '\n'; p++) {
            if (*p >= '0' && *p <= '9') { v = v * 10 + (*p - '0'); any = true; }
            else if (*p != ',' && *p != ' ') return -1;
        }
        if (!any) return -1;
        *out = v;
        return 0;
    }
    return -1;
}

/* "N unused pools * S bytes" and "N arenas * S bytes/arena" lines. */
static int stat_count_times_size(const char *text, const char *what, int64_t *count, int64_t *size)
{
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        long long n, s;
        char word1[32], word2[32];
        if (sscanf(line, "%lld %31s %31s * %lld", &n, word1, word2, &s) == 4 && !strcmp(word1, what)) {
            *count = n;
            *size = s;
            return 0;
        }
        if (sscanf(line, "%lld %31s * %lld", &n, word1, &s) == 3 && !strcmp(word1, what)) {
            *count = n;
            *size = s;
            return 0;
        }
    }
    return -1;
}

bool ab_validate_within(int64_t c, int64_t p, double tol, int64_t slack)
{
    double d = (double)(c - p);
    /* a hair of slack for the floating-point product */
    return d >= -tol * (double)p - 1e-9 && d <= tol * (double)p + (double)slack + 1e-9;
}

int ab_parse_mallocstats(const char *text, ab_mallocstats *out)
{
    int64_t narenas;
    memset(out, 0, sizeof *out);
    if (stat_after_equals(text, "# arenas allocated total", &out->total) ||
        stat_after_equals(text, "# arenas reclaimed", &out->reclaimed) ||
        stat_after_equals(text, "# arenas highwater mark", &out->highwater) ||
        stat_after_equals(text, "# arenas allocated current", &out->current) ||
        stat_after_equals(text, "# bytes in available blocks", &out->available_bytes) ||
        stat_count_times_size(text, "arenas", &narenas, &out->arena_size) ||
        stat_count_times_size(text, "unused", &out->unused_pools, &out->pool_size))
        return -1;
    return 0;
}

static int exec_with_stderr_to(void *arg, int out_fd)
{
    char *const *argv = arg;
    dup2(out_fd, STDERR_FILENO);
    if (!freopen("/dev/null", "w", stdout)) return 127;
    execv(argv[0], argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    return 127;
}

/* Run argv with stdout discarded; collect stderr (a NUL-terminated string). */
static int run_capture_stderr(char *const argv[], double timeout_s, char **err_text, ab_fc_result *fc,
                              char *err, size_t errlen)
{
    ab_fc_buffer out = {0};
    ab_fc_job job = {.child = exec_with_stderr_to, .arg = (void *)argv, .out = &out,
                     .timeout_s = timeout_s};
    if (ab_fork_collect(&job, fc) != 0) {
        snprintf(err, errlen, "%s", fc->error);
        ab_fc_buffer_free(&out);
        return -1;
    }
    if (fc->outcome == AB_FC_TIMEOUT || fc->outcome == AB_FC_NOMEM || ab_fc_buffer_reserve(&out, 1) != 0) {
        snprintf(err, errlen, fc->outcome == AB_FC_TIMEOUT ? "%s: no result within %g s; killed"
                                                         : "%s: out of memory reading its output",
                 argv[0], timeout_s);
        ab_fc_buffer_free(&out);
        return -1;
    }
    out.data[out.len] = '\0';
    *err_text = out.data;
    return 0;
}

int ab_validate_python(const char *python, const char *script, const char *spec, double scale,
                       uint64_t seed, ab_python_result *out, char *err, size_t errlen)
{
    char scale_s[32], seed_s[32];
    snprintf(scale_s, sizeof scale_s, "%.17g", scale);
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    /* -E: PYTHONMALLOC & co. must not switch the interpreter off pymalloc */
    char *const argv[] = {(char *)python, "-E", (char *)script, (char *)spec, "--scale", scale_s,
                          "--seed", seed_s, "--mallocstats", NULL};
    char *text = NULL;
    ab_fc_result fc;
    if (run_capture_stderr(argv, ab_plan_default_timeout_s(scale), &text, &fc, err, errlen)) return -1;
    int rc = -1;
    char *before = strstr(text, MARK_BEFORE), *after = strstr(text, MARK_AFTER);
    if (fc.outcome != AB_FC_EXITED || fc.exit_code != 0) {
        char *last = text + strlen(text);
        while (last > text && (last[-1] == '\n')) *--last = '\0';
        char *line = strrchr(text, '\n');
        snprintf(err, errlen, "%s %s %s failed (%s %d): %s", python, script, spec,
                 fc.signal ? "signal" : "exit", fc.signal ? fc.signal : fc.exit_code, line ? line + 1 : text);
    } else if (!before || !after || after < before) {
        snprintf(err, errlen, "%s %s: no sys._debugmallocstats() output (is it built with pymalloc?)",
                 python, script);
    } else {
        *after = '\0';
        ab_mallocstats b, a;
        if (ab_parse_mallocstats(before + strlen(MARK_BEFORE), &b) ||
            ab_parse_mallocstats(after + strlen(MARK_AFTER), &a)) {
            snprintf(err, errlen, "%s %s: unrecognised sys._debugmallocstats() layout", python, script);
        } else {
            out->delta.total = a.total - b.total;
            out->delta.highwater = a.highwater - b.current;
            out->delta.current = a.current - b.current;
            out->arena_size = b.arena_size;
            int64_t free_bytes = b.available_bytes + b.unused_pools * b.pool_size;
            out->startup_free_arenas = b.arena_size > 0 ? (free_bytes + b.arena_size - 1) / b.arena_size : 0;
            rc = 0;
        }
    }
    free(text);
    return rc;
}

/* ---- the C side ---- */

typedef struct c_probe {
    const ab_allocator *alloc;
    ab_alloc_stats begin, end;
} c_probe;

static void probe_begin(void *hook)
{
    c_probe *p = hook;
    p->alloc->stats(p->alloc->self, &p->begin);
}

static void probe_end(void *hook)
{
    c_probe *p = hook;
    p->alloc->stats(p->alloc->self, &p->end);
}

typedef struct c_report {
    int ok;
    ab_c_result result;
    char error[768];
} c_report;

static void child_run(const ab_variant *v, const char *spec, double scale, uint64_t seed, c_report *rep)
{
    ab_allocator a;
    char err[256];
    const ab_workload *w = ab_workload_find(spec);
    if (!w) {
        snprintf(rep->error, sizeof rep->error, "unknown workload '%.128s'", spec);
        return;
    }
    if (ab_variant_open(v, &a, err, sizeof err)) {
        snprintf(rep->error, sizeof rep->error, "%.128s: %.256s", v->name, err);
        return;
    }
    c_probe probe = {.alloc = &a};
    ab_wl_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.alloc = &a;
    ctx.scale = scale;
    ctx.seed = seed;
    const char *colon = strchr(spec, ':');
    ctx.param = colon ? colon + 1 : NULL;
    ctx.phase_begin = probe_begin;
    ctx.phase_end = probe_end;
    ctx.hook = &probe;
    if (w->run(&ctx)) {
        snprintf(rep->error, sizeof rep->error, "%.128s failed: %.256s", spec, ctx.error);
        return;
    }
    if (probe.begin.arenas_allocated_total == AB_STAT_UNKNOWN ||
        probe.end.arenas_allocated_total == AB_STAT_UNKNOWN) {
        snprintf(rep->error, sizeof rep->error, "%.128s reports no arena statistics", v->name);
        return;
    }
    rep->result.delta.total = probe.end.arenas_allocated_total - probe.begin.arenas_allocated_total;
    rep->result.delta.highwater = probe.end.arenas_highwater - probe.begin.arenas_current;
    rep->result.delta.current = probe.end.arenas_current - probe.begin.arenas_current;
    rep->result.checksum = ctx.checksum;
    rep->ok = 1;
    if (a.destroy) a.destroy(a.self);
}

typedef struct c_job {
    const ab_variant *v;
    const char *spec;
    double scale;
    uint64_t seed;
} c_job;

static int c_job_child(void *arg, int out_fd)
{
    const c_job *j = arg;
    c_report rep;
    memset(&rep, 0, sizeof rep);
    child_run(j->v, j->spec, j->scale, j->seed, &rep);
    ssize_t wrote = write(out_fd, &rep, sizeof rep);
    return wrote == (ssize_t)sizeof rep ? 0 : 1;
}

int ab_validate_c(const ab_variant *v, const char *spec, double scale, uint64_t seed,
                  ab_c_result *out, char *err, size_t errlen)
{
    c_job job = {v, spec, scale, seed};
    c_report rep;
    char why[200];
    if (ab_fork_collect_report(c_job_child, &job, ab_plan_default_timeout_s(scale), &rep, sizeof rep, why,
                               sizeof why) != 0) {
        snprintf(err, errlen, "%s on %s: %s", spec, v->name, why);
        return -1;
    }
    if (!rep.ok) {
        snprintf(err, errlen, "%.*s", (int)(errlen > 1 ? errlen - 1 : 0), rep.error);
        return -1;
    }
    *out = rep.result;
    return 0;
}
