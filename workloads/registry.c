/*
 * registry.c -- every workload, found by name.  A spec is "name" or
 * "name:param" (e.g. "random_prune:first_half", "replay:/tmp/x.trace"); the
 * param is handed to the workload in ab_wl_ctx.param.
 */
#include <stdio.h>
#include <string.h>
#include "workloads/families.h"

#define AB_MAX_WORKLOADS 64

static const ab_workload *const *const families[] = {
    ab_family_obmalloc, ab_family_seeds, ab_family_replay, ab_family_selftest,
};

const ab_workload *const *ab_workload_catalogue(void)
{
    /* Built once; the catalogue is immutable after that (single-threaded driver). */
    static const ab_workload *all[AB_MAX_WORKLOADS + 1];
    static int built;
    if (!built) {
        size_t n = 0;
        for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
            for (size_t i = 0; families[f][i] && n < AB_MAX_WORKLOADS; i++)
                all[n++] = families[f][i];
        all[n] = NULL;
        built = 1;
    }
    return all;
}

const ab_workload *ab_workload_find(const char *spec)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    for (const ab_workload *const *w = ab_workload_catalogue(); *w; w++)
        if (strlen((*w)->name) == len && !strncmp((*w)->name, spec, len))
            return *w;
    return NULL;
}

int ab_workload_check_spec(const ab_workload *w, const char *spec, char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    const char *param = colon ? colon + 1 : NULL;
    if (!w->check_param) {
        if (!param) return 0;
        snprintf(err, errlen, "workload '%s' takes no parameter (got ':%s')", w->name, param);
        return -1;
    }
    return w->check_param(param, err, errlen);
}
