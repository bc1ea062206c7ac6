/* vmstat.c -- /proc/vmstat's thp_*, compact_* and htlb_* lines (vmstat.h). */
#include <stdlib.h>
#include <string.h>
#include "allocators/procfile.h"
#include "harness/util/vmstat.h"

/* /proc/vmstat is ~6 KiB on 6.x kernels; the lines we want come early
 * enough, and a truncated read only loses lines, never corrupts one. */
#define VMSTAT_BUF 16384

const char *const *ab_vmstat_prefixes(void)
{
    static const char *const prefixes[] = {"thp_", "compact_", "htlb_", NULL};
    return prefixes;
}

static int wanted(const char *line)
{
    for (const char *const *p = ab_vmstat_prefixes(); *p; p++)
        if (!strncmp(line, *p, strlen(*p))) return 1;
    return 0;
}

int ab_vmstat_read(ab_vmstat *out)
{
    out->n = 0;
    char buf[VMSTAT_BUF];
    if (ab_procfile_read(AB_VMSTAT_PATH, buf, sizeof buf) < 0) return -1;
    for (char *line = buf; *line && out->n < AB_VMSTAT_MAX;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        char *sp = strchr(line, ' ');
        if (sp && wanted(line) && (size_t)(sp - line) < AB_VMSTAT_NAME_MAX) {
            memcpy(out->name[out->n], line, (size_t)(sp - line));
            out->name[out->n][sp - line] = 0;
            out->value[out->n] = strtoull(sp + 1, NULL, 10);
            out->n++;
        }
        if (!nl) break;
        line = nl + 1;
    }
    return out->n ? 0 : -1;
}

void ab_vmstat_zero(ab_vmstat *acc, const ab_vmstat *names)
{
    *acc = *names;
    for (size_t i = 0; i < acc->n; i++) acc->value[i] = 0;
}

int64_t ab_vmstat_get(const ab_vmstat *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->name[i], name)) return (int64_t)v->value[i];
    return -1;
}

void ab_vmstat_add_delta(ab_vmstat *acc, const ab_vmstat *before, const ab_vmstat *after)
{
    /* Same kernel, same order: match by index, check the name anyway. */
    for (size_t i = 0; i < acc->n && i < before->n && i < after->n; i++)
        if (!strcmp(acc->name[i], before->name[i]) && !strcmp(acc->name[i], after->name[i]))
            acc->value[i] += after->value[i] - before->value[i];
}

json_t *ab_vmstat_json(const ab_vmstat *v)
{
    if (!v->n) return json_null();
    json_t *o = json_object();
    for (size_t i = 0; i < v->n; i++) json_object_set_new(o, v->name[i], json_integer((json_int_t)v->value[i]));
    return o;
}
