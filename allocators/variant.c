/* variant.c -- placeholder: no variants until the allocator model lands. */
#include <stdio.h>
#include "allocators/variant.h"

static const ab_variant_info none[] = {{NULL, NULL}};
const ab_variant_info *ab_variant_catalogue(void) { return none; }
int ab_variant_parse(const char *spec, ab_variant *out, char *err, size_t errlen)
{
    (void)out;
    snprintf(err, errlen, "unknown variant '%s'", spec);
    return -1;
}
void ab_pymalloc_config_format(const ab_pymalloc_config *cfg, char *buf, size_t len)
{
    (void)cfg;
    snprintf(buf, len, "pymalloc");
}
bool ab_variant_available(const ab_variant *v, char *why, size_t whylen)
{
    (void)v;
    snprintf(why, whylen, "not built");
    return false;
}
int ab_variant_open(const ab_variant *v, ab_allocator *out, char *err, size_t errlen)
{
    (void)v;
    (void)out;
    snprintf(err, errlen, "not built");
    return -1;
}
