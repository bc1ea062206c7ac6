/*
 * report_metrics.h -- a metric as a report shows it: the registry's row
 * (harness/results/metrics.h: title, unit, direction, determinism,
 * tolerance) resolved for one full name, and how values are formatted.
 */
#ifndef AB_REPORT_METRICS_H
#define AB_REPORT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "harness/results/metrics.h"

typedef struct ab_metric_desc {
    char title[160];       /* "wall time", "counters.page-faults", ... */
    const char *unit;      /* shown after the median ("ms", "MiB", "%", "") */
    double display_scale;  /* median * display_scale is shown */
    ab_direction better;
    bool deterministic;
    /* compare's default tolerance for a deterministic metric, as a fraction
     * of the base value (0 = any change in the worse direction counts). */
    double default_tolerance;
    double abs_floor;          /* the registry's abs_floor */
} ab_metric_desc;

/* The description of a metric name; a name no row takes is described as a
 * plain, noisy, lower-is-better number titled by its name. */
void ab_metric_describe(const char *metric, ab_metric_desc *out);

/*
 * Print the names on a registry list (AB_LIST_*; 0: every metric a report
 * can show, i.e. all but the checksum) as a comma list wrapped at width,
 * each line after the first starting with indent.  Families appear as
 * "counters.EVENT".  For help texts, so they never go stale.
 */
void ab_metric_print_names(FILE *f, unsigned list, const char *indent, size_t width);

/* The metric name turned into a file-name-safe stem ("counters.page-faults"
 * -> "counters_page-faults"). */
void ab_metric_file_stem(const char *metric, char *buf, size_t len);

/* Format v (already scaled for display) compactly: 3 significant digits
 * at least, thousands as "12.3k"/"4.56M" for counts. */
void ab_format_value(double v, const char *unit, char *buf, size_t len);

#endif
