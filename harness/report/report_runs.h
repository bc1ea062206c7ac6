/*
 * report_runs.h -- one noisy metric of one cell compared across separate
 * runs, with the run as the unit of variance.
 *
 * Two runs of the same binary on a shared VM differ by more than the samples
 * within either run spread (issue 11: 17% of A/A cells "worse" when the
 * samples of two runs are tested as one population), so:
 *
 *   - several runs per side (AB_RUNS_T): each run contributes one value, the
 *     log of its mean; Welch's t on those values (Welch-Satterthwaite df).
 *     When one side has a single run, the other side's run-to-run variance
 *     stands in for it (df = that side's runs - 1).
 *   - one run per side (AB_RUNS_NOISE): the run-to-run component cannot be
 *     seen in one cell, so it is estimated across the cells of the metric:
 *     with d_c the log ratio of means and se_c its within-run standard error,
 *         sigma^2 = max(0, median(d_c^2) / AB_CHI2_1_MEDIAN - median(se_c^2))
 *     (robust: a few really changed cells do not inflate it), and each cell
 *     is tested by z = d_c / sqrt(se_c^2 + sigma^2).  Cells with fewer than
 *     two samples a side have no within-run spread: they neither enter the
 *     estimate nor are tested.  A change that moved
 *     every cell alike is indistinguishable from the machine being slower
 *     during one run and is not called significant: that takes several runs
 *     per side.  Below AB_RUN_NOISE_MIN_CELLS cells nothing is estimated and
 *     such changes are inconclusive.
 */
#ifndef AB_REPORT_RUNS_H
#define AB_REPORT_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include "harness/results/results_load.h"

/* Median of the chi-square distribution with one degree of freedom:
 * median(d^2) / this estimates E[d^2] when d is normal with mean 0. */
#define AB_CHI2_1_MEDIAN 0.454936423119572
/* Fewer cells than this give no usable estimate of the run-to-run spread. */
#define AB_RUN_NOISE_MIN_CELLS 6

typedef enum { AB_RUNS_T, AB_RUNS_NOISE } ab_runs_method;

typedef struct ab_run_noise {
    bool known;         /* enough cells to estimate it */
    size_t cells;       /* cells it was estimated from */
    double sd;          /* run-to-run SD of the log ratio of two runs' means */
} ab_run_noise;

/* Estimate from n cells' values in the base run and the new run. */
ab_run_noise ab_run_noise_estimate(const ab_metric_values *base, const ab_metric_values *cand, size_t n);

typedef struct ab_runs_change {
    bool valid;         /* positive means on both sides */
    ab_runs_method method;
    double change;      /* geometric mean of the new runs' means over the base runs', minus one */
    double lo, hi;      /* its CI (fractions); NaN when it cannot be given */
    bool tested;
    double p;           /* two-sided */
    size_t runs_base, runs_new;
    double run_sd;      /* run-to-run SD of a log run mean (T) or of the log ratio (NOISE) */
} ab_runs_change;

/* One run per side, with the noise estimated across cells. */
ab_runs_change ab_runs_change_single(const ab_metric_values *base, const ab_metric_values *cand, ab_run_noise noise,
                                     double conf);
/* kb base runs and kn new runs of one cell (kb + kn >= 3, each >= 1). */
ab_runs_change ab_runs_change_multi(const ab_metric_values *base, size_t kb, const ab_metric_values *cand, size_t kn,
                                    double conf);

#endif
