/*
 * test_variant.c -- variant names: the catalogue, preset and spec parsing,
 * canonical formatting, rejection of bad specs, availability notes, and
 * opening every preset into a working allocator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include "tests/testutil.h"
#include "allocators/variant.h"
#include "allocators/reference.h"
#include "allocators/pymalloc.h"
#include "allocators/pages.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

typedef struct expect {
    const char *spec;
    ab_pages_kind pages;
    size_t arena, pool;
    ab_reclaim_policy reclaim;
} expect;

static const expect presets[] = {
    {"4k", AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    {"hugetlb", AB_PAGES_HUGETLB, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    {"thp", AB_PAGES_THP, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    {"thp-1m", AB_PAGES_THP_UNALIGNED, 1 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    {"hugetlb-main", AB_PAGES_HUGETLB_THP, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    {"hugepages-nopool", AB_PAGES_THP_UNALIGNED, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    {"noreclaim", AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_NEVER},
    {"mostfull", AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_MOSTFULL},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

static void parse_ok(const expect *e)
{
    ab_variant v;
    char err[256] = "";
    if (ab_variant_parse(e->spec, &v, err, sizeof err) != 0) fail_msg("%s rejected: %s", e->spec, err);
    assert_int_equal(v.kind, AB_VARIANT_PYMALLOC);
    assert_string_equal(v.name, e->spec);
    assert_int_equal(v.cfg.pages, e->pages);
    assert_int_equal(v.cfg.arena_size, e->arena);
    assert_int_equal(v.cfg.pool_size, e->pool);
    assert_int_equal(v.cfg.reclaim, e->reclaim);
}

static void catalogue_lists_presets_then_references(void **state)
{
    (void)state;
    const ab_variant_info *c = ab_variant_catalogue();
    for (size_t i = 0; i < NPRESETS; i++) {
        assert_non_null(c[i].name);
        assert_string_equal(c[i].name, presets[i].spec);
        assert_non_null(c[i].description);
        assert_true(strlen(c[i].description) > 10);
        assert_null(strchr(c[i].description, '\n'));
    }
    size_t k = NPRESETS;
    for (const ab_variant_info *r = ab_ref_catalogue(); r->name; r++, k++) {
        assert_non_null(c[k].name);
        assert_string_equal(c[k].name, r->name);
    }
    assert_null(c[k].name);
}

static void presets_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPRESETS; i++) parse_ok(&presets[i]);
}

static void specs_parse_with_defaults(void **state)
{
    (void)state;
    static const expect specs[] = {
        {"pymalloc", AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
        {"pymalloc:", AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
        {"pymalloc:pages=thp,arena=2M,pool=16K,reclaim=never", AB_PAGES_THP, 2 * MIB, 16 * KIB, AB_RECLAIM_NEVER},
        {"pymalloc:reclaim=mostfull", AB_PAGES_4K, 1 * MIB, 16 * KIB, AB_RECLAIM_MOSTFULL},
        {"pymalloc:pool=4k,arena=256k", AB_PAGES_4K, 256 * KIB, 4 * KIB, AB_RECLAIM_CPYTHON},
        {"pymalloc:arena=2m,pages=hugetlb", AB_PAGES_HUGETLB, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
        {"pymalloc:pages=hugetlb,arena=256K", AB_PAGES_HUGETLB, 256 * KIB, 16 * KIB, AB_RECLAIM_CPYTHON},
        {"pymalloc:pages=thp-unaligned,arena=1M,pool=4K", AB_PAGES_THP_UNALIGNED, 1 * MIB, 4 * KIB, AB_RECLAIM_CPYTHON},
        {"pymalloc:pages=hugetlb-thp,arena=2M", AB_PAGES_HUGETLB_THP, 2 * MIB, 16 * KIB, AB_RECLAIM_CPYTHON},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) parse_ok(&specs[i]);
}

static void format_is_canonical_and_round_trips(void **state)
{
    (void)state;
    ab_variant v, w;
    char err[256], buf[AB_VARIANT_NAME_MAX];
    assert_int_equal(ab_variant_parse("pymalloc:pool=4k,arena=256k,reclaim=never", &v, err, sizeof err), 0);
    ab_pymalloc_config_format(&v.cfg, buf, sizeof buf);
    assert_string_equal(buf, "pymalloc:pages=4k,arena=256K,pool=4K,reclaim=never");
    for (size_t i = 0; i < NPRESETS; i++) {
        assert_int_equal(ab_variant_parse(presets[i].spec, &v, err, sizeof err), 0);
        ab_pymalloc_config_format(&v.cfg, buf, sizeof buf);
        assert_int_equal(ab_variant_parse(buf, &w, err, sizeof err), 0);
        assert_memory_equal(&v.cfg, &w.cfg, sizeof v.cfg);
    }
}

static void rejects_bad_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *reason;
    } bad[] = {
        {"", "empty"},
        {"nosuch", "unknown variant"},
        {"4K", "unknown variant"},                 /* preset names are exact */
        {"pymalloc:color=red", "unknown key"},
        {"pymalloc:pages=2m", "bad value"},
        {"pymalloc:arena=512K", "bad value"},
        {"pymalloc:arena=1", "bad value"},
        {"pymalloc:pool=8K", "bad value"},
        {"pymalloc:reclaim=sometimes", "bad value"},
        {"pymalloc:pages=THP", "bad value"},       /* names are case-sensitive */
        {"pymalloc:arena", "expected key=value"},
        {"pymalloc:=1M", "expected key=value"},
        {"pymalloc:arena=1M,", "trailing comma"},
        {"pymalloc:arena=1M,arena=2M", "given twice"},
        {"pymalloc:pages=thp,arena=1M", "needs arena=2M"},
        {"pymalloc:pages=thp,arena=256K", "needs arena=2M"},
        {"pymallocx", "unknown variant"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ab_variant v;
        char err[512] = "";
        if (ab_variant_parse(bad[i].spec, &v, err, sizeof err) != -1)
            fail_msg("'%s' accepted", bad[i].spec);
        if (!strstr(err, bad[i].reason))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].spec, err, bad[i].reason);
    }
    char longspec[300];
    memset(longspec, 'a', sizeof longspec - 1);
    longspec[sizeof longspec - 1] = 0;
    ab_variant v;
    char err[256];
    assert_int_equal(ab_variant_parse(longspec, &v, err, sizeof err), -1);
}

static void references_pass_through(void **state)
{
    (void)state;
    const ab_variant_info *r = ab_ref_catalogue();
    if (!r->name) {
        print_message("skipped: no reference allocators built yet\n");
        skip();
    }
    for (; r->name; r++) {
        ab_variant v;
        char err[256];
        assert_int_equal(ab_variant_parse(r->name, &v, err, sizeof err), 0);
        assert_int_equal(v.kind, AB_VARIANT_REFERENCE);
        assert_string_equal(v.ref, r->name);
        char why[256];
        assert_int_equal(ab_variant_available(&v, why, sizeof why), ab_ref_available(r->name, why, sizeof why));
    }
}

static void availability_notes(void **state)
{
    (void)state;
    ab_variant v;
    char err[256], why[256];
    for (size_t i = 0; i < NPRESETS; i++) {
        assert_int_equal(ab_variant_parse(presets[i].spec, &v, err, sizeof err), 0);
        assert_true(ab_variant_available(&v, why, sizeof why));
    }
    assert_int_equal(ab_variant_parse("4k", &v, err, sizeof err), 0);
    ab_variant_available(&v, why, sizeof why);
    assert_string_equal(why, "");
    assert_int_equal(ab_variant_parse("hugetlb", &v, err, sizeof err), 0);
    ab_variant_available(&v, why, sizeof why);
    if (ab_pages_hugetlb_size() == 2 * MIB && ab_pages_hugetlb_free() == 0)
        assert_non_null(strstr(why, "pool is empty"));
    assert_int_equal(ab_variant_parse("pymalloc:pages=hugetlb,arena=1M", &v, err, sizeof err), 0);
    assert_true(ab_variant_available(&v, why, sizeof why));
    if (ab_pages_hugetlb_size() == 2 * MIB) assert_non_null(strstr(why, "does not divide"));
}

static void every_preset_opens_and_allocates(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPRESETS; i++) {
        ab_variant v;
        ab_allocator a;
        char err[256];
        assert_int_equal(ab_variant_parse(presets[i].spec, &v, err, sizeof err), 0);
        if (ab_variant_open(&v, &a, err, sizeof err) != 0) fail_msg("open %s: %s", presets[i].spec, err);
        assert_string_equal(a.name, presets[i].spec);
        ab_pymalloc *pm = ab_pymalloc_from_allocator(&a);
        assert_non_null(pm);
        assert_memory_equal(ab_pymalloc_get_config(pm), &v.cfg, sizeof v.cfg);
        char *p = a.malloc(a.self, 100);
        memset(p, 7, 100);
        p = a.realloc(a.self, p, 400);
        assert_int_equal(p[99], 7);
        a.free(a.self, p);
        ab_alloc_stats st;
        a.stats(a.self, &st);
        assert_int_equal(st.arena_size, (int64_t)presets[i].arena);
        assert_int_equal(st.arenas_allocated_total, 1);
        a.destroy(a.self);
    }
    /* An explicit spec opens under its canonical name. */
    ab_variant v;
    ab_allocator a;
    char err[256];
    assert_int_equal(ab_variant_parse("pymalloc:reclaim=never", &v, err, sizeof err), 0);
    assert_int_equal(ab_variant_open(&v, &a, err, sizeof err), 0);
    assert_string_equal(a.name, "pymalloc:pages=4k,arena=1M,pool=16K,reclaim=never");
    a.destroy(a.self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalogue_lists_presets_then_references),
        cmocka_unit_test(presets_parse),
        cmocka_unit_test(specs_parse_with_defaults),
        cmocka_unit_test(format_is_canonical_and_round_trips),
        cmocka_unit_test(rejects_bad_specs),
        cmocka_unit_test(references_pass_through),
        cmocka_unit_test(availability_notes),
        cmocka_unit_test(every_preset_opens_and_allocates),
    };
    return cmocka_run_group_tests_name("variant", tests, NULL, NULL);
}
