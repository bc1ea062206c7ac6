/*
 * stats.c -- median, mean, stddev, min, max and the t-based 95% CI.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness/run/stats.h"
#include "harness/util/report_stats.h"   /* the one Student t implementation */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
        double half = ab_student_t_quantile(0.975, (double)(n - 1)) * out->stddev / sqrt((double)n);
        out->ci95_lo = out->mean - half;
        out->ci95_hi = out->mean + half;
        out->has_spread = true;
    }
    free(s);
}
