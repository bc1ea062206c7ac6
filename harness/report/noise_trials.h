/*
 * noise_trials.h -- what `arenabench noise` computes from an A/A run: two
 * builds of one binary measured in the same rounds, so every difference
 * between them is noise.
 *
 * False verdicts: the rounds of every cell are cut into disjoint trials of k
 * consecutive rounds; each trial is one comparison of A with B at the 5%
 * level -- paired (t test on the per-round log ratios, harness/util/paired.h)
 * or unpaired (Mann-Whitney U on the two sides' samples, as `compare`
 * without pairing).  A trial that calls a difference is a false verdict.
 *
 * Detection: the same trials with B's samples made slower by a known factor
 * (x 1.05, x 1.10, as issue 11 measured it); a trial detects the slowdown
 * when its test calls a difference in the slower direction.
 *
 * Minimum detectable effect (two-sided 5% level, 80% power), from the noise
 * measured over all rounds:
 *   paired    (t(0.975, k-1) + t(0.80, k-1)) * sd_d / sqrt(k)
 *   unpaired  (t(0.975, 2k-2) + t(0.80, 2k-2)) * sd_log * sqrt(2 / k)
 * where sd_d is the median over cells of the sd of the per-round log ratio
 * and sd_log the median over cells and builds of the sd of log wall time;
 * reported as a ratio change, exp(x) - 1.
 */
#ifndef AB_NOISE_TRIALS_H
#define AB_NOISE_TRIALS_H

#include <stdbool.h>
#include <stddef.h>

#define AB_NOISE_ALPHA 0.05
#define AB_NOISE_POWER 0.80
#define AB_NOISE_N_EFFECTS 2
/* The slowdowns whose detection rate is measured (ratio changes). */
extern const double ab_noise_effects[AB_NOISE_N_EFFECTS];

/* One A/A cell pair: a[i] and b[i] ran in the same round (paired by round). */
typedef struct ab_noise_cell {
    const double *a, *b;
    size_t n;
} ab_noise_cell;

typedef struct ab_noise_figures {
    double paired_sd_log;      /* median over cells of sd(ln(b/a)); NaN below 2 rounds */
    double unpaired_sd_log;    /* median over cells and sides of sd(ln wall) */
} ab_noise_figures;

typedef struct ab_noise_setting {
    int rounds;                /* k */
    bool paired;
    size_t trials, false_verdicts;
    size_t detected[AB_NOISE_N_EFFECTS];  /* trials that found B x (1 + ab_noise_effects[e]) slower */
    double mde;                /* minimum detectable effect as a ratio change (0.05 = 5%); NaN if unknown */
} ab_noise_setting;

void ab_noise_figures_of(const ab_noise_cell *cells, size_t n_cells, ab_noise_figures *out);

/* Trials of k rounds over every cell, paired or not, and the MDE at k. */
void ab_noise_setting_eval(const ab_noise_cell *cells, size_t n_cells, const ab_noise_figures *fig, int k,
                           bool paired, ab_noise_setting *out);

/* Rounds a paired comparison needs for a 95% CI half-width of `half_width`
 * (a ratio change, 0.03 = 3%) at the measured noise: (z sd_d / ln(1+h))^2. */
double ab_noise_rounds_for_half_width(const ab_noise_figures *fig, double half_width);

#endif
