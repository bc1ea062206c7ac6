/*
 * reference.c -- the catalogue of reference allocators and the dispatch to
 * their backends (ref_glibc.c, ref_dlopen.c, ref_cpython.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allocators/reference.h"
#include "allocators/ref_internal.h"

static const ab_variant_info catalogue[] = {
    {"glibc", "this process's malloc/free (glibc ptmalloc2; ASan's allocator in sanitized builds)"},
    {"jemalloc", "jemalloc from libjemalloc.so.2 (dlopen, RTLD_LOCAL)"},
    {"mimalloc", "mimalloc mi_malloc/mi_free from libmimalloc.so.2 (dlopen, RTLD_LOCAL)"},
    {"tcmalloc", "gperftools tc_malloc/tc_free from libtcmalloc_minimal.so.4 (dlopen, RTLD_LOCAL)"},
    {"cpython", "the real PyObject_Malloc/Realloc/Free of libpython3 (dlopen, no interpreter)"},
    {NULL, NULL},
};

const ab_variant_info *ab_ref_catalogue(void) { return catalogue; }

bool ab_ref_known(const char *name)
{
    for (const ab_variant_info *v = catalogue; v->name; v++)
        if (!strcmp(v->name, name))
            return true;
    return false;
}

bool ab_ref_available(const char *name, char *why, size_t whylen)
{
    if (!strcmp(name, "glibc"))
        return ab_ref_glibc_available(why, whylen);
    if (!strcmp(name, "cpython"))
        return ab_ref_cpython_available(why, whylen);
    if (ab_ref_dl_known(name))
        return ab_ref_dl_available(name, why, whylen);
    snprintf(why, whylen, "unknown reference allocator '%s'", name);
    return false;
}

int ab_ref_open(const char *name, ab_allocator *out, char *err, size_t errlen)
{
    if (!strcmp(name, "glibc"))
        return ab_ref_glibc_open(out, err, errlen);
    if (!strcmp(name, "cpython"))
        return ab_ref_cpython_open(out, err, errlen);
    if (ab_ref_dl_known(name))
        return ab_ref_dl_open(name, out, err, errlen);
    snprintf(err, errlen, "unknown reference allocator '%s'", name);
    return -1;
}

void ab_ref_ensure_static_tls(char **main_argv)
{
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (getenv(AB_REF_STATIC_TLS_ENV) || (tunables && strstr(tunables, "optional_static_tls")))
        return;
    char value[1024], saved[1024];
    snprintf(saved, sizeof saved, "%s", tunables ? tunables : "");
    if (tunables && *tunables)
        snprintf(value, sizeof value, "%s:%s", tunables, AB_REF_STATIC_TLS_TUNABLE);
    else
        snprintf(value, sizeof value, "%s", AB_REF_STATIC_TLS_TUNABLE);
    if (setenv("GLIBC_TUNABLES", value, 1) || setenv(AB_REF_STATIC_TLS_ENV, "1", 1))
        return;
    fflush(NULL);
    execv("/proc/self/exe", main_argv);
    /* exec failed: restore the environment and carry on; opening jemalloc
     * will report dlerror(). */
    if (saved[0])
        setenv("GLIBC_TUNABLES", saved, 1);
    else
        unsetenv("GLIBC_TUNABLES");
    unsetenv(AB_REF_STATIC_TLS_ENV);
}
