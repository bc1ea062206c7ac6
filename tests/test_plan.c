/* test_plan.c -- the sample schedule (a seeded, deterministic interleaving)
 * and the command-line contract of `run`/`exec`: bad input exits 2 and
 * writes nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "harness/counters/counters.h"
#include "harness/run/plan.h"
#include "tests/testutil.h"

#define NV 3
#define NW 4
#define WARM 2
#define REPS 5
#define NCELLS (NV * NW)
#define NSLOTS ((WARM + REPS) * NCELLS)

static void schedule_is_rounds_of_permutations(void **state)
{
    (void)state;
    ab_slot s[NSLOTS];
    ab_schedule_interleaved(NV, NW, WARM, REPS, 7, s);
    int identity_rounds = 0;
    for (int round = 0; round < WARM + REPS; round++) {
        int seen[NCELLS] = {0};
        bool identity = true;
        for (int c = 0; c < NCELLS; c++) {
            const ab_slot *x = &s[round * NCELLS + c];
            assert_true(x->variant < NV && x->workload < NW);
            seen[x->variant * NW + x->workload]++;
            assert_int_equal(x->order, round * NCELLS + c);
            assert_int_equal(x->warmup, round < WARM);
            assert_int_equal(x->rep, round < WARM ? round : round - WARM);
            if (x->variant * NW + x->workload != (size_t)c) identity = false;
        }
        for (int c = 0; c < NCELLS; c++) assert_int_equal(seen[c], 1);
        identity_rounds += identity;
    }
    /* 12! orders per round: an unshuffled round would mean no shuffling. */
    assert_true(identity_rounds < 2);
}

static void schedule_depends_only_on_the_seed(void **state)
{
    (void)state;
    ab_slot a[NSLOTS], b[NSLOTS], c[NSLOTS];
    ab_schedule_interleaved(NV, NW, WARM, REPS, 42, a);
    ab_schedule_interleaved(NV, NW, WARM, REPS, 42, b);
    ab_schedule_interleaved(NV, NW, WARM, REPS, 43, c);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < NSLOTS; i++) {
        same_ab += a[i].variant == b[i].variant && a[i].workload == b[i].workload;
        same_ac += a[i].variant == c[i].variant && a[i].workload == c[i].workload;
    }
    assert_int_equal(same_ab, NSLOTS);
    assert_true(same_ac < NSLOTS);
}

static void variants_are_spread_over_positions(void **state)
{
    (void)state;
    /* Blocked randomisation: over many rounds every variant is first in a
     * round about equally often (drift does not favour one). */
    enum { ROUNDS = 3000 };
    ab_slot *s = malloc(sizeof *s * ROUNDS * NV);
    ab_schedule_interleaved(NV, 1, 0, ROUNDS, 1, s);
    int first[NV] = {0};
    for (int r = 0; r < ROUNDS; r++) first[s[r * NV].variant]++;
    for (int v = 0; v < NV; v++) assert_true(first[v] > ROUNDS / NV - 150 && first[v] < ROUNDS / NV + 150);
    free(s);
}

static void a_workloads_variants_run_back_to_back(void **state)
{
    (void)state;
    /* Paired statistics compare a workload's variants within a round: those
     * samples must be adjacent (one block per workload per round), and the
     * workloads' order must still change between rounds. */
    enum { ROUNDS = 50 };
    ab_slot *s = malloc(sizeof *s * ROUNDS * NV * NW);
    ab_schedule_interleaved(NV, NW, 0, ROUNDS, 3, s);
    size_t first_workload_changes = 0;
    for (int r = 0; r < ROUNDS; r++)
        for (int b = 0; b < NW; b++) {
            const ab_slot *block = &s[(r * NW + b) * NV];
            int seen[NV] = {0};
            for (int v = 0; v < NV; v++) {
                assert_int_equal(block[v].workload, block[0].workload);
                seen[block[v].variant]++;
            }
            for (int v = 0; v < NV; v++) assert_int_equal(seen[v], 1);
            if (r && b == 0) first_workload_changes += block[0].workload != s[(r - 1) * NW * NV].workload;
        }
    assert_true(first_workload_changes > ROUNDS / 2);
    free(s);
}

static void numbers_and_words(void **state)
{
    (void)state;
    long l;
    double d;
    uint64_t u;
    assert_int_equal(ab_parse_long("5", 1, 10, &l), 0);
    assert_int_equal(l, 5);
    assert_int_equal(ab_parse_long("5x", 1, 10, &l), -1);
    assert_int_equal(ab_parse_long("", 1, 10, &l), -1);
    assert_int_equal(ab_parse_long("0", 1, 10, &l), -1);
    assert_int_equal(ab_parse_double("0.25", 1e-6, 10, &d), 0);
    assert_true(d == 0.25);
    assert_int_equal(ab_parse_double("nan", 0, 10, &d), -1);
    assert_int_equal(ab_parse_double("-1", 1e-6, 10, &d), -1);
    assert_int_equal(ab_parse_u64("18446744073709551615", &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(ab_parse_u64("-1", &u), -1);

    char err[128];
    char **w = ab_split_words("  env PYTHONMALLOC=malloc '/usr/bin/py thon' \"a \\\"b\\\"\" c\\ d ", err, sizeof err);
    assert_non_null(w);
    assert_string_equal(w[0], "env");
    assert_string_equal(w[1], "PYTHONMALLOC=malloc");
    assert_string_equal(w[2], "/usr/bin/py thon");
    assert_string_equal(w[3], "a \"b\"");
    assert_string_equal(w[4], "c d");
    assert_null(w[5]);
    ab_free_words(w);
    assert_null(ab_split_words("echo 'unterminated", err, sizeof err));
    assert_null(ab_split_words("   ", err, sizeof err));
}

/* Bad input: exit 2, a message naming the problem, and no results file. */
static void expect_usage_error(const char *args, const char *needle)
{
    char dir[] = "/tmp/abplan-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[1024], out_path[256];
    snprintf(out_path, sizeof out_path, "%s/sub/out.json", dir);
    snprintf(cmd, sizeof cmd, "%s --out %s", args, out_path);
    char *err = NULL;
    int rc = ab_test_run_arenabench(cmd, NULL, &err);
    if (rc != 2 || !strstr(err, needle)) fprintf(stderr, "args: %s\nrc %d, stderr: %s\n", args, rc, err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, needle));
    struct stat st;
    assert_int_not_equal(stat(out_path, &st), 0); /* nothing written */
    free(err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void bad_input_exits_2_and_writes_nothing(void **state)
{
    (void)state;
    expect_usage_error("run --variants no-such-variant --workloads selftest:empty", "no-such-variant");
    expect_usage_error("run --variants 4k --workloads no-such-workload", "no-such-workload");
    expect_usage_error("run --reps x", "--reps");
    expect_usage_error("run --reps 0", "--reps");
    expect_usage_error("run --reps 3.5", "--reps");
    expect_usage_error("run --warmup -1", "--warmup");
    expect_usage_error("run --scale 0", "--scale");
    expect_usage_error("run --scale fast", "--scale");
    expect_usage_error("run --timeout -3", "--timeout");
    expect_usage_error("run --seed -1", "--seed");
    expect_usage_error("run --pin 100000", "--pin");
    expect_usage_error("run --no-such-option", "--no-such-option");
    expect_usage_error("run --variants 4k,4k --workloads selftest:empty", "twice");
    expect_usage_error("run stray-argument", "stray-argument");
    expect_usage_error("exec --reps 2", "--variant");
    expect_usage_error("exec --variant nocommand", "NAME=COMMAND");
    expect_usage_error("exec --variant a=\"echo 'x\"", "quote");
    expect_usage_error("exec --variant a=true --env b:X=1", "names no --variant");
    expect_usage_error("exec --variant a=true --env a:X", "NAME:VAR=VAL");
}

static void unknown_event_exits_2(void **state)
{
    (void)state;
    size_t n;
    ab_counters_default_events(&n);
    if (n == 0) {
        /* The placeholder counter layer accepts every name. */
        fprintf(stderr, "SKIP: the counters layer is not merged (no default events), so no event is unknown yet\n");
        skip();
    }
    expect_usage_error("run --variants 4k --workloads selftest:empty --events no-such-event-xyz", "no-such-event-xyz");
    expect_usage_error("exec --variant a=true --events page-faults,no-such-event-xyz", "no-such-event-xyz");
}

static void pymalloc_specs_keep_their_commas(void **state)
{
    (void)state;
    char *argv[] = {"run", "--variants", "pymalloc:pages=thp,arena=2M,reclaim=never,4k", "--variants", "mostfull",
                    "--workloads", "selftest:empty,selftest:touch:3", "--reps", "2", "--warmup", "0", NULL};
    ab_plan p;
    assert_int_equal(ab_plan_parse_run(11, argv, &p), AB_PARSE_OK);
    assert_int_equal(p.n_variants, 3);
    assert_string_equal(p.variants[0].name, "pymalloc:pages=thp,arena=2M,reclaim=never");
    assert_string_equal(p.variants[1].name, "4k");
    assert_string_equal(p.variants[2].name, "mostfull");
    assert_int_equal(p.n_workloads, 2);
    assert_int_equal(p.n_slots, 2 * 3 * 2);
    assert_true(p.timeout_s >= AB_TIMEOUT_MIN_S);
    assert_string_equal(p.out, AB_DEFAULT_OUT);
    ab_plan_free(&p);
}

static void help_exits_0(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(ab_test_run_arenabench("run --help", &out, NULL), 0);
    assert_non_null(strstr(out, "--hugepages"));
    free(out);
    assert_int_equal(ab_test_run_arenabench("exec --help", &out, NULL), 0);
    assert_non_null(strstr(out, "--variant NAME=COMMAND"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schedule_is_rounds_of_permutations),
        cmocka_unit_test(schedule_depends_only_on_the_seed),
        cmocka_unit_test(a_workloads_variants_run_back_to_back),
        cmocka_unit_test(variants_are_spread_over_positions),
        cmocka_unit_test(numbers_and_words),
        cmocka_unit_test(bad_input_exits_2_and_writes_nothing),
        cmocka_unit_test(unknown_event_exits_2),
        cmocka_unit_test(pymalloc_specs_keep_their_commas),
        cmocka_unit_test(help_exits_0),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
