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
 *   - Confidence interval of the geometric-mean ratio: Student t on mean d
 *     with n-1 degrees of freedom, exp(mean d +- t * s_d / sqrt(n)).
 *   - Paired tests of "the ratio is 1":
 *       AB_PAIRED_T         Student t on d (consistent with the interval:
 *                           p < alpha exactly when the 1-alpha CI excludes 1);
 *       AB_PAIRED_WILCOXON  Wilcoxon signed-rank on d (zeros dropped, exact
 *                           null distribution up to AB_WILCOXON_EXACT_MAX
 *                           pairs without ties, else the normal approximation
 *                           with tie correction and no continuity correction:
 *                           scipy.stats.wilcoxon's defaults).  It needs at
 *                           least 6 nonzero pairs to reach p < 0.05 at all.
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

typedef enum { AB_PAIRED_T, AB_PAIRED_WILCOXON } ab_paired_test;

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
    size_t n;            /* pairs used */
    double ratio;        /* geometric mean of new/base over the rounds */
    double lo, hi;       /* conf-level CI of ratio; lo == hi == ratio when every d is equal */
    double half_width;   /* (hi - lo) / 2 / ratio: the CI's relative half-width */
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

#endif
