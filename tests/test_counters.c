/*
 * test_counters.c -- the counters layer against independent oracles.
 *
 *   - page faults: a process touching N fresh pages must be counted at least
 *     N and at most N plus a small constant (the kernel faults each fresh
 *     anonymous page exactly once on first write);
 *   - perf stat: the same exec'd program counted by perf stat and by
 *     ab_counters_open(pid, enable_on_exec) agrees, and a measured region
 *     plus what perf stat sees outside it adds up;
 *   - no PMU: hardware events are null with not_supported while software
 *     events still count (tests needing a PMU skip where there is none);
 *   - scaling arithmetic and errno classification on synthetic inputs;
 *   - unknown event names are rejected before anything runs.
 *
 * This binary doubles as the helper program the perf stat tests exec:
 *   test_counters --touch-pages N            touch N fresh pages, exit
 *   test_counters --touch-pages-measured N   same, counting page-faults
 *                                            around the touches itself and
 *                                            printing the count
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/counters/counters.h"
#include "harness/counters/counters_impl.h"
#include "tests/testutil.h"

/* Fresh pages touched by the page-fault tests: far above the handful of
 * faults the harness itself may cause, small enough to be instant. */
#define TOUCH_PAGES 2000
/* Faults a measured region may add beyond its own touches: the stack page
 * or two of the calls between enable and disable, and the counter read
 * path.  Measured at 0-2 here; 64 leaves room for other kernels. */
#define REGION_SLACK 64

/* Under ASan every instrumented store first reads shadow memory, which
 * faults in one shadow page per 8 application pages; keep the touch loop
 * uninstrumented so the fault count is the application's alone. */
__attribute__((no_sanitize_address, noinline))
static void touch_fresh_pages(size_t npages)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t len = npages * (size_t)page;
    char *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        abort();
    for (size_t off = 0; off < len; off += (size_t)page)
        ((volatile char *)p)[off] = 1;
    munmap(p, len ? len : 1);
}

static const char *const sw_events[] = {"page-faults", "minor-faults", "major-faults", "task-clock"};
#define N_SW (sizeof sw_events / sizeof sw_events[0])

static const ab_counter_value *find(const ab_counter_value *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].event, name))
            return &v[i];
    fail_msg("event %s missing from read", name);
    return NULL;
}

static bool pmu_present(char *why, size_t len)
{
    return ab_probe_cycles(why, len) == 0;
}

/* ---- helper modes (run as an exec'd child) ------------------------------ */

static int helper_main(const char *mode, const char *count)
{
    size_t n = strtoul(count, NULL, 10);
    if (!strcmp(mode, "--touch-pages")) {
        touch_fresh_pages(n);
        return 0;
    }
    const char *ev[] = {"page-faults"};
    ab_counter_set *cs = ab_counters_open(ev, 1, 0, false);
    ab_counters_enable(cs);
    touch_fresh_pages(n);
    ab_counters_disable(cs);
    ab_counter_value v;
    ab_counters_read(cs, &v, 1);
    ab_counters_close(cs);
    printf("%.0f\n", v.has_value ? v.value : -1.0);
    return 0;
}

/* ---- pure arithmetic ------------------------------------------------------ */

static ab_counter_value synthetic(uint64_t raw, uint64_t enabled, uint64_t running)
{
    ab_counter_value v;
    memset(&v, 0, sizeof v);
    v.raw = raw;
    v.enabled_ns = enabled;
    v.running_ns = running;
    ab_counter_scale(&v);
    return v;
}

static void scaling_arithmetic(void **state)
{
    (void)state;
    ab_counter_value v = synthetic(1000, 500, 500);
    assert_int_equal(v.status, AB_CTR_OK);
    assert_true(v.has_value);
    assert_true(v.value == 1000.0);

    v = synthetic(1000, 800, 200);   /* on a counter a quarter of the time */
    assert_int_equal(v.status, AB_CTR_MULTIPLEXED);
    assert_true(v.has_value);
    assert_true(fabs(v.value - 4000.0) < 1e-9);

    v = synthetic(3, 3000000000ULL, 1000000000ULL);  /* no integer overflow on large times */
    assert_true(fabs(v.value - 9.0) < 1e-9);

    v = synthetic(0, 100, 100);      /* a real zero is a value */
    assert_int_equal(v.status, AB_CTR_OK);
    assert_true(v.has_value);
    assert_true(v.value == 0.0);

    v = synthetic(0, 100, 0);        /* never on a counter: no value at all */
    assert_int_equal(v.status, AB_CTR_NOT_COUNTED);
    assert_false(v.has_value);

    v = synthetic(0, 0, 0);          /* never enabled */
    assert_int_equal(v.status, AB_CTR_NOT_COUNTED);
    assert_false(v.has_value);

    v = synthetic(70, 100, 120);     /* running > enabled is inconsistent; trust raw */
    assert_int_equal(v.status, AB_CTR_OK);
    assert_true(v.value == 70.0);
}

static void errno_classification(void **state)
{
    (void)state;
    int unsupported[] = {ENOENT, EOPNOTSUPP, ENODEV, ENXIO};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        assert_int_equal(ab_counter_status_from_errno(unsupported[i]), AB_CTR_NOT_SUPPORTED);
    assert_int_equal(ab_counter_status_from_errno(EACCES), AB_CTR_NO_PERMISSION);
    assert_int_equal(ab_counter_status_from_errno(EPERM), AB_CTR_NO_PERMISSION);
    assert_int_equal(ab_counter_status_from_errno(EINVAL), AB_CTR_ERROR);
    assert_int_equal(ab_counter_status_from_errno(EMFILE), AB_CTR_ERROR);
    assert_string_equal(ab_counter_status_name(AB_CTR_NOT_SUPPORTED), "not_supported");
    assert_string_equal(ab_counter_status_name(AB_CTR_NO_PERMISSION), "no_permission");
    assert_string_equal(ab_counter_status_name(AB_CTR_NOT_COUNTED), "not_counted");
    assert_string_equal(ab_counter_status_name(AB_CTR_MULTIPLEXED), "multiplexed");
    assert_string_equal(ab_counter_status_name(AB_CTR_ENCODING_FAILED), "encoding_failed");
    assert_string_equal(ab_counter_status_name(AB_CTR_OK), "ok");
    assert_string_equal(ab_counter_status_name(AB_CTR_ERROR), "error");
}

/* ---- names ------------------------------------------------------------------ */

static void unknown_events_rejected(void **state)
{
    (void)state;
    char err[256];
    const char *bad[] = {"page-faults", "no-such-event-xyz"};
    assert_int_equal(ab_counters_check_events(bad, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-event-xyz"));

    const char *list_in_one[] = {"cycles,instructions"};
    assert_int_equal(ab_counters_check_events(list_in_one, 1, err, sizeof err), -1);

    const char *bad_umask[] = {"perf::PAGE-FAULTS:NOPE"};
    assert_int_equal(ab_counters_check_events(bad_umask, 1, err, sizeof err), -1);

    /* Known names are accepted even where they cannot be opened (no PMU). */
    const char *good[] = {"cycles", "dTLB-load-misses", "perf::PAGE-FAULTS", "task-clock", "r0f46"};
    assert_int_equal(ab_counters_check_events(good, 5, err, sizeof err), 0);

    size_t n;
    const char *const *dfl = ab_counters_default_events(&n);
    assert_int_equal(ab_counters_check_events(dfl, n, err, sizeof err), 0);
}

static bool contains(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

static void default_events(void **state)
{
    (void)state;
    size_t n;
    const char *const *dfl = ab_counters_default_events(&n);
    const char *generic[] = {"cycles", "instructions", "dTLB-load-misses", "dTLB-store-misses",
                             "iTLB-load-misses", "cache-misses", "page-faults", "minor-faults",
                             "major-faults", "task-clock"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        assert_true(contains(dfl, n, generic[i]));
    assert_null(dfl[n]);
    /* Stable storage: the second call hands out the same list. */
    size_t n2;
    assert_ptr_equal(ab_counters_default_events(&n2), dfl);
    assert_int_equal(n2, n);

    /* Where libpfm4 detects an Intel core PMU with page-walk events, they
     * must be among the defaults (libpfm4's table is the oracle here). */
    char core[32];
    ab_pfm_core_pmu_name(core, sizeof core);
    const char *intel_walkers[] = {"skl", "skx", "icl", "icx", "spr"};
    for (size_t i = 0; i < sizeof intel_walkers / sizeof intel_walkers[0]; i++)
        if (!strcmp(core, intel_walkers[i])) {
            assert_true(contains(dfl, n, "DTLB_LOAD_MISSES:WALK_COMPLETED"));
            assert_true(contains(dfl, n, "DTLB_LOAD_MISSES:WALK_ACTIVE"));
            assert_true(contains(dfl, n, "DTLB_STORE_MISSES:WALK_COMPLETED"));
        }
}

static void encoding_user_and_kernel(void **state)
{
    (void)state;
    ab_encoded_event e;
    char err[200];
    assert_int_equal(ab_event_encode("page-faults", true, &e, err, sizeof err), 0);
    assert_int_equal(e.attr.type, PERF_TYPE_SOFTWARE);
    assert_int_equal(e.attr.config, PERF_COUNT_SW_PAGE_FAULTS);
    assert_false(e.attr.exclude_kernel);
    assert_false(e.attr.exclude_user);
    assert_int_equal(ab_event_encode("page-faults", false, &e, err, sizeof err), 0);
    assert_true(e.attr.exclude_kernel);
    assert_int_equal(ab_event_encode("dTLB-load-misses", true, &e, err, sizeof err), 0);
    assert_int_equal(e.attr.type, PERF_TYPE_HW_CACHE);
    /* perf's encoding: DTLB | READ << 8 | MISS << 16 (perf_event_open(2)). */
    assert_int_equal(e.attr.config & 0xffffffffULL,
                     PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8)
                         | (PERF_COUNT_HW_CACHE_RESULT_MISS << 16));
    /* Software and hardware events never share a group key. */
    ab_encoded_event sw, hw;
    assert_int_equal(ab_event_encode("task-clock", true, &sw, err, sizeof err), 0);
    assert_int_equal(ab_event_encode("cycles", true, &hw, err, sizeof err), 0);
    assert_true(ab_event_pmu_key(&sw.attr) != ab_event_pmu_key(&hw.attr));
    assert_true(ab_event_pmu_key(&hw.attr) == ab_event_pmu_key(&e.attr));
    assert_int_not_equal(ab_event_encode("no-such-event-xyz", true, &e, err, sizeof err), 0);
    assert_non_null(strstr(err, "no-such-event-xyz"));
}

/* A fake sysfs tree with cpu_core stands in for an Alder Lake: core-PMU
 * events must be retargeted at cpu_core (extended type in config 63:32 for
 * generic events), keep one group key, and leave software events alone. */
static void hybrid_events_target_cpu_core(void **state)
{
    (void)state;
    char dir[] = "/tmp/abtest-sysfs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/cpu_core", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/cpu_core/type", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%d\n", PERF_TYPE_RAW);   /* what Linux gives cpu_core */
    fclose(f);
    setenv("AB_SYSFS_EVENT_SOURCES", dir, 1);

    ab_encoded_event cyc, dtlb, raw, pf;
    char err[200];
    assert_int_equal(ab_hybrid_core_type(), PERF_TYPE_RAW);
    assert_int_equal(ab_event_encode("cycles", true, &cyc, err, sizeof err), 0);
    assert_int_equal(ab_event_encode("dTLB-load-misses", true, &dtlb, err, sizeof err), 0);
    assert_int_equal(ab_event_encode("r0f46", true, &raw, err, sizeof err), 0);
    assert_int_equal(ab_event_encode("page-faults", true, &pf, err, sizeof err), 0);
    unsetenv("AB_SYSFS_EVENT_SOURCES");

    assert_int_equal(cyc.attr.type, PERF_TYPE_HARDWARE);
    assert_int_equal(cyc.attr.config, ((uint64_t)PERF_TYPE_RAW << 32) | PERF_COUNT_HW_CPU_CYCLES);
    assert_true(cyc.hybrid_core);
    assert_string_equal(cyc.pmu, "cpu_core");
    assert_int_equal(dtlb.attr.config >> 32, PERF_TYPE_RAW);
    assert_int_equal(raw.attr.type, PERF_TYPE_RAW);
    assert_string_equal(raw.pmu, "cpu_core");
    assert_int_equal(ab_event_pmu_key(&cyc.attr), ab_event_pmu_key(&raw.attr));
    assert_int_equal(ab_event_pmu_key(&cyc.attr), ab_event_pmu_key(&dtlb.attr));
    assert_false(pf.hybrid_core);
    assert_int_equal(pf.attr.config, PERF_COUNT_SW_PAGE_FAULTS);
    assert_string_equal(pf.pmu, "perf");
    assert_true(ab_event_pmu_key(&pf.attr) != ab_event_pmu_key(&cyc.attr));

    /* Without the tree, no retargeting happens here. */
    ab_encoded_event plain;
    assert_int_equal(ab_event_encode("cycles", true, &plain, err, sizeof err), 0);
    if (ab_hybrid_core_type() < 0) {
        assert_int_equal(plain.attr.config, PERF_COUNT_HW_CPU_CYCLES);
        assert_false(plain.hybrid_core);
    }
    snprintf(path, sizeof path, "%s/cpu_core/type", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/cpu_core", dir);
    rmdir(path);
    rmdir(dir);
}

/* ---- counting ----------------------------------------------------------------- */

static void self_touch_counts_page_faults(void **state)
{
    (void)state;
    ab_counter_set *cs = ab_counters_open(sw_events, N_SW, 0, false);
    assert_non_null(cs);
    ab_counters_enable(cs);
    touch_fresh_pages(TOUCH_PAGES);
    ab_counters_disable(cs);
    ab_counter_value v[N_SW];
    assert_int_equal(ab_counters_read(cs, v, N_SW), N_SW);
    ab_counters_close(cs);

    const ab_counter_value *pf = find(v, N_SW, "page-faults");
    assert_int_equal(pf->status, AB_CTR_OK);
    assert_true(pf->has_value);
    assert_true(pf->value >= TOUCH_PAGES);
    assert_true(pf->value <= TOUCH_PAGES + REGION_SLACK);
    assert_true(pf->enabled_ns > 0 && pf->running_ns == pf->enabled_ns);
    assert_true((double)pf->raw == pf->value);
    const ab_counter_value *minor = find(v, N_SW, "minor-faults");
    assert_true(minor->has_value && minor->value >= TOUCH_PAGES);
    const ab_counter_value *tc = find(v, N_SW, "task-clock");
    assert_true(tc->has_value && tc->value > 0);
    assert_string_equal(pf->pmu, "perf");
}

static void counts_only_while_enabled(void **state)
{
    (void)state;
    const char *ev[] = {"page-faults"};
    ab_counter_set *cs = ab_counters_open(ev, 1, 0, false);
    touch_fresh_pages(TOUCH_PAGES);          /* before enable: not counted */
    ab_counter_value v;
    ab_counters_read(cs, &v, 1);
    assert_int_equal(v.status, AB_CTR_NOT_COUNTED);
    assert_false(v.has_value);
    ab_counters_enable(cs);
    touch_fresh_pages(TOUCH_PAGES / 2);
    ab_counters_disable(cs);
    touch_fresh_pages(TOUCH_PAGES);          /* after disable: not counted */
    ab_counters_read(cs, &v, 1);
    ab_counters_close(cs);
    assert_true(v.value >= TOUCH_PAGES / 2);
    assert_true(v.value <= TOUCH_PAGES / 2 + REGION_SLACK);
}

/* A child that touches pages on command; the parent counts it by pid. */
static void child_touch_counted_by_pid(void **state)
{
    (void)state;
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        close(done[0]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        touch_fresh_pages(TOUCH_PAGES);
        if (write(done[1], "x", 1) != 1)
            _exit(1);
        (void)!read(go[0], &c, 1);    /* stay alive until the parent has read */
        _exit(0);
    }
    close(go[0]);
    close(done[1]);
    ab_counter_set *cs = ab_counters_open(sw_events, N_SW, pid, false);
    ab_counters_enable(cs);
    char c;
    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(read(done[0], &c, 1), 1);
    ab_counters_disable(cs);
    ab_counter_value v[N_SW];
    ab_counters_read(cs, v, N_SW);
    ab_counters_close(cs);
    close(go[1]);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    const ab_counter_value *pf = find(v, N_SW, "page-faults");
    assert_true(pf->has_value);
    assert_true(pf->value >= TOUCH_PAGES);
    assert_true(pf->value <= TOUCH_PAGES + REGION_SLACK);
}

static void no_pmu_hardware_events_are_null(void **state)
{
    (void)state;
    char why[160];
    if (pmu_present(why, sizeof why)) {
        print_message("skipping: a hardware PMU is present, so the no-PMU path cannot be observed\n");
        skip();
        return;
    }
    const char *ev[] = {"cycles", "page-faults", "instructions", "dTLB-load-misses",
                        "DTLB_LOAD_MISSES:WALK_COMPLETED", "task-clock", "no-such-event-xyz"};
    size_t n = sizeof ev / sizeof ev[0];
    ab_counter_set *cs = ab_counters_open(ev, n, 0, false);
    assert_non_null(cs);
    ab_counters_enable(cs);
    touch_fresh_pages(16);
    ab_counters_disable(cs);
    ab_counter_value v[8];
    assert_int_equal(ab_counters_read(cs, v, n), n);
    ab_counters_close(cs);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(v[i].event, ev[i]);       /* caller's order */
    const char *hw[] = {"cycles", "instructions", "dTLB-load-misses"};
    for (size_t i = 0; i < 3; i++) {
        const ab_counter_value *x = find(v, n, hw[i]);
        assert_false(x->has_value);
        assert_int_equal(x->status, AB_CTR_NOT_SUPPORTED);
        assert_non_null(strstr(x->detail, "ENOENT"));
    }
    /* A native event libpfm4 knows but the kernel cannot open, or one
     * libpfm4 does not know on this CPU: null either way, never 0. */
    const ab_counter_value *walk = find(v, n, "DTLB_LOAD_MISSES:WALK_COMPLETED");
    assert_false(walk->has_value);
    assert_true(walk->status == AB_CTR_NOT_SUPPORTED || walk->status == AB_CTR_ENCODING_FAILED);
    const ab_counter_value *bogus = find(v, n, "no-such-event-xyz");
    assert_int_equal(bogus->status, AB_CTR_ENCODING_FAILED);
    assert_false(bogus->has_value);
    /* ...while the software events, interleaved with them, count. */
    assert_true(find(v, n, "page-faults")->has_value);
    assert_true(find(v, n, "page-faults")->value >= 16);
    assert_true(find(v, n, "task-clock")->has_value);
}

static void pmu_counts_cycles(void **state)
{
    (void)state;
    char why[160];
    if (!pmu_present(why, sizeof why)) {
        print_message("skipping: needs a hardware PMU (%s)\n", why);
        skip();
        return;
    }
    const char *ev[] = {"cycles", "instructions", "page-faults"};
    ab_counter_set *cs = ab_counters_open(ev, 3, 0, false);
    ab_counters_enable(cs);
    touch_fresh_pages(TOUCH_PAGES);
    ab_counters_disable(cs);
    ab_counter_value v[3];
    ab_counters_read(cs, v, 3);
    ab_counters_close(cs);
    for (int i = 0; i < 2; i++) {
        assert_true(v[i].status == AB_CTR_OK || v[i].status == AB_CTR_MULTIPLEXED);
        assert_true(v[i].has_value && v[i].value > TOUCH_PAGES);
    }
    assert_true(v[2].value >= TOUCH_PAGES);
}

/* perf_event_paranoid >= 2 refuses kernel-mode counting to unprivileged
 * users; the event must reopen user-only, say so, and still see the user
 * page faults (they are attributed to user mode). */
static void kernel_refused_falls_back_to_user_only(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int paranoid = -1;
    if (f) {
        if (fscanf(f, "%d", &paranoid) != 1)
            paranoid = -1;
        fclose(f);
    }
    if (geteuid() != 0 || paranoid < 2) {
        print_message("skipping: needs root (to drop to an unprivileged uid) and perf_event_paranoid >= 2\n");
        skip();
        return;
    }
    int res[2];
    assert_int_equal(pipe(res), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* 65534 = nobody: unprivileged, so the paranoid level applies. */
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        const char *ev[] = {"page-faults"};
        ab_counter_set *cs = ab_counters_open(ev, 1, 0, false);
        ab_counters_enable(cs);
        touch_fresh_pages(TOUCH_PAGES);
        ab_counters_disable(cs);
        ab_counter_value v;
        ab_counters_read(cs, &v, 1);
        ab_counters_close(cs);
        _exit(write(res[1], &v, sizeof v) == (ssize_t)sizeof v ? 0 : 4);
    }
    close(res[1]);
    ab_counter_value v;
    assert_int_equal(read(res[0], &v, sizeof v), (ssize_t)sizeof v);
    close(res[0]);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(v.user_only);
    assert_non_null(strstr(v.detail, "user space only"));
    assert_true(v.has_value);
    assert_true(v.value >= TOUCH_PAGES && v.value <= TOUCH_PAGES + REGION_SLACK);
}

/* ---- perf stat as the oracle --------------------------------------------------- */

static const char *self_exe(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    path[n > 0 ? n : 0] = 0;
    return path;
}

/* page-faults of `self ARGS` under perf stat; -1 if perf cannot run. */
static double perf_stat_page_faults(const char *args)
{
    char out[] = "/tmp/abtest-perf-XXXXXX";
    int fd = mkstemp(out);
    if (fd < 0)
        return -1;
    close(fd);
    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd, "perf stat -x, -o %s -e page-faults -- %s %s >/dev/null 2>&1", out, self_exe(), args);
    int st = system(cmd);
    double v = -1;
    char *text = ab_test_slurp(out);
    unlink(out);
    if (st == 0 && text) {
        /* CSV: value,unit,event,... ; comment lines start with '#'. */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            if (line[0] != '#' && strstr(line, "page-faults"))
                v = strtod(line, NULL);
    }
    free(text);
    return v;
}

/* page-faults of `self ARGS` counted by ab_counters with enable_on_exec. */
static double our_exec_page_faults(const char *mode, const char *count)
{
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(gate[1]);
        if (read(gate[0], &c, 1) != 1)   /* hold the exec until counters exist */
            _exit(126);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execl(self_exe(), self_exe(), mode, count, (char *)NULL);
        _exit(127);
    }
    close(gate[0]);
    const char *ev[] = {"page-faults"};
    ab_counter_set *cs = ab_counters_open(ev, 1, pid, true);
    assert_int_equal(write(gate[1], "g", 1), 1);
    close(gate[1]);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ab_counter_value v;
    ab_counters_read(cs, &v, 1);
    ab_counters_close(cs);
    assert_true(v.has_value);
    return v.value;
}

static bool perf_usable(void)
{
    return perf_stat_page_faults("--touch-pages 0") >= 0;
}

/* The tolerance between two counts of the same program: exec'd processes
 * differ by a few faults (ASLR placement, the loader, the stack; 0-4 seen
 * here, also under ASan), far less than the TOUCH_PAGES signal. */
#define EXEC_JITTER_FAULTS 16
static double tolerance(double expected)
{
    return EXEC_JITTER_FAULTS + expected / 100;
}

static void exec_agrees_with_perf_stat(void **state)
{
    (void)state;
    if (!perf_usable()) {
        print_message("skipping: `perf stat -e page-faults` does not run here\n");
        skip();
        return;
    }
    char n[32];
    snprintf(n, sizeof n, "%d", TOUCH_PAGES);
    double ours = our_exec_page_faults("--touch-pages", n);
    char args[64];
    snprintf(args, sizeof args, "--touch-pages %d", TOUCH_PAGES);
    double perf = perf_stat_page_faults(args);
    print_message("page-faults of one exec: arenabench %.0f, perf stat %.0f\n", ours, perf);
    assert_true(ours >= TOUCH_PAGES && perf >= TOUCH_PAGES);
    assert_true(fabs(ours - perf) <= tolerance(perf));
}

/* perf stat sees the whole process; our region sees the touches.  What
 * perf stat counts outside the region must match what the same program
 * costs with no touches at all. */
static void region_plus_outside_matches_perf_stat(void **state)
{
    (void)state;
    if (!perf_usable()) {
        print_message("skipping: `perf stat -e page-faults` does not run here\n");
        skip();
        return;
    }
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s --touch-pages-measured %d", self_exe(), TOUCH_PAGES);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    double region = -1;
    assert_int_equal(fscanf(p, "%lf", &region), 1);
    pclose(p);

    char args[64];
    snprintf(args, sizeof args, "--touch-pages-measured %d", TOUCH_PAGES);
    double whole = perf_stat_page_faults(args);
    double outside = perf_stat_page_faults("--touch-pages-measured 0");
    print_message("page-faults: region %.0f, whole process %.0f, same process without touches %.0f\n",
                  region, whole, outside);
    assert_true(region >= TOUCH_PAGES && region <= TOUCH_PAGES + REGION_SLACK);
    assert_true(whole >= region);
    assert_true(fabs((whole - region) - outside) <= tolerance(outside));
}

int main(int argc, char **argv)
{
    if (argc == 3 && (!strcmp(argv[1], "--touch-pages") || !strcmp(argv[1], "--touch-pages-measured")))
        return helper_main(argv[1], argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scaling_arithmetic),
        cmocka_unit_test(errno_classification),
        cmocka_unit_test(unknown_events_rejected),
        cmocka_unit_test(default_events),
        cmocka_unit_test(encoding_user_and_kernel),
        cmocka_unit_test(hybrid_events_target_cpu_core),
        cmocka_unit_test(self_touch_counts_page_faults),
        cmocka_unit_test(counts_only_while_enabled),
        cmocka_unit_test(child_touch_counted_by_pid),
        cmocka_unit_test(no_pmu_hardware_events_are_null),
        cmocka_unit_test(pmu_counts_cycles),
        cmocka_unit_test(kernel_refused_falls_back_to_user_only),
        cmocka_unit_test(exec_agrees_with_perf_stat),
        cmocka_unit_test(region_plus_outside_matches_perf_stat),
    };
    return cmocka_run_group_tests_name("counters", tests, NULL, NULL);
}
