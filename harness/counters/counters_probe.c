/*
 * counters_probe.c -- does this machine have a core PMU, and which?
 *
 * Two independent views: libpfm4 matches the CPU on CPUID family/model alone
 * (so inside a VM without a virtual PMU it still "detects" e.g. icl and
 * happily encodes events), while the kernel either registered a PMU driver
 * or did not.  Only a perf_event_open of cycles settles what can be counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "harness/counters/counters_impl.h"
#include <perfmon/pfmlib_perf_event.h>

void ab_pfm_core_pmu_name(char *buf, size_t len)
{
    snprintf(buf, len, "%s", "");
    if (ab_pfm_init() != PFM_SUCCESS)
        return;
    int p;
    bool have_fallback = false;
    pfm_for_all_pmus(p) {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof pi);
        pi.size = sizeof pi;
        if (pfm_get_pmu_info(p, &pi) != PFM_SUCCESS || !pi.is_present || pi.type != PFM_PMU_TYPE_CORE)
            continue;
        /* is_dfl marks ix86arch, the architectural fallback every Intel CPU
         * has; a model-specific PMU is the better answer when there is one. */
        if (!pi.is_dfl) {
            snprintf(buf, len, "%s", pi.name);
            return;
        }
        if (!have_fallback) {
            snprintf(buf, len, "%s", pi.name);
            have_fallback = true;
        }
    }
}

int ab_probe_cycles(char *why, size_t whylen)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_CPU_CYCLES;
    attr.disabled = 1;
    /* User space only, so perf_event_paranoid 2 does not mask a missing PMU. */
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd >= 0) {
        close((int)fd);
        snprintf(why, whylen, "perf_event_open(cycles) succeeded");
        return 0;
    }
    int err = errno;
    const char *name = err == ENOENT ? "ENOENT" : err == EOPNOTSUPP ? "EOPNOTSUPP" : err == ENODEV ? "ENODEV"
                     : err == EACCES ? "EACCES" : err == EPERM ? "EPERM" : err == EINVAL ? "EINVAL" : "errno";
    snprintf(why, whylen, "perf_event_open(cycles) = %s (%s)", name, strerror(err));
    return err;
}
