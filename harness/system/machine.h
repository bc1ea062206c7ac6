/*
 * machine.h -- facts about the machine a result was measured on: the
 * "machine" block of the results JSON and the body of `arenabench env`.
 */
#ifndef AB_MACHINE_H
#define AB_MACHINE_H

#include <jansson.h>

/* New reference to the "machine" object of the results schema (README),
 * with command_line built from argv. */
json_t *ab_machine_json(int argc, char **argv);

#endif
