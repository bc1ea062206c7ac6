/*
 * fleet.c -- machine identity for merged and fleet files (see fleet.h).
 */
#include <string.h>
#include "harness/results/fleet.h"

static const char *const machine_identity_keys[] = {
    "hostname", "cpu_vendor", "cpu_model", "cpu_family", "cpu_model_number", "kernel",
    "nproc", "hypervisor", "hugepage_size_kb", "thp_enabled", "thp_defrag",
};

bool ab_fleet_same_machine(const json_t *a, const json_t *b)
{
    for (size_t k = 0; k < sizeof machine_identity_keys / sizeof machine_identity_keys[0]; k++) {
        const json_t *x = json_object_get(a, machine_identity_keys[k]);
        const json_t *y = json_object_get(b, machine_identity_keys[k]);
        if (!x != !y || (x && !json_equal((json_t *)x, (json_t *)y))) return false;
    }
    return true;
}

const char *ab_fleet_machine_name(const json_t *machine)
{
    const char *h = json_string_value(json_object_get(machine, AB_KEY_MACHINE_HOSTNAME));
    return h && *h ? h : AB_FLEET_UNNAMED_MACHINE;
}

bool ab_fleet_is_fleet(const json_t *root)
{
    return json_is_object(json_object_get(root, AB_KEY_MACHINES));
}

const char *ab_fleet_cell_machine(const json_t *root, const json_t *cell)
{
    const char *id = json_string_value(json_object_get(cell, AB_KEY_CELL_MACHINE_ID));
    return id ? id : ab_fleet_machine_name(json_object_get(root, AB_KEY_MACHINE));
}
