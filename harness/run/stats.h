/*
 * stats.h -- per-metric summary statistics over a cell's samples.
 *
 * The 95% confidence interval is for the mean, from Student's t distribution
 * with n-1 degrees of freedom: mean +- t(0.975, n-1) * s / sqrt(n), where s is
 * the sample standard deviation (n-1 denominator).  The t quantile comes
 * from GSL, not a table, so any n works.  It assumes roughly normal,
 * independent samples; the median next to it is the robust figure when a few
 * samples are outliers.
 */
#ifndef AB_STATS_H
#define AB_STATS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ab_summary {
    size_t n;
    /* Valid only when n >= 1. */
    double median, mean, min, max;
    /* Valid only when n >= 2 (has_spread). */
    bool has_spread;
    double stddev, ci95_lo, ci95_hi;
} ab_summary;

/* Summarise x[0..n-1] (the array is not modified). */
void ab_stats_summarize(const double *x, size_t n, ab_summary *out);

#endif
