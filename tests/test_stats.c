/* test_stats.c -- summary statistics against values computed by hand (and
 * t quantiles against the printed Student t table). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "harness/run/stats.h"
#include "harness/util/report_stats.h"

#define CLOSE(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void even_count(void **state)
{
    (void)state;
    /* mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; s = sqrt(32/7);
     * median (4+5)/2; t(0.975,7) = 2.364624 (table); half width = t*s/sqrt(8). */
    const double x[] = {9, 2, 4, 5, 4, 7, 4, 5};
    ab_summary s;
    ab_stats_summarize(x, 8, &s);
    assert_int_equal(s.n, 8);
    CLOSE(s.mean, 5.0, 1e-12);
    CLOSE(s.median, 4.5, 1e-12);
    CLOSE(s.min, 2.0, 0);
    CLOSE(s.max, 9.0, 0);
    assert_true(s.has_spread);
    CLOSE(s.stddev, 2.1380899352993950, 1e-12);
    double half = 2.364624252 * 2.1380899352993950 / sqrt(8.0);
    CLOSE(s.ci95_lo, 5.0 - half, 1e-6);
    CLOSE(s.ci95_hi, 5.0 + half, 1e-6);
    /* the input is untouched (it is sorted on a copy) */
    assert_true(x[0] == 9 && x[7] == 5);
}

static void odd_count_and_large_values(void **state)
{
    (void)state;
    /* wall_ns-sized values with a small spread: 1e9 + {1, 2, 3}; mean 1e9+2,
     * s = 1, median 1e9+2, t(0.975,2) = 4.302653. */
    const double x[] = {1e9 + 3, 1e9 + 1, 1e9 + 2};
    ab_summary s;
    ab_stats_summarize(x, 3, &s);
    CLOSE(s.median, 1e9 + 2, 0);
    CLOSE(s.mean, 1e9 + 2, 1e-6);
    CLOSE(s.stddev, 1.0, 1e-6);
    CLOSE(s.ci95_hi - s.mean, 4.302653 / sqrt(3.0), 1e-5);
}

static void tiny_samples(void **state)
{
    (void)state;
    ab_summary s;
    ab_stats_summarize(NULL, 0, &s);
    assert_int_equal(s.n, 0);
    assert_false(s.has_spread);
    const double one = 42;
    ab_stats_summarize(&one, 1, &s);
    assert_int_equal(s.n, 1);
    CLOSE(s.median, 42, 0);
    CLOSE(s.mean, 42, 0);
    assert_false(s.has_spread); /* no stddev or CI from one value */
}

static void robust_sd_ignores_a_burst(void **state)
{
    (void)state;
    /* Median 3; absolute deviations 2, 1, 0, 1, 97: MAD 1, scaled to a
     * normal sd by 1.4826 (1 / Phi^-1(3/4)).  The sd proper is 43. */
    const double x[] = {4, 1, 100, 3, 2};
    assert_true(fabs(ab_stat_robust_sd(x, 5) - 1.482602218505602) < 1e-9);
    assert_true(ab_stat_stddev(x, 5) > 40);
    assert_true(isnan(ab_stat_robust_sd(x, 0)));
}

static void t_quantiles_match_the_table(void **state)
{
    (void)state;
    /* Two-sided 95% critical values, Student t table. */
    CLOSE(ab_student_t_quantile(0.975, 1), 12.7062, 1e-4);
    CLOSE(ab_student_t_quantile(0.975, 2), 4.3027, 1e-4);
    CLOSE(ab_student_t_quantile(0.975, 4), 2.7764, 1e-4);
    CLOSE(ab_student_t_quantile(0.975, 9), 2.2622, 1e-4);
    CLOSE(ab_student_t_quantile(0.975, 30), 2.0423, 1e-4);
    CLOSE(ab_student_t_quantile(0.975, 1e6), 1.9600, 1e-4);
    CLOSE(ab_student_t_quantile(0.5, 5), 0.0, 1e-9);
    CLOSE(ab_student_t_quantile(0.025, 4), -2.7764, 1e-4);
    CLOSE(ab_student_t_cdf(0, 3), 0.5, 1e-12);
    CLOSE(ab_student_t_cdf(2.7764451, 4), 0.975, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(even_count),
        cmocka_unit_test(odd_count_and_large_values),
        cmocka_unit_test(tiny_samples),
        cmocka_unit_test(t_quantiles_match_the_table),
        cmocka_unit_test(robust_sd_ignores_a_burst),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
