/*
 * validate_trace.c -- `arenabench validate --trace FILE`: replay a captured
 * trace on the 4k preset (in a forked child, like every sample) and compare
 * its arena counts with the traced interpreter's sys._debugmallocstats().
 *
 * What the replay should show.  The replay rebuilds the heap the
 * interpreter had at hook install (replay.h, stage 1): A0 = INSTALL
 * "arenas allocated current" arenas' worth of pools, so from then on both
 * worlds start with A0 arenas and see the same calls.  The traced process's
 * arena history before the hook (T0 total, H0 highwater) has no
 * counterpart in the replay, so:
 *   total     expected = A0 + (T1 - T0)          arenas mapped while tracing
 *   highwater expected = A0 + peak(mapped - unmapped while tracing)
 *                        (from the trace's ARENA_* events; equals H1 whenever
 *                        the traced run set a new high; without arena events,
 *                        H1 if H1 > H0, else max(A0, C1))
 *   current   expected = C1
 * where T1/H1/C1 are the EXIT statistics.  A diff beyond AB_TRACE_FIDELITY
 * on any of the three exits 1.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "allocators/variant.h"
#include "harness/run/plan.h"
#include "harness/util/exit_codes.h"
#include "harness/util/forkcollect.h"
#include "harness/validate/validate_trace.h"
#include "workloads/trace/replay.h"

/* The fidelity target of issue 7: replay within 2% of the traced process. */
#define AB_TRACE_FIDELITY 0.02
#define VALIDATE_PRESET "4k"
/* Whether an arena holds 63 or 64 pools depends on where mmap put it
 * (ASLR moves it from run to run, in the traced process as in the replay),
 * which can move a count near an arena boundary by one.  Children forked
 * from one parent place their mappings identically, so replay i first maps
 * 4 MiB + i pages of its own: that shifts every later mapping by i pages and so
 * samples every arena alignment modulo the 16 KiB pool.  The verdict uses
 * the replay whose live arenas lost as many pools to alignment as the
 * traced process's did at exit (both recorded); the range of all is shown. */
#define VALIDATE_REPLAYS 5
#define VALIDATE_SPACER_PAGE 4096
#define VALIDATE_SPACER_BASE ((size_t)4 << 20)
/* A replay runs the 4k preset at scale 1 (one trace is one workload): the
 * limit a scale-1 sample gets (plan.h), so a hang ends but a long trace does not. */
#define VALIDATE_REPLAY_TIMEOUT_S ab_plan_default_timeout_s(1.0)

typedef struct child_report {
    int ok;
    char error[256];
    ab_alloc_stats at_begin, at_end;
    ab_replay_counts counts;
    uint64_t checksum, n_malloc, n_calloc, n_realloc, n_free;
} child_report;

typedef struct phase_snap {
    const ab_allocator *alloc;
    child_report *rep;
} phase_snap;

static void snap_begin(void *hook)
{
    phase_snap *s = hook;
    s->alloc->stats(s->alloc->self, &s->rep->at_begin);
}

static void snap_end(void *hook)
{
    phase_snap *s = hook;
    s->alloc->stats(s->alloc->self, &s->rep->at_end);
}

static void child_replay(const ab_trace *t, const ab_variant *v, int spacer_pages, child_report *rep)
{
    /* Never unmapped: the child exits after the replay.  Large, so it lands
     * in the gap the arenas will be cut from, not in a hole between libraries. */
    if (spacer_pages > 0)
        (void)mmap(NULL, VALIDATE_SPACER_BASE + (size_t)spacer_pages * VALIDATE_SPACER_PAGE,
                   PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ab_allocator a;
    if (ab_variant_open(v, &a, rep->error, sizeof rep->error)) return;
    phase_snap snap = {&a, rep};
    ab_wl_ctx ctx = {.alloc = &a, .scale = 1.0, .seed = 0, .param = NULL,
                     .phase_begin = snap_begin, .phase_end = snap_end, .hook = &snap};
    if (ab_replay_run(t, &ctx, &rep->counts)) {
        snprintf(rep->error, sizeof rep->error, "%s", ctx.error);
    } else {
        rep->ok = 1;
        rep->checksum = ctx.checksum;
        rep->n_malloc = ctx.n_malloc;
        rep->n_calloc = ctx.n_calloc;
        rep->n_realloc = ctx.n_realloc;
        rep->n_free = ctx.n_free;
    }
    a.destroy(a.self);
}

typedef struct replay_job {
    const ab_trace *t;
    const ab_variant *v;
    int spacer_pages;
} replay_job;

static int replay_job_child(void *arg, int out_fd)
{
    const replay_job *j = arg;
    child_report r;
    memset(&r, 0, sizeof r);
    child_replay(j->t, j->v, j->spacer_pages, &r);
    ssize_t w = write(out_fd, &r, sizeof r);
    return w == (ssize_t)sizeof r ? 0 : 3;
}

/* Run the replay in a child; 0 with *rep filled, -1 with reason in rep->error. */
static int run_child(const ab_trace *t, const ab_variant *v, int spacer_pages, child_report *rep)
{
    memset(rep, 0, sizeof *rep);
    replay_job job = {t, v, spacer_pages};
    char why[200];
    if (ab_fork_collect_report(replay_job_child, &job, VALIDATE_REPLAY_TIMEOUT_S, rep, sizeof *rep, why,
                               sizeof why) != 0) {
        memset(rep, 0, sizeof *rep);
        snprintf(rep->error, sizeof rep->error, "replay child: %s", why);
        return -1;
    }
    return rep->ok ? 0 : -1;
}

/* Range of one at_end field over the replays. */
static void range_of(const child_report *runs, size_t field, int64_t *lo, int64_t *hi)
{
    for (int i = 0; i < VALIDATE_REPLAYS; i++) {
        int64_t v;
        memcpy(&v, (const char *)&runs[i].at_end + field, sizeof v);
        if (i == 0 || v < *lo) *lo = v;
        if (i == 0 || v > *hi) *hi = v;
    }
}

static double rel_diff(int64_t got, int64_t want)
{
    if (want == 0) return got == 0 ? 0.0 : 1.0;
    return ((double)got - (double)want) / (double)want;
}

static const char *domain_list(unsigned mask, char *buf, size_t len)
{
    static const char *const names[] = {"raw", "mem", "obj"};
    buf[0] = 0;
    for (unsigned i = 0; i < 3; i++)
        if (mask & 1u << i) {
            size_t l = strlen(buf);
            snprintf(buf + l, len - l, "%s%s", l ? "," : "", names[i]);
        }
    if (mask & AB_TRACE_HAS_ARENAS) {
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, " + arena events");
    }
    return buf;
}

int ab_validate_trace(const char *path, FILE *out)
{
    char err[512];
    ab_trace t;
    if (ab_trace_load(path, &t, err, sizeof err)) {
        fprintf(stderr, "arenabench validate: %s\n", err);
        return AB_EXIT_USAGE;
    }
    int rc = AB_EXIT_USAGE;
    if (!t.install.present || !t.exit.present) {
        fprintf(stderr, "arenabench validate: %s: no sys._debugmallocstats() snapshot at %s "
                "(was pymalloc in use? PYTHONMALLOC=malloc disables it)\n",
                path, t.install.present ? "exit" : "install");
        goto out;
    }
    ab_variant v;
    if (ab_variant_parse(VALIDATE_PRESET, &v, err, sizeof err)) {
        fprintf(stderr, "arenabench validate: variant %s: %s\n", VALIDATE_PRESET, err);
        goto out;
    }
    child_report runs[VALIDATE_REPLAYS];
    for (int i = 0; i < VALIDATE_REPLAYS; i++)
        if (run_child(&t, &v, i, &runs[i])) {
            fprintf(stderr, "arenabench validate: replay of %s on %s failed: %s\n", path,
                    VALIDATE_PRESET, runs[i].error);
            goto out;
        }
    /* The replay whose live arenas lost as many pools to alignment as the
     * traced process's did at exit: the one placed most like it. */
    int64_t pool = t.exit.fixed[AB_TS_POOL_SIZE];
    int64_t traced_lost = t.exit.fixed[AB_TS_BYTES_LOST_ALIGNMENT];
    int best = 0;
    for (int i = 1; i < VALIDATE_REPLAYS; i++)
        if (llabs(runs[i].at_end.bytes_lost_alignment - traced_lost) <
            llabs(runs[best].at_end.bytes_lost_alignment - traced_lost))
            best = i;
    child_report rep = runs[best];
    int64_t lo[3], hi[3];
    range_of(runs, offsetof(ab_alloc_stats, arenas_allocated_total), &lo[0], &hi[0]);
    range_of(runs, offsetof(ab_alloc_stats, arenas_highwater), &lo[1], &hi[1]);
    range_of(runs, offsetof(ab_alloc_stats, arenas_current), &lo[2], &hi[2]);
    int64_t lost_lo, lost_hi;
    range_of(runs, offsetof(ab_alloc_stats, bytes_lost_alignment), &lost_lo, &lost_hi);

    const int64_t *in = t.install.fixed, *ex = t.exit.fixed;
    int64_t a0 = in[AB_TS_ARENAS_CURRENT];
    bool events = t.hdr.domains & AB_TRACE_HAS_ARENAS;
    int64_t want_total = a0 + (ex[AB_TS_ARENAS_TOTAL] - in[AB_TS_ARENAS_TOTAL]);
    int64_t want_high;
    if (events)
        want_high = a0 + t.arenas_peak_delta;
    else if (ex[AB_TS_ARENAS_HIGHWATER] > in[AB_TS_ARENAS_HIGHWATER])
        want_high = ex[AB_TS_ARENAS_HIGHWATER];
    else
        want_high = a0 > ex[AB_TS_ARENAS_CURRENT] ? a0 : ex[AB_TS_ARENAS_CURRENT];
    int64_t want_cur = ex[AB_TS_ARENAS_CURRENT];

    char doms[64];
    fprintf(out, "trace %s: Python %s, domains %s, %" PRIu64 " records\n", path,
            t.hdr.python_version, domain_list(t.hdr.domains, doms, sizeof doms), t.n_records);
    fprintf(out, "at hook install: %" PRId64 " arenas current (%" PRId64 " total, %" PRId64
            " highwater); rebuilt as %" PRIu64 " placeholder blocks in %" PRIu64
            " pools + %" PRIu64 " unused pools -> %" PRId64 " arenas in the replay\n",
            a0, in[AB_TS_ARENAS_TOTAL], in[AB_TS_ARENAS_HIGHWATER], rep.counts.prefill_blocks,
            rep.counts.prefill_used_pools, rep.counts.prefill_free_pools,
            rep.at_begin.arenas_current);
    fprintf(out, "skipped: %" PRIu64 " frees of pre-hook blocks, %" PRIu64
            " raw-domain records, %" PRIu64 " arena events; %" PRIu64
            " pre-hook reallocs replayed as malloc\n",
            rep.counts.prehook_frees, rep.counts.raw_skipped, rep.counts.arena_events,
            rep.counts.prehook_reallocs);
    if (events)
        fprintf(out, "arena events while tracing: %" PRIu64 " mapped, %" PRIu64
                " unmapped (exit stats say %" PRId64 " more allocated)\n",
                t.arenas_mapped, t.arenas_unmapped,
                ex[AB_TS_ARENAS_TOTAL] - in[AB_TS_ARENAS_TOTAL]);
    fprintf(out, "replayed: %" PRIu64 " malloc, %" PRIu64 " calloc, %" PRIu64 " realloc, %" PRIu64
            " free; checksum %016" PRIx64 "\n",
            rep.n_malloc, rep.n_calloc, rep.n_realloc, rep.n_free, rep.checksum);
    fprintf(out, "\n%-26s %10s %10s %12s %8s   %s\n", "", "traced", "expected", "replay(" VALIDATE_PRESET ")",
            "diff", "replay range");
    struct {
        const char *name;
        int64_t traced, want, got;
    } rows[] = {
        {"arenas allocated total", ex[AB_TS_ARENAS_TOTAL], want_total, rep.at_end.arenas_allocated_total},
        {"arenas highwater mark", ex[AB_TS_ARENAS_HIGHWATER], want_high, rep.at_end.arenas_highwater},
        {"arenas allocated current", ex[AB_TS_ARENAS_CURRENT], want_cur, rep.at_end.arenas_current},
    };
    bool within = true;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].got == AB_STAT_UNKNOWN) {
            fprintf(out, "%-26s %10" PRId64 " %10" PRId64 " %12s %8s\n", rows[i].name,
                    rows[i].traced, rows[i].want, "unknown", "-");
            within = false;
            continue;
        }
        double d = rel_diff(rows[i].got, rows[i].want);
        bool ok = d <= AB_TRACE_FIDELITY && d >= -AB_TRACE_FIDELITY;
        within = within && ok;
        fprintf(out, "%-26s %10" PRId64 " %10" PRId64 " %12" PRId64 " %+7.2f%%   %" PRId64 "..%" PRId64 "%s\n",
                rows[i].name, rows[i].traced, rows[i].want, rows[i].got, 100.0 * d, lo[i], hi[i],
                ok ? "" : "  OUTSIDE");
    }
    /* Whether an arena holds 63 or 64 pools depends on where mmap placed it
     * (ASLR), in the traced process and in the replay alike; a one-arena
     * difference in a small count is usually this. */
    if (rep.at_end.bytes_lost_alignment != AB_STAT_UNKNOWN && pool > 0)
        fprintf(out, "pools lost to arena alignment at exit: traced %" PRId64 ", replay %" PRId64 "..%" PRId64
                " (where mmap put each arena decides; it can move a count by one arena)\n",
                traced_lost / pool, lost_lo / pool, lost_hi / pool);
    fprintf(out, "(the replay column is the replay that lost %" PRId64 ", the closest)\n",
            rep.at_end.bytes_lost_alignment / pool);
    fprintf(out, "\n%s: replay %s within %.0f%% of the traced process\n", within ? "PASS" : "FAIL",
            within ? "is" : "is not", 100.0 * AB_TRACE_FIDELITY);
    rc = within ? AB_EXIT_OK : AB_EXIT_FAIL;
out:
    ab_trace_free(&t);
    return rc;
}
