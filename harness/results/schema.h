/*
 * schema.h -- the results document's structure: its version, its keys, the
 * sample statuses.  The one owner of these names; the metrics themselves
 * (wall_ns, alloc.*, counters.*, ...) are rows of metrics.h.
 *
 * The document (docs and README "Results JSON"):
 *   { schema_version, tool, machine{}, config{}, cells[], correctness{}, run{} }
 *   cell:   { variant, variant_spec, workload, samples[], summary{}, warmup_samples[] }
 *   sample: { rep, order, status, reason, signal, <metrics>, counter_status{},
 *             counter_raw{}, timeline, ... }
 *
 * Compatibility rule of version 1: keys are only ever added.  A reader
 * ignores keys it does not know and treats a missing key that was added
 * after the first version-1 files as "not measured"; a key listed as
 * required here was in every version-1 file ever written.
 *
 * Tests keep their own copy of this contract (tests/results_schema.h) on
 * purpose: a drift between the two fails a test.
 *
 * Adding a key that is not a metric (a machine fact, a config setting, a
 * top-level block such as "build"): write it where its block is written
 * (machine.c, results.c's config(), ...) and, if any reader looks at it, give
 * it an AB_KEY_ name here and read it through that.  A new key is never
 * required of older files; document it in docs/ with the schema.  A number a
 * report shows or compare judges is a metric: add it to metrics.h instead.
 */
#ifndef AB_RESULTS_SCHEMA_H
#define AB_RESULTS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#define AB_SCHEMA_VERSION 1

/* ---- top level ---------------------------------------------------------- */
#define AB_KEY_SCHEMA_VERSION "schema_version"
#define AB_KEY_TOOL "tool"
#define AB_KEY_MACHINE "machine"
#define AB_KEY_CONFIG "config"
#define AB_KEY_CELLS "cells"
#define AB_KEY_CORRECTNESS "correctness"
#define AB_KEY_RUN "run"

/* ---- config (the keys a reader looks at) ---------------------------------- */
#define AB_KEY_CONFIG_MODE "mode"
#define AB_KEY_CONFIG_VARIANTS "variants"
#define AB_KEY_CONFIG_WORKLOADS "workloads"
#define AB_KEY_CONFIG_SCALE "scale"
#define AB_KEY_CONFIG_SEED "seed"
#define AB_KEY_CONFIG_EVENTS "events"
#define AB_KEY_CONFIG_REPS "reps"          /* measured rounds that ran */
/* run --build: [{name, source, path, commit}], the first is the baseline
 * (docs/builds.md) */
#define AB_KEY_CONFIG_BUILDS "builds"
/* run --target-ci: config.target_ci (the run) and cell.target_ci (what the
 * cell reached), docs/builds.md */
#define AB_KEY_TARGET_CI "target_ci"
/* --tlb-model (docs/tlb-model.md): the model's name and file, null without. */
#define AB_KEY_CONFIG_TLB_MODEL "tlb_model"
#define AB_KEY_CONFIG_TLB_MODEL_FILE "tlb_model_file"

/* ---- a sample's sim block: its texts (its numbers are sim.* metrics) ------ */
#define AB_KEY_SIM "sim"
#define AB_KEY_SIM_STATUS "status"             /* always AB_SIM_STATUS */
#define AB_SIM_STATUS "simulated"
#define AB_KEY_SIM_MODEL "model"
#define AB_KEY_SIM_COVERAGE "coverage"         /* "workload+allocator" | "workload" */
#define AB_KEY_SIM_PAGE_SIZE_METHOD "page_size_method"

/* ---- correctness -------------------------------------------------------- */
#define AB_KEY_CHECKSUMS_AGREE "checksums_agree"
#define AB_KEY_MISMATCHES "mismatches"

/* ---- cell --------------------------------------------------------------- */
#define AB_KEY_VARIANT "variant"
#define AB_KEY_VARIANT_SPEC "variant_spec"
#define AB_KEY_BUILD "build"               /* run --build: the build that ran the cell's samples */
#define AB_KEY_WORKLOAD "workload"
#define AB_KEY_SAMPLES "samples"
#define AB_KEY_SUMMARY "summary"
#define AB_KEY_WARMUP_SAMPLES "warmup_samples"

/* ---- sample (beyond its metrics) ------------------------------------------ */
#define AB_KEY_REP "rep"
#define AB_KEY_ORDER "order"
#define AB_KEY_STATUS "status"
#define AB_KEY_REASON "reason"
#define AB_KEY_SIGNAL "signal"
#define AB_KEY_PHASES "phases"
#define AB_KEY_RSS_BASE_KB "rss_base_kb"
#define AB_KEY_RSS_SOURCE "rss_source"
#define AB_KEY_EXIT_CODE "exit_code"
#define AB_KEY_CHILD_RUSAGE "child_rusage"
#define AB_KEY_COUNTER_STATUS "counter_status"
#define AB_KEY_COUNTER_RAW "counter_raw"
#define AB_KEY_COUNTER_DETAIL "detail"      /* counter_raw.<event>.detail */
#define AB_KEY_TIMELINE "timeline"
/* The costs of huge pages (docs/costs.md); the figures themselves are the
 * registry's families fork.*, survivors.* and vmstat.*. */
#define AB_KEY_VMSTAT_STATUS "vmstat_status"   /* "system_wide": how to read vmstat.* */
#define AB_KEY_FORK_WORKERS "fork_workers"     /* prefork: one record per worker */
#define AB_KEY_SETTLE "settle"                 /* --settle: the second look */
#define AB_KEY_SETTLE_SECONDS "seconds"
#define AB_KEY_SETTLE_HUGE_BYTES "huge_bytes"
#define AB_KEY_SETTLE_MAPPED_BYTES "mapped_bytes"
#define AB_KEY_SETTLE_COLLAPSE_ALLOC "collapse_alloc"   /* thp_collapse_alloc over the wait */
#define AB_KEY_TEST_DELAY_NS "test_delay_ns" /* the sample entry point's test hook (cmd_sample.c) */

/* ---- timeline columns (sample.timeline) ---------------------------------- */
#define AB_KEY_TL_T_NS "t_ns"
#define AB_KEY_TL_RSS_KB "rss_kb"
#define AB_KEY_TL_HUGETLB_KB "hugetlb_kb"
#define AB_KEY_TL_ARENAS "arenas"
#define AB_KEY_TL_EVENT "event"
#define AB_KEY_TL_INTERVAL_MS "interval_ms"
#define AB_KEY_TL_HUGETLB_SAMPLED "hugetlb_sampled"

/* ---- shards, merges and fleets (docs/fleet.md) ----------------------------- */
#define AB_KEY_CONFIG_SHARD "shard"             /* config.shard of `run --shard K/N` */
#define AB_KEY_SHARD_INDEX "index"
#define AB_KEY_SHARD_COUNT "count"
#define AB_KEY_PLAN_ID "plan_id"                /* config.shard.plan_id, config.merged.plan_id */
#define AB_KEY_SHARD_PLAN_WORKLOADS "plan_workloads"
#define AB_KEY_CONFIG_MERGED "merged"           /* config.merged of `merge` */
#define AB_KEY_MACHINES "machines"              /* fleet file: {machine id: machine block} */
#define AB_KEY_CELL_MACHINE_ID "machine_id"     /* fleet file: the cell's machine */
#define AB_KEY_MACHINE_HOSTNAME "hostname"

/* ---- summary (cell.summary.<metric>) ----------------------------------------- */
#define AB_KEY_SUMMARY_N "n"
#define AB_KEY_SUMMARY_MEDIAN "median"

/* How a sample ended.  Only ok samples enter statistics. */
typedef enum { AB_SAMPLE_OK, AB_SAMPLE_CRASHED, AB_SAMPLE_TIMEOUT, AB_SAMPLE_FAILED } ab_sample_status;
#define AB_SAMPLE_STATUS_COUNT 4

/* "ok", "crashed", "timeout", "failed". */
const char *ab_sample_status_name(ab_sample_status s);
/* The status named s; false if s names none. */
bool ab_sample_status_parse(const char *s, ab_sample_status *out);

/* Keys every document has, each with its JSON type ('o' object, 'a' array,
 * 'i' integer); NULL-terminated. */
typedef struct ab_schema_key {
    const char *key;
    char type;
} ab_schema_key;
extern const ab_schema_key ab_schema_top_keys[];
/* Keys every cell has (beyond what each reader may add). */
extern const ab_schema_key ab_schema_cell_keys[];

#endif
