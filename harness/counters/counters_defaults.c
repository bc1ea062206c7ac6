/*
 * counters_defaults.c -- the events a run counts when the user names none.
 *
 * The generic perf events are always in the list (the kernel maps them to
 * whatever the CPU has, or refuses them with ENOENT, which becomes a status).
 * After them come the core PMU's native page-walk events, which answer the
 * huge-page question more directly than dTLB-load-misses: completed walks,
 * cycles with a walk in flight, and on AMD walks split by the page size that
 * was finally found.  Which of them exist is asked of libpfm4 on the PMU it
 * detected, never hard-coded as encodings: a candidate is kept only if it
 * encodes and resolves to a core PMU.  Candidate names come from libpfm4
 * 4.13's event tables (lib/events/intel_{skl,icl,spr}_events.h,
 * amd64_events_fam1{7,9}h_*.h, arm_neoverse_*_events.h).
 */
#include <string.h>
#include "harness/counters/counters_impl.h"
#include <perfmon/pfmlib_perf_event.h>

static const char *const generic_events[] = {
    "cycles", "instructions",
    "dTLB-load-misses", "dTLB-store-misses", "iTLB-load-misses", "cache-misses",
    "page-faults", "minor-faults", "major-faults", "task-clock",
};

static const char *const native_walk_candidates[] = {
    /* Intel Haswell and later: walks that completed, and cycles with at
     * least one load walk outstanding (WALK_ACTIVE = WALK_PENDING with c=1). */
    "DTLB_LOAD_MISSES:WALK_COMPLETED",
    "DTLB_LOAD_MISSES:WALK_ACTIVE",
    "DTLB_STORE_MISSES:WALK_COMPLETED",
    /* AMD Zen: L1 DTLB misses that also missed the L2 TLB (= a table walk),
     * by the size of the page the walk found. */
    "L1_DTLB_MISS:TLB_RELOAD_4K_L2_MISS",
    "L1_DTLB_MISS:TLB_RELOAD_2M_L2_MISS",
    /* Arm: data accesses that caused a translation table walk. */
    "DTLB_WALK",
};

#define N_GENERIC (sizeof generic_events / sizeof generic_events[0])
#define N_CANDIDATES (sizeof native_walk_candidates / sizeof native_walk_candidates[0])

static bool encodes_on_core_pmu(const char *name)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof arg);
    arg.size = sizeof arg;
    arg.attr = &attr;
    if (pfm_get_os_event_encoding(name, PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg) != PFM_SUCCESS)
        return false;
    pfm_event_info_t ei;
    pfm_pmu_info_t pi;
    memset(&ei, 0, sizeof ei);
    ei.size = sizeof ei;
    memset(&pi, 0, sizeof pi);
    pi.size = sizeof pi;
    return pfm_get_event_info(arg.idx, PFM_OS_PERF_EVENT_EXT, &ei) == PFM_SUCCESS
        && pfm_get_pmu_info(ei.pmu, &pi) == PFM_SUCCESS
        && pi.type == PFM_PMU_TYPE_CORE;
}

const char *const *ab_counters_default_events(size_t *n)
{
    /* Built once per process and immutable afterwards (the driver is
     * single-threaded); the API promises stable storage. */
    static const char *list[N_GENERIC + N_CANDIDATES + 1];
    static size_t count;
    if (!count) {
        size_t k = 0;
        for (size_t i = 0; i < N_GENERIC; i++)
            list[k++] = generic_events[i];
        if (ab_pfm_init() == PFM_SUCCESS)
            for (size_t i = 0; i < N_CANDIDATES; i++)
                if (encodes_on_core_pmu(native_walk_candidates[i]))
                    list[k++] = native_walk_candidates[i];
        list[k] = NULL;
        count = k;
    }
    *n = count;
    return list;
}

int ab_counters_check_events(const char *const *events, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        ab_encoded_event enc;
        char why[200];
        if (strlen(events[i]) >= sizeof ((ab_counter_value *)0)->event) {
            snprintf(err, errlen, "event name too long: '%.40s...'", events[i]);
            return -1;
        }
        if (ab_event_encode(events[i], true, &enc, why, sizeof why) != 0) {
            snprintf(err, errlen, "unknown event: %s (event names: `arenabench list events`, `perf list`)", why);
            return -1;
        }
    }
    return 0;
}
