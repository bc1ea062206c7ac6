/* test_merge.c -- `arenabench merge` end to end: shards of a plan merge into
 * exactly the unsharded plan (cells, sample counts, checksums), every bad
 * combination is refused with exit 2 naming the file and writes nothing, and
 * files of two machines make a fleet file whose tables keep them apart. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/testutil.h"

#define PLAN "--variants 4k,thp --workloads dict_churn,mixed_sizes,fragmentation,class_instances " \
             "--scale 0.01 --reps 2 --warmup 1 --no-timeline --quiet"
#define SHARDS 3

typedef struct fixture {
    char dir[64];
    char path[64][300];   /* scratch file names */
    size_t n;
} fixture;

/* DIR/NAME in one of 64 rotating slots (a test uses far fewer at once). */
static const char *file(fixture *f, const char *name)
{
    char full[sizeof f->path[0]];
    snprintf(full, sizeof full, "%s/%s", f->dir, name);
    char *slot = f->path[f->n++ % 64];
    memcpy(slot, full, sizeof full);
    return slot;
}

static int run_ok(const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *err = NULL;
    int rc = ab_test_run_arenabench(args, NULL, &err);
    if (rc != 0) fprintf(stderr, "arenabench %s -> %d\n%s", args, rc, err ? err : "");
    free(err);
    return rc;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/abtest-merge-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    if (run_ok("run " PLAN " --out %s", file(f, "whole.json"))) return -1;
    for (int k = 1; k <= SHARDS; k++) {
        char name[32];
        snprintf(name, sizeof name, "s%d.json", k);
        if (run_ok("run " PLAN " --shard %d/%d --out %s", k, SHARDS, file(f, name))) return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) fprintf(stderr, "%s: %s\n", path, e.text);
    assert_non_null(j);
    return j;
}

static void save(json_t *j, const char *path)
{
    assert_int_equal(json_dump_file(j, path, JSON_COMPACT), 0);
    json_decref(j);
}

/* "dir/s1.json dir/s2.json dir/s3.json" */
static const char *shard_list(fixture *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s/s1.json %s/s2.json %s/s3.json", f->dir, f->dir, f->dir);
    return buf;
}

static void merged_shards_equal_the_unsharded_plan(void **state)
{
    fixture *f = *state;
    char list[1024];
    const char *out = file(f, "merged.json");
    assert_int_equal(run_ok("merge --quiet %s %s", out, shard_list(f, list, sizeof list)), 0);
    json_t *m = load(out), *w = load(file(f, "whole.json"));
    json_t *mc = json_object_get(m, "cells"), *wc = json_object_get(w, "cells");
    assert_int_equal(json_array_size(mc), json_array_size(wc));
    assert_true(json_array_size(mc) == 8);
    for (size_t i = 0; i < json_array_size(wc); i++) {
        json_t *a = json_array_get(mc, i), *b = json_array_get(wc, i);
        assert_string_equal(json_string_value(json_object_get(a, "variant")), json_string_value(json_object_get(b, "variant")));
        assert_string_equal(json_string_value(json_object_get(a, "workload")), json_string_value(json_object_get(b, "workload")));
        json_t *as = json_object_get(a, "samples"), *bs = json_object_get(b, "samples");
        assert_int_equal(json_array_size(as), json_array_size(bs));
        assert_int_equal(json_array_size(json_object_get(a, "warmup_samples")), json_array_size(json_object_get(b, "warmup_samples")));
        for (size_t s = 0; s < json_array_size(bs); s++)
            assert_string_equal(json_string_value(json_object_get(json_array_get(as, s), "checksum")),
                                json_string_value(json_object_get(json_array_get(bs, s), "checksum")));
        /* The summary was recomputed over the same samples. */
        assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(a, "summary"), "wall_ns"), "n")),
                         (json_int_t)json_array_size(as));
        assert_null(json_object_get(a, "machine_id")); /* one machine: not a fleet file */
    }
    json_t *mcfg = json_object_get(m, "config"), *wcfg = json_object_get(w, "config");
    assert_true(json_equal(json_object_get(mcfg, "workloads"), json_object_get(wcfg, "workloads")));
    assert_null(json_object_get(mcfg, "shard"));
    assert_false(json_is_true(json_object_get(json_object_get(mcfg, "merged"), "partial")));
    assert_true(json_is_true(json_object_get(json_object_get(m, "correctness"), "checksums_agree")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "run"), "samples_run")),
                     json_integer_value(json_object_get(json_object_get(w, "run"), "samples_run")));
    /* Every shard recorded the same plan id, the whole plan's. */
    const char *id = json_string_value(json_object_get(json_object_get(mcfg, "merged"), "plan_id"));
    for (int k = 1; k <= SHARDS; k++) {
        char name[32];
        snprintf(name, sizeof name, "s%d.json", k);
        json_t *s = load(file(f, name));
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(s, "config"), "shard"), "plan_id")), id);
        json_decref(s);
    }
    json_decref(m);
    json_decref(w);
}

/* merge ARGS must exit 2, name `names` on stderr with `why`, write nothing. */
static void refused(fixture *f, const char *args, const char *names, const char *why)
{
    const char *out = file(f, "refused.json");
    unlink(out);
    char cmd[4096], *err = NULL;
    snprintf(cmd, sizeof cmd, "merge %s %s", out, args);
    int rc = ab_test_run_arenabench(cmd, NULL, &err);
    if (rc != 2 || !err || !strstr(err, names) || !strstr(err, why))
        fprintf(stderr, "merge %s: rc %d, stderr: %s(wanted '%s' and '%s')\n", args, rc, err ? err : "", names, why);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, names));
    assert_non_null(strstr(err, why));
    free(err);
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);
}

static void merge_refuses_every_bad_combination(void **state)
{
    fixture *f = *state;
    char a[2048];
    const char *s1 = file(f, "s1.json"), *s2 = file(f, "s2.json"), *s3 = file(f, "s3.json");

    snprintf(a, sizeof a, "%s %s", s1, s2);
    refused(f, a, s1, "missing");

    snprintf(a, sizeof a, "%s %s %s %s", s1, s2, s1, s3);
    refused(f, a, s1, "again");

    const char *other_seed = file(f, "seed2.json");
    assert_int_equal(run_ok("run " PLAN " --seed 2 --shard 3/3 --out %s", other_seed), 0);
    snprintf(a, sizeof a, "%s %s %s", s1, s2, other_seed);
    refused(f, a, other_seed, "plan_id");

    json_t *j = load(s3);
    json_object_set_new(json_object_get(j, "config"), "scale", json_real(0.5));
    const char *scaled = file(f, "scaled.json");
    save(j, scaled);
    snprintf(a, sizeof a, "%s %s %s", s1, s2, scaled);
    refused(f, a, scaled, "scale");

    j = load(s2); /* shard 2's cells claiming to be shard 3 */
    json_object_set_new(json_object_get(json_object_get(j, "config"), "shard"), "index", json_integer(3));
    const char *overlap = file(f, "overlap.json");
    save(j, overlap);
    snprintf(a, sizeof a, "%s %s %s", s1, s2, overlap);
    refused(f, a, overlap, "overlapping");

    j = load(s3);
    json_object_set_new(j, "schema_version", json_integer(2));
    const char *schema = file(f, "schema2.json");
    save(j, schema);
    snprintf(a, sizeof a, "%s %s %s", s1, s2, schema);
    refused(f, a, schema, "schema_version");

    snprintf(a, sizeof a, "%s %s", s1, file(f, "whole.json"));
    refused(f, a, "whole.json", "shards");

    const char *merged = file(f, "m-partial.json");
    assert_int_equal(run_ok("merge --quiet --allow-partial %s %s %s", merged, s1, s3), 0);
    snprintf(a, sizeof a, "%s %s", merged, s2);
    refused(f, a, merged, "already");

    /* --allow-partial records what is missing. */
    j = load(merged);
    json_t *info = json_object_get(json_object_get(j, "config"), "merged");
    assert_true(json_is_true(json_object_get(info, "partial")));
    assert_int_equal(json_array_size(json_object_get(info, "missing_shards")), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(info, "missing_shards"), 0)), 2);
    assert_true(json_array_size(json_object_get(info, "missing_cells")) > 0);
    json_decref(j);
}

/* A copy of a shard as if another machine (slower by `factor`) ran it. */
static void other_machine(fixture *f, const char *in, const char *out, double factor)
{
    json_t *j = load(file(f, in));
    json_t *m = json_object_get(j, "machine");
    json_object_set_new(m, "hostname", json_string("otherbox"));
    json_object_set_new(m, "cpu_model", json_string("Another CPU"));
    size_t i, s;
    json_t *cell, *sample;
    json_array_foreach(json_object_get(j, "cells"), i, cell)
        json_array_foreach(json_object_get(cell, "samples"), s, sample)
            json_object_set_new(sample, "wall_ns", json_real(json_number_value(json_object_get(sample, "wall_ns")) * factor));
    save(j, file(f, out));
}

static double csv_median(const char *csv, const char *variant, const char *workload)
{
    char key[256];
    snprintf(key, sizeof key, "wall_ns,%s,%s,", workload, variant);
    const char *line = strstr(csv, key);
    assert_non_null(line);
    /* metric,workload,variant,baseline,n,n_samples,median,... */
    const char *p = line;
    for (int comma = 0; comma < 6; p++)
        if (*p == ',') comma++;
    return strtod(p, NULL);
}

static void fleet_files_keep_machines_apart(void **state)
{
    fixture *f = *state;
    other_machine(f, "s1.json", "o1.json", 10);
    other_machine(f, "s2.json", "o2.json", 10);
    other_machine(f, "s3.json", "o3.json", 10);
    char list[1024];
    const char *fleet = file(f, "fleet.json");
    assert_int_equal(run_ok("merge --quiet %s %s %s/o1.json %s/o2.json %s/o3.json", fleet,
                            shard_list(f, list, sizeof list), f->dir, f->dir, f->dir), 0);
    json_t *j = load(fleet);
    json_t *machines = json_object_get(j, "machines");
    assert_int_equal(json_object_size(machines), 2);
    assert_non_null(json_object_get(machines, "otherbox"));
    assert_int_equal(json_array_size(json_object_get(j, "cells")), 16);
    const char *here = NULL;
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(j, "cells"), i, cell) {
        const char *id = json_string_value(json_object_get(cell, "machine_id"));
        assert_non_null(id);
        assert_non_null(json_object_get(machines, id));
        if (strcmp(id, "otherbox")) here = id;
    }
    assert_non_null(here);
    char here_id[256];
    snprintf(here_id, sizeof here_id, "%s", here);
    json_decref(j);

    /* Without --by machine the reports refuse rather than pool. */
    char cmd[1024], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "table %s --metric wall_ns", fleet);
    assert_int_equal(ab_test_run_arenabench(cmd, NULL, &err), 2);
    assert_non_null(strstr(err, "--by machine"));
    free(err);
    snprintf(cmd, sizeof cmd, "compare %s %s", fleet, fleet);
    assert_int_equal(ab_test_run_arenabench(cmd, NULL, NULL), 2);

    /* With it: a column per machine, each machine's own samples. */
    snprintf(cmd, sizeof cmd, "table %s --by machine --metric wall_ns --format csv", fleet);
    assert_int_equal(ab_test_run_arenabench(cmd, &out, NULL), 0);
    char v_here[300], v_other[300] = "4k@otherbox";
    snprintf(v_here, sizeof v_here, "4k@%s", here_id);
    double a = csv_median(out, v_here, "mixed_sizes"), b = csv_median(out, v_other, "mixed_sizes");
    assert_true(a > 0);
    assert_true(b > 9.99 * a && b < 10.01 * a); /* not pooled: exactly the other machine's */
    /* thp@otherbox is compared with 4k@otherbox, not with this machine's 4k. */
    char key[400];
    snprintf(key, sizeof key, "wall_ns,mixed_sizes,thp@otherbox,4k@otherbox,");
    assert_non_null(strstr(out, key));
    free(out);
    snprintf(cmd, sizeof cmd, "compare %s %s --by machine --metrics wall_ns", fleet, fleet);
    assert_int_equal(ab_test_run_arenabench(cmd, NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_shards_equal_the_unsharded_plan),
        cmocka_unit_test(merge_refuses_every_bad_combination),
        cmocka_unit_test(fleet_files_keep_machines_apart),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
