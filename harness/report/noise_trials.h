/*
 * noise_trials.h -- what `arenabench noise` computes from an A/A run: two
 * builds of one binary measured in the same rounds, so every difference
 * between them is noise.
 *
 * False verdicts: the rounds of every cell are cut into disjoint trials of k
 * consecutive rounds; each trial is one comparison of A with B at the 5%
 * level -- paired (the statistics `compare` uses within a file by default:
 * AB_PAIRED_AUTO of harness/util/paired.h, i.e. the Wilcoxon signed-rank
 * test from 6 rounds on, the t test on the per-round log ratios below) or
 * unpaired (Mann-Whitney U on the two sides' samples, as `compare` without
 * pairing).  A trial that calls a difference is a false verdict.
 *
 * Detection: the same trials with B's samples made slower by a known factor
 * (x 1.05, x 1.10, as issue 11 measured it); a trial detects the slowdown
 * when its test calls a difference in the slower direction.
 *
 * Minimum detectable effect: the smallest slowdown on a grid of
 * AB_NOISE_MDE_STEP steps that at least AB_NOISE_POWER of the trials detect,
 * measured on the trials themselves rather than derived from a standard
 * deviation: this machine's wall time is a tight core plus bursts, which a
 * normal-theory formula misjudges in both directions (docs/noise.md).
 *
 * Rounds for a --target-ci: the half-width a paired cell reached over all its
 * rounds, h_n, shrinks as 1/sqrt(n), so a half-width h needs about
 * n (h_n / h)^2 rounds; the noisiest cell is the one that decides how long
 * `run --target-ci` takes.
 */
#ifndef AB_NOISE_TRIALS_H
#define AB_NOISE_TRIALS_H

#include <stdbool.h>
#include <stddef.h>

#define AB_NOISE_ALPHA 0.05
#define AB_NOISE_POWER 0.80
#define AB_NOISE_N_EFFECTS 2
/* The MDE grid: 0.5% steps up to a doubling. */
#define AB_NOISE_MDE_STEP 0.005
#define AB_NOISE_MDE_MAX 1.0
/* The slowdowns whose detection rate is measured (ratio changes). */
extern const double ab_noise_effects[AB_NOISE_N_EFFECTS];

/* One A/A cell pair: a[i] and b[i] ran in the same round (paired by round). */
typedef struct ab_noise_cell {
    const double *a, *b;
    size_t n;
} ab_noise_cell;

typedef struct ab_noise_figures {
    double paired_sd_log;      /* median over cells of sd(ln(b/a)); NaN below 2 rounds */
    double paired_robust_sd;   /* the same from the median absolute deviation (x 1.4826) */
    double unpaired_sd_log;    /* median over cells and sides of sd(ln wall) */
    double widest_half_width;  /* largest paired 95% CI half-width of a cell over all its rounds */
    size_t widest_rounds;      /* the rounds it was measured over */
} ab_noise_figures;

typedef struct ab_noise_setting {
    int rounds;                /* k */
    bool paired;
    size_t trials, false_verdicts;
    size_t detected[AB_NOISE_N_EFFECTS];  /* trials that found B x (1 + ab_noise_effects[e]) slower */
    double mde;                /* minimum detectable effect as a ratio change (0.05 = 5%); NaN if none
                                  up to AB_NOISE_MDE_MAX, or no trials */
} ab_noise_setting;

void ab_noise_figures_of(const ab_noise_cell *cells, size_t n_cells, ab_noise_figures *out);

/* Trials of k rounds over every cell, paired or not, and the MDE at k. */
void ab_noise_setting_eval(const ab_noise_cell *cells, size_t n_cells, int k, bool paired, ab_noise_setting *out);

/* Trials of k rounds (of *trials) that find B x (1 + effect) slower. */
size_t ab_noise_detected_at(const ab_noise_cell *cells, size_t n_cells, int k, bool paired, double effect,
                            size_t *trials);

/* Rounds a paired comparison of the noisiest cell needs for a 95% CI
 * half-width of `half_width` (a ratio change, 0.03 = 3%); NaN if unknown. */
double ab_noise_rounds_for_half_width(const ab_noise_figures *fig, double half_width);

#endif
