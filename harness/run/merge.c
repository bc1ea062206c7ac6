/*
 * merge.c -- shards and machines into one results document (see merge.h).
 *
 * Inputs are read one at a time and only their cells are kept, so the peak
 * is one input's parse plus the cells gathered so far.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness/results/fleet.h"
#include "harness/run/merge.h"
#include "harness/run/results.h"
#include "harness/results/results_load.h"
#include "harness/run/shard.h"

typedef struct input_info {
    const char *path;
    long shard_index, shard_count;
    char plan_id[17];
    size_t machine;
} input_info;

typedef struct merge_state {
    char *const *paths;
    input_info *inputs;
    size_t n_inputs;
    json_t *config;          /* the first input's, becomes the output's */
    json_t *plan_workloads;  /* the whole plan's workloads */
    json_t *machine_blocks;  /* array, index = machine */
    json_t *machine_ids;     /* array of strings, same index */
    json_t *cells;           /* "machine\x1fvariant\x1fworkload" -> {cell, input} */
    json_t *shards_seen;     /* "machine\x1fshard" -> input index */
    json_t *run_totals;
    ab_detail_mode detail;
    FILE *sidecar;           /* detail lines, unless detail is inline */
    char *err;
    size_t errlen;
} merge_state;

static int refuse(merge_state *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, m->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void key3(char *buf, size_t len, const char *a, const char *b, const char *c)
{
    snprintf(buf, len, "%s\x1f%s\x1f%s", a, b, c ? c : "");
}

/* The machine index of a block: an existing machine, or a new one whose id
 * is its hostname, suffixed when another machine has that name already. */
static size_t machine_of(merge_state *m, json_t *block)
{
    size_t i, same_name = 0;
    json_t *b;
    json_array_foreach(m->machine_blocks, i, b) {
        if (ab_fleet_same_machine(b, block)) return i;
        if (!strcmp(ab_fleet_machine_name(b), ab_fleet_machine_name(block))) same_name++;
    }
    char id[300];
    if (same_name) snprintf(id, sizeof id, "%s-%zu", ab_fleet_machine_name(block), same_name + 1);
    else snprintf(id, sizeof id, "%s", ab_fleet_machine_name(block));
    json_array_append(m->machine_blocks, block);
    json_array_append_new(m->machine_ids, json_string(id));
    return json_array_size(m->machine_blocks) - 1;
}

static bool in_string_array(const json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
    return false;
}

/* Shard facts of an input: config.shard, or the whole plan as shard 1/1. */
static int read_shard(merge_state *m, input_info *in, json_t *config)
{
    json_t *shard = json_object_get(config, AB_KEY_CONFIG_SHARD);
    if (!shard) {
        in->shard_index = in->shard_count = 1;
        ab_plan_id(config, in->plan_id);
        return 0;
    }
    const char *id = json_string_value(json_object_get(shard, AB_KEY_PLAN_ID));
    in->shard_index = (long)json_integer_value(json_object_get(shard, AB_KEY_SHARD_INDEX));
    in->shard_count = (long)json_integer_value(json_object_get(shard, AB_KEY_SHARD_COUNT));
    if (!id || strlen(id) != 16 || in->shard_count < 1 || in->shard_index < 1 || in->shard_index > in->shard_count ||
        !json_is_array(json_object_get(shard, AB_KEY_SHARD_PLAN_WORKLOADS)))
        return refuse(m, "%s: config.shard is malformed (needs index 1..count, count, plan_id, plan_workloads)", in->path);
    snprintf(in->plan_id, sizeof in->plan_id, "%s", id);
    return 0;
}

static json_t *plan_workloads_of(json_t *config)
{
    json_t *shard = json_object_get(config, AB_KEY_CONFIG_SHARD);
    return shard ? json_object_get(shard, AB_KEY_SHARD_PLAN_WORKLOADS) : json_object_get(config, AB_KEY_CONFIG_WORKLOADS);
}

/* The first input defines the plan; every other must be the same plan. */
static int check_same_plan(merge_state *m, const input_info *in, json_t *config)
{
    if (!m->config) {
        m->config = json_deep_copy(config);
        m->plan_workloads = json_deep_copy(plan_workloads_of(config));
        return 0;
    }
    const input_info *first = &m->inputs[0];
    double s0 = json_number_value(json_object_get(m->config, AB_KEY_CONFIG_SCALE));
    double s1 = json_number_value(json_object_get(config, AB_KEY_CONFIG_SCALE));
    if (s0 != s1)
        return refuse(m, "%s: scale %g differs from %s's scale %g (not the same plan)", in->path, s1, first->path, s0);
    if (strcmp(in->plan_id, first->plan_id))
        return refuse(m, "%s: plan_id %s differs from %s's plan_id %s (different variants, workloads, reps, "
                         "warmup, seed or events: not the same plan)", in->path, in->plan_id, first->path,
                      first->plan_id);
    if (in->shard_count != first->shard_count)
        return refuse(m, "%s: split into %ld shards, but %s into %ld (run every shard with the same N)", in->path,
                      in->shard_count, first->path, first->shard_count);
    return 0;
}

/* Per-input run block totals (samples planned/run/failed, wall time). */
static void add_run(merge_state *m, json_t *run)
{
    static const char *const counts[] = {"samples_planned", "samples_run", "samples_failed"};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        json_t *t = json_object_get(m->run_totals, counts[k]);
        json_integer_set(t, json_integer_value(t) + json_integer_value(json_object_get(run, counts[k])));
    }
    json_t *wall = json_object_get(m->run_totals, "total_wall_s");
    json_real_set(wall, json_real_value(wall) + json_number_value(json_object_get(run, "total_wall_s")));
    if (json_is_true(json_object_get(run, "interrupted"))) {
        json_object_set_new(m->run_totals, "interrupted", json_true());
        json_object_set(m->run_totals, "interrupt_signal", json_object_get(run, "interrupt_signal"));
    }
}

static int take_cells(merge_state *m, size_t idx, json_t *root)
{
    input_info *in = &m->inputs[idx];
    const char *machine_id = json_string_value(json_array_get(m->machine_ids, in->machine));
    json_t *variants = json_object_get(m->config, AB_KEY_CONFIG_VARIANTS);
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(root, AB_KEY_CELLS), i, cell) {
        const char *v = json_string_value(json_object_get(cell, AB_KEY_VARIANT));
        const char *w = json_string_value(json_object_get(cell, AB_KEY_WORKLOAD));
        if (!in_string_array(variants, v) || !in_string_array(m->plan_workloads, w))
            return refuse(m, "%s: cells[%zu] (%s x %s) is not in the plan", in->path, i, v, w);
        char key[1024];
        key3(key, sizeof key, machine_id, v, w);
        json_t *prev = json_object_get(m->cells, key);
        if (prev)
            return refuse(m, "%s: cell %s x %s from machine %s is also in %s (overlapping inputs)", in->path, v, w,
                          machine_id, m->inputs[json_integer_value(json_object_get(prev, "input"))].path);
        json_object_set_new(m->cells, key, json_pack("{s:O, s:I}", "cell", cell, "input", (json_int_t)idx));
        json_object_del(cell, AB_KEY_SUMMARY); /* recomputed at the end; not held meanwhile */
        if (m->detail != AB_DETAIL_INLINE) {
            json_t *line = ab_detail_take(cell, machine_id);
            int bad = m->sidecar && (json_dumpf(line, m->sidecar, JSON_COMPACT) || fputc('\n', m->sidecar) == EOF);
            json_decref(line);
            if (bad) return refuse(m, "cannot write the detail sidecar: %s", strerror(errno));
        }
    }
    return 0;
}

/* One machine after all (detail auto): the detail goes back inline. */
static int restore_detail(merge_state *m)
{
    if (fflush(m->sidecar) || fseek(m->sidecar, 0, SEEK_SET))
        return refuse(m, "cannot read back the detail sidecar: %s", strerror(errno));
    char *text = NULL;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&text, &cap, m->sidecar) > 0) {
        json_error_t e;
        json_t *line = json_loads(text, 0, &e);
        char key[1024];
        key3(key, sizeof key, json_string_value(json_object_get(line, AB_KEY_CELL_MACHINE_ID)),
             json_string_value(json_object_get(line, AB_KEY_VARIANT)), json_string_value(json_object_get(line, AB_KEY_WORKLOAD)));
        json_t *cell = json_object_get(json_object_get(m->cells, key), "cell");
        if (!line || !cell) rc = refuse(m, "the detail sidecar does not match the cells (%s)", line ? key : e.text);
        else ab_detail_restore(cell, line);
        json_decref(line);
    }
    free(text);
    return rc;
}

static int read_input(merge_state *m, size_t idx)
{
    input_info *in = &m->inputs[idx];
    char why[1024];
    ab_results *r = ab_results_load(in->path, why, sizeof why);
    if (!r) return refuse(m, "%s", why);
    int rc = 0;
    json_t *config = json_object_get(r->root, AB_KEY_CONFIG);
    if (ab_fleet_is_fleet(r->root) || json_object_get(config, AB_KEY_CONFIG_MERGED))
        rc = refuse(m, "%s: already a merged file; merge the original shard files instead", in->path);
    if (!rc) rc = read_shard(m, in, config);
    if (!rc) rc = check_same_plan(m, in, config);
    if (!rc) {
        in->machine = machine_of(m, json_object_get(r->root, AB_KEY_MACHINE));
        char key[400], shard[32];
        snprintf(shard, sizeof shard, "%ld", in->shard_index);
        key3(key, sizeof key, json_string_value(json_array_get(m->machine_ids, in->machine)), shard, NULL);
        json_t *prev = json_object_get(m->shards_seen, key);
        if (prev)
            rc = refuse(m, "%s: shard %ld/%ld of machine %s again (already in %s)", in->path, in->shard_index,
                        in->shard_count, json_string_value(json_array_get(m->machine_ids, in->machine)),
                        m->inputs[json_integer_value(prev)].path);
        else json_object_set_new(m->shards_seen, key, json_integer((json_int_t)idx));
    }
    if (!rc) rc = take_cells(m, idx, r->root);
    if (!rc) add_run(m, json_object_get(r->root, AB_KEY_RUN));
    ab_results_free(r);
    return rc;
}

/* Shards no machine ran, and plan cells no input holds. */
static json_t *missing(merge_state *m, json_t **missing_cells)
{
    long count = m->inputs[0].shard_count;
    json_t *shards = json_array();
    for (long s = 1; s <= count; s++) {
        bool seen = false;
        for (size_t i = 0; i < m->n_inputs && !seen; i++) seen = m->inputs[i].shard_index == s;
        if (!seen) json_array_append_new(shards, json_integer(s));
    }
    *missing_cells = json_array();
    size_t v, w, k;
    json_t *vj, *wj, *id;
    json_array_foreach(json_object_get(m->config, AB_KEY_CONFIG_VARIANTS), v, vj)
        json_array_foreach(m->plan_workloads, w, wj) {
            bool found = false;
            json_array_foreach(m->machine_ids, k, id) {
                char key[1024];
                key3(key, sizeof key, json_string_value(id), json_string_value(vj), json_string_value(wj));
                if (json_object_get(m->cells, key)) found = true;
            }
            if (!found)
                json_array_append_new(*missing_cells, json_pack("{s:O, s:O}", AB_KEY_VARIANT, vj, AB_KEY_WORKLOAD, wj));
        }
    return shards;
}

static json_t *ordered_cells(merge_state *m, bool fleet)
{
    json_t *out = json_array(), *events = json_object_get(m->config, AB_KEY_CONFIG_EVENTS);
    size_t v, w, k;
    json_t *vj, *wj, *id;
    json_array_foreach(json_object_get(m->config, AB_KEY_CONFIG_VARIANTS), v, vj)
        json_array_foreach(m->plan_workloads, w, wj)
            json_array_foreach(m->machine_ids, k, id) {
                char key[1024];
                key3(key, sizeof key, json_string_value(id), json_string_value(vj), json_string_value(wj));
                json_t *cell = json_object_get(json_object_get(m->cells, key), "cell");
                if (!cell) continue;
                if (fleet) json_object_set(cell, AB_KEY_CELL_MACHINE_ID, id);
                json_object_set_new(cell, AB_KEY_SUMMARY, ab_results_summary(json_object_get(cell, AB_KEY_SAMPLES), events));
                json_array_append(out, cell);
            }
    return out;
}

static json_t *inputs_record(merge_state *m)
{
    json_t *a = json_array();
    for (size_t i = 0; i < m->n_inputs; i++)
        json_array_append_new(a, json_pack("{s:s, s:I, s:O}", "file", m->inputs[i].path,
                                           "shard_index", (json_int_t)m->inputs[i].shard_index, AB_KEY_CELL_MACHINE_ID,
                                           json_array_get(m->machine_ids, m->inputs[i].machine)));
    return a;
}

static json_t *build(merge_state *m, const ab_merge_opts *opts)
{
    json_t *missing_cells, *missing_shards = missing(m, &missing_cells);
    if ((json_array_size(missing_shards) || json_array_size(missing_cells)) && !opts->allow_partial) {
        char *ms = json_dumps(missing_shards, JSON_COMPACT);
        refuse(m, "plan %s (of %s): shards %s of %ld are missing, so %zu cells of the plan are not covered (pass "
                  "every shard, or --allow-partial to record what is missing)", m->inputs[0].plan_id,
               m->inputs[0].path, ms ? ms : "?",
               m->inputs[0].shard_count, json_array_size(missing_cells));
        free(ms);
        json_decref(missing_shards);
        json_decref(missing_cells);
        return NULL;
    }
    bool fleet = json_array_size(m->machine_ids) > 1;
    if (m->detail == AB_DETAIL_AUTO) {
        if (!fleet && restore_detail(m)) {
            json_decref(missing_shards);
            json_decref(missing_cells);
            return NULL;
        }
        m->detail = fleet ? AB_DETAIL_SIDECAR : AB_DETAIL_INLINE;
    }
    json_t *config = m->config;
    json_object_set(config, AB_KEY_CONFIG_WORKLOADS, m->plan_workloads);
    json_object_del(config, AB_KEY_CONFIG_SHARD);
    json_object_set_new(config, AB_KEY_CONFIG_MERGED,
                        json_pack("{s:s, s:I, s:o, s:b, s:o, s:o}", AB_KEY_PLAN_ID, m->inputs[0].plan_id,
                                  "shard_count", (json_int_t)m->inputs[0].shard_count, "inputs", inputs_record(m),
                                  "partial", json_array_size(missing_shards) || json_array_size(missing_cells),
                                  "missing_shards", missing_shards, "missing_cells", missing_cells));
    json_t *detail = json_pack("{s:s}", "mode", ab_detail_mode_name(m->detail));
    if (m->detail != AB_DETAIL_INLINE) json_object_set_new(detail, "keys", ab_detail_keys());
    json_object_set_new(json_object_get(config, AB_KEY_CONFIG_MERGED), "detail", detail);
    json_t *doc = json_object();
    json_object_set_new(doc, AB_KEY_SCHEMA_VERSION, json_integer(AB_SCHEMA_VERSION));
    json_object_set_new(doc, AB_KEY_TOOL, json_string("arenabench"));
    if (fleet) {
        /* No one machine's facts at the top: each cell names its machine. */
        json_t *machines = json_object();
        size_t k;
        json_t *id;
        json_array_foreach(m->machine_ids, k, id)
            json_object_set(machines, json_string_value(id), json_array_get(m->machine_blocks, k));
        json_object_set_new(doc, AB_KEY_MACHINE, json_pack("{s:b, s:O}", "fleet", 1, "machine_ids", m->machine_ids));
        json_object_set_new(doc, AB_KEY_MACHINES, machines);
    } else {
        json_object_set(doc, AB_KEY_MACHINE, json_array_get(m->machine_blocks, 0));
    }
    json_object_set(doc, AB_KEY_CONFIG, config);
    json_t *cells = ordered_cells(m, fleet);
    json_object_set_new(doc, AB_KEY_CELLS, cells);
    json_object_set_new(doc, AB_KEY_CORRECTNESS,
                        ab_results_correctness(cells, json_object_get(config, AB_KEY_CONFIG_VARIANTS), m->plan_workloads));
    json_object_set(doc, AB_KEY_RUN, m->run_totals);
    return doc;
}

/* The sidecar is written to a temporary file next to OUT from the start. */
static int open_sidecar(merge_state *m, const ab_merge_opts *opts, ab_merge_result *res)
{
    if (m->detail == AB_DETAIL_INLINE || m->detail == AB_DETAIL_DROP) return 0;
    snprintf(res->sidecar, sizeof res->sidecar, "%s%s", opts->out, AB_DETAIL_SIDECAR_SUFFIX);
    snprintf(res->sidecar_tmp, sizeof res->sidecar_tmp, "%s.tmp.XXXXXX", res->sidecar);
    int fd = mkstemp(res->sidecar_tmp);
    if (fd < 0 || !(m->sidecar = fdopen(fd, "w+"))) {
        if (fd >= 0) close(fd);
        refuse(m, "cannot create '%s': %s", res->sidecar_tmp, strerror(errno));
        res->sidecar_tmp[0] = 0;
        return -1;
    }
    fchmod(fd, 0644);
    return 0;
}

int ab_merge_files(char *const *paths, size_t n, const ab_merge_opts *opts, ab_merge_result *res, char *err,
                   size_t errlen)
{
    memset(res, 0, sizeof *res);
    merge_state m = {
        .paths = paths, .n_inputs = n, .err = err, .errlen = errlen, .detail = opts->detail,
        .inputs = calloc(n ? n : 1, sizeof *m.inputs),
        .machine_blocks = json_array(), .machine_ids = json_array(), .cells = json_object(),
        .shards_seen = json_object(),
        .run_totals = json_pack("{s:f, s:I, s:I, s:I, s:b, s:n}", "total_wall_s", 0.0, "samples_planned",
                                (json_int_t)0, "samples_run", (json_int_t)0, "samples_failed", (json_int_t)0,
                                "interrupted", 0, "interrupt_signal"),
    };
    int rc = m.inputs ? open_sidecar(&m, opts, res) : refuse(&m, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        m.inputs[i].path = paths[i];
        rc = read_input(&m, i);
    }
    if (rc == 0 && !(res->doc = build(&m, opts))) rc = -1;
    if (m.sidecar && fclose(m.sidecar) != 0 && rc == 0) rc = refuse(&m, "cannot write the detail sidecar: %s", strerror(errno));
    if (rc != 0 || m.detail != AB_DETAIL_SIDECAR) {
        if (res->sidecar_tmp[0]) unlink(res->sidecar_tmp);
        res->sidecar_tmp[0] = res->sidecar[0] = 0;
    }
    if (rc != 0) {
        json_decref(res->doc);
        res->doc = NULL;
    }
    free(m.inputs);
    json_decref(m.config);
    json_decref(m.plan_workloads);
    json_decref(m.machine_blocks);
    json_decref(m.machine_ids);
    json_decref(m.cells);
    json_decref(m.shards_seen);
    json_decref(m.run_totals);
    return rc;
}

int ab_merge_commit_sidecar(ab_merge_result *res, bool keep, char *err, size_t errlen)
{
    if (!res->sidecar_tmp[0]) return 0;
    int rc = 0;
    if (!keep) unlink(res->sidecar_tmp);
    else if (rename(res->sidecar_tmp, res->sidecar) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", res->sidecar_tmp, res->sidecar, strerror(errno));
        unlink(res->sidecar_tmp);
        rc = -1;
    }
    res->sidecar_tmp[0] = 0;
    return rc;
}

void ab_merge_result_free(ab_merge_result *res)
{
    json_decref(res->doc);
    res->doc = NULL;
}
