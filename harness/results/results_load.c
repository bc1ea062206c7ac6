/*
 * results_load.c -- load, validate and query results JSON (schema 1).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "harness/results/fleet.h"
#include "harness/results/results_load.h"
#include "harness/results/metrics.h"
#include "harness/results/sample.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Where a problem is: "cells[3].samples[1]" and, once known, the cell's
 * names, so a user finds it without counting. */
static int sample_fail(char *err, size_t errlen, const json_t *cell, size_t ci, size_t si, const char *what)
{
    const char *v = json_string_value(json_object_get(cell, AB_KEY_VARIANT));
    const char *w = json_string_value(json_object_get(cell, AB_KEY_WORKLOAD));
    if (v && w)
        return fail(err, errlen, "cells[%zu].samples[%zu]: %s (cell variant \"%s\", workload \"%s\")", ci, si, what,
                    v, w);
    return fail(err, errlen, "cells[%zu].samples[%zu]: %s", ci, si, what);
}

/* The timeline's numeric columns (what `plot` draws) hold times, sizes and
 * counts too. */
static int check_timeline(const json_t *tl, char *err, size_t errlen)
{
    static const char *const columns[] = {AB_KEY_TL_T_NS, AB_KEY_TL_RSS_KB, AB_KEY_TL_HUGETLB_KB, AB_KEY_TL_ARENAS,
                                          NULL};
    for (size_t c = 0; json_is_object(tl) && columns[c]; c++) {
        const json_t *col = json_object_get(tl, columns[c]);
        char where[64];
        if (col && !json_is_array(col)) {
            snprintf(err, errlen, "\"" AB_KEY_TIMELINE ".%s\" must be an array", columns[c]);
            return -1;
        }
        for (size_t i = 0; i < json_array_size(col); i++) {
            snprintf(where, sizeof where, AB_KEY_TIMELINE ".%s[%zu]", columns[c], i);
            if (ab_value_check(json_array_get(col, i), where, err, errlen))
                return -1;
        }
    }
    return 0;
}

static int validate_sample(const json_t *cell, const json_t *s, size_t ci, size_t si, char *err, size_t errlen)
{
    char what[400];
    if (!json_is_object(s))
        return sample_fail(err, errlen, cell, ci, si, "not an object");
    const json_t *st = json_object_get(s, AB_KEY_STATUS);
    ab_sample_status status;
    if (!json_is_string(st))
        return sample_fail(err, errlen, cell, ci, si, "missing required key \"" AB_KEY_STATUS "\"");
    if (!ab_sample_status_parse(json_string_value(st), &status)) {
        snprintf(what, sizeof what, "unknown status \"%s\"", json_string_value(st));
        return sample_fail(err, errlen, cell, ci, si, what);
    }
    static const char *const objects[] = {AB_KEY_COUNTER_STATUS, AB_KEY_TIMELINE, NULL};
    for (size_t i = 0; objects[i]; i++) {
        const json_t *o = json_object_get(s, objects[i]);
        if (o && !json_is_object(o) && !json_is_null(o)) {
            snprintf(what, sizeof what, "\"%s\" must be an object or null", objects[i]);
            return sample_fail(err, errlen, cell, ci, si, what);
        }
    }
    /* Every metric: a wrong type, a negative, non-finite or absurd value is
     * an unusable file, never a silently dropped sample or a "-26.8 ms". */
    if (ab_sample_check(s, what, sizeof what) || check_timeline(json_object_get(s, AB_KEY_TIMELINE), what, sizeof what))
        return sample_fail(err, errlen, cell, ci, si, what);
    return 0;
}

static int validate_cell(const json_t *c, size_t ci, char *err, size_t errlen)
{
    if (!json_is_object(c))
        return fail(err, errlen, "cells[%zu]: not an object", ci);
    for (const ab_schema_key *k = ab_schema_cell_keys; k->key; k++) {
        const json_t *v = json_object_get(c, k->key);
        bool ok = k->type == 's' ? json_is_string(v) : k->type == 'a' ? json_is_array(v) : json_is_object(v);
        if (!ok)
            return fail(err, errlen, "cells[%zu]: missing required key \"%s\" (%s)", ci, k->key,
                        k->type == 's' ? "a string" : k->type == 'a' ? "an array" : "an object");
    }
    const json_t *build = json_object_get(c, AB_KEY_BUILD);
    if (build && !json_is_string(build))
        return fail(err, errlen, "cells[%zu]: \"%s\" must be a string", ci, AB_KEY_BUILD);
    const json_t *samples = json_object_get(c, AB_KEY_SAMPLES);
    for (size_t si = 0; si < json_array_size(samples); si++)
        if (validate_sample(c, json_array_get(samples, si), ci, si, err, errlen))
            return -1;
    return 0;
}

int ab_results_validate(const json_t *root, char *err, size_t errlen)
{
    if (!json_is_object(root))
        return fail(err, errlen, "top level is not a JSON object");
    const json_t *ver = json_object_get(root, AB_KEY_SCHEMA_VERSION);
    if (!ver)
        return fail(err, errlen, "missing required key \"" AB_KEY_SCHEMA_VERSION "\"");
    if (!json_is_integer(ver) || json_integer_value(ver) != AB_SCHEMA_VERSION) {
        char *txt = json_dumps(ver, JSON_ENCODE_ANY);
        fail(err, errlen, "unknown schema_version %s (this arenabench reads version %d)",
             txt ? txt : "?", AB_SCHEMA_VERSION);
        free(txt);
        return -1;
    }
    for (const ab_schema_key *k = ab_schema_top_keys; k->key; k++) {
        const json_t *v = json_object_get(root, k->key);
        if (k->type == 'a' ? !json_is_array(v) : !json_is_object(v))
            return fail(err, errlen, "missing required key \"%s\" (%s)", k->key,
                        k->type == 'a' ? "an array" : "an object");
    }
    const json_t *cells = json_object_get(root, AB_KEY_CELLS);
    const json_t *corr = json_object_get(root, AB_KEY_CORRECTNESS);
    if (corr && !json_is_object(corr))
        return fail(err, errlen, "\"" AB_KEY_CORRECTNESS "\" must be an object");
    for (size_t ci = 0; ci < json_array_size(cells); ci++) {
        if (validate_cell(json_array_get(cells, ci), ci, err, errlen))
            return -1;
    }
    /* One cell per (machine, build, variant, workload); machine_id only in
     * fleet files, build only in files made with run --build. */
    json_t *seen = json_object();
    int rc = 0;
    for (size_t ci = 0; ci < json_array_size(cells) && rc == 0; ci++) {
        const json_t *c = json_array_get(cells, ci);
        const char *m = json_string_value(json_object_get(c, AB_KEY_CELL_MACHINE_ID));
        const char *b = json_string_value(json_object_get(c, AB_KEY_BUILD));
        char key[1024];
        snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s", json_string_value(json_object_get(c, AB_KEY_VARIANT)),
                 json_string_value(json_object_get(c, AB_KEY_WORKLOAD)), m ? m : "", b ? b : "");
        json_t *prev = json_object_get(seen, key);
        if (prev)
            rc = fail(err, errlen, "cells[%zu]: duplicate cell variant \"%s\" workload \"%s\"%s%s%s%s (also cells[%lld])",
                      ci, json_string_value(json_object_get(c, AB_KEY_VARIANT)),
                      json_string_value(json_object_get(c, AB_KEY_WORKLOAD)), m ? " machine " : "", m ? m : "",
                      b ? " build " : "", b ? b : "", (long long)json_integer_value(prev));
        else json_object_set_new(seen, key, json_integer((json_int_t)ci));
    }
    json_decref(seen);
    if (rc) return rc;
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
    const json_t *cfg = json_object_get(json_object_get(r->root, AB_KEY_CONFIG), config_key);
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

void ab_results_machine_variant(const char *variant, const char *machine, char *out, size_t len)
{
    snprintf(out, len, "%s@%s", variant, machine);
}

const char *ab_results_column_baseline(const ab_results *r, const char *baseline, const char *variant, char *buf,
                                       size_t len)
{
    if (!r->by_machine || strchr(baseline, '@')) return baseline;
    const char *machine = json_string_value(json_object_get(r->variant_machine, variant));
    if (!machine) return baseline;
    ab_results_machine_variant(baseline, machine, buf, len);
    return buf;
}

bool ab_results_has_base_variant(const ab_results *r, const char *variant)
{
    for (size_t c = 0; c < r->ncells; c++)
        if (!strcmp(r->cells[c].base_variant, variant)) return true;
    return false;
}

static void index_key(char *buf, size_t len, const char *variant, const char *workload)
{
    snprintf(buf, len, "%s\x1f%s", variant, workload);
}

/* Name every cell by machine; variants machine by machine, config order within. */
static void name_by_machine(ab_results *r)
{
    const json_t *cfg = json_object_get(json_object_get(r->root, AB_KEY_CONFIG), AB_KEY_CONFIG_VARIANTS);
    json_t *machines = json_array();
    for (size_t c = 0; c < r->ncells; c++) {
        ab_results_cell *cell = &r->cells[c];
        char name[600];
        /* cell->variant is still the unqualified label (BUILD/VARIANT with builds). */
        ab_results_machine_variant(cell->variant, cell->machine, name, sizeof name);
        json_t *owned = json_object_get(r->owned, name);
        if (!owned) {
            json_object_set_new(r->owned, name, owned = json_string(name));
            json_object_set_new(r->variant_machine, name, json_string(cell->machine));
        }
        cell->variant = json_string_value(owned);
        bool known = false;
        for (size_t m = 0; m < json_array_size(machines) && !known; m++)
            known = !strcmp(json_string_value(json_array_get(machines, m)), cell->machine);
        if (!known) json_array_append_new(machines, json_string(cell->machine));
    }
    for (size_t m = 0; m < json_array_size(machines); m++) {
        const char *machine = json_string_value(json_array_get(machines, m));
        for (size_t v = 0; v <= json_array_size(cfg); v++)
            for (size_t c = 0; c < r->ncells; c++) {
                const ab_results_cell *cell = &r->cells[c];
                const char *want = v < json_array_size(cfg) ? json_string_value(json_array_get(cfg, v)) : NULL;
                if (strcmp(cell->machine, machine) || (want && strcmp(cell->base_variant, want))) continue;
                add_unique(r->variants, &r->nvariants, cell->variant);
            }
    }
    json_decref(machines);
}

/* Without by_machine, one variant x workload must not come from two machines. */
static int check_not_pooled(ab_results *r, char *err, size_t errlen)
{
    for (size_t c = 0; c < r->ncells; c++) {
        char key[1024];
        index_key(key, sizeof key, r->cells[c].variant, r->cells[c].workload);
        json_t *prev = json_object_get(r->index, key);
        if (prev) {
            const ab_results_cell *p = &r->cells[json_integer_value(prev)];
            return fail(err, errlen, "%s: a fleet file with %s x %s from machines %s and %s; use --by machine "
                                     "(samples of different machines are never pooled)", r->path, p->variant,
                        p->workload, p->machine, r->cells[c].machine);
        }
        json_object_set_new(r->index, key, json_integer((json_int_t)c));
    }
    return 0;
}

/* Variant labels in config.variants order; with builds, every build of a
 * variant in cell order right after each other. */
static void collect_variant_labels(ab_results *r)
{
    const json_t *cfg = json_object_get(json_object_get(r->root, AB_KEY_CONFIG), AB_KEY_CONFIG_VARIANTS);
    for (size_t i = 0; i < json_array_size(cfg); i++) {
        const char *name = json_string_value(json_array_get(cfg, i));
        for (size_t c = 0; name && c < r->ncells; c++)
            if (!strcmp(r->cells[c].base_variant, name)) add_unique(r->variants, &r->nvariants, r->cells[c].variant);
    }
    for (size_t c = 0; c < r->ncells; c++) add_unique(r->variants, &r->nvariants, r->cells[c].variant);
}

ab_results *ab_results_load(const char *path, char *err, size_t errlen)
{
    ab_results_load_opts plain = {0};
    return ab_results_load_with(path, &plain, err, errlen);
}

/* Parse from one buffer: json_loadf() takes a locked fgetc() per byte,
 * which is most of the time spent reading a 5 MB file. */
static json_t *load_whole(FILE *f, json_error_t *jerr)
{
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    if (!buf) {
        snprintf(jerr->text, sizeof jerr->text, "out of memory");
        jerr->line = jerr->column = -1;
        return NULL;
    }
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, jerr);
    free(buf);
    return root;
}

ab_results *ab_results_load_with(const char *path, const ab_results_load_opts *opts, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* fopen succeeds on a directory; reading it fails with EISDIR, which
     * jansson would report as "not JSON" at line 1, column 0. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        fail(err, errlen, "%s: is a directory, not a results file", path);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = load_whole(f, &jerr);
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
    const json_t *cells = json_object_get(root, AB_KEY_CELLS);
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
    r->owned = json_object();
    r->variant_machine = json_object();
    r->index = json_object();
    snprintf(r->path, sizeof r->path, "%s", path);
    r->ncells = n;
    r->by_machine = opts->by_machine;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(cells, i);
        r->cells[i].json = c;
        r->cells[i].variant = r->cells[i].base_variant = json_string_value(json_object_get(c, AB_KEY_VARIANT));
        r->cells[i].workload = json_string_value(json_object_get(c, AB_KEY_WORKLOAD));
        r->cells[i].machine = ab_fleet_cell_machine(root, c);
        r->cells[i].build = json_string_value(json_object_get(c, AB_KEY_BUILD));
        if (r->cells[i].build) {
            if (asprintf(&r->labels[i], "%s/%s", r->cells[i].build, r->cells[i].base_variant) < 0) {
                r->labels[i] = NULL;
                fail(err, errlen, "%s: out of memory", path);
                ab_results_free(r);
                return NULL;
            }
            r->cells[i].variant = r->labels[i];
        }
    }
    if (opts->by_machine) {
        name_by_machine(r);
    } else if (check_not_pooled(r, err, errlen)) {
        ab_results_free(r);
        return NULL;
    }
    if (opts->by_machine) {
        for (size_t i = 0; i < n; i++) {
            char key[1024];
            index_key(key, sizeof key, r->cells[i].variant, r->cells[i].workload);
            json_object_set_new(r->index, key, json_integer((json_int_t)i));
        }
    }
    if (!opts->by_machine) collect_variant_labels(r);
    collect_names(r, AB_KEY_CONFIG_WORKLOADS, AB_KEY_WORKLOAD, r->workloads, &r->nworkloads);
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
    json_decref(r->owned);
    json_decref(r->variant_machine);
    json_decref(r->index);
    json_decref(r->root);
    free(r);
}

const ab_results_cell *ab_results_find(const ab_results *r, const char *variant, const char *workload)
{
    char key[1024];
    index_key(key, sizeof key, variant, workload);
    json_t *i = json_object_get(r->index, key);
    return i ? &r->cells[json_integer_value(i)] : NULL;
}

double ab_results_scale(const ab_results *r)
{
    const json_t *s = json_object_get(json_object_get(r->root, AB_KEY_CONFIG), AB_KEY_CONFIG_SCALE);
    return json_is_number(s) ? json_number_value(s) : NAN;
}

const char *ab_results_tlb_model(const ab_results *r)
{
    return json_string_value(json_object_get(json_object_get(r->root, AB_KEY_CONFIG), AB_KEY_CONFIG_TLB_MODEL));
}

const char *ab_results_machine_str(const ab_results *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r->root, AB_KEY_MACHINE), key));
}

bool ab_metric_name_valid(const char *metric)
{
    const ab_metric *m = ab_metric_lookup(metric, NULL);
    return m && m->kind != AB_METRIC_IDENTITY;
}

bool ab_sample_metric(const json_t *sample, const char *metric, double *out)
{
    return ab_sample_value(sample, metric, out);
}

bool ab_sample_ok(const json_t *sample)
{
    return ab_sample_json_status(sample) == AB_SAMPLE_OK;
}

int ab_cell_metric(const ab_results_cell *cell, const char *metric, ab_metric_values *out)
{
    memset(out, 0, sizeof *out);
    const json_t *samples = json_object_get(cell->json, AB_KEY_SAMPLES);
    out->n_samples = json_array_size(samples);
    out->v = malloc((out->n_samples + 1) * sizeof *out->v);
    out->round = malloc((out->n_samples + 1) * sizeof *out->round);
    if (!out->v || !out->round) {
        ab_metric_values_free(out);
        return -1;
    }
    const char *member = NULL;
    const ab_metric *m = ab_metric_lookup(metric, &member);
    const char *event = m && ab_metric_id_of(m) == AB_M_COUNTERS ? member : NULL;
    for (size_t i = 0; i < out->n_samples; i++) {
        const json_t *s = json_array_get(samples, i);
        if (!ab_sample_ok(s)) {
            if (!out->n_not_ok++) {
                out->not_ok_status = json_string_value(json_object_get(s, AB_KEY_STATUS));
                out->not_ok_reason = ab_sample_json_reason(s);
            }
            continue;
        }
        double v;
        if (ab_sample_metric(s, metric, &v)) {
            const json_t *rep = json_object_get(s, AB_KEY_REP);
            out->round[out->n] = json_is_integer(rep) ? (long)json_integer_value(rep) : AB_NO_ROUND;
            out->v[out->n++] = v;
        } else if (event && !out->unavailable_status) {
            out->unavailable_status = json_string_value(
                json_object_get(json_object_get(s, AB_KEY_COUNTER_STATUS), event));
            out->unavailable_detail = json_string_value(json_object_get(
                json_object_get(json_object_get(s, AB_KEY_COUNTER_RAW), event), AB_KEY_COUNTER_DETAIL));
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
    const json_t *samples = json_object_get(cell->json, AB_KEY_SAMPLES);
    const char *agreed = NULL;
    *disagree = false;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        const json_t *s = json_array_get(samples, i);
        const char *sum = json_string_value(json_object_get(s, ab_metric_key(AB_M_CHECKSUM)));
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
    const json_t *cfg = json_object_get(json_object_get(r->root, AB_KEY_CONFIG), AB_KEY_CONFIG_EVENTS);
    size_t total = json_array_size(cfg);
    for (size_t c = 0; c < r->ncells; c++) {
        const json_t *samples = json_object_get(r->cells[c].json, AB_KEY_SAMPLES);
        for (size_t s = 0; s < json_array_size(samples); s++)
            total += json_object_size(json_object_get(json_array_get(samples, s), ab_metric_key(AB_M_COUNTERS)));
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
        const json_t *samples = json_object_get(r->cells[c].json, AB_KEY_SAMPLES);
        for (size_t s = 0; s < json_array_size(samples); s++) {
            const char *key;
            const json_t *val;
            json_object_foreach((json_t *)json_object_get(json_array_get(samples, s), ab_metric_key(AB_M_COUNTERS)), key, val) {
                (void)val;
                add_unique(list, &count, key);
            }
        }
    }
    *n = count;
    return list;
}
