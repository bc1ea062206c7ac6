/*
 * drive.c -- the common tail of `arenabench run` and `arenabench exec`.
 */
#include <stdio.h>
#include <string.h>
#include "harness/util/exit_codes.h"
#include "harness/run/drive.h"
#include "harness/system/hugepool.h"
#include "harness/run/results.h"
#include "harness/run/runner.h"
#include "harness/results/metrics.h"

#define NS_PER_MS 1e6
/* The one counter every machine has (a software event), so the summary's
 * column is never empty for want of a PMU. */
#define SUMMARY_EVENT "page-faults"

static const char *median_text(json_t *summary, const char *metric, double div, char *buf, size_t len)
{
    json_t *m = json_object_get(json_object_get(summary, metric), AB_KEY_SUMMARY_MEDIAN);
    if (!json_is_number(m)) return "-";
    snprintf(buf, len, "%.*f", div == 1 ? 0 : 3, json_number_value(m) / div);
    return buf;
}

static void print_summary(const ab_plan *plan, json_t *doc)
{
    /* The rounds that ran: --reps, or as many as --target-ci took. */
    int rounds = (int)json_integer_value(json_object_get(json_object_get(doc, AB_KEY_CONFIG), AB_KEY_CONFIG_REPS));
    printf("%-14s %-24s %12s %12s %10s %6s\n", plan->n_builds ? "build/variant" : "variant", "workload",
           "wall_ms", "page_faults", "arenas_hw", "ok");
    size_t i;
    json_t *cell;
    char faults[64];
    ab_metric_member_name(AB_M_COUNTERS, SUMMARY_EVENT, faults, sizeof faults);
    json_array_foreach(json_object_get(doc, AB_KEY_CELLS), i, cell) {
        json_t *summary = json_object_get(cell, AB_KEY_SUMMARY);
        char a[32], b[32], c[32], label[160];
        json_int_t ok = json_integer_value(
            json_object_get(json_object_get(summary, ab_metric_key(AB_M_WALL_NS)), AB_KEY_SUMMARY_N));
        const char *build = json_string_value(json_object_get(cell, AB_KEY_BUILD));
        snprintf(label, sizeof label, "%s%s%s", build ? build : "", build ? "/" : "",
                 json_string_value(json_object_get(cell, AB_KEY_VARIANT)));
        printf("%-14s %-24s %12s %12s %10s %3lld/%-2d\n", label,
               json_string_value(json_object_get(cell, AB_KEY_WORKLOAD)),
               median_text(summary, ab_metric_key(AB_M_WALL_NS), NS_PER_MS, a, sizeof a),
               median_text(summary, faults, 1, b, sizeof b),
               median_text(summary, ab_metric_key(AB_M_ARENAS_HIGHWATER), 1, c, sizeof c), (long long)ok, rounds);
    }
}

static size_t report_failures(const ab_plan *plan, const ab_run_record *rec)
{
    size_t failed = 0;
    for (size_t i = 0; i < rec->n_samples; i++) {
        const ab_sample_record *r = &rec->samples[i];
        if (!r->ran || r->status == AB_SAMPLE_OK) continue;
        const ab_slot *s = &plan->schedule[i];
        if (failed++ == 0) fprintf(stderr, "failed samples:\n");
        fprintf(stderr, "  %s%s%s x %s %s %d: %s: %s\n", plan->n_builds ? plan->builds[s->build].name : "",
                plan->n_builds ? "/" : "", plan->variants[s->variant].name,
                plan->workloads[s->workload].spec, s->warmup ? "warmup" : "rep", s->rep + 1,
                ab_sample_status_name(r->status), r->reason);
    }
    return failed;
}

static void report_mismatches(json_t *doc)
{
    json_t *mm = json_object_get(json_object_get(doc, AB_KEY_CORRECTNESS), AB_KEY_MISMATCHES);
    size_t i;
    json_t *m;
    json_array_foreach(mm, i, m) {
        if (i == 0) fprintf(stderr, "correctness: checksums disagree:\n");
        fprintf(stderr, "  %s: variant %s has checksum %s, expected %s (from the first variant)\n",
                json_string_value(json_object_get(m, AB_KEY_WORKLOAD)),
                json_string_value(json_object_get(m, AB_KEY_VARIANT)),
                json_string_value(json_object_get(m, ab_metric_key(AB_M_CHECKSUM))),
                json_string_value(json_object_get(m, "expected")));
    }
}

static size_t samples_ran(const ab_run_record *rec)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->n_samples; i++) n += rec->samples[i].ran;
    return n;
}

int ab_drive(ab_plan *plan, int argc, char **argv)
{
    const char *cmd = plan->mode == AB_MODE_EXEC ? "exec" : "run";
    ab_runner_install_interrupt_handlers();
    ab_hugepool pool;
    memset(&pool, 0, sizeof pool);
    ab_results_extra extra = {.hugepages_obtained = -1};
    if (plan->hugepages >= 0) {
        char msg[1024];
        int rc = ab_hugepool_reserve(&pool, plan->hugepages, msg, sizeof msg);
        if (rc != 0) {
            fprintf(stderr, "arenabench %s: %s\n", cmd, msg);
            return AB_EXIT_USAGE;
        }
        if (*msg) fprintf(stderr, "arenabench %s: warning: %s\n", cmd, msg);
        extra.hugepages_obtained = pool.free_after;
    }

    ab_run_record rec;
    int run_rc = ab_runner_run(plan, &rec);

    if (ab_hugepool_restore(&pool) != 0)
        fprintf(stderr, "arenabench %s: WARNING: could not restore %s to %ld; restore it with: echo %ld > %s\n",
                cmd, AB_NR_HUGEPAGES_PATH, pool.previous_total, pool.previous_total, AB_NR_HUGEPAGES_PATH);
    if (run_rc != 0) {
        ab_run_record_free(&rec);
        return AB_EXIT_FAIL;
    }

    json_t *doc = ab_results_build(plan, &rec, &extra, argc, argv);
    char err[512];
    int status = AB_EXIT_OK;
    if (ab_results_write_atomic(plan->out, doc, err, sizeof err) != 0) {
        fprintf(stderr, "arenabench %s: %s\n", cmd, err);
        status = AB_EXIT_FAIL;
    }
    if (!plan->quiet) {
        print_summary(plan, doc);
        fflush(stdout); /* before the failure list on stderr */
    }
    if (report_failures(plan, &rec) > 0) status = AB_EXIT_FAIL;
    if (!ab_results_checksums_agree(doc)) {
        report_mismatches(doc);
        status = AB_EXIT_FAIL;
    }
    if (!plan->quiet)
        fprintf(stderr, "arenabench %s: %zu samples in %.3f s, results in %s\n", cmd, samples_ran(&rec),
                rec.total_wall_s, plan->out);
    if (rec.interrupted) {
        fprintf(stderr, "arenabench %s: interrupted by signal %d; partial results written\n", cmd,
                rec.interrupt_signal);
        status = 128 + rec.interrupt_signal;
    }
    json_decref(doc);
    ab_run_record_free(&rec);
    return status;
}
