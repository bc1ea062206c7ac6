/*
 * report_stats.c -- relative change with a delta-method CI, Mann-Whitney U,
 * Welch's t.  Distribution functions and quantiles come from GSL.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "harness/util/report_stats.h"

double ab_stat_mean(const double *x, size_t n)
{
    if (!n)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double ab_stat_stddev(const double *x, size_t n)
{
    if (n < 2)
        return 0;
    double m = ab_stat_mean(x, n), ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ab_stat_robust_sd(const double *x, size_t n)
{
    if (!n)
        return NAN;
    double *work = malloc(n * sizeof *work);
    if (!work)
        return NAN;
    double s = gsl_stats_mad(x, 1, n, work);
    free(work);
    return s;
}

double ab_stat_median(const double *x, size_t n)
{
    if (!n)
        return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return NAN;
    memcpy(c, x, n * sizeof *c);
    gsl_sort(c, 1, n);
    double m = gsl_stats_median_from_sorted_data(c, 1, n);
    free(c);
    return m;
}

double ab_normal_cdf(double z)
{
    return gsl_cdf_ugaussian_P(z);
}

double ab_student_t_cdf(double t, double df)
{
    return gsl_cdf_tdist_P(t, df);
}

double ab_student_t_quantile(double p, double df)
{
    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    return gsl_cdf_tdist_Pinv(p, df);
}

/* Welch-Satterthwaite degrees of freedom for the variance terms ua, ub. */
static double welch_df(double ua, size_t na, double ub, size_t nb)
{
    double den = ua * ua / (double)(na - 1) + ub * ub / (double)(nb - 1);
    return den > 0 ? (ua + ub) * (ua + ub) / den : (double)(na + nb - 2);
}

ab_rel_change ab_relative_change(const double *base, size_t nb, const double *cand, size_t nc, double conf)
{
    ab_rel_change r = {.valid = false, .change = NAN, .lo = NAN, .hi = NAN};
    if (!nb || !nc)
        return r;
    double ma = ab_stat_mean(base, nb), mb = ab_stat_mean(cand, nc);
    if (ma == 0)
        return r;
    double ratio = mb / ma;
    r.valid = true;
    r.change = ratio - 1;
    if (nb < 2 || nc < 2)
        return r;
    double sa = ab_stat_stddev(base, nb), sb = ab_stat_stddev(cand, nc);
    if (sa == 0 && sb == 0) {
        r.lo = r.hi = r.change;
        return r;
    }
    double q_level = 1 - (1 - conf) / 2;
    if (ma > 0 && mb > 0) {
        double ua = sa * sa / ((double)nb * ma * ma), ub = sb * sb / ((double)nc * mb * mb);
        double q = ab_student_t_quantile(q_level, welch_df(ua, nb, ub, nc));
        double se = sqrt(ua + ub);
        r.lo = ratio * exp(-q * se) - 1;
        r.hi = ratio * exp(q * se) - 1;
    } else {
        /* Var(mb/ma) ~= Var(mb)/ma^2 + mb^2 Var(ma)/ma^4 */
        double ub = sb * sb / (double)nc / (ma * ma);
        double ua = mb * mb * sa * sa / (double)nb / (ma * ma * ma * ma);
        double q = ab_student_t_quantile(q_level, welch_df(ua, nb, ub, nc));
        double se = sqrt(ua + ub);
        r.lo = r.change - q * se;
        r.hi = r.change + q * se;
    }
    return r;
}

static int cmp_ranked(const void *x, const void *y)
{
    return cmp_double(&((const ab_ranked_value *)x)->value, &((const ab_ranked_value *)y)->value);
}

double ab_group_rank_sum(ab_ranked_value *v, size_t n, double *tie_term)
{
    qsort(v, n, sizeof *v, cmp_ranked);
    double rank_sum = 0;
    *tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1].value == v[i].value)
            j++;
        double midrank = (double)(i + j) / 2 + 1, t = (double)(j - i + 1);
        *tie_term += t * t * t - t;
        for (size_t k = i; k <= j; k++)
            if (v[k].in_group)
                rank_sum += midrank;
        i = j + 1;
    }
    return rank_sum;
}

/*
 * Number of arrangements of na a's and nb b's (out of C(na+nb, na)) whose U
 * for a is <= u, by the recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)
 * (the largest value is either an a, beating all n b's, or a b).  Returns the
 * CDF P(U <= u).  Counts are doubles: C(40, 20) ~ 1.4e11 is exact in a double.
 */
static double mwu_exact_cdf(size_t na, size_t nb, double u)
{
    size_t umax = na * nb;
    /* f[m][n][k] flattened, only the current m and m-1 layers are kept */
    size_t width = umax + 1;
    double *prev = calloc((nb + 1) * width, sizeof *prev);
    double *cur = calloc((nb + 1) * width, sizeof *cur);
    if (!prev || !cur) {
        free(prev);
        free(cur);
        return NAN;
    }
    /* m = 0: only U = 0 is possible */
    for (size_t n = 0; n <= nb; n++)
        prev[n * width] = 1;
    for (size_t m = 1; m <= na; m++) {
        memset(cur, 0, (nb + 1) * width * sizeof *cur);
        cur[0] = 1; /* n = 0: U = 0 */
        for (size_t n = 1; n <= nb; n++)
            for (size_t k = 0; k <= m * n; k++) {
                double from_a = k >= n ? prev[n * width + k - n] : 0;
                double from_b = cur[(n - 1) * width + k];
                cur[n * width + k] = from_a + from_b;
            }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    double total = 0, below = 0;
    for (size_t k = 0; k <= umax; k++) {
        total += prev[nb * width + k];
        if ((double)k <= u + 1e-9)
            below += prev[nb * width + k];
    }
    free(prev);
    free(cur);
    return below / total;
}

ab_test_result ab_mann_whitney_u(const double *a, size_t na, const double *b, size_t nb)
{
    ab_test_result r = {.valid = false, .statistic = NAN, .p = NAN, .df = NAN};
    if (!na || !nb)
        return r;
    size_t n = na + nb;
    ab_ranked_value *all = malloc(n * sizeof *all);
    if (!all)
        return r;
    for (size_t i = 0; i < na; i++)
        all[i] = (ab_ranked_value){a[i], true};
    for (size_t i = 0; i < nb; i++)
        all[na + i] = (ab_ranked_value){b[i], false};
    double tie_term;
    double rank_sum_a = ab_group_rank_sum(all, n, &tie_term);
    free(all);
    double u = rank_sum_a - (double)na * (double)(na + 1) / 2;
    double mu = (double)na * (double)nb / 2;
    r.valid = true;
    r.statistic = u;
    if (tie_term == 0 && na <= AB_MWU_EXACT_MAX && nb <= AB_MWU_EXACT_MAX) {
        /* The null distribution is symmetric about mu: take the tail the
         * observed U lies in, and double it. */
        double u_tail = u <= mu ? u : (double)na * (double)nb - u;
        double p = 2 * mwu_exact_cdf(na, nb, u_tail);
        r.p = p > 1 ? 1 : p;
        r.exact = true;
        return r;
    }
    double nn = (double)n;
    double var = (double)na * (double)nb / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
    if (var <= 0) {
        r.p = 1; /* every value tied: no evidence of a difference */
        return r;
    }
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    double p = 2 * gsl_cdf_ugaussian_Q(z);
    r.p = p > 1 ? 1 : p;
    return r;
}

ab_test_result ab_welch_t(const double *a, size_t na, const double *b, size_t nb)
{
    ab_test_result r = {.valid = false, .statistic = NAN, .p = NAN, .df = NAN};
    if (na < 2 || nb < 2)
        return r;
    double ma = ab_stat_mean(a, na), mb = ab_stat_mean(b, nb);
    double sa = ab_stat_stddev(a, na), sb = ab_stat_stddev(b, nb);
    double ua = sa * sa / (double)na, ub = sb * sb / (double)nb;
    r.valid = true;
    if (ua + ub == 0) {
        /* Two constant samples: identical, or different beyond any doubt. */
        r.statistic = ma == mb ? 0 : copysign(INFINITY, mb - ma);
        r.p = ma == mb ? 1 : 0;
        r.df = (double)(na + nb - 2);
        return r;
    }
    r.statistic = (mb - ma) / sqrt(ua + ub);
    r.df = welch_df(ua, na, ub, nb);
    /* The upper tail directly, so a tiny p keeps its precision. */
    r.p = 2 * gsl_cdf_tdist_Q(fabs(r.statistic), r.df);
    return r;
}
