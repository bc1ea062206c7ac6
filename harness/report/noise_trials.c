/*
 * noise_trials.c -- A/A trials and minimum detectable effects (see
 * noise_trials.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness/report/noise_trials.h"
#include "harness/util/paired.h"
#include "harness/util/report_stats.h"

const double ab_noise_effects[AB_NOISE_N_EFFECTS] = {0.05, 0.10};

/* p of one trial, and whether b came out slower than a. */
static double trial_p(const double *a, const double *b, size_t k, bool paired, bool *slower)
{
    if (paired) {
        ab_paired_ratio r = ab_paired_ratio_test(a, b, k, 1 - AB_NOISE_ALPHA, AB_PAIRED_AUTO);
        *slower = r.valid && r.ratio > 1;
        return r.valid ? r.p : NAN;
    }
    *slower = ab_stat_mean(b, k) > ab_stat_mean(a, k);
    ab_test_result t = ab_mann_whitney_u(a, k, b, k);
    return t.valid ? t.p : NAN;
}

/* ln(num[i] / den[i]) (den NULL: ln(num[i])) into d. */
static void logs(const double *num, const double *den, size_t n, double *d)
{
    for (size_t i = 0; i < n; i++) d[i] = log(num[i]) - (den ? log(den[i]) : 0);
}

void ab_noise_figures_of(const ab_noise_cell *cells, size_t n_cells, ab_noise_figures *out)
{
    memset(out, 0, sizeof *out);
    out->widest_half_width = NAN;
    size_t most = 0;
    for (size_t c = 0; c < n_cells; c++) most = cells[c].n > most ? cells[c].n : most;
    double *p = malloc((n_cells ? n_cells : 1) * sizeof *p), *r = malloc((n_cells ? n_cells : 1) * sizeof *r);
    double *u = malloc((2 * n_cells + 1) * sizeof *u), *d = malloc((most ? most : 1) * sizeof *d);
    size_t np = 0, nu = 0;
    for (size_t c = 0; p && r && u && d && c < n_cells; c++) {
        size_t n = cells[c].n;
        if (n < 2) continue;
        logs(cells[c].b, cells[c].a, n, d);
        p[np] = ab_stat_stddev(d, n);
        r[np++] = ab_stat_robust_sd(d, n);
        logs(cells[c].a, NULL, n, d);
        u[nu++] = ab_stat_stddev(d, n);
        logs(cells[c].b, NULL, n, d);
        u[nu++] = ab_stat_stddev(d, n);
        ab_paired_ratio pr = ab_paired_ratio_test(cells[c].a, cells[c].b, n, 1 - AB_NOISE_ALPHA, AB_PAIRED_AUTO);
        double h = pr.valid && isfinite(pr.half_width) ? pr.half_width : INFINITY;
        if (isnan(out->widest_half_width) || h > out->widest_half_width) {
            out->widest_half_width = h;
            out->widest_rounds = n;
        }
    }
    out->paired_sd_log = p && np ? ab_stat_median(p, np) : NAN;
    out->paired_robust_sd = r && np ? ab_stat_median(r, np) : NAN;
    out->unpaired_sd_log = u && nu ? ab_stat_median(u, nu) : NAN;
    free(p);
    free(r);
    free(u);
    free(d);
}

size_t ab_noise_detected_at(const ab_noise_cell *cells, size_t n_cells, int k, bool paired, double effect,
                            size_t *trials)
{
    size_t kk = (size_t)(k > 0 ? k : 1), found = 0;
    *trials = 0;
    double *slowed = malloc(kk * sizeof *slowed);
    for (size_t c = 0; slowed && c < n_cells; c++)
        for (size_t start = 0; start + kk <= cells[c].n; start += kk) {
            const double *a = cells[c].a + start, *b = cells[c].b + start;
            for (size_t i = 0; i < kk; i++) slowed[i] = b[i] * (1 + effect);
            bool slower;
            double p = trial_p(a, slowed, kk, paired, &slower);
            if (isnan(p)) continue;
            ++*trials;
            found += p < AB_NOISE_ALPHA && slower;
        }
    free(slowed);
    return found;
}

/* The least grid effect that AB_NOISE_POWER of the trials find (detection
 * grows with the effect, so the first one on the grid is the answer). */
static double empirical_mde(const ab_noise_cell *cells, size_t n_cells, int k, bool paired)
{
    for (int step = 1; step * AB_NOISE_MDE_STEP <= AB_NOISE_MDE_MAX + 1e-12; step++) {
        double e = step * AB_NOISE_MDE_STEP;
        size_t trials, found = ab_noise_detected_at(cells, n_cells, k, paired, e, &trials);
        if (!trials) return NAN;
        if ((double)found >= AB_NOISE_POWER * (double)trials) return e;
    }
    return NAN;
}

void ab_noise_setting_eval(const ab_noise_cell *cells, size_t n_cells, int k, bool paired, ab_noise_setting *out)
{
    memset(out, 0, sizeof *out);
    out->rounds = k;
    out->paired = paired;
    size_t kk = (size_t)(k > 0 ? k : 1);
    for (size_t c = 0; c < n_cells; c++)
        for (size_t start = 0; start + kk <= cells[c].n; start += kk) {
            bool slower;
            double p = trial_p(cells[c].a + start, cells[c].b + start, kk, paired, &slower);
            if (isnan(p)) continue;
            out->trials++;
            out->false_verdicts += p < AB_NOISE_ALPHA;
        }
    for (size_t e = 0; e < AB_NOISE_N_EFFECTS; e++) {
        size_t trials;
        out->detected[e] = ab_noise_detected_at(cells, n_cells, k, paired, ab_noise_effects[e], &trials);
    }
    out->mde = empirical_mde(cells, n_cells, k, paired);
}

double ab_noise_rounds_for_half_width(const ab_noise_figures *fig, double half_width)
{
    double h = fig->widest_half_width;
    if (!(half_width > 0) || !isfinite(h) || !fig->widest_rounds) return NAN;
    double r = (double)fig->widest_rounds * (h / half_width) * (h / half_width);
    return ceil(r);
}
