/*
 * test_compare.c -- the statistics against independent reference values, and
 * `arenabench compare` as CI uses it: A/A passes, an injected 20% slowdown,
 * one extra arena, lost huge pages and a changed checksum fail with exit 1,
 * and every kind of unusable input exits 2 with a message saying which.
 *
 * Reference values come from tests/data/stats_oracle.py (/usr/bin/python3,
 * no scipy: exact U by enumerating all splits, t tails by Simpson
 * integration of the density) and from the scipy.stats.mannwhitneyu
 * documentation example (males/females: U = 17, exact p = 1/9, asymptotic
 * p = 0.11134688653314041).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "harness/util/report_stats.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"

static const double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
static const double t1[] = {100.2, 101.5, 99.8, 100.9, 100.4}, t2[] = {120.1, 121.9, 119.7, 121.0, 120.6};
static const double ties_a[] = {1, 2, 2, 3, 3, 3, 4}, ties_b[] = {2, 3, 4, 4, 5, 5, 6};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want) + 1e-15))
        fail_msg("got %.15g, want %.15g (relative tolerance %g)", got, want, rel);
}

static void test_descriptive(void **state)
{
    (void)state;
    double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
    assert_close(ab_stat_median(odd, 3), 3, 0);
    assert_close(ab_stat_median(even, 4), 2.5, 0);
    assert_close(ab_stat_mean(even, 4), 2.5, 0);
    /* sample sd of 1,2,3,4 = sqrt(5/3) */
    assert_close(ab_stat_stddev(even, 4), sqrt(5.0 / 3), 1e-15);
    assert_true(isnan(ab_stat_median(odd, 0)));
    /* the input is not reordered */
    assert_true(odd[0] == 5 && odd[1] == 1);
}

static void test_mann_whitney_exact(void **state)
{
    (void)state;
    ab_test_result r = ab_mann_whitney_u(males, N(males), females, N(females));
    assert_true(r.valid && r.exact);
    assert_close(r.statistic, 17, 0);
    assert_close(r.p, 1.0 / 9, 1e-12);
    /* swapping the samples mirrors U and keeps p */
    ab_test_result s = ab_mann_whitney_u(females, N(females), males, N(males));
    assert_close(s.statistic, 20 - 17, 0);
    assert_close(s.p, r.p, 1e-12);
    /* complete separation of 5 vs 5: p = 2 / C(10,5) */
    ab_test_result sep = ab_mann_whitney_u(t1, N(t1), t2, N(t2));
    assert_close(sep.statistic, 0, 0);
    assert_close(sep.p, 2.0 / 252, 1e-12);
}

static void test_mann_whitney_normal_with_ties(void **state)
{
    (void)state;
    ab_test_result r = ab_mann_whitney_u(ties_a, N(ties_a), ties_b, N(ties_b));
    assert_true(r.valid && !r.exact);
    assert_close(r.statistic, 8.5, 0);
    assert_close(r.p, 0.0430514327289452, 1e-9);
    /* all values equal: no evidence of a difference */
    double same[] = {7, 7, 7};
    ab_test_result z = ab_mann_whitney_u(same, 3, same, 3);
    assert_close(z.p, 1, 0);
}

static void test_mann_whitney_large_uses_normal(void **state)
{
    (void)state;
    /* 25 vs 25 interleaved without ties: U = 25*25/2 +- small, p large */
    double a[25], b[25];
    for (int i = 0; i < 25; i++) {
        a[i] = 2 * i;
        b[i] = 2 * i + 1;
    }
    ab_test_result r = ab_mann_whitney_u(a, 25, b, 25);
    assert_false(r.exact);
    /* U_a = sum over a of #b below = 0+1+...+24 = 300; mu = 312.5,
     * sigma = sqrt(25*25*51/12); z = (12.5-0.5)/sigma */
    double z = 12.0 / sqrt(25.0 * 25 * 51 / 12);
    assert_close(r.statistic, 300, 0);
    assert_close(r.p, erfc(z / sqrt(2.0)), 1e-12);
}

static void test_student_t(void **state)
{
    (void)state;
    assert_close(ab_student_t_quantile(0.975, 4), 2.7764451052, 1e-8);
    assert_close(ab_student_t_quantile(0.975, 7.3), 2.3450667365, 1e-8);
    assert_close(ab_student_t_quantile(0.025, 4), -2.7764451052, 1e-8);
    assert_close(ab_student_t_cdf(1.5, 3), 0.884708067378, 1e-9);
    assert_close(ab_student_t_cdf(0, 3), 0.5, 1e-15);
    /* df = 1 is Cauchy: F(t) = 1/2 + atan(t)/pi */
    assert_close(ab_student_t_cdf(2, 1), 0.5 + atan(2) / M_PI, 1e-12);
}

static void test_welch(void **state)
{
    (void)state;
    ab_test_result r = ab_welch_t(t1, N(t1), t2, N(t2));
    assert_true(r.valid);
    assert_close(r.statistic, 41.8024891231, 1e-9);
    assert_close(r.df, 7.52634261593, 1e-9);
    assert_close(r.p, 3.46717210498e-10, 1e-3); /* oracle integrates numerically */
    ab_test_result s = ab_welch_t(males, N(males), females, N(females));
    assert_close(s.statistic, -2.28314825569, 1e-9);
    assert_close(s.df, 6.92883748285, 1e-9);
    assert_close(s.p, 0.0567509259219, 1e-6);
    double one[] = {1};
    assert_false(ab_welch_t(one, 1, t1, N(t1)).valid);
}

static void test_relative_change(void **state)
{
    (void)state;
    ab_rel_change c = ab_relative_change(t1, N(t1), t2, N(t2), 0.95);
    assert_true(c.valid);
    assert_close(c.change, 0.199880668258, 1e-10);
    assert_close(c.lo, 0.188028541779, 1e-7);
    assert_close(c.hi, 0.211851035080, 1e-7);
    ab_rel_change d = ab_relative_change(males, N(males), females, N(females), 0.95);
    assert_close(d.change, -0.318181818182, 1e-10);
    assert_close(d.lo, -0.556470739707, 1e-7);
    assert_close(d.hi, 0.048129344952, 1e-6);
    /* constant samples: exact change, zero-width interval */
    double a[] = {60, 60, 60}, b[] = {61, 61, 61}, zero[] = {0, 0};
    ab_rel_change e = ab_relative_change(a, 3, b, 3, 0.95);
    assert_close(e.change, 1.0 / 60, 1e-12);
    assert_close(e.lo, e.hi, 0);
    assert_false(ab_relative_change(zero, 2, b, 3, 0.95).valid);
}

/* ---- the command ------------------------------------------------------ */

typedef void (*editor)(json_t *root);

/* Run compare BASE NEW [extra] where NEW is small-b.json edited by `edit`. */
static int compare_edited(const char *base_fixture, editor edit, const char *extra, char **out, char **err)
{
    json_t *root = ab_fixture_load("small-b.json");
    assert_non_null(root);
    if (edit)
        edit(root);
    char newp[256], basep[1024], args[2048];
    assert_int_equal(ab_write_temp_json(root, newp, sizeof newp), 0);
    json_decref(root);
    ab_fixture_path(base_fixture, basep, sizeof basep);
    snprintf(args, sizeof args, "compare %s %s %s", basep, newp, extra ? extra : "");
    int rc = ab_test_run_arenabench(args, out, err);
    unlink(newp);
    return rc;
}

static void scale_field(json_t *cell, const char *field, double factor)
{
    json_t *samples = json_object_get(cell, "samples");
    for (size_t i = 0; i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i);
        json_t *v = json_object_get(s, field);
        if (json_is_number(v))
            json_object_set_new(s, field, json_integer((json_int_t)(json_number_value(v) * factor)));
    }
}

static void slow_down_everything(json_t *root)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++)
        scale_field(json_array_get(cells, i), "wall_ns", 1.20);
}

static void speed_up_everything(json_t *root)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++)
        scale_field(json_array_get(cells, i), "wall_ns", 0.80);
}

static void for_each_sample_alloc(json_t *cell, const char *field, json_int_t delta, bool zero)
{
    json_t *samples = json_object_get(cell, "samples");
    for (size_t i = 0; i < json_array_size(samples); i++) {
        json_t *alloc = json_object_get(json_array_get(samples, i), "alloc");
        json_t *v = json_object_get(alloc, field);
        if (json_is_integer(v))
            json_object_set_new(alloc, field, json_integer(zero ? 0 : json_integer_value(v) + delta));
    }
}

static void one_extra_arena(json_t *root)
{
    for_each_sample_alloc(ab_fixture_cell(root, "4k", "evan_jones"), "arenas_highwater", 1, false);
}

static void lose_huge_pages(json_t *root)
{
    for_each_sample_alloc(ab_fixture_cell(root, "thp", "fragmentation"), "hugepage_bytes", 0, true);
}

static void change_checksum(json_t *root)
{
    json_t *samples = json_object_get(ab_fixture_cell(root, "hugetlb", "list_of_tuples"), "samples");
    for (size_t i = 0; i < json_array_size(samples); i++)
        json_object_set_new(json_array_get(samples, i), "checksum", json_string("00000000deadbeef"));
}

static void crash_one_sample(json_t *root)
{
    json_t *s = json_array_get(json_object_get(ab_fixture_cell(root, "noreclaim", "random_prune"), "samples"), 3);
    json_object_set_new(s, "status", json_string("crashed"));
    json_object_set_new(s, "reason", json_string("killed by signal 11 (Segmentation fault)"));
}

static void other_kernel(json_t *root)
{
    json_object_set_new(json_object_get(root, "machine"), "kernel", json_string("6.18.3-other"));
}

static void other_seed_and_checksums(json_t *root)
{
    json_object_set_new(json_object_get(root, "config"), "seed", json_integer(99));
    change_checksum(root);
}

static void other_scale(json_t *root)
{
    json_object_set_new(json_object_get(root, "config"), "scale", json_real(1.0));
}

static void rename_workloads(json_t *root)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++)
        json_object_set_new(json_array_get(cells, i), "workload", json_string("renamed"));
    /* keep cells unique: give each its own variant */
    for (size_t i = 0; i < json_array_size(cells); i++) {
        char v[32];
        snprintf(v, sizeof v, "v%zu", i);
        json_object_set_new(json_array_get(cells, i), "variant", json_string(v));
    }
}

static void unknown_version(json_t *root)
{
    json_object_set_new(root, "schema_version", json_integer(2));
}

static void drop_cells(json_t *root)
{
    json_object_del(root, "cells");
}

#define GATE_METRICS "--metrics alloc.arenas_highwater,alloc.arenas_current,hugepage_coverage,checksum," \
                     "counters.page-faults=5,rss_peak_kb=10,rss_end_kb=10"

static void test_aa_no_regression(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", NULL, "", &out, &err);
    if (rc != 0)
        fail_msg("A/A compare exited %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "no regression"));
    assert_null(strstr(out, "REGRESSION"));
    /* the default metrics include counters the fixture could not count */
    assert_non_null(strstr(err, "counters.dTLB-load-misses is not available"));
    free(out);
    free(err);
}

/* The sample-level tests (--test mwu|welch) treat two runs' samples as one
 * population; a uniform slowdown of one run is then a regression everywhere.
 * (The default, which respects run-to-run noise, is tests/test_compare_noise.c's.) */
static void test_slowdown_20pct_is_regression(void **state)
{
    (void)state;
    static const char *const tests[] = {"--test mwu", "--test welch"};
    for (size_t t = 0; t < 2; t++) {
        char *out = NULL, *err = NULL;
        int rc = compare_edited("small-a.json", slow_down_everything, tests[t], &out, &err);
        if (rc != 1)
            fail_msg("slowdown (%s) exited %d\n%s\n%s", tests[t], rc, out, err);
        /* every one of the 16 cells is listed */
        size_t listed = 0;
        for (const char *p = out; (p = strstr(p, "REGRESSION ")); p++)
            listed += strstr(p, " wall_ns: ") && strstr(p, " wall_ns: ") < strchr(p, '\n');
        assert_int_equal(listed, 16);
        assert_non_null(strstr(out, "16 regressions"));
        free(out);
        free(err);
    }
}

static void test_speedup_is_better_not_regression(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", speed_up_everything, "--metrics wall_ns --test mwu", &out, &err);
    assert_int_equal(rc, 0);
    /* summary row: metric, better=16, worse=0 */
    const char *row = strstr(out, "\nwall_ns ");
    assert_non_null(row);
    int better = -1, worse = -1;
    assert_int_equal(sscanf(row, " wall_ns %d %d", &better, &worse), 2);
    assert_int_equal(better, 16);
    assert_int_equal(worse, 0);
    free(out);
    free(err);
}

static void test_extra_arena_fails_gate(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", one_extra_arena, GATE_METRICS, &out, &err);
    if (rc != 1)
        fail_msg("extra arena: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "REGRESSION 4k/evan_jones alloc.arenas_highwater: 40 -> 41"));
    assert_non_null(strstr(out, "1 regression:"));
    free(out);
    free(err);
}

static void test_lost_huge_pages_fail_gate(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", lose_huge_pages, GATE_METRICS, &out, &err);
    if (rc != 1)
        fail_msg("lost huge pages: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "REGRESSION thp/fragmentation hugepage_coverage: 100% -> 0%"));
    free(out);
    free(err);
}

static void test_checksum_change_is_correctness_failure(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", change_checksum, GATE_METRICS, &out, &err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "REGRESSION hugetlb/list_of_tuples checksum: CORRECTNESS"));
    free(out);
    free(err);
}

static void test_new_crash_is_regression(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", crash_one_sample, GATE_METRICS, &out, &err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "REGRESSION noreclaim/random_prune samples: 1 of 5 NEW samples not ok (BASE: 0) - "
                                "crashed: killed by signal 11"));
    free(out);
    free(err);
}

static void test_machine_difference_warns(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", other_kernel, GATE_METRICS, &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(err, "warning: different machine.kernel"));
    free(out);
    free(err);
}

static void test_other_seed_skips_checksums(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", other_seed_and_checksums, GATE_METRICS, &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(err, "different config.seed; checksums are not compared"));
    free(out);
    free(err);
}

static void expect_usage_error(editor edit, const char *extra, const char *message)
{
    char *out = NULL, *err = NULL;
    int rc = compare_edited("small-a.json", edit, extra, &out, &err);
    if (rc != 2 || !strstr(err, message))
        fail_msg("expected exit 2 with '%s'; got %d\nstderr: %s", message, rc, err);
    free(out);
    free(err);
}

static void test_unusable_input_exits_2(void **state)
{
    (void)state;
    expect_usage_error(other_scale, "", "different scales");
    expect_usage_error(rename_workloads, "", "no cells in common");
    expect_usage_error(unknown_version, "", "unknown schema_version 2");
    expect_usage_error(drop_cells, "", "missing required key \"cells\"");
    expect_usage_error(NULL, "--metrics no_such_metric", "unknown metric 'no_such_metric'");
    expect_usage_error(NULL, "--alpha 7", "--alpha must be a number");
    expect_usage_error(NULL, "--threshold abc", "--threshold must be a number");
    expect_usage_error(NULL, "--test sign", "unknown test 'sign'");

    char *out = NULL, *err = NULL, base[1024], args[2200], junk[256];
    ab_fixture_path("small-a.json", base, sizeof base);
    snprintf(args, sizeof args, "compare %s /nonexistent/new.json", base);
    assert_int_equal(ab_test_run_arenabench(args, &out, &err), 2);
    assert_non_null(strstr(err, "NEW /nonexistent/new.json: cannot open"));
    free(out);
    free(err);

    assert_int_equal(ab_write_temp_text("{\"schema_version\": 1, \"cells\": [", junk, sizeof junk), 0);
    snprintf(args, sizeof args, "compare %s %s", junk, base);
    assert_int_equal(ab_test_run_arenabench(args, &out, &err), 2);
    assert_non_null(strstr(err, "BASE"));
    assert_non_null(strstr(err, "not JSON"));
    unlink(junk);
    free(out);
    free(err);

    snprintf(args, sizeof args, "compare %s", base);
    assert_int_equal(ab_test_run_arenabench(args, &out, &err), 2);
    assert_non_null(strstr(err, "expected two results files"));
    free(out);
    free(err);
}

/* The gate's metric list, read from harness/ci-gate.metrics like the script does. */
static void gate_metrics_arg(char *buf, size_t len)
{
    char path[1024];
    const char *src = getenv("AB_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/harness/ci-gate.metrics", src && *src ? src : ".");
    char *text = ab_test_slurp(path);
    assert_non_null(text);
    snprintf(buf, len, "--metrics ");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !line[0])
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", buf[used - 1] == ' ' ? "" : ",", line);
    }
    free(text);
}

/* Every sample's alloc.FIELD of the cells whose variant starts with prefix. */
static size_t edit_alloc(json_t *root, const char *variant_prefix, const char *field, json_int_t delta, bool zero,
                         size_t max_cells)
{
    json_t *cells = json_object_get(root, "cells");
    size_t edited = 0;
    for (size_t i = 0; i < json_array_size(cells) && edited < max_cells; i++) {
        json_t *c = json_array_get(cells, i);
        const char *v = json_string_value(json_object_get(c, "variant"));
        if (strncmp(v, variant_prefix, strlen(variant_prefix)))
            continue;
        json_t *samples = json_object_get(c, "samples");
        bool any = false;
        for (size_t k = 0; k < json_array_size(samples); k++) {
            json_t *alloc = json_object_get(json_array_get(samples, k), "alloc");
            json_t *val = json_object_get(alloc, field);
            if (!json_is_integer(val) || (zero && json_integer_value(val) == 0))
                continue;
            json_object_set_new(alloc, field, json_integer(zero ? 0 : json_integer_value(val) + delta));
            any = true;
        }
        edited += any;
    }
    return edited;
}

/* Scale samples[*].KEY of the cells of one variant; returns samples edited. */
static size_t scale_sample_key(json_t *root, const char *variant, const char *key, double factor)
{
    json_t *cells = json_object_get(root, "cells");
    size_t edited = 0;
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (strcmp(json_string_value(json_object_get(c, "variant")), variant))
            continue;
        json_t *samples = json_object_get(c, "samples");
        for (size_t k = 0; k < json_array_size(samples); k++) {
            json_t *s = json_array_get(samples, k);
            json_t *val = json_object_get(s, key);
            if (!json_is_integer(val))
                continue;
            json_object_set_new(s, key, json_integer((json_int_t)(json_integer_value(val) * factor)));
            edited++;
        }
    }
    return edited;
}

/*
 * The committed CI baseline: compared with itself it passes the gate; a copy
 * where one cell keeps one more arena, or where the thp cells lost their huge
 * pages, fails it.  This is what `make ci-gate` would see from such a change
 * in the model.
 */
static void test_gate_on_committed_baseline(void **state)
{
    (void)state;
    char base[1024], metrics[2048], args[8192], edited[256];
    const char *src = getenv("AB_SOURCE_DIR");
    snprintf(base, sizeof base, "%s/results/baseline-ci.json", src && *src ? src : ".");
    json_error_t e;
    json_t *root = json_load_file(base, 0, &e);
    if (!root) {
        print_message("results/baseline-ci.json not committed yet (make ci-baseline): %s\n", e.text);
        skip();
    }
    gate_metrics_arg(metrics, sizeof metrics);
    char *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "compare %s %s %s", base, base, metrics);
    int rc = ab_test_run_arenabench(args, &out, &err);
    if (rc != 0)
        fail_msg("baseline vs itself: exit %d\n%s\n%s", rc, out, err);
    free(out);
    free(err);

    json_t *more = json_deep_copy(root);
    assert_int_equal(edit_alloc(more, "4k", "arenas_highwater", 1, false, 1), 1);
    assert_int_equal(ab_write_temp_json(more, edited, sizeof edited), 0);
    snprintf(args, sizeof args, "compare %s %s %s", base, edited, metrics);
    rc = ab_test_run_arenabench(args, &out, &err);
    if (rc != 1 || !strstr(out, "alloc.arenas_highwater"))
        fail_msg("one extra arena: exit %d\n%s\n%s", rc, out, err);
    unlink(edited);
    free(out);
    free(err);
    json_decref(more);

    /* The hugetlb preset's arenas are outside RSS: a growth of its
     * hugetlb pages shows only in mem_peak_kb, which the gate must see. */
    json_t *grown = json_deep_copy(root);
    if (scale_sample_key(grown, "hugetlb", "mem_peak_kb", 1.3) == 0) {
        print_message("the baseline has no hugetlb mem_peak_kb (made before it existed?)\n");
    } else {
        assert_int_equal(ab_write_temp_json(grown, edited, sizeof edited), 0);
        snprintf(args, sizeof args, "compare %s %s %s", base, edited, metrics);
        rc = ab_test_run_arenabench(args, &out, &err);
        if (rc != 1 || !strstr(out, "mem_peak_kb"))
            fail_msg("hugetlb memory +30%%: exit %d\n%s\n%s", rc, out, err);
        unlink(edited);
        free(out);
        free(err);
    }
    json_decref(grown);

    json_t *flat = json_deep_copy(root);
    if (!edit_alloc(flat, "thp", "hugepage_bytes", 0, true, 1000)) {
        json_decref(flat);
        json_decref(root);
        print_message("the baseline's thp cells have no huge pages (THP off where it was made?)\n");
        skip();
    }
    assert_int_equal(ab_write_temp_json(flat, edited, sizeof edited), 0);
    snprintf(args, sizeof args, "compare %s %s %s", base, edited, metrics);
    rc = ab_test_run_arenabench(args, &out, &err);
    if (rc != 1 || !strstr(out, "hugepage_coverage"))
        fail_msg("lost huge pages: exit %d\n%s\n%s", rc, out, err);
    unlink(edited);
    free(out);
    free(err);
    json_decref(flat);
    json_decref(root);
}

/* Run a small matrix with the driver under test, ASLR off as the gate runs it.
 * Returns its exit status; *err gets its stderr. */
static int run_small_matrix(const char *out_path, char **err)
{
    char errp[] = "/tmp/abtest-run-err-XXXXXX", cmd[2048];
    int fd = mkstemp(errp);
    assert_true(fd >= 0);
    close(fd);
    /* Under ASan everything is slower: scale down further. */
    const char *scale = ab_test_is_asan() ? "0.01" : "0.03";
    snprintf(cmd, sizeof cmd,
             "setarch \"$(uname -m)\" -R %s run --variants 4k,thp --workloads fragmentation,list_of_tuples "
             "--scale %s --reps 5 --warmup 0 --events page-faults --no-timeline --quiet --out %s >/dev/null 2>%s",
             ab_test_arenabench(), scale, out_path, errp);
    int st = system(cmd);
    *err = ab_test_slurp(errp);
    unlink(errp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/*
 * A/A with the real driver: two runs of the same binary compare clean on the
 * gate's metrics.  Skips (saying why) while the runner or the workloads are
 * not in this build.
 */
static void test_aa_two_real_runs(void **state)
{
    (void)state;
    char a[] = "/tmp/abtest-aa1-XXXXXX.json", b[] = "/tmp/abtest-aa2-XXXXXX.json";
    int fa = mkstemps(a, 5), fb = mkstemps(b, 5);
    assert_true(fa >= 0 && fb >= 0);
    close(fa);
    close(fb);
    char *err = NULL;
    int rc = run_small_matrix(a, &err);
    if (rc == 2 && err && (strstr(err, "not built yet") || strstr(err, "unknown"))) {
        print_message("arenabench run cannot run this matrix in this build yet: %s\n", err);
        free(err);
        unlink(a);
        unlink(b);
        skip();
    }
    if (rc != 0)
        fail_msg("run 1 exited %d: %s", rc, err);
    free(err);
    rc = run_small_matrix(b, &err);
    if (rc != 0)
        fail_msg("run 2 exited %d: %s", rc, err);
    free(err);
    char metrics[2048], args[8192];
    gate_metrics_arg(metrics, sizeof metrics);
    snprintf(args, sizeof args, "compare %s %s %s", a, b, metrics);
    char *out = NULL;
    rc = ab_test_run_arenabench(args, &out, &err);
    if (rc != 0)
        fail_msg("A/A of two real runs: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "4 cells in common"));
    free(out);
    free(err);
    unlink(a);
    unlink(b);
}

static void test_help_names_the_test(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(ab_test_run_arenabench("compare --help", &out, &err), 0);
    assert_non_null(strstr(out, "Mann-Whitney U"));
    assert_non_null(strstr(out, "Welch"));
    assert_non_null(strstr(out, "exit status"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptive),
        cmocka_unit_test(test_mann_whitney_exact),
        cmocka_unit_test(test_mann_whitney_normal_with_ties),
        cmocka_unit_test(test_mann_whitney_large_uses_normal),
        cmocka_unit_test(test_student_t),
        cmocka_unit_test(test_welch),
        cmocka_unit_test(test_relative_change),
        cmocka_unit_test(test_aa_no_regression),
        cmocka_unit_test(test_slowdown_20pct_is_regression),
        cmocka_unit_test(test_speedup_is_better_not_regression),
        cmocka_unit_test(test_extra_arena_fails_gate),
        cmocka_unit_test(test_lost_huge_pages_fail_gate),
        cmocka_unit_test(test_checksum_change_is_correctness_failure),
        cmocka_unit_test(test_new_crash_is_regression),
        cmocka_unit_test(test_machine_difference_warns),
        cmocka_unit_test(test_other_seed_skips_checksums),
        cmocka_unit_test(test_unusable_input_exits_2),
        cmocka_unit_test(test_gate_on_committed_baseline),
        cmocka_unit_test(test_aa_two_real_runs),
        cmocka_unit_test(test_help_names_the_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
