/*
 * cmd_env.c -- `arenabench env [--json]`: can this machine measure what
 * arenabench measures, and what would make it able to?
 *
 * The facts are the ones every results file records (sysfacts.c); on top of
 * them env lists libpfm4's present PMUs and turns each gap into an action
 * the user can take.  env never fails on a weak machine: finding gaps is its
 * job, so it exits 0 whatever it finds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "harness/commands.h"
#include "harness/counters/counters_impl.h"
#include "harness/system/machine.h"
#include "harness/system/sysfacts.h"
#include <perfmon/pfmlib.h>

/* A pool this size (128 x 2 MiB = 256 MiB) holds the default matrix's
 * hugetlb arenas with room to spare; the number in the advice is only a
 * starting point. */
#define AB_SUGGESTED_HUGEPAGES 128
/* perf_event_paranoid above this forbids unprivileged kernel-mode counting
 * (perf_event_open(2): 2 = user-space measurements only). */
#define AB_PARANOID_KERNEL_OK 1
#define NMI_WATCHDOG_FILE "/proc/sys/kernel/nmi_watchdog"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: arenabench env [--json]\n\n"
            "Check this machine: CPU and PMU as libpfm4 and the kernel see them,\n"
            "perf_event_paranoid, hypervisor, THP enabled/defrag, huge page size and\n"
            "pool, and what to do to enable whatever is missing.  Always exits 0.\n\n"
            "  --json    print {machine, libpfm_pmus, advice} as JSON\n"
            "  --help    this text\n");
}

static json_t *libpfm_pmus(void)
{
    json_t *arr = json_array();
    if (ab_pfm_init() != PFM_SUCCESS)
        return arr;
    int p;
    pfm_for_all_pmus(p) {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof pi);
        pi.size = sizeof pi;
        if (pfm_get_pmu_info(p, &pi) != PFM_SUCCESS || !pi.is_present)
            continue;
        const char *type = pi.type == PFM_PMU_TYPE_CORE ? "core"
                         : pi.type == PFM_PMU_TYPE_UNCORE ? "uncore"
                         : pi.type == PFM_PMU_TYPE_OS_GENERIC ? "os_generic" : "unknown";
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}",
                                             "name", pi.name, "desc", pi.desc ? pi.desc : "",
                                             "type", type, "nevents", pi.nevents,
                                             "generic_counters", pi.num_cntrs,
                                             "fixed_counters", pi.num_fixed_cntrs));
    }
    return arr;
}

static void advise(json_t *advice, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void advise(json_t *advice, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(advice, json_string(buf));
}

static bool nmi_watchdog_on(void)
{
    FILE *f = fopen(NMI_WATCHDOG_FILE, "r");
    int v = 0;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v != 0;
}

static json_t *build_advice(const ab_sysfacts *f)
{
    json_t *a = json_array();
    bool root = geteuid() == 0;
    const char *sudo = root ? "" : "sudo ";

    if (!f->pmu_present && (f->cycles_errno == EACCES || f->cycles_errno == EPERM)) {
        advise(a, "hardware counters are refused (perf_event_paranoid=%ld): run as root, or "
                  "`sudo sysctl -w kernel.perf_event_paranoid=%d` (1 also allows kernel-mode counts, "
                  "where page-fault handling is spent)", f->perf_event_paranoid, AB_PARANOID_KERNEL_OK);
    } else if (!f->pmu_present && f->hypervisor) {
        advise(a, "no PMU in this VM: hardware counters (cycles, instructions, dTLB/iTLB misses, "
                  "cache-misses, page walks) will be null with status not_supported; software events "
                  "(page-faults, minor/major-faults, task-clock) still count.  Run on bare metal or in "
                  "a VM with a virtual PMU (e.g. QEMU/KVM -cpu host,pmu=on; VMware \"virtualize CPU "
                  "performance counters\")");
    } else if (!f->pmu_present) {
        advise(a, "the kernel has no PMU driver for this CPU (see `dmesg | grep 'Performance Events'`): "
                  "hardware counters will be null with status not_supported; software events still "
                  "count.  A newer kernel may support this CPU");
    }
    if (f->pmu_present && !f->pfm_core_pmu[0])
        advise(a, "libpfm4 %s does not know this CPU's core PMU: only generic perf events "
                  "(cycles, dTLB-load-misses, ...) and raw rUUEE codes can be named", f->libpfm);
    if (f->pmu_present && f->have_perf_event_paranoid && f->perf_event_paranoid > AB_PARANOID_KERNEL_OK && !root)
        advise(a, "perf_event_paranoid=%ld: counts will be user-space only (marked user_only); the "
                  "kernel's share of page-fault cost needs `sudo sysctl -w kernel.perf_event_paranoid=%d` "
                  "or running as root", f->perf_event_paranoid, AB_PARANOID_KERNEL_OK);
    if (!f->have_perf_event_paranoid)
        advise(a, "/proc/sys/kernel/perf_event_paranoid is missing: this kernel has no perf_events, "
                  "so no counters at all (values null, status not_supported)");
    if (f->hybrid)
        advise(a, "hybrid CPU: hardware events are counted on the P-core PMU (cpu_core) only, so time "
                  "on E-cores is not counted; pin samples to a P-core with `arenabench run --pin CPU` "
                  "(cpu_core CPUs: %s)", f->cpu_core_cpus[0] ? f->cpu_core_cpus : "see /sys/devices/cpu_core/cpus");
    if (f->pmu_present && nmi_watchdog_on())
        advise(a, "the NMI watchdog holds one hardware counter; `%ssysctl -w kernel.nmi_watchdog=0` "
                  "frees it and reduces multiplexing", sudo);
    if (f->hugepages_total == 0)
        advise(a, "no huge pages reserved: hugetlb variants fall back to 4 KiB pages (counted in "
                  "alloc.hugetlb_fallbacks).  Reserve a pool for one run with `arenabench run "
                  "--hugepages %d` (as root; restored afterwards), or by hand: `%ssh -c 'echo %d > "
                  "/proc/sys/vm/nr_hugepages'` (restore the old value when done)",
               AB_SUGGESTED_HUGEPAGES, sudo, AB_SUGGESTED_HUGEPAGES);
    else if (f->hugepages_free == 0)
        advise(a, "the huge page pool (%ld pages) is fully in use: hugetlb variants will fall back; "
                  "raise /proc/sys/vm/nr_hugepages or use `arenabench run --hugepages N`", f->hugepages_total);
    if (!f->thp_enabled[0])
        advise(a, "no transparent huge page support in this kernel: thp variants get 4 KiB pages");
    else if (!strcmp(f->thp_enabled, "never"))
        advise(a, "THP is disabled: thp variants get 4 KiB pages.  `%ssh -c 'echo madvise > "
                  "/sys/kernel/mm/transparent_hugepage/enabled'`", sudo);
    if (f->thp_defrag[0] && (!strcmp(f->thp_defrag, "never") || !strcmp(f->thp_defrag, "defer")))
        advise(a, "THP defrag is [%s]: a madvised arena falls back to 4 KiB pages when no free 2 MiB "
                  "page exists instead of compacting; `%ssh -c 'echo madvise > "
                  "/sys/kernel/mm/transparent_hugepage/defrag'` matches the kernel default",
               f->thp_defrag, sudo);
    return a;
}

static const char *or_unknown(const char *s)
{
    return s && s[0] ? s : "unknown";
}

static void print_text(const ab_sysfacts *f, json_t *pmus, json_t *advice)
{
    printf("CPU                  %s (%s, family %ld, model %ld)\n", or_unknown(f->cpu_model),
           or_unknown(f->cpu_vendor), f->cpu_family, f->cpu_model_number);
    printf("hypervisor           %s\n", f->hypervisor ? "yes (running in a virtual machine)" : "no");
    printf("kernel               %s, %ld CPUs online, host %s\n", or_unknown(f->kernel), f->nproc,
           or_unknown(f->hostname));
    printf("PMU                  %s: %s\n", f->pmu_present ? "present" : "NOT AVAILABLE", f->pmu_reason);
    printf("  libpfm4 core PMU   %s%s\n", or_unknown(f->pfm_core_pmu),
           f->pfm_core_pmu[0] ? " (libpfm4 matches CPUID family/model only, even in a VM)" : "");
    printf("  libpfm4 PMUs       ");
    size_t i;
    json_t *p;
    json_array_foreach(pmus, i, p) {
        printf("%s%s (%s, %lld events", i ? "; " : "", json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "type")),
               (long long)json_integer_value(json_object_get(p, "nevents")));
        json_int_t gc = json_integer_value(json_object_get(p, "generic_counters"));
        json_int_t fc = json_integer_value(json_object_get(p, "fixed_counters"));
        if (gc > 0)
            printf(", %lld generic + %lld fixed counters", (long long)gc, (long long)fc);
        printf(")");
    }
    printf("\n  kernel PMUs        %s\n", f->kernel_pmus[0] ? f->kernel_pmus : "none");
    printf("  event sources      %s\n", or_unknown(f->event_sources));
    if (f->hybrid)
        printf("  hybrid             yes: counting on cpu_core (P-cores: %s)\n", or_unknown(f->cpu_core_cpus));
    if (f->have_perf_event_paranoid)
        printf("perf_event_paranoid  %ld%s\n", f->perf_event_paranoid,
               geteuid() == 0 ? " (running as root: not restricted)" : "");
    else
        printf("perf_event_paranoid  missing (no perf_events in this kernel)\n");
    printf("THP                  enabled [%s], defrag [%s]\n", or_unknown(f->thp_enabled), or_unknown(f->thp_defrag));
    printf("huge pages           size %ld kB, pool %ld total, %ld free\n", f->hugepage_size_kb,
           f->hugepages_total, f->hugepages_free);
    printf("build                %s, libpfm %s, libpython %s, commit %s%s\n", f->compiler, f->libpfm,
           or_unknown(f->libpython), or_unknown(f->git_commit), f->git_dirty ? " (dirty tree)" : "");
    if (f->source_git_commit[0] && strcmp(f->source_git_commit, f->git_commit) != 0)
        printf("                     the source tree is now at %s: rebuild (make) before measuring\n",
               f->source_git_commit);
    printf("\nwhat to do:\n");
    if (json_array_size(advice) == 0)
        printf("  nothing: every counter and page backend arenabench uses is available here\n");
    json_array_foreach(advice, i, p)
        printf("  - %s\n", json_string_value(p));
}

int cmd_env(int argc, char **argv)
{
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            as_json = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return AB_EXIT_OK;
        } else {
            fprintf(stderr, "arenabench env: unknown %s '%s'\n", argv[i][0] == '-' ? "option" : "argument", argv[i]);
            usage(stderr);
            return AB_EXIT_USAGE;
        }
    }
    ab_sysfacts f;
    ab_sysfacts_gather(&f);
    json_t *pmus = libpfm_pmus();
    json_t *advice = build_advice(&f);
    if (as_json) {
        json_t *root = json_object();
        json_object_set_new(root, "machine", ab_machine_json(argc, argv));
        json_object_set(root, "libpfm_pmus", pmus);
        json_object_set(root, "advice", advice);
        json_dumpf(root, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(root);
    } else {
        print_text(&f, pmus, advice);
    }
    json_decref(pmus);
    json_decref(advice);
    return AB_EXIT_OK;
}
