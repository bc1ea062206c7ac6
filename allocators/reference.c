/* reference.c -- placeholder until the reference allocators land. */
#include <stdio.h>
#include "allocators/reference.h"

static const ab_variant_info none[] = {{NULL, NULL}};
const ab_variant_info *ab_ref_catalogue(void) { return none; }
bool ab_ref_known(const char *name)
{
    (void)name;
    return false;
}
bool ab_ref_available(const char *name, char *why, size_t whylen)
{
    snprintf(why, whylen, "%s: not built", name);
    return false;
}
int ab_ref_open(const char *name, ab_allocator *out, char *err, size_t errlen)
{
    (void)out;
    snprintf(err, errlen, "%s: not built", name);
    return -1;
}
