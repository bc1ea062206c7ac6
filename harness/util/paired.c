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

/* How many subsets of the ranks {1..n} have each rank sum 0..n(n+1)/2: the
 * exact null distribution of W+ times 2^n.  The caller frees it. */
static double *signed_rank_counts(size_t n)
{
    size_t max_sum = n * (n + 1) / 2;
    double *count = calloc(max_sum + 1, sizeof *count);
    if (!count)
        return NULL;
    count[0] = 1;
    for (size_t r = 1; r <= n; r++)
        for (size_t s = max_sum; s >= r; s--)
            count[s] += count[s - r];
    return count;
}

static double signed_rank_exact_cdf(size_t n, double w)
{
    double *count = signed_rank_counts(n);
    if (!count)
        return NAN;
    double below = 0;
    for (size_t s = 0; s <= n * (n + 1) / 2 && (double)s <= w + 1e-9; s++)
        below += count[s];
    free(count);
    return below / ldexp(1.0, (int)n);
}

/* Variance of W+ under the null with m nonzero values; tie_term is the sum
 * of t^3 - t over groups of tied |d| (ab_group_rank_sum). */
static double signed_rank_variance(size_t m, double tie_term)
{
    double nn = (double)m;
    return nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
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
    double var = signed_rank_variance(m, tie_term);
    r.p = var > 0 ? fmin(1, 2 * gsl_cdf_ugaussian_Q(fabs(w_plus - mean) / sqrt(var))) : 1;
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * The largest c such that P(W+ <= c) <= (1 - conf) / 2 for m nonzero values,
 * or -1 when even P(W+ <= 0) is larger (too few values for this level).
 * Exact from the counts without ties; else the normal approximation the
 * test uses, so the interval excludes 0 exactly when the test rejects.
 */
static long signed_rank_critical(size_t m, double tie_term, double conf, bool *exact)
{
    double tail = (1 - conf) / 2;
    *exact = tie_term == 0 && m <= AB_WILCOXON_EXACT_MAX;
    if (*exact) {
        double *count = signed_rank_counts(m);
        if (!count)
            return -1;
        double total = ldexp(1.0, (int)m), below = 0;
        long c = -1;
        for (size_t s = 0; s <= m * (m + 1) / 2; s++) {
            below += count[s];
            if (below / total > tail)
                break;
            c = (long)s;
        }
        free(count);
        return c;
    }
    double half = (double)m * (double)(m + 1) / 4;
    double c = floor(half - gsl_cdf_ugaussian_Pinv(1 - tail) * sqrt(signed_rank_variance(m, tie_term)));
    return c < 0 ? -1 : (long)c;
}

ab_hodges_lehmann ab_hodges_lehmann_ci(const double *d, size_t n, double conf)
{
    ab_hodges_lehmann h = {.valid = false, .estimate = NAN, .lo = NAN, .hi = NAN};
    if (!n)
        return h;
    double *x = malloc(n * sizeof *x);
    ab_ranked_value *v = malloc(n * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; x && v && i < n; i++)
        if (d[i] != 0) {
            x[m] = d[i];
            v[m++] = (ab_ranked_value){fabs(d[i]), d[i] > 0};
        }
    if (!x || !v) {
        free(x);
        free(v);
        return h;
    }
    h.valid = true;
    if (!m) {
        /* Every difference is 0: no change, and no spread to doubt it. */
        h.estimate = h.lo = h.hi = 0;
        h.exact = true;
        free(x);
        free(v);
        return h;
    }
    double tie_term;
    ab_group_rank_sum(v, m, &tie_term);
    free(v);
    size_t n_walsh = m * (m + 1) / 2, k = 0;
    double *walsh = malloc(n_walsh * sizeof *walsh);
    if (!walsh) {
        free(x);
        h.valid = false;
        return h;
    }
    for (size_t i = 0; i < m; i++)
        for (size_t j = i; j < m; j++)
            walsh[k++] = (x[i] + x[j]) / 2;
    free(x);
    qsort(walsh, n_walsh, sizeof *walsh, cmp_double);
    h.estimate = n_walsh % 2 ? walsh[n_walsh / 2] : (walsh[n_walsh / 2 - 1] + walsh[n_walsh / 2]) / 2;
    /* theta is inside the interval while more than c Walsh averages lie on
     * either side of it: between the (c+1)-th smallest and largest. */
    long c = signed_rank_critical(m, tie_term, conf, &h.exact);
    if (c >= 0 && (size_t)c < n_walsh) {
        h.lo = walsh[c];
        h.hi = walsh[n_walsh - 1 - (size_t)c];
    }
    free(walsh);
    return h;
}

ab_paired_ratio ab_paired_ratio_test(const double *base, const double *cand, size_t n, double conf,
                                     ab_paired_test test)
{
    ab_paired_ratio r = {.valid = false, .n = n, .ratio = NAN, .lo = NAN, .hi = NAN,
                         .half_width = NAN, .p = NAN, .statistic = NAN};
    if (test == AB_PAIRED_AUTO)
        test = n >= AB_SIGNED_RANK_MIN_PAIRS ? AB_PAIRED_WILCOXON : AB_PAIRED_T;
    r.test = test;
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
    if (test == AB_PAIRED_WILCOXON) {
        ab_hodges_lehmann h = ab_hodges_lehmann_ci(d, n, conf);
        ab_signed_rank w = ab_wilcoxon_signed_rank(d, n);
        free(d);
        if (!h.valid)
            return r;
        r.valid = true;
        r.ratio = exp(h.estimate);
        r.lo = exp(h.lo);   /* NaN stays NaN */
        r.hi = exp(h.hi);
        r.half_width = (r.hi - r.lo) / 2 / r.ratio;
        r.statistic = w.w_plus;
        r.p = w.valid ? w.p : 1;   /* every ratio exactly 1: no evidence of a change */
        r.exact = w.exact;
        return r;
    }
    double mean = gsl_stats_mean(d, 1, n), sd = gsl_stats_sd_m(d, 1, n, mean);
    double df = (double)(n - 1), se = sd / sqrt((double)n);
    double q = gsl_cdf_tdist_Pinv(1 - (1 - conf) / 2, df);
    free(d);
    r.valid = true;
    r.ratio = exp(mean);
    r.lo = exp(mean - q * se);
    r.hi = exp(mean + q * se);
    r.half_width = (r.hi - r.lo) / 2 / r.ratio;
    if (se > 0) {
        r.statistic = mean / se;
        r.p = 2 * gsl_cdf_tdist_Q(fabs(r.statistic), df);
    } else {
        /* Identical ratios every round: no change, or a change beyond doubt. */
        r.statistic = mean == 0 ? 0 : copysign(INFINITY, mean);
        r.p = mean == 0 ? 1 : 0;
    }
    return r;
}
