/*
 * fleet.h -- which machine a results file (or a cell of a fleet file) comes
 * from.
 *
 * Two files come from the same machine when the facts that change what a
 * benchmark measures agree (AB_MACHINE_IDENTITY_KEYS in fleet.c: host, CPU,
 * kernel, CPU count, page sizes, THP mode); the date, the command line and
 * the huge-page pool's momentary state do not make another machine.  A
 * machine's id is its hostname (readable in table columns); hosts that share
 * a name but differ in those facts get "-2", "-3", ... in the order a merge
 * meets them.
 *
 * Fleet file keys (README "Running on many machines"): cells[].machine_id,
 * and top-level machines{id: the machine block}.
 */
#ifndef AB_FLEET_H
#define AB_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "harness/results/schema.h"

/* Stands in for a machine block without a hostname. */
#define AB_FLEET_UNNAMED_MACHINE "machine"

/* Whether two machine blocks describe the same machine (see above). */
bool ab_fleet_same_machine(const json_t *a, const json_t *b);

/* The hostname-based id stem of a machine block (no uniqueness suffix). */
const char *ab_fleet_machine_name(const json_t *machine);

/* Whether the document is a fleet file (it has machines{}). */
bool ab_fleet_is_fleet(const json_t *root);

/* The machine id of a cell: cells[].machine_id in a fleet file, else the
 * id of the file's one machine. Borrowed. */
const char *ab_fleet_cell_machine(const json_t *root, const json_t *cell);

#endif
