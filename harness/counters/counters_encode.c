/*
 * counters_encode.c -- event name -> perf_event_attr, through libpfm4 only.
 *
 * Every name goes through pfm_get_os_event_encoding(PFM_OS_PERF_EVENT_EXT),
 * one event per call: libpfm 4.13 rejects ',' inside a string with
 * PFM_ERR_INVAL, so lists are split by the caller.  The library writes only
 * type, config, config1, the exclude_* bits and a few EXT modifiers into our
 * attr; read_format, disabled, inherit and the rest are ours to set afterwards.
 *
 * Hybrid Intel (Alder/Raptor Lake): libpfm 4.13 predates adl_glc/adl_grt, so
 * on those CPUs it offers only ix86arch and perf:: events.  The kernel there
 * registers the P-core PMU "cpu_core" (type from sysfs, 4 in practice) and an
 * E-core PMU "cpu_atom".  A generic HARDWARE or HW_CACHE event must name its
 * PMU in config bits 63:32 (the "extended type"); we always name cpu_core, so
 * on a hybrid machine every core-PMU event counts P-core execution only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/counters/counters_impl.h"
#include <perfmon/pfmlib_perf_event.h>

/* Bits 63:32 of attr.config carry the PMU type for HARDWARE/HW_CACHE events
 * on hybrid kernels (PERF_PMU_TYPE_SHIFT in linux/perf_event.h since 5.18). */
#define AB_PERF_PMU_TYPE_SHIFT 32
#define AB_HYBRID_CORE_PMU "cpu_core"

int ab_pfm_init(void)
{
    return pfm_initialize();
}

static int read_int_file(const char *path, long *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%ld", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

const char *ab_sysfs_event_sources(void)
{
    const char *dir = getenv("AB_SYSFS_EVENT_SOURCES");
    return dir && dir[0] ? dir : AB_SYSFS_EVENT_SOURCES;
}

int ab_hybrid_core_type(void)
{
    char path[512];
    long type;
    snprintf(path, sizeof path, "%s/%s/type", ab_sysfs_event_sources(), AB_HYBRID_CORE_PMU);
    if (read_int_file(path, &type) != 0)
        return -1;
    return (int)type;
}

static bool lands_on_core_pmu(uint32_t type)
{
    return type == PERF_TYPE_HARDWARE || type == PERF_TYPE_HW_CACHE || type == PERF_TYPE_RAW;
}

uint64_t ab_event_pmu_key(const struct perf_event_attr *attr)
{
    if (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE) {
        uint64_t ext = attr->config >> AB_PERF_PMU_TYPE_SHIFT;
        return ext ? ext : PERF_TYPE_RAW;
    }
    return attr->type;
}

/* Retarget a core-PMU event at cpu_core on a hybrid machine. */
static bool apply_hybrid_fixup(struct perf_event_attr *attr)
{
    int core_type = ab_hybrid_core_type();
    if (core_type < 0 || !lands_on_core_pmu(attr->type))
        return false;
    if (attr->type == PERF_TYPE_RAW)
        attr->type = (uint32_t)core_type;
    else
        attr->config |= (uint64_t)(uint32_t)core_type << AB_PERF_PMU_TYPE_SHIFT;
    return true;
}

static void pmu_name_of_event(int idx, char *buf, size_t len)
{
    pfm_event_info_t ei;
    pfm_pmu_info_t pi;
    memset(&ei, 0, sizeof ei);
    ei.size = sizeof ei;
    memset(&pi, 0, sizeof pi);
    pi.size = sizeof pi;
    if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &ei) == PFM_SUCCESS
        && pfm_get_pmu_info(ei.pmu, &pi) == PFM_SUCCESS && pi.name)
        snprintf(buf, len, "%s", pi.name);
    else
        snprintf(buf, len, "?");
}

int ab_event_encode(const char *name, bool kernel_too, ab_encoded_event *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int ret = ab_pfm_init();
    if (ret != PFM_SUCCESS) {
        snprintf(err, errlen, "libpfm4 initialisation failed: %s", pfm_strerror(ret));
        return ret;
    }
    if (strpbrk(name, ", \t\n")) {
        /* libpfm 4.13 would say only "invalid parameters"; say why. */
        snprintf(err, errlen, "'%s' is not a single event name (split lists at ',')", name);
        return PFM_ERR_INVAL;
    }
    out->attr.size = sizeof out->attr;
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof arg);
    arg.size = sizeof arg;
    arg.attr = &out->attr;
    int plm = kernel_too ? (PFM_PLM0 | PFM_PLM3) : PFM_PLM3;
    ret = pfm_get_os_event_encoding(name, plm, PFM_OS_PERF_EVENT_EXT, &arg);
    if (ret != PFM_SUCCESS) {
        snprintf(err, errlen, "libpfm4 cannot encode '%s': %s", name, pfm_strerror(ret));
        return ret;
    }
    out->attr.size = sizeof out->attr;
    pmu_name_of_event(arg.idx, out->pmu, sizeof out->pmu);
    if (apply_hybrid_fixup(&out->attr)) {
        out->hybrid_core = true;
        snprintf(out->pmu, sizeof out->pmu, "%s", AB_HYBRID_CORE_PMU);
    }
    if (errlen)
        err[0] = 0;
    return 0;
}
