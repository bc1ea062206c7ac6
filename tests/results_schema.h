/*
 * results_schema.h -- an independent check of a results document against the
 * schema in README.md (required keys and their types), for the tests of
 * `run` and `exec`.  Written from the README, not from results.c, so a
 * drift between the two fails a test.
 */
#ifndef AB_TEST_RESULTS_SCHEMA_H
#define AB_TEST_RESULTS_SCHEMA_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct schema_err {
    char text[512];
} schema_err;

static inline bool schema_fail(schema_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    return false;
}

/* type: 'i' integer, 'n' number, 's' string, 'b' bool, 'o' object, 'a' array;
 * nullable: null also accepted. */
static inline bool schema_is(json_t *v, char type)
{
    switch (type) {
    case 'i': return json_is_integer(v);
    case 'n': return json_is_number(v);
    case 's': return json_is_string(v);
    case 'b': return json_is_boolean(v);
    case 'o': return json_is_object(v);
    case 'a': return json_is_array(v);
    }
    return false;
}

static inline bool schema_key(json_t *obj, const char *where, const char *key, char type, bool nullable,
                              schema_err *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return schema_fail(e, "%s: missing key '%s'", where, key);
    if (nullable && json_is_null(v)) return true;
    if (!schema_is(v, type)) return schema_fail(e, "%s: '%s' has the wrong type (want %c%s)", where, key, type, nullable ? " or null" : "");
    return true;
}

static inline bool schema_in(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (s && !strcmp(s, *set)) return true;
    return false;
}

static const char *const schema_alloc_fields[] = {
    "arenas_allocated_total", "arenas_reclaimed", "arenas_highwater", "arenas_current",
    "arena_size", "pool_size", "pools_in_use", "blocks_in_use", "bytes_in_blocks",
    "bytes_lost_pool_headers", "bytes_lost_quantization", "bytes_lost_alignment",
    "system_allocs", "mmap_calls", "munmap_calls", "hugetlb_fallbacks", "hugetlb_skipped",
    "arena_bytes_mapped", "hugepage_bytes", NULL,
};

static inline bool schema_check_sample(json_t *s, const char *where, bool exec_mode, json_t *events,
                                       schema_err *e)
{
    static const char *const statuses[] = {"ok", "crashed", "timeout", "failed", NULL};
    static const char *const ctr_status[] = {"ok", "multiplexed", "not_supported", "no_permission",
                                             "not_counted", "encoding_failed", "error", NULL};
    static const char *const tl_events[] = {"map", "unmap", "tick", "begin", "end", NULL};
    if (!json_is_object(s)) return schema_fail(e, "%s: not an object", where);
    if (!schema_key(s, where, "rep", 'i', false, e) || !schema_key(s, where, "order", 'i', false, e) ||
        !schema_key(s, where, "status", 's', false, e) || !schema_key(s, where, "reason", 's', true, e))
        return false;
    const char *st = json_string_value(json_object_get(s, "status"));
    if (!schema_in(st, statuses)) return schema_fail(e, "%s: bad status '%s'", where, st);
    bool ok = !strcmp(st, "ok");
    if (!ok && !json_is_string(json_object_get(s, "reason")))
        return schema_fail(e, "%s: a %s sample needs a reason", where, st);
    static const char *const nums[] = {"wall_ns", "user_ns", "sys_ns", "rss_peak_kb", "rss_end_kb",
                                       "hugetlb_kb_end", "mem_end_kb", NULL};
    for (const char *const *k = nums; *k; k++) {
        bool nullable = !ok || (exec_mode && (!strcmp(*k, "rss_end_kb") || !strcmp(*k, "hugetlb_kb_end") ||
                                              !strcmp(*k, "mem_end_kb")));
        if (!schema_key(s, where, *k, 'i', nullable, e)) return false;
    }
    /* The hugetlb peak cannot be seen from outside an exec'ed process, and
     * is unknown for a variant with hugetlb pages the harness did not watch. */
    if (!schema_key(s, where, "hugetlb_kb_peak", 'i', true, e) || !schema_key(s, where, "mem_peak_kb", 'i', true, e))
        return false;
    if (ok && !exec_mode && !json_is_integer(json_object_get(s, "hugetlb_kb_peak")) &&
        json_integer_value(json_object_get(s, "hugetlb_kb_end")) == 0)
        return schema_fail(e, "%s: hugetlb_kb_peak null although no hugetlb pages were held", where);
    json_t *mp = json_object_get(s, "mem_peak_kb"), *hp = json_object_get(s, "hugetlb_kb_peak");
    if (json_is_integer(mp) != json_is_integer(hp) ||
        (json_is_integer(mp) && json_integer_value(mp) != json_integer_value(json_object_get(s, "rss_peak_kb")) + json_integer_value(hp)))
        return schema_fail(e, "%s: mem_peak_kb is not rss_peak_kb + hugetlb_kb_peak", where);
    json_t *me = json_object_get(s, "mem_end_kb");
    if (json_is_integer(me) && json_integer_value(me) != json_integer_value(json_object_get(s, "rss_end_kb")) +
                                                          json_integer_value(json_object_get(s, "hugetlb_kb_end")))
        return schema_fail(e, "%s: mem_end_kb is not rss_end_kb + hugetlb_kb_end", where);
    if (!schema_key(s, where, "counters", 'o', false, e) || !schema_key(s, where, "counter_status", 'o', false, e) ||
        !schema_key(s, where, "counter_raw", 'o', false, e))
        return false;
    if (ok) {
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev) {
            const char *name = json_string_value(ev);
            json_t *v = json_object_get(json_object_get(s, "counters"), name);
            if (!v || !(json_is_number(v) || json_is_null(v)))
                return schema_fail(e, "%s: counters.%s missing or not number|null", where, name);
            const char *cs = json_string_value(json_object_get(json_object_get(s, "counter_status"), name));
            if (!schema_in(cs, ctr_status)) return schema_fail(e, "%s: counter_status.%s bad", where, name);
            if (json_is_null(v) && (!strcmp(cs, "ok") || !strcmp(cs, "multiplexed")))
                return schema_fail(e, "%s: counters.%s is null but its status is %s", where, name, cs);
            json_t *raw = json_object_get(json_object_get(s, "counter_raw"), name);
            static const char *const raw_keys[] = {"raw", "enabled_ns", "running_ns", "pmu", "user_only", "detail", NULL};
            for (const char *const *k = raw_keys; *k; k++)
                if (!json_object_get(raw, *k)) return schema_fail(e, "%s: counter_raw.%s.%s missing", where, name, *k);
        }
    }
    if (!schema_key(s, where, "alloc", 'o', !ok || exec_mode, e)) return false;
    json_t *alloc = json_object_get(s, "alloc");
    if (json_is_object(alloc))
        for (const char *const *k = schema_alloc_fields; *k; k++)
            if (!schema_key(alloc, "alloc", *k, 'i', true, e)) return false;
    if (!schema_key(s, where, "checksum", 's', !ok || exec_mode, e)) return false;
    const char *sum = json_string_value(json_object_get(s, "checksum"));
    if (sum && (strlen(sum) != 16 || strspn(sum, "0123456789abcdef") != 16))
        return schema_fail(e, "%s: checksum '%s' is not 16 hex digits", where, sum);
    if (!schema_key(s, where, "ops", 'o', !ok || exec_mode, e)) return false;
    json_t *ops = json_object_get(s, "ops");
    if (json_is_object(ops)) {
        static const char *const op_keys[] = {"malloc", "calloc", "realloc", "free", NULL};
        for (const char *const *k = op_keys; *k; k++)
            if (!schema_key(ops, "ops", *k, 'i', false, e)) return false;
    }
    if (!schema_key(s, where, "timeline", 'o', true, e)) return false;
    json_t *tl = json_object_get(s, "timeline");
    if (json_is_object(tl)) {
        static const char *const cols[] = {"t_ns", "rss_kb", "hugetlb_kb", "arenas", "event", NULL};
        if (!schema_key(tl, "timeline", "hugetlb_sampled", 'b', false, e)) return false;
        size_t n = json_array_size(json_object_get(tl, "t_ns"));
        for (const char *const *k = cols; *k; k++) {
            if (!schema_key(tl, "timeline", *k, 'a', false, e)) return false;
            if (json_array_size(json_object_get(tl, *k)) != n)
                return schema_fail(e, "%s: timeline columns differ in length", where);
        }
        for (size_t i = 0; i < n; i++) {
            if (!json_is_integer(json_array_get(json_object_get(tl, "t_ns"), i)))
                return schema_fail(e, "%s: timeline.t_ns[%zu] not an integer", where, i);
            json_t *r = json_array_get(json_object_get(tl, "rss_kb"), i), *a = json_array_get(json_object_get(tl, "arenas"), i);
            json_t *h = json_array_get(json_object_get(tl, "hugetlb_kb"), i);
            if (!(json_is_integer(r) || json_is_null(r)) || !(json_is_integer(a) || json_is_null(a)) ||
                !(json_is_integer(h) || json_is_null(h)))
                return schema_fail(e, "%s: timeline rss_kb/hugetlb_kb/arenas[%zu] not int|null", where, i);
            if (json_is_false(json_object_get(tl, "hugetlb_sampled")) && json_integer_value(h) != 0)
                return schema_fail(e, "%s: timeline.hugetlb_kb[%zu] not 0 although not sampled", where, i);
            if (!schema_in(json_string_value(json_array_get(json_object_get(tl, "event"), i)), tl_events))
                return schema_fail(e, "%s: timeline.event[%zu] unknown", where, i);
        }
    }
    return true;
}

static inline bool schema_check_summary(json_t *sum, const char *where, json_t *events, schema_err *e)
{
    if (!json_is_object(sum)) return schema_fail(e, "%s: summary is not an object", where);
    const char *fixed[] = {"wall_ns", "user_ns", "sys_ns", "rss_peak_kb", "rss_end_kb",
                           "hugetlb_kb_peak", "hugetlb_kb_end", "mem_peak_kb", "mem_end_kb"};
    char name[200];
    size_t n_fixed = sizeof fixed / sizeof fixed[0], n = n_fixed + json_array_size(events);
    for (size_t i = 0; i < n; i++) {
        const char *metric = fixed[0];
        if (i < n_fixed) metric = fixed[i];
        else {
            snprintf(name, sizeof name, "counters.%s", json_string_value(json_array_get(events, i - n_fixed)));
            metric = name;
        }
        json_t *m = json_object_get(sum, metric);
        if (!json_is_object(m)) return schema_fail(e, "%s: summary.%s missing", where, metric);
        if (!schema_key(m, metric, "n", 'i', false, e)) return false;
        static const char *const stats[] = {"median", "mean", "stddev", "min", "max", "ci95_lo", "ci95_hi", NULL};
        for (const char *const *k = stats; *k; k++)
            if (!schema_key(m, metric, *k, 'n', true, e)) return false;
    }
    return true;
}

/* true if doc follows the README schema; otherwise e->text says where not. */
static inline bool schema_check_results(json_t *doc, schema_err *e)
{
    if (!json_is_object(doc)) return schema_fail(e, "document is not an object");
    if (json_integer_value(json_object_get(doc, "schema_version")) != 1) return schema_fail(e, "schema_version is not 1");
    if (!schema_key(doc, "top", "tool", 's', false, e) || !schema_key(doc, "top", "machine", 'o', false, e) ||
        !schema_key(doc, "top", "config", 'o', false, e) || !schema_key(doc, "top", "cells", 'a', false, e) ||
        !schema_key(doc, "top", "correctness", 'o', false, e))
        return false;
    json_t *c = json_object_get(doc, "config");
    if (!schema_key(c, "config", "mode", 's', false, e) || !schema_key(c, "config", "variants", 'a', false, e) ||
        !schema_key(c, "config", "workloads", 'a', false, e) || !schema_key(c, "config", "reps", 'i', false, e) ||
        !schema_key(c, "config", "warmup", 'i', false, e) || !schema_key(c, "config", "scale", 'n', false, e) ||
        !schema_key(c, "config", "seed", 'i', false, e) || !schema_key(c, "config", "events", 'a', false, e) ||
        !schema_key(c, "config", "pin", 'i', true, e) || !schema_key(c, "config", "timeout_s", 'n', false, e) ||
        !schema_key(c, "config", "hugepages", 'i', true, e) ||
        !schema_key(c, "config", "timeline_interval_ms", 'i', true, e))
        return false;
    const char *mode = json_string_value(json_object_get(c, "mode"));
    if (strcmp(mode, "workloads") && strcmp(mode, "exec")) return schema_fail(e, "config.mode '%s'", mode);
    bool exec_mode = !strcmp(mode, "exec");
    json_t *events = json_object_get(c, "events");
    size_t n_cells = json_array_size(json_object_get(c, "variants")) * json_array_size(json_object_get(c, "workloads"));
    /* run --build: config.builds lists them and every cell names its build. */
    json_t *builds = json_object_get(c, "builds");
    if (builds && (!json_is_array(builds) || json_array_size(builds) == 0))
        return schema_fail(e, "config.builds is not a non-empty array");
    for (size_t b = 0; b < json_array_size(builds); b++) {
        char where[64];
        snprintf(where, sizeof where, "config.builds[%zu]", b);
        json_t *pb = json_array_get(builds, b);
        if (!schema_key(pb, where, "name", 's', false, e) || !schema_key(pb, where, "source", 's', false, e) ||
            !schema_key(pb, where, "path", 's', false, e) || !schema_key(pb, where, "commit", 's', true, e))
            return false;
    }
    if (builds) n_cells *= json_array_size(builds);
    json_t *cells = json_object_get(doc, "cells");
    if (json_array_size(cells) != n_cells) return schema_fail(e, "%zu cells, config implies %zu", json_array_size(cells), n_cells);
    size_t i;
    json_t *cell;
    json_array_foreach(cells, i, cell) {
        char where[64];
        snprintf(where, sizeof where, "cells[%zu]", i);
        if (!schema_key(cell, where, "variant", 's', false, e) || !schema_key(cell, where, "variant_spec", 's', false, e) ||
            !schema_key(cell, where, "workload", 's', false, e) || !schema_key(cell, where, "samples", 'a', false, e) ||
            !schema_key(cell, where, "summary", 'o', false, e))
            return false;
        if (builds && !schema_key(cell, where, "build", 's', false, e)) return false;
        size_t j;
        json_t *s;
        json_array_foreach(json_object_get(cell, "samples"), j, s) {
            char sw[96];
            snprintf(sw, sizeof sw, "%s.samples[%zu]", where, j);
            if (!schema_check_sample(s, sw, exec_mode, events, e)) return false;
        }
        if (!schema_check_summary(json_object_get(cell, "summary"), where, events, e)) return false;
    }
    json_t *corr = json_object_get(doc, "correctness");
    if (!schema_key(corr, "correctness", "checksums_agree", 'b', false, e) ||
        !schema_key(corr, "correctness", "mismatches", 'a', false, e))
        return false;
    json_t *m;
    json_array_foreach(json_object_get(corr, "mismatches"), i, m) {
        static const char *const keys[] = {"workload", "variant", "checksum", "expected", NULL};
        for (const char *const *k = keys; *k; k++)
            if (!schema_key(m, "mismatch", *k, 's', false, e)) return false;
    }
    return true;
}

#endif
