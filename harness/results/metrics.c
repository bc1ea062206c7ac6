/*
 * metrics.c -- the metrics registry's table (see metrics.h for how to add a
 * row) and the lookups every reader and writer goes through.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/results/metrics.h"
#include "harness/results/sample.h"

#define NS_PER_MS 1e6
#define KIB_PER_MIB 1024.0
#define BYTES_PER_MIB (1024.0 * 1024.0)

/* hugepage_coverage moves a little when THP cannot find a free 2 MiB frame;
 * two percent of the base coverage absorbs that, losing the huge pages
 * (coverage -> 0) does not hide in it. */
#define COVERAGE_TOLERANCE 0.02

/* Event counts of a few events move by one or two between machines for
 * reasons that are not the change: dict_churn has 9 page faults in the
 * committed CI baseline and a fresh machine measured 8 (issue 11), so 10
 * (+11%) would fail a 10% gate on nothing.  A change of a counter's mean
 * must exceed this many events as well as the percentage threshold. */
#define COUNT_FLOOR_EVENTS 2.0

/* The CI gate's own thresholds (ci-gate.metrics explains each). */
#define CI_PAGE_FAULTS_PCT 10.0  /* page faults move a little with the kernel */
#define CI_MEM_PEAK_PCT 10.0
#define CI_MEM_END_PCT 15.0      /* ~5 MiB at the gate's scale: 0.5 MiB of heap slack is 10% */
#define CI_DEFAULT (-1.0)

/* Every metric is a count, a size or a time the harness holds in an int64. */
#define VALUE_MAX 9.223372036854775807e18

static bool derive_hugepage_coverage(const json_t *sample, double *out)
{
    double huge, mapped;
    if (!ab_sample_value_id(sample, AB_M_HUGEPAGE_BYTES, &huge) ||
        !ab_sample_value_id(sample, AB_M_ARENA_BYTES_MAPPED, &mapped))
        return false;
    /* Nothing mapped means nothing to cover: report 0, which is also what a
     * regression to "no huge pages" looks like. */
    *out = mapped > 0 ? huge / mapped : 0.0;
    return true;
}

/* Row builders: the columns every row of a kind shares. */
#define TIME(key, ttl, f, lst) {TIME_COLUMNS(key, ttl, f, lst)}
#define TIME_COLUMNS(key, ttl, f, lst)                                                               \
    .name = key, .kind = AB_METRIC_VALUE, .title = ttl, .unit = "ms", .display_scale = 1 / NS_PER_MS, \
     .lists = (lst), .ci_gate_pct = CI_DEFAULT, .required = true, .field = offsetof(ab_sample, f),    \
     .fallback = AB_METRIC_COUNT
#define KIB(key, ttl, f, req, fb, lst, ci)                                                           \
    {.name = key, .kind = AB_METRIC_VALUE, .title = ttl, .unit = "MiB", .display_scale = 1 / KIB_PER_MIB, \
     .lists = (lst), .ci_gate_pct = (ci), .required = (req), .field = offsetof(ab_sample, f),          \
     .fallback = (fb)}
/* The allocator model's own statistics: exact, so deterministic. */
#define ALLOC(key, ttl, f, unt, scale, lst, ci)                                                      \
    {.name = "alloc." key, .kind = AB_METRIC_VALUE, .title = ttl, .unit = unt, .display_scale = scale, \
     .deterministic = true, .lists = (lst), .ci_gate_pct = (ci), .field = offsetof(ab_sample, alloc.f), \
     .fallback = AB_METRIC_COUNT}
#define ACOUNT(key, f) ALLOC(key, NULL, f, "", 1, 0, CI_DEFAULT)
#define ABYTES(key, f) ALLOC(key, NULL, f, "MiB", 1 / BYTES_PER_MIB, 0, CI_DEFAULT)
#define OPS(key, f)                                                                                  \
    {.name = "ops." key, .kind = AB_METRIC_VALUE, .unit = "", .display_scale = 1, .deterministic = true, \
     .ci_gate_pct = CI_DEFAULT, .field = offsetof(ab_sample, ops.f), .fallback = AB_METRIC_COUNT}

/* Simulated TLB figures: exact (the same accesses give the same counts), so
 * deterministic with no tolerance; a plot per default-listed one. */
#define SIM(key, f, lst) SIMT(key, "simulated " key, f, lst)
#define SIMT(key, ttl, f, lst)                                                                       \
    {.name = "sim." key, .kind = AB_METRIC_VALUE, .title = ttl ", by the TLB model, not a hardware counter", \
     .unit = "", .display_scale = 1, .deterministic = true, .lists = (lst), .ci_gate_pct = CI_DEFAULT, \
     .field = offsetof(ab_sample, sim.f), .fallback = AB_METRIC_COUNT, .plot_stem = "sim-" key, .simulated = true}

enum {
    L_SUM = AB_LIST_SUMMARY,
    L_TAB = AB_LIST_TABLE,
    L_CMP = AB_LIST_COMPARE,
    L_PLOT = AB_LIST_PLOT,
    L_CI = AB_LIST_CI_GATE,
};

static const ab_metric metrics[AB_METRIC_COUNT] = {
    [AB_M_WALL_NS] = {TIME_COLUMNS("wall_ns", "wall time", wall_ns, L_SUM | L_TAB | L_CMP | L_PLOT),
                      .plot_stem = "wall-change"},
    [AB_M_USER_NS] = TIME("user_ns", "user CPU time", user_ns, L_SUM),
    [AB_M_SYS_NS] = TIME("sys_ns", "system CPU time", sys_ns, L_SUM),
    [AB_M_RSS_PEAK_KB] = KIB("rss_peak_kb", "peak RSS", rss_peak_kb, true, AB_METRIC_COUNT, L_SUM | L_CMP, CI_DEFAULT),
    [AB_M_RSS_END_KB] = KIB("rss_end_kb", "RSS at the end", rss_end_kb, true, AB_METRIC_COUNT, L_SUM | L_CMP, CI_DEFAULT),
    [AB_M_HUGETLB_KB_PEAK] = KIB("hugetlb_kb_peak", "peak hugetlb pages", hugetlb_kb_peak, false, AB_METRIC_COUNT,
                                 L_SUM, CI_DEFAULT),
    [AB_M_HUGETLB_KB_END] = KIB("hugetlb_kb_end", "end hugetlb pages", hugetlb_kb_end, false, AB_METRIC_COUNT,
                                L_SUM, CI_DEFAULT),
    /* RSS omits MAP_HUGETLB pages, so the memory a report shows and the gate
     * judges is RSS + hugetlb.  Files written before these keys have only
     * RSS, which is complete for every variant but pages=hugetlb. */
    [AB_M_MEM_PEAK_KB] = KIB("mem_peak_kb", "peak memory (RSS + hugetlb)", mem_peak_kb, false, AB_M_RSS_PEAK_KB,
                             L_SUM | L_TAB | L_CMP | L_CI, CI_MEM_PEAK_PCT),
    [AB_M_MEM_END_KB] = KIB("mem_end_kb", "end memory (RSS + hugetlb)", mem_end_kb, false, AB_M_RSS_END_KB,
                            L_SUM | L_TAB | L_CMP | L_CI, CI_MEM_END_PCT),
    [AB_M_COUNTERS] = {.name = "counters", .kind = AB_METRIC_FAMILY, .title = "event count", .unit = "",
                       .display_scale = 1, .lists = L_SUM | L_TAB | L_CMP | L_PLOT | L_CI,
                       .ci_gate_pct = CI_PAGE_FAULTS_PCT, .abs_floor = COUNT_FLOOR_EVENTS, .required = true,
                       .field = AB_NO_FIELD,
                       .fallback = AB_METRIC_COUNT, .plot_stem = "counter-", .member_hint = "EVENT"},
    [AB_M_ARENAS_HIGHWATER] = ALLOC("arenas_highwater", "arenas highwater", arenas_highwater, "", 1,
                                    L_TAB | L_CMP | L_CI, CI_DEFAULT),
    [AB_M_ARENAS_CURRENT] = ALLOC("arenas_current", "arenas at the end", arenas_current, "", 1,
                                  L_TAB | L_CMP | L_CI, CI_DEFAULT),
    [AB_M_HUGEPAGE_COVERAGE] = {.name = "hugepage_coverage", .kind = AB_METRIC_DERIVED,
                                .title = "huge-page coverage (alloc.hugepage_bytes / alloc.arena_bytes_mapped)",
                                .unit = "%", .display_scale = 100, .better = AB_HIGHER_IS_BETTER,
                                .deterministic = true, .tolerance = COVERAGE_TOLERANCE,
                                .lists = L_TAB | L_CMP | L_CI, .ci_gate_pct = CI_DEFAULT, .field = AB_NO_FIELD,
                                .fallback = AB_METRIC_COUNT, .derive = derive_hugepage_coverage},
    [AB_M_HUGETLB_FALLBACKS] = ALLOC("hugetlb_fallbacks", NULL, hugetlb_fallbacks, "", 1, L_CMP, CI_DEFAULT),
    [AB_M_ARENAS_ALLOCATED_TOTAL] = ALLOC("arenas_allocated_total", NULL, arenas_allocated_total, "", 1, L_CI,
                                          CI_DEFAULT),
    [AB_M_ARENAS_RECLAIMED] = ACOUNT("arenas_reclaimed", arenas_reclaimed),
    [AB_M_ARENA_SIZE] = ABYTES("arena_size", arena_size),
    [AB_M_POOL_SIZE] = ABYTES("pool_size", pool_size),
    [AB_M_POOLS_IN_USE] = ACOUNT("pools_in_use", pools_in_use),
    [AB_M_BLOCKS_IN_USE] = ACOUNT("blocks_in_use", blocks_in_use),
    [AB_M_BYTES_IN_BLOCKS] = ABYTES("bytes_in_blocks", bytes_in_blocks),
    [AB_M_BYTES_LOST_POOL_HEADERS] = ABYTES("bytes_lost_pool_headers", bytes_lost_pool_headers),
    [AB_M_BYTES_LOST_QUANTIZATION] = ABYTES("bytes_lost_quantization", bytes_lost_quantization),
    [AB_M_BYTES_LOST_ALIGNMENT] = ABYTES("bytes_lost_alignment", bytes_lost_alignment),
    [AB_M_SYSTEM_ALLOCS] = ACOUNT("system_allocs", system_allocs),
    [AB_M_MMAP_CALLS] = ACOUNT("mmap_calls", mmap_calls),
    [AB_M_MUNMAP_CALLS] = ACOUNT("munmap_calls", munmap_calls),
    [AB_M_HUGETLB_SKIPPED] = ACOUNT("hugetlb_skipped", hugetlb_skipped),
    [AB_M_ARENA_BYTES_MAPPED] = ABYTES("arena_bytes_mapped", arena_bytes_mapped),
    [AB_M_HUGEPAGE_BYTES] = ABYTES("hugepage_bytes", hugepage_bytes),
    [AB_M_ALLOC] = {.name = "alloc", .kind = AB_METRIC_FAMILY, .unit = "", .display_scale = 1, .deterministic = true,
                    .lists = L_SUM, .ci_gate_pct = CI_DEFAULT, .required = true, .field = AB_NO_FIELD,
                    .fallback = AB_METRIC_COUNT, .member_hint = "FIELD"},
    [AB_M_OPS_MALLOC] = OPS("malloc", malloc_calls),
    [AB_M_OPS_CALLOC] = OPS("calloc", calloc_calls),
    [AB_M_OPS_REALLOC] = OPS("realloc", realloc_calls),
    [AB_M_OPS_FREE] = OPS("free", free_calls),
    [AB_M_OPS] = {.name = "ops", .kind = AB_METRIC_FAMILY, .unit = "", .display_scale = 1, .deterministic = true,
                  .ci_gate_pct = CI_DEFAULT, .required = true, .field = AB_NO_FIELD, .fallback = AB_METRIC_COUNT,
                  .member_hint = "KIND"},
    /* The workload's result: equal or a correctness failure, never averaged. */
    [AB_M_CHECKSUM] = {.name = "checksum", .kind = AB_METRIC_IDENTITY, .unit = "", .display_scale = 1,
                       .deterministic = true, .lists = L_CMP | L_CI, .ci_gate_pct = CI_DEFAULT, .required = true,
                       .field = AB_NO_FIELD, .fallback = AB_METRIC_COUNT},
    [AB_M_SIM_ACCESSES] = SIM("accesses", accesses, L_SUM),
    [AB_M_SIM_LOADS] = SIM("loads", loads, L_SUM),
    [AB_M_SIM_STORES] = SIM("stores", stores, L_SUM),
    [AB_M_SIM_DTLB_LOAD_MISSES] = SIMT("dtlb_load_misses", "simulated L1 dTLB load misses", dtlb_load_misses, L_SUM | L_TAB | L_CMP | L_PLOT),
    [AB_M_SIM_DTLB_STORE_MISSES] = SIMT("dtlb_store_misses", "simulated L1 dTLB store misses", dtlb_store_misses, L_SUM | L_TAB | L_CMP | L_PLOT),
    [AB_M_SIM_STLB_MISSES] = SIMT("stlb_misses", "simulated page walks (STLB misses)", stlb_misses, L_SUM | L_TAB | L_CMP | L_PLOT),
    [AB_M_SIM_STLB_LOAD_MISSES] = SIMT("stlb_load_misses", "simulated page walks of loads", stlb_load_misses, L_SUM | L_TAB | L_CMP | L_PLOT),
    [AB_M_SIM_STLB_STORE_MISSES] = SIMT("stlb_store_misses", "simulated page walks of stores", stlb_store_misses, L_SUM | L_TAB | L_CMP | L_PLOT),
    [AB_M_SIM_ACCESSES_4K] = SIM("accesses_4k", accesses_4k, L_SUM),
    [AB_M_SIM_ACCESSES_2M] = SIM("accesses_2m", accesses_2m, L_SUM),
    [AB_M_SIM_DTLB_LOAD_MISSES_4K] = SIM("dtlb_load_misses_4k", dtlb_load_misses_4k, L_SUM),
    [AB_M_SIM_DTLB_LOAD_MISSES_2M] = SIM("dtlb_load_misses_2m", dtlb_load_misses_2m, L_SUM),
    [AB_M_SIM_DTLB_STORE_MISSES_4K] = SIM("dtlb_store_misses_4k", dtlb_store_misses_4k, L_SUM),
    [AB_M_SIM_DTLB_STORE_MISSES_2M] = SIM("dtlb_store_misses_2m", dtlb_store_misses_2m, L_SUM),
    [AB_M_SIM_STLB_MISSES_4K] = SIM("stlb_misses_4k", stlb_misses_4k, L_SUM),
    [AB_M_SIM_STLB_MISSES_2M] = SIM("stlb_misses_2m", stlb_misses_2m, L_SUM),
    [AB_M_SIM_REGIONS_4K] = SIM("regions_4k", regions_4k, L_SUM),
    [AB_M_SIM_REGIONS_2M] = SIM("regions_2m", regions_2m, L_SUM),
    [AB_M_SIM_INVALIDATIONS] = SIM("invalidations", invalidations, L_SUM),
    [AB_M_SIM_PAGE_NOT_PRESENT] = SIM("page_not_present", page_not_present, L_SUM),
    [AB_M_SIM_PAGE_SIZE_AMBIGUOUS] = SIM("page_size_ambiguous", page_size_ambiguous, L_SUM),
};

const ab_metric_block ab_metric_blocks[] = {
    {"alloc", offsetof(ab_sample, has_alloc)},
    {"ops", offsetof(ab_sample, has_ops)},
    {"sim", offsetof(ab_sample, has_sim)},
    {NULL, 0},
};

const ab_metric *ab_metric_get(ab_metric_id id)
{
    return id < AB_METRIC_COUNT ? &metrics[id] : NULL;
}

const char *ab_metric_key(ab_metric_id id)
{
    return metrics[id].name;
}

ab_metric_id ab_metric_id_of(const ab_metric *m)
{
    return (ab_metric_id)(m - metrics);
}

const ab_metric *ab_metric_lookup(const char *name, const char **member)
{
    if (member)
        *member = NULL;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++)
        if (metrics[i].kind != AB_METRIC_FAMILY && !strcmp(name, metrics[i].name))
            return &metrics[i];
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        size_t len = strlen(metrics[i].name);
        if (metrics[i].kind == AB_METRIC_FAMILY && !strncmp(name, metrics[i].name, len) && name[len] == '.' &&
            name[len + 1]) {
            if (member)
                *member = name + len + 1;
            return &metrics[i];
        }
    }
    return NULL;
}

const char *ab_metric_display_name(ab_metric_id id, char *buf, size_t len)
{
    const ab_metric *m = &metrics[id];
    if (m->kind == AB_METRIC_FAMILY)
        snprintf(buf, len, "%s.%s", m->name, m->member_hint);
    else
        snprintf(buf, len, "%s", m->name);
    return buf;
}

const char *ab_metric_member_name(ab_metric_id family, const char *member, char *buf, size_t len)
{
    snprintf(buf, len, "%s.%s", metrics[family].name, member);
    return buf;
}

void ab_metric_title(const char *name, char *buf, size_t len)
{
    const ab_metric *m = ab_metric_lookup(name, NULL);
    if (!m || !m->title)
        snprintf(buf, len, "%s", name);
    else if (m->kind == AB_METRIC_FAMILY)
        snprintf(buf, len, "%s (%s)", name, m->title);
    else if (m->kind == AB_METRIC_DERIVED)
        snprintf(buf, len, "%s", m->title); /* its title says what it is made of */
    else
        snprintf(buf, len, "%s (%s)", m->title, name);
}

void ab_metric_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

unsigned ab_metric_simulated_lists(const char *tlb_model_a, const char *tlb_model_b)
{
    return tlb_model_a && tlb_model_b && !strcmp(tlb_model_a, tlb_model_b) ? AB_LIST_WITH_SIMULATED : 0;
}

/* Whether row i is on the requested list (see AB_LIST_WITH_SIMULATED). */
static bool on_list(size_t i, unsigned list)
{
    if (metrics[i].simulated && !(list & AB_LIST_WITH_SIMULATED))
        return false;
    return (metrics[i].lists & list & ~(unsigned)AB_LIST_WITH_SIMULATED) != 0;
}

char **ab_metric_list(unsigned list, const char *const *members, size_t n_members, size_t *n)
{
    size_t cap = 0, count = 0;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++)
        if (on_list(i, list))
            cap += metrics[i].kind == AB_METRIC_FAMILY ? n_members : 1;
    char **names = calloc(cap + 1, sizeof *names);
    *n = 0;
    if (!names)
        return NULL;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        if (!on_list(i, list))
            continue;
        if (metrics[i].kind != AB_METRIC_FAMILY) {
            if (!(names[count++] = strdup(metrics[i].name)))
                goto oom;
            continue;
        }
        for (size_t k = 0; k < n_members; k++) {
            size_t len = strlen(metrics[i].name) + strlen(members[k]) + 2;
            if (!(names[count] = malloc(len)))
                goto oom;
            ab_metric_member_name((ab_metric_id)i, members[k], names[count++], len);
        }
    }
    *n = count;
    return names;
oom:
    ab_metric_names_free(names, count);
    return NULL;
}

/* ---- reading a sample ------------------------------------------------------ */

/* The JSON value at a dotted location "key" or "object.key" (the first dot
 * splits: counter event names may contain dots). */
static const json_t *at_location(const json_t *sample, const char *location)
{
    const char *dot = strchr(location, '.');
    if (!dot)
        return json_object_get(sample, location);
    char object[64];
    if ((size_t)(dot - location) >= sizeof object)
        return NULL;
    memcpy(object, location, (size_t)(dot - location));
    object[dot - location] = 0;
    return json_object_get(json_object_get(sample, object), dot + 1);
}

static bool number_of(const json_t *v, double *out)
{
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

bool ab_sample_value(const json_t *sample, const char *name, double *out)
{
    const ab_metric *m = ab_metric_lookup(name, NULL);
    if (!m)
        return false;
    switch (m->kind) {
    case AB_METRIC_DERIVED:
        return m->derive(sample, out);
    case AB_METRIC_IDENTITY:
        return false;
    case AB_METRIC_FAMILY:
        return number_of(at_location(sample, name), out);
    case AB_METRIC_VALUE:
        break;
    }
    const json_t *v = at_location(sample, m->name);
    /* A key that is present but null stays unknown; only an absent one
     * (a file older than the metric) falls back. */
    if (!v && m->fallback != AB_METRIC_COUNT)
        v = at_location(sample, metrics[m->fallback].name);
    return number_of(v, out);
}

bool ab_sample_value_id(const json_t *sample, ab_metric_id id, double *out)
{
    return ab_sample_value(sample, metrics[id].name, out);
}

/* ---- checking a sample ----------------------------------------------------- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "a number";
    }
}

int ab_value_check(const json_t *v, const char *where, char *err, size_t errlen)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_number(v)) {
        snprintf(err, errlen, "\"%s\" is %s; want a number or null", where, type_name(v));
        return -1;
    }
    double x = json_number_value(v);
    if (!isfinite(x) || x < 0 || x > VALUE_MAX) {
        snprintf(err, errlen, "\"%s\" is %.17g; a count, size or time is a finite number in [0, %.4g]", where,
                 x, VALUE_MAX);
        return -1;
    }
    return 0;
}

/* sample.<object> is absent, null or an object; *obj gets it if an object. */
static int check_object(const json_t *sample, const char *object, bool required, const json_t **obj, char *err,
                        size_t errlen)
{
    const json_t *o = json_object_get(sample, object);
    *obj = json_is_object(o) ? o : NULL;
    if (!o && required) {
        snprintf(err, errlen, "missing required key \"%s\"", object);
        return -1;
    }
    if (o && !json_is_object(o) && !json_is_null(o)) {
        snprintf(err, errlen, "\"%s\" is %s; want an object or null", object, type_name(o));
        return -1;
    }
    return 0;
}

static int check_row(const json_t *sample, const ab_metric *m, char *err, size_t errlen)
{
    const json_t *obj;
    switch (m->kind) {
    case AB_METRIC_DERIVED:
        return 0;
    case AB_METRIC_IDENTITY: {
        const json_t *v = json_object_get(sample, m->name);
        if (!v && m->required) {
            snprintf(err, errlen, "missing required key \"%s\"", m->name);
            return -1;
        }
        if (v && !json_is_string(v) && !json_is_null(v)) {
            snprintf(err, errlen, "\"%s\" is %s; want a string or null", m->name, type_name(v));
            return -1;
        }
        return 0;
    }
    case AB_METRIC_FAMILY: {
        if (check_object(sample, m->name, m->required, &obj, err, errlen))
            return -1;
        const char *key;
        const json_t *v;
        char where[200];
        json_object_foreach((json_t *)obj, key, v) {
            snprintf(where, sizeof where, "%s.%s", m->name, key);
            if (ab_value_check(v, where, err, errlen))
                return -1;
        }
        return 0;
    }
    case AB_METRIC_VALUE:
        break;
    }
    if (strchr(m->name, '.'))
        return ab_value_check(at_location(sample, m->name) ? at_location(sample, m->name) : json_null(), m->name,
                            err, errlen);
    const json_t *v = json_object_get(sample, m->name);
    if (!v && m->required) {
        snprintf(err, errlen, "missing required key \"%s\"", m->name);
        return -1;
    }
    return v ? ab_value_check(v, m->name, err, errlen) : 0;
}

int ab_sample_check(const json_t *sample, char *err, size_t errlen)
{
    for (size_t i = 0; i < AB_METRIC_COUNT; i++)
        if (check_row(sample, &metrics[i], err, errlen))
            return -1;
    return 0;
}
