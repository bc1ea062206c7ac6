/*
 * reference.h -- the allocators users would pick instead of pymalloc, and the
 * real thing: glibc, jemalloc, mimalloc, tcmalloc (each dlopen'ed from its
 * Debian library, so a machine without one lists it as unavailable instead
 * of failing to build) and cpython (PyObject_Malloc/Realloc/Free of the
 * installed libpython3, which work without initialising the interpreter).
 *
 * `cpython` is process-wide: libpython's obmalloc state is global, so two
 * cpython instances opened in one process share one set of arenas and one
 * set of statistics.  Whoever needs a fresh one forks (the runner and the
 * microbench fork a child per sample anyway).  allocators/ref_cpython.h has
 * its statistics parser and per-size-class table.
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

/*
 * libjemalloc.so.2 uses initial-exec TLS, so dlopen() fails with "cannot
 * allocate memory in static TLS block" unless the process started with a
 * larger static-TLS surplus than glibc's default (tunable
 * glibc.rtld.optional_static_tls, 512 bytes).  A command that is about to
 * open `jemalloc` calls this first with its main() argv: if the surplus is
 * not already raised it re-executes /proc/self/exe with GLIBC_TUNABLES
 * extended (once; AB_REF_STATIC_TLS_ENV marks the re-executed process).
 * Returns only when no re-exec was needed or possible; the jemalloc probe
 * then reports the reason.
 */
#define AB_REF_STATIC_TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"
#define AB_REF_STATIC_TLS_ENV "ARENABENCH_STATIC_TLS_REEXEC"
void ab_ref_ensure_static_tls(char **main_argv);

#endif
