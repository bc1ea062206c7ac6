/*
 * variant.h -- naming, parsing and opening allocator variants.
 *
 * A variant spec is one of
 *   - a preset name: 4k, hugetlb, thp, thp-1m, noreclaim, mostfull;
 *   - an explicit pymalloc model: "pymalloc:pages=P,arena=A,pool=S,reclaim=R"
 *     with P in {4k, hugetlb, thp, thp-unaligned}, A in {256K, 1M, 2M},
 *     S in {4K, 16K}, R in {never, mostfull, cpython}; omitted keys take the
 *     4k preset's value;
 *   - a reference allocator: glibc, jemalloc, mimalloc, tcmalloc, cpython.
 *
 * Parsing happens in the parent (so a bad spec fails before any sample runs);
 * opening happens in the forked child (so every sample starts fresh).
 */
#ifndef AB_VARIANT_H
#define AB_VARIANT_H

#include <stdbool.h>
#include <stddef.h>
#include "allocators/allocator.h"

typedef enum {
    AB_PAGES_4K,            /* plain anonymous mmap */
    AB_PAGES_HUGETLB,       /* MAP_HUGETLB, falls back to plain mmap */
    AB_PAGES_THP,           /* huge-page-aligned mapping + MADV_HUGEPAGE before first touch */
    AB_PAGES_THP_UNALIGNED, /* plain mmap + MADV_HUGEPAGE (CPython main since gh-144353) */
} ab_pages_kind;

typedef enum {
    AB_RECLAIM_NEVER,       /* Python <= 2.4: arenas are never returned */
    AB_RECLAIM_MOSTFULL,    /* Python 2.5 (Evan Jones): unmap an arena the moment it empties */
    AB_RECLAIM_CPYTHON,     /* 3.9+ (bpo-37257): like mostfull but keep one empty arena */
} ab_reclaim_policy;

typedef struct ab_pymalloc_config {
    ab_pages_kind pages;
    size_t arena_size;      /* 256 KiB, 1 MiB or 2 MiB */
    size_t pool_size;       /* 4 KiB or 16 KiB */
    ab_reclaim_policy reclaim;
} ab_pymalloc_config;

typedef enum {
    AB_VARIANT_PYMALLOC,    /* the model in allocators/pymalloc*.c */
    AB_VARIANT_REFERENCE,   /* glibc, jemalloc, mimalloc, tcmalloc, cpython */
} ab_variant_kind;

#define AB_VARIANT_NAME_MAX 128

typedef struct ab_variant {
    char name[AB_VARIANT_NAME_MAX];   /* as the user wrote it (preset or spec) */
    ab_variant_kind kind;
    ab_pymalloc_config cfg;           /* kind == AB_VARIANT_PYMALLOC */
    char ref[32];                     /* kind == AB_VARIANT_REFERENCE */
} ab_variant;

typedef struct ab_variant_info {
    const char *name;
    const char *description;   /* one line, shown by `arenabench list` */
} ab_variant_info;

/* Presets first, then reference allocators; terminated by {NULL, NULL}. */
const ab_variant_info *ab_variant_catalogue(void);

/* 0 on success; otherwise -1 with a human-readable reason in err. */
int ab_variant_parse(const char *spec, ab_variant *out, char *err, size_t errlen);

/* Canonical "pymalloc:pages=..,arena=..,pool=..,reclaim=.." text of a config. */
void ab_pymalloc_config_format(const ab_pymalloc_config *cfg, char *buf, size_t len);

/* The canonical name of a parsed variant: the full pymalloc spec of its
 * configuration (so "4k" and "pymalloc:pages=4k" name one thing), or the
 * reference allocator's name.  The only place names are canonicalised. */
void ab_variant_canonical(const ab_variant *v, char *buf, size_t len);

/*
 * Split a comma-separated --variants list into specs.  A pymalloc spec
 * contains commas itself ("pymalloc:pages=thp,arena=2M"), so a key=value
 * token without ':' continues the pymalloc spec before it.  Empty items are
 * an error.  On success *specs is a malloc'ed, NULL-terminated array (free
 * with ab_variant_list_free) and the count is returned; -1 with err set.
 */
int ab_variant_split_list(const char *list, char ***specs, char *err, size_t errlen);
void ab_variant_list_free(char **specs);

/* Whether the variant can run on this machine; if not, why (e.g. library missing). */
bool ab_variant_available(const ab_variant *v, char *why, size_t whylen);

/* Build a live allocator for the variant.  0 on success, -1 with err. */
int ab_variant_open(const ab_variant *v, ab_allocator *out, char *err, size_t errlen);

#endif
