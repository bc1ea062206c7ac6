/*
 * counters_impl.h -- the pieces behind counters.h, shared by counters.c,
 * machine/env/list and the tests (not a contract for other areas).
 *
 *   counters_encode.c    name -> perf_event_attr through libpfm4, hybrid fixup,
 *                        the kernel PMU a perf_event_attr lands on
 *   counters_defaults.c  the default event list for the detected PMU
 *   counters_scale.c     raw/enabled/running -> value + status, errno -> status
 *   counters_probe.c     what libpfm4 and the kernel say about the core PMU
 */
#ifndef AB_COUNTERS_IMPL_H
#define AB_COUNTERS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>
#include "harness/counters/counters.h"

/* Where the kernel's event sources live; its presence of cpu / cpu_core /
 * armv8_* directories is how the kernel says it has a core PMU driver. */
#define AB_SYSFS_EVENT_SOURCES "/sys/bus/event_source/devices"

/* That directory, unless the environment variable AB_SYSFS_EVENT_SOURCES
 * names another: tests point it at a fake tree to exercise the hybrid
 * (cpu_core) path on machines that are not hybrid. */
const char *ab_sysfs_event_sources(void);

/* pfm_initialize() once per process; later calls return the first result
 * (pfm_initialize.3), so callers may invoke this as often as they like. */
int ab_pfm_init(void);

/* One encoded event. */
typedef struct ab_encoded_event {
    struct perf_event_attr attr;
    char pmu[32];            /* libpfm4 PMU name, or "cpu_core" after the hybrid fixup */
    bool hybrid_core;        /* attr was retargeted at cpu_core */
} ab_encoded_event;

/*
 * Encode `name` (libpfm4 or perf syntax, exactly one event) with
 * PFM_OS_PERF_EVENT_EXT.  kernel_too selects PFM_PLM0|PFM_PLM3 (user and
 * kernel) rather than PFM_PLM3 alone; an explicit :u/:k in the name wins.
 * Returns 0, or the negative PFM_ERR_* code with pfm_strerror() text in err.
 */
int ab_event_encode(const char *name, bool kernel_too, ab_encoded_event *out, char *err, size_t errlen);

/* perf_event_attr.type of /sys/bus/event_source/devices/cpu_core, or -1 on a
 * non-hybrid machine. */
int ab_hybrid_core_type(void);

/*
 * The kernel PMU an encoded event is scheduled on, as a grouping key: two
 * events may share a group only if their keys are equal.  HARDWARE, HW_CACHE
 * and RAW events all land on the core PMU (on hybrid CPUs the one named by
 * the extended type in config bits 63:32); every other type is its own PMU.
 */
uint64_t ab_event_pmu_key(const struct perf_event_attr *attr);

/* Map a perf_event_open errno to a status (never AB_CTR_OK). */
ab_counter_status ab_counter_status_from_errno(int err);

/*
 * Turn v->raw / v->enabled_ns / v->running_ns into v->value, v->has_value
 * and v->status for an event that was opened and read:
 *   running == 0          -> not_counted, has_value false
 *   running <  enabled    -> multiplexed, value = raw * enabled / running
 *   running >= enabled    -> ok, value = raw
 */
void ab_counter_scale(ab_counter_value *v);

/* Name of the core PMU libpfm4 detected (e.g. "icl", "amd64_fam19h_zen3",
 * "arm_n1"; "ix86arch" when only the architectural PMU is known), or "" if
 * none. */
void ab_pfm_core_pmu_name(char *buf, size_t len);

/*
 * Try perf_event_open(PERF_COUNT_HW_CPU_CYCLES) on the calling thread, user
 * space only (which paranoid <= 2 allows).  Returns 0 if it opened, else the
 * errno; `why` gets a one-line explanation in either case.
 */
int ab_probe_cycles(char *why, size_t whylen);

#endif
