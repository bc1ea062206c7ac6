/*
 * noise_trials.c -- A/A trials and minimum detectable effects (see
 * noise_trials.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "harness/report/noise_trials.h"
#include "harness/util/paired.h"
#include "harness/util/report_stats.h"

const double ab_noise_effects[AB_NOISE_N_EFFECTS] = {0.05, 0.10};

/* p of one trial, and whether b came out slower than a. */
static double trial_p(const double *a, const double *b, size_t k, bool paired, bool *slower)
{
    if (paired) {
        ab_paired_ratio r = ab_paired_ratio_test(a, b, k, 1 - AB_NOISE_ALPHA, AB_PAIRED_T);
        *slower = r.valid && r.ratio > 1;
        return r.valid ? r.p : NAN;
    }
    *slower = ab_stat_mean(b, k) > ab_stat_mean(a, k);
    ab_test_result t = ab_mann_whitney_u(a, k, b, k);
    return t.valid ? t.p : NAN;
}

/* sd of ln(num[i] / den[i]) (den NULL: of ln(num[i])). */
static double sd_log(const double *num, const double *den, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) return NAN;
    for (size_t i = 0; i < n; i++) d[i] = log(num[i]) - (den ? log(den[i]) : 0);
    double s = n >= 2 ? ab_stat_stddev(d, n) : NAN;
    free(d);
    return s;
}

void ab_noise_figures_of(const ab_noise_cell *cells, size_t n_cells, ab_noise_figures *out)
{
    double *p = malloc((n_cells ? n_cells : 1) * sizeof *p), *u = malloc((2 * n_cells + 1) * sizeof *u);
    size_t np = 0, nu = 0;
    for (size_t c = 0; p && u && c < n_cells; c++) {
        if (cells[c].n < 2) continue;
        p[np++] = sd_log(cells[c].b, cells[c].a, cells[c].n);
        u[nu++] = sd_log(cells[c].a, NULL, cells[c].n);
        u[nu++] = sd_log(cells[c].b, NULL, cells[c].n);
    }
    out->paired_sd_log = p ? ab_stat_median(p, np) : NAN;
    out->unpaired_sd_log = u ? ab_stat_median(u, nu) : NAN;
    free(p);
    free(u);
}

void ab_noise_setting_eval(const ab_noise_cell *cells, size_t n_cells, const ab_noise_figures *fig, int k,
                           bool paired, ab_noise_setting *out)
{
    memset(out, 0, sizeof *out);
    out->rounds = k;
    out->paired = paired;
    size_t kk = (size_t)k;
    double *slowed = malloc((kk ? kk : 1) * sizeof *slowed);
    for (size_t c = 0; slowed && c < n_cells; c++)
        for (size_t start = 0; start + kk <= cells[c].n; start += kk) {
            const double *a = cells[c].a + start, *b = cells[c].b + start;
            bool slower;
            double p = trial_p(a, b, kk, paired, &slower);
            if (isnan(p)) continue;
            out->trials++;
            out->false_verdicts += p < AB_NOISE_ALPHA;
            for (size_t e = 0; e < AB_NOISE_N_EFFECTS; e++) {
                for (size_t i = 0; i < kk; i++) slowed[i] = b[i] * (1 + ab_noise_effects[e]);
                p = trial_p(a, slowed, kk, paired, &slower);
                out->detected[e] += p < AB_NOISE_ALPHA && slower;
            }
        }
    free(slowed);
    double df = paired ? k - 1 : 2 * k - 2;
    double sd = paired ? fig->paired_sd_log : fig->unpaired_sd_log;
    double spread = paired ? sd / sqrt(k) : sd * sqrt(2.0 / k);
    double q = df >= 1 ? ab_student_t_quantile(1 - AB_NOISE_ALPHA / 2, df) + ab_student_t_quantile(AB_NOISE_POWER, df)
                       : NAN;
    out->mde = isfinite(q * spread) ? exp(q * spread) - 1 : NAN;
}

double ab_noise_rounds_for_half_width(const ab_noise_figures *fig, double half_width)
{
    /* The normal quantile: the t one would need the answer as its input. */
    double z = gsl_cdf_ugaussian_Pinv(1 - AB_NOISE_ALPHA / 2);
    double r = z * fig->paired_sd_log / log1p(half_width);
    return ceil(r * r);
}
