/*
 * metrics.h -- the metrics registry: one row per metric, the single owner of
 * every metric name in the results format and of what the metric means.
 *
 * A row says where the metric lives in a sample (its name is its JSON
 * location: "wall_ns" is sample.wall_ns, "alloc.arenas_highwater" is
 * sample.alloc.arenas_highwater), how a report shows it, which direction is
 * better, whether it is deterministic, compare's default tolerance, and which
 * default lists it is on.  Writers fill the typed sample (sample.h) and
 * sample.c serialises it by walking these rows; readers (results_load, table,
 * compare, plot, the driver's summary) look metrics up here.  Code outside
 * harness/results/ names a metric by its id (AB_M_WALL_NS), never by a string.
 *
 * Kinds of row:
 *   VALUE    one number at its location, held by the int64_t at `field` of
 *            ab_sample (AB_VALUE_UNKNOWN there is written as null);
 *   FAMILY   "<name>.<member>" for every key of the object sample.<name>
 *            (counters.<event>, alloc.<field> this build has no row for);
 *            a VALUE row inside the family's object takes precedence;
 *   DERIVED  computed by `derive` from other values of the sample;
 *   IDENTITY compared for equality only, never averaged (the checksum).
 *
 * Deterministic metrics (the allocator's own statistics, the checksum) are
 * the same in every repetition of a cell when nothing changed, so `compare`
 * judges them by value with a tight tolerance; everything measured by the
 * clock, the kernel or the PMU is noisy and judged statistically.
 *
 * ---- How to add a metric -------------------------------------------------
 *  1. Add its id to ab_metric_id below (before AB_METRIC_COUNT; the order of
 *     the ids is the order of every default list and of the summary).
 *  2. Add its row to the table in metrics.c (name = JSON location, title,
 *     unit and display scale, direction, deterministic, tolerance, lists,
 *     required = false: files written before it do not have it).
 *  3. Give it an int64_t field in ab_sample (sample.h), point the row's
 *     `field` at it, and set it where it is measured (harness/child.c for
 *     `run`, runner.c's exec sample for `exec`).  Leave it AB_VALUE_UNKNOWN
 *     where it cannot be measured: it is written as null, never 0.
 *  4. If it should be gated in CI, add AB_LIST_CI_GATE and a line to
 *     harness/ci-gate.metrics (tests/test_metrics.c checks they agree).
 * ---- How to add a block of metrics (e.g. "vmstat.<field>") ------------------
 *  Add one VALUE row per known field named "<block>.<field>", a presence
 *  flag to ab_sample and a row to the blocks table in metrics.c (the block is
 *  written as null when absent), and, if files may carry fields this build
 *  does not know, a FAMILY row named "<block>".
 */
#ifndef AB_RESULTS_METRICS_H
#define AB_RESULTS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef enum ab_metric_id {
    AB_M_WALL_NS,
    AB_M_USER_NS,
    AB_M_SYS_NS,
    AB_M_RSS_PEAK_KB,
    AB_M_RSS_END_KB,
    AB_M_HUGETLB_KB_PEAK,
    AB_M_HUGETLB_KB_END,
    AB_M_MEM_PEAK_KB,
    AB_M_MEM_END_KB,
    AB_M_COUNTERS,                 /* family counters.<event> */
    AB_M_ARENAS_HIGHWATER,         /* alloc.* in the order of ab_alloc_stats */
    AB_M_ARENAS_CURRENT,
    AB_M_HUGEPAGE_COVERAGE,        /* derived from alloc.* */
    AB_M_HUGETLB_FALLBACKS,
    AB_M_ARENAS_ALLOCATED_TOTAL,
    AB_M_ARENAS_RECLAIMED,
    AB_M_ARENA_SIZE,
    AB_M_POOL_SIZE,
    AB_M_POOLS_IN_USE,
    AB_M_BLOCKS_IN_USE,
    AB_M_BYTES_IN_BLOCKS,
    AB_M_BYTES_LOST_POOL_HEADERS,
    AB_M_BYTES_LOST_QUANTIZATION,
    AB_M_BYTES_LOST_ALIGNMENT,
    AB_M_SYSTEM_ALLOCS,
    AB_M_MMAP_CALLS,
    AB_M_MUNMAP_CALLS,
    AB_M_HUGETLB_SKIPPED,
    AB_M_ARENA_BYTES_MAPPED,
    AB_M_HUGEPAGE_BYTES,
    AB_M_ALLOC,                    /* family alloc.<field> */
    AB_M_OPS_MALLOC,
    AB_M_OPS_CALLOC,
    AB_M_OPS_REALLOC,
    AB_M_OPS_FREE,
    AB_M_OPS,                      /* family ops.<kind> */
    AB_M_CHECKSUM,
    /* sim.*: simulated by the TLB model (--tlb-model, docs/tlb-model.md),
     * in the order of ab_sample_sim */
    AB_M_SIM_ACCESSES,
    AB_M_SIM_LOADS,
    AB_M_SIM_STORES,
    AB_M_SIM_DTLB_LOAD_MISSES,
    AB_M_SIM_DTLB_STORE_MISSES,
    AB_M_SIM_STLB_MISSES,
    AB_M_SIM_STLB_LOAD_MISSES,
    AB_M_SIM_STLB_STORE_MISSES,
    AB_M_SIM_ACCESSES_4K,
    AB_M_SIM_ACCESSES_2M,
    AB_M_SIM_DTLB_LOAD_MISSES_4K,
    AB_M_SIM_DTLB_LOAD_MISSES_2M,
    AB_M_SIM_DTLB_STORE_MISSES_4K,
    AB_M_SIM_DTLB_STORE_MISSES_2M,
    AB_M_SIM_STLB_MISSES_4K,
    AB_M_SIM_STLB_MISSES_2M,
    AB_M_SIM_REGIONS_4K,
    AB_M_SIM_REGIONS_2M,
    AB_M_SIM_INVALIDATIONS,
    AB_M_SIM_PAGE_NOT_PRESENT,
    AB_M_SIM_PAGE_SIZE_AMBIGUOUS,
    AB_METRIC_COUNT
} ab_metric_id;

typedef enum { AB_METRIC_VALUE, AB_METRIC_FAMILY, AB_METRIC_DERIVED, AB_METRIC_IDENTITY } ab_metric_kind;

typedef enum {
    AB_LOWER_IS_BETTER,    /* time, faults, misses, memory, arenas */
    AB_HIGHER_IS_BETTER,   /* huge-page coverage */
} ab_direction;

/* Default lists a metric is on (bit set in ab_metric.lists). */
enum {
    AB_LIST_SUMMARY = 1u << 0,  /* results.c: cell.summary (families: their members present) */
    AB_LIST_TABLE = 1u << 1,    /* `table` without --metric */
    AB_LIST_COMPARE = 1u << 2,  /* `compare` without --metrics */
    AB_LIST_PLOT = 1u << 3,     /* `plot`'s change plots */
    AB_LIST_CI_GATE = 1u << 4,  /* harness/ci-gate.metrics */
    /* Not a list: or'ed into ab_metric_list's request, lets simulated rows
     * in (only files made with --tlb-model have them). */
    AB_LIST_WITH_SIMULATED = 1u << 5,
};

/* A value that is not known; written as JSON null.  Every metric is a
 * non-negative count, size or time, so no measured value is negative. */
#define AB_VALUE_UNKNOWN ((int64_t)-1)
#define AB_NO_FIELD ((size_t)-1)

typedef struct ab_metric {
    const char *name;          /* JSON location; a FAMILY's object name */
    ab_metric_kind kind;
    const char *title;         /* "wall time"; NULL: the name is the title */
    const char *unit;          /* shown after the value ("ms", "MiB", "%", "") */
    double display_scale;      /* value * display_scale is shown */
    ab_direction better;
    bool deterministic;
    /* compare's default tolerance for a deterministic metric, a fraction of
     * the base value (0 = any change in the worse direction counts). */
    double tolerance;
    /* A noisy count's absolute floor: compare calls a change only when the
     * means differ by more than this many units as well as by the threshold
     * (0 = none). */
    double abs_floor;
    unsigned lists;            /* AB_LIST_* */
    /* The gate's own threshold in % of the base (NAME=PCT in
     * ci-gate.metrics); negative: compare's default. */
    double ci_gate_pct;
    /* In every version-1 sample ever written (present, possibly null). */
    bool required;
    /* Where a VALUE is held: offsetof(ab_sample, ...) of an int64_t. */
    size_t field;
    /* Read instead when the sample has no such key (files written before
     * this metric existed), or AB_METRIC_COUNT for none. */
    ab_metric_id fallback;
    /* FAMILY: what a member is, for help texts ("EVENT": counters.EVENT). */
    const char *member_hint;
    /* `plot`'s file name for its change plot (AB_LIST_PLOT); a family's
     * is a prefix to the member's name. */
    const char *plot_stem;
    /* Figured by the TLB simulator, not measured: only runs with
     * --tlb-model have it, so default lists leave it out of other files. */
    bool simulated;
    /* DERIVED: the value from the sample; false when not available. */
    bool (*derive)(const json_t *sample, double *out);
} ab_metric;

/* A block of metrics held in ab_sample behind a presence flag: written as
 * null when the flag (a bool at present_field) is false. */
typedef struct ab_metric_block {
    const char *name;          /* "alloc": its metrics are named "alloc.<field>" */
    size_t present_field;      /* offsetof(ab_sample, has_...) */
} ab_metric_block;
extern const ab_metric_block ab_metric_blocks[];   /* NULL-name terminated */

/* The row of id. */
const ab_metric *ab_metric_get(ab_metric_id id);
/* Its name ("wall_ns", "counters" for the counters family). */
const char *ab_metric_key(ab_metric_id id);

/* The row a full metric name belongs to ("counters.page-faults" -> the
 * counters family); NULL if no row takes it.  *member, if given, points at
 * the part after the family's dot (NULL for a non-family row). */
const ab_metric *ab_metric_lookup(const char *name, const char **member);
ab_metric_id ab_metric_id_of(const ab_metric *m);

/* The name a user types: "wall_ns", or for a family "counters.EVENT". */
const char *ab_metric_display_name(ab_metric_id id, char *buf, size_t len);

/* "<family>.<member>" into buf; buf. */
const char *ab_metric_member_name(ab_metric_id family, const char *member, char *buf, size_t len);

/* A title for reports: "wall time (wall_ns)", "counters.X (event count)". */
void ab_metric_title(const char *name, char *buf, size_t len);

/*
 * The names on a default list, in registry order, each family expanded by
 * `members` (e.g. the counter events both files name).  Returns a malloc'd
 * array of malloc'd strings (free with ab_metric_names_free) and sets *n;
 * NULL on out of memory.
 */
char **ab_metric_list(unsigned list, const char *const *members, size_t n_members, size_t *n);
/* AB_LIST_WITH_SIMULATED when config.tlb_model is set in every file
 * (non-NULL and equal): simulated rows belong on that file's lists. */
unsigned ab_metric_simulated_lists(const char *tlb_model_a, const char *tlb_model_b);
void ab_metric_names_free(char **names, size_t n);

/*
 * The metric's value in one sample: true with *out set; false when the
 * sample lacks it or it is null.  (Strictness about wrong types is the
 * loader's: see ab_sample_check.)
 */
bool ab_sample_value(const json_t *sample, const char *name, double *out);
bool ab_sample_value_id(const json_t *sample, ab_metric_id id, double *out);

/*
 * Check every metric of one sample: each present value is null or a finite
 * number >= 0 that fits an int64 (a count, size or time), each family's
 * object is an object of such values, the identity is a string, and the
 * required keys are present.  0, or -1 with the first problem in err
 * ("\"wall_ns\" is a string; want a number or null").
 */
int ab_sample_check(const json_t *sample, char *err, size_t errlen);

/* One value named `where`: null, or a count, size or time (as above).  0, or
 * -1 with the problem in err. */
int ab_value_check(const json_t *v, const char *where, char *err, size_t errlen);

#endif
