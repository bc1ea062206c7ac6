/*
 * report_stats.h -- the statistics behind `table` and `compare`.
 *
 * Relative change: the ratio of means new/base minus one, with a 95%
 * confidence interval from the delta method on the log of the ratio
 *     Var(log(mb/ma)) ~= s_a^2/(n_a m_a^2) + s_b^2/(n_b m_b^2)
 * and a Student t quantile with Welch-Satterthwaite degrees of freedom (so
 * five samples per side give honest, wide intervals rather than normal ones).
 * The interval is asymmetric around the point change, as ratios are.  When a
 * mean is not positive the log cannot be taken and the plain (linear) delta
 * method is used instead.
 *
 * Significance: Mann-Whitney U (two-sided), exact null distribution when
 * there are no ties and both samples have at most AB_MWU_EXACT_MAX values,
 * otherwise the normal approximation with tie correction and continuity
 * correction (the same choices as scipy.stats.mannwhitneyu).  It makes no
 * normality assumption, which matters for timings with a long right tail.
 * Welch's t test is provided as the alternative (`compare --test welch`).
 */
#ifndef AB_REPORT_STATS_H
#define AB_REPORT_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Above this many values per side the exact U distribution is not needed:
 * the normal approximation is already accurate to ~1e-3 in p. */
#define AB_MWU_EXACT_MAX 20

double ab_stat_mean(const double *x, size_t n);
/* Sample standard deviation (n-1 denominator); 0 when n < 2. */
double ab_stat_stddev(const double *x, size_t n);
/* Median of x (not modified); NaN when n == 0. */
double ab_stat_median(const double *x, size_t n);
/* The median absolute deviation scaled to estimate a normal sd (x 1.4826,
 * GSL's gsl_stats_mad): the spread of the core of x, which a few wild values
 * do not move.  NaN when n == 0. */
double ab_stat_robust_sd(const double *x, size_t n);

/* Standard normal CDF (GSL). */
double ab_normal_cdf(double z);
/* Student t CDF and quantile with df degrees of freedom (df may be fractional; GSL). */
double ab_student_t_cdf(double t, double df);
double ab_student_t_quantile(double p, double df);

typedef struct ab_rel_change {
    bool valid;        /* false when the base mean is 0 or a side has no values */
    double change;     /* mean(new)/mean(base) - 1 */
    double lo, hi;     /* confidence interval of change; NaN if a side has < 2 values */
} ab_rel_change;

/* conf is the confidence level, e.g. 0.95. */
ab_rel_change ab_relative_change(const double *base, size_t nb, const double *cand, size_t nc, double conf);

typedef struct ab_test_result {
    bool valid;        /* false when a side has no values (or < 2 for Welch) */
    double statistic;  /* U of the first sample, or Welch's t (second minus first) */
    double p;          /* two-sided */
    double df;         /* Welch only */
    bool exact;        /* Mann-Whitney: exact distribution used */
} ab_test_result;

/* A value, and whether it belongs to the group whose rank sum a rank test
 * wants (sample A for Mann-Whitney U, the positive differences for the
 * Wilcoxon signed-rank test). */
typedef struct ab_ranked_value {
    double value;
    bool in_group;
} ab_ranked_value;

/* Sorts v by value and returns the sum of the 1-based midranks (tied values
 * share the mean of their ranks) of the values in the group; *tie_term gets
 * sum(t^3 - t) over the tie groups, the tie correction of both tests. */
double ab_group_rank_sum(ab_ranked_value *v, size_t n, double *tie_term);

ab_test_result ab_mann_whitney_u(const double *a, size_t na, const double *b, size_t nb);
ab_test_result ab_welch_t(const double *a, size_t na, const double *b, size_t nb);

#endif
