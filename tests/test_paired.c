/*
 * test_paired.c -- the paired statistics (harness/util/paired.h) and the
 * unpaired tests (report_stats.h) against independent values:
 *   - hand-counted exact signed-rank probabilities (n = 6: 2^6 sign patterns)
 *     and Hodges-Lehmann intervals (n = 6, 7: the Walsh averages by hand);
 *   - pairing by round number, not by position;
 *   - scipy.stats (Debian python3-scipy, a test-only dependency) computing
 *     ttest_rel, t.ppf, wilcoxon (exact and approximate), mannwhitneyu and
 *     Welch's ttest_ind on the same data; the Hodges-Lehmann interval by
 *     inverting scipy's signed-rank test (a shift just inside the interval
 *     is not significant, one just outside is).  Without scipy those cases
 *     skip and say why.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "harness/util/report_stats.h"
#include "harness/util/paired.h"
#include "tests/testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ORACLE_REL_TOL 1e-9

static void assert_close(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want) + 1e-15))
        fail_msg("got %.15g, want %.15g (relative tolerance %g)", got, want, rel);
}

static void test_pairing_uses_round_numbers(void **state)
{
    (void)state;
    /* Round 1 of the new cell failed, so positions no longer line up. */
    const double base[] = {10, 11, 12, 13};
    const long base_round[] = {0, 1, 2, 3};
    const double cand[] = {20, 22, 26};
    const long cand_round[] = {0, 2, 3};
    double ob[4], on[4];
    size_t n = ab_pair_by_round(base, base_round, 4, cand, cand_round, 3, ob, on);
    assert_int_equal(n, 3);
    assert_true(ob[0] == 10 && on[0] == 20);
    assert_true(ob[1] == 12 && on[1] == 22);
    assert_true(ob[2] == 13 && on[2] == 26);
    /* Rounds given out of order still pair by number, in round order. */
    const double shuffled[] = {26, 20, 22};
    const long shuffled_round[] = {3, 0, 2};
    n = ab_pair_by_round(base, base_round, 4, shuffled, shuffled_round, 3, ob, on);
    assert_int_equal(n, 3);
    assert_true(ob[0] == 10 && on[0] == 20 && ob[2] == 13 && on[2] == 26);
    /* A round present twice on one side is ambiguous: no pair from it. */
    const long dup_round[] = {0, 0, 2};
    n = ab_pair_by_round(base, base_round, 4, cand, dup_round, 3, ob, on);
    assert_int_equal(n, 1);
    assert_true(ob[0] == 12 && on[0] == 26);
}

static void test_signed_rank_exact_by_hand(void **state)
{
    (void)state;
    /* All six positive: W+ = 21; only 1 of 64 sign patterns has W- = 0, so
     * the two-sided p is 2/64. */
    const double all_up[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    ab_signed_rank w = ab_wilcoxon_signed_rank(all_up, 6);
    assert_true(w.valid && w.exact);
    assert_close(w.w_plus, 21, 0);
    assert_close(w.p, 2.0 / 64, 1e-12);
    /* The smallest one negative: W- = 1, two patterns have W- <= 1. */
    const double one_down[] = {-0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    w = ab_wilcoxon_signed_rank(one_down, 6);
    assert_close(w.w_plus, 20, 0);
    assert_close(w.p, 4.0 / 64, 1e-12);
    /* Five pairs cannot reach 0.05 whatever the data: 2/32. */
    w = ab_wilcoxon_signed_rank(all_up, 5);
    assert_close(w.p, 2.0 / 32, 1e-12);
    /* Zeros carry no sign and are dropped. */
    const double zeros[] = {0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    w = ab_wilcoxon_signed_rank(zeros, 8);
    assert_int_equal(w.n_nonzero, 6);
    assert_close(w.p, 2.0 / 64, 1e-12);
}

static void test_hodges_lehmann_by_hand(void **state)
{
    (void)state;
    /* d = 1..6: 21 Walsh averages, median 3.5.  With 6 values only W+ = 0
     * or 21 is beyond the 2.5% tails (1/64 each), so the 95% interval runs
     * from the smallest Walsh average to the largest. */
    const double six[] = {1, 2, 3, 4, 5, 6};
    ab_hodges_lehmann h = ab_hodges_lehmann_ci(six, 6, 0.95);
    assert_true(h.valid && h.exact);
    assert_close(h.estimate, 3.5, 1e-15);
    assert_close(h.lo, 1, 0);
    assert_close(h.hi, 6, 0);
    /* d = 1..7: P(W+ <= 2) = 3/128 <= 2.5% < P(W+ <= 3) = 5/128, so the
     * interval is the 3rd smallest to the 3rd largest Walsh average:
     * 1, 1.5, [2], 2, ... and 7, 6.5, [6], 6, ... (R: wilcox.test(1:7,
     * conf.int = TRUE) gives 2 to 6 at 95.3%). */
    const double seven[] = {7, 1, 6, 2, 5, 3, 4};
    h = ab_hodges_lehmann_ci(seven, 7, 0.95);
    assert_close(h.estimate, 4, 1e-15);
    assert_close(h.lo, 2, 0);
    assert_close(h.hi, 6, 0);
    /* Five values give no 95% interval (2/32 > 5%), only the estimate. */
    h = ab_hodges_lehmann_ci(six, 5, 0.95);
    assert_true(h.valid && isnan(h.lo) && isnan(h.hi));
    assert_close(h.estimate, 3, 1e-15);
    /* Zeros are dropped, as the test drops them; all zero is no change. */
    const double zeros[] = {0, 0, 0};
    h = ab_hodges_lehmann_ci(zeros, 3, 0.95);
    assert_true(h.valid && h.estimate == 0 && h.lo == 0 && h.hi == 0);
    /* One wild value moves the mean, not the Hodges-Lehmann estimate: the
     * reason it is the default for wall time. */
    const double burst[] = {0.01, 0.02, 0.01, 0.03, 0.02, 0.01, 0.02, 0.9};
    h = ab_hodges_lehmann_ci(burst, 8, 0.95);
    assert_true(h.estimate < 0.03 && h.hi < 0.5);
}

static void test_auto_picks_by_rounds(void **state)
{
    (void)state;
    const double base[] = {100, 100, 100, 100, 100, 100, 100};
    const double cand[] = {101, 103, 102, 104, 101, 99, 150};
    ab_paired_ratio r = ab_paired_ratio_test(base, cand, AB_SIGNED_RANK_MIN_PAIRS - 1, 0.95, AB_PAIRED_AUTO);
    assert_int_equal(r.test, AB_PAIRED_T);
    r = ab_paired_ratio_test(base, cand, AB_SIGNED_RANK_MIN_PAIRS, 0.95, AB_PAIRED_AUTO);
    assert_int_equal(r.test, AB_PAIRED_WILCOXON);
    /* The signed-rank ratio is the Hodges-Lehmann estimate of the log ratios. */
    double d[7];
    for (size_t i = 0; i < 7; i++) d[i] = log(cand[i] / base[i]);
    r = ab_paired_ratio_test(base, cand, 7, 0.95, AB_PAIRED_AUTO);
    ab_hodges_lehmann h = ab_hodges_lehmann_ci(d, 7, 0.95);
    assert_close(r.ratio, exp(h.estimate), 1e-15);
    assert_close(r.lo, exp(h.lo), 1e-15);
    assert_close(r.hi, exp(h.hi), 1e-15);
    assert_close(r.half_width, (r.hi - r.lo) / 2 / r.ratio, 1e-15);
}

static void test_paired_ratio_constant_slowdown(void **state)
{
    (void)state;
    const double base[] = {100, 200, 50, 400, 80};
    double cand[5];
    for (size_t i = 0; i < 5; i++)
        cand[i] = base[i] * 1.05;
    /* Every round 5% slower, however much the rounds differ: an exact
     * ratio, a zero-width interval and a certain t test. */
    ab_paired_ratio r = ab_paired_ratio_test(base, cand, 5, 0.95, AB_PAIRED_T);
    assert_true(r.valid);
    assert_close(r.ratio, 1.05, 1e-12);
    assert_close(r.lo, 1.05, 1e-12);
    assert_close(r.hi, 1.05, 1e-12);
    assert_close(r.p, 0, 0);
    /* An unpaired test on the same values sees only the spread. */
    ab_test_result u = ab_mann_whitney_u(base, 5, cand, 5);
    assert_true(u.p > 0.5);
    /* A non-positive value makes the ratio meaningless. */
    const double with_zero[] = {100, 0, 50, 400, 80};
    assert_false(ab_paired_ratio_test(with_zero, cand, 5, 0.95, AB_PAIRED_T).valid);
    assert_false(ab_paired_ratio_test(base, cand, 1, 0.95, AB_PAIRED_T).valid);
}

/* ---- scipy as the oracle --------------------------------------------------- */

static bool have_scipy(char *why, size_t len)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s -c 'import scipy.stats' >/dev/null 2>&1", AB_PYTHON);
    if (system(cmd) == 0)
        return true;
    snprintf(why, len, "%s has no scipy (Debian python3-scipy; `make deps` installs it)", AB_PYTHON);
    return false;
}

/* Skips the calling test (cmocka's skip() leaves it) when there is no scipy. */
static void require_scipy(void)
{
    char why[256];
    if (!have_scipy(why, sizeof why)) {
        print_message("skipped: %s\n", why);
        skip();
    }
}

static void py_list(FILE *f, const char *name, const double *x, size_t n)
{
    fprintf(f, "%s = [", name);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", x[i]);
    fprintf(f, "]\n");
}

/* Run a Python snippet (after `a`, `b` are defined) that prints numbers, one
 * per line; returns how many were read into out. */
static size_t scipy_eval(const double *a, size_t na, const double *b, size_t nb, const char *body, double *out,
                         size_t max)
{
    char path[] = "/tmp/ab_test_paired_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "import math, warnings\nimport scipy.stats as st\nwarnings.simplefilter('ignore')\n");
    py_list(f, "a", a, na);
    py_list(f, "b", b, nb);
    fputs(body, f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s", AB_PYTHON, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0;
    while (n < max && fscanf(p, "%lf", &out[n]) == 1)
        n++;
    assert_int_equal(pclose(p), 0);
    unlink(path);
    return n;
}

/* Deterministic pseudo-random timings with a long right tail, like wall time
 * on a shared machine: a lognormal-ish body plus occasional 2x outliers. */
static void timings(uint64_t seed, double scale, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double u1 = (double)((seed >> 11) + 1) / 9007199254740993.0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double u2 = (double)(seed >> 11) / 9007199254740992.0;
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        x[i] = scale * exp(0.1 * z) * (u2 > 0.93 ? 2 : 1);
    }
}

/* A paired case: base from `seed`, cand from `seed + offset` at `effect` x. */
typedef struct timing_case {
    uint64_t seed;
    size_t n;
    double effect;
} timing_case;

static size_t case_timings(const timing_case *tc, uint64_t offset, double *base, double *cand)
{
    timings(tc->seed, 100, base, tc->n);
    timings(tc->seed + offset, 100 * tc->effect, cand, tc->n);
    return tc->n;
}

static void test_paired_against_scipy(void **state)
{
    (void)state;
    require_scipy();
    static const timing_case cases[] = {{1, 10, 1.05}, {2, 7, 1.0}, {3, 30, 0.97}, {4, 60, 1.02}};
    for (size_t c = 0; c < N(cases); c++) {
        double base[64], cand[64];
        size_t n = case_timings(&cases[c], 100, base, cand);
        double want[8];
        size_t got = scipy_eval(base, n, cand, n,
                                "d = [math.log(y / x) for x, y in zip(a, b)]\n"
                                "t = st.ttest_rel([math.log(y) for y in b], [math.log(x) for x in a])\n"
                                "m = sum(d) / len(d); s = st.tstd(d) / math.sqrt(len(d))\n"
                                "q = st.t.ppf(0.975, len(d) - 1)\n"
                                "print(t.pvalue); print(math.exp(m - q * s)); print(math.exp(m + q * s))\n"
                                "w = st.wilcoxon(d, method='exact' if len(d) <= 50 else 'approx')\n"
                                "print(w.pvalue)\n",
                                want, N(want));
        assert_int_equal(got, 4);
        ab_paired_ratio t = ab_paired_ratio_test(base, cand, n, 0.95, AB_PAIRED_T);
        assert_close(t.p, want[0], ORACLE_REL_TOL);
        assert_close(t.lo, want[1], ORACLE_REL_TOL);
        assert_close(t.hi, want[2], ORACLE_REL_TOL);
        ab_paired_ratio w = ab_paired_ratio_test(base, cand, n, 0.95, AB_PAIRED_WILCOXON);
        assert_true(w.exact == (n <= AB_WILCOXON_EXACT_MAX));
        assert_close(w.p, want[3], n <= AB_WILCOXON_EXACT_MAX ? ORACLE_REL_TOL : 1e-6);
    }
    /* Ties among |d| force the normal approximation with tie correction. */
    const double d_ties[] = {0.1, -0.1, 0.2, 0.2, 0.3, -0.3, 0.3, 0.4, 0.5, 0.5};
    double want;
    assert_int_equal(scipy_eval(d_ties, N(d_ties), d_ties, 0, "print(st.wilcoxon(a, method='approx').pvalue)\n",
                                &want, 1),
                     1);
    ab_signed_rank w = ab_wilcoxon_signed_rank(d_ties, N(d_ties));
    assert_false(w.exact);
    assert_close(w.p, want, ORACLE_REL_TOL);
}

static void test_hodges_lehmann_against_scipy(void **state)
{
    (void)state;
    require_scipy();
    /* Exact up to 50 values, the normal approximation beyond; a tail of
     * 2x outliers as on a shared VM. */
    static const timing_case cases[] = {{21, 6, 1.0}, {22, 12, 1.04}, {23, 40, 0.98}, {24, 64, 1.03}};
    for (size_t c = 0; c < N(cases); c++) {
        double base[64], cand[64], d[64], want[5];
        size_t n = case_timings(&cases[c], 50, base, cand);
        for (size_t i = 0; i < n; i++) d[i] = log(cand[i] / base[i]);
        ab_hodges_lehmann h = ab_hodges_lehmann_ci(d, n, 0.95);
        assert_true(h.valid && isfinite(h.lo) && isfinite(h.hi));
        assert_true(h.exact == (n <= AB_WILCOXON_EXACT_MAX));
        double at[2] = {h.lo, h.hi};
        /* The estimate is the median of the Walsh averages; each bound is
         * where the test of d - theta turns significant. */
        size_t got = scipy_eval(d, n, at, 2,
                                "import statistics\n"
                                "w = [(a[i] + a[j]) / 2 for i in range(len(a)) for j in range(i, len(a))]\n"
                                "print(statistics.median(w))\n"
                                "m = 'exact' if len(a) <= 50 else 'approx'\n"
                                "eps = 1e-10\n"
                                "for t in (b[0] + eps, b[0] - eps, b[1] - eps, b[1] + eps):\n"
                                "    print(st.wilcoxon([x - t for x in a], method=m).pvalue)\n",
                                want, N(want));
        assert_int_equal(got, 5);
        assert_close(h.estimate, want[0], 1e-12);
        if (!(want[1] > 0.05 && want[2] <= 0.05 && want[3] > 0.05 && want[4] <= 0.05))
            fail_msg("n %zu: interval [%g, %g] is not the test's acceptance region: p %g %g | %g %g", n, h.lo, h.hi,
                     want[1], want[2], want[3], want[4]);
    }
}

static void test_unpaired_against_scipy(void **state)
{
    (void)state;
    require_scipy();
    static const struct {
        uint64_t seed;
        size_t na, nb;
    } cases[] = {{11, 5, 5}, {12, 10, 8}, {13, 25, 30}};
    for (size_t c = 0; c < N(cases); c++) {
        double a[32], b[32], want[4];
        timings(cases[c].seed, 100, a, cases[c].na);
        timings(cases[c].seed + 7, 110, b, cases[c].nb);
        size_t got = scipy_eval(a, cases[c].na, b, cases[c].nb,
                                "m = st.mannwhitneyu(a, b, method='exact' if max(len(a), len(b)) <= 20 "
                                "else 'asymptotic')\n"
                                "print(m.statistic); print(m.pvalue)\n"
                                "w = st.ttest_ind(b, a, equal_var=False)\n"
                                "print(w.statistic); print(w.pvalue)\n",
                                want, N(want));
        assert_int_equal(got, 4);
        ab_test_result m = ab_mann_whitney_u(a, cases[c].na, b, cases[c].nb);
        assert_close(m.statistic, want[0], 0);
        assert_close(m.p, want[1], ORACLE_REL_TOL);
        ab_test_result w = ab_welch_t(a, cases[c].na, b, cases[c].nb);
        assert_close(w.statistic, want[2], ORACLE_REL_TOL);
        assert_close(w.p, want[3], ORACLE_REL_TOL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairing_uses_round_numbers),
        cmocka_unit_test(test_signed_rank_exact_by_hand),
        cmocka_unit_test(test_hodges_lehmann_by_hand),
        cmocka_unit_test(test_auto_picks_by_rounds),
        cmocka_unit_test(test_paired_ratio_constant_slowdown),
        cmocka_unit_test(test_paired_against_scipy),
        cmocka_unit_test(test_hodges_lehmann_against_scipy),
        cmocka_unit_test(test_unpaired_against_scipy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
