/*
 * report_metrics.h -- what each metric means for a report: its title, how
 * to show it, which direction is better, and whether it is deterministic.
 *
 * Deterministic metrics (the allocator's own statistics, the checksum) are
 * the same in every repetition of a cell when nothing changed, so `compare`
 * judges them by value with a tight tolerance; everything measured by the
 * clock, the kernel or the PMU is noisy and judged statistically.
 */
#ifndef AB_REPORT_METRICS_H
#define AB_REPORT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    AB_LOWER_IS_BETTER,    /* time, faults, misses, RSS, arenas */
    AB_HIGHER_IS_BETTER,   /* huge-page coverage */
} ab_direction;

typedef struct ab_metric_desc {
    char title[160];       /* "wall time", "counters.page-faults", ... */
    const char *unit;      /* shown after the median ("ms", "MiB", "%", "") */
    double display_scale;  /* median * display_scale is shown */
    ab_direction better;
    bool deterministic;
    /* compare's default tolerance for a deterministic metric, as a fraction
     * of the base value (0 = any change in the worse direction counts). */
    double default_tolerance;
    /* A noisy count's absolute floor: compare calls a change only when the
     * means differ by more than this many units as well as by the
     * threshold's percentage (0 = no floor). */
    double abs_floor;
} ab_metric_desc;

void ab_metric_describe(const char *metric, ab_metric_desc *out);

/* The metric name turned into a file-name-safe stem ("counters.page-faults"
 * -> "counters_page-faults"). */
void ab_metric_file_stem(const char *metric, char *buf, size_t len);

/* Format v (already scaled for display) compactly: 3 significant digits
 * at least, thousands as "12.3k"/"4.56M" for counts. */
void ab_format_value(double v, const char *unit, char *buf, size_t len);

#endif
