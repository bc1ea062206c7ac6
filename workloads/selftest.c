/* selftest.c -- placeholder: this family has no workloads yet. */
#include <stddef.h>
#include "workloads/families.h"

const ab_workload *const ab_family_selftest[] = {NULL};
