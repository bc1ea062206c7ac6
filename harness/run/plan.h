/*
 * plan.h -- from a command line to a validated plan and a sample schedule.
 *
 * Everything a run could reject (unknown option, variant, workload or event,
 * malformed number) is rejected here, in the parent, before any sample runs
 * and before anything is written: a plan that parsed can be executed.
 *
 * The schedule is the order in which samples run.  Warmup samples come first
 * (their results are kept apart and never summarised), then `reps` rounds;
 * every round holds each cell (variant x workload) exactly once in a seeded
 * random order (blocked randomisation).  So slow drift of the machine --
 * thermal state, other tenants, page-cache state -- spreads evenly over the
 * variants instead of favouring whichever ran first, and the same seed gives
 * the same order.
 */
#ifndef AB_PLAN_H
#define AB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "allocators/variant.h"
#include "tlbsim/tlb.h"
#include "harness/run/shard.h"
#include "workloads/workload.h"

typedef enum { AB_MODE_WORKLOADS, AB_MODE_EXEC } ab_plan_mode;

/* One variant: a pymalloc/reference allocator (run) or a command (exec). */
typedef struct ab_plan_variant {
    char *name;              /* as given on the command line */
    char *spec_text;         /* canonical spec (run) or the command text (exec) */
    ab_variant variant;      /* run mode */
    char **argv;             /* exec mode: command words, NULL-terminated */
    char **env;              /* exec mode: "VAR=VAL" settings for this variant */
    size_t n_env;
} ab_plan_variant;

/* One build (run --build NAME=PATH|git:REF): every sample of it is executed
 * by its own arenabench binary through the `sample` entry point. */
typedef struct ab_plan_build {
    char *name;              /* as given on the command line */
    char *source;            /* what was given after '=': a path or "git:REF" */
    char *path;              /* the absolute path of the binary that runs its samples */
    char *commit;            /* git:REF builds: the full commit id, else NULL */
} ab_plan_build;

typedef struct ab_plan_workload {
    char *spec;                  /* "name" or "name:param" (run) / the label (exec) */
    const ab_workload *workload; /* NULL in exec mode */
} ab_plan_workload;

/* One sample: which cell, which repetition, and where it sits in the schedule. */
typedef struct ab_slot {
    size_t variant, workload;
    int rep;                 /* 0-based within warmup or measured reps: the round, the key that pairs cells */
    bool warmup;
    /* Index into plan->builds; 0 when there are none.  16 bits fill the
     * padding after `warmup`: the slot keeps its size, so the driver's heap
     * -- which forked children inherit, and with it the addresses the model's
     * arenas get -- is laid out as before for runs without builds. */
    uint16_t build;
    size_t order;            /* position in the schedule (0-based) */
} ab_slot;
/* At most this many --build (ab_slot.build). */
#define AB_MAX_BUILDS 64

typedef struct ab_plan {
    ab_plan_mode mode;
    ab_plan_variant *variants;
    size_t n_variants;
    ab_plan_workload *workloads;
    size_t n_workloads;
    ab_plan_build *builds;   /* none: every sample runs in a fork of this process */
    size_t n_builds;
    char **events;
    size_t n_events;
    int reps, warmup;        /* with target_ci_pct: reps is the least number of rounds */
    /* run --target-ci PCT: add rounds (up to AB_TARGET_CI_MAX_ROUNDS) until
     * every cell's 95% CI half-width on wall time is within PCT percent, or
     * max_time_s is spent (harness/target_ci.h).  0 = off. */
    double target_ci_pct;
    double max_time_s;
    int max_rounds;          /* rounds the schedule holds: reps, or the target-ci cap */
    double scale;
    uint64_t seed;
    int pin;                 /* CPU, or -1 */
    double timeout_s;
    double settle_s;         /* --settle: wait after the measured phase, then read coverage again */
    long hugepages;          /* -1 = leave the pool alone */
    bool force;              /* --force: allow a pool above AB_HUGEPOOL_MAX_MEM_FRACTION */
    bool timeline;
    bool quiet;
    bool show_output;        /* exec: let the command's stdout/stderr through */
    char *out;               /* results path */
    /* Test hook (the `sample` entry point only, from AB_SAMPLE_TEST_DELAY_US):
     * sleep this long at the end of every measured phase, inside the timed
     * span, so a test can make one build measurably slower.  The sample
     * records it as "test_delay_ns". */
    int64_t test_delay_ns;
    /* --tlb-model: the validated model (NULL: no simulation) and the file
     * it came from; see docs/tlb-model.md. */
    ab_tlb_model *tlb_model;
    char *tlb_model_path;
    /* The command line the plan came from (argv[0] = "run"; borrowed), for
     * samples that re-execute it (run/fresh_sample.h). */
    int argc;
    char **argv;
    ab_shard shard;          /* count 0: the whole plan */
    /* Sharded: every workload spec of the whole plan, in plan order (the
     * workloads above are this shard's part of them). */
    char **plan_workloads;
    size_t n_plan_workloads;
    ab_slot *schedule;
    size_t n_slots;
} ab_plan;

/* Default sample timeout: AB_TIMEOUT_PER_SCALE_S seconds per unit of scale,
 * never below AB_TIMEOUT_MIN_S (a scale-0.01 test under ASan still needs
 * time to start). */
#define AB_TIMEOUT_PER_SCALE_S 120.0
#define AB_TIMEOUT_MIN_S 30.0
/* --settle's upper bound: khugepaged's default scan interval is 10 s, and
 * a handful of scans is all a sample can wait for. */
#define AB_SETTLE_MAX_S 600.0
/* That rule for a workload run at `scale` (also the limit of `validate`'s
 * children, which run the same workloads). */
double ab_plan_default_timeout_s(double scale);
/* --tlb-model samples run instrumented code: up to 22x the wall time was
 * measured (docs/tlb-model.md), so the default limit grows by this much. */
#define AB_TLBSIM_TIMEOUT_FACTOR 25.0
#define AB_DEFAULT_REPS 5
#define AB_DEFAULT_WARMUP 1
#define AB_DEFAULT_SEED 1
#define AB_DEFAULT_OUT "results/out/latest.json"
/* run --target-ci: the schedule holds at most this many measured rounds
 * (the bound on the parent's per-sample records); --max-time defaults to
 * AB_TARGET_CI_DEFAULT_MAX_TIME_S, the budget docs/noise.md measured with. */
#define AB_TARGET_CI_MAX_ROUNDS 400
/* The least rounds of a --target-ci run without --reps: a half-width from a
 * handful of rounds is itself noisy, and stopping on a luckily narrow one
 * lets A/A cells through (replaying 150 A/A rounds of the 17 default
 * workloads here: 4.9% false verdicts stopping from 5 rounds, 3.3% from 10,
 * for a median of 30 rounds either way; docs/noise.md). */
#define AB_TARGET_CI_DEFAULT_MIN_ROUNDS 10
#define AB_TARGET_CI_MIN_PCT 0.1
#define AB_TARGET_CI_DEFAULT_MAX_TIME_S 600.0

/* Option bounds; the parser and its messages both read them from here. */
#define AB_REPS_MAX 100000            /* measured samples per cell */
#define AB_WARMUP_MAX 100000
#define AB_SCALE_MIN 1e-6             /* below this every count rounds to 1 */
#define AB_SCALE_MAX 1e6
#define AB_TIMEOUT_MIN_OPT_S 0.001    /* a sample cannot even fork faster */
#define AB_TIMEOUT_MAX_OPT_S 1e7      /* ~116 days: far beyond any sample */
#define AB_HUGEPAGES_MAX (1L << 30)   /* 2 PiB of 2 MiB pages: a typo, not a request */

/* Outcome of parsing a command line. */
enum { AB_PARSE_OK = 0, AB_PARSE_HELP = 1, AB_PARSE_USAGE = 2 };

/* `arenabench run` / `arenabench exec` command lines (argv[0] = subcommand).
 * On AB_PARSE_USAGE a message has gone to stderr; on AB_PARSE_HELP the help
 * text has gone to stdout.  The plan must be freed in every case. */
int ab_plan_parse_run(int argc, char **argv, ab_plan *plan);
int ab_plan_parse_exec(int argc, char **argv, ab_plan *plan);
void ab_plan_free(ab_plan *plan);

/* Builds as a dimension: 1 when the plan has none (the implicit "this process"). */
static inline size_t ab_plan_n_builds(const ab_plan *p) { return p->n_builds ? p->n_builds : 1; }
/* Number of cells and the index of a cell: variant-major, then build, then
 * workload, so the builds of one variant sit next to each other. */
static inline size_t ab_plan_n_cells(const ab_plan *p) { return p->n_variants * ab_plan_n_builds(p) * p->n_workloads; }
static inline size_t ab_plan_cell(const ab_plan *p, size_t b, size_t v, size_t w)
{
    return (v * ab_plan_n_builds(p) + b) * p->n_workloads + w;
}
/* The inverse of ab_plan_cell. */
static inline void ab_plan_cell_parts(const ab_plan *p, size_t cell, size_t *b, size_t *v, size_t *w)
{
    *w = cell % p->n_workloads;
    *v = cell / p->n_workloads / ab_plan_n_builds(p);
    *b = cell / p->n_workloads % ab_plan_n_builds(p);
}
static inline size_t ab_plan_slot_cell(const ab_plan *p, const ab_slot *s)
{
    return ab_plan_cell(p, s->build, s->variant, s->workload);
}

/*
 * Fill out[0 .. (warmup+reps)*n_cells-1]: `warmup` shuffled rounds, then
 * `reps` shuffled rounds, each a permutation of the cells, shuffled with a
 * generator seeded by `seed` (Fisher-Yates over splitmix64).  Pure function:
 * same arguments, same schedule.
 *
 * Each round is blocked by workload: the workloads come in a shuffled order
 * and each workload's variants run back to back, in an order shuffled anew
 * for every block.  The samples that `table` and `compare` pair (same
 * workload, same round, two variants) are thus adjacent in time, so they
 * share the machine's state: on a loaded 2-vCPU VM the log ratio of two
 * identical cells' samples spread with a robust SD of 0.14 when adjacent
 * against 0.49 when 9 or more samples apart (docs/noise.md).  No variant is
 * favoured: each is first in its block equally often.
 */
void ab_schedule_interleaved(size_t n_variants, size_t n_workloads, int warmup, int reps,
                             uint64_t seed, ab_slot *out);

/* Strict number parsing: the whole string, within [min, max]. 0 or -1. */
int ab_parse_long(const char *s, long min, long max, long *out);
int ab_parse_double(const char *s, double min, double max, double *out);
int ab_parse_u64(const char *s, uint64_t *out);

/* Split a command into words: whitespace separates, '...' and "..." quote,
 * backslash escapes (outside single quotes); no expansion of any kind.
 * NULL-terminated heap array, or NULL with err on unbalanced quotes/empty. */
char **ab_split_words(const char *cmd, char *err, size_t errlen);
void ab_free_words(char **words);

#endif
