/*
 * test_microbench.c -- the `arenabench microbench` command line: usage errors
 * exit 2 and write nothing, --help exits 0, and a tiny real run measures
 * every requested variant, reports ratios to cpython (exactly 1 for cpython
 * itself), lists an unavailable allocator with its reason, and writes JSON
 * that jansson reads back with the documented keys.  No timing is asserted
 * beyond "positive and finite".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "tests/testutil.h"

static void usage_errors_exit_2(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "microbench --bogus",
        "microbench --ops 0",
        "microbench --ops -5",
        "microbench --reps many",
        "microbench --variants no-such-variant",
        "microbench --variants glibc,glibc",
        "microbench --variants ''",
        "microbench --size 10 --sizes 1,2",
        "microbench --sizes 1,,x",
        "microbench --batch 0",
        "microbench extra-argument",
        "microbench --variants glibc --json /nonexistent-dir/out.json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = ab_test_run_arenabench(bad[i], &out, &err);
        if (rc != 2)
            fail_msg("'%s' exited %d, want 2 (stderr: %s)", bad[i], rc, err ? err : "");
        assert_true(err && strlen(err) > 0);   /* says why */
        assert_true(out && strlen(out) == 0);  /* and measures nothing */
        free(out);
        free(err);
    }
}

static void help_exits_0(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(ab_test_run_arenabench("microbench --help", &out, NULL), 0);
    assert_non_null(strstr(out, "--variants"));
    assert_non_null(strstr(out, "--json"));
    free(out);
}

static double number(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static void tiny_run_writes_json(void **state)
{
    (void)state;
    char path[] = "/tmp/abtest-microbench-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char args[512];
    /* A libpython that cannot exist is listed as unavailable, not fatal.
     * Variants: the model preset, glibc and cpython (the ratio base). */
    snprintf(args, sizeof args,
             "microbench --variants 4k,glibc,cpython --ops 20000 --reps 2 --sizes 16,64,500 --json %s", path);
    char *out = NULL, *err = NULL;
    int rc = ab_test_run_arenabench(args, &out, &err);
    if (rc != 0)
        fail_msg("microbench exited %d: %s", rc, err ? err : "");
    assert_non_null(strstr(out, "pair ns"));
    assert_non_null(strstr(out, "cpython"));

    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc)
        fail_msg("JSON unreadable: %s", jerr.text);
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "microbench");
    json_t *config = json_object_get(doc, "config");
    assert_int_equal((int)number(config, "reps"), 2);
    assert_int_equal(json_array_size(json_object_get(config, "sizes")), 3);
    json_t *results = json_object_get(doc, "results");
    assert_int_equal(json_array_size(results), 3);
    static const char *const names[] = {"4k", "glibc", "cpython"};
    for (size_t i = 0; i < 3; i++) {
        json_t *r = json_array_get(results, i);
        assert_string_equal(json_string_value(json_object_get(r, "variant")), names[i]);
        assert_true(json_is_true(json_object_get(r, "available")));
        for (int k = 0; k < 2; k++) {
            json_t *m = json_object_get(r, k ? "touch_ns" : "pair_ns");
            assert_int_equal(json_array_size(json_object_get(m, "samples")), 2);
            double med = number(m, "median"), min = number(m, "min");
            assert_true(isfinite(med) && med > 0 && min > 0 && min <= med);
            double ratio = number(json_object_get(r, "ratio_to_cpython"), k ? "touch" : "pair");
            if (!strcmp(names[i], "cpython"))
                assert_true(ratio == 1.0);
            else
                assert_true(isfinite(ratio) && ratio > 0);
        }
    }
    json_decref(doc);
    free(out);
    free(err);

    /* Unavailable allocator: listed with the loader's reason, still exit 0. */
    snprintf(args, sizeof args,
             "microbench --variants glibc,cpython --ops 1000 --reps 1 --json %s", path);
    setenv("ARENABENCH_LIBPYTHON", "/nonexistent/libpython0.so", 1);
    rc = ab_test_run_arenabench(args, &out, &err);
    unsetenv("ARENABENCH_LIBPYTHON");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "unavailable"));
    assert_non_null(strstr(out, "/nonexistent/libpython0.so"));
    doc = json_load_file(path, 0, &jerr);
    assert_non_null(doc);
    json_t *cpy = json_array_get(json_object_get(doc, "results"), 1);
    assert_true(json_is_false(json_object_get(cpy, "available")));
    assert_true(json_is_null(json_object_get(cpy, "pair_ns")));
    assert_true(json_is_null(json_object_get(json_object_get(json_array_get(json_object_get(doc, "results"), 0),
                                                             "ratio_to_cpython"),
                                             "pair")));
    json_decref(doc);
    free(out);
    free(err);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(help_exits_0),
        cmocka_unit_test(tiny_run_writes_json),
    };
    return cmocka_run_group_tests_name("microbench", tests, NULL, NULL);
}
