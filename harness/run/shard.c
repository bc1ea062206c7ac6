/*
 * shard.c -- deterministic, cost-balanced plan shards and the plan id
 * (invariants in shard.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "harness/run/plan.h"
#include "harness/run/shard.h"

int ab_shard_parse(const char *text, ab_shard *out)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    if (!slash || slash == text) return -1;
    char k[32];
    size_t klen = (size_t)(slash - text);
    if (klen >= sizeof k) return -1;
    memcpy(k, text, klen);
    k[klen] = 0;
    long index, count;
    if (ab_parse_long(slash + 1, 1, AB_SHARD_COUNT_MAX, &count) || ab_parse_long(k, 1, count, &index))
        return -1;
    out->index = index;
    out->count = count;
    return 0;
}

/*
 * Median wall_ns of the 4k variant per default-matrix workload, in ms, from
 * results/baseline-ci.json (scale 0.1, this project's development VM).  Every
 * variant of a workload goes to the same shard, so one figure per workload
 * is all the split needs; workloads not listed (replay, selftest, new ones)
 * cost the median of the table.
 */
static const struct {
    const char *name;
    double ms;
} workload_cost_ms[] = {
    {"bulk_small_alloc", 18.5}, {"dict_churn", 1.3},     {"mixed_sizes", 11.7},
    {"fragmentation", 13.7},    {"list_of_tuples", 17.7}, {"class_instances", 9.2},
    {"arena_pressure", 52.4},   {"random_walk", 49.1},   {"evan_jones", 21.0},
    {"random_prune", 30.1},     {"trie_prune", 22.0},
};
#define UNLISTED_WORKLOAD_COST_MS 18.5 /* the median of the table above */

double ab_shard_workload_cost(const char *spec)
{
    size_t len = strcspn(spec, ":");
    for (size_t i = 0; i < sizeof workload_cost_ms / sizeof workload_cost_ms[0]; i++)
        if (strlen(workload_cost_ms[i].name) == len && !strncmp(workload_cost_ms[i].name, spec, len))
            return workload_cost_ms[i].ms;
    return UNLISTED_WORKLOAD_COST_MS;
}

typedef struct costed {
    const char *spec;
    double cost;
    size_t index;
} costed;

/* Most expensive first; equal costs by spec, then by position (total order). */
static int by_cost_desc(const void *a, const void *b)
{
    const costed *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    int c = strcmp(x->spec, y->spec);
    if (c) return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

void ab_shard_assign(const char *const *specs, size_t n, long count, long *shard_of)
{
    costed *order = malloc((n ? n : 1) * sizeof *order);
    double *load = calloc((size_t)count, sizeof *load);
    if (!order || !load) {
        fprintf(stderr, "arenabench: out of memory\n");
        exit(AB_PARSE_USAGE);
    }
    for (size_t w = 0; w < n; w++) order[w] = (costed){specs[w], ab_shard_workload_cost(specs[w]), w};
    qsort(order, n, sizeof *order, by_cost_desc);
    for (size_t i = 0; i < n; i++) {
        long best = 0;
        for (long s = 1; s < count; s++)
            if (load[s] < load[best]) best = s;
        load[best] += order[i].cost;
        shard_of[order[i].index] = best;
    }
    free(order);
    free(load);
}

/*
 * The config keys that define a plan (README "Results JSON", config block).
 * A key a newer version adds to the plan (e.g. builds) belongs here too.
 */
static const char *const plan_identity_keys[] = {
    "mode", "variants", "workloads", "reps", "warmup", "scale", "seed", "events",
    "timeline_interval_ms", "commands", "env",
};

/* FNV-1a, 64 bit (Fowler, Noll, Vo; IETF draft-eastlake-fnv): a stable,
 * dependency-free hash; the id names a plan, it does not protect anything. */
#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

void ab_plan_id(const json_t *config, char out[17])
{
    json_t *identity = json_object();
    for (size_t k = 0; k < sizeof plan_identity_keys / sizeof plan_identity_keys[0]; k++) {
        json_t *v = json_object_get(config, plan_identity_keys[k]);
        if (v) json_object_set(identity, plan_identity_keys[k], v);
    }
    char *text = json_dumps(identity, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    json_decref(identity);
    uint64_t h = FNV64_OFFSET;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        h ^= *p;
        h *= FNV64_PRIME;
    }
    free(text);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
