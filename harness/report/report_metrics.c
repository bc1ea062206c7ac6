/*
 * report_metrics.c -- per-metric presentation and judgement rules.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "harness/report/report_metrics.h"

void ab_metric_describe(const char *metric, ab_metric_desc *d)
{
    memset(d, 0, sizeof *d);
    ab_metric_title(metric, d->title, sizeof d->title);
    d->unit = "";
    d->display_scale = 1;
    d->better = AB_LOWER_IS_BETTER;
    const ab_metric *m = ab_metric_lookup(metric, NULL);
    if (!m)
        return;
    d->unit = m->unit;
    d->display_scale = m->display_scale;
    d->better = m->better;
    d->deterministic = m->deterministic;
    d->default_tolerance = m->tolerance;
    d->abs_floor = m->abs_floor;
}

void ab_metric_print_names(FILE *f, unsigned list, const char *indent, size_t width)
{
    size_t col = strlen(indent);
    bool first = true;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        if (list ? !(m->lists & list) : m->kind == AB_METRIC_IDENTITY)
            continue;
        /* Each VALUE row of a family's object is also named by the family
         * ("alloc.FIELD"): list the family, not every field. */
        const char *dot = strchr(m->name, '.');
        if (!list && dot && m->kind == AB_METRIC_VALUE) {
            char family[64];
            snprintf(family, sizeof family, "%.*s.x", (int)(dot - m->name), m->name);
            const ab_metric *fam = ab_metric_lookup(family, NULL);
            if (fam && fam->kind == AB_METRIC_FAMILY)
                continue;
        }
        char name[128];
        ab_metric_display_name((ab_metric_id)i, name, sizeof name);
        size_t len = strlen(name) + 2;
        if (!first && col + len > width) {
            fprintf(f, ",\n%s", indent);
            col = strlen(indent);
        } else if (!first) {
            fputs(", ", f);
        }
        fputs(name, f);
        col += len;
        first = false;
    }
}

void ab_metric_file_stem(const char *metric, char *buf, size_t len)
{
    size_t i = 0;
    for (; metric[i] && i + 1 < len; i++) {
        char c = metric[i];
        int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
        buf[i] = safe ? c : '_';
    }
    if (len)
        buf[i < len ? i : len - 1] = 0;
}

void ab_format_value(double v, const char *unit, char *buf, size_t len)
{
    const char *sep = unit && *unit && strcmp(unit, "%") ? " " : "";
    if (!unit)
        unit = "";
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
        return;
    }
    if (!*unit && fabs(v) >= 1e6)
        snprintf(buf, len, "%.3gM", v / 1e6);
    else if (!*unit && fabs(v) >= 1e4)
        snprintf(buf, len, "%.3gk", v / 1e3);
    else if (v == floor(v) && fabs(v) < 1e4)
        snprintf(buf, len, "%.0f%s%s", v, sep, unit);
    else if (fabs(v) >= 100)
        snprintf(buf, len, "%.1f%s%s", v, sep, unit);
    else
        snprintf(buf, len, "%#.3g%s%s", v, sep, unit);
}
