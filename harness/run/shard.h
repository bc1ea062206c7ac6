/*
 * shard.h -- split one plan into N disjoint parts that other machines (or
 * Slurm array tasks, or CI jobs) run, and identify the plan they came from.
 *
 * The unit of a shard is a workload: every variant (and build) of one
 * workload lands in the same shard, so variants are still compared within
 * one interleaved run on one machine, never across machines.  Workloads are
 * assigned greedily, most expensive first, to the least-loaded shard
 * (longest-processing-time first), ties broken by workload spec and shard
 * number: the split depends only on the workload list and N.
 *
 * Shard numbers on the command line and in results files are 1-based
 * ("--shard 2/3", config.shard.index = 2), as Slurm array ids 1..N are.
 */
#ifndef AB_SHARD_H
#define AB_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* More shards than this is a typo, not a fleet. */
#define AB_SHARD_COUNT_MAX 100000

typedef struct ab_shard {
    long index;   /* 1..count */
    long count;   /* 0: the plan is not sharded */
} ab_shard;

/* "K/N" with 1 <= K <= N <= AB_SHARD_COUNT_MAX.  0, or -1 if malformed. */
int ab_shard_parse(const char *text, ab_shard *out);

/*
 * Expected cost of one sample of a workload spec, relative to the others
 * (the unit is ms at scale 0.1 on the development VM; only ratios matter).
 */
double ab_shard_workload_cost(const char *spec);

/*
 * shard_of[w] = the 0-based shard of specs[w] among `count` shards.  Pure:
 * the same list and count give the same split.  Shards may be empty when
 * count > n.
 */
void ab_shard_assign(const char *const *specs, size_t n, long count, long *shard_of);

/*
 * The plan's identity: a 16-hex-digit hash of the config keys that define
 * which samples a plan holds and what they compute (AB_PLAN_IDENTITY_KEYS in
 * shard.c), over the whole plan's config -- before sharding.  Operational
 * settings that do not change what is measured (output path, pin, timeout,
 * huge-page reservation) are not part of it.  out must hold 17 bytes.
 */
void ab_plan_id(const json_t *config, char out[17]);

#endif
