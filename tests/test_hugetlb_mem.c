/* test_hugetlb_mem.c -- hugetlb pages are part of a sample's memory.
 *
 * Linux leaves MAP_HUGETLB pages out of VmRSS, VmHWM and statm, so RSS alone
 * made the hugetlb variant look ~10x smaller than 4k.  Checked here:
 *   - the /proc/PID/status parser (pure function, every edge the kernel's
 *     text can present) and the meter against this process's own status;
 *   - end to end, as root with huge pages reserved by `run --hugepages`:
 *     hugetlb_kb_peak covers every 2 MiB arena that was mapped at the
 *     arena highwater (the allocator's own count is the oracle: one touched
 *     MAP_HUGETLB arena is exactly arena_size of HugetlbPages), with and
 *     without the timeline, so the peak of arenas filled and freed between
 *     timeline ticks is not lost; mem_* = rss_* + hugetlb_*; and the
 *     hugetlb variant's memory is within a sane factor of 4k's.
 * Skips with a message when not root or the pool cannot be reserved. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/system/hugetlb_status.h"
#include "tests/results_schema.h"
#include "tests/testutil.h"

/* evan_jones at this scale peaks at 12 hugetlb arenas of 2 MiB (24 MiB)
 * with ~28 MiB peak RSS for 4k; far above the harness's own few MiB. */
#define SCALE "0.25"
/* More than the 12 arenas the run needs, so no arena falls back. */
#define RESERVE_PAGES 32

static void parser_reads_the_kernel_format(void **state)
{
    (void)state;
    static const char status[] =
        "Name:\ttest\nVmPeak:\t  10000 kB\nVmHWM:\t    4321 kB\nVmRSS:\t    4000 kB\n"
        "Hugetlb:\t 999 kB\nHugetlbPages:\t   20480 kB\nThreads:\t1\nLast:\t7 kB";
    size_t len = sizeof status - 1;
    assert_int_equal(ab_status_field_kb(status, len, "HugetlbPages"), 20480);
    assert_int_equal(ab_status_field_kb(status, len, "VmHWM"), 4321);
    assert_int_equal(ab_status_field_kb(status, len, "VmRSS"), 4000);
    /* A key that is a prefix of another line's key matches only its own. */
    assert_int_equal(ab_status_field_kb(status, len, "Hugetlb"), 999);
    assert_int_equal(ab_status_field_kb(status, len, "VmRS"), -1);
    /* Last line without a newline; absent key; not at a line start. */
    assert_int_equal(ab_status_field_kb(status, len, "Last"), 7);
    assert_int_equal(ab_status_field_kb(status, len, "Missing"), -1);
    assert_int_equal(ab_status_field_kb(status, len, "Pages"), -1);
    /* The length bounds the scan: text after it is not read, and a line
     * cut before its number is "absent", not 0. */
    const char *cut = strstr(status, "HugetlbPages:");
    assert_int_equal(ab_status_field_kb(status, (size_t)(cut - status), "HugetlbPages"), -1);
    assert_int_equal(ab_status_field_kb(status, (size_t)(cut - status) + 13, "HugetlbPages"), -1);
    assert_int_equal(ab_status_field_kb("HugetlbPages:\tx kB\n", 19, "HugetlbPages"), -1);
    assert_int_equal(ab_status_field_kb("", 0, "HugetlbPages"), -1);
}

/* The meter against the kernel's own text, read independently with stdio. */
static void meter_matches_proc_self_status(void **state)
{
    (void)state;
    char *text = ab_test_slurp("/proc/self/status");
    assert_non_null(text);
    int64_t expect = ab_status_field_kb(text, strlen(text), "HugetlbPages");
    free(text);
    if (expect < 0) {
        fprintf(stderr, "SKIP: this kernel's /proc/self/status has no HugetlbPages line\n");
        skip();
    }
    ab_hugetlb_meter m;
    assert_int_equal(ab_hugetlb_meter_open(&m), 0);
    assert_int_equal(ab_hugetlb_meter_peak(&m), -1);
    assert_int_equal(ab_hugetlb_meter_read(&m), expect);
    assert_int_equal(ab_hugetlb_meter_peak(&m), expect);
    ab_hugetlb_meter_close(&m);
    assert_int_equal(ab_hugetlb_meter_read(&m), -1);
}

static json_t *run_doc(const char *extra, bool *skipped)
{
    char path[64], args[512];
    snprintf(path, sizeof path, "/tmp/abhugemem-%d.json", (int)getpid());
    snprintf(args, sizeof args,
             "run --variants 4k,hugetlb --workloads evan_jones --scale " SCALE
             " --reps 1 --warmup 0 --hugepages %d %s --out %s --quiet",
             RESERVE_PAGES, extra, path);
    char *err = NULL;
    int rc = ab_test_run_arenabench(args, NULL, &err);
    json_error_t jerr;
    json_t *doc = rc == 0 ? json_load_file(path, 0, &jerr) : NULL;
    unlink(path);
    if (!doc) fail_msg("arenabench %s exited %d: %s", args, rc, err ? err : "");
    free(err);
    json_int_t got = json_integer_value(json_object_get(json_object_get(doc, "config"), "hugepages_free_at_start"));
    if (got < RESERVE_PAGES) {
        fprintf(stderr, "SKIP: only %lld huge pages could be reserved (need %d)\n", (long long)got, RESERVE_PAGES);
        json_decref(doc);
        *skipped = true;
        return NULL;
    }
    schema_err e;
    if (!schema_check_results(doc, &e)) fail_msg("schema: %s", e.text);
    return doc;
}

static json_t *sample_of(json_t *doc, const char *variant)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cells"), i, c)
        if (!strcmp(json_string_value(json_object_get(c, "variant")), variant)) {
            json_t *s = json_array_get(json_object_get(c, "samples"), 0);
            assert_string_equal(json_string_value(json_object_get(s, "status")), "ok");
            return s;
        }
    fail_msg("no cell for %s", variant);
    return NULL;
}

static json_int_t num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) fail_msg("%s is not an integer", key);
    return json_integer_value(v);
}

static void check_run(json_t *doc, bool timeline)
{
    json_t *huge = sample_of(doc, "hugetlb"), *small = sample_of(doc, "4k");
    json_t *alloc = json_object_get(huge, "alloc");
    json_int_t hw = num(alloc, "arenas_highwater"), cur = num(alloc, "arenas_current");
    json_int_t fallbacks = num(alloc, "hugetlb_fallbacks"), arena_kb = num(alloc, "arena_size") / 1024;
    if (num(alloc, "hugetlb_skipped") > 0) {
        fprintf(stderr, "SKIP: the huge page size does not divide the 2 MiB arena here\n");
        skip();
    }
    assert_true(hw >= 4);
    assert_true(cur < hw); /* the workload frees arenas: the peak is not the end */
    /* At the highwater hw arenas were mapped at once, each touched (a pool
     * was carved from it), each a whole huge-page mapping unless it fell
     * back; nothing else in the child maps hugetlb pages. */
    json_int_t peak = num(huge, "hugetlb_kb_peak"), end = num(huge, "hugetlb_kb_end");
    if (peak < (hw - fallbacks) * arena_kb)
        fail_msg("hugetlb_kb_peak %lld kB < %lld arenas x %lld kB (timeline %s)", (long long)peak,
                 (long long)(hw - fallbacks), (long long)arena_kb, timeline ? "on" : "off");
    assert_true(peak <= hw * arena_kb);
    assert_true(end >= (cur - fallbacks) * arena_kb && end <= cur * arena_kb);
    assert_int_equal(num(huge, "mem_peak_kb"), num(huge, "rss_peak_kb") + peak);
    assert_int_equal(num(huge, "mem_end_kb"), num(huge, "rss_end_kb") + end);
    /* 4k maps no hugetlb pages: its mem figures are its RSS. */
    assert_int_equal(num(small, "hugetlb_kb_peak"), 0);
    assert_int_equal(num(small, "mem_peak_kb"), num(small, "rss_peak_kb"));
    assert_int_equal(num(small, "mem_end_kb"), num(small, "rss_end_kb"));
    /* Both hold the same objects in arenas of the same total size; before
     * the fix hugetlb's figure was ~1/5 of 4k's here (RSS only). */
    double ratio = (double)num(huge, "mem_peak_kb") / (double)num(small, "mem_peak_kb");
    if (ratio < 0.5 || ratio > 2.5)
        fail_msg("mem_peak_kb hugetlb/4k = %.2f, expected within [0.5, 2.5]", ratio);

    json_t *tl = json_object_get(huge, "timeline"), *tl4 = json_object_get(small, "timeline");
    if (!timeline) {
        assert_true(json_is_null(tl));
        return;
    }
    assert_true(json_is_true(json_object_get(tl, "hugetlb_sampled")));
    assert_true(json_is_false(json_object_get(tl4, "hugetlb_sampled")));
    size_t i;
    json_t *v;
    json_int_t tl_max = 0;
    json_array_foreach(json_object_get(tl, "hugetlb_kb"), i, v) {
        assert_true(json_is_integer(v));
        if (json_integer_value(v) > tl_max) tl_max = json_integer_value(v);
    }
    /* The timeline samples the same counter; the sample's peak covers it. */
    assert_true(tl_max > 0 && tl_max <= peak);
    json_array_foreach(json_object_get(tl4, "hugetlb_kb"), i, v) assert_int_equal(json_integer_value(v), 0);
}

static bool can_reserve(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: needs root to reserve huge pages (/proc/sys/vm/nr_hugepages)\n");
        return false;
    }
    return true;
}

static void hugetlb_memory_with_timeline(void **state)
{
    (void)state;
    if (!can_reserve()) skip();
    bool skipped = false;
    json_t *doc = run_doc("", &skipped);
    if (skipped) skip();
    check_run(doc, true);
    json_decref(doc);
}

/* Without the timeline only the arena events and the unmap probe read
 * HugetlbPages; the probe is what sees an arena's pages before munmap. */
static void hugetlb_memory_without_timeline(void **state)
{
    (void)state;
    if (!can_reserve()) skip();
    bool skipped = false;
    json_t *doc = run_doc("--no-timeline", &skipped);
    if (skipped) skip();
    check_run(doc, false);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_reads_the_kernel_format),
        cmocka_unit_test(meter_matches_proc_self_status),
        cmocka_unit_test(hugetlb_memory_with_timeline),
        cmocka_unit_test(hugetlb_memory_without_timeline),
    };
    return cmocka_run_group_tests_name("hugetlb_mem", tests, NULL, NULL);
}
