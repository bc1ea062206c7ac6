/*
 * cmd_sample.c -- `arenabench sample`: the child entry point of `run --build`.
 *
 *   arenabench sample --protocol            print AB_SAMPLE_PROTOCOL (builds.h)
 *   arenabench sample RUN-OPTIONS           one sample of one variant x workload
 *
 * RUN-OPTIONS are `run`'s, naming exactly one variant and one workload; the
 * sample is written to stdout as the one JSON object a forked `run` child
 * writes (child.h), so the parent treats both alike.  Not meant for people:
 * `run --build` calls it (runner.c).
 *
 * Test hook: AB_SAMPLE_TEST_DELAY_US=N adds N microseconds of sleep to the
 * end of every measured phase (plan.h test_delay_ns) and the sample says so
 * in "test_delay_ns"; tests use it to make one build a known amount slower.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/run/builds.h"
#include "harness/run/child.h"
#include "harness/commands.h"
#include "harness/run/plan.h"

/* An hour: any larger test delay is a typo. */
#define AB_SAMPLE_TEST_DELAY_MAX_US 3600000000L

int cmd_sample(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--protocol")) {
        printf("%d\n", AB_SAMPLE_PROTOCOL);
        return AB_EXIT_OK;
    }
    ab_plan plan;
    int rc = ab_plan_parse_run(argc, argv, &plan);
    if (rc != AB_PARSE_OK) {
        ab_plan_free(&plan);
        return rc == AB_PARSE_HELP ? AB_EXIT_OK : AB_EXIT_USAGE;
    }
    if (plan.n_variants != 1 || plan.n_workloads != 1 || plan.n_builds != 0 || plan.n_slots != 1) {
        fprintf(stderr, "arenabench sample: needs exactly one variant, one workload, --reps 1 --warmup 0 "
                        "and no --build\n");
        ab_plan_free(&plan);
        return AB_EXIT_USAGE;
    }
    const char *delay = getenv(AB_SAMPLE_TEST_DELAY_ENV);
    long us = 0;
    if (delay && ab_parse_long(delay, 0, AB_SAMPLE_TEST_DELAY_MAX_US, &us) != 0) {
        fprintf(stderr, "arenabench sample: %s needs microseconds, not '%s'\n", AB_SAMPLE_TEST_DELAY_ENV, delay);
        ab_plan_free(&plan);
        return AB_EXIT_USAGE;
    }
    plan.test_delay_ns = (int64_t)us * 1000;
    fflush(NULL);
    ab_child_run_sample(&plan, &plan.schedule[0], STDOUT_FILENO);
}
