/*
 * test_table.c -- the results loader/validator and `arenabench table` on the
 * committed fixture tests/data/small-a.json (4 variants x 4 workloads x 5
 * samples; dTLB and cycles not supported; one failed sample).
 *
 * Printed changes are checked against means computed here straight from the
 * JSON, not through the code under test.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "harness/results/results_load.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"

static void expect_invalid(const char *json_text, const char *message)
{
    json_error_t e;
    json_t *root = json_loads(json_text, 0, &e);
    assert_non_null(root);
    char err[400] = "";
    assert_int_equal(ab_results_validate(root, err, sizeof err), -1);
    if (!strstr(err, message))
        fail_msg("validate said '%s', expected '%s'", err, message);
    json_decref(root);
}

#define HEAD "{\"schema_version\":1,\"machine\":{},\"config\":{},"

static void test_validate_rejects_each_problem(void **state)
{
    (void)state;
    expect_invalid("[1,2]", "top level is not a JSON object");
    expect_invalid("{\"machine\":{}}", "missing required key \"schema_version\"");
    expect_invalid("{\"schema_version\":\"1\"}", "unknown schema_version \"1\"");
    expect_invalid("{\"schema_version\":1,\"config\":{},\"cells\":[]}", "missing required key \"machine\"");
    expect_invalid(HEAD "\"cells\":{}}", "missing required key \"cells\"");
    expect_invalid(HEAD "\"cells\":[{\"workload\":\"w\",\"samples\":[]}]}", "cells[0]: missing required key \"variant\"");
    expect_invalid(HEAD "\"cells\":[{\"variant\":\"v\",\"workload\":\"w\"}]}", "cells[0]: missing required key \"samples\"");
    expect_invalid(HEAD "\"cells\":[{\"variant\":\"v\",\"workload\":\"w\",\"samples\":[{}]}]}",
                   "cells[0].samples[0]: missing required key \"status\"");
    expect_invalid(HEAD "\"cells\":[{\"variant\":\"v\",\"workload\":\"w\",\"samples\":[{\"status\":\"meh\"}]}]}",
                   "unknown status \"meh\"");
    expect_invalid(HEAD "\"cells\":[{\"variant\":\"v\",\"workload\":\"w\",\"samples\":[]},"
                        "{\"variant\":\"v\",\"workload\":\"w\",\"samples\":[]}]}",
                   "cells[1]: duplicate cell");
    /* unknown keys are ignored, as the schema promises */
    json_t *ok = json_loads(HEAD "\"cells\":[],\"future_key\":[1]}", 0, NULL);
    char err[200];
    assert_int_equal(ab_results_validate(ok, err, sizeof err), 0);
    json_decref(ok);
}

static void test_load_errors_name_the_problem(void **state)
{
    (void)state;
    char err[600];
    assert_null(ab_results_load("/nonexistent/x.json", err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    char junk[256];
    assert_int_equal(ab_write_temp_text("{\n  \"schema_version\": 1,\n  oops\n}", junk, sizeof junk), 0);
    assert_null(ab_results_load(junk, err, sizeof err));
    assert_non_null(strstr(err, "not JSON (line 3"));
    unlink(junk);
}

static void test_accessors_on_fixture(void **state)
{
    (void)state;
    char path[1024], err[600];
    ab_fixture_path("small-a.json", path, sizeof path);
    ab_results *r = ab_results_load(path, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(r->ncells, 16);
    assert_int_equal(r->nvariants, 4);
    assert_string_equal(r->variants[0], "4k");
    assert_string_equal(r->workloads[3], "evan_jones");
    assert_true(ab_results_scale(r) == 0.1);

    const ab_results_cell *thp = ab_results_find(r, "thp", "random_prune");
    assert_non_null(thp);
    ab_metric_values mv;
    assert_int_equal(ab_cell_metric(thp, "wall_ns", &mv), 0);
    assert_int_equal(mv.n_samples, 5);
    assert_int_equal(mv.n_not_ok, 1);          /* the failed sample is left out */
    assert_int_equal(mv.n, 4);
    assert_string_equal(mv.not_ok_status, "failed");
    ab_metric_values_free(&mv);

    assert_int_equal(ab_cell_metric(thp, "counters.dTLB-load-misses", &mv), 0);
    assert_int_equal(mv.n, 0);                 /* null is "not available", never 0 */
    assert_string_equal(mv.unavailable_status, "not_supported");
    ab_metric_values_free(&mv);

    const json_t *s0 = json_array_get(json_object_get(thp->json, "samples"), 0);
    double v;
    assert_true(ab_sample_metric(s0, "counters.page-faults", &v) && v > 0);
    assert_true(ab_sample_metric(s0, "alloc.arenas_highwater", &v) && v == 24);
    assert_true(ab_sample_metric(s0, "hugepage_coverage", &v) && v == 1.0);
    assert_false(ab_sample_metric(s0, "counters.cycles", &v));
    assert_false(ab_sample_metric(s0, "alloc.no_such_field", &v));
    assert_true(ab_metric_name_valid("counters.DTLB_LOAD_MISSES.WALK_COMPLETED"));
    assert_false(ab_metric_name_valid("counters."));
    assert_false(ab_metric_name_valid("wall"));

    bool disagree;
    assert_non_null(ab_cell_checksum(thp, &disagree));
    assert_false(disagree);
    ab_results_free(r);
}

/* mem_*_kb (RSS + hugetlb) fall back to rss_*_kb only for files that
 * predate the keys; a key that is present wins, and a null stays unknown. */
static void test_mem_metrics_and_fallback(void **state)
{
    (void)state;
    double v = -1;
    json_t *old = json_loads("{\"status\":\"ok\",\"rss_peak_kb\":100,\"rss_end_kb\":40}", 0, NULL);
    assert_true(ab_metric_name_valid("mem_peak_kb") && ab_metric_name_valid("hugetlb_kb_end"));
    assert_true(ab_sample_metric(old, "mem_peak_kb", &v));
    assert_true(v == 100);
    assert_true(ab_sample_metric(old, "mem_end_kb", &v));
    assert_true(v == 40);
    assert_false(ab_sample_metric(old, "hugetlb_kb_peak", &v));
    json_decref(old);
    json_t *now = json_loads("{\"status\":\"ok\",\"rss_peak_kb\":10,\"rss_end_kb\":10,"
                             "\"mem_peak_kb\":2058,\"mem_end_kb\":null}", 0, NULL);
    assert_true(ab_sample_metric(now, "mem_peak_kb", &v));
    assert_true(v == 2058);
    assert_false(ab_sample_metric(now, "mem_end_kb", &v));
    json_decref(now);
}

/* The line of `out` that starts with `prefix`, copied into buf. */
static bool find_line(const char *out, const char *prefix, char *buf, size_t len)
{
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, prefix, strlen(prefix))) {
            size_t n = strcspn(p, "\n");
            snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
            return true;
        }
    return false;
}

/* The text between the first line equal to `title_prefix`... and the next blank line. */
static char *section(const char *out, const char *title_prefix)
{
    const char *p = strstr(out, title_prefix);
    if (!p)
        return NULL;
    const char *end = strstr(p, "\n\n");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

/* Geometric mean of new/base over the rounds both cells have, minus one. */
static double paired_change(json_t *base, json_t *cand, const char *field)
{
    json_t *bs = json_object_get(base, "samples"), *cs = json_object_get(cand, "samples");
    double sum_log = 0;
    int n = 0;
    for (size_t i = 0; i < json_array_size(bs); i++)
        for (size_t j = 0; j < json_array_size(cs); j++) {
            json_t *a = json_array_get(bs, i), *b = json_array_get(cs, j);
            if (json_integer_value(json_object_get(a, "rep")) != json_integer_value(json_object_get(b, "rep")) ||
                strcmp(json_string_value(json_object_get(a, "status")), "ok") ||
                strcmp(json_string_value(json_object_get(b, "status")), "ok"))
                continue;
            sum_log += log(json_number_value(json_object_get(b, field)) / json_number_value(json_object_get(a, field)));
            n++;
        }
    assert_true(n >= 2);
    return exp(sum_log / n) - 1;
}

static void test_table_text(void **state)
{
    (void)state;
    char path[1024], args[1200], line[1024];
    ab_fixture_path("small-a.json", path, sizeof path);
    snprintf(args, sizeof args, "table %s", path);
    char *out = NULL, *err = NULL;
    int rc = ab_test_run_arenabench(args, &out, &err);
    if (rc)
        fail_msg("table exited %d: %s", rc, err);

    /* wall time: hugetlb vs 4k on list_of_tuples, from the raw JSON: the
     * geometric mean of the ratios of samples with the same "rep" */
    json_t *root = ab_fixture_load("small-a.json");
    double change = paired_change(ab_fixture_cell(root, "4k", "list_of_tuples"),
                                  ab_fixture_cell(root, "hugetlb", "list_of_tuples"), "wall_ns");
    json_decref(root);
    char expect[32];
    snprintf(expect, sizeof expect, "%+.1f%% [", 100 * change);
    char *wall = section(out, "wall time (wall_ns), ms, change vs 4k");
    assert_non_null(wall);
    assert_non_null(strstr(wall, "4k (baseline)"));
    assert_true(find_line(wall, "list_of_tuples", line, sizeof line));
    if (!strstr(line, expect))
        fail_msg("expected '%s' in '%s'", expect, line);
    /* noreclaim is the same allocator speed: not significant, marked ~ */
    size_t len = strlen(line);
    assert_true(len > 2 && !strcmp(line + len - 2, " ~"));
    /* the failed sample is footnoted with its reason */
    assert_non_null(strstr(wall, "thp/random_prune: 1 of 5 samples left out (failed: workload returned 1"));
    free(wall);

    /* counters: not counted on a PMU-less machine -> n/a with the reason */
    assert_non_null(strstr(out, "counters.dTLB-load-misses: n/a for every cell: counter status not_supported"));
    assert_non_null(strstr(out, "counters.page-faults (event count), change vs 4k"));
    /* memory tables */
    char *hw = section(out, "arenas highwater (alloc.arenas_highwater)");
    assert_non_null(hw);
    assert_true(find_line(hw, "evan_jones", line, sizeof line));
    assert_non_null(strstr(line, "20 -50.0%"));
    free(hw);
    char *cov = section(out, "huge-page coverage");
    assert_non_null(cov);
    assert_true(find_line(cov, "fragmentation", line, sizeof line));
    assert_non_null(strstr(line, "100% +100.0 pp"));
    free(cov);
    /* The memory rows are RSS + hugetlb pages; this fixture predates the
     * mem_* keys, so they fall back to its RSS figures (checked below). */
    assert_non_null(strstr(out, "peak memory (RSS + hugetlb) (mem_peak_kb)"));
    assert_non_null(strstr(out, "end memory (RSS + hugetlb) (mem_end_kb)"));
    assert_null(strstr(out, "peak RSS (rss_peak_kb)"));
    assert_non_null(strstr(out, "arenas at the end (alloc.arenas_current)"));
    free(out);
    free(err);
}

static void test_table_md_csv_out(void **state)
{
    (void)state;
    char path[1024], args[1500], dir[] = "/tmp/abtest-table-XXXXXX";
    ab_fixture_path("small-a.json", path, sizeof path);
    assert_non_null(mkdtemp(dir));
    char *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "table %s --metric wall_ns --metric alloc.arenas_current --format md --out %s", path,
             dir);
    assert_int_equal(ab_test_run_arenabench(args, &out, &err), 0);
    assert_non_null(strstr(out, "| workload | 4k (baseline) | hugetlb | thp | noreclaim |"));
    assert_non_null(strstr(out, "|---|---:|---:|---:|---:|"));
    assert_null(strstr(out, "page-faults")); /* only the metrics asked for */
    free(out);
    free(err);
    static const char *const files[] = {"table-wall_ns.md", "table-wall_ns.csv", "table-alloc_arenas_current.md",
                                        "table-alloc_arenas_current.csv"};
    for (size_t i = 0; i < 4; i++) {
        char f[1200];
        snprintf(f, sizeof f, "%s/%s", dir, files[i]);
        char *text = ab_test_slurp(f);
        if (!text || strlen(text) < 100)
            fail_msg("%s missing or short", f);
        free(text);
        unlink(f);
    }
    rmdir(dir);

    snprintf(args, sizeof args, "table %s --metric wall_ns --format csv --baseline hugetlb", path);
    assert_int_equal(ab_test_run_arenabench(args, &out, &err), 0);
    size_t lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 1 + 16);   /* header + one line per cell */
    char line[1024];
    assert_true(find_line(out, "wall_ns,list_of_tuples,4k,hugetlb,5,5,", line, sizeof line));
    assert_non_null(strstr(line, ",yes,ok,paired-t,5"));  /* 4k is significantly slower than hugetlb */
    assert_true(find_line(out, "wall_ns,random_prune,thp,hugetlb,4,5,", line, sizeof line));
    free(out);
    free(err);
}

static void test_table_bad_input(void **state)
{
    (void)state;
    char path[1024], args[1200];
    ab_fixture_path("small-a.json", path, sizeof path);
    static const struct {
        const char *extra, *message;
    } cases[] = {
        {"--baseline nosuch", "baseline variant 'nosuch' is not in"},
        {"--metric walltime", "unknown metric 'walltime'"},
        {"--format html", "unknown format 'html'"},
    };
    char *out = NULL, *err = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "table %s %s", path, cases[i].extra);
        assert_int_equal(ab_test_run_arenabench(args, &out, &err), 2);
        if (!strstr(err, cases[i].message))
            fail_msg("'%s': stderr '%s'", cases[i].extra, err);
        free(out);
        free(err);
    }
    assert_int_equal(ab_test_run_arenabench("table /nonexistent.json", &out, &err), 2);
    assert_non_null(strstr(err, "cannot open"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_rejects_each_problem),
        cmocka_unit_test(test_load_errors_name_the_problem),
        cmocka_unit_test(test_accessors_on_fixture),
        cmocka_unit_test(test_mem_metrics_and_fallback),
        cmocka_unit_test(test_table_text),
        cmocka_unit_test(test_table_md_csv_out),
        cmocka_unit_test(test_table_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
