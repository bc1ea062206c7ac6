/*
 * reference.h -- the allocators users would pick instead of pymalloc, and the
 * real thing: glibc, jemalloc, mimalloc, tcmalloc (each dlopen'ed from its
 * Debian library, so a machine without one lists it as unavailable instead
 * of failing to build) and cpython (PyObject_Malloc/Realloc/Free of the
 * installed libpython3, which work without initialising the interpreter).
 */
#ifndef AB_REFERENCE_H
#define AB_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include "allocators/allocator.h"
#include "allocators/variant.h"

/* Reference allocators, terminated by {NULL, NULL}. */
const ab_variant_info *ab_ref_catalogue(void);
bool ab_ref_known(const char *name);
bool ab_ref_available(const char *name, char *why, size_t whylen);
int ab_ref_open(const char *name, ab_allocator *out, char *err, size_t errlen);

#endif
