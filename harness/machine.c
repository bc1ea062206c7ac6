/* machine.c -- placeholder until the env/counters work lands. */
#include "harness/machine.h"

json_t *ab_machine_json(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return json_object();
}
