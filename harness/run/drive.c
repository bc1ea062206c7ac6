/*
 * drive.c -- the common tail of `arenabench run` and `arenabench exec`.
 */
#include <errno.h>
#include <signal.h>
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
        /* The cell's measured samples: --reps, or as many rounds as --target-ci
         * gave its workload. */
        size_t measured = json_array_size(json_object_get(cell, AB_KEY_SAMPLES));
        const char *build = json_string_value(json_object_get(cell, AB_KEY_BUILD));
        snprintf(label, sizeof label, "%s%s%s", build ? build : "", build ? "/" : "",
                 json_string_value(json_object_get(cell, AB_KEY_VARIANT)));
        printf("%-14s %-24s %12s %12s %10s %3lld/%-2zu\n", label,
               json_string_value(json_object_get(cell, AB_KEY_WORKLOAD)),
               median_text(summary, ab_metric_key(AB_M_WALL_NS), NS_PER_MS, a, sizeof a),
               median_text(summary, faults, 1, b, sizeof b),
               median_text(summary, ab_metric_key(AB_M_ARENAS_HIGHWATER), 1, c, sizeof c), (long long)ok, measured);
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

/* How many samples of the schedule ran (an interrupted run stops early). */
static size_t samples_ran(const ab_run_record *rec)
{
    size_t n = 0;
    for (size_t i = 0; i < rec->n_samples; i++) n += rec->samples[i].ran;
    return n;
}

int ab_drive(ab_plan *plan, int argc, char **argv)
{
    const char *cmd = plan->mode == AB_MODE_EXEC ? "exec" : "run";
    /* Before the pool changes: every asynchronous fatal signal from here on
     * stops the schedule and comes back through the restore below. */
    ab_runner_install_interrupt_handlers();
    ab_hugepool pool;
    memset(&pool, 0, sizeof pool);
    ab_results_extra extra = {.hugepages_obtained = -1};
    if (plan->hugepages >= 0) {
        char msg[1024];
        int rc = ab_hugepool_reserve(&pool, plan->hugepages, plan->force, msg, sizeof msg);
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
        fprintf(stderr, "arenabench %s: WARNING: could not put %s back to %ld (%s); repair it with: "
                "arenabench hugepages --restore\n", cmd, AB_NR_HUGEPAGES_PATH, pool.previous_total, strerror(errno));
    if (run_rc != 0) {
        ab_run_record_free(&rec);
        return AB_EXIT_FAIL;
    }

    json_t *doc = ab_results_build(plan, &rec, &extra, argc, argv);
    bool written = ab_results_save_reported(cmd, plan->out, doc);
    int status = written ? AB_EXIT_OK : AB_EXIT_FAIL;
    bool to_stdout = !strcmp(plan->out, AB_OUT_STDOUT);
    if (!plan->quiet && !to_stdout) {
        print_summary(plan, doc);
        fflush(stdout); /* before the failure list on stderr */
    }
    if (report_failures(plan, &rec) > 0) status = AB_EXIT_FAIL;
    if (!ab_results_checksums_agree(doc)) {
        report_mismatches(doc);
        status = AB_EXIT_FAIL;
    }
    size_t ran = samples_ran(&rec);
    if (!plan->quiet) {
        fprintf(stderr, "arenabench %s: ", cmd);
        /* --target-ci schedules AB_TARGET_CI_MAX_ROUNDS and stops when it may. */
        if (ran == rec.n_samples || (plan->target_ci_pct > 0 && !rec.interrupted))
            fprintf(stderr, "%zu samples in %.3f s", ran, rec.total_wall_s);
        else fprintf(stderr, "%zu of %zu samples ran, in %.3f s", ran, rec.n_samples, rec.total_wall_s);
        if (written) fprintf(stderr, ", results in %s", to_stdout ? "standard output" : plan->out);
        fputc('\n', stderr);
    }
    if (rec.interrupted) {
        fprintf(stderr, "arenabench %s: interrupted by signal %d (%s) after %zu of %zu samples%s\n", cmd,
                rec.interrupt_signal, strsignal(rec.interrupt_signal), ran, rec.n_samples,
                written ? "; partial results written" : "");
        status = 128 + rec.interrupt_signal;
    } else {
        /* A signal after the schedule: the results are saved, then it counts.
         * SIGPIPE and SIGXFSZ come from our own writes, already reported. */
        int late = ab_runner_interrupted();
        if (late && late != SIGPIPE && late != SIGXFSZ) status = 128 + late;
    }
    json_decref(doc);
    ab_run_record_free(&rec);
    return status;
}
