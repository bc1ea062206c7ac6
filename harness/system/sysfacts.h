/*
 * sysfacts.h -- the facts `arenabench env` prints and every results file
 * records in its "machine" block, gathered in one place so both agree.
 *
 * Unknown numbers are -1 and unknown strings "" (both become JSON null).
 */
#ifndef AB_SYSFACTS_H
#define AB_SYSFACTS_H

#include <stdbool.h>
#include <stddef.h>

#define AB_FACT_STR 160

typedef struct ab_sysfacts {
    /* /proc/cpuinfo (first processor) */
    char cpu_model[AB_FACT_STR];
    char cpu_vendor[32];
    long cpu_family, cpu_model_number;
    bool hypervisor;                /* "hypervisor" CPU flag: running in a VM */
    bool arch_perfmon;              /* x86 "arch_perfmon" flag: CPUID advertises a PMU */

    /* core PMU: libpfm4's view, the kernel's view, and a probe */
    char pmu_name[32];              /* libpfm4's detected core PMU, or cpu_core on hybrid */
    char pfm_core_pmu[32];          /* libpfm4's own answer ("" if none) */
    char kernel_pmus[AB_FACT_STR];  /* core-PMU directories in sysfs, space separated */
    char event_sources[AB_FACT_STR];/* every directory in sysfs event_source, space separated */
    bool hybrid;                    /* sysfs has cpu_core */
    char cpu_core_cpus[64];         /* /sys/bus/event_source/devices/cpu_core/cpus */
    int cycles_errno;               /* 0 if perf_event_open(cycles) works */
    bool pmu_present;
    char pmu_reason[2 * AB_FACT_STR];

    /* kernel and host */
    char kernel[AB_FACT_STR];       /* uname -srm */
    long nproc;
    char hostname[64];
    long perf_event_paranoid;       /* -1 if the sysctl is missing (no perf_events) */
    bool have_perf_event_paranoid;

    /* pages */
    char thp_enabled[32], thp_defrag[32];   /* the bracketed choice */
    long hugepage_size_kb, hugepages_total, hugepages_free;

    /* build */
    char compiler[96], libpfm[64], libpython[128];
    /* git_commit: what the binary was built from; source_git_commit: the
     * source directory's HEAD at run time ("" if none). */
    char git_commit[64], source_git_commit[64];
    bool git_dirty;
    char date[32];                  /* ISO 8601, UTC */
} ab_sysfacts;

void ab_sysfacts_gather(ab_sysfacts *f);

/* The bracketed word of a sysfs choice file ("always [madvise] never"), or
 * "" if there is none.  Exposed for tests. */
void ab_sysfacts_bracketed(const char *text, char *out, size_t len);

#endif
