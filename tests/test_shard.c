/* test_shard.c -- `run --shard K/N`: the split covers the plan exactly once
 * for every N (property test over many lists and N), keeps each workload's
 * variants together, is deterministic, balanced by the cost table, and the
 * plan id ignores operational settings but not what defines the plan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/run/plan.h"
#include "harness/run/shard.h"

#define MAX_N 40

static const char *const names[] = {
    "bulk_small_alloc", "dict_churn", "mixed_sizes", "fragmentation", "list_of_tuples", "class_instances",
    "arena_pressure", "random_walk", "evan_jones", "random_prune", "trie_prune", "random_prune:first_half",
    "selftest:touch", "selftest:sleep:1", "small_object_churn", "replay:/x.trace",
};
#define NNAMES (sizeof names / sizeof names[0])

static void split_covers_every_workload_once_for_many_n(void **state)
{
    (void)state;
    /* Every prefix of the list (sizes 1..16), every N in 1..MAX_N. */
    for (size_t n = 1; n <= NNAMES; n++)
        for (long count = 1; count <= MAX_N; count++) {
            long shard_of[NNAMES], again[NNAMES];
            ab_shard_assign(names, n, count, shard_of);
            ab_shard_assign(names, n, count, again);
            size_t per_shard[MAX_N] = {0};
            double load[MAX_N] = {0}, total = 0, max_cost = 0;
            for (size_t w = 0; w < n; w++) {
                assert_true(shard_of[w] >= 0 && shard_of[w] < count);
                assert_int_equal(shard_of[w], again[w]);
                per_shard[shard_of[w]]++;
                double c = ab_shard_workload_cost(names[w]);
                load[shard_of[w]] += c;
                total += c;
                if (c > max_cost) max_cost = c;
            }
            size_t covered = 0, nonempty = 0;
            double max_load = 0;
            for (long s = 0; s < count; s++) {
                covered += per_shard[s];
                nonempty += per_shard[s] > 0;
                if (load[s] > max_load) max_load = load[s];
            }
            assert_int_equal(covered, n); /* each workload in exactly one shard */
            /* No shard is empty while another holds two workloads. */
            assert_int_equal(nonempty, n < (size_t)count ? n : (size_t)count);
            /* Greedy LPT bound: no shard exceeds the mean by more than one workload. */
            assert_true(max_load <= total / (double)count + max_cost + 1e-9);
        }
}

static void split_balances_by_cost_not_by_count(void **state)
{
    (void)state;
    /* The two most expensive default workloads never share one of two shards. */
    const char *const list[] = {"arena_pressure", "random_walk", "dict_churn", "class_instances"};
    long s[4];
    ab_shard_assign(list, 4, 2, s);
    assert_int_not_equal(s[0], s[1]);
    assert_true(ab_shard_workload_cost("arena_pressure") > ab_shard_workload_cost("dict_churn"));
}

static void shard_text_is_strict(void **state)
{
    (void)state;
    ab_shard sh;
    assert_int_equal(ab_shard_parse("2/3", &sh), 0);
    assert_int_equal(sh.index, 2);
    assert_int_equal(sh.count, 3);
    const char *bad[] = {"0/3", "4/3", "3", "/3", "1/", "1/0", "a/3", "1/3x", "-1/3", "1/-3", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ab_shard_parse(bad[i], &sh), -1);
}

/* Parse "run ... --shard K/N" the way the driver does. */
static int parse_shard(const char *shard, ab_plan *p)
{
    char *argv[] = {"run", "--variants", "4k,thp,hugetlb", "--reps", "2", "--shard", (char *)shard, NULL};
    return ab_plan_parse_run(7, argv, p);
}

static void plan_shards_partition_the_default_matrix(void **state)
{
    (void)state;
    ab_plan whole;
    char *argv[] = {"run", "--variants", "4k,thp,hugetlb", "--reps", "2", NULL};
    assert_int_equal(ab_plan_parse_run(5, argv, &whole), AB_PARSE_OK);
    size_t nw = whole.n_workloads;
    assert_true(nw >= 2);
    for (size_t count = 1; count <= nw; count++) {
        size_t seen[64] = {0}, slots = 0;
        for (size_t k = 1; k <= count; k++) {
            char text[64];
            snprintf(text, sizeof text, "%zu/%zu", k, count);
            ab_plan p;
            assert_int_equal(parse_shard(text, &p), AB_PARSE_OK);
            assert_int_equal(p.n_plan_workloads, nw);
            assert_int_equal(p.n_variants, whole.n_variants); /* every variant of its workloads */
            for (size_t w = 0; w < p.n_workloads; w++)
                for (size_t x = 0; x < nw; x++)
                    if (!strcmp(p.workloads[w].spec, whole.workloads[x].spec)) seen[x]++;
            slots += p.n_slots;
            ab_plan_free(&p);
        }
        for (size_t x = 0; x < nw; x++) assert_int_equal(seen[x], 1);
        assert_int_equal(slots, whole.n_slots); /* the same samples, split */
    }
    ab_plan p;
    char text[64];
    snprintf(text, sizeof text, "%zu/%zu", nw + 1, nw + 1);
    assert_int_equal(parse_shard(text, &p), AB_PARSE_USAGE); /* an empty shard is bad input */
    ab_plan_free(&p);
    ab_plan_free(&whole);
}

static void plan_id_covers_the_plan_not_the_machine(void **state)
{
    (void)state;
    json_t *a = json_pack("{s:s, s:[s,s], s:[s], s:i, s:i, s:f, s:i, s:[s], s:s, s:i}", "mode", "workloads",
                          "variants", "4k", "thp", "workloads", "dict_churn", "reps", 5, "warmup", 1, "scale", 0.1,
                          "seed", 1, "events", "page-faults", "out", "a.json", "pin", 0);
    char id_a[17], id_b[17];
    ab_plan_id(a, id_a);
    assert_int_equal(strlen(id_a), 16);
    json_t *b = json_deep_copy(a);
    json_object_set_new(b, "out", json_string("b.json")); /* operational: same plan */
    json_object_set_new(b, "pin", json_integer(1));
    json_object_set_new(b, "timeout_s", json_real(99));
    ab_plan_id(b, id_b);
    assert_string_equal(id_a, id_b);
    const char *defining[] = {"reps", "seed", "scale", "warmup"};
    for (size_t i = 0; i < 4; i++) {
        json_t *c = json_deep_copy(a);
        json_object_set_new(c, defining[i], json_real(7.5));
        ab_plan_id(c, id_b);
        assert_string_not_equal(id_a, id_b);
        json_decref(c);
    }
    json_t *c = json_deep_copy(a);
    json_array_append_new(json_object_get(c, "workloads"), json_string("mixed_sizes"));
    ab_plan_id(c, id_b);
    assert_string_not_equal(id_a, id_b);
    json_decref(c);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_covers_every_workload_once_for_many_n),
        cmocka_unit_test(split_balances_by_cost_not_by_count),
        cmocka_unit_test(shard_text_is_strict),
        cmocka_unit_test(plan_shards_partition_the_default_matrix),
        cmocka_unit_test(plan_id_covers_the_plan_not_the_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
