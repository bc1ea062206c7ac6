/*
 * ref_internal.h -- what reference.c needs from each ref_*.c backend.
 *
 * Every backend has the same shape: a probe that says whether the allocator
 * can be loaded here (and if not, why -- usually dlerror() text), and an
 * opener that fills an ab_allocator.  Nothing here is part of the public
 * contract; callers use allocators/reference.h.
 */
#ifndef AB_REF_INTERNAL_H
#define AB_REF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "allocators/allocator.h"

/* The system allocator of this process (glibc malloc, or ASan's when the
 * binary is sanitized). */
bool ab_ref_glibc_available(char *why, size_t whylen);
int ab_ref_glibc_open(ab_allocator *out, char *err, size_t errlen);

/* jemalloc / mimalloc / tcmalloc, dlopen'ed RTLD_LOCAL from their Debian
 * libraries; name is one of "jemalloc", "mimalloc", "tcmalloc". */
bool ab_ref_dl_known(const char *name);
bool ab_ref_dl_available(const char *name, char *why, size_t whylen);
int ab_ref_dl_open(const char *name, ab_allocator *out, char *err, size_t errlen);

/* The real PyObject_Malloc of libpython (allocators/ref_cpython.h has the
 * rest of its interface). */
bool ab_ref_cpython_available(char *why, size_t whylen);
int ab_ref_cpython_open(ab_allocator *out, char *err, size_t errlen);

/* Whether a request of n bytes bypasses pymalloc in CPython (0 bytes or more
 * than SMALL_REQUEST_THRESHOLD): the meaning of ab_alloc_stats.system_allocs. */
#define AB_REF_SMALL_REQUEST_THRESHOLD 512
static inline bool ab_ref_is_system_request(size_t n)
{
    return n == 0 || n > AB_REF_SMALL_REQUEST_THRESHOLD;
}

#endif
