/* test_noise.c -- `arenabench noise`: the A/A trial counting (against
 * verdicts worked out by hand from published t quantiles and the signed-rank
 * normal approximation), the measured minimum detectable effect, the rounds
 * a --target-ci needs, and the command end to end on a tiny budget. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/report/noise_trials.h"
#include "harness/util/paired.h"
#include "tests/testutil.h"

#define N 20

/* a: 100 in every round; b: 100 * exp(+-s) alternating, so sd(ln b/a) is
 * s * sqrt(n/(n-1)) over n rounds and the mean log ratio is 0 (even n). */
static void alternating(double *a, double *b, size_t n, double s)
{
    for (size_t i = 0; i < n; i++) {
        a[i] = 100;
        b[i] = 100 * exp(i % 2 ? -s : s);
    }
}

static void trials_use_the_paired_tests(void **state)
{
    (void)state;
    double a[N], b[N];
    alternating(a, b, N, 0.1);
    ab_noise_cell cell = {a, b, N};
    ab_noise_figures fig;
    ab_noise_figures_of(&cell, 1, &fig);
    double sd = 0.1 * sqrt((double)N / (N - 1));
    assert_true(fabs(fig.paired_sd_log - sd) < 1e-12);
    /* |d| is 0.1 in every round: the MAD about the median is 0.1, scaled by
     * 1 / Phi^-1(3/4) = 1.482602218505602 to estimate a normal sd. */
    assert_true(fabs(fig.paired_robust_sd - 1.482602218505602 * 0.1) < 1e-12);
    ab_noise_setting s;
    ab_noise_setting_eval(&cell, 1, 5, true, &s);
    assert_int_equal(s.trials, N / 5);
    /* 5 rounds: the t test.  Each trial has 3 of one sign and 2 of the
     * other: mean log ratio +-0.02 against an sd of ~0.11: no trial calls a
     * difference; x 1.05 and x 1.10 add 0.049 and 0.095: |t| <= 1.6 and 2.4
     * < t(0.975, 4) = 2.776: not found either. */
    assert_int_equal(s.false_verdicts, 0);
    assert_int_equal(s.detected[0], 0);
    assert_int_equal(s.detected[1], 0);
    /* 20 rounds: the signed-rank test.  x 1.10 makes ten d of 0.195 and ten
     * of -0.005: W+ = 155 of 210, two groups of ten ties, variance
     * 20*21*41/24 - 2*990/48 = 676.25, z = 50/26.0 = 1.92, p = 0.055: not
     * found (the t test would call it: t = 4.1).  x 1.5 makes every d
     * positive: W+ = 210, z = 4.04: found. */
    ab_noise_setting_eval(&cell, 1, 20, true, &s);
    assert_int_equal(s.trials, 1);
    assert_int_equal(s.detected[1], 0);
    size_t trials;
    assert_int_equal(ab_noise_detected_at(&cell, 1, 20, true, 0.5, &trials), 1);
    assert_int_equal(trials, 1);
    ab_noise_setting_eval(&cell, 1, 10, false, &s);
    assert_true(fabs(fig.unpaired_sd_log - sd / 2) < 1e-12);   /* median of sd(ln a) = 0 and sd(ln b) */
    assert_int_equal(s.trials, 2);
}

static void mde_is_the_least_effect_found(void **state)
{
    (void)state;
    double a[40], b[40];
    alternating(a, b, 40, 0.08);
    for (size_t i = 0; i < 40; i += 3) b[i] *= 1.3;   /* a burst now and then */
    ab_noise_cell cell = {a, b, 40};
    for (int k = 5; k <= 20; k += 15) {
        ab_noise_setting s;
        ab_noise_setting_eval(&cell, 1, k, true, &s);
        assert_true(isfinite(s.mde) && s.mde > 0);
        /* On the grid, found by AB_NOISE_POWER of the trials, and the step
         * below is not. */
        double steps = s.mde / AB_NOISE_MDE_STEP;
        assert_true(fabs(steps - round(steps)) < 1e-9);
        size_t trials, found = ab_noise_detected_at(&cell, 1, k, true, s.mde, &trials);
        assert_true(trials > 0 && (double)found >= AB_NOISE_POWER * (double)trials);
        if (s.mde > AB_NOISE_MDE_STEP * 1.5) {
            found = ab_noise_detected_at(&cell, 1, k, true, s.mde - AB_NOISE_MDE_STEP, &trials);
            assert_true((double)found < AB_NOISE_POWER * (double)trials);
        }
    }
}

static void a_real_difference_is_counted_as_a_verdict(void **state)
{
    (void)state;
    double a[N], b[N];
    alternating(a, b, N, 0.01);
    for (size_t i = 0; i < N; i++) b[i] *= 1.5;
    ab_noise_cell cell = {a, b, N};
    ab_noise_figures fig;
    ab_noise_figures_of(&cell, 1, &fig);
    ab_noise_setting s;
    ab_noise_setting_eval(&cell, 1, 5, true, &s);
    assert_int_equal(s.trials, 4);
    assert_int_equal(s.false_verdicts, 4);
    ab_noise_setting_eval(&cell, 1, 5, false, &s);
    assert_int_equal(s.false_verdicts, 4);
}

static void rounds_for_a_half_width(void **state)
{
    (void)state;
    /* +-6% over 20 rounds shrinks as 1/sqrt(n): +-3% takes 4 x 20. */
    ab_noise_figures fig = {.widest_half_width = 0.06, .widest_rounds = 20};
    assert_true(ab_noise_rounds_for_half_width(&fig, 0.03) == 80);
    assert_true(ab_noise_rounds_for_half_width(&fig, 0.06) == 20);
    fig.widest_half_width = NAN;
    assert_true(isnan(ab_noise_rounds_for_half_width(&fig, 0.03)));
    /* The widest cell decides, measured with the default paired statistics. */
    double a[N], b[N], c[N];
    alternating(a, b, N, 0.01);
    alternating(a, c, N, 0.2);
    ab_noise_cell cells[2] = {{a, b, N}, {a, c, N}};
    ab_noise_figures_of(cells, 2, &fig);
    ab_paired_ratio wide = ab_paired_ratio_test(a, c, N, 0.95, AB_PAIRED_AUTO);
    assert_true(fabs(fig.widest_half_width - wide.half_width) < 1e-12);
    assert_int_equal(fig.widest_rounds, N);
}

static void the_command_reports_every_setting(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    /* One cell per build: ~0.3 s a round here, so 10+ rounds in the budget. */
    int rc = ab_test_run_arenabench("noise --scale 0.01 --time 20 --variants 4k --workloads fragmentation", &out, &err);
    if (rc != 0) fail_msg("exit %d: %s", rc, err ? err : "");
    const char *want[] = {"A/A here", "paired          5", "paired         10", "unpaired        5",
                          "--target-ci 3", "advice:"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i])) fail_msg("no '%s' in:\n%s", want[i], out);
    free(out);
    free(err);
    assert_int_equal(ab_test_run_arenabench("noise --time", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("noise --scale 0", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("noise --bogus 1", NULL, NULL), 2);
    assert_int_equal(ab_test_run_arenabench("noise --variants nosuch", NULL, NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trials_use_the_paired_tests),
        cmocka_unit_test(mde_is_the_least_effect_found),
        cmocka_unit_test(a_real_difference_is_counted_as_a_verdict),
        cmocka_unit_test(rounds_for_a_half_width),
        cmocka_unit_test(the_command_reports_every_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
