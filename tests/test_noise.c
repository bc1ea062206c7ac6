/* test_noise.c -- `arenabench noise`: the A/A trial counting and minimum
 * detectable effects (against values worked out by hand from published t
 * quantiles), and the command end to end on a tiny budget. */
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

static void mde_matches_the_t_formula(void **state)
{
    (void)state;
    double a[N], b[N];
    alternating(a, b, N, 0.1);
    ab_noise_cell cell = {a, b, N};
    ab_noise_figures fig;
    ab_noise_figures_of(&cell, 1, &fig);
    double sd = 0.1 * sqrt((double)N / (N - 1));
    assert_true(fabs(fig.paired_sd_log - sd) < 1e-12);
    ab_noise_setting s;
    ab_noise_setting_eval(&cell, 1, &fig, 5, true, &s);
    /* t(0.975, 4) = 2.776445, t(0.80, 4) = 0.940965 (tables of Student's t). */
    double want = exp((2.776445 + 0.940965) * sd / sqrt(5.0)) - 1;
    assert_true(fabs(s.mde - want) < 1e-5);
    assert_int_equal(s.trials, N / 5);
    /* Each 5-round trial has 3 of one sign and 2 of the other: mean log
     * ratio +-0.02 against an sd of ~0.11: no trial calls a difference. */
    assert_int_equal(s.false_verdicts, 0);
    /* x 1.05 and x 1.10 add 0.049 and 0.095 to a mean log ratio of +-0.02
     * with an sd of 0.11 over 5 rounds: |t| <= 1.6 and 2.4 < t(0.975, 4):
     * not found; over 20 rounds (sd 0.103) the 10% one has t = 4.2. */
    assert_int_equal(s.detected[0], 0);
    assert_int_equal(s.detected[1], 0);
    ab_noise_setting_eval(&cell, 1, &fig, 20, true, &s);
    assert_int_equal(s.trials, 1);
    assert_int_equal(s.detected[1], 1);
    /* Unpaired at k = 10: df 18, t(0.975, 18) = 2.100922, t(0.80, 18) = 0.862343;
     * the unpaired noise is the median of sd(ln a) = 0 and sd(ln b) = sd. */
    ab_noise_setting_eval(&cell, 1, &fig, 10, false, &s);
    double u = fig.unpaired_sd_log;
    assert_true(fabs(u - sd / 2) < 1e-12);
    assert_true(fabs(s.mde - (exp((2.100922 + 0.862343) * u * sqrt(2.0 / 10)) - 1)) < 1e-5);
    assert_int_equal(s.trials, 2);
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
    ab_noise_setting_eval(&cell, 1, &fig, 5, true, &s);
    assert_int_equal(s.trials, 4);
    assert_int_equal(s.false_verdicts, 4);
    ab_noise_setting_eval(&cell, 1, &fig, 5, false, &s);
    assert_int_equal(s.false_verdicts, 4);
}

static void rounds_for_a_half_width(void **state)
{
    (void)state;
    ab_noise_figures fig = {.paired_sd_log = 0.10, .unpaired_sd_log = 0.2};
    /* (1.959964 * 0.10 / ln 1.03)^2 = 43.8 -> 44 */
    assert_true(ab_noise_rounds_for_half_width(&fig, 0.03) == 44);
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
        cmocka_unit_test(mde_matches_the_t_formula),
        cmocka_unit_test(a_real_difference_is_counted_as_a_verdict),
        cmocka_unit_test(rounds_for_a_half_width),
        cmocka_unit_test(the_command_reports_every_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
