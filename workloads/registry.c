/* registry.c -- placeholder: no workloads until the workloads issue lands. */
#include <string.h>
#include "workloads/workload.h"

static const ab_workload *const none[] = {NULL};
const ab_workload *const *ab_workload_catalogue(void) { return none; }
const ab_workload *ab_workload_find(const char *spec)
{
    (void)spec;
    return NULL;
}
