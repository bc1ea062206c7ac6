/*
 * report_runs.c -- cross-run comparison with the run as the unit (see
 * report_runs.h).
 */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "harness/report/report_runs.h"
#include "harness/util/report_stats.h"

/* Log of a run's mean and the within-run variance of that log (delta
 * method); false when the run has no values or a mean that is not positive. */
static bool log_mean(const ab_metric_values *v, double *lm, double *var)
{
    if (!v->n)
        return false;
    double m = ab_stat_mean(v->v, v->n);
    if (!(m > 0))
        return false;
    double s = ab_stat_stddev(v->v, v->n);
    *lm = log(m);
    *var = v->n > 1 ? s * s / ((double)v->n * m * m) : 0;
    return true;
}

static double median_of(double *x, size_t n)
{
    gsl_sort(x, 1, n);
    return gsl_stats_median_from_sorted_data(x, 1, n);
}

ab_run_noise ab_run_noise_estimate(const ab_metric_values *base, const ab_metric_values *cand, size_t n)
{
    ab_run_noise r = {.known = false, .cells = 0, .sd = NAN};
    double *d2 = malloc((n + 1) * sizeof *d2), *se2 = malloc((n + 1) * sizeof *se2);
    if (d2 && se2) {
        for (size_t c = 0; c < n; c++) {
            double la, va, lb, vb;
            /* A single sample has no within-run spread to subtract. */
            if (base[c].n >= 2 && cand[c].n >= 2 && log_mean(&base[c], &la, &va) && log_mean(&cand[c], &lb, &vb)) {
                d2[r.cells] = (lb - la) * (lb - la);
                se2[r.cells++] = va + vb;
            }
        }
        if (r.cells >= AB_RUN_NOISE_MIN_CELLS) {
            double total = median_of(d2, r.cells) / AB_CHI2_1_MEDIAN, within = median_of(se2, r.cells);
            r.known = true;
            r.sd = total > within ? sqrt(total - within) : 0;
        }
    }
    free(d2);
    free(se2);
    return r;
}

static ab_runs_change empty(size_t kb, size_t kn, ab_runs_method m)
{
    return (ab_runs_change){.valid = false, .method = m, .change = NAN, .lo = NAN, .hi = NAN, .p = NAN,
                            .runs_base = kb, .runs_new = kn, .run_sd = NAN};
}

ab_runs_change ab_runs_change_single(const ab_metric_values *base, const ab_metric_values *cand, ab_run_noise noise,
                                     double conf)
{
    ab_runs_change r = empty(1, 1, AB_RUNS_NOISE);
    double la, va, lb, vb;
    if (!log_mean(base, &la, &va) || !log_mean(cand, &lb, &vb))
        return r;
    double d = lb - la;
    r.valid = true;
    r.change = exp(d) - 1;
    if (!noise.known || base->n < 2 || cand->n < 2)
        return r;   /* untested: the caller says why */
    r.run_sd = noise.sd;
    double se = sqrt(va + vb + noise.sd * noise.sd);
    r.tested = true;
    if (se == 0) {
        r.lo = r.hi = r.change;
        r.p = d == 0 ? 1 : 0;
        return r;
    }
    double q = gsl_cdf_ugaussian_Pinv(1 - (1 - conf) / 2);
    r.lo = exp(d - q * se) - 1;
    r.hi = exp(d + q * se) - 1;
    r.p = 2 * gsl_cdf_ugaussian_Q(fabs(d) / se);
    return r;
}

ab_runs_change ab_runs_change_multi(const ab_metric_values *base, size_t kb, const ab_metric_values *cand, size_t kn,
                                    double conf)
{
    ab_runs_change r = empty(kb, kn, AB_RUNS_T);
    double *xa = malloc((kb + 1) * sizeof *xa), *xb = malloc((kn + 1) * sizeof *xb), unused;
    size_t na = 0, nb = 0;
    for (size_t i = 0; xa && i < kb; i++)
        na += log_mean(&base[i], &xa[na], &unused);
    for (size_t i = 0; xb && i < kn; i++)
        nb += log_mean(&cand[i], &xb[nb], &unused);
    r.runs_base = na;
    r.runs_new = nb;
    if (!xa || !xb || !na || !nb || na + nb < 3) {
        free(xa);
        free(xb);
        return r;
    }
    double ma = gsl_stats_mean(xa, 1, na), mb = gsl_stats_mean(xb, 1, nb);
    double sa2 = na > 1 ? gsl_stats_variance_m(xa, 1, na, ma) : NAN;
    double sb2 = nb > 1 ? gsl_stats_variance_m(xb, 1, nb, mb) : NAN;
    double se2, df;
    if (na > 1 && nb > 1) {
        double ua = sa2 / (double)na, ub = sb2 / (double)nb;
        se2 = ua + ub;
        double den = ua * ua / (double)(na - 1) + ub * ub / (double)(nb - 1);
        df = den > 0 ? se2 * se2 / den : (double)(na + nb - 2);
        r.run_sd = sqrt((sa2 + sb2) / 2);
    } else {
        /* One side has one run: the other side's spread stands in for it. */
        double s2 = na > 1 ? sa2 : sb2;
        se2 = s2 * (1 / (double)na + 1 / (double)nb);
        df = (double)((na > 1 ? na : nb) - 1);
        r.run_sd = sqrt(s2);
    }
    double d = mb - ma;
    r.valid = true;
    r.tested = true;
    r.change = exp(d) - 1;
    if (se2 == 0) {
        r.lo = r.hi = r.change;
        r.p = d == 0 ? 1 : 0;
    } else {
        double se = sqrt(se2), q = gsl_cdf_tdist_Pinv(1 - (1 - conf) / 2, df);
        r.lo = exp(d - q * se) - 1;
        r.hi = exp(d + q * se) - 1;
        r.p = 2 * gsl_cdf_tdist_Q(fabs(d) / se, df);
    }
    free(xa);
    free(xb);
    return r;
}
