/* test_validate.c -- `arenabench validate`: the C workloads reproduce the
 * real interpreter's arena counts at a reduced scale (within the documented
 * 5% + startup slack), a Python/C disagreement is reported as a miss (exit
 * 1), bad input is exit 2, and the sys._debugmallocstats() parser reads the
 * real interpreter's layout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tests/testutil.h"
#include "harness/validate/validate_run.h"

/* The layout CPython 3.11 prints (abridged: the class table is skipped by the parser). */
static const char sample_stats[] =
    "Small block threshold = 512, in 32 size classes.\n\n"
    "class   size   num pools   blocks in use  avail blocks\n"
    "-----   ----   ---------   -------------  ------------\n"
    "    0     16           1             191           830\n\n"
    "# arenas allocated total           =                    3\n"
    "# arenas reclaimed                 =                    1\n"
    "# arenas highwater mark            =                    3\n"
    "# arenas allocated current         =                    2\n"
    "2 arenas * 1048576 bytes/arena     =            2,097,152\n\n"
    "# bytes in allocated blocks        =              954,144\n"
    "# bytes in available blocks        =              412,512\n"
    "43 unused pools * 16384 bytes      =              704,512\n"
    "# bytes lost to pool headers       =                4,032\n";

static void parses_debugmallocstats(void **state)
{
    (void)state;
    ab_mallocstats st;
    assert_int_equal(ab_parse_mallocstats(sample_stats, &st), 0);
    assert_int_equal(st.total, 3);
    assert_int_equal(st.reclaimed, 1);
    assert_int_equal(st.highwater, 3);
    assert_int_equal(st.current, 2);
    assert_int_equal(st.arena_size, 1048576);
    assert_int_equal(st.available_bytes, 412512);
    assert_int_equal(st.unused_pools, 43);
    assert_int_equal(st.pool_size, 16384);
    assert_int_not_equal(ab_parse_mallocstats("# arenas allocated total = 3\n", &st), 0);
}

static void pass_rule(void **state)
{
    (void)state;
    assert_true(ab_validate_within(100, 100, 0.05, 0));
    assert_true(ab_validate_within(105, 100, 0.05, 0));
    assert_false(ab_validate_within(106, 100, 0.05, 0));
    assert_true(ab_validate_within(107, 100, 0.05, 2));   /* C may exceed by the startup room */
    assert_false(ab_validate_within(94, 100, 0.05, 2));   /* but never fall short beyond tol */
    assert_true(ab_validate_within(1, 0, 0.05, 1));
    assert_false(ab_validate_within(2, 0, 0.05, 1));
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* The real check: every default workload at a reduced scale. */
static void c_workloads_match_cpython_arena_counts(void **state)
{
    (void)state;
    const char *scale = "0.1";  // deterministic; ~5 s of Python, the C side is fast even under ASan
    char args[128], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "validate --scale %s", scale);
    int rc = ab_test_run_arenabench(args, &out, &err);
    printf("%s", out ? out : "");
    if (rc != 0) fail_msg("validate exited %d: %s", rc, err ? err : "");
    /* 13 workload specs, total and highwater judged for each */
    assert_int_equal(count(out, "  ok\n"), 26);
    assert_int_equal(count(out, "MISS"), 0);
    free(out);
    free(err);
}

/* A Python original that reports other arena counts than the C equivalent
 * makes must be a miss: a fake source tree whose bench_obmalloc.py claims
 * the call allocated 500 arenas. */
static void a_disagreement_is_a_miss(void **state)
{
    (void)state;
    char dir[] = "/tmp/abtest-fake-src-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/workloads", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/workloads/python", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/workloads/python/bench_obmalloc.py", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "import sys\n"
               "def dump(label, n):\n"
               "    sys.stderr.write('=== arenabench %%s\\n' %% label)\n"
               "    sys.stderr.write(%s.replace('TOTAL', str(n)).replace('CUR', str(n)))\n"
               "dump('before', 2); dump('after', 502)\n",
            "'# arenas allocated total = TOTAL\\n# arenas reclaimed = 0\\n# arenas highwater mark = TOTAL\\n"
            "# arenas allocated current = CUR\\nCUR arenas * 1048576 bytes/arena = 0\\n"
            "# bytes in available blocks = 0\\n0 unused pools * 16384 bytes = 0\\n'");
    fclose(f);
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "validate --scale 0.01 --workloads dict_churn,bulk_small_alloc");
    setenv("AB_SOURCE_DIR", dir, 1);
    int rc = ab_test_run_arenabench(args, &out, NULL);
    unsetenv("AB_SOURCE_DIR");
    unlink(path);
    snprintf(path, sizeof path, "%s/workloads/python", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/workloads", dir);
    rmdir(path);
    rmdir(dir);
    assert_int_equal(rc, 1);
    assert_true(count(out, "MISS") >= 2);
    free(out);
}

static void bad_input_is_exit_2(void **state)
{
    (void)state;
    assert_int_equal(ab_test_run_arenabench("validate --workloads no_such_workload", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("validate --scale -1", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("validate --scale abc", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("validate --tolerance x", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("validate --bogus", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("validate --workloads", NULL, NULL), 2);
    char *err = NULL;
    assert_int_equal(ab_test_run_arenabench("validate --workloads random_prune:nope --scale 0.001", NULL, &err), 1);
    free(err);
    assert_int_not_equal(ab_test_run_arenabench("validate --trace /nonexistent/trace", NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_debugmallocstats),
        cmocka_unit_test(pass_rule),
        cmocka_unit_test(bad_input_is_exit_2),
        cmocka_unit_test(a_disagreement_is_a_miss),
        cmocka_unit_test(c_workloads_match_cpython_arena_counts),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
