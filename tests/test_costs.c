/* test_costs.c -- the costs of huge pages (issue 13): fork and copy-on-write,
 * bloat, the kernel's THP counters, --settle.
 *
 * Oracles are independent of the code under test wherever one exists:
 *   - the fork machinery (workloads/forked_workers.c) on regions this test
 *     maps itself, with a known number of pages written by each worker: the
 *     worker's own smaps_rollup read with stdio by the test's code, wait4's
 *     minflt, and the arithmetic of pages touched x page size;
 *   - MAP_HUGETLB vs 4 KiB: one byte written per 2 MiB page costs a whole
 *     2 MiB copy per page with hugetlb, 4 KiB with 4 KiB pages;
 *   - an exhausted pool during copy-on-write: the worker dies of SIGBUS, and
 *     that is recorded, both by the machinery and, end to end, in a run's
 *     sample status, which goes on to the next sample;
 *   - survivors: a shadow set of live pointers, kept by a shim allocator in
 *     front of the model, says which arenas hold a live block; the model's
 *     arena count must match what its reclaim policy makes of that;
 *   - vmstat: a thp run moves thp_fault_alloc where THP is enabled.
 * Tests that need root or huge pages say so and skip; anything that changes
 * the shared huge-page pool puts it back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "allocators/pages.h"
#include "allocators/pymalloc.h"
#include "allocators/pymalloc_internal.h"
#include "allocators/variant.h"
#include "harness/results/metrics.h"
#include "harness/system/hugepool.h"
#include "harness/util/vmstat.h"
#include "tests/results_schema.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"
#include "workloads/forked_workers.h"
#include "workloads/survivors.h"
#include "workloads/wl_params.h"
#include "workloads/workload.h"

#define PAGE 4096
#define HUGE ((size_t)2 << 20)
#define KB 1024

/* ---- the worker's own reading, with stdio (not the code under test) ---- */

static long own_smaps_kb(const char *key)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t len = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, len) && line[len] == ':') v = strtol(line + len + 1, NULL, 10);
    fclose(f);
    return v;
}

typedef struct region_job {
    char *base;
    size_t page, stride_pages, npages_touched;
    long *own_private_dirty;    /* MAP_SHARED, one per worker */
} region_job;

static void touch_region(void *arg, int index)
{
    (void)index;
    region_job *j = arg;
    for (size_t i = 0; i < j->npages_touched; i++) j->base[i * j->stride_pages * j->page] ^= 1;
}

static void read_own(void *arg, int index)
{
    region_job *j = arg;
    j->own_private_dirty[index] = own_smaps_kb("Private_Dirty");
}

static void *map_region(size_t size, int extra)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* 4 KiB pages: a worker that writes N pages has N copy-on-write faults and
 * N x 4 KiB more private dirty memory; the machinery's figures agree with
 * the worker's own smaps_rollup and with wait4. */
static void fork_figures_match_independent_readings(void **state)
{
    (void)state;
    const size_t region = 16 << 20, stride = 8, touched = region / PAGE / stride;
    char *base = map_region(region, 0);
    assert_non_null(base);
    memset(base, 1, region);   /* resident in the parent before the fork */
    long *own = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(own != MAP_FAILED);
    region_job j = {base, PAGE, stride, touched, own};
    ab_fork_job job = {.workers = 2, .touch = touch_region, .churn = read_own, .arg = &j};
    ab_fork_report rep;
    assert_int_equal(ab_fork_workers_run(&job, &rep), 2);
    for (int i = 0; i < 2; i++) {
        const ab_worker_result *w = &rep.w[i];
        assert_int_equal(w->end, AB_WORKER_OK);
        assert_true(w->reported);
        assert_true(w->fork_ns > 0);
        assert_true(w->wall_ns > 0);
        /* Every touched page is one copy-on-write fault; a few more for the
         * worker's stack and the pages its own code dirties. */
        assert_in_range(w->cow_faults, (long)touched, (long)touched + 64);
        assert_true(w->minflt >= w->cow_faults);
        /* The parent's reading while parked vs the worker's own, a moment
         * apart (the report write in between dirties at most a stack page). */
        assert_true(own[i] > 0);
        assert_in_range(w->smaps.private_dirty_kb, own[i] - 64, own[i] + 64);
        assert_true(w->smaps.private_dirty_kb >= (long)(touched * PAGE / KB));
        assert_int_equal(w->smaps.private_hugetlb_kb, 0);
        assert_int_equal(ab_worker_private_kb(w), w->smaps.private_dirty_kb);
    }
    /* The family holds the shared region once plus every worker's copies. */
    long pss = ab_fork_family_pss_kb(&rep);
    long copies = 2 * (long)(touched * PAGE / KB);
    assert_true(pss >= (long)(region / KB) + copies);
    assert_true(pss <= rep.parent.rss_kb + rep.w[0].smaps.rss_kb + rep.w[1].smaps.rss_kb);
    munmap(own, PAGE);
    munmap(base, region);
}

/* Reserve at least n free huge pages (root) or check they are free;
 * false: skip.  hp->active says whether there is anything to restore. */
static bool have_free_huge_pages(long n, ab_hugepool *hp)
{
    memset(hp, 0, sizeof *hp);
    if (ab_pages_hugetlb_size() != HUGE) {
        fprintf(stderr, "SKIP: the default huge page size is not 2 MiB here\n");
        return false;
    }
    long total, nfree;
    ab_hugepool_read(&total, &nfree);
    if (nfree >= n) return true;
    char msg[512];
    if (geteuid() != 0 || ab_hugepool_reserve(hp, n, false, msg, sizeof msg) != 0) {
        fprintf(stderr, "SKIP: %ld huge pages needed, %ld free and cannot reserve (%s)\n", n, nfree,
                geteuid() ? "not root" : msg);
        return false;
    }
    ab_hugepool_read(&total, &nfree);
    if (nfree < n) {
        fprintf(stderr, "SKIP: only %ld huge pages could be made free\n", nfree);
        ab_hugepool_restore(hp);
        return false;
    }
    return true;
}

static long private_after_one_byte_per_2m(int extra_flags, size_t npages)
{
    char *base = map_region(npages * HUGE, extra_flags);
    if (!base) return -1;
    memset(base, 1, npages * HUGE);
    long own_dummy[4] = {0};
    region_job j = {base, PAGE, HUGE / PAGE, npages, own_dummy};
    ab_fork_job job = {.workers = 1, .touch = touch_region, .churn = NULL, .arg = &j};
    ab_fork_report rep;
    int ok = ab_fork_workers_run(&job, &rep);
    munmap(base, npages * HUGE);
    if (ok != 1) fail_msg("worker ended %s", ab_worker_end_name(rep.w[0].end));
    if (extra_flags & MAP_HUGETLB) assert_int_equal(rep.w[0].smaps.private_hugetlb_kb, (long)(npages * HUGE / KB));
    return ab_worker_private_kb(&rep.w[0]);
}

/* One byte written per 2 MiB page: hugetlb copies each whole page (2 MiB),
 * 4 KiB pages copy 4 KiB. */
static void hugetlb_copies_whole_pages(void **state)
{
    (void)state;
    const size_t npages = 4;
    ab_hugepool hp;
    /* the parent's pages and one copy of each for the worker */
    if (!have_free_huge_pages(2 * (long)npages, &hp)) skip();
    long huge = private_after_one_byte_per_2m(MAP_HUGETLB, npages);
    long small = private_after_one_byte_per_2m(0, npages);
    ab_hugepool_restore(&hp);
    assert_true(huge > 0 && small > 0);
    assert_true(small <= (long)(npages * PAGE / KB) + 256);
    assert_true(huge >= 20 * small);
}

static void write_page0(void *arg, int index)
{
    (void)index;
    ((char *)arg)[0] ^= 1;
}

/* Every free huge page is reserved by this process's private mapping (the
 * owner's reservation); a worker's copy-on-write then finds none and the
 * kernel kills it with SIGBUS -- recorded, never a hang or a lost report. */
/* Another process growing the pool while the workers run hands them pages:
 * an attempt is only a verdict when the pool size stayed the same. */
#define POOL_ATTEMPTS 3

static void pool_exhausted_during_cow_is_a_recorded_sigbus(void **state)
{
    (void)state;
    ab_hugepool hp;
    if (!have_free_huge_pages(2, &hp)) skip();
    ab_fork_report rep;
    int ok = -1;
    for (int attempt = 0; attempt < POOL_ATTEMPTS; attempt++) {
        long total, nfree, total_after, ignored;
        ab_hugepool_read(&total, &nfree);
        char *base = nfree > 0 ? map_region((size_t)nfree * HUGE, MAP_HUGETLB) : NULL;
        if (!base) continue;   /* someone took a page between the read and the map */
        base[0] = 1;
        ab_fork_job job = {.workers = 2, .touch = write_page0, .churn = NULL, .arg = base};
        ok = ab_fork_workers_run(&job, &rep);
        munmap(base, (size_t)nfree * HUGE);
        ab_hugepool_read(&total_after, &ignored);
        if (total_after == total) break;
        fprintf(stderr, "note: the pool changed during the attempt (%ld -> %ld pages); again\n", total, total_after);
        ok = -1;
    }
    ab_hugepool_restore(&hp);
    if (ok < 0) {
        fprintf(stderr, "SKIP: the shared pool never held still for %d attempts\n", POOL_ATTEMPTS);
        skip();
    }
    assert_int_equal(ok, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rep.w[i].end, AB_WORKER_SIGBUS);
        assert_int_equal(rep.w[i].signal, SIGBUS);
        assert_false(rep.w[i].reported);
        assert_int_equal(ab_worker_private_kb(&rep.w[i]), -1);
    }
    assert_string_equal(ab_worker_end_name(AB_WORKER_SIGBUS), "sigbus");
}

/* ---- end to end through `arenabench run` ---- */

static json_t *run_json(const char *args, int expect_rc)
{
    char path[64], full[1024];
    snprintf(path, sizeof path, "/tmp/abcosts-%d.json", (int)getpid());
    snprintf(full, sizeof full, "run %s --reps 1 --warmup 0 --no-timeline --quiet --out %s", args, path);
    char *err = NULL;
    int rc = ab_test_run_arenabench(full, NULL, &err);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    unlink(path);
    if (rc != expect_rc || !doc) fail_msg("arenabench %s exited %d (expected %d): %s", full, rc, expect_rc, err ? err : "");
    free(err);
    schema_err e;
    if (!schema_check_results(doc, &e)) fail_msg("schema: %s", e.text);
    return doc;
}

static json_t *cell_sample(json_t *doc, const char *variant, const char *workload)
{
    json_t *c = ab_test_find_cell(doc, NULL, variant, workload);
    if (!c) fail_msg("no cell %s x %s", variant, workload);
    return json_array_get(json_object_get(c, "samples"), 0);
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) fail_msg("%s is not a number", key);
    return json_number_value(v);
}

static void bad_parameters_exit_2_before_running(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "run --workloads prefork:touch=2 --quiet", "run --workloads prefork:workers=0 --quiet",
        "run --workloads prefork:bogus=1 --quiet", "run --workloads survivors:k=5 --quiet",
        "run --workloads survivors:layout=diagonal --quiet", "run --workloads survivors:k=10,k=20 --quiet",
        "run --workloads survivors --settle -1 --quiet", "run --workloads prefork:touch --quiet",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        int rc = ab_test_run_arenabench(bad[i], NULL, &err);
        if (rc != 2) fail_msg("'%s' exited %d, not 2: %s", bad[i], rc, err ? err : "");
        assert_non_null(err);
        assert_non_null(strstr(err, "arenabench run:"));
        free(err);
    }
}

/* Through the real workload: with a tiny touch fraction, every touched
 * object costs a hugetlb worker its whole 2 MiB page, a 4k worker 4 KiB. */
static void prefork_hugetlb_private_far_larger_than_4k(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: needs root to reserve huge pages for the run\n");
        skip();
    }
    json_t *doc = run_json("--variants 4k,hugetlb --workloads prefork:workers=2,touch=0.001 --scale 0.2 "
                           "--hugepages 64", 0);
    json_t *h = cell_sample(doc, "hugetlb", "prefork:workers=2,touch=0.001");
    json_t *s = cell_sample(doc, "4k", "prefork:workers=2,touch=0.001");
    if (num(json_object_get(h, "alloc"), "hugetlb_fallbacks") > 0) {
        json_decref(doc);
        fprintf(stderr, "SKIP: the hugetlb variant fell back (pool taken by someone else)\n");
        skip();
    }
    json_t *hf = json_object_get(h, "fork"), *sf = json_object_get(s, "fork");
    assert_int_equal((int)num(hf, "workers"), 2);
    assert_int_equal((int)num(hf, "workers_ok"), 2);
    assert_true(num(hf, "private_kb_median") >= 10 * num(sf, "private_kb_median"));
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(s, "fork_workers"), i, w) {
        assert_string_equal(json_string_value(json_object_get(w, "end")), "ok");
        /* each copy-on-write fault leaves one private dirty 4 KiB page */
        assert_true(num(w, "cow_faults") <= num(w, "minflt"));
        assert_true(num(w, "private_dirty_kb") >= 4 * num(w, "cow_faults"));
    }
    json_array_foreach(json_object_get(h, "fork_workers"), i, w)
        assert_true(num(w, "private_hugetlb_kb") >= 2048);
    assert_string_equal(json_string_value(json_object_get(h, "vmstat_status")), AB_VMSTAT_STATUS);
    json_decref(doc);
}

/* End to end: the pool has one free page; the sample's hugetlb arena gets
 * it, its workers' copy-on-write finds none.  The prefork sample is failed
 * with a reason that says SIGBUS and keeps its fork block; the next sample
 * runs. */
static void prefork_sigbus_is_in_the_sample_and_the_run_goes_on(void **state)
{
    (void)state;
    ab_hugepool hp;
    if (!have_free_huge_pages(2, &hp)) skip();
    long total, nfree;
    ab_hugepool_read(&total, &nfree);
    size_t hold = (size_t)(nfree - 1) * HUGE;
    char *held = map_region(hold, MAP_HUGETLB);   /* reserved, not touched */
    if (!held) {
        ab_hugepool_restore(&hp);
        fprintf(stderr, "SKIP: could not hold the free huge pages\n");
        skip();
    }
    json_t *doc = run_json("--variants hugetlb --workloads prefork:workers=2,touch=0.05,survivors:k=100 --scale 0.05", 1);
    munmap(held, hold);
    ab_hugepool_restore(&hp);
    json_t *p = cell_sample(doc, "hugetlb", "prefork:workers=2,touch=0.05");
    assert_string_equal(json_string_value(json_object_get(p, "status")), "failed");
    assert_non_null(strstr(json_string_value(json_object_get(p, "reason")), "SIGBUS"));
    json_t *f = json_object_get(p, "fork");
    assert_non_null(f);
    assert_true(num(f, "workers_ok") < 2);
    size_t i, sigbus = 0;
    json_t *w;
    json_array_foreach(json_object_get(p, "fork_workers"), i, w)
        sigbus += !strcmp(json_string_value(json_object_get(w, "end")), "sigbus");
    assert_true(sigbus >= 1);
    json_t *s = cell_sample(doc, "hugetlb", "survivors:k=100");
    assert_string_equal(json_string_value(json_object_get(s, "status")), "ok");
    json_decref(doc);
}

static void thp_sample_moves_thp_fault_alloc(void **state)
{
    (void)state;
    char mode[32];
    ab_pages_thp_mode(mode, sizeof mode);
    if (strcmp(mode, "always") && strcmp(mode, "madvise")) {
        fprintf(stderr, "SKIP: THP is '%s' here\n", mode);
        skip();
    }
    json_t *doc = run_json("--variants thp --workloads fragmentation --scale 0.1", 0);
    json_t *s = cell_sample(doc, "thp", "fragmentation");
    json_t *vm = json_object_get(s, "vmstat");
    assert_true(json_is_object(vm));
    assert_string_equal(json_string_value(json_object_get(s, "vmstat_status")), "system_wide");
    if (num(json_object_get(s, "alloc"), "hugepage_bytes") > 0) assert_true(num(vm, "thp_fault_alloc") > 0);
    else fail_msg("the thp variant got no huge page at all");
    /* The kernel's own counters, read by the test: every recorded line exists. */
    ab_vmstat now;
    assert_int_equal(ab_vmstat_read(&now), 0);
    const char *key;
    json_t *v;
    json_object_foreach(vm, key, v) assert_true(ab_vmstat_get(&now, key) >= 0);
    json_decref(doc);
}

static void settle_reads_coverage_again(void **state)
{
    (void)state;
    json_t *doc = run_json("--variants thp-1m,4k --workloads bulk_small_alloc --scale 0.05 --settle 0.3", 0);
    json_t *s = cell_sample(doc, "thp-1m", "bulk_small_alloc");
    double cov;
    assert_true(ab_sample_value(s, "hugepage_coverage_settled", &cov));
    assert_true(cov >= 0 && cov <= 1);
    json_t *st = json_object_get(s, "settle");
    assert_true(num(st, "seconds") == 0.3);
    assert_true(num(st, "mapped_bytes") > 0);
    assert_true(ab_sample_value(cell_sample(doc, "4k", "bulk_small_alloc"), "hugepage_coverage_settled", &cov));
    assert_true(cov == 0);
    json_decref(doc);
}

static void machine_says_whether_pmd_mappings_are_aligned(void **state)
{
    (void)state;
    json_t *doc = run_json("--variants 4k --workloads survivors:k=10000 --scale 0.02", 0);
    json_t *aligned = json_object_get(json_object_get(doc, "machine"), "anon_mmap_pmd_aligned");
    assert_true(json_is_boolean(aligned));
    /* Linux aligns PMD-sized anonymous mappings since 6.7. */
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 && (major > 6 || (major == 6 && minor >= 7)))
        assert_true(json_is_true(aligned));
    json_decref(doc);
}

/* The costs table has a row per cost cell with its family's columns, and
 * the plots' data has one row per parameter value, one column per variant,
 * holding the cells' medians. */
static void costs_table_and_plots_come_out(void **state)
{
    (void)state;
    char path[64], args[512], dir[64];
    snprintf(path, sizeof path, "/tmp/abcosts-tp-%d.json", (int)getpid());
    snprintf(dir, sizeof dir, "/tmp/abcosts-plots-%d", (int)getpid());
    snprintf(args, sizeof args,
             "run --variants 4k,thp --workloads prefork:workers=1,touch=0.001,prefork:workers=1,touch=0.1,"
             "survivors:k=10,survivors:k=1000,bulk_small_alloc --scale 0.02 --reps 1 --warmup 0 --no-timeline "
             "--quiet --out %s", path);
    assert_int_equal(ab_test_run_arenabench(args, NULL, NULL), 0);
    char *out = NULL;
    snprintf(args, sizeof args, "table %s --costs", path);
    assert_int_equal(ab_test_run_arenabench(args, &out, NULL), 0);
    assert_non_null(strstr(out, "costs:"));
    assert_non_null(strstr(out, "private/worker"));
    assert_non_null(strstr(out, "bloat end"));
    assert_null(strstr(out, "bulk_small_alloc"));   /* not a cost family */
    size_t rows = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        rows += !strncmp(p + 1, "prefork:", 8) || !strncmp(p + 1, "survivors:", 10);
    assert_int_equal(rows, 8);   /* 4 cost cells x 2 variants */
    free(out);
    snprintf(args, sizeof args, "plot %s -o %s", path, dir);
    char *err = NULL;
    int rc = ab_test_run_arenabench(args, NULL, &err);
    unlink(path);
    if (rc == 2 && err && strstr(err, "gnuplot not found")) {
        free(err);
        fprintf(stderr, "SKIP: no gnuplot\n");
        skip();
    }
    free(err);
    assert_int_equal(rc, 0);
    char tsv[128];
    snprintf(tsv, sizeof tsv, "%s/costs-bloat.tsv", dir);
    char *t = ab_test_slurp(tsv);
    assert_non_null(t);
    assert_non_null(strstr(t, "k\t4k\tthp\n10\t"));
    assert_non_null(strstr(t, "\n1000\t"));
    free(t);
    snprintf(tsv, sizeof tsv, "%s/costs-private.tsv", dir);
    t = ab_test_slurp(tsv);
    assert_non_null(t);
    assert_non_null(strstr(t, "touch\t4k\tthp\n0.001\t"));
    free(t);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

/* ---- survivors against a shadow set of live pointers ---- */

#define SHADOW_BITS 20
#define SHADOW_SIZE ((size_t)1 << SHADOW_BITS)

typedef struct shim {
    ab_allocator inner;
    uintptr_t *live;            /* open addressing, 0 = empty */
    ab_pymalloc *pm;
    int64_t arenas_with_live;   /* counted at the end of the measured phase */
    int64_t arenas_current;
} shim;

static size_t slot_of(uintptr_t p)
{
    return (size_t)((p >> 4) * 0x9e3779b97f4a7c15ULL >> (64 - SHADOW_BITS));
}

static void shadow_add(shim *s, void *p)
{
    if (!p) return;
    size_t i = slot_of((uintptr_t)p);
    while (s->live[i]) i = (i + 1) & (SHADOW_SIZE - 1);
    s->live[i] = (uintptr_t)p;
}

static void shadow_del(shim *s, void *p)
{
    if (!p) return;
    size_t i = slot_of((uintptr_t)p);
    while (s->live[i] != (uintptr_t)p) {
        assert_true(s->live[i] != 0);
        i = (i + 1) & (SHADOW_SIZE - 1);
    }
    s->live[i] = 0;
    /* backward-shift deletion keeps every probe chain unbroken */
    for (size_t j = (i + 1) & (SHADOW_SIZE - 1); s->live[j]; j = (j + 1) & (SHADOW_SIZE - 1)) {
        size_t home = slot_of(s->live[j]);
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            s->live[i] = s->live[j];
            s->live[j] = 0;
            i = j;
        }
    }
}

static void *shim_malloc(void *self, size_t n)
{
    shim *s = self;
    void *p = s->inner.malloc(s->inner.self, n);
    shadow_add(s, p);
    return p;
}
static void *shim_calloc(void *self, size_t a, size_t b)
{
    shim *s = self;
    void *p = s->inner.calloc(s->inner.self, a, b);
    shadow_add(s, p);
    return p;
}
static void *shim_realloc(void *self, void *old, size_t n)
{
    shim *s = self;
    shadow_del(s, old);
    void *p = s->inner.realloc(s->inner.self, old, n);
    shadow_add(s, p);
    return p;
}
static void shim_free(void *self, void *p)
{
    shim *s = self;
    shadow_del(s, p);
    s->inner.free(s->inner.self, p);
}
static void shim_stats(void *self, ab_alloc_stats *out)
{
    shim *s = self;
    s->inner.stats(s->inner.self, out);
}

/* At the end of the measured phase (survivors alive): which mapped arenas
 * hold a live block, by the shadow set. */
static void count_live_arenas(void *hook)
{
    shim *s = hook;
    const ab_pymalloc *pm = s->pm;
    s->arenas_with_live = s->arenas_current = 0;
    for (unsigned a = 0; a < pm->maxarenas; a++) {
        uintptr_t lo = pm->arenas[a].address;
        if (!lo) continue;
        s->arenas_current++;
        for (size_t i = 0; i < SHADOW_SIZE; i++)
            if (s->live[i] >= lo && s->live[i] < lo + pm->arena_size) {
                s->arenas_with_live++;
                break;
            }
    }
}

static void run_survivors_shadowed(const char *variant, const char *param, ab_survivors_report *rep, shim *s)
{
    ab_variant v;
    char err[256];
    assert_int_equal(ab_variant_parse(variant, &v, err, sizeof err), 0);
    memset(s, 0, sizeof *s);
    assert_int_equal(ab_variant_open(&v, &s->inner, err, sizeof err), 0);
    s->pm = ab_pymalloc_from_allocator(&s->inner);
    assert_non_null(s->pm);
    s->live = calloc(SHADOW_SIZE, sizeof *s->live);
    assert_non_null(s->live);
    ab_allocator a = {.name = "shim", .self = s, .malloc = shim_malloc, .calloc = shim_calloc,
                      .realloc = shim_realloc, .free = shim_free, .stats = shim_stats};
    ab_wl_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.alloc = &a;
    ctx.scale = 0.1;
    ctx.seed = 1;
    ctx.param = param;
    ctx.phase_end = count_live_arenas;
    ctx.hook = s;
    ctx.survivors = rep;
    const ab_workload *w = ab_workload_find("survivors");
    assert_non_null(w);
    assert_int_equal(w->run(&ctx), 0);
    free(s->live);
    s->inner.destroy(s->inner.self);
}

static void survivors_keeps_the_arenas_the_model_says(void **state)
{
    (void)state;
    ab_survivors_report rep;
    shim s;
    /* mostfull: an arena is unmapped the moment it empties, so exactly the
     * arenas holding a live block remain. */
    run_survivors_shadowed("pymalloc:reclaim=mostfull", "k=10,layout=clustered", &rep, &s);
    assert_int_equal(rep.end.arenas_current, s.arenas_current);
    assert_int_equal(rep.end.arenas_current, s.arenas_with_live);
    assert_true(rep.end.arenas_current < rep.peak.arenas_current);
    /* CPython (bpo-37257) keeps at most one empty arena besides those. */
    run_survivors_shadowed("4k", "k=10,layout=clustered", &rep, &s);
    assert_in_range(rep.end.arenas_current, s.arenas_with_live, s.arenas_with_live + 1);
    /* Scattered, 1 in 100: every arena the objects filled keeps a survivor
     * (the last may have held only the survivors' list while it grew, and
     * is the one empty arena CPython keeps), so none is returned. */
    run_survivors_shadowed("4k", "k=100", &rep, &s);
    assert_in_range(s.arenas_with_live, rep.peak.arenas_current - 1, rep.peak.arenas_current);
    assert_int_equal(rep.end.arenas_current, rep.peak.arenas_current);
    assert_int_equal(rep.end.arenas_current, s.arenas_current);
    assert_int_equal(rep.kept, (rep.objects + 99) / 100);
    /* Bloat: the same resident memory for ~1% of the live bytes. */
    assert_true(ab_survivors_bloat(&rep.end) > 20 * ab_survivors_bloat(&rep.peak));
    /* never: nothing is returned, whatever lives. */
    run_survivors_shadowed("noreclaim", "k=10,layout=clustered", &rep, &s);
    assert_int_equal(rep.end.arenas_current, rep.peak.arenas_current);
}

/* ---- hugetlb's fallback, advised as CPython main does ---- */

/* Whether the VMA holding p carries MADV_HUGEPAGE ("hg" in VmFlags). */
static bool vma_advised_huge(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    bool inside = false, hg = false;
    while (fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        else if (inside && !strncmp(line, "VmFlags:", 8)) {
            hg = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return hg;
}

/* A 1 MiB arena is never MAP_HUGETLB (the huge page does not divide it):
 * pages=hugetlb maps it plain, pages=hugetlb-thp plain and advised. */
static void hugetlb_thp_advises_the_fallback(void **state)
{
    (void)state;
    static const struct { ab_pages_kind kind; bool advised; } cases[] = {
        {AB_PAGES_HUGETLB, false}, {AB_PAGES_HUGETLB_THP, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ab_pages pg;
        ab_pages_init(&pg, cases[i].kind);
        if (pg.hugepage_size == 0) {
            fprintf(stderr, "SKIP: no hugetlb support\n");
            skip();
        }
        void *p = pg.map(&pg, (size_t)1 << 20);
        assert_non_null(p);
        assert_int_equal(pg.hugetlb_skipped, 1);
        assert_int_equal(vma_advised_huge(p), cases[i].advised);
        assert_int_equal(pg.unmap(&pg, p, (size_t)1 << 20), 0);
    }
}

/* ---- small parts ---- */

static void vmstat_reads_only_its_prefixes(void **state)
{
    (void)state;
    ab_vmstat a, b, acc;
    if (ab_vmstat_read(&a) != 0) {
        fprintf(stderr, "SKIP: /proc/vmstat unreadable\n");
        skip();
    }
    for (size_t i = 0; i < a.n; i++) {
        bool known = false;
        for (const char *const *p = ab_vmstat_prefixes(); *p; p++) known |= !strncmp(a.name[i], *p, strlen(*p));
        assert_true(known);
    }
    assert_true(ab_vmstat_get(&a, "thp_fault_alloc") >= 0);
    b = a;
    b.value[0] += 5;
    ab_vmstat_zero(&acc, &a);
    ab_vmstat_add_delta(&acc, &a, &b);
    ab_vmstat_add_delta(&acc, &a, &b);
    assert_int_equal(acc.value[0], 10);
    assert_int_equal(ab_vmstat_get(&acc, "no_such_line"), -1);
}

static void params_parse_and_reject(void **state)
{
    (void)state;
    double k = 100, layout = 0;
    static const char *const words[] = {"scattered", "clustered", NULL};
    ab_wl_key keys[] = {{"k", 10, 10000, NULL, &k}, {"layout", 0, 0, words, &layout}};
    char err[256];
    assert_int_equal(ab_wl_parse_params(NULL, keys, 2, err, sizeof err), 0);
    assert_true(k == 100);
    assert_int_equal(ab_wl_parse_params("layout=clustered,k=1000", keys, 2, err, sizeof err), 0);
    assert_true(k == 1000 && layout == 1);
    assert_int_equal(ab_wl_parse_params("k=9", keys, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "k needs"));
    assert_int_equal(ab_wl_parse_params("k=10,k=10", keys, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(ab_wl_parse_params("x=1", keys, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown parameter 'x'"));
    assert_int_equal(ab_wl_parse_params("layout=round", keys, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "scattered|clustered"));
    assert_int_equal(ab_wl_parse_params("k", keys, 2, err, sizeof err), -1);
    assert_int_equal(ab_wl_parse_params("k=12abc", keys, 2, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(params_parse_and_reject),
        cmocka_unit_test(vmstat_reads_only_its_prefixes),
        cmocka_unit_test(fork_figures_match_independent_readings),
        cmocka_unit_test(hugetlb_copies_whole_pages),
        cmocka_unit_test(pool_exhausted_during_cow_is_a_recorded_sigbus),
        cmocka_unit_test(survivors_keeps_the_arenas_the_model_says),
        cmocka_unit_test(hugetlb_thp_advises_the_fallback),
        cmocka_unit_test(bad_parameters_exit_2_before_running),
        cmocka_unit_test(prefork_hugetlb_private_far_larger_than_4k),
        cmocka_unit_test(prefork_sigbus_is_in_the_sample_and_the_run_goes_on),
        cmocka_unit_test(thp_sample_moves_thp_fault_alloc),
        cmocka_unit_test(settle_reads_coverage_again),
        cmocka_unit_test(machine_says_whether_pmd_mappings_are_aligned),
        cmocka_unit_test(costs_table_and_plots_come_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
