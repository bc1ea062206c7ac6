/* test_survivors.c -- tests for the mutants a mutation pass over the suite
 * found surviving (issue 14, item 7; the mutant list is tests/mutants/):
 * compare must see a checksum disagreement among NEW's own samples; a
 * p-value exactly at --alpha is not significant; thp-unaligned arenas keep
 * MADV_HUGEPAGE (the kernel's "hg" VmFlag in /proc/self/smaps is the
 * oracle); and an unaligned arena, once unmapped, is no longer "owned".
 * (The pool survivors -- the crash handler acting in the wrong process and
 * --hugepages shrinking a larger pool -- are in test_pool_safety.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allocators/pymalloc.h"
#include "allocators/pymalloc_internal.h"
#include "harness/util/report_stats.h"
#include "tests/pymalloc_testutil.h"
#include "tests/reportutil.h"
#include "tests/testutil.h"

/* ---- compare ------------------------------------------------------------- */

/* compare small-a.json (BASE) with an edited copy of it (NEW). */
static int compare_with_edited(void (*edit)(json_t *cell), const char *extra, char **out)
{
    json_t *root = ab_fixture_load("small-a.json");
    assert_non_null(root);
    edit(json_array_get(json_object_get(root, "cells"), 0));
    char newp[256], basep[1024], args[2048];
    assert_int_equal(ab_write_temp_json(root, newp, sizeof newp), 0);
    json_decref(root);
    ab_fixture_path("small-a.json", basep, sizeof basep);
    snprintf(args, sizeof args, "compare %s %s %s", basep, newp, extra);
    int rc = ab_test_run_arenabench(args, out, NULL);
    unlink(newp);
    return rc;
}

static void one_checksum_differs(json_t *cell)
{
    json_t *s = json_array_get(json_object_get(cell, "samples"), 2);
    json_object_set_new(s, "checksum", json_string("00000000deadbeef"));
}

static void checksum_disagreement_within_new_is_a_failure(void **state)
{
    (void)state;
    char *out = NULL;
    int rc = compare_with_edited(one_checksum_differs, "--metric checksum", &out);
    if (rc != 1) fail_msg("compare exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "NEW samples disagree"));
    free(out);
}

/* Fully separated samples: the exact two-sided Mann-Whitney p of 5 vs 5. */
static const double base_ms[] = {100, 101, 102, 103, 104};
static const double new_ms[] = {200, 201, 202, 203, 204};

static void set_wall(json_t *cell, const double *ms)
{
    json_t *samples = json_object_get(cell, "samples");
    for (size_t i = 0; i < json_array_size(samples) && i < 5; i++)
        json_object_set_new(json_array_get(samples, i), "wall_ns", json_integer((json_int_t)(ms[i] * 1e6)));
}
static void slow_cell(json_t *cell) { set_wall(cell, new_ms); }
static void base_cell(json_t *cell) { set_wall(cell, base_ms); }

static void p_exactly_at_alpha_is_not_significant(void **state)
{
    (void)state;
    /* BASE gets base_ms too, so the p compare computes is exactly this one. */
    json_t *root = ab_fixture_load("small-a.json");
    base_cell(json_array_get(json_object_get(root, "cells"), 0));
    char basep[256], newp[256], args[1024];
    assert_int_equal(ab_write_temp_json(root, basep, sizeof basep), 0);
    slow_cell(json_array_get(json_object_get(root, "cells"), 0));
    assert_int_equal(ab_write_temp_json(root, newp, sizeof newp), 0);
    json_decref(root);
    double a[5], b[5];
    for (int i = 0; i < 5; i++) a[i] = base_ms[i] * 1e6, b[i] = new_ms[i] * 1e6;
    ab_test_result t = ab_mann_whitney_u(a, 5, b, 5);
    assert_true(t.valid && t.p > 0 && t.p < 0.5);
    char *out = NULL;
    /* alpha == p: not significant, so a doubling is no regression ... */
    snprintf(args, sizeof args, "compare %s %s --metric wall_ns --test mwu --alpha %.17g", basep, newp, t.p);
    int rc = ab_test_run_arenabench(args, &out, NULL);
    if (rc != 0) fail_msg("alpha == p judged significant (exit %d):\n%s", rc, out);
    free(out);
    /* ... and just above p it is (the test can tell the two apart). */
    snprintf(args, sizeof args, "compare %s %s --metric wall_ns --test mwu --alpha %.17g", basep, newp,
             nextafter(t.p, 1.0));
    assert_int_equal(ab_test_run_arenabench(args, &out, NULL), 1);
    free(out);
    unlink(basep);
    unlink(newp);
}

/* ---- the allocator model ---------------------------------------------------- */

/* The VmFlags line of the smaps entry that contains addr ("" if none). */
static void vmflags_of(uintptr_t addr, char *flags, size_t len)
{
    flags[0] = 0;
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    bool inside = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = addr >= lo && addr < hi;
        } else if (inside && !strncmp(line, "VmFlags:", 8)) {
            snprintf(flags, len, "%.200s", line + 8);
            break;
        }
    }
    fclose(f);
}

static void thp_unaligned_arenas_are_advised_huge(void **state)
{
    (void)state;
    if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) != 0) {
        fprintf(stderr, "SKIP: this kernel has no transparent huge pages\n");
        skip();
    }
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("thp-1m", &a);
    void *p = a.malloc(a.self, 64);
    assert_non_null(p);
    char flags[256];
    vmflags_of(pm->arenas[0].address, flags, sizeof flags);
    if (!strstr(flags, " hg")) fail_msg("arena at %#lx lacks MADV_HUGEPAGE: VmFlags:%s",
                                        (unsigned long)pm->arenas[0].address, flags);
    a.free(a.self, p);
    a.destroy(a.self);
}

static void unmapped_unaligned_arena_is_not_owned(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("pymalloc:pages=thp-unaligned,arena=1M,reclaim=mostfull", &a);
    void *p = a.malloc(a.self, 64);
    assert_non_null(p);
    uintptr_t arena = pm->arenas[0].address;
    size_t size = pm->arena_size;
    if ((arena & (size - 1)) == 0) {
        fprintf(stderr, "SKIP: the kernel happened to place the arena aligned\n");
        a.free(a.self, p);
        a.destroy(a.self);
        skip();
    }
    /* Both arena-sized chunks the unaligned arena straddles are ours ... */
    assert_true(ab_pymalloc_owns(pm, (void *)arena));
    assert_true(ab_pymalloc_owns(pm, (void *)(arena + size - 1)));
    a.free(a.self, p); /* mostfull: the arena is unmapped now */
    assert_int_equal(pm->narenas_currently_allocated, 0);
    /* ... and neither is, once it is gone. */
    assert_false(ab_pymalloc_owns(pm, (void *)arena));
    assert_false(ab_pymalloc_owns(pm, (void *)(arena + size / 2)));
    assert_false(ab_pymalloc_owns(pm, (void *)(arena + size - 1)));
    a.destroy(a.self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checksum_disagreement_within_new_is_a_failure),
        cmocka_unit_test(p_exactly_at_alpha_is_not_significant),
        cmocka_unit_test(thp_unaligned_arenas_are_advised_huge),
        cmocka_unit_test(unmapped_unaligned_arena_is_not_owned),
    };
    return cmocka_run_group_tests_name("survivors", tests, NULL, NULL);
}
