/*
 * main.c -- the arenabench driver: dispatch to one subcommand.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "harness/commands.h"
#include "tlbsim/capture.h"
#include "allocators/reference.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command commands[] = {
    {"run", cmd_run, "run a matrix of variants x workloads, write results JSON"},
    {"list", cmd_list, "list variants, workloads and events (with availability here)"},
    {"env", cmd_env, "check this machine: PMU, perf_event_paranoid, THP, huge page pool"},
    {"exec", cmd_exec, "measure external commands as variants (e.g. two CPython builds)"},
    {"validate", cmd_validate, "compare C workloads (and traces) against real CPython arena counts"},
    {"table", cmd_table, "comparison tables from a results file"},
    {"plot", cmd_plot, "gnuplot PNG/SVG plots from a results file"},
    {"compare", cmd_compare, "regression gate: compare two results files"},
    {"version", cmd_version, "version, commit and build flags of this binary (also --version)"},
    {"merge", cmd_merge, "merge shards of one plan (and runs from many machines) into one file"},
    {"microbench", cmd_microbench, "ns per alloc/free pair for every allocator variant"},
    {"hugepages", cmd_hugepages, "show who holds the huge page pool; --restore it after kill -9"},
    {"noise", cmd_noise, "measure this machine's wall-time noise: A/A false verdicts, detectable effect"},
    {"sample", cmd_sample, "internal: one sample for run --build (the child entry point)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: arenabench COMMAND [OPTIONS]   (arenabench COMMAND --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    /* Any command may open the jemalloc reference allocator (run, list,
     * validate, microbench...), and its library can only be dlopen'ed in a
     * process that started with a larger static-TLS surplus: re-exec once
     * with it, before anything else happens (allocators/reference.h). */
    ab_ref_ensure_static_tls(argv);
    /* Simulated TLB figures depend on where glibc places blocks, and that on
     * the order earlier blocks were freed, which jansson's per-process random
     * hash seed would vary (docs/tlb-model.md, determinism). */
    if (ab_tlbsim_instrumented()) json_object_seed(AB_TLBSIM_JSON_SEED);
    if (argc < 2) {
        usage(stderr);
        return AB_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version")) return cmd_version(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return AB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "arenabench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return AB_EXIT_USAGE;
}
