/*
 * test_metrics.c -- the metrics registry (harness/results/metrics.h) and
 * the typed sample's one serialisation (harness/results/sample.h):
 *   - every row is complete and its name finds it again;
 *   - a serialised sample has every metric at its location, null where not
 *     measured, passes the loader's checks and the tests' own copy of the
 *     schema (tests/results_schema.h), and reads back what was set;
 *   - harness/ci-gate.metrics lists exactly the registry's gate metrics
 *     with the same thresholds;
 *   - no C file of the harness outside the registry spells a metric name as
 *     a string literal (issue 10: one owner for the results format).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/results/metrics.h"
#include "harness/results/sample.h"
#include "tests/results_schema.h"
#include "tests/testutil.h"

static const char *source_dir(void)
{
    const char *src = getenv("AB_SOURCE_DIR");
    return src && *src ? src : ".";
}

static void test_rows_complete(void **state)
{
    (void)state;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        if (!m->name)
            fail_msg("metric id %zu has no row", i);
        assert_non_null(m->unit);
        assert_true(m->display_scale > 0);
        const char *member;
        const ab_metric *back = ab_metric_lookup(m->name, &member);
        if (m->kind == AB_METRIC_FAMILY) {
            char name[128];
            assert_null(strchr(m->name, '.'));
            ab_metric_member_name((ab_metric_id)i, "some-member.x", name, sizeof name);
            back = ab_metric_lookup(name, &member);
            assert_string_equal(member, "some-member.x");
            assert_int_equal(m->field, AB_NO_FIELD);
        } else {
            assert_null(member);
        }
        if (back != m)
            fail_msg("%s: lookup finds %s", m->name, back ? back->name : "nothing");
        assert_int_equal(ab_metric_id_of(m), i);
        assert_true((m->kind == AB_METRIC_VALUE) == (m->field != AB_NO_FIELD));
        assert_true((m->kind == AB_METRIC_DERIVED) == (m->derive != NULL));
        assert_true((m->fallback == AB_METRIC_COUNT) || m->fallback < AB_METRIC_COUNT);
        if (m->lists & AB_LIST_PLOT)
            assert_non_null(m->plot_stem);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->name, ab_metric_get((ab_metric_id)j)->name))
                fail_msg("two rows named %s", m->name);
    }
    /* A VALUE row inside a family's object wins over the family. */
    assert_int_equal(ab_metric_id_of(ab_metric_lookup("alloc.arenas_highwater", NULL)), AB_M_ARENAS_HIGHWATER);
    assert_int_equal(ab_metric_id_of(ab_metric_lookup("alloc.future_field", NULL)), AB_M_ALLOC);
    assert_null(ab_metric_lookup("counters.", NULL));
    assert_null(ab_metric_lookup("wall", NULL));
    assert_null(ab_metric_lookup("counters", NULL));
}

static void test_default_lists(void **state)
{
    (void)state;
    const char *events[] = {"page-faults", "dTLB-load-misses"};
    size_t n;
    char **names = ab_metric_list(AB_LIST_TABLE, events, 2, &n);
    assert_non_null(names);
    static const char *const table[] = {"wall_ns", "mem_peak_kb", "mem_end_kb", "counters.page-faults",
                                        "counters.dTLB-load-misses", "alloc.arenas_highwater",
                                        "alloc.arenas_current", "hugepage_coverage"};
    assert_int_equal(n, sizeof table / sizeof table[0]);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], table[i]);
    ab_metric_names_free(names, n);
    names = ab_metric_list(AB_LIST_COMPARE, events, 1, &n);
    assert_string_equal(names[n - 1], "checksum");
    ab_metric_names_free(names, n);
}

/* A sample with every field set to a distinct value. */
static void fill(ab_sample *s, ab_counter_value *cv)
{
    ab_sample_init(s);
    s->has_checksum = true;
    for (const ab_metric_block *b = ab_metric_blocks; b->name; b++)   /* every block present */
        *(bool *)((char *)s + b->present_field) = true;
    s->checksum = 0x0123456789abcdefULL;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        if (m->field != AB_NO_FIELD)
            *(int64_t *)((char *)s + m->field) = 1000 + (int64_t)i;
    }
    /* The memory sums are what ab_sample_set_mem makes of their parts. */
    ab_sample_set_mem(s, s->rss_peak_kb, s->rss_end_kb, s->hugetlb_kb_peak, s->hugetlb_kb_end);
    memset(cv, 0, sizeof *cv);
    snprintf(cv->event, sizeof cv->event, "page-faults");
    cv->status = AB_CTR_OK;
    cv->has_value = true;
    cv->value = 42;
    s->counters = cv;
    s->n_counters = 1;
    s->phases = 1;
    s->rss_base_kb = 100;
}

static void test_sample_round_trip(void **state)
{
    (void)state;
    ab_sample s;
    ab_counter_value cv;
    fill(&s, &cv);
    char *events[] = {"page-faults"};
    json_t *j = ab_sample_json(&s, events, 1);
    char err[300];
    if (ab_sample_check(j, err, sizeof err))
        fail_msg("%s", err);
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        if (m->kind != AB_METRIC_VALUE)
            continue;
        double v;
        if (!ab_sample_value(j, m->name, &v))
            fail_msg("%s not written", m->name);
        assert_true(v == (double)*(int64_t *)((char *)&s + m->field));
    }
    double v;
    assert_true(ab_sample_value(j, "counters.page-faults", &v) && v == 42);
    assert_string_equal(json_string_value(json_object_get(j, "checksum")), "0123456789abcdef");
    /* The tests' own reading of the README schema agrees. */
    ab_sample_json_set_outcome(j, 0, 3, AB_SAMPLE_OK, NULL, 0);
    json_t *ev = json_pack("[s]", "page-faults");
    schema_err e;
    if (!schema_check_sample(j, "sample", false, ev, &e))
        fail_msg("%s", e.text);
    json_decref(ev);
    json_decref(j);
}

/* Not measured: every metric is present and null, blocks included. */
static void test_unmeasured_sample_is_null(void **state)
{
    (void)state;
    char *events[] = {"page-faults", "cycles"};
    json_t *f = ab_sample_failure_json(AB_SAMPLE_CRASHED, "killed by signal 11", events, 2);
    ab_sample s;
    ab_sample_init(&s);
    json_t *u = ab_sample_json(&s, events, 2);
    json_t *both[] = {f, u};
    for (size_t k = 0; k < 2; k++) {
        char err[300];
        if (ab_sample_check(both[k], err, sizeof err))
            fail_msg("%s", err);
        for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
            const ab_metric *m = ab_metric_get((ab_metric_id)i);
            double v;
            assert_false(ab_sample_value(both[k], m->name, &v));
            if (!strchr(m->name, '.') && m->kind != AB_METRIC_DERIVED && m->kind != AB_METRIC_FAMILY)
                assert_true(json_is_null(json_object_get(both[k], m->name)));
        }
        assert_true(json_is_null(json_object_get(both[k], "alloc")));
        assert_true(json_is_null(json_object_get(both[k], "ops")));
        assert_true(json_is_null(json_object_get(json_object_get(both[k], "counters"), "cycles")));
    }
    assert_string_equal(json_string_value(json_object_get(f, "status")), "crashed");
    ab_sample_json_set_outcome(f, 1, 2, AB_SAMPLE_CRASHED, "killed by signal 11", 11);
    json_t *ev = json_pack("[s, s]", "page-faults", "cycles");
    schema_err e;
    if (!schema_check_sample(f, "failed sample", false, ev, &e))
        fail_msg("%s", e.text);
    json_decref(ev);
    json_decref(f);
    json_decref(u);
}

/* ---- ci-gate.metrics ---------------------------------------------------------- */

static void test_ci_gate_file_matches_registry(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/harness/ci-gate.metrics", source_dir());
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    bool seen[AB_METRIC_COUNT] = {false};
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *eq = strchr(line, '=');
        double pct = -1;
        if (eq) {
            *eq = 0;
            pct = strtod(eq + 1, NULL);
        }
        const ab_metric *m = ab_metric_lookup(line, NULL);
        if (!m)
            fail_msg("ci-gate.metrics: '%s' is no metric of the registry", line);
        if (!(m->lists & AB_LIST_CI_GATE))
            fail_msg("ci-gate.metrics: '%s' is not on the registry's CI gate list", line);
        if (!(pct < 0 && m->ci_gate_pct < 0) && fabs(pct - m->ci_gate_pct) > 1e-9)
            fail_msg("ci-gate.metrics: '%s' threshold %g, the registry says %g", line, pct, m->ci_gate_pct);
        seen[ab_metric_id_of(m)] = true;
    }
    fclose(f);
    for (size_t i = 0; i < AB_METRIC_COUNT; i++)
        if ((ab_metric_get((ab_metric_id)i)->lists & AB_LIST_CI_GATE) && !seen[i])
            fail_msg("the registry gates %s but ci-gate.metrics does not list it", ab_metric_key((ab_metric_id)i));
}

/* ---- no metric name outside the registry --------------------------------------- */

/* Literals that are a metric's name by coincidence, each with its reason. */
static const struct {
    const char *file, *literal;
} allowed[] = {
    /* microbench writes its own document; "ops" is its --ops option */
    {"harness/cmd_microbench.c", "ops"},
};

static bool is_metric_literal(const char *lit)
{
    if (strpbrk(lit, " \n%")) /* prose or a format, not a key */
        return false;
    if (ab_metric_lookup(lit, NULL))
        return true;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        const char *dot = strchr(m->name, '.');
        /* a family's object ("alloc") or a field inside one ("arenas_highwater") */
        if ((m->kind == AB_METRIC_FAMILY && !strcmp(lit, m->name)) || (dot && !strcmp(lit, dot + 1)))
            return true;
    }
    return false;
}

static char offenders[4096];

/* Every whole string literal of a C file, comments skipped. */
static void scan_file(const char *path, const char *rel)
{
    char *text = ab_test_slurp(path);
    assert_non_null(text);
    for (char *p = text; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            if (!end)
                break;
            p = end + 1;
        } else if (p[0] == '/' && p[1] == '/') {
            p += strcspn(p, "\n");
            if (!*p)
                break;
        } else if (p[0] == '\'') {
            p += p[1] == '\\' ? 3 : 2;
        } else if (p[0] == '"') {
            char lit[256];
            size_t n = 0;
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (n + 1 < sizeof lit)
                    lit[n++] = *p;
            }
            lit[n] = 0;
            if (!*p)
                break;
            if (!is_metric_literal(lit))
                continue;
            bool ok = false;
            for (size_t a = 0; a < sizeof allowed / sizeof allowed[0]; a++)
                ok |= !strcmp(rel, allowed[a].file) && !strcmp(lit, allowed[a].literal);
            if (!ok) {
                size_t used = strlen(offenders);
                snprintf(offenders + used, sizeof offenders - used, "  %s: \"%s\"\n", rel, lit);
            }
        }
    }
    free(text);
}

static size_t root_len;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t len = strlen(path);
    if (type != FTW_F || len < 2 || (strcmp(path + len - 2, ".c") && strcmp(path + len - 2, ".h")))
        return 0;
    const char *rel = path + root_len + 1;
    if (!strcmp(rel, "harness/results/metrics.c"))
        return 0;
    scan_file(path, rel);
    return 0;
}

static void test_no_metric_name_outside_registry(void **state)
{
    (void)state;
    char harness[1024];
    root_len = strlen(source_dir());
    snprintf(harness, sizeof harness, "%s/harness", source_dir());
    offenders[0] = 0;
    assert_int_equal(nftw(harness, visit, 16, FTW_PHYS), 0);
    if (offenders[0])
        fail_msg("metric names spelled outside harness/results/metrics.c (ask the registry):\n%s", offenders);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_complete),
        cmocka_unit_test(test_default_lists),
        cmocka_unit_test(test_sample_round_trip),
        cmocka_unit_test(test_unmeasured_sample_is_null),
        cmocka_unit_test(test_ci_gate_file_matches_registry),
        cmocka_unit_test(test_no_metric_name_outside_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
