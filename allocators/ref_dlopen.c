/*
 * ref_dlopen.c -- jemalloc, mimalloc and tcmalloc, each loaded from its
 * Debian library with dlopen(RTLD_LOCAL) and called through the entry points
 * dlsym finds on that handle.
 *
 * RTLD_LOCAL keeps the library's malloc/free out of the global symbol scope,
 * so it does not interpose on the process's own malloc (libc, libjansson and
 * the harness keep using glibc) -- the only calls that reach it are the ones
 * made through the ab_allocator.  Where a library exports prefixed names
 * (mi_*, tc_*) those are used, so there is no doubt which allocator a call
 * lands in; jemalloc's Debian build exports only the unprefixed names.
 *
 * Handles are never dlclose'd: these libraries register thread-exit
 * destructors and keep memory that outlives any ab_allocator instance, and
 * unloading them under that state is undefined.  dlopen reference-counts, so
 * opening the allocator again reuses the loaded library.
 *
 * Statistics: none of these has pymalloc arenas, so everything but
 * system_allocs (requests CPython would pass to the system allocator) is
 * AB_STAT_UNKNOWN.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocators/ref_internal.h"
#include "allocators/reference.h"

enum { ENTRY_MALLOC, ENTRY_CALLOC, ENTRY_REALLOC, ENTRY_FREE, ENTRY_COUNT };

#define MAX_SONAMES 2

typedef struct dl_library {
    const char *name;                       /* reference allocator name */
    const char *sonames[MAX_SONAMES];       /* tried in order; NULL-padded */
    const char *entries[ENTRY_COUNT];       /* malloc, calloc, realloc, free */
} dl_library;

static const dl_library libraries[] = {
    {"jemalloc", {"libjemalloc.so.2", NULL}, {"malloc", "calloc", "realloc", "free"}},
    {"mimalloc", {"libmimalloc.so.2", NULL}, {"mi_malloc", "mi_calloc", "mi_realloc", "mi_free"}},
    /* libtcmalloc_minimal has no heap profiler and so no startup work
     * beyond the allocator itself; the full library is the fallback. */
    {"tcmalloc", {"libtcmalloc_minimal.so.4", "libtcmalloc.so.4"},
     {"tc_malloc", "tc_calloc", "tc_realloc", "tc_free"}},
};

typedef struct dl_ref {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int64_t system_requests;
} dl_ref;

static const dl_library *find_library(const char *name)
{
    for (size_t i = 0; i < sizeof libraries / sizeof libraries[0]; i++)
        if (!strcmp(libraries[i].name, name))
            return &libraries[i];
    return NULL;
}

bool ab_ref_dl_known(const char *name)
{
    return find_library(name) != NULL;
}

/* dlopen the first soname that loads and resolve the four entry points.
 * On failure err gets every soname's dlerror() text. */
static int bind_library(const dl_library *lib, dl_ref *ref, char *err, size_t errlen)
{
    size_t used = 0;
    if (errlen)
        err[0] = 0;
    for (int s = 0; s < MAX_SONAMES && lib->sonames[s]; s++) {
        void *handle = dlopen(lib->sonames[s], RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char *why = dlerror();
            if (used < errlen)
                used += (size_t)snprintf(err + used, errlen - used, "%s%s", used ? "; " : "",
                                         why ? why : lib->sonames[s]);
            continue;
        }
        void *fn[ENTRY_COUNT];
        int e;
        for (e = 0; e < ENTRY_COUNT; e++) {
            dlerror();
            fn[e] = dlsym(handle, lib->entries[e]);
            if (!fn[e])
                break;
        }
        if (e < ENTRY_COUNT) {
            const char *why = dlerror();
            if (used < errlen)
                used += (size_t)snprintf(err + used, errlen - used, "%s%s: no symbol %s (%s)",
                                         used ? "; " : "", lib->sonames[s], lib->entries[e],
                                         why ? why : "NULL");
            continue;
        }
        /* POSIX guarantees data/function pointer conversion for dlsym. */
        *(void **)&ref->malloc = fn[ENTRY_MALLOC];
        *(void **)&ref->calloc = fn[ENTRY_CALLOC];
        *(void **)&ref->realloc = fn[ENTRY_REALLOC];
        *(void **)&ref->free = fn[ENTRY_FREE];
        return 0;
    }
    return -1;
}

bool ab_ref_dl_available(const char *name, char *why, size_t whylen)
{
    const dl_library *lib = find_library(name);
    if (!lib) {
        snprintf(why, whylen, "unknown reference allocator '%s'", name);
        return false;
    }
    dl_ref probe;
    if (bind_library(lib, &probe, why, whylen) < 0) {
        /* Say how to fix the one failure a stock machine hits. */
        if (strstr(why, "static TLS") && strlen(why) + 1 < whylen)
            snprintf(why + strlen(why), whylen - strlen(why),
                     " (start the process with GLIBC_TUNABLES=" AB_REF_STATIC_TLS_TUNABLE
                     "; `arenabench microbench` does so itself)");
        return false;
    }
    if (whylen)
        why[0] = 0;
    return true;
}

/* Counting stays off the common path: one predictable branch, then a tail
 * jump into the library. */
static void *dl_malloc(void *self, size_t n)
{
    dl_ref *r = self;
    if (__builtin_expect(ab_ref_is_system_request(n), 0))
        r->system_requests++;
    return r->malloc(n);
}

static void *dl_calloc(void *self, size_t nelem, size_t elsize)
{
    dl_ref *r = self;
    size_t n;
    if (!__builtin_mul_overflow(nelem, elsize, &n))
        r->system_requests += ab_ref_is_system_request(n);
    return r->calloc(nelem, elsize);
}

static void *dl_realloc(void *self, void *p, size_t n)
{
    dl_ref *r = self;
    r->system_requests += ab_ref_is_system_request(n);
    return r->realloc(p, n);
}

static void dl_free(void *self, void *p)
{
    dl_ref *r = self;
    r->free(p);
}

static void dl_stats(void *self, ab_alloc_stats *out)
{
    dl_ref *r = self;
    ab_alloc_stats_init_unknown(out);
    out->system_allocs = r->system_requests;
}

static void dl_destroy(void *self)
{
    free(self);
}

int ab_ref_dl_open(const char *name, ab_allocator *out, char *err, size_t errlen)
{
    const dl_library *lib = find_library(name);
    if (!lib) {
        snprintf(err, errlen, "unknown reference allocator '%s'", name);
        return -1;
    }
    dl_ref *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    char why[512];
    if (bind_library(lib, r, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s unavailable: %s", name, why);
        free(r);
        return -1;
    }
    *out = (ab_allocator){
        .name = lib->name,
        .self = r,
        .malloc = dl_malloc,
        .calloc = dl_calloc,
        .realloc = dl_realloc,
        .free = dl_free,
        .stats = dl_stats,
        .set_arena_hook = NULL,
        .destroy = dl_destroy,
    };
    return 0;
}
