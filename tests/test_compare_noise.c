/*
 * test_compare_noise.c -- `compare` on noisy metrics the way issue 11 asks:
 *   - within one file, cells of two variants (or builds) pair by round: a 5%
 *     slowdown of every round is found even where the rounds differ far more
 *     than 5%, and pairing follows "rep", not the samples' positions;
 *   - across runs, one run per side: a change that moved every cell alike is
 *     inconclusive (it cannot be told from a slower machine), a change of one
 *     cell that stands out from the others is a regression;
 *   - several runs per side (files or directories): the run is the unit;
 *   - counts have an absolute floor: 9 -> 10 page faults is not a regression.
 * The files are the committed fixture, edited.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "tests/reportutil.h"
#include "tests/testutil.h"

#define FIXTURE "small-a.json"
#define NWORKLOADS 4

static const char *const workloads[NWORKLOADS] = {"list_of_tuples", "fragmentation", "evan_jones", "random_prune"};

typedef void (*editor)(json_t *root, double arg);

static void scale_samples(json_t *cell, const char *field, double factor)
{
    json_t *samples = json_object_get(cell, "samples");
    for (size_t i = 0; i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i);
        json_t *v = json_object_get(s, field);
        if (json_is_number(v))
            json_object_set_new(s, field, json_real(json_number_value(v) * factor));
    }
}

static void scale_everything(json_t *root, double factor)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++)
        scale_samples(json_array_get(cells, i), "wall_ns", factor);
}

/* Per-round spread of the copy's ratio (1e-4 per round): small enough to
 * keep the change at the factor's one decimal, large enough that no two
 * rounds tie (ties would take the signed-rank test off its exact path). */
#define ROUND_JITTER 1e-4

/* A copy of every 4k cell as variant `name`, its wall times times factor and
 * its samples in reverse order (pairing must follow "rep"). */
static void add_copy_of_4k(json_t *root, const char *name, double factor)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t w = 0; w < NWORKLOADS; w++) {
        json_t *copy = json_deep_copy(ab_fixture_cell(root, "4k", workloads[w]));
        json_object_set_new(copy, "variant", json_string(name));
        json_t *samples = json_object_get(copy, "samples"), *reversed = json_array();
        for (size_t i = 0; i < json_array_size(samples); i++) {
            json_t *s = json_array_get(samples, i);
            double rep = (double)json_integer_value(json_object_get(s, "rep"));
            json_object_set_new(s, "wall_ns", json_real(json_number_value(json_object_get(s, "wall_ns")) * factor *
                                                        (1 + ROUND_JITTER * rep)));
        }
        for (size_t i = json_array_size(samples); i-- > 0;)
            json_array_append(reversed, json_array_get(samples, i));
        json_object_set_new(copy, "samples", reversed);
        json_array_append_new(cells, copy);
    }
}

static void slow_copy(json_t *root, double factor)
{
    add_copy_of_4k(root, "4k-slow", factor);
}

static void set_counter(json_t *cell, const char *event, double value)
{
    json_t *samples = json_object_get(cell, "samples");
    for (size_t i = 0; i < json_array_size(samples); i++)
        json_object_set_new(json_object_get(json_array_get(samples, i), "counters"), event, json_integer((json_int_t)value));
}

static void page_faults_of_one_cell(json_t *root, double value)
{
    set_counter(ab_fixture_cell(root, "4k", "evan_jones"), "page-faults", value);
}

static void slow_one_cell(json_t *root, double factor)
{
    scale_samples(ab_fixture_cell(root, "thp", "fragmentation"), "wall_ns", factor);
}

/* The fixture edited by `edit` (may be NULL) written to a temp file. */
static void write_edited(editor edit, double arg, char *path, size_t len)
{
    json_t *root = ab_fixture_load(FIXTURE);
    assert_non_null(root);
    if (edit)
        edit(root, arg);
    assert_int_equal(ab_write_temp_json(root, path, len), 0);
    json_decref(root);
}

static int run(const char *args, char **out, char **err)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "compare %s", args);
    return ab_test_run_arenabench(cmd, out, err);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_within_file_paired_by_round(void **state)
{
    (void)state;
    char path[256], args[600], *out = NULL, *err = NULL;
    write_edited(slow_copy, 1.05, path, sizeof path);
    /* 4k's rounds differ by far more than 5% (list_of_tuples: 169-176 ms
     * across fragmentation's 66-70 ms...), yet every round is 5% slower. */
    snprintf(args, sizeof args, "%s --base-variant 4k --new-variant 4k-slow --metrics wall_ns", path);
    int rc = run(args, &out, &err);
    if (rc != 1)
        fail_msg("5%% slowdown within the file: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "paired by round"));
    assert_int_equal(count(out, "REGRESSION 4k-slow vs 4k/"), NWORKLOADS);
    /* Paired by "rep": every ratio is exactly 1.05, so the interval has no
     * width; paired by position (the copy is reversed) it would be wide. */
    for (const char *p = out; (p = strstr(p, "REGRESSION ")); p++) {
        const char *eol = strchr(p, '\n');
        const char *pct = strstr(p, "+5.0%");
        assert_true(pct && pct < eol);
        const char *ci = strchr(p, '[');
        assert_true(!ci || ci > eol || !strncmp(ci, "[+5.0, +5.1]", 12) || !strncmp(ci, "[+5.0, +5.0]", 12));
    }
    free(out);
    free(err);

    /* Five rounds cannot make the signed-rank test significant (p >= 1/16):
     * inconclusive, not a regression, and it says why. */
    snprintf(args, sizeof args, "%s --base-variant 4k --new-variant 4k-slow --metrics wall_ns --test wilcoxon", path);
    rc = run(args, &out, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(count(out, "inconclusive  not significant over 5 paired rounds"), NWORKLOADS);
    free(out);
    free(err);
    unlink(path);

    /* A/A: an identical copy is the same everywhere. */
    write_edited(slow_copy, 1.0, path, sizeof path);
    snprintf(args, sizeof args, "%s --base-variant 4k --new-variant 4k-slow --metrics wall_ns --verbose", path);
    rc = run(args, &out, &err);
    assert_int_equal(rc, 0);
    int better = -1, worse = -1, inconclusive = -1, same = -1;
    const char *row = strstr(out, "\nwall_ns ");
    assert_non_null(row);
    assert_int_equal(sscanf(row, " wall_ns %d %d %d %d", &better, &worse, &inconclusive, &same), 4);
    assert_int_equal(same, NWORKLOADS);
    free(out);
    free(err);
    unlink(path);
}

static void test_within_file_bad_selection_exits_2(void **state)
{
    (void)state;
    char path[1024], args[4096], *out = NULL, *err = NULL;
    ab_fixture_path(FIXTURE, path, sizeof path);
    static const struct {
        const char *extra, *message;
    } cases[] = {
        {"--base-variant 4k --new-variant nosuch", "no cell has variant 'nosuch'"},
        {"--base-variant 4k", "--base-variant and --new-variant go together"},
        {"--base-variant 4k --new-variant 4k", "are both '4k'"},
        {"--base-variant 4k --new-build x", "either --base-variant/--new-variant or --base-build/--new-build"},
        {"--base-build a --new-build b", "no cell has build 'a'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "%s %s", path, cases[i].extra);
        int rc = run(args, &out, &err);
        if (rc != 2 || !strstr(err, cases[i].message))
            fail_msg("'%s': expected exit 2 with '%s', got %d: %s", cases[i].extra, cases[i].message, rc, err);
        free(out);
        free(err);
    }
    snprintf(args, sizeof args, "%s %s --vs %s --test paired-t", path, path, path);
    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "pairs rounds of one file"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "%s --vs", path);
    assert_int_equal(run(args, &out, &err), 2);
    assert_non_null(strstr(err, "--vs needs results on both sides"));
    free(out);
    free(err);
}

/* Every cell given a build: "old" as is, "new" with wall times x factor. */
static void two_builds(json_t *root, double factor)
{
    json_t *cells = json_object_get(root, "cells");
    size_t n = json_array_size(cells);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(cells, i);
        json_t *copy = json_deep_copy(c);
        json_object_set_new(c, "build", json_string("old"));
        json_object_set_new(copy, "build", json_string("new"));
        scale_samples(copy, "wall_ns", factor);
        json_array_append_new(cells, copy);
    }
}

static void test_within_file_builds(void **state)
{
    (void)state;
    char path[256], args[600], *out = NULL, *err = NULL;
    write_edited(two_builds, 1.10, path, sizeof path);
    snprintf(args, sizeof args, "%s --base-build old --new-build new --metrics wall_ns", path);
    int rc = run(args, &out, &err);
    if (rc == 2 && strstr(err, "duplicate cell")) {
        /* The build dimension's reader (run --build) is not in this build. */
        print_message("skipped: this build's results loader does not know cells with a build: %s\n", err);
        free(out);
        free(err);
        unlink(path);
        skip();
    }
    if (rc != 1)
        fail_msg("10%% slower build: exit %d\n%s\n%s", rc, out, err);
    assert_int_equal(count(out, "REGRESSION new vs old: "), 16);
    free(out);
    free(err);
    unlink(path);
}

static void test_one_run_per_side(void **state)
{
    (void)state;
    char base[1024], newp[256], args[1600], *out = NULL, *err = NULL;
    ab_fixture_path(FIXTURE, base, sizeof base);
    /* Every cell 20% slower: a slower machine looks exactly like this. */
    write_edited(scale_everything, 1.20, newp, sizeof newp);
    snprintf(args, sizeof args, "%s %s --metrics wall_ns", base, newp);
    int rc = run(args, &out, &err);
    if (rc != 0)
        fail_msg("uniform 20%% slowdown, one run per side: exit %d\n%s\n%s", rc, out, err);
    assert_int_equal(count(out, "inconclusive  within run-to-run noise"), 16);
    assert_non_null(strstr(out, "give several (--vs)"));
    free(out);
    free(err);
    unlink(newp);
    /* One cell 50% slower stands out from the other 15. */
    write_edited(slow_one_cell, 1.50, newp, sizeof newp);
    snprintf(args, sizeof args, "%s %s --metrics wall_ns", base, newp);
    rc = run(args, &out, &err);
    if (rc != 1)
        fail_msg("one cell 50%% slower: exit %d\n%s\n%s", rc, out, err);
    assert_int_equal(count(out, "REGRESSION "), 1);
    assert_non_null(strstr(out, "REGRESSION thp/fragmentation wall_ns"));
    free(out);
    free(err);
    unlink(newp);
}

/* Keep only each cell's first sample (a run made with --reps 1). */
static void one_sample_per_cell(json_t *root, double slow_factor)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *samples = json_object_get(json_array_get(cells, i), "samples");
        while (json_array_size(samples) > 1)
            json_array_remove(samples, json_array_size(samples) - 1);
    }
    slow_one_cell(root, slow_factor);
}

static void test_one_sample_per_cell_is_not_tested(void **state)
{
    (void)state;
    /* One sample has no within-run spread: nothing to tell noise from a
     * change, so even a 50% slower cell is not a regression. */
    char base[256], newp[256], args[800], *out = NULL, *err = NULL;
    write_edited(one_sample_per_cell, 1.0, base, sizeof base);
    write_edited(one_sample_per_cell, 1.5, newp, sizeof newp);
    snprintf(args, sizeof args, "%s %s --metrics wall_ns", base, newp);
    int rc = run(args, &out, &err);
    if (rc != 0)
        fail_msg("one sample per cell: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "inconclusive  too few samples to test"));
    free(out);
    free(err);
    unlink(base);
    unlink(newp);
}

static void test_several_runs_per_side(void **state)
{
    (void)state;
    /* Three runs a side, the machine a little faster or slower in each. */
    static const double base_drift[] = {0.97, 1.00, 1.04}, new_drift[] = {1.02, 0.98, 1.01};
    char dir_a[] = "/tmp/abtest-runs-a-XXXXXX", dir_b[] = "/tmp/abtest-runs-b-XXXXXX", dir_c[] = "/tmp/abtest-runs-c-XXXXXX";
    assert_non_null(mkdtemp(dir_a));
    assert_non_null(mkdtemp(dir_b));
    assert_non_null(mkdtemp(dir_c));
    char files_a[3][256], files_b[3][256], files_c[3][256];
    for (size_t r = 0; r < 3; r++) {
        char tmp[256];
        write_edited(scale_everything, base_drift[r], tmp, sizeof tmp);
        snprintf(files_a[r], sizeof files_a[r], "%s/run%zu.json", dir_a, r);
        assert_int_equal(rename(tmp, files_a[r]), 0);
        write_edited(scale_everything, new_drift[r], tmp, sizeof tmp);
        snprintf(files_b[r], sizeof files_b[r], "%s/run%zu.json", dir_b, r);
        assert_int_equal(rename(tmp, files_b[r]), 0);
        write_edited(scale_everything, 1.20 * new_drift[r], tmp, sizeof tmp);
        snprintf(files_c[r], sizeof files_c[r], "%s/run%zu.json", dir_c, r);
        assert_int_equal(rename(tmp, files_c[r]), 0);
    }
    char args[4096], *out = NULL, *err = NULL;
    /* A/A across runs: drift, no change. */
    snprintf(args, sizeof args, "%s %s %s --vs %s %s %s --metrics wall_ns", files_a[0], files_a[1], files_a[2],
             files_b[0], files_b[1], files_b[2]);
    int rc = run(args, &out, &err);
    if (rc != 0)
        fail_msg("A/A, 3 vs 3 runs: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "3 vs 3 runs; run as the unit"));
    free(out);
    free(err);
    /* 20% slower beyond the drift, directories as sides. */
    snprintf(args, sizeof args, "%s --vs %s --metrics wall_ns", dir_a, dir_c);
    rc = run(args, &out, &err);
    if (rc != 1)
        fail_msg("20%% slower, 3 vs 3 runs: exit %d\n%s\n%s", rc, out, err);
    assert_int_equal(count(out, "REGRESSION "), 16);
    free(out);
    free(err);
    for (size_t r = 0; r < 3; r++) {
        unlink(files_a[r]);
        unlink(files_b[r]);
        unlink(files_c[r]);
    }
    rmdir(dir_a);
    rmdir(dir_b);
    rmdir(dir_c);
}

static void test_small_counts_have_a_floor(void **state)
{
    (void)state;
    char base[256], newp[256], args[800], *out = NULL, *err = NULL;
    /* issue 11: dict_churn had 9 page faults in the CI baseline; 10 is +11%,
     * beyond the gate's 10%, and one event. */
    write_edited(page_faults_of_one_cell, 9, base, sizeof base);
    write_edited(page_faults_of_one_cell, 10, newp, sizeof newp);
    snprintf(args, sizeof args, "%s %s --metrics counters.page-faults=10 --verbose", base, newp);
    int rc = run(args, &out, &err);
    if (rc != 0)
        fail_msg("9 -> 10 page faults: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "within the absolute floor of 2"));
    free(out);
    free(err);
    unlink(newp);
    /* 9 -> 13 is beyond both the percentage and the floor. */
    write_edited(page_faults_of_one_cell, 13, newp, sizeof newp);
    snprintf(args, sizeof args, "%s %s --metrics counters.page-faults=10", base, newp);
    rc = run(args, &out, &err);
    if (rc != 1)
        fail_msg("9 -> 13 page faults: exit %d\n%s\n%s", rc, out, err);
    assert_non_null(strstr(out, "REGRESSION 4k/evan_jones counters.page-faults"));
    free(out);
    free(err);
    unlink(newp);
    unlink(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_within_file_paired_by_round),
        cmocka_unit_test(test_within_file_bad_selection_exits_2),
        cmocka_unit_test(test_within_file_builds),
        cmocka_unit_test(test_one_run_per_side),
        cmocka_unit_test(test_one_sample_per_cell_is_not_tested),
        cmocka_unit_test(test_several_runs_per_side),
        cmocka_unit_test(test_small_counts_have_a_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
