/*
 * ref_cpython.c -- the real CPython small-object allocator as a reference:
 * PyObject_Malloc/Calloc/Realloc/Free of the installed libpython, dlopen'ed
 * RTLD_LOCAL.  In 3.10-3.14 these work without Py_Initialize: obmalloc's
 * state (usedpools, arenas, the radix tree root) is statically initialised
 * and the default object allocator is pymalloc until the interpreter's
 * configuration says otherwise, which never happens here.
 *
 * Arenas.  Before anything can call PyObject_Malloc, binding installs an
 * arena allocator of our own with PyObject_SetArenaAllocator.  It does what
 * CPython's _PyObject_ArenaMmap/_PyObject_ArenaMunmap do on Linux (3.11:
 * plain anonymous mmap/munmap, no madvise), so the allocator under test is
 * unchanged, and in addition counts the calls, keeps the list of mapped
 * arena ranges and fires the arena hook for the memory timeline.
 *
 * Process-global state.  libpython's obmalloc state is global to the
 * process, so the binding (function pointers, arena counters, hook) is a
 * single static object too: a second cpython instance in one process shares
 * arenas, statistics and hook with the first.  Every consumer that needs a
 * fresh allocator forks a child per sample, and the tests do the same.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "allocators/hugecover.h"
#include "allocators/ref_cpython.h"
#include "allocators/ref_internal.h"

#ifndef AB_LIBPYTHON
#define AB_LIBPYTHON ""
#endif

/* Layout of PyObjectArenaAllocator (Include/cpython/objimpl.h, unchanged
 * since 3.4). */
typedef struct py_arena_allocator {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);
} py_arena_allocator;

typedef struct cpython_binding {
    bool attempted;
    bool bound;
    char error[512];
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*debug_malloc_stats)(FILE *);
    void (*set_arena_allocator)(py_arena_allocator *);
    py_arena_allocator arena_allocator;   /* libpython copies it, but keep it stable */
    int64_t mmap_calls;
    int64_t munmap_calls;
    int64_t arenas_mapped;
    int64_t bytes_mapped;
    ab_addr_range *ranges;                /* currently mapped arenas, any order */
    size_t nranges, ranges_cap;
    ab_arena_event_fn hook;
    void *hook_arg;
} cpython_binding;

/* See "Process-global state" above: mirrors libpython's own global state. */
static cpython_binding binding;

const char *ab_cpy_libpython_path(void)
{
    const char *env = getenv("ARENABENCH_LIBPYTHON");
    return env && *env ? env : AB_LIBPYTHON;
}

static void remember_range(cpython_binding *b, void *base, size_t size)
{
    if (b->nranges == b->ranges_cap) {
        size_t cap = b->ranges_cap ? 2 * b->ranges_cap : 64;
        ab_addr_range *grown = realloc(b->ranges, cap * sizeof *grown);
        if (!grown)
            return;   /* only coverage bookkeeping is lost, never an arena */
        b->ranges = grown;
        b->ranges_cap = cap;
    }
    b->ranges[b->nranges++] = (ab_addr_range){(uintptr_t)base, size};
}

static void forget_range(cpython_binding *b, void *base)
{
    for (size_t i = 0; i < b->nranges; i++) {
        if (b->ranges[i].start == (uintptr_t)base) {
            b->ranges[i] = b->ranges[--b->nranges];
            return;
        }
    }
}

static void *arena_map(void *ctx, size_t size)
{
    cpython_binding *b = ctx;
    b->mmap_calls++;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    b->arenas_mapped++;
    b->bytes_mapped += (int64_t)size;
    remember_range(b, p, size);
    if (b->hook)
        b->hook(b->hook_arg, 1, b->arenas_mapped);
    return p;
}

static void arena_unmap(void *ctx, void *ptr, size_t size)
{
    cpython_binding *b = ctx;
    b->munmap_calls++;
    munmap(ptr, size);
    b->arenas_mapped--;
    b->bytes_mapped -= (int64_t)size;
    forget_range(b, ptr);
    if (b->hook)
        b->hook(b->hook_arg, 0, b->arenas_mapped);
}

static int bind_symbol(void *handle, const char *name, void **slot, char *err, size_t errlen)
{
    dlerror();
    *slot = dlsym(handle, name);
    if (*slot)
        return 0;
    const char *why = dlerror();
    snprintf(err, errlen, "%s: no symbol %s (%s)", ab_cpy_libpython_path(), name, why ? why : "NULL");
    return -1;
}

/* dlopen libpython once per process and install the arena allocator.  Must
 * run before the first PyObject_Malloc of the process. */
static bool bind_libpython(void)
{
    cpython_binding *b = &binding;
    if (b->attempted)
        return b->bound;
    b->attempted = true;
    const char *path = ab_cpy_libpython_path();
    if (!*path) {
        snprintf(b->error, sizeof b->error,
                 "no libpython configured (build-time AB_LIBPYTHON is empty; set ARENABENCH_LIBPYTHON)");
        return false;
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(b->error, sizeof b->error, "%s", why ? why : path);
        return false;
    }
    void *sym[7];
    static const char *const names[7] = {
        "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "PyObject_Free",
        "_PyObject_DebugMallocStats", "PyObject_SetArenaAllocator", "PyObject_GetArenaAllocator",
    };
    for (int i = 0; i < 7; i++)
        if (bind_symbol(handle, names[i], &sym[i], b->error, sizeof b->error) < 0)
            return false;
    *(void **)&b->malloc = sym[0];
    *(void **)&b->calloc = sym[1];
    *(void **)&b->realloc = sym[2];
    *(void **)&b->free = sym[3];
    *(void **)&b->debug_malloc_stats = sym[4];
    *(void **)&b->set_arena_allocator = sym[5];
    b->arena_allocator = (py_arena_allocator){b, arena_map, arena_unmap};
    b->set_arena_allocator(&b->arena_allocator);
    b->bound = true;
    return true;
}

bool ab_ref_cpython_available(char *why, size_t whylen)
{
    if (bind_libpython()) {
        if (whylen)
            why[0] = 0;
        return true;
    }
    snprintf(why, whylen, "%s", binding.error);
    return false;
}

int ab_cpy_capture_mallocstats(ab_cpy_mallocstats *out, char **text, char *err, size_t errlen)
{
    if (text)
        *text = NULL;
    if (!bind_libpython()) {
        snprintf(err, errlen, "cpython unavailable: %s", binding.error);
        return -1;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "open_memstream failed");
        return -1;
    }
    int printed = binding.debug_malloc_stats(f);
    fclose(f);
    int rc = -1;
    if (!printed)
        snprintf(err, errlen, "_PyObject_DebugMallocStats printed nothing (pymalloc not in use?)");
    else
        rc = ab_cpy_parse_mallocstats(buf, out, err, errlen);
    if (text && rc == 0)
        *text = buf;
    else
        free(buf);
    return rc;
}

/* One instance.  The entry points are copied in from `binding` so a call
 * costs one load and an indirect tail jump on top of PyObject_Malloc itself
 * (the microbench compares this path with the model's): the reference must
 * not look slower than libpython is. */
typedef struct cpython_ref {
    void *(*malloc)(size_t);
    void (*free)(void *);
    int64_t system_requests;
    cpython_binding *b;
} cpython_ref;

static void *cpy_malloc(void *self, size_t n)
{
    cpython_ref *r = self;
    if (__builtin_expect(ab_ref_is_system_request(n), 0))
        r->system_requests++;
    return r->malloc(n);
}

static void *cpy_calloc(void *self, size_t nelem, size_t elsize)
{
    cpython_ref *r = self;
    size_t n;
    if (!__builtin_mul_overflow(nelem, elsize, &n) && ab_ref_is_system_request(n))
        r->system_requests++;
    return r->b->calloc(nelem, elsize);
}

static void *cpy_realloc(void *self, void *p, size_t n)
{
    cpython_ref *r = self;
    if (ab_ref_is_system_request(n))
        r->system_requests++;
    return r->b->realloc(p, n);
}

static void cpy_free(void *self, void *p)
{
    cpython_ref *r = self;
    r->free(p);
}

static void cpy_stats(void *self, ab_alloc_stats *out)
{
    cpython_ref *r = self;
    ab_alloc_stats_init_unknown(out);
    ab_cpy_mallocstats m;
    char err[256];
    if (ab_cpy_capture_mallocstats(&m, NULL, err, sizeof err) == 0)
        ab_cpy_mallocstats_apply(&m, out);
    out->system_allocs = r->system_requests;
    out->mmap_calls = r->b->mmap_calls;
    out->munmap_calls = r->b->munmap_calls;
    /* CPython 3.11 never tries MAP_HUGETLB (that arrived in 3.15, opt-in):
     * these are known zeros, not unknowns. */
    out->hugetlb_fallbacks = 0;
    out->hugetlb_skipped = 0;
    out->arena_bytes_mapped = r->b->bytes_mapped;
    /* 3.11 never advises MADV_HUGEPAGE, but THP=always would still back
     * arenas with huge pages: measure, do not assume. */
    int64_t huge = ab_hugecover_bytes(r->b->ranges, r->b->nranges);
    out->hugepage_bytes = huge >= 0 ? huge : AB_STAT_UNKNOWN;
}

static void cpy_set_arena_hook(void *self, ab_arena_event_fn fn, void *arg)
{
    cpython_ref *r = self;
    r->b->hook = fn;
    r->b->hook_arg = arg;
}

static void cpy_destroy(void *self)
{
    cpython_ref *r = self;
    /* The hook's argument may die with the caller's sample. */
    r->b->hook = NULL;
    r->b->hook_arg = NULL;
    free(r);
}

int ab_ref_cpython_open(ab_allocator *out, char *err, size_t errlen)
{
    if (!bind_libpython()) {
        snprintf(err, errlen, "cpython unavailable: %s", binding.error);
        return -1;
    }
    cpython_ref *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "cpython: out of memory");
        return -1;
    }
    r->b = &binding;
    r->malloc = binding.malloc;
    r->free = binding.free;
    *out = (ab_allocator){
        .name = "cpython",
        .self = r,
        .malloc = cpy_malloc,
        .calloc = cpy_calloc,
        .realloc = cpy_realloc,
        .free = cpy_free,
        .stats = cpy_stats,
        .set_arena_hook = cpy_set_arena_hook,
        .destroy = cpy_destroy,
    };
    return 0;
}
