/*
 * cmd_run.c -- `arenabench run`: the variant x workload matrix.
 *
 * With --tlb-model the samples must run the instrumented code, which only
 * the tlbsim build flavour has (tlbsim/access_hook.h): a normal build hands
 * the whole command line over to build/arenabench-tlbsim, once the options
 * (and the model) have been checked here.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/commands.h"
#include "harness/run/drive.h"
#include "harness/run/plan.h"
#include "harness/run/child.h"
#include "harness/run/fresh_sample.h"
#include "tlbsim/capture.h"

/* The instrumented driver: $AB_ARENABENCH_TLBSIM, else arenabench-tlbsim
 * next to this executable. */
static void tlbsim_binary(char *out, size_t len)
{
    const char *env = getenv("AB_ARENABENCH_TLBSIM");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) n = 0;
    self[n] = 0;
    snprintf(out, len, "%s/arenabench-tlbsim", n ? dirname(self) : ".");
}

/* Only returns on failure (exit status to use). */
static int reexec_instrumented(int argc, char **argv)
{
    char path[PATH_MAX + 32];
    tlbsim_binary(path, sizeof path);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return AB_EXIT_USAGE;
    args[0] = path;
    for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
    fflush(NULL);
    execv(path, args);
    fprintf(stderr, "arenabench run: --tlb-model needs the instrumented build %s: %s "
            "(make tlbsim builds it)\n", path, strerror(errno));
    free(args);
    return AB_EXIT_USAGE;
}

int cmd_run(int argc, char **argv)
{
    ab_plan plan;
    int rc = ab_plan_parse_run(argc, argv, &plan);
    plan.argc = argc;
    plan.argv = argv;
    size_t slot;
    int out_fd;
    if (rc == AB_PARSE_OK && plan.tlb_model && !ab_tlbsim_instrumented()) rc = reexec_instrumented(argc, argv);
    else if (rc == AB_PARSE_OK && ab_fresh_sample_requested(&plan, &slot, &out_fd))
        ab_child_run_sample(&plan, &plan.schedule[slot], out_fd);
    else if (rc == AB_PARSE_OK) rc = ab_drive(&plan, argc, argv);
    else rc = rc == AB_PARSE_HELP ? AB_EXIT_OK : AB_EXIT_USAGE;
    ab_plan_free(&plan);
    return rc;
}
