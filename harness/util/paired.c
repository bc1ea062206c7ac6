/*
 * paired.c -- per-round ratios, their geometric-mean CI, and the paired
 * tests (see paired.h).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "harness/util/paired.h"
#include "harness/util/report_stats.h"

static long find_round(const long *round, size_t n, long want, size_t *at)
{
    long hits = 0;
    for (size_t i = 0; i < n; i++)
        if (round[i] == want) {
            hits++;
            *at = i;
        }
    return hits;
}

size_t ab_pair_by_round(const double *base, const long *base_round, size_t nb, const double *cand,
                        const long *cand_round, size_t nn, double *out_base, double *out_new)
{
    /* Visit base rounds in increasing order so the pairs come out sorted:
     * quadratic, but a cell has tens of samples, not thousands. */
    size_t k = 0;
    long prev = -1;   /* negative rounds ("no round") pair with nothing */
    for (;;) {
        long next = LONG_MAX;
        bool any = false;
        for (size_t i = 0; i < nb; i++)
            if (base_round[i] > prev && base_round[i] <= next) {
                next = base_round[i];
                any = true;
            }
        if (!any)
            break;
        size_t ib = 0, in = 0;
        if (find_round(base_round, nb, next, &ib) == 1 && find_round(cand_round, nn, next, &in) == 1) {
            out_base[k] = base[ib];
            out_new[k] = cand[in];
            k++;
        }
        if (next == LONG_MAX)
            break;
        prev = next;
    }
    return k;
}

/* Number of subsets of {1..n} with each rank sum, for the exact null. */
static double signed_rank_exact_cdf(size_t n, double w)
{
    size_t max_sum = n * (n + 1) / 2;
    double *count = calloc(max_sum + 1, sizeof *count);
    if (!count)
        return NAN;
    count[0] = 1;
    for (size_t r = 1; r <= n; r++)
        for (size_t s = max_sum; s >= r; s--)
            count[s] += count[s - r];
    double below = 0;
    for (size_t s = 0; s <= max_sum && (double)s <= w + 1e-9; s++)
        below += count[s];
    free(count);
    return below / ldexp(1.0, (int)n);
}

ab_signed_rank ab_wilcoxon_signed_rank(const double *d, size_t n)
{
    ab_signed_rank r = {.valid = false, .w_plus = NAN, .p = NAN};
    ab_ranked_value *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return r;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] != 0)   /* zero differences carry no sign: dropped ("wilcox") */
            v[m++] = (ab_ranked_value){fabs(d[i]), d[i] > 0};
    r.n_nonzero = m;
    if (!m) {
        free(v);
        return r;
    }
    double tie_term;
    double w_plus = ab_group_rank_sum(v, m, &tie_term);
    free(v);
    double nn = (double)m, total = nn * (nn + 1) / 2, mean = total / 2;
    r.valid = true;
    r.w_plus = w_plus;
    if (tie_term == 0 && m <= AB_WILCOXON_EXACT_MAX) {
        /* The null distribution is symmetric about mean: double the tail. */
        double tail = signed_rank_exact_cdf(m, fmin(w_plus, total - w_plus));
        r.p = fmin(1, 2 * tail);
        r.exact = true;
        return r;
    }
    double var = nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
    r.p = var > 0 ? fmin(1, 2 * gsl_cdf_ugaussian_Q(fabs(w_plus - mean) / sqrt(var))) : 1;
    return r;
}

ab_paired_ratio ab_paired_ratio_test(const double *base, const double *cand, size_t n, double conf,
                                     ab_paired_test test)
{
    ab_paired_ratio r = {.valid = false, .n = n, .ratio = NAN, .lo = NAN, .hi = NAN,
                         .half_width = NAN, .p = NAN, .statistic = NAN};
    if (n < 2)
        return r;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return r;
    for (size_t i = 0; i < n; i++) {
        if (!(base[i] > 0 && cand[i] > 0)) {
            free(d);   /* a ratio needs two positive values */
            return r;
        }
        d[i] = log(cand[i] / base[i]);
    }
    double mean = gsl_stats_mean(d, 1, n), sd = gsl_stats_sd_m(d, 1, n, mean);
    double df = (double)(n - 1), se = sd / sqrt((double)n);
    double q = gsl_cdf_tdist_Pinv(1 - (1 - conf) / 2, df);
    r.valid = true;
    r.ratio = exp(mean);
    r.lo = exp(mean - q * se);
    r.hi = exp(mean + q * se);
    r.half_width = (r.hi - r.lo) / 2 / r.ratio;
    if (test == AB_PAIRED_WILCOXON) {
        ab_signed_rank w = ab_wilcoxon_signed_rank(d, n);
        r.statistic = w.w_plus;
        r.p = w.valid ? w.p : 1;   /* every ratio exactly 1: no evidence of a change */
        r.exact = w.exact;
    } else if (se > 0) {
        r.statistic = mean / se;
        r.p = 2 * gsl_cdf_tdist_Q(fabs(r.statistic), df);
    } else {
        /* Identical ratios every round: no change, or a change beyond doubt. */
        r.statistic = mean == 0 ? 0 : copysign(INFINITY, mean);
        r.p = mean == 0 ? 1 : 0;
    }
    free(d);
    return r;
}
