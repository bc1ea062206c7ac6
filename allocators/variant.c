/*
 * variant.c -- the catalogue of allocator variants, spec parsing and opening.
 *
 * Spec grammar (see variant.h):
 *   PRESET | "pymalloc" [":" KEY "=" VALUE ("," KEY "=" VALUE)*] | REFERENCE
 * Keys: pages (4k, hugetlb, thp, thp-unaligned), arena (256K, 1M, 2M), pool
 * (4K, 16K), reclaim (never, mostfull, cpython).  Size suffixes are case-
 * insensitive.  Omitted keys take the 4k preset's value; a key given twice,
 * an unknown key or value, or an invalid combination is rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "allocators/variant.h"
#include "allocators/reference.h"
#include "allocators/pymalloc.h"
#include "allocators/pages.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

typedef struct preset {
    const char *name;
    const char *description;
    ab_pymalloc_config cfg;
} preset;

static const preset presets[] = {
    {"4k", "pymalloc as in CPython 3.10-3.14: 1 MiB arenas, 16 KiB pools, 4 KiB pages, keep one empty arena",
     {AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON}},
    {"hugetlb", "CPython 3.15 --with-pymalloc-hugepages + PYTHON_PYMALLOC_HUGEPAGES=1: 2 MiB MAP_HUGETLB arenas, plain mmap fallback",
     {AB_PAGES_HUGETLB, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON}},
    {"thp", "2 MiB arenas mapped 2 MiB-aligned with MADV_HUGEPAGE before first touch",
     {AB_PAGES_THP, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON}},
    {"thp-1m", "CPython main since gh-144353: 1 MiB arenas, plain mmap + MADV_HUGEPAGE",
     {AB_PAGES_THP_UNALIGNED, 1 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON}},
    {"noreclaim", "4k geometry, arenas never returned to the OS (Python <= 2.4)",
     {AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_NEVER}},
    {"mostfull", "4k geometry, unmap an arena the moment it empties (Python 2.5, Evan Jones)",
     {AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_MOSTFULL}},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

/* Presets, then the reference allocators, then {NULL, NULL}. */
#define CATALOGUE_MAX 32

const ab_variant_info *ab_variant_catalogue(void)
{
    /* Built once: the reference catalogue is itself a static table, so the
     * combined list never changes during the process. */
    static ab_variant_info all[CATALOGUE_MAX + 1];
    static bool built;
    if (!built) {
        size_t n = 0;
        for (size_t i = 0; i < NPRESETS && n < CATALOGUE_MAX; i++)
            all[n++] = (ab_variant_info){presets[i].name, presets[i].description};
        for (const ab_variant_info *r = ab_ref_catalogue(); r->name && n < CATALOGUE_MAX; r++)
            all[n++] = *r;
        all[n] = (ab_variant_info){NULL, NULL};
        built = true;
    }
    return all;
}

/* ---- value tables --------------------------------------------------------- */

typedef struct named_value {
    const char *name;
    int value;
} named_value;

static const named_value pages_names[] = {
    {"4k", AB_PAGES_4K}, {"hugetlb", AB_PAGES_HUGETLB},
    {"thp", AB_PAGES_THP}, {"thp-unaligned", AB_PAGES_THP_UNALIGNED}, {NULL, 0},
};
static const named_value reclaim_names[] = {
    {"never", AB_RECLAIM_NEVER}, {"mostfull", AB_RECLAIM_MOSTFULL},
    {"cpython", AB_RECLAIM_CPYTHON}, {NULL, 0},
};
/* Sizes in KiB, with their canonical spellings. */
static const named_value arena_names[] = {{"256K", 256}, {"1M", 1024}, {"2M", 2048}, {NULL, 0}};
static const named_value pool_names[] = {{"4K", 4}, {"16K", 16}, {NULL, 0}};

static int lookup(const named_value *t, const char *s, size_t len, bool nocase)
{
    for (; t->name; t++) {
        if (strlen(t->name) != len) continue;
        if (nocase ? !strncasecmp(t->name, s, len) : !strncmp(t->name, s, len)) return t->value;
    }
    return -1;
}

static const char *name_of(const named_value *t, int value)
{
    for (; t->name; t++)
        if (t->value == value) return t->name;
    return "?";
}

static void list_names(const named_value *t, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (; t->name && used < len; t++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", t->name);
}

void ab_pymalloc_config_format(const ab_pymalloc_config *cfg, char *buf, size_t len)
{
    snprintf(buf, len, "pymalloc:pages=%s,arena=%s,pool=%s,reclaim=%s",
             name_of(pages_names, cfg->pages), name_of(arena_names, (int)(cfg->arena_size / KIB)),
             name_of(pool_names, (int)(cfg->pool_size / KIB)), name_of(reclaim_names, cfg->reclaim));
}

/*
 * Invalid combinations.  Only one: pages=thp with an arena smaller than a
 * huge page.  The thp backend aligns each arena to the THP size (2 MiB on
 * x86-64) and trims the rest, so a 256 KiB or 1 MiB arena is its own VMA,
 * smaller than any huge page, and can never be huge-backed: the variant would
 * measure the cost of the alignment with none of the benefit.  Sub-2 MiB
 * arenas with THP are what pages=thp-unaligned models (CPython main).
 * pages=hugetlb with small arenas is valid: CPython skips MAP_HUGETLB when
 * the huge page size does not divide the arena, and the model does the same
 * (counted in hugetlb_skipped).
 */
static int check_combination(const ab_pymalloc_config *cfg, char *err, size_t errlen)
{
    if (cfg->pages == AB_PAGES_THP && cfg->arena_size < 2 * MIB) {
        snprintf(err, errlen,
                 "pages=thp needs arena=2M: a huge-page-aligned arena smaller than a huge page is never "
                 "huge-backed (use pages=thp-unaligned for smaller arenas)");
        return -1;
    }
    return 0;
}

static int parse_pymalloc_spec(const char *spec, const char *kv, ab_pymalloc_config *cfg,
                               char *err, size_t errlen)
{
    *cfg = presets[0].cfg;
    enum { K_PAGES, K_ARENA, K_POOL, K_RECLAIM, NKEYS };
    static const char *const keys[NKEYS] = {"pages", "arena", "pool", "reclaim"};
    static const named_value *const tables[NKEYS] = {pages_names, arena_names, pool_names, reclaim_names};
    bool seen[NKEYS] = {false};
    const char *p = kv;
    while (*p) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq || eq == p) {
            snprintf(err, errlen, "'%s': expected key=value, got '%.*s'", spec, (int)(end - p), p);
            return -1;
        }
        size_t klen = (size_t)(eq - p), vlen = (size_t)(end - eq - 1);
        int k = 0;
        while (k < NKEYS && !(strlen(keys[k]) == klen && !strncmp(keys[k], p, klen))) k++;
        if (k == NKEYS) {
            snprintf(err, errlen, "'%s': unknown key '%.*s' (keys: pages, arena, pool, reclaim)", spec,
                     (int)klen, p);
            return -1;
        }
        if (seen[k]) {
            snprintf(err, errlen, "'%s': key '%s' given twice", spec, keys[k]);
            return -1;
        }
        seen[k] = true;
        /* Sizes read K/M either case; page and policy names are exact. */
        int v = lookup(tables[k], eq + 1, vlen, k == K_ARENA || k == K_POOL);
        if (v < 0) {
            char choices[96];
            list_names(tables[k], choices, sizeof choices);
            snprintf(err, errlen, "'%s': bad value '%.*s' for %s (one of: %s)", spec, (int)vlen, eq + 1,
                     keys[k], choices);
            return -1;
        }
        switch (k) {
        case K_PAGES: cfg->pages = (ab_pages_kind)v; break;
        case K_ARENA: cfg->arena_size = (size_t)v * KIB; break;
        case K_POOL: cfg->pool_size = (size_t)v * KIB; break;
        default: cfg->reclaim = (ab_reclaim_policy)v; break;
        }
        if (!comma) break;
        p = comma + 1;
        if (!*p) {
            snprintf(err, errlen, "'%s': trailing comma", spec);
            return -1;
        }
    }
    if (check_combination(cfg, err, errlen) < 0) return -1;
    return 0;
}

int ab_variant_parse(const char *spec, ab_variant *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec) {
        snprintf(err, errlen, "empty variant name");
        return -1;
    }
    if (strlen(spec) >= sizeof out->name) {
        snprintf(err, errlen, "variant spec too long (max %d characters)", AB_VARIANT_NAME_MAX - 1);
        return -1;
    }
    snprintf(out->name, sizeof out->name, "%s", spec);
    for (size_t i = 0; i < NPRESETS; i++) {
        if (!strcmp(spec, presets[i].name)) {
            out->kind = AB_VARIANT_PYMALLOC;
            out->cfg = presets[i].cfg;
            return 0;
        }
    }
    if (!strcmp(spec, "pymalloc") || !strncmp(spec, "pymalloc:", 9)) {
        out->kind = AB_VARIANT_PYMALLOC;
        return parse_pymalloc_spec(spec, spec[8] ? spec + 9 : "", &out->cfg, err, errlen);
    }
    if (ab_ref_known(spec)) {
        if (strlen(spec) >= sizeof out->ref) {
            snprintf(err, errlen, "reference allocator name '%s' too long", spec);
            return -1;
        }
        out->kind = AB_VARIANT_REFERENCE;
        snprintf(out->ref, sizeof out->ref, "%s", spec);
        return 0;
    }
    size_t used = (size_t)snprintf(err, errlen, "unknown variant '%s' (known:", spec);
    for (const ab_variant_info *v = ab_variant_catalogue(); v->name && used < errlen; v++)
        used += (size_t)snprintf(err + used, errlen - used, " %s", v->name);
    if (used < errlen) snprintf(err + used, errlen - used, "; or pymalloc:pages=..,arena=..,pool=..,reclaim=..)");
    return -1;
}

bool ab_variant_available(const ab_variant *v, char *why, size_t whylen)
{
    if (whylen) why[0] = 0;
    if (v->kind == AB_VARIANT_REFERENCE) return ab_ref_available(v->ref, why, whylen);
    /* Every model variant runs anywhere mmap works; the notes say when it
     * will not get the huge pages it asks for (it still runs, falling back,
     * and its hugepage_bytes statistic shows what it got). */
    if (v->cfg.pages == AB_PAGES_HUGETLB) {
        size_t hp = ab_pages_hugetlb_size();
        long nfree = ab_pages_hugetlb_free();
        if (hp == 0)
            snprintf(why, whylen, "note: no hugetlb support (no Hugepagesize); every arena uses 4 KiB pages");
        else if (v->cfg.arena_size % hp != 0)
            snprintf(why, whylen, "note: huge page size %zu KiB does not divide the %zu KiB arena; MAP_HUGETLB is skipped",
                     hp / KIB, v->cfg.arena_size / KIB);
        else if (nfree <= 0)
            snprintf(why, whylen, "note: the huge page pool is empty (vm.nr_hugepages); every arena falls back to 4 KiB pages");
    } else if (v->cfg.pages == AB_PAGES_THP || v->cfg.pages == AB_PAGES_THP_UNALIGNED) {
        char mode[32];
        ab_pages_thp_mode(mode, sizeof mode);
        if (strcmp(mode, "always") && strcmp(mode, "madvise"))
            snprintf(why, whylen, "note: transparent huge pages are '%s'; arenas get 4 KiB pages", mode);
    }
    return true;
}

int ab_variant_open(const ab_variant *v, ab_allocator *out, char *err, size_t errlen)
{
    if (v->kind == AB_VARIANT_REFERENCE) return ab_ref_open(v->ref, out, err, errlen);
    ab_pymalloc *pm = ab_pymalloc_new(&v->cfg, err, errlen);
    if (!pm) return -1;
    /* Presets keep their short name; explicit specs get the canonical text. */
    char name[AB_VARIANT_NAME_MAX];
    if (strncmp(v->name, "pymalloc", 8) != 0 && v->name[0]) snprintf(name, sizeof name, "%s", v->name);
    else ab_pymalloc_config_format(&v->cfg, name, sizeof name);
    ab_pymalloc_as_allocator(pm, name, out);
    return 0;
}

void ab_variant_canonical(const ab_variant *v, char *buf, size_t len)
{
    if (v->kind == AB_VARIANT_PYMALLOC)
        ab_pymalloc_config_format(&v->cfg, buf, len);
    else
        snprintf(buf, len, "%s", v->ref[0] ? v->ref : v->name);
}

void ab_variant_list_free(char **specs)
{
    if (!specs) return;
    for (char **s = specs; *s; s++) free(*s);
    free(specs);
}

static bool is_spec_continuation(const char *tok, size_t len)
{
    return memchr(tok, '=', len) && !memchr(tok, ':', len);
}

int ab_variant_split_list(const char *list, char ***specs, char *err, size_t errlen)
{
    *specs = NULL;
    size_t n = 0, cap = 0;
    char **out = NULL;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        bool continues = n > 0 && !strncmp(out[n - 1], "pymalloc:", 9) && is_spec_continuation(p, len);
        if (len == 0) {
            snprintf(err, errlen, "empty variant name in '%s'", list);
            goto fail;
        }
        if (continues) {
            size_t old = strlen(out[n - 1]);
            char *grown = realloc(out[n - 1], old + 1 + len + 1);
            if (!grown) goto oom;
            grown[old] = ',';
            memcpy(grown + old + 1, p, len);
            grown[old + 1 + len] = 0;
            out[n - 1] = grown;
        } else {
            if (n + 2 > cap) {
                cap = cap ? 2 * cap : 8;
                char **bigger = realloc(out, cap * sizeof *out);
                if (!bigger) goto oom;
                out = bigger;
            }
            out[n] = strndup(p, len);
            if (!out[n]) goto oom;
            out[++n] = NULL;
        }
        if (!comma) break;
        p = comma + 1;
    }
    *specs = out;
    return (int)n;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    if (out) {
        out[n] = NULL;
        ab_variant_list_free(out);
    }
    return -1;
}
