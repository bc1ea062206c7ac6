/*
 * workload.h -- the contract between a workload and the runner.
 *
 * A workload is a C program that makes, through ctx->alloc, the allocation
 * calls CPython makes when it runs the Python original: same sizes, same
 * order, same frees, same memory touches.  It runs inside a freshly forked
 * child; the runner enables counters only between ctx->phase_begin() and
 * ctx->phase_end(), which the workload calls around its measured phase
 * (where the Python original has no setup/measure split, around all of it).
 *
 * Determinism: every random choice comes from ab_rng seeded with ctx->seed,
 * so every allocator sees the identical call sequence and the checksum a
 * workload returns must be identical across allocators (the harness checks).
 */
#ifndef AB_WORKLOAD_H
#define AB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "allocators/allocator.h"

typedef struct ab_wl_ctx {
    const ab_allocator *alloc;
    double scale;          /* 1.0 = the seed's sizes */
    uint64_t seed;
    const char *param;     /* text after ':' in "name:param", or NULL */

    /* Measured-phase brackets, provided by the runner (may be no-ops). */
    void (*phase_begin)(void *hook);
    void (*phase_end)(void *hook);
    void *hook;

    /* Filled by the workload (through the ab_wl_* helpers below). */
    uint64_t n_malloc, n_calloc, n_realloc, n_free;
    uint64_t checksum;

    /* Error text when run() returns non-zero. */
    char error[256];
} ab_wl_ctx;

typedef struct ab_workload {
    const char *name;
    const char *description;   /* one line for `arenabench list` */
    bool in_default_matrix;
    /* The Python original's file/function, for `arenabench validate`
     * (NULL where there is none). */
    const char *python_source;
    int (*run)(ab_wl_ctx *ctx);   /* 0 on success */
    /* The workload's parameters, checked in the driver before anything runs:
     * NULL means the workload takes none ("name:x" is refused); otherwise 0
     * if param (the text after ':', NULL without one) is acceptable, or -1
     * with err saying what is accepted. */
    int (*check_param)(const char *param, char *err, size_t errlen);
} ab_workload;

/* All workloads, terminated by a NULL entry. */
const ab_workload *const *ab_workload_catalogue(void);
/* Look up by name ("name" or "name:param"); NULL if unknown. */
const ab_workload *ab_workload_find(const char *spec);
/* The spec's parameter checked by w (found for that spec): 0, or -1 with err. */
int ab_workload_check_spec(const ab_workload *w, const char *spec, char *err, size_t errlen);

/* Scaled count, never below 1. */
static inline uint64_t ab_wl_scaled(const ab_wl_ctx *c, uint64_t n)
{
    double v = (double)n * c->scale;
    return v < 1.0 ? 1 : (uint64_t)(v + 0.5);
}

static inline void *ab_wl_malloc(ab_wl_ctx *c, size_t n)
{
    c->n_malloc++;
    return c->alloc->malloc(c->alloc->self, n);
}
static inline void *ab_wl_calloc(ab_wl_ctx *c, size_t nelem, size_t elsize)
{
    c->n_calloc++;
    return c->alloc->calloc(c->alloc->self, nelem, elsize);
}
static inline void *ab_wl_realloc(ab_wl_ctx *c, void *p, size_t n)
{
    c->n_realloc++;
    return c->alloc->realloc(c->alloc->self, p, n);
}
static inline void ab_wl_free(ab_wl_ctx *c, void *p)
{
    if (p) c->n_free++;
    c->alloc->free(c->alloc->self, p);
}
static inline void ab_wl_begin(ab_wl_ctx *c) { if (c->phase_begin) c->phase_begin(c->hook); }
static inline void ab_wl_end(ab_wl_ctx *c) { if (c->phase_end) c->phase_end(c->hook); }

/* Mix a value into the running checksum (order-sensitive, allocator-independent). */
static inline void ab_wl_mix(ab_wl_ctx *c, uint64_t v)
{
    uint64_t h = c->checksum ^ (v + 0x9e3779b97f4a7c15ULL + (c->checksum << 6) + (c->checksum >> 2));
    c->checksum = h * 0xff51afd7ed558ccdULL;
}

#endif
