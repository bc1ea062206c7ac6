/* model.c -- TLB model files: JSON (jansson) -> ab_tlb_model, validated. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tlbsim/model.h"

/* Bounds that catch typos, not hardware limits: no TLB level built so far
 * has more than a few thousand entries. */
#define AB_TLB_MAX_ENTRIES 65536u

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_pow2(unsigned v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static int page_kind_from_name(const char *s)
{
    for (int k = 0; k < AB_PAGE_KINDS; k++)
        if (strcmp(s, ab_page_kind_name((ab_page_kind)k)) == 0) return k;
    return -1;
}

int ab_tlb_model_validate(const ab_tlb_model *m, char *err, size_t errlen)
{
    if (m->name[0] == '\0') return fail(err, errlen, "\"model\" (its name) is missing or empty");
    if (strcmp(m->replacement, "lru") != 0)
        return fail(err, errlen, "replacement \"%s\": only \"lru\" is implemented", m->replacement);
    for (int l = 0; l < AB_TLB_LEVELS; l++) {
        const char *lname = ab_tlb_level_name((ab_tlb_level)l);
        if (l != AB_TLB_L1_STORE && m->n_arrays[l] == 0)
            return fail(err, errlen, "\"%s\" has no array", lname);
        if (l == AB_TLB_L1_STORE && m->n_arrays[l] == 0) continue;
        unsigned holders[AB_PAGE_KINDS] = {0};
        for (unsigned i = 0; i < m->n_arrays[l]; i++) {
            const ab_tlb_array_spec *a = &m->arrays[l][i];
            if (a->entries == 0 || a->entries > AB_TLB_MAX_ENTRIES)
                return fail(err, errlen, "%s[%u]: %u entries (1..%u)", lname, i, a->entries,
                            AB_TLB_MAX_ENTRIES);
            if (a->ways == 0 || a->ways > a->entries)
                return fail(err, errlen, "%s[%u]: %u ways for %u entries", lname, i, a->ways, a->entries);
            if (a->entries % a->ways != 0)
                return fail(err, errlen, "%s[%u]: %u entries are not a multiple of %u ways", lname, i,
                            a->entries, a->ways);
            if (!is_pow2(a->entries / a->ways))
                return fail(err, errlen, "%s[%u]: %u entries / %u ways = %u sets, not a power of two",
                            lname, i, a->entries, a->ways, a->entries / a->ways);
            if (a->source[0] == '\0')
                return fail(err, errlen, "%s[%u]: no \"source\" for this geometry", lname, i);
            bool any = false;
            for (int k = 0; k < AB_PAGE_KINDS; k++)
                if (a->holds[k]) {
                    holders[k]++;
                    any = true;
                }
            if (!any) return fail(err, errlen, "%s[%u]: holds no page size", lname, i);
        }
        for (int k = 0; k < AB_PAGE_KINDS; k++)
            if (holders[k] != 1)
                return fail(err, errlen, "%s: %s pages are held by %u arrays (need exactly 1)", lname,
                            ab_page_kind_name((ab_page_kind)k), holders[k]);
    }
    return 0;
}

static int copy_string(json_t *v, char *dst, size_t len, const char *what, char *err, size_t errlen)
{
    if (!json_is_string(v)) return fail(err, errlen, "%s must be a string", what);
    if (json_string_length(v) >= len) return fail(err, errlen, "%s is longer than %zu characters", what, len - 1);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int read_count(json_t *v, unsigned *out, const char *what, char *err, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t)AB_TLB_MAX_ENTRIES)
        return fail(err, errlen, "%s must be an integer in 0..%u", what, AB_TLB_MAX_ENTRIES);
    *out = (unsigned)json_integer_value(v);
    return 0;
}

static int parse_array(json_t *o, const char *where, ab_tlb_array_spec *a, char *err, size_t errlen)
{
    char what[96];
    if (!json_is_object(o)) return fail(err, errlen, "%s must be an object", where);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        snprintf(what, sizeof what, "%s.%s", where, key);
        if (strcmp(key, "entries") == 0) {
            if (read_count(v, &a->entries, what, err, errlen) < 0) return -1;
        } else if (strcmp(key, "ways") == 0) {
            if (read_count(v, &a->ways, what, err, errlen) < 0) return -1;
        } else if (strcmp(key, "source") == 0) {
            if (copy_string(v, a->source, sizeof a->source, what, err, errlen) < 0) return -1;
        } else if (strcmp(key, "approximation") == 0) {
            if (copy_string(v, a->approximation, sizeof a->approximation, what, err, errlen) < 0) return -1;
        } else if (strcmp(key, "page_sizes") == 0) {
            if (!json_is_array(v) || json_array_size(v) == 0)
                return fail(err, errlen, "%s must be a non-empty list of page sizes", what);
            size_t i;
            json_t *p;
            json_array_foreach(v, i, p) {
                int k = json_is_string(p) ? page_kind_from_name(json_string_value(p)) : -1;
                if (k < 0) return fail(err, errlen, "%s[%zu]: page sizes are \"4k\" or \"2m\"", what, i);
                if (a->holds[k]) return fail(err, errlen, "%s: \"%s\" twice", what, json_string_value(p));
                a->holds[k] = true;
            }
        } else {
            return fail(err, errlen, "%s: unknown key", what);
        }
    }
    if (!json_object_get(o, "entries") || !json_object_get(o, "ways") || !json_object_get(o, "page_sizes"))
        return fail(err, errlen, "%s needs \"entries\", \"ways\" and \"page_sizes\"", where);
    return 0;
}

static int parse_level(json_t *v, ab_tlb_level l, ab_tlb_model *m, char *err, size_t errlen)
{
    const char *lname = ab_tlb_level_name(l);
    if (!json_is_array(v) || json_array_size(v) > AB_TLB_MAX_ARRAYS)
        return fail(err, errlen, "\"%s\" must be a list of at most %d arrays", lname, AB_TLB_MAX_ARRAYS);
    size_t i;
    json_t *o;
    json_array_foreach(v, i, o) {
        char where[48];
        snprintf(where, sizeof where, "%s[%zu]", lname, i);
        if (parse_array(o, where, &m->arrays[l][i], err, errlen) < 0) return -1;
    }
    m->n_arrays[l] = (unsigned)json_array_size(v);
    return 0;
}

static int parse_model(json_t *doc, ab_tlb_model *m, char *err, size_t errlen)
{
    if (!json_is_object(doc)) return fail(err, errlen, "the file must hold one JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        int level = -1;
        for (int l = 0; l < AB_TLB_LEVELS; l++)
            if (strcmp(key, ab_tlb_level_name((ab_tlb_level)l)) == 0) level = l;
        if (level >= 0) {
            if (parse_level(v, (ab_tlb_level)level, m, err, errlen) < 0) return -1;
        } else if (strcmp(key, "model") == 0) {
            if (copy_string(v, m->name, sizeof m->name, "\"model\"", err, errlen) < 0) return -1;
        } else if (strcmp(key, "cpu") == 0) {
            if (copy_string(v, m->cpu, sizeof m->cpu, "\"cpu\"", err, errlen) < 0) return -1;
        } else if (strcmp(key, "replacement") == 0) {
            if (copy_string(v, m->replacement, sizeof m->replacement, "\"replacement\"", err, errlen) < 0)
                return -1;
        } else if (strcmp(key, "notes") != 0) {
            return fail(err, errlen, "unknown key \"%s\"", key);
        }
    }
    return ab_tlb_model_validate(m, err, errlen);
}

int ab_tlb_model_load(const char *path, ab_tlb_model *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        if (je.line < 0) return fail(err, errlen, "TLB model %s: %s", path, je.text);
        return fail(err, errlen, "TLB model %s: not JSON at line %d column %d: %s", path, je.line,
                    je.column, je.text);
    }
    char why[400];
    int rc = parse_model(doc, m, why, sizeof why);
    json_decref(doc);
    if (rc < 0) return fail(err, errlen, "TLB model %s: %s", path, why);
    return 0;
}

void ab_tlb_model_path(const char *arg, char *out, size_t outlen)
{
    size_t n = strlen(arg);
    if (strchr(arg, '/') || (n > 5 && strcmp(arg + n - 5, ".json") == 0)) {
        snprintf(out, outlen, "%s", arg);
        return;
    }
    const char *dir = getenv("AB_TLB_MODELS_DIR");
    if (dir && *dir) snprintf(out, outlen, "%s/%s.json", dir, arg);
    else snprintf(out, outlen, "%s/tlbsim/models/%s.json", AB_SOURCE_DIR, arg);
}
