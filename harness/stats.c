/*
 * stats.c -- median, mean, stddev, min, max and the t-based 95% CI.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness/stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Continued fraction for the incomplete beta function, evaluated by the
 * modified Lentz method (Press et al., Numerical Recipes, 6.4).  Converges
 * quickly for x < (a+1)/(a+b+2); the caller uses the symmetry otherwise.
 */
#define BETACF_MAX_ITER 300
#define BETACF_EPS 1e-15
#define BETACF_TINY 1e-300

static double betacf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < BETACF_TINY) d = BETACF_TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= BETACF_MAX_ITER; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < BETACF_TINY) d = BETACF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < BETACF_TINY) c = BETACF_TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < BETACF_TINY) d = BETACF_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < BETACF_TINY) c = BETACF_TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < BETACF_EPS) break;
    }
    return h;
}

/* Regularized incomplete beta I_x(a, b). */
static double inc_beta(double a, double b, double x)
{
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * betacf(a, b, x) / a;
    return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double ab_stats_t_cdf(double t, double df)
{
    /* P(T > |t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2 */
    double tail = 0.5 * inc_beta(df / 2.0, 0.5, df / (df + t * t));
    return t >= 0 ? 1.0 - tail : tail;
}

/* Bisection is slow but exact to double precision in ~100 steps, and this
 * runs once per metric per cell. */
#define T_QUANTILE_STEPS 200
#define T_QUANTILE_BRACKET 1e7

double ab_stats_t_quantile(double p, double df)
{
    if (p == 0.5) return 0.0;
    double lo = -T_QUANTILE_BRACKET, hi = T_QUANTILE_BRACKET;
    for (int i = 0; i < T_QUANTILE_STEPS && hi - lo > 1e-12 * (1.0 + fabs(lo)); i++) {
        double mid = 0.5 * (lo + hi);
        if (ab_stats_t_cdf(mid, df) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void ab_stats_summarize(const double *x, size_t n, ab_summary *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0) return;
    double *s = malloc(n * sizeof *s);
    if (!s) { out->n = 0; return; }
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    out->min = s[0];
    out->max = s[n - 1];
    out->median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += s[i];
    out->mean = sum / (double)n;
    if (n >= 2) {
        /* Two passes: the deviations are summed after the mean is known,
         * which keeps precision for large values with small spread (wall_ns). */
        double ss = 0;
        for (size_t i = 0; i < n; i++) ss += (s[i] - out->mean) * (s[i] - out->mean);
        out->stddev = sqrt(ss / (double)(n - 1));
        double half = ab_stats_t_quantile(0.975, (double)(n - 1)) * out->stddev / sqrt((double)n);
        out->ci95_lo = out->mean - half;
        out->ci95_hi = out->mean + half;
        out->has_spread = true;
    }
    free(s);
}
