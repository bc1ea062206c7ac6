/*
 * counters_scale.c -- what a perf_event read means.
 *
 * The kernel reports, per event, the raw count and two times: how long the
 * event was enabled and how long it actually sat on a hardware counter.  When
 * there are more events than counters the kernel time-slices (multiplexes)
 * them, and raw * enabled / running estimates the full-period count (the
 * perf_util.c perf_scale() rule).  An event that never got a counter has no
 * estimate at all, which is different from counting zero: it stays null.
 */
#include <errno.h>
#include "harness/counters/counters_impl.h"

const char *ab_counter_status_name(ab_counter_status s)
{
    switch (s) {
    case AB_CTR_OK: return "ok";
    case AB_CTR_MULTIPLEXED: return "multiplexed";
    case AB_CTR_NOT_SUPPORTED: return "not_supported";
    case AB_CTR_NO_PERMISSION: return "no_permission";
    case AB_CTR_NOT_COUNTED: return "not_counted";
    case AB_CTR_ENCODING_FAILED: return "encoding_failed";
    case AB_CTR_ERROR: return "error";
    }
    return "error";
}

ab_counter_status ab_counter_status_from_errno(int err)
{
    switch (err) {
    case ENOENT:      /* no such PMU/type, or a generic event the PMU does not map */
    case EOPNOTSUPP:  /* the hardware lacks a feature the attr asks for */
    case ENODEV:
    case ENXIO:
        return AB_CTR_NOT_SUPPORTED;
    case EACCES:      /* perf_event_paranoid or missing CAP_PERFMON */
    case EPERM:
        return AB_CTR_NO_PERMISSION;
    default:
        return AB_CTR_ERROR;
    }
}

void ab_counter_scale(ab_counter_value *v)
{
    if (v->running_ns == 0) {
        v->status = AB_CTR_NOT_COUNTED;
        v->has_value = false;
        v->value = 0.0;
        return;
    }
    v->has_value = true;
    if (v->running_ns < v->enabled_ns) {
        v->status = AB_CTR_MULTIPLEXED;
        v->value = (double)v->raw * ((double)v->enabled_ns / (double)v->running_ns);
    } else {
        /* running > enabled cannot happen in a consistent read; trust raw. */
        v->status = AB_CTR_OK;
        v->value = (double)v->raw;
    }
}
