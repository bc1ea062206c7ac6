/*
 * paired.h -- statistics for two conditions measured in the same rounds.
 *
 * A run executes every cell once per round, in a shuffled order, so the
 * samples of two cells that share a round number saw the same state of the
 * machine (load from other processes, frequency, page cache).  The ratio
 * new/base within a round cancels that shared state; the spread of those
 * ratios is far smaller than the spread of either cell's samples on a shared
 * VM (issue 11: adjacent-sample ratios vary by 9-11% where the per-cell
 * coefficient of variation is 18%).
 *
 * Everything here works on the log of the per-round ratios, d_i = ln(new_i /
 * base_i), so a slowdown and the matching speedup are symmetric and the
 * summary is the geometric mean of the ratios, exp(mean d).
 *
 *   - AB_PAIRED_T: the ratio is exp(mean d), its CI Student t on mean d with
 *     n-1 degrees of freedom, exp(mean d +- t * s_d / sqrt(n)), and the test
 *     the paired t test on d (p < alpha exactly when the 1-alpha CI excludes
 *     1).
 *   - AB_PAIRED_WILCOXON: the ratio is exp(Hodges-Lehmann estimate of d), the
 *     median of the n(n+1)/2 Walsh averages (d_i + d_j) / 2, i <= j; its CI
 *     is the pair of Walsh averages the signed-rank distribution cuts off
 *     (Hollander & Wolfe, "Nonparametric Statistical Methods", 3.2; what R's
 *     wilcox.test(conf.int = TRUE) gives); the test is the Wilcoxon
 *     signed-rank test on d (zeros dropped, exact null distribution up to
 *     AB_WILCOXON_EXACT_MAX pairs without ties, else the normal
 *     approximation with tie correction and no continuity correction:
 *     scipy.stats.wilcoxon's defaults).  Estimate, interval and test agree:
 *     p <= alpha exactly when the exact 1-alpha CI excludes 1.
 *   - AB_PAIRED_AUTO: the signed-rank statistics from AB_SIGNED_RANK_MIN_PAIRS
 *     pairs on, the t statistics below that.
 *
 * Why the signed-rank statistics are the default.  Wall time on a shared VM
 * is a tight core (a few percent) plus bursts: for a few rounds at a time a
 * sample runs 10-50% slower, and the two samples of a pair are hit
 * independently (docs/noise.md, measured on this project's VM).  The mean
 * and the standard deviation follow the bursts; the Walsh-average median and
 * its rank-based interval follow the core, so they need several times fewer
 * rounds to resolve the same change, and lose only 5% efficiency (3/pi)
 * when the noise is normal.
 * Distribution functions come from GSL.  Lowest wing: `run --target-ci` and
 * the `noise` command call it as well as `table` and `compare`.
 */
#ifndef AB_UTIL_PAIRED_H
#define AB_UTIL_PAIRED_H

#include <stdbool.h>
#include <stddef.h>

/* Up to this many nonzero differences the signed-rank null distribution is
 * counted exactly (2^50 subsets still fit a double's 53-bit mantissa). */
#define AB_WILCOXON_EXACT_MAX 50

/* The least number of nonzero pairs with which the signed-rank test can
 * reach p < 0.05 and give a 95% interval: the smallest two-sided exact p of
 * n pairs is 2 / 2^n, 0.031 for 6 pairs but 0.0625 for 5. */
#define AB_SIGNED_RANK_MIN_PAIRS 6
#define AB_PAIRED_STR_(x) #x
#define AB_PAIRED_STR(x) AB_PAIRED_STR_(x)
#define AB_SIGNED_RANK_MIN_PAIRS_TEXT AB_PAIRED_STR(AB_SIGNED_RANK_MIN_PAIRS)   /* for messages */

typedef enum { AB_PAIRED_T, AB_PAIRED_WILCOXON, AB_PAIRED_AUTO } ab_paired_test;

/*
 * Pair two cells' values by round number.  For every round that occurs
 * exactly once on each side, the two values go to out_base[k], out_new[k]
 * (in increasing round order).  A round missing on one side (a failed
 * sample) or present twice (malformed input) contributes no pair, and
 * neither does a negative round (a sample that has none): pairing is by
 * round, never by position.  out_* must hold min(nb, nn) values.
 * Returns the number of pairs.
 */
size_t ab_pair_by_round(const double *base, const long *base_round, size_t nb, const double *cand,
                        const long *cand_round, size_t nn, double *out_base, double *out_new);

typedef struct ab_paired_ratio {
    bool valid;          /* >= 2 pairs and every value > 0 */
    ab_paired_test test; /* the statistics used (AB_PAIRED_AUTO resolved) */
    size_t n;            /* pairs used */
    double ratio;        /* new/base: geometric mean (t) or exp(Hodges-Lehmann) (signed rank) */
    double lo, hi;       /* conf-level CI of ratio; lo == hi == ratio when every d is equal;
                            NaN when too few pairs give one at this level (signed rank) */
    double half_width;   /* (hi - lo) / 2 / ratio: the CI's relative half-width; NaN without a CI */
    double p;            /* two-sided p of the chosen test; NaN when it cannot be computed */
    double statistic;    /* t, or W+ (sum of the ranks of positive d) */
    bool exact;          /* Wilcoxon: exact null distribution used */
} ab_paired_ratio;

/* Paired comparison of cand against base (n pairs, matched by index). */
ab_paired_ratio ab_paired_ratio_test(const double *base, const double *cand, size_t n, double conf,
                                     ab_paired_test test);

typedef struct ab_signed_rank {
    bool valid;          /* at least one nonzero difference */
    size_t n_nonzero;
    double w_plus;       /* sum of the ranks of the positive differences */
    double p;            /* two-sided */
    bool exact;
} ab_signed_rank;

/* Wilcoxon signed-rank test of "d is symmetric about 0". */
ab_signed_rank ab_wilcoxon_signed_rank(const double *d, size_t n);

typedef struct ab_hodges_lehmann {
    bool valid;          /* at least one value */
    double estimate;     /* median of the Walsh averages of the nonzero values (0 if all are 0) */
    double lo, hi;       /* conf-level CI; NaN when too few values give one */
    bool exact;          /* the interval's bounds come from the exact signed-rank distribution */
} ab_hodges_lehmann;

/* Hodges-Lehmann estimate of the centre of d and its signed-rank interval
 * (zeros dropped, as the test drops them). */
ab_hodges_lehmann ab_hodges_lehmann_ci(const double *d, size_t n, double conf);

#endif
