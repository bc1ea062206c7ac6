/* test_builds.c -- `run --build`: two builds interleaved in every round,
 * each sample executed by its own binary.  Oracles: two copies of one binary
 * must agree exactly on the exact metrics (page faults, arenas) and the
 * checksum; a copy slowed by the documented test hook (AB_SAMPLE_TEST_DELAY_US,
 * cmd_sample.c) must be slower by at least the delay in every round; a
 * git:REF build comes from a repository the test makes, is built once and
 * then found in the cache. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/results_schema.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"

/* The slowed build sleeps this long at the end of its measured phase. */
#define SLOW_DELAY_US 20000
#define REPS 6
/* Page faults of two exec'ed samples of one binary differ by this much
 * without ASan (the least spread the A/A comparison allows). */
#define EXEC_FAULT_JITTER 1

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/abbuilds-%d", (int)getpid());
    char cmd[4096];
    /* Two plain copies and a wrapper that turns on the test hook for one. */
    snprintf(cmd, sizeof cmd,
             "rm -rf %1$s && mkdir -p %1$s && cp '%2$s' %1$s/a && cp '%2$s' %1$s/b && "
             "printf '#!/bin/sh\\nAB_SAMPLE_TEST_DELAY_US=%3$d exec %1$s/b \"$@\"\\n' > %1$s/slow && chmod +x %1$s/slow",
             dir, ab_test_arenabench(), SLOW_DELAY_US);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run "cd CWD && ENV arenabench ARGS --out OUT"; exit status, results or NULL. */
static int run_in(const char *cwd, const char *env, const char *args, json_t **doc, char **err)
{
    char out[128], errp[128], cmd[8192];
    snprintf(out, sizeof out, "%s/out.json", dir);
    snprintf(errp, sizeof errp, "%s/stderr.txt", dir);
    unlink(out);
    snprintf(cmd, sizeof cmd, "cd %s && %s '%s' run --quiet --out %s %s 2>%s", cwd, env, ab_test_arenabench(), out,
             args, errp);
    int st = system(cmd);
    if (err) *err = ab_test_slurp(errp);
    *doc = json_load_file(out, 0, NULL);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static json_t *cell(json_t *doc, const char *build, const char *variant, const char *workload)
{
    json_t *c = ab_test_find_cell(doc, build, variant, workload);
    if (!c) fail_msg("no cell %s/%s x %s", build, variant, workload);
    return c;
}

static json_t *sample_of_round(json_t *c, long rep)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(c, "samples"), i, s)
        if (json_integer_value(json_object_get(s, "rep")) == rep) return s;
    fail_msg("no sample of round %ld", rep);
    return NULL;
}

static long long num(json_t *s, const char *object, const char *key)
{
    json_t *h = object ? json_object_get(s, object) : s;
    json_t *v = json_object_get(h, key);
    assert_true(json_is_number(v));
    return (long long)json_number_value(v);
}

static void same_binary_twice_agrees_on_exact_metrics_in_every_round(void **state)
{
    (void)state;
    json_t *doc;
    char args[512];
    snprintf(args, sizeof args, "--build A=%1$s/a --build B=%1$s/b --variants 4k,thp --workloads fragmentation "
             "--scale 0.02 --reps %2$d --warmup 1 --events page-faults", dir, REPS);
    assert_int_equal(run_in(dir, "", args, &doc, NULL), 0);
    assert_non_null(doc);
    schema_err e;
    if (!schema_check_results(doc, &e)) fail_msg("schema: %s", e.text);
    json_t *builds = json_object_get(json_object_get(doc, "config"), "builds");
    assert_int_equal(json_array_size(builds), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(builds, 1), "name")), "B");
    assert_int_equal(json_array_size(json_object_get(doc, "cells")), 4);
    size_t n_cells = 4;
    const char *variants[] = {"4k", "thp"};
    for (int v = 0; v < 2; v++) {
        json_t *a = cell(doc, "A", variants[v], "fragmentation"), *b = cell(doc, "B", variants[v], "fragmentation");
        for (long r = 0; r < REPS; r++) {
            json_t *sa = sample_of_round(a, r), *sb = sample_of_round(b, r);
            assert_string_equal(json_string_value(json_object_get(sa, "status")), "ok");
            assert_string_equal(json_string_value(json_object_get(sb, "status")), "ok");
            /* Interleaved: both builds' samples of round r sit in round r's
             * slice of the schedule (after the warmup round). */
            long long oa = num(sa, NULL, "order"), ob = num(sb, NULL, "order");
            assert_int_equal(oa / (long long)n_cells, r + 1);
            assert_int_equal(ob / (long long)n_cells, r + 1);
            assert_int_equal(num(sa, "alloc", "arenas_highwater"), num(sb, "alloc", "arenas_highwater"));
            assert_string_equal(json_string_value(json_object_get(sa, "checksum")),
                                json_string_value(json_object_get(sb, "checksum")));
            assert_null(json_object_get(sa, "test_delay_ns"));
        }
        /* Page faults: exec'ed samples of one build move by a few faults
         * (measured 540/541 and 43/44; more under ASan, whose shadow memory
         * is laid out per process), forked samples share one layout and do
         * not.  Two copies of one binary must not differ by more than
         * either differs from itself. */
        long long lo[2] = {LLONG_MAX, LLONG_MAX}, hi[2] = {LLONG_MIN, LLONG_MIN};
        for (long r = 0; r < REPS; r++)
            for (int k = 0; k < 2; k++) {
                long long f = num(sample_of_round(k ? b : a, r), "counters", "page-faults");
                lo[k] = f < lo[k] ? f : lo[k];
                hi[k] = f > hi[k] ? f : hi[k];
            }
        long long spread = hi[0] - lo[0] > hi[1] - lo[1] ? hi[0] - lo[0] : hi[1] - lo[1];
        if (spread < EXEC_FAULT_JITTER) spread = EXEC_FAULT_JITTER;
        if (lo[1] > hi[0] + spread || lo[0] > hi[1] + spread)
            fail_msg("%s: page faults A %lld..%lld, B %lld..%lld", variants[v], lo[0], hi[0], lo[1], hi[1]);
    }
    assert_true(json_is_true(json_object_get(json_object_get(doc, "correctness"), "checksums_agree")));
    json_decref(doc);
}

static void slowed_copy_is_slower_by_the_delay_in_every_round(void **state)
{
    (void)state;
    json_t *doc;
    char args[512];
    snprintf(args, sizeof args, "--build fast=%1$s/a --build slow=%1$s/slow --variants 4k --workloads fragmentation "
             "--scale 0.02 --reps %2$d --warmup 0 --events none --no-timeline", dir, REPS);
    assert_int_equal(run_in(dir, "", args, &doc, NULL), 0);
    assert_non_null(doc);
    json_t *fast = cell(doc, "fast", "4k", "fragmentation"), *slow = cell(doc, "slow", "4k", "fragmentation");
    long long diff[REPS];
    for (long r = 0; r < REPS; r++) {
        json_t *sf = sample_of_round(fast, r), *ss = sample_of_round(slow, r);
        assert_int_equal(num(ss, NULL, "test_delay_ns"), (long long)SLOW_DELAY_US * 1000);
        assert_null(json_object_get(sf, "test_delay_ns"));
        /* The sleep is inside the timed span, once per measured phase. */
        assert_true(num(ss, NULL, "wall_ns") >= num(ss, NULL, "phases") * (long long)SLOW_DELAY_US * 1000);
        diff[r] = num(ss, NULL, "wall_ns") - num(sf, NULL, "wall_ns");
    }
    /* Paired by round, the typical difference is the delay; noise moves
     * single rounds, not the median of six, by half of it. */
    for (int i = 1; i < REPS; i++)
        for (int j = i; j > 0 && diff[j - 1] > diff[j]; j--) {
            long long t = diff[j];
            diff[j] = diff[j - 1];
            diff[j - 1] = t;
        }
    long long median = (diff[REPS / 2 - 1] + diff[REPS / 2]) / 2;
    if (median < (long long)SLOW_DELAY_US * 1000 / 2)
        fail_msg("median slow-fast difference %lld ns, expected about %d us", median, SLOW_DELAY_US);
    json_decref(doc);
}

/* A repository whose Makefile "builds" build/arenabench by copying the
 * driver under test and counting how often it was asked to. */
static void git_ref_is_built_once_in_the_cache(void **state)
{
    (void)state;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "set -e; mkdir -p %1$s/repo && cd %1$s/repo && git init -q . && "
             "printf 'build/arenabench:\\n\\tmkdir -p build && cp \"$(AB_TEST_REAL)\" build/arenabench && "
             "echo built >> \"$(AB_TEST_MARKER)\"\\n' > Makefile && git add Makefile && "
             "git -c user.email=t@example.org -c user.name=t commit -qm one && git tag v1 && "
             "echo change >> Makefile && git -c user.email=t@example.org -c user.name=t commit -qam two",
             dir);
    assert_int_equal(system(cmd), 0);
    char env[2048], repo[128], args[512], marker[128];
    snprintf(repo, sizeof repo, "%s/repo", dir);
    snprintf(marker, sizeof marker, "%s/marker", dir);
    snprintf(env, sizeof env, "AB_BUILD_CACHE=%1$s/cache AB_TEST_REAL='%2$s' AB_TEST_MARKER=%3$s", dir,
             ab_test_arenabench(), marker);
    snprintf(args, sizeof args, "--build old=git:v1 --build new=%s/a --variants 4k --workloads fragmentation "
             "--scale 0.02 --reps 2 --warmup 0 --events none --no-timeline", dir);
    json_t *doc;
    for (int pass = 0; pass < 2; pass++) {
        char *err = NULL;
        int rc = run_in(repo, env, args, &doc, &err);
        if (rc != 0) fail_msg("pass %d: exit %d: %s", pass, rc, err ? err : "");
        free(err);
        assert_non_null(doc);
        json_t *old = json_array_get(json_object_get(json_object_get(doc, "config"), "builds"), 0);
        assert_string_equal(json_string_value(json_object_get(old, "source")), "git:v1");
        const char *commit = json_string_value(json_object_get(old, "commit"));
        assert_non_null(commit);
        assert_int_equal(strlen(commit), 40);
        assert_non_null(strstr(json_string_value(json_object_get(old, "path")), commit));
        json_t *s = sample_of_round(cell(doc, "old", "4k", "fragmentation"), 1);
        assert_string_equal(json_string_value(json_object_get(s, "status")), "ok");
        json_decref(doc);
    }
    /* Built on the first run only: the second found it in the cache. */
    char *m = ab_test_slurp(marker);
    assert_non_null(m);
    assert_string_equal(m, "built\n");
    free(m);
    /* The tag, not the branch head: v1's Makefile has no "change" line. */
    snprintf(cmd, sizeof cmd, "! grep -q change %s/cache/*/Makefile", dir);
    assert_int_equal(system(cmd), 0);
}

static void bad_builds_exit_2_and_write_nothing(void **state)
{
    (void)state;
    char args[512];
    const char *bad[] = {"--build nameless", "--build =x", "--build A=/nonexistent/arenabench",
                         "--build A=/bin/true", "--build 'a b=x'", "--build A=git:no-such-ref",
                         "--build A=%1$s/a --build A=%1$s/b", "--target-ci 5 --max-time 0",
                         "--max-time 10", "--target-ci 0.01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char opt[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(opt, sizeof opt, bad[i], dir);
#pragma GCC diagnostic pop
        snprintf(args, sizeof args, "%s --variants 4k --workloads fragmentation --scale 0.02", opt);
        json_t *doc;
        char *err = NULL;
        int rc = run_in("/", "", args, &doc, &err);
        if (rc != 2 || doc) fail_msg("%s: exit %d, results %s, stderr: %s", opt, rc, doc ? "written" : "none", err);
        assert_non_null(strstr(err, "arenabench run:"));
        free(err);
    }
}

/* make ci-gate-time's script with a hook-slowed head: the gate must fail
 * (exit 1), and without BASE it is a usage error (exit 2). */
static void ci_gate_time_fails_a_slowed_head(void **state)
{
    (void)state;
    const char *src = getenv("AB_SOURCE_DIR");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd %1$s && AB_CI_TIME_BUDGET=10 AB_CI_TIME_OUT=%1$s/gate.json "
             "AB_CI_TIME_ARGS='--workloads fragmentation --scale 0.02' "
             "bash '%2$s/harness/ci-gate-time.sh' %1$s/a %1$s/slow >%1$s/gate.txt 2>&1",
             dir, src ? src : ".");
    int st = system(cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/gate.txt", dir);
    char *out = ab_test_slurp(path);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 1) fail_msg("gate exit %d, want 1:\n%s", WEXITSTATUS(st), out);
    assert_non_null(strstr(out, "REGRESSION"));
    free(out);
    snprintf(cmd, sizeof cmd, "bash '%s/harness/ci-gate-time.sh' '' %s/a >/dev/null 2>&1", src ? src : ".", dir);
    st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_binary_twice_agrees_on_exact_metrics_in_every_round),
        cmocka_unit_test(slowed_copy_is_slower_by_the_delay_in_every_round),
        cmocka_unit_test(git_ref_is_built_once_in_the_cache),
        cmocka_unit_test(bad_builds_exit_2_and_write_nothing),
        cmocka_unit_test(ci_gate_time_fails_a_slowed_head),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
