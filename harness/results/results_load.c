/*
 * results_load.c -- load, validate and query results JSON (schema 1).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/results/results_load.h"

static const char *const sample_statuses[] = {"ok", "crashed", "timeout", "failed", NULL};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool known_status(const char *s)
{
    for (size_t i = 0; sample_statuses[i]; i++)
        if (!strcmp(s, sample_statuses[i]))
            return true;
    return false;
}

static int validate_sample(const json_t *s, size_t ci, size_t si, char *err, size_t errlen)
{
    if (!json_is_object(s))
        return fail(err, errlen, "cells[%zu].samples[%zu]: not an object", ci, si);
    const json_t *st = json_object_get(s, "status");
    if (!json_is_string(st))
        return fail(err, errlen, "cells[%zu].samples[%zu]: missing required key \"status\"", ci, si);
    if (!known_status(json_string_value(st)))
        return fail(err, errlen, "cells[%zu].samples[%zu]: unknown status \"%s\"", ci, si,
                    json_string_value(st));
    static const char *const objects[] = {"counters", "counter_status", "alloc", "timeline", NULL};
    for (size_t i = 0; objects[i]; i++) {
        const json_t *o = json_object_get(s, objects[i]);
        if (o && !json_is_object(o) && !json_is_null(o))
            return fail(err, errlen, "cells[%zu].samples[%zu]: \"%s\" must be an object or null",
                        ci, si, objects[i]);
    }
    return 0;
}

static int validate_cell(const json_t *c, size_t ci, char *err, size_t errlen)
{
    if (!json_is_object(c))
        return fail(err, errlen, "cells[%zu]: not an object", ci);
    static const char *const strings[] = {"variant", "workload", NULL};
    for (size_t i = 0; strings[i]; i++)
        if (!json_is_string(json_object_get(c, strings[i])))
            return fail(err, errlen, "cells[%zu]: missing required key \"%s\" (a string)", ci, strings[i]);
    const json_t *build = json_object_get(c, "build");
    if (build && !json_is_string(build))
        return fail(err, errlen, "cells[%zu]: \"build\" must be a string", ci);
    const json_t *samples = json_object_get(c, "samples");
    if (!json_is_array(samples))
        return fail(err, errlen, "cells[%zu]: missing required key \"samples\" (an array)", ci);
    for (size_t si = 0; si < json_array_size(samples); si++)
        if (validate_sample(json_array_get(samples, si), ci, si, err, errlen))
            return -1;
    return 0;
}

int ab_results_validate(const json_t *root, char *err, size_t errlen)
{
    if (!json_is_object(root))
        return fail(err, errlen, "top level is not a JSON object");
    const json_t *ver = json_object_get(root, "schema_version");
    if (!ver)
        return fail(err, errlen, "missing required key \"schema_version\"");
    if (!json_is_integer(ver) || json_integer_value(ver) != AB_RESULTS_SCHEMA_VERSION) {
        char *txt = json_dumps(ver, JSON_ENCODE_ANY);
        fail(err, errlen, "unknown schema_version %s (this arenabench reads version %d)",
             txt ? txt : "?", AB_RESULTS_SCHEMA_VERSION);
        free(txt);
        return -1;
    }
    static const char *const objects[] = {"machine", "config", NULL};
    for (size_t i = 0; objects[i]; i++)
        if (!json_is_object(json_object_get(root, objects[i])))
            return fail(err, errlen, "missing required key \"%s\" (an object)", objects[i]);
    const json_t *cells = json_object_get(root, "cells");
    if (!json_is_array(cells))
        return fail(err, errlen, "missing required key \"cells\" (an array)");
    const json_t *corr = json_object_get(root, "correctness");
    if (corr && !json_is_object(corr))
        return fail(err, errlen, "\"correctness\" must be an object");
    for (size_t ci = 0; ci < json_array_size(cells); ci++) {
        if (validate_cell(json_array_get(cells, ci), ci, err, errlen))
            return -1;
        const json_t *c = json_array_get(cells, ci);
        const char *v = json_string_value(json_object_get(c, "variant"));
        const char *w = json_string_value(json_object_get(c, "workload"));
        const char *b = json_string_value(json_object_get(c, "build"));
        for (size_t cj = 0; cj < ci; cj++) {
            const json_t *d = json_array_get(cells, cj);
            const char *db = json_string_value(json_object_get(d, "build"));
            if (!strcmp(v, json_string_value(json_object_get(d, "variant"))) &&
                !strcmp(w, json_string_value(json_object_get(d, "workload"))) &&
                (b && db ? !strcmp(b, db) : b == db))
                return fail(err, errlen, "cells[%zu]: duplicate cell%s%s variant \"%s\" workload \"%s\" (also cells[%zu])",
                            ci, b ? " build " : "", b ? b : "", v, w, cj);
        }
    }
    return 0;
}

/* Append name to list unless present; list has room for every cell. */
static void add_unique(const char **list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(list[i], name))
            return;
    list[(*n)++] = name;
}

/* Names from config.KEY that some cell uses, then those only the cells name. */
static void collect_names(ab_results *r, const char *config_key, const char *cell_key,
                          const char **list, size_t *n)
{
    const json_t *cfg = json_object_get(json_object_get(r->root, "config"), config_key);
    for (size_t i = 0; i < json_array_size(cfg); i++) {
        const char *name = json_string_value(json_array_get(cfg, i));
        if (!name)
            continue;
        for (size_t c = 0; c < r->ncells; c++)
            if (!strcmp(json_string_value(json_object_get(r->cells[c].json, cell_key)), name)) {
                add_unique(list, n, name);
                break;
            }
    }
    for (size_t c = 0; c < r->ncells; c++)
        add_unique(list, n, json_string_value(json_object_get(r->cells[c].json, cell_key)));
}

/* Variant labels in config.variants order; with builds, every build of a
 * variant in cell order right after each other. */
static void collect_variant_labels(ab_results *r)
{
    const json_t *cfg = json_object_get(json_object_get(r->root, "config"), "variants");
    for (size_t i = 0; i < json_array_size(cfg); i++) {
        const char *name = json_string_value(json_array_get(cfg, i));
        for (size_t c = 0; name && c < r->ncells; c++)
            if (!strcmp(r->cells[c].variant_name, name)) add_unique(r->variants, &r->nvariants, r->cells[c].variant);
    }
    for (size_t c = 0; c < r->ncells; c++) add_unique(r->variants, &r->nvariants, r->cells[c].variant);
}

ab_results *ab_results_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!root) {
        fail(err, errlen, "%s: not JSON (line %d, column %d: %s)", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    char why[400];
    if (ab_results_validate(root, why, sizeof why)) {
        fail(err, errlen, "%s: %s", path, why);
        json_decref(root);
        return NULL;
    }
    ab_results *r = calloc(1, sizeof *r);
    const json_t *cells = json_object_get(root, "cells");
    size_t n = json_array_size(cells);
    if (!r || !(r->cells = calloc(n + 1, sizeof *r->cells)) ||
        !(r->variants = calloc(n + 1, sizeof *r->variants)) ||
        !(r->labels = calloc(n + 1, sizeof *r->labels)) ||
        !(r->workloads = calloc(n + 1, sizeof *r->workloads))) {
        fail(err, errlen, "%s: out of memory", path);
        json_decref(root);
        ab_results_free(r);
        return NULL;
    }
    r->root = root;
    snprintf(r->path, sizeof r->path, "%s", path);
    r->ncells = n;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(cells, i);
        r->cells[i].json = c;
        r->cells[i].variant = r->cells[i].variant_name = json_string_value(json_object_get(c, "variant"));
        r->cells[i].workload = json_string_value(json_object_get(c, "workload"));
        r->cells[i].build = json_string_value(json_object_get(c, "build"));
        if (r->cells[i].build) {
            if (asprintf(&r->labels[i], "%s/%s", r->cells[i].build, r->cells[i].variant_name) < 0) {
                r->labels[i] = NULL;
                fail(err, errlen, "%s: out of memory", path);
                ab_results_free(r);
                return NULL;
            }
            r->cells[i].variant = r->labels[i];
        }
    }
    collect_variant_labels(r);
    collect_names(r, "workloads", "workload", r->workloads, &r->nworkloads);
    return r;
}

void ab_results_free(ab_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->labels && i < r->ncells; i++) free(r->labels[i]);
    free(r->labels);
    free(r->cells);
    free(r->variants);
    free(r->workloads);
    json_decref(r->root);
    free(r);
}

const ab_results_cell *ab_results_find(const ab_results *r, const char *variant, const char *workload)
{
    for (size_t i = 0; i < r->ncells; i++)
        if (!strcmp(r->cells[i].variant, variant) && !strcmp(r->cells[i].workload, workload))
            return &r->cells[i];
    return NULL;
}

double ab_results_scale(const ab_results *r)
{
    const json_t *s = json_object_get(json_object_get(r->root, "config"), "scale");
    return json_is_number(s) ? json_number_value(s) : NAN;
}

const char *ab_results_machine_str(const ab_results *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r->root, "machine"), key));
}

static const char *const plain_metrics[] = {
    "wall_ns", "user_ns", "sys_ns", "rss_peak_kb", "rss_end_kb", "mem_peak_kb", "mem_end_kb",
    "hugetlb_kb_peak", "hugetlb_kb_end", "hugepage_coverage", NULL,
};

static const char *const metric_prefixes[] = {"counters.", "alloc.", "ops.", NULL};

bool ab_metric_name_valid(const char *metric)
{
    for (size_t i = 0; plain_metrics[i]; i++)
        if (!strcmp(metric, plain_metrics[i]))
            return true;
    for (size_t i = 0; metric_prefixes[i]; i++) {
        size_t len = strlen(metric_prefixes[i]);
        if (!strncmp(metric, metric_prefixes[i], len) && metric[len])
            return true;
    }
    return false;
}

static bool number_of(const json_t *v, double *out)
{
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

bool ab_sample_metric(const json_t *sample, const char *metric, double *out)
{
    if (!strcmp(metric, "hugepage_coverage")) {
        double huge, mapped;
        const json_t *alloc = json_object_get(sample, "alloc");
        if (!number_of(json_object_get(alloc, "hugepage_bytes"), &huge) ||
            !number_of(json_object_get(alloc, "arena_bytes_mapped"), &mapped))
            return false;
        /* Nothing mapped means nothing to cover: report 0, which is also
         * what a regression to "no huge pages" looks like. */
        *out = mapped > 0 ? huge / mapped : 0.0;
        return true;
    }
    for (size_t i = 0; metric_prefixes[i]; i++) {
        size_t len = strlen(metric_prefixes[i]);
        if (!strncmp(metric, metric_prefixes[i], len)) {
            char object[16];
            snprintf(object, sizeof object, "%.*s", (int)(len - 1), metric);
            return number_of(json_object_get(json_object_get(sample, object), metric + len), out);
        }
    }
    const json_t *v = json_object_get(sample, metric);
    /* Files written before the mem_* keys existed: their only memory
     * figure is RSS, which is complete for every variant but hugetlb (see
     * results_load.h).  A key that is present but null stays unknown. */
    if (!v && !strcmp(metric, "mem_peak_kb"))
        v = json_object_get(sample, "rss_peak_kb");
    else if (!v && !strcmp(metric, "mem_end_kb"))
        v = json_object_get(sample, "rss_end_kb");
    return number_of(v, out);
}

bool ab_sample_ok(const json_t *sample)
{
    const char *st = json_string_value(json_object_get(sample, "status"));
    return st && !strcmp(st, "ok");
}

int ab_cell_metric(const ab_results_cell *cell, const char *metric, ab_metric_values *out)
{
    memset(out, 0, sizeof *out);
    const json_t *samples = json_object_get(cell->json, "samples");
    out->n_samples = json_array_size(samples);
    out->v = malloc((out->n_samples + 1) * sizeof *out->v);
    out->round = malloc((out->n_samples + 1) * sizeof *out->round);
    if (!out->v || !out->round) {
        ab_metric_values_free(out);
        return -1;
    }
    const char *event = !strncmp(metric, "counters.", 9) ? metric + 9 : NULL;
    for (size_t i = 0; i < out->n_samples; i++) {
        const json_t *s = json_array_get(samples, i);
        if (!ab_sample_ok(s)) {
            if (!out->n_not_ok++) {
                out->not_ok_status = json_string_value(json_object_get(s, "status"));
                out->not_ok_reason = json_string_value(json_object_get(s, "reason"));
            }
            continue;
        }
        double v;
        if (ab_sample_metric(s, metric, &v)) {
            const json_t *rep = json_object_get(s, "rep");
            out->round[out->n] = json_is_integer(rep) ? (long)json_integer_value(rep) : AB_NO_ROUND;
            out->v[out->n++] = v;
        } else if (event && !out->unavailable_status) {
            out->unavailable_status = json_string_value(
                json_object_get(json_object_get(s, "counter_status"), event));
            out->unavailable_detail = json_string_value(json_object_get(
                json_object_get(json_object_get(s, "counter_raw"), event), "detail"));
        }
    }
    return 0;
}

void ab_metric_values_free(ab_metric_values *mv)
{
    free(mv->v);
    free(mv->round);
    mv->v = NULL;
    mv->round = NULL;
    mv->n = 0;
}

const char *ab_cell_checksum(const ab_results_cell *cell, bool *disagree)
{
    const json_t *samples = json_object_get(cell->json, "samples");
    const char *agreed = NULL;
    *disagree = false;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        const json_t *s = json_array_get(samples, i);
        const char *sum = json_string_value(json_object_get(s, "checksum"));
        if (!ab_sample_ok(s) || !sum)
            continue;
        if (!agreed)
            agreed = sum;
        else if (strcmp(agreed, sum))
            *disagree = true;
    }
    return *disagree ? NULL : agreed;
}

const char **ab_results_events(const ab_results *r, size_t *n)
{
    size_t cap = 16, count = 0;
    const char **list = malloc(cap * sizeof *list);
    if (!list) {
        *n = 0;
        return NULL;
    }
    const json_t *cfg = json_object_get(json_object_get(r->root, "config"), "events");
    size_t total = json_array_size(cfg);
    for (size_t c = 0; c < r->ncells; c++) {
        const json_t *samples = json_object_get(r->cells[c].json, "samples");
        for (size_t s = 0; s < json_array_size(samples); s++)
            total += json_object_size(json_object_get(json_array_get(samples, s), "counters"));
    }
    if (total + 1 > cap) {
        const char **bigger = realloc(list, (total + 1) * sizeof *list);
        if (!bigger) {
            free(list);
            *n = 0;
            return NULL;
        }
        list = bigger;
    }
    for (size_t i = 0; i < json_array_size(cfg); i++)
        if (json_is_string(json_array_get(cfg, i)))
            add_unique(list, &count, json_string_value(json_array_get(cfg, i)));
    for (size_t c = 0; c < r->ncells; c++) {
        const json_t *samples = json_object_get(r->cells[c].json, "samples");
        for (size_t s = 0; s < json_array_size(samples); s++) {
            const char *key;
            const json_t *val;
            json_object_foreach((json_t *)json_object_get(json_array_get(samples, s), "counters"), key, val) {
                (void)val;
                add_unique(list, &count, key);
            }
        }
    }
    *n = count;
    return list;
}
