/*
 * cmd_list.c -- `arenabench list [variants|workloads|events] [--json]`.
 *
 * Variants and workloads come from their catalogues; availability is asked of
 * the variant layer (a missing libjemalloc, say).  Events are the defaults
 * for this machine, and "can it be counted" is answered the only reliable
 * way: open them here exactly as a run would, count a moment of work, and
 * report what the kernel said (libpfm4 happily encodes events for a PMU the
 * kernel does not have).  Metrics are the registry's rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <jansson.h>
#include "allocators/variant.h"
#include "harness/commands.h"
#include "harness/counters/counters.h"
#include "harness/results/metrics.h"
#include "workloads/workload.h"

/* Pages touched while the probe counters are enabled: enough that a
 * software page-fault counter visibly counts, cheap enough to be instant. */
#define PROBE_PAGES 16

/* metrics are asked for by name only: they describe the results format,
 * not this machine. */
enum { SHOW_VARIANTS = 1, SHOW_WORKLOADS = 2, SHOW_EVENTS = 4, SHOW_ALL = 7, SHOW_METRICS = 8 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: arenabench list [variants|workloads|events|metrics] [--json]\n\n"
            "  variants   allocator variants (presets, reference allocators) and whether\n"
            "             each can run here; explicit pymalloc:... specs are also accepted\n"
            "  workloads  workloads, marking those in the default matrix\n"
            "  events     the default events on this machine and whether each can be\n"
            "             counted here (probe-opened now); if not, the status and why\n"
            "  metrics    the metrics a results file holds (the registry): unit, which\n"
            "             direction is better, deterministic or noisy, default lists\n"
            "  (none)     variants, workloads and events\n\n"
            "  --json     machine-readable output\n"
            "  --help     this text\n");
}

static json_t *list_variants(void)
{
    json_t *arr = json_array();
    for (const ab_variant_info *vi = ab_variant_catalogue(); vi && vi->name; vi++) {
        ab_variant v;
        char why[256] = "";
        bool available = false;
        if (ab_variant_parse(vi->name, &v, why, sizeof why) == 0)
            available = ab_variant_available(&v, why, sizeof why);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s?}", "name", vi->name,
                                             "description", vi->description ? vi->description : "",
                                             "available", available, "reason", available ? NULL : why));
    }
    return arr;
}

static json_t *list_workloads(void)
{
    json_t *arr = json_array();
    for (const ab_workload *const *w = ab_workload_catalogue(); w && *w; w++)
        json_array_append_new(arr, json_pack("{s:s, s:b, s:s}", "name", (*w)->name,
                                             "default", (*w)->in_default_matrix,
                                             "description", (*w)->description ? (*w)->description : ""));
    return arr;
}

static void probe_work(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t len = (size_t)page * PROBE_PAGES;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    for (size_t off = 0; off < len; off += (size_t)page)
        ((volatile char *)p)[off] = 1;
    munmap(p, len);
}

static json_t *list_events(void)
{
    size_t n;
    const char *const *events = ab_counters_default_events(&n);
    json_t *arr = json_array();
    ab_counter_value *vals = calloc(n ? n : 1, sizeof *vals);
    ab_counter_set *cs = ab_counters_open(events, n, 0, false);
    if (!vals || !cs) {
        free(vals);
        ab_counters_close(cs);
        return arr;
    }
    ab_counters_enable(cs);
    probe_work();
    ab_counters_disable(cs);
    size_t got = ab_counters_read(cs, vals, n);
    ab_counters_close(cs);
    for (size_t i = 0; i < got; i++) {
        const ab_counter_value *v = &vals[i];
        bool countable = v->status == AB_CTR_OK || v->status == AB_CTR_MULTIPLEXED;
        json_array_append_new(arr, json_pack("{s:s, s:b, s:s, s:s, s:b, s:s?}", "name", v->event,
                                             "countable", countable, "status", ab_counter_status_name(v->status),
                                             "pmu", v->pmu, "user_only", v->user_only,
                                             "detail", v->detail[0] ? v->detail : NULL));
    }
    free(vals);
    return arr;
}

static json_t *list_metrics(void)
{
    static const struct {
        unsigned bit;
        const char *name;
    } lists[] = {{AB_LIST_SUMMARY, "summary"}, {AB_LIST_TABLE, "table"}, {AB_LIST_COMPARE, "compare"},
                 {AB_LIST_PLOT, "plot"},       {AB_LIST_CI_GATE, "ci-gate"}};
    static const char *const kinds[] = {[AB_METRIC_VALUE] = "value", [AB_METRIC_FAMILY] = "family",
                                        [AB_METRIC_DERIVED] = "derived", [AB_METRIC_IDENTITY] = "identity"};
    json_t *arr = json_array();
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        char name[128], title[200];
        ab_metric_display_name((ab_metric_id)i, name, sizeof name);
        ab_metric_title(name, title, sizeof title);
        json_t *on = json_array();
        for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
            if (m->lists & lists[l].bit)
                json_array_append_new(on, json_string(lists[l].name));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:o}", "name", name, "kind",
                                             kinds[m->kind], "title", title, "unit", m->unit, "better",
                                             m->kind == AB_METRIC_IDENTITY       ? "equal"
                                             : m->better == AB_HIGHER_IS_BETTER ? "higher"
                                                                                : "lower",
                                             "deterministic", m->deterministic, "tolerance", m->tolerance,
                                             "lists", on));
    }
    return arr;
}

static size_t widest_name(json_t *arr)
{
    size_t w = 0, i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        size_t l = strlen(json_string_value(json_object_get(e, "name")));
        if (l > w)
            w = l;
    }
    return w;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void print_variants(json_t *arr)
{
    int w = (int)widest_name(arr);
    size_t i;
    json_t *e;
    printf("variants (presets, then reference allocators; pymalloc:pages=..,arena=..,pool=..,reclaim=.. also accepted):\n");
    if (!json_array_size(arr))
        printf("  (none built yet)\n");
    json_array_foreach(arr, i, e) {
        bool ok = json_is_true(json_object_get(e, "available"));
        printf("  %-*s  %-11s  %s", w, str(e, "name"), ok ? "available" : "unavailable", str(e, "description"));
        if (!ok)
            printf("  [%s]", str(e, "reason"));
        printf("\n");
    }
}

static void print_workloads(json_t *arr)
{
    int w = (int)widest_name(arr);
    size_t i;
    json_t *e;
    printf("workloads (* = in the default matrix):\n");
    if (!json_array_size(arr))
        printf("  (none built yet)\n");
    json_array_foreach(arr, i, e)
        printf("  %-*s %s  %s\n", w, str(e, "name"), json_is_true(json_object_get(e, "default")) ? "*" : " ",
               str(e, "description"));
}

static void print_events(json_t *arr)
{
    int w = (int)widest_name(arr);
    size_t i;
    json_t *e;
    printf("events (the defaults on this machine, probe-opened just now):\n");
    json_array_foreach(arr, i, e) {
        bool ok = json_is_true(json_object_get(e, "countable"));
        printf("  %-*s  %-15s %-9s %s%s%s\n", w, str(e, "name"), str(e, "status"), str(e, "pmu"),
               ok ? "countable" : "not countable: ", ok ? "" : str(e, "detail"),
               json_is_true(json_object_get(e, "user_only")) ? " (user space only)" : "");
        if (ok && json_object_get(e, "detail") && !json_is_null(json_object_get(e, "detail")))
            printf("  %-*s  note: %s\n", w, "", str(e, "detail"));
    }
}

static void print_metrics(json_t *arr)
{
    int w = (int)widest_name(arr);
    size_t i;
    json_t *e;
    printf("metrics (results format; unit as shown, better direction, judged exactly or statistically):\n");
    json_array_foreach(arr, i, e) {
        json_t *on = json_object_get(e, "lists");
        char lists[128] = "";
        size_t k;
        json_t *l;
        json_array_foreach(on, k, l) {
            size_t used = strlen(lists);
            snprintf(lists + used, sizeof lists - used, "%s%s", k ? "," : "", json_string_value(l));
        }
        printf("  %-*s  %-4s %-6s %-13s %-34s %s\n", w, str(e, "name"), str(e, "unit"), str(e, "better"),
               json_is_true(json_object_get(e, "deterministic")) ? "deterministic" : "noisy", lists,
               str(e, "title"));
    }
}

int cmd_list(int argc, char **argv)
{
    int what = 0;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            as_json = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AB_EXIT_OK;
        } else if (!strcmp(a, "variants"))
            what |= SHOW_VARIANTS;
        else if (!strcmp(a, "workloads"))
            what |= SHOW_WORKLOADS;
        else if (!strcmp(a, "events"))
            what |= SHOW_EVENTS;
        else if (!strcmp(a, "metrics"))
            what |= SHOW_METRICS;
        else {
            fprintf(stderr, "arenabench list: unknown %s '%s' (expected variants, workloads, events, metrics or --json)\n",
                    a[0] == '-' ? "option" : "argument", a);
            usage(stderr);
            return AB_EXIT_USAGE;
        }
    }
    if (!what)
        what = SHOW_ALL;

    json_t *root = json_object();
    if (what & SHOW_VARIANTS)
        json_object_set_new(root, "variants", list_variants());
    if (what & SHOW_WORKLOADS)
        json_object_set_new(root, "workloads", list_workloads());
    if (what & SHOW_EVENTS)
        json_object_set_new(root, "events", list_events());
    if (what & SHOW_METRICS)
        json_object_set_new(root, "metrics", list_metrics());

    if (as_json) {
        json_dumpf(root, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        bool first = true;
        if (what & SHOW_VARIANTS) {
            print_variants(json_object_get(root, "variants"));
            first = false;
        }
        if (what & SHOW_WORKLOADS) {
            printf(first ? "" : "\n");
            print_workloads(json_object_get(root, "workloads"));
            first = false;
        }
        if (what & SHOW_EVENTS) {
            printf(first ? "" : "\n");
            print_events(json_object_get(root, "events"));
            first = false;
        }
        if (what & SHOW_METRICS) {
            printf(first ? "" : "\n");
            print_metrics(json_object_get(root, "metrics"));
        }
    }
    json_decref(root);
    return AB_EXIT_OK;
}
