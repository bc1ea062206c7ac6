/*
 * child.c -- one sample in its own process.
 *
 * What the measured phase contains, by construction: between the workload's
 * phase_begin() and phase_end() the harness does only clock_gettime, one
 * getrusage, one counter-group ioctl at each end, and the timeline records
 * (see timeline.h).  Everything that allocates with glibc malloc (jansson,
 * stdio) or reads /proc at length (allocator stats, VmHWM) happens outside.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "allocators/variant.h"
#include "harness/run/child.h"
#include "harness/run/cost_blocks.h"
#include "harness/system/hugetlb_status.h"
#include "harness/run/timeline.h"
#include "harness/results/metrics.h"
#include "harness/results/sample.h"
#include "harness/util/vmstat.h"
#include "harness/results/sim_json.h"
#include "tlbsim/capture.h"
#include "harness/util/fatal_signals.h"

typedef struct phase_state {
    ab_counter_set *counters;
    ab_timeline *timeline;       /* NULL with --no-timeline */
    ab_hugetlb_meter *hugetlb;   /* NULL: the variant maps no hugetlb pages */
    const ab_allocator *alloc;
    int phases;                  /* completed begin/end pairs */
    int64_t test_delay_ns;       /* plan.h: the sample entry point's test hook */
    bool open;                   /* inside a phase */
    struct timespec t_begin;
    struct rusage ru_begin;
    int64_t wall_ns, user_ns, sys_ns;
    /* Taken at the (last) end of the measured phase. */
    ab_alloc_stats stats;
    long rss_peak_kb, rss_end_kb;
    long hugetlb_end_kb;         /* HugetlbPages, -1 unknown */
    long hugetlb_peak_kb;        /* the meter's peak up to here, -1 unknown */
    /* /proc/vmstat's huge-page lines: read at begin, deltas summed at end
     * (outside the clock, no heap: vmstat.h). */
    ab_vmstat vm_begin, vm_delta;
    bool vm_ok;                  /* every begin and end could be read */
    /* --settle: after the (last) end, wait and read coverage again. */
    double settle_s;
    bool settled;
    ab_alloc_stats settled_stats;
    int64_t settle_collapse_alloc;   /* thp_collapse_alloc over the wait, -1 unknown */
    /* --tlb-model: the simulator runs exactly while a phase is open; its
     * figures add up over the phases. */
    const ab_tlb_model *tlb_model;
    ab_tlbsim_result sim;
    bool sim_failed;             /* a simulator could not be attached */
} phase_state;

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t tv_ns(const struct timeval *t)
{
    return (int64_t)t->tv_sec * 1000000000 + (int64_t)t->tv_usec * 1000;
}

void ab_read_mem_status(const char *path, long *hwm_kb, long *rss_kb, long *hugetlb_kb)
{
    *hwm_kb = *rss_kb = *hugetlb_kb = -1;
    FILE *f = fopen(path, "re");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmHWM:", 6)) *hwm_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "VmRSS:", 6)) *rss_kb = strtol(line + 6, NULL, 10);
        else if (!strncmp(line, "HugetlbPages:", 13)) *hugetlb_kb = strtol(line + 13, NULL, 10);
    }
    fclose(f);
}

void ab_read_vm_status(const char *path, long *hwm_kb, long *rss_kb)
{
    long ignored;
    ab_read_mem_status(path, hwm_kb, rss_kb, &ignored);
}

/*
 * Tracking the hugetlb peak.  HugetlbPages counts the huge pages currently
 * faulted into this process's MAP_HUGETLB mappings, and in a sample's child
 * the only such mappings are the model's arenas (the harness maps none).  A
 * huge page enters the count when it is first touched inside an arena that
 * is already mapped, and leaves it only when that arena is munmapped, which
 * the model does only through its page backend, in free_arena() (reclaim)
 * -- or at teardown, after every measurement.  So between two unmaps the
 * count never falls: its maximum over any stretch of the run is reached
 * either just before an unmap or at the stretch's end.  The arena hook
 * runs *after* munmap and the map event comes before the arena is touched,
 * so neither sees the pages of an arena filled and freed between two
 * events; hence the unmap probe, which reads the count while the arena is
 * still mapped.  With a read before every unmap (the probe) and one at the
 * end of the measured phase, the meter's peak is the true peak up to that
 * end, whatever the timeline ticks happen to catch.
 */
static void on_unmap_probe(void *arg)
{
    ab_hugetlb_meter_read(arg);
}

/* The arena hook when the hugetlb meter is armed but there is no timeline
 * (with a timeline, its records read the meter). */
static void on_arena_read_meter(void *arg, int mapped, int64_t arenas_current)
{
    (void)mapped;
    (void)arenas_current;
    ab_hugetlb_meter_read(arg);
}

/* Whether the variant can map MAP_HUGETLB pages through the model. */
static bool variant_maps_hugetlb(const ab_variant *v)
{
    return v->kind == AB_VARIANT_PYMALLOC && (v->cfg.pages == AB_PAGES_HUGETLB || v->cfg.pages == AB_PAGES_HUGETLB_THP);
}

/*
 * --settle: the arenas stay as the measured phase left them while the child
 * sleeps, so khugepaged (which scans every scan_sleep_millisecs) gets the
 * chance to collapse what got no huge page at fault time; then coverage is
 * read again.  thp_collapse_alloc over the wait says whether it did
 * (system-wide, like every vmstat figure).
 */
static void settle(phase_state *ps)
{
    ab_vmstat before, after;
    bool vm = ab_vmstat_read(&before) == 0;
    struct timespec left = {.tv_sec = (time_t)ps->settle_s,
                            .tv_nsec = (long)((ps->settle_s - (double)(time_t)ps->settle_s) * 1e9)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {}
    vm = vm && ab_vmstat_read(&after) == 0;
    int64_t b = vm ? ab_vmstat_get(&before, "thp_collapse_alloc") : -1;
    int64_t a = vm ? ab_vmstat_get(&after, "thp_collapse_alloc") : -1;
    ps->settle_collapse_alloc = a >= 0 && b >= 0 ? a - b : -1;
    ab_alloc_stats_init_unknown(&ps->settled_stats);
    if (ps->alloc->stats) ps->alloc->stats(ps->alloc->self, &ps->settled_stats);
    ps->settled = true;
}

static void phase_begin(void *hook)
{
    phase_state *ps = hook;
    if (ps->open) return;
    ps->open = true;
    if (ab_vmstat_read(&ps->vm_begin) != 0) ps->vm_ok = false;
    if (ps->timeline) ab_timeline_record(ps->timeline, AB_TL_BEGIN);
    getrusage(RUSAGE_SELF, &ps->ru_begin);
    clock_gettime(CLOCK_MONOTONIC, &ps->t_begin);
    if (ps->counters) ab_counters_enable(ps->counters);
    if (ps->tlb_model && ab_tlbsim_begin(ps->tlb_model) != 0) ps->sim_failed = true;
}

static void phase_end(void *hook)
{
    phase_state *ps = hook;
    if (!ps->open) return;
    if (ps->test_delay_ns > 0) {
        struct timespec d = {.tv_sec = ps->test_delay_ns / 1000000000, .tv_nsec = ps->test_delay_ns % 1000000000};
        while (nanosleep(&d, &d) != 0 && errno == EINTR) {}
    }
    ab_tlbsim_result sim;
    if (ps->tlb_model && ab_tlbsim_end(&sim) == 0) ab_tlbsim_result_add(&ps->sim, &sim);
    if (ps->counters) ab_counters_disable(ps->counters);
    struct timespec t_end;
    clock_gettime(CLOCK_MONOTONIC, &t_end);
    struct rusage ru_end;
    getrusage(RUSAGE_SELF, &ru_end);
    if (ps->timeline) ab_timeline_record(ps->timeline, AB_TL_END);
    ab_vmstat vm_end;
    if (ab_vmstat_read(&vm_end) != 0) ps->vm_ok = false;
    if (ps->vm_ok) {
        if (ps->phases == 0) ab_vmstat_zero(&ps->vm_delta, &vm_end);
        ab_vmstat_add_delta(&ps->vm_delta, &ps->vm_begin, &vm_end);
    }
    ps->open = false;
    ps->phases++;
    ps->wall_ns += ts_ns(&t_end) - ts_ns(&ps->t_begin);
    ps->user_ns += tv_ns(&ru_end.ru_utime) - tv_ns(&ps->ru_begin.ru_utime);
    ps->sys_ns += tv_ns(&ru_end.ru_stime) - tv_ns(&ps->ru_begin.ru_stime);
    /* Outside the measured phase from here on. */
    ab_read_mem_status(AB_PROC_SELF_STATUS, &ps->rss_peak_kb, &ps->rss_end_kb, &ps->hugetlb_end_kb);
    if (ps->hugetlb) {
        /* The meter saw every unmap so far; with the end value, its peak
         * is the peak up to now (see on_unmap_probe). */
        int64_t end = ab_hugetlb_meter_read(ps->hugetlb);
        if (end >= 0) ps->hugetlb_end_kb = (long)end;
        ps->hugetlb_peak_kb = (long)ab_hugetlb_meter_peak(ps->hugetlb);
    } else {
        /* Not tracked: the variant maps no hugetlb pages through the model,
         * so the peak is the end value (0).  Anything else is some hugetlb
         * mapping we did not watch, whose peak is unknown. */
        ps->hugetlb_peak_kb = ps->hugetlb_end_kb == 0 ? 0 : -1;
    }
    ab_alloc_stats_init_unknown(&ps->stats);
    if (ps->alloc->stats) ps->alloc->stats(ps->alloc->self, &ps->stats);
    if (ps->settle_s > 0) settle(ps);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(3);
        buf += w;
        len -= (size_t)w;
    }
}

static _Noreturn void send_and_exit(json_t *sample, int out_fd)
{
    char *text = json_dumps(sample, JSON_COMPACT);
    if (!text) _exit(3);
    write_all(out_fd, text, strlen(text));
    _exit(0);
}

static _Noreturn void send_failure(const ab_plan *plan, int out_fd, const char *reason)
{
    send_and_exit(ab_sample_failure_json(AB_SAMPLE_FAILED, reason, plan->events, plan->n_events), out_fd);
}

/*
 * The blocks of the costs of huge pages (docs/costs.md), beside the typed
 * sample: the vmstat deltas (system-wide, and marked so), the cost
 * families' figures (registry families fork.* and survivors.*), prefork's
 * per-worker records, and --settle's second look at huge-page coverage.
 */
static void add_cost_blocks(json_t *out, const phase_state *ps, bool measured, const ab_fork_report *fork_report,
                            const ab_survivors_report *survivors_report)
{
    json_object_set_new(out, ab_metric_key(AB_M_VMSTAT), measured && ps->vm_ok ? ab_vmstat_json(&ps->vm_delta) : json_null());
    json_object_set_new(out, AB_KEY_VMSTAT_STATUS, json_string(AB_VMSTAT_STATUS));
    if (fork_report->workers > 0) {
        json_object_set_new(out, ab_metric_key(AB_M_FORK), ab_fork_block_json(fork_report));
        json_object_set_new(out, AB_KEY_FORK_WORKERS, ab_fork_workers_json(fork_report));
    }
    if (survivors_report->k > 0)
        json_object_set_new(out, ab_metric_key(AB_M_SURVIVORS), ab_survivors_block_json(survivors_report));
    if (ps->settled) {
        const ab_alloc_stats *st = &ps->settled_stats;
        json_object_set_new(out, AB_KEY_SETTLE,
                            json_pack("{s:f, s:o, s:o, s:o}", AB_KEY_SETTLE_SECONDS, ps->settle_s,
                                      AB_KEY_SETTLE_HUGE_BYTES, st->hugepage_bytes >= 0 ? json_integer(st->hugepage_bytes) : json_null(),
                                      AB_KEY_SETTLE_MAPPED_BYTES, st->arena_bytes_mapped >= 0 ? json_integer(st->arena_bytes_mapped) : json_null(),
                                      AB_KEY_SETTLE_COLLAPSE_ALLOC, ps->settle_collapse_alloc >= 0 ? json_integer(ps->settle_collapse_alloc) : json_null()));
    }
}

_Noreturn void ab_child_run_sample(const ab_plan *plan, const ab_slot *slot, int out_fd)
{
    ab_fatal_signals_reset_in_child(); /* the driver's handlers and blocked signals are not ours */
    const ab_plan_variant *pv = &plan->variants[slot->variant];
    const ab_plan_workload *pw = &plan->workloads[slot->workload];
    char err[256];

    long base_hwm, rss_base_kb;
    ab_read_vm_status("/proc/self/status", &base_hwm, &rss_base_kb);

    if (plan->pin >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(plan->pin, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            snprintf(err, sizeof err, "sched_setaffinity(%d): %s", plan->pin, strerror(errno));
            send_failure(plan, out_fd, err);
        }
    }

    ab_allocator alloc;
    memset(&alloc, 0, sizeof alloc);
    err[0] = 0;
    if (ab_variant_open(&pv->variant, &alloc, err, sizeof err) != 0) {
        char reason[320];
        snprintf(reason, sizeof reason, "cannot open variant '%s': %s", pv->name, err);
        send_failure(plan, out_fd, reason);
    }

    /* Only a pymalloc variant with pages=hugetlb can hold hugetlb pages, and
     * only then is the (dear) status read worth it: see hugetlb_status.h. */
    ab_hugetlb_meter meter;
    bool have_meter = variant_maps_hugetlb(&pv->variant) && alloc.set_before_unmap &&
                      ab_hugetlb_meter_open(&meter) == 0;
    if (have_meter) {
        ab_hugetlb_meter_read(&meter);
        alloc.set_before_unmap(alloc.self, on_unmap_probe, &meter);
    }

    ab_timeline timeline;
    bool have_timeline = plan->timeline &&
                         ab_timeline_start(&timeline, AB_TIMELINE_CAPACITY, AB_TIMELINE_INTERVAL_MS) == 0;
    if (have_timeline) timeline.hugetlb = have_meter ? &meter : NULL;
    if (have_timeline && alloc.set_arena_hook) {
        /* A freshly opened allocator has no arenas; the hook reports every change. */
        atomic_store(&timeline.arenas, 0);
        alloc.set_arena_hook(alloc.self, ab_timeline_arena_hook, &timeline);
    } else if (have_meter) {
        alloc.set_arena_hook(alloc.self, on_arena_read_meter, &meter);
    }

    phase_state ps;
    memset(&ps, 0, sizeof ps);
    ps.alloc = &alloc;
    ps.timeline = have_timeline ? &timeline : NULL;
    ps.hugetlb = have_meter ? &meter : NULL;
    ps.rss_peak_kb = ps.rss_end_kb = ps.hugetlb_end_kb = ps.hugetlb_peak_kb = -1;
    ps.test_delay_ns = plan->test_delay_ns;
    ps.counters = ab_counters_open((const char *const *)plan->events, plan->n_events, 0, false);
    ps.vm_ok = true;
    ps.settle_s = plan->settle_s;
    ps.settle_collapse_alloc = -1;
    /* The cost families' result blocks (zero: not filled). */
    ab_fork_report fork_report;
    ab_survivors_report survivors_report;
    memset(&fork_report, 0, sizeof fork_report);
    memset(&survivors_report, 0, sizeof survivors_report);
    ps.tlb_model = plan->tlb_model;

    ab_wl_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.alloc = &alloc;
    ctx.scale = plan->scale;
    ctx.seed = plan->seed;
    const char *colon = strchr(pw->spec, ':');
    ctx.param = colon ? colon + 1 : NULL;
    ctx.phase_begin = phase_begin;
    ctx.phase_end = phase_end;
    ctx.hook = &ps;
    ctx.fork = &fork_report;
    ctx.survivors = &survivors_report;

    int rc = pw->workload->run(&ctx);
    if (ps.open) phase_end(&ps); /* a workload that forgot to close its phase */
    if (have_timeline) ab_timeline_stop(&timeline);
    if ((have_timeline || have_meter) && alloc.set_arena_hook) alloc.set_arena_hook(alloc.self, NULL, NULL);
    if (have_meter) alloc.set_before_unmap(alloc.self, NULL, NULL);

    ab_sample sample;
    ab_sample_init(&sample);
    if (rc != 0) {
        sample.status = AB_SAMPLE_FAILED;
        snprintf(sample.reason, sizeof sample.reason, "workload failed: %s", ctx.error[0] ? ctx.error : "(no message)");
    } else if (ps.phases == 0) {
        sample.status = AB_SAMPLE_FAILED;
        snprintf(sample.reason, sizeof sample.reason, "workload never began a measured phase");
    }
    bool measured = ps.phases > 0;
    if (measured) {
        sample.wall_ns = ps.wall_ns;
        sample.user_ns = ps.user_ns;
        sample.sys_ns = ps.sys_ns;
        sample.has_alloc = true;
        sample.alloc = ps.stats;
        ab_sample_set_mem(&sample, ps.rss_peak_kb, ps.rss_end_kb, ps.hugetlb_peak_kb, ps.hugetlb_end_kb);
    }
    sample.rss_peak_kb = ps.rss_peak_kb >= 0 ? ps.rss_peak_kb : AB_VALUE_UNKNOWN;
    sample.rss_end_kb = ps.rss_end_kb >= 0 ? ps.rss_end_kb : AB_VALUE_UNKNOWN;
    sample.phases = ps.phases;
    /* What the child held before the allocator was opened (the forked
     * driver image); included in rss_peak_kb and rss_end_kb. */
    sample.rss_base_kb = rss_base_kb >= 0 ? rss_base_kb : AB_VALUE_UNKNOWN;
    sample.has_checksum = rc == 0;
    sample.checksum = ctx.checksum;
    sample.has_ops = true;
    sample.ops = (ab_sample_ops){.malloc_calls = (int64_t)ctx.n_malloc, .calloc_calls = (int64_t)ctx.n_calloc,
                                 .realloc_calls = (int64_t)ctx.n_realloc, .free_calls = (int64_t)ctx.n_free};
    ab_counter_value *cv = plan->n_events ? calloc(plan->n_events, sizeof *cv) : NULL;
    sample.counters = ps.counters && cv ? cv : NULL;
    sample.n_counters = sample.counters ? ab_counters_read(ps.counters, cv, plan->n_events) : 0;
    sample.timeline = have_timeline ? ab_timeline_json(&timeline) : NULL;
    sample.has_sim = plan->tlb_model && measured && !ps.sim_failed;
    if (sample.has_sim) ab_sim_fill(&sample.sim, &ps.sim);
    json_t *out = ab_sample_json(&sample, plan->events, plan->n_events);
    add_cost_blocks(out, &ps, measured, &fork_report, &survivors_report);
    if (plan->test_delay_ns > 0) json_object_set_new(out, AB_KEY_TEST_DELAY_NS, json_integer(plan->test_delay_ns));
    if (sample.has_sim) {
        /* The pymalloc model's own accesses are hooked; a reference
         * allocator's (glibc, libpython) are not. */
        ab_sim_coverage cov = pv->variant.kind == AB_VARIANT_PYMALLOC ? AB_SIM_WORKLOAD_AND_ALLOCATOR
                                                                      : AB_SIM_WORKLOAD_ONLY;
        ab_sim_add_context(out, plan->tlb_model, &ps.sim, cov);
    }
    send_and_exit(out, out_fd);
}
