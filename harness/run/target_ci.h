/*
 * target_ci.h -- `run --target-ci PCT [--max-time SEC]`: when to stop adding
 * rounds, and what was reached per cell.
 *
 * Every cell is judged on wall time over whole rounds:
 *   - paired: a cell that has a baseline -- the same variant and workload in
 *     the first build when the run has builds, else the first variant's cell
 *     of the workload -- is judged by the 95% CI of its per-round ratio to
 *     that baseline, the one `compare` and `table` give by default
 *     (AB_PAIRED_AUTO of harness/util/paired.h: the Hodges-Lehmann ratio's
 *     signed-rank interval, paired by round number).  PCT bounds the CI's
 *     relative half-width.
 *   - baseline: a cell that other cells are paired against is recorded with
 *     its own (unpaired) half-width but does not gate: the comparisons it
 *     takes part in carry its noise already.
 *   - unpaired: without any baseline (one build, one variant), the 95% CI of
 *     the cell's mean wall time (Student t), relative to the mean.
 * A workload is finished after the first round, from --reps on, at which
 * every gated cell of that workload is within PCT: its cells (they pair only
 * with each other) are skipped in later rounds, so the time goes to the
 * workloads that still need it.  Whether a cell has reached PCT depends only
 * on the spread of its ratios, not on their value, so stopping there does
 * not favour any verdict.  The run stops when every workload is finished; or
 * before a round that would end past --max-time (the last round's duration
 * predicts the next); or when the schedule's AB_TARGET_CI_MAX_ROUNDS rounds
 * are done.
 *
 * The machine's noise figure recorded with the results: the median over
 * paired cells of the standard deviation of the per-round log ratio (in %,
 * the noise a paired comparison sees per round), the same from the median
 * absolute deviation (the noise of the core of the rounds, which the
 * signed-rank statistics see), and the median over all cells of the
 * coefficient of variation of wall time (what an unpaired one sees).
 */
#ifndef AB_TARGET_CI_H
#define AB_TARGET_CI_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "harness/run/plan.h"

typedef enum { AB_CI_PAIRED, AB_CI_BASELINE, AB_CI_UNPAIRED } ab_ci_kind;

typedef enum { AB_CI_STOP_NONE, AB_CI_STOP_REACHED, AB_CI_STOP_TIME, AB_CI_STOP_MAX_ROUNDS, AB_CI_STOP_INTERRUPTED } ab_ci_stop;

typedef struct ab_cell_ci {
    ab_ci_kind kind;
    size_t baseline;            /* AB_CI_PAIRED: the cell it is paired against */
    size_t n;                   /* pairs (paired) or samples */
    double half_width_pct;      /* 95% CI half-width relative to the estimate, %; NaN below 2 values */
    double ratio;               /* paired: geometric mean of cell/baseline; else NaN */
    double noise_pct;           /* paired: sd of the per-round log ratio; else the CV; % (NaN below 2) */
    double robust_noise_pct;    /* paired: the same from the MAD (report_stats.h); else NaN */
} ab_cell_ci;

const char *ab_ci_kind_name(ab_ci_kind k);
const char *ab_ci_stop_name(ab_ci_stop s);

/*
 * Judge every cell over the measured rounds [0, rounds): slot i of the plan's
 * schedule contributes wall[i] when i < n_ran and wall[i] is not NaN (a
 * failed or missing sample is NaN).  out has ab_plan_n_cells(plan) entries.
 */
void ab_target_ci_eval(const ab_plan *plan, const double *wall, size_t n_ran, int rounds, ab_cell_ci *out);

/* Whether every gated cell is within target_pct; *widest is the gated cell
 * with the widest half-width (a cell without one counts as widest). */
bool ab_target_ci_reached(const ab_plan *plan, const ab_cell_ci *cells, double target_pct, size_t *widest);

/* Mark finished[w] for every workload whose gated cells are all within
 * target_pct (finished[] has plan->n_workloads entries; marks are only set,
 * never cleared).  Returns how many workloads are finished. */
size_t ab_target_ci_finish_workloads(const ab_plan *plan, const ab_cell_ci *cells, double target_pct,
                                     bool *finished);

/* "target_ci" of one cell, and the run-level record (config.target_ci). */
json_t *ab_target_ci_cell_json(const ab_plan *plan, const ab_cell_ci *c, double target_pct);
json_t *ab_target_ci_run_json(const ab_plan *plan, const ab_cell_ci *cells, int rounds, ab_ci_stop stop);

/* "BUILD/VARIANT x WORKLOAD" of a cell, for progress and messages. */
void ab_plan_cell_label(const ab_plan *plan, size_t cell, char *buf, size_t len);

#endif
