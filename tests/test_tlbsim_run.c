/*
 * test_tlbsim_run.c -- `arenabench run --tlb-model` end to end.
 *
 *   - a model file with a wrong geometry is rejected with exit 2 before
 *     anything runs (no results file appears);
 *   - the simulated figures of a seeded workload are identical across
 *     repeated runs with ASLR off, one of them next to a CPU hog (they
 *     depend on the accesses, never on timing or load);
 *   - the page size the simulator used agrees with the huge-page coverage
 *     the allocator read from /proc/self/smaps (an independent reading: the
 *     simulator asks PAGEMAP_SCAN): 2 MiB accesses exactly where coverage
 *     is above zero;
 *   - the block is labelled: "status": "simulated", the model's name, and
 *     no sim figure under "counters"; table shows it by default, compare
 *     judges it exactly (one extra simulated walk is a regression).
 */
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
#include <sys/stat.h>
#include <unistd.h>
#include "tests/reportutil.h"
#include "tests/testutil.h"

#define RUN_ARGS "--variants 4k,thp,thp-1m --workloads bulk_small_alloc,random_walk --scale 0.02 " \
                 "--reps 1 --warmup 0 --seed 7 --events none --no-timeline --quiet"

/* The asan driver has no instrumented sibling: use the normal build's. */
static void point_at_tlbsim_build(void)
{
    if (getenv("AB_ARENABENCH_TLBSIM")) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/build/arenabench-tlbsim", getenv("AB_SOURCE_DIR") ? getenv("AB_SOURCE_DIR") : ".");
    setenv("AB_ARENABENCH_TLBSIM", path, 1);
}

static int run_sim(const char *model, const char *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "setarch $(uname -m) -R %s run --tlb-model %s " RUN_ARGS " --out %s",
             ab_test_arenabench(), model, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (!doc) fail_msg("%s: %s", path, e.text);
    return doc;
}

/* "variant/workload" -> that cell's first sample. */
static json_t *sample_of(json_t *doc, const char *variant, const char *workload)
{
    json_t *c = ab_test_find_cell(doc, NULL, variant, workload);
    if (!c) fail_msg("no cell %s/%s", variant, workload);
    return json_array_get(json_object_get(c, "samples"), 0);
}

static void wrong_geometry_exits_2_before_running(void **state)
{
    (void)state;
    point_at_tlbsim_build();
    char model[] = "/tmp/abtest-badmodel-XXXXXX", out[] = "/tmp/abtest-badout-XXXXXX";
    int fd = mkstemp(model);
    FILE *f = fdopen(fd, "w");
    fputs("{\"model\": \"bad\", \"cpu\": \"x\", \"replacement\": \"lru\","
          " \"l1_load\": [{\"page_sizes\": [\"4k\", \"2m\"], \"entries\": 96, \"ways\": 5, \"source\": \"t\"}],"
          " \"stlb\": [{\"page_sizes\": [\"4k\", \"2m\"], \"entries\": 2048, \"ways\": 16, \"source\": \"t\"}]}", f);
    fclose(f);
    int ofd = mkstemp(out);
    close(ofd);
    unlink(out);
    char args[512], *err = NULL;
    snprintf(args, sizeof args, "run --tlb-model %s --workloads bulk_small_alloc --out %s", model, out);
    assert_int_equal(ab_test_run_arenabench(args, NULL, &err), 2);
    assert_non_null(strstr(err, "not a multiple of 5 ways"));
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);   /* nothing ran, nothing written */
    free(err);
    assert_int_equal(ab_test_run_arenabench("run --tlb-model no-such-model --workloads bulk_small_alloc", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("exec --tlb-model golden-cove --variant a=true", NULL, NULL), 2);
    unlink(model);
}

static void figures_are_deterministic_and_labelled(void **state)
{
    (void)state;
    point_at_tlbsim_build();
    const char *a = "/tmp/abtest-sim-a.json", *b = "/tmp/abtest-sim-b.json";
    assert_int_equal(run_sim("golden-cove", a), 0);
    /* The second run shares the machine with a spinning process. */
    pid_t hog = fork();
    if (hog == 0) {
        for (volatile unsigned long i = 0;; i++) {}
    }
    int rc = run_sim("golden-cove", b);
    kill(hog, SIGKILL);
    waitpid(hog, NULL, 0);
    assert_int_equal(rc, 0);
    json_t *da = load(a), *db = load(b);
    assert_string_equal(json_string_value(json_object_get(json_object_get(da, "config"), "tlb_model")), "golden-cove");
    const char *variants[] = {"4k", "thp", "thp-1m"}, *workloads[] = {"bulk_small_alloc", "random_walk"};
    for (size_t v = 0; v < 3; v++)
        for (size_t w = 0; w < 2; w++) {
            json_t *sa = sample_of(da, variants[v], workloads[w]), *sb = sample_of(db, variants[v], workloads[w]);
            json_t *sim_a = json_object_get(sa, "sim"), *sim_b = json_object_get(sb, "sim");
            assert_true(json_is_object(sim_a));
            if (!json_equal(sim_a, sim_b)) {
                char *x = json_dumps(sim_a, JSON_COMPACT), *y = json_dumps(sim_b, JSON_COMPACT);
                fail_msg("%s/%s differs:\n%s\n%s", variants[v], workloads[w], x, y);
            }
            assert_string_equal(json_string_value(json_object_get(sim_a, "status")), "simulated");
            assert_string_equal(json_string_value(json_object_get(sim_a, "model")), "golden-cove");
            assert_string_equal(json_string_value(json_object_get(sim_a, "coverage")), "workload+allocator");
            assert_true(json_integer_value(json_object_get(sim_a, "accesses")) > 0);
            assert_true(json_integer_value(json_object_get(sim_a, "dtlb_load_misses")) > 0);
            const char *key;
            json_t *val;
            json_object_foreach(json_object_get(sa, "counters"), key, val)
                assert_null(strstr(key, "sim"));
            /* Page size from what the allocator really got. */
            json_t *alloc = json_object_get(sa, "alloc");
            int64_t huge = json_integer_value(json_object_get(alloc, "hugepage_bytes"));
            int64_t acc2m = json_integer_value(json_object_get(sim_a, "accesses_2m"));
            if (huge > 0) assert_true(acc2m > 0);
            else assert_int_equal(acc2m, 0);
        }
    /* Reports: table shows the sim rows by default, labelled; compare
     * judges them exactly, so one extra simulated walk is a regression. */
    char args[512], *out = NULL;
    snprintf(args, sizeof args, "table %s", a);
    assert_int_equal(ab_test_run_arenabench(args, &out, NULL), 0);
    assert_non_null(strstr(out, "simulated page walks (STLB misses), by the TLB model, not a hardware counter (sim.stlb_misses)"));
    free(out);
    snprintf(args, sizeof args, "compare %s %s", a, b);
    assert_int_equal(ab_test_run_arenabench(args, NULL, NULL), 0);
    json_t *sim = json_object_get(sample_of(db, "thp", "random_walk"), "sim");
    json_object_set_new(sim, "stlb_misses", json_integer(json_integer_value(json_object_get(sim, "stlb_misses")) + 1));
    assert_int_equal(json_dump_file(db, b, 0), 0);
    snprintf(args, sizeof args, "compare %s %s --metrics sim.stlb_misses", a, b);
    assert_int_equal(ab_test_run_arenabench(args, &out, NULL), 1);
    assert_non_null(strstr(out, "REGRESSION"));
    free(out);
    json_decref(da);
    json_decref(db);
    unlink(a);
    unlink(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_geometry_exits_2_before_running),
        cmocka_unit_test(figures_are_deterministic_and_labelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
