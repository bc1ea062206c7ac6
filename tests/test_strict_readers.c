/*
 * test_strict_readers.c -- a results file whose samples carry values no
 * measurement can produce is refused by every reader (exit 2, naming the
 * cell and the sample), never silently dropped or shown as "-26.8 ms" or
 * "inf ms"; compare refuses files without a numeric config.scale; a
 * directory is "is a directory".  Each case edits one value of the
 * committed fixture tests/data/small-a.json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/results/results_load.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"

/* The edited sample: cells[CELL].samples[SAMPLE] of small-a.json. */
#define CELL 2
#define SAMPLE 1

typedef void (*edit_fn)(json_t *sample);

static void wall_string(json_t *s) { json_object_set_new(s, "wall_ns", json_string("12ms")); }
static void wall_missing(json_t *s) { json_object_del(s, "wall_ns"); }
static void wall_negative(json_t *s) { json_object_set_new(s, "wall_ns", json_integer(-26800000)); }
static void wall_huge(json_t *s) { json_object_set_new(s, "wall_ns", json_real(1e308)); }
static void rss_bool(json_t *s) { json_object_set_new(s, "rss_peak_kb", json_true()); }
static void counter_negative(json_t *s)
{
    json_object_set_new(json_object_get(s, "counters"), "page-faults", json_real(-3));
}
static void alloc_field_string(json_t *s)
{
    json_object_set_new(json_object_get(s, "alloc"), "arenas_highwater", json_string("24"));
}
static void alloc_not_object(json_t *s) { json_object_set_new(s, "alloc", json_array()); }
static void checksum_number(json_t *s) { json_object_set_new(s, "checksum", json_integer(7)); }
static void timeline_negative(json_t *s)
{
    json_array_set_new(json_object_get(json_object_get(s, "timeline"), "rss_kb"), 0, json_integer(-1));
}

static const struct {
    const char *name;
    edit_fn edit;
    const char *what;        /* in the message */
} bad_values[] = {
    {"wall_ns a string", wall_string, "\"wall_ns\" is a string"},
    {"wall_ns missing", wall_missing, "missing required key \"wall_ns\""},
    {"wall_ns negative", wall_negative, "\"wall_ns\" is -26800000"},
    {"wall_ns 1e308", wall_huge, "\"wall_ns\" is 1e+308"},
    {"rss_peak_kb a boolean", rss_bool, "\"rss_peak_kb\" is a boolean"},
    {"a negative counter", counter_negative, "\"counters.page-faults\" is -3"},
    {"an alloc field a string", alloc_field_string, "\"alloc.arenas_highwater\" is a string"},
    {"alloc an array", alloc_not_object, "\"alloc\" is an array"},
    {"checksum a number", checksum_number, "\"checksum\" is a number"},
    {"a negative timeline RSS", timeline_negative, "\"timeline.rss_kb[0]\" is -1"},
};

/* small-a.json with one sample edited, in a temp file (path). */
static void write_edited(edit_fn edit, char *path, size_t len, char *where, size_t wlen)
{
    json_t *root = ab_fixture_load("small-a.json");
    assert_non_null(root);
    json_t *cell = json_array_get(json_object_get(root, "cells"), CELL);
    edit(json_array_get(json_object_get(cell, "samples"), SAMPLE));
    snprintf(where, wlen, "cells[%d].samples[%d]: ", CELL, SAMPLE);
    assert_int_equal(ab_write_temp_json(root, path, len), 0);
    json_decref(root);
}

/* The loader refuses each bad value, saying where it is. */
static void test_loader_names_cell_and_sample(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        char path[256], where[64], err[800];
        write_edited(bad_values[i].edit, path, sizeof path, where, sizeof where);
        ab_results *r = ab_results_load(path, err, sizeof err);
        if (r)
            fail_msg("%s: loaded", bad_values[i].name);
        if (!strstr(err, where) || !strstr(err, bad_values[i].what) || !strstr(err, "(cell variant \""))
            fail_msg("%s: message '%s'", bad_values[i].name, err);
        unlink(path);
    }
}

/* Every reader stops with exit 2 before printing a figure. */
static void test_every_reader_exits_2(void **state)
{
    (void)state;
    static const char *const commands[] = {"table %s", "compare %s %s", "plot %s --out /tmp/abtest-strict-plots"};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        char path[256], where[64], args[800];
        write_edited(bad_values[i].edit, path, sizeof path, where, sizeof where);
        for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
            snprintf(args, sizeof args, commands[c], path, path);
            char *out = NULL, *err = NULL;
            int rc = ab_test_run_arenabench(args, &out, &err);
            if (rc != 2 || !strstr(err, bad_values[i].what))
                fail_msg("%s: '%s' exited %d, stderr '%s'", bad_values[i].name, args, rc, err);
            /* Nothing shown from the bad value. */
            assert_null(strstr(out, "-26.8"));
            assert_null(strstr(out, "inf"));
            free(out);
            free(err);
        }
        unlink(path);
    }
}

static void scale_missing(json_t *root) { json_object_del(json_object_get(root, "config"), "scale"); }
static void scale_null(json_t *root) { json_object_set_new(json_object_get(root, "config"), "scale", json_null()); }
static void scale_string(json_t *root)
{
    json_object_set_new(json_object_get(root, "config"), "scale", json_string("0.1"));
}

/* Without a numeric config.scale in both files nothing says the two did the
 * same amount of work: exit 2, whichever file lacks it. */
static void test_compare_requires_scale(void **state)
{
    (void)state;
    void (*const edits[])(json_t *) = {scale_missing, scale_null, scale_string};
    char good[1024];
    ab_fixture_path("small-a.json", good, sizeof good);
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        json_t *root = ab_fixture_load("small-a.json");
        edits[i](root);
        char path[256], args[2400];
        assert_int_equal(ab_write_temp_json(root, path, sizeof path), 0);
        json_decref(root);
        for (int side = 0; side < 2; side++) {
            snprintf(args, sizeof args, "compare %s %s", side ? good : path, side ? path : good);
            char *out = NULL, *err = NULL;
            int rc = ab_test_run_arenabench(args, &out, &err);
            if (rc != 2 || !strstr(err, "config.scale") || !strstr(err, path))
                fail_msg("edit %zu side %d: exit %d, stderr '%s'", i, side, rc, err);
            free(out);
            free(err);
        }
        unlink(path);
    }
}

static void test_directory_is_a_directory(void **state)
{
    (void)state;
    char good[1024], args[2400];
    ab_fixture_path("small-a.json", good, sizeof good);
    const char *dir = "/tmp";
    /* The directory as the only file, as BASE and as NEW. */
    const char *const forms[][2] = {{"table", dir}, {"compare", dir}, {"compare", good}, {"plot", dir}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if (!strcmp(forms[i][0], "table"))
            snprintf(args, sizeof args, "table %s", dir);
        else if (!strcmp(forms[i][0], "plot"))
            snprintf(args, sizeof args, "plot %s --out /tmp/abtest-strict-plots", dir);
        else
            snprintf(args, sizeof args, "compare %s %s", forms[i][1], forms[i][1] == dir ? good : dir);
        char *out = NULL, *err = NULL;
        int rc = ab_test_run_arenabench(args, &out, &err);
        if (rc != 2 || !strstr(err, "/tmp: is a directory"))
            fail_msg("'%s': exit %d, stderr '%s'", args, rc, err);
        free(out);
        free(err);
    }
    char err[600];
    assert_null(ab_results_load(dir, err, sizeof err));
    assert_non_null(strstr(err, "is a directory"));
}

/* The committed files stay readable: the fixtures (written before the
 * mem_* and hugetlb_* keys) and the CI baseline. */
static void test_committed_files_still_load(void **state)
{
    (void)state;
    const char *src = getenv("AB_SOURCE_DIR");
    char path[1024], err[800];
    static const char *const files[] = {"tests/data/small-a.json", "tests/data/small-b.json",
                                        "results/baseline-ci.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", src && *src ? src : ".", files[i]);
        ab_results *r = ab_results_load(path, err, sizeof err);
        if (!r)
            fail_msg("%s", err);
        ab_results_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_names_cell_and_sample),
        cmocka_unit_test(test_every_reader_exits_2),
        cmocka_unit_test(test_compare_requires_scale),
        cmocka_unit_test(test_directory_is_a_directory),
        cmocka_unit_test(test_committed_files_still_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
