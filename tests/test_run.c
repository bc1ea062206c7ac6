/* test_run.c -- `arenabench run` end to end with the self-test workloads:
 * crashes, hangs and failures are recorded and the matrix goes on; checksum
 * disagreement exits 1; the results follow the README schema; the measured
 * phase's page faults, peak RSS and timeline agree with what the workload
 * did (the kernel is the oracle). */
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
#include "harness/counters/counters.h"
#include "tests/results_schema.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"

static char out_path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(out_path, sizeof out_path, "/tmp/abrun-%d.json", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(out_path);
    return 0;
}

/* Run with args, return the exit status and the parsed results (or NULL). */
static int run(const char *args, json_t **doc)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "run --quiet --out %s %s", out_path, args);
    unlink(out_path);
    char *err = NULL;
    int rc = ab_test_run_arenabench(cmd, NULL, &err);
    if (rc != 0) fprintf(stderr, "[arenabench %s] exit %d:\n%s", cmd, rc, err ? err : "");
    free(err);
    json_error_t jerr;
    *doc = json_load_file(out_path, 0, &jerr);
    return rc;
}

static json_t *cell(json_t *doc, const char *variant, const char *workload)
{
    json_t *c = ab_test_find_cell(doc, NULL, variant, workload);
    if (!c) fail_msg("no cell %s x %s", variant, workload);
    return c;
}

static void assert_valid(json_t *doc)
{
    schema_err e;
    bool ok = schema_check_results(doc, &e);
    if (!ok) fail_msg("schema: %s", e.text);
}

static const char *status_of(json_t *sample)
{
    return json_string_value(json_object_get(sample, "status"));
}

static void crash_is_recorded_and_others_complete(void **state)
{
    (void)state;
    json_t *doc;
    assert_int_equal(run("--variants 4k,thp --workloads selftest:crash,selftest:touch:50 --reps 2 --warmup 0", &doc), 1);
    assert_non_null(doc);
    assert_valid(doc);
    const char *variants[] = {"4k", "thp"};
    for (int v = 0; v < 2; v++) {
        json_t *crash = json_object_get(cell(doc, variants[v], "selftest:crash"), "samples");
        assert_int_equal(json_array_size(crash), 2);
        size_t i;
        json_t *s;
        json_array_foreach(crash, i, s) {
            assert_string_equal(status_of(s), "crashed");
            assert_int_equal(json_integer_value(json_object_get(s, "signal")), 11);
            assert_non_null(strstr(json_string_value(json_object_get(s, "reason")), "signal 11"));
            assert_true(json_is_null(json_object_get(s, "wall_ns")));
        }
        json_t *touch = json_object_get(cell(doc, variants[v], "selftest:touch:50"), "samples");
        assert_int_equal(json_array_size(touch), 2);
        json_array_foreach(touch, i, s) {
            assert_string_equal(status_of(s), "ok");
            assert_true(json_integer_value(json_object_get(s, "wall_ns")) > 0);
        }
        json_t *sum = json_object_get(json_object_get(cell(doc, variants[v], "selftest:crash"), "summary"), "wall_ns");
        assert_int_equal(json_integer_value(json_object_get(sum, "n")), 0);
        assert_true(json_is_null(json_object_get(sum, "median")));
    }
    json_decref(doc);
}

static void hang_times_out_and_failure_is_recorded(void **state)
{
    (void)state;
    json_t *doc;
    assert_int_equal(run("--variants 4k --workloads selftest:hang,selftest:fail,selftest:empty --reps 1 --warmup 0 --timeout 1", &doc), 1);
    assert_non_null(doc);
    assert_valid(doc);
    json_t *hang = json_array_get(json_object_get(cell(doc, "4k", "selftest:hang"), "samples"), 0);
    assert_string_equal(status_of(hang), "timeout");
    assert_non_null(strstr(json_string_value(json_object_get(hang, "reason")), "1 s"));
    json_t *failed = json_array_get(json_object_get(cell(doc, "4k", "selftest:fail"), "samples"), 0);
    assert_string_equal(status_of(failed), "failed");
    assert_non_null(strstr(json_string_value(json_object_get(failed, "reason")), "on purpose"));
    json_t *empty = json_array_get(json_object_get(cell(doc, "4k", "selftest:empty"), "samples"), 0);
    assert_string_equal(status_of(empty), "ok");
    json_decref(doc);
}

static void checksum_disagreement_exits_1(void **state)
{
    (void)state;
    json_t *doc;
    assert_int_equal(run("--variants 4k,thp --workloads selftest:badsum --reps 2 --warmup 0", &doc), 1);
    assert_non_null(doc);
    assert_valid(doc);
    json_t *corr = json_object_get(doc, "correctness");
    assert_true(json_is_false(json_object_get(corr, "checksums_agree")));
    json_t *mm = json_object_get(corr, "mismatches");
    assert_int_equal(json_array_size(mm), 1);
    json_t *m = json_array_get(mm, 0);
    assert_string_equal(json_string_value(json_object_get(m, "variant")), "thp");
    const char *expected = json_string_value(json_object_get(
        json_array_get(json_object_get(cell(doc, "4k", "selftest:badsum"), "samples"), 0), "checksum"));
    assert_string_equal(json_string_value(json_object_get(m, "expected")), expected);
    json_decref(doc);
}

static void all_ok_exits_0_and_validates(void **state)
{
    (void)state;
    json_t *doc;
    assert_int_equal(run("--variants 4k,mostfull --workloads selftest:touch:20,selftest:badsum --variants thp --reps 3 --warmup 1 --seed 9", &doc), 1);
    json_decref(doc);
    /* badsum disagrees by design; without it all is well: */
    assert_int_equal(run("--variants 4k,mostfull,thp --workloads selftest:touch:20,selftest:sleep:10 --reps 3 --warmup 1 --seed 9", &doc), 0);
    assert_non_null(doc);
    assert_valid(doc);
    assert_true(json_is_true(json_object_get(json_object_get(doc, "correctness"), "checksums_agree")));
    json_t *config = json_object_get(doc, "config");
    assert_int_equal(json_integer_value(json_object_get(config, "seed")), 9);
    assert_int_equal(json_array_size(json_object_get(config, "variants")), 3);
    /* Every order 0..N-1 appears once over samples and warmup samples. */
    enum { N = (3 + 1) * 6 };
    int seen[N] = {0};
    size_t i, j;
    json_t *c, *s;
    json_array_foreach(json_object_get(doc, "cells"), i, c) {
        assert_int_equal(json_array_size(json_object_get(c, "samples")), 3);
        assert_int_equal(json_array_size(json_object_get(c, "warmup_samples")), 1);
        json_array_foreach(json_object_get(c, "samples"), j, s) {
            assert_int_equal(json_integer_value(json_object_get(s, "rep")), (json_int_t)j);
            seen[json_integer_value(json_object_get(s, "order"))]++;
        }
        json_array_foreach(json_object_get(c, "warmup_samples"), j, s) seen[json_integer_value(json_object_get(s, "order"))]++;
        /* warmups run before every measured sample */
        json_int_t first_measured = N;
        json_array_foreach(json_object_get(c, "samples"), j, s)
            if (json_integer_value(json_object_get(s, "order")) < first_measured)
                first_measured = json_integer_value(json_object_get(s, "order"));
        assert_true(first_measured >= 6);
        json_t *w = json_object_get(json_object_get(c, "summary"), "wall_ns");
        assert_int_equal(json_integer_value(json_object_get(w, "n")), 3);
        assert_true(json_real_value(json_object_get(w, "min")) <= json_real_value(json_object_get(w, "median")));
        assert_true(json_real_value(json_object_get(w, "median")) <= json_real_value(json_object_get(w, "max")));
    }
    for (int k = 0; k < N; k++) assert_int_equal(seen[k], 1);
    json_decref(doc);
}

static void peak_rss_and_timeline_follow_the_workload(void **state)
{
    (void)state;
    enum { PAGES = 8000 }; /* 31 MiB, far above any noise */
    json_t *doc;
    char args[256];
    snprintf(args, sizeof args, "--variants 4k --workloads selftest:touch:%d,selftest:sleep:60,selftest:badsum --reps 1 --warmup 0", PAGES);
    run(args, &doc);
    assert_non_null(doc);
    json_t *s = json_array_get(json_object_get(cell(doc, "4k", "selftest:touch:8000"), "samples"), 0);
    assert_string_equal(status_of(s), "ok");
    json_int_t peak = json_integer_value(json_object_get(s, "rss_peak_kb"));
    json_int_t base = json_integer_value(json_object_get(s, "rss_base_kb"));
    /* VmHWM must include the touched pages (4 KiB each) on top of the
     * child's starting image, and not wildly more. */
    assert_true(peak - base >= PAGES * 4);
    assert_true(peak - base <= PAGES * 4 + 64 * 1024);

    /* A 60 ms phase at 5 ms ticks: several ticks between begin and end. */
    json_t *tl = json_object_get(json_array_get(json_object_get(cell(doc, "4k", "selftest:sleep:60"), "samples"), 0), "timeline");
    assert_true(json_is_object(tl));
    json_t *ev = json_object_get(tl, "event");
    int ticks = 0, begin = -1, end = -1;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e) {
        const char *name = json_string_value(e);
        if (!strcmp(name, "begin")) begin = (int)i;
        else if (!strcmp(name, "end")) end = (int)i;
        else if (!strcmp(name, "tick") && begin >= 0 && end < 0) ticks++;
    }
    assert_true(begin >= 0 && end > begin);
    assert_true(ticks >= 3);
    json_t *t = json_object_get(tl, "t_ns");
    for (i = 1; i < json_array_size(t); i++)
        assert_true(json_integer_value(json_array_get(t, i)) >= json_integer_value(json_array_get(t, i - 1)));

    /* badsum allocates one block: the pymalloc model maps one arena, and
     * the timeline records it through the arena hook with the count. */
    tl = json_object_get(json_array_get(json_object_get(cell(doc, "4k", "selftest:badsum"), "samples"), 0), "timeline");
    json_t *arenas = json_object_get(tl, "arenas");
    bool saw_map = false;
    json_array_foreach(json_object_get(tl, "event"), i, e)
        if (!strcmp(json_string_value(e), "map")) {
            saw_map = true;
            assert_int_equal(json_integer_value(json_array_get(arenas, i)), 1);
        }
    assert_true(saw_map);
    json_decref(doc);
}

/* The real default workloads at a small scale: every sample ok, checksums
 * agree between variants, the allocator statistics are filled in, and the
 * document follows the schema. */
static void default_workloads_validate(void **state)
{
    (void)state;
    json_t *doc;
    const char *args = ab_test_is_asan() ? "--variants 4k,thp --scale 0.005 --reps 2 --warmup 0"
                                         : "--variants 4k,thp --scale 0.02 --reps 2 --warmup 0";
    assert_int_equal(run(args, &doc), 0);
    assert_non_null(doc);
    assert_valid(doc);
    assert_true(json_is_true(json_object_get(json_object_get(doc, "correctness"), "checksums_agree")));
    size_t i, j;
    json_t *c, *s;
    json_array_foreach(json_object_get(doc, "cells"), i, c)
        json_array_foreach(json_object_get(c, "samples"), j, s) {
            json_t *alloc = json_object_get(s, "alloc");
            assert_true(json_integer_value(json_object_get(alloc, "arenas_highwater")) >= 1);
            json_t *ops = json_object_get(s, "ops");
            assert_true(json_integer_value(json_object_get(ops, "malloc")) > 0);
        }
    json_decref(doc);
}

static void no_timeline_means_null(void **state)
{
    (void)state;
    json_t *doc;
    assert_int_equal(run("--variants 4k --workloads selftest:empty --reps 1 --warmup 0 --no-timeline", &doc), 0);
    assert_valid(doc);
    json_t *s = json_array_get(json_object_get(cell(doc, "4k", "selftest:empty"), "samples"), 0);
    assert_true(json_is_null(json_object_get(s, "timeline")));
    assert_true(json_is_null(json_object_get(json_object_get(doc, "config"), "timeline_interval_ms")));
    json_decref(doc);
}

static void page_faults_of_touched_pages(void **state)
{
    (void)state;
    size_t n_default;
    ab_counters_default_events(&n_default);
    if (n_default == 0) {
        fprintf(stderr, "SKIP: the counters layer is not merged yet (no default events); page-faults cannot be counted\n");
        skip();
    }
    enum { PAGES = 2000 };
    json_t *doc;
    char args[256];
    snprintf(args, sizeof args, "--variants 4k --workloads selftest:touch:%d --reps 2 --warmup 0 --events page-faults", PAGES);
    assert_int_equal(run(args, &doc), 0);
    assert_valid(doc);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(cell(doc, "4k", "selftest:touch:2000"), "samples"), i, s) {
        json_t *pf = json_object_get(json_object_get(s, "counters"), "page-faults");
        if (!json_is_number(pf)) fail_msg("page-faults not counted: status %s", json_string_value(json_object_get(json_object_get(s, "counter_status"), "page-faults")));
        double v = json_number_value(pf);
        /* One fault per fresh page, plus the harness's own few (timeline
         * buffer pages, stack); ASan adds a shadow page per 8 app pages. */
        double slack = 64 + (ab_test_is_asan() ? PAGES / 4 : PAGES / 50);
        if (v < PAGES || v > PAGES + slack) fail_msg("page-faults %.0f for %d touched pages", v, PAGES);
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_is_recorded_and_others_complete),
        cmocka_unit_test(hang_times_out_and_failure_is_recorded),
        cmocka_unit_test(checksum_disagreement_exits_1),
        cmocka_unit_test(all_ok_exits_0_and_validates),
        cmocka_unit_test(peak_rss_and_timeline_follow_the_workload),
        cmocka_unit_test(default_workloads_validate),
        cmocka_unit_test(no_timeline_means_null),
        cmocka_unit_test(page_faults_of_touched_pages),
    };
    return cmocka_run_group_tests_name("run", tests, setup, teardown);
}
