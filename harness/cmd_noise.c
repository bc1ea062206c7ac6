/*
 * cmd_noise.c -- `arenabench noise`: what this machine can see.
 *
 * Runs a quick cell set as two builds of this very binary (A/A: the same
 * code, so every difference is noise), interleaved in rounds exactly as
 * `run --build` does, for a time budget; then replays the comparisons a user
 * would make at a few settings and prints how often they cry wolf, and the
 * smallest effect each could detect (harness/report/noise_trials.h).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/commands.h"
#include "harness/report/noise_trials.h"
#include "harness/run/plan.h"
#include "harness/run/runner.h"
#include "harness/util/paired.h"

/* The quick cell set: the cells of issue 11's measurement, at its scale. */
#define NOISE_VARIANTS "4k,thp"
#define NOISE_WORKLOADS "fragmentation,list_of_tuples,class_instances"
#define NOISE_DEFAULT_SCALE "0.2"
#define NOISE_DEFAULT_TIME_S "300"
/* Trial sizes (rounds per comparison) the report shows. */
static const int noise_trial_rounds[] = {5, 10, 20, 40};
/* Effects the advice is about (ratio changes). */
#define NOISE_TARGET_EFFECT 0.05
static const double noise_half_widths[] = {0.02, 0.025, 0.03, 0.05};

static const char noise_help[] =
    "usage: arenabench noise [--scale F] [--time SEC] [--seed S] [--variants L] [--workloads L]\n"
    "\n"
    "Measure this machine's wall-time noise: run the cell set as two builds of this\n"
    "binary (A/A) for SEC seconds, then print the false-verdict rate and the minimum\n"
    "detectable effect of paired and unpaired comparisons of 5, 10, 20 and 40 rounds,\n"
    "the rounds a --target-ci needs, and advice (docs/noise.md).\n"
    "  --scale F       workload size (default " NOISE_DEFAULT_SCALE ")\n"
    "  --time SEC      time budget of the A/A run (default " NOISE_DEFAULT_TIME_S ")\n"
    "  --seed S        schedule seed (default 1)\n"
    "  --variants L    the cell set's variants (default " NOISE_VARIANTS ")\n"
    "  --workloads L   the cell set's workloads (default " NOISE_WORKLOADS ")\n";

typedef struct noise_args {
    const char *scale, *time, *seed, *variants, *workloads;
} noise_args;

static int parse(int argc, char **argv, noise_args *a)
{
    a->scale = NOISE_DEFAULT_SCALE;
    a->time = NOISE_DEFAULT_TIME_S;
    a->seed = "1";
    a->variants = NOISE_VARIANTS;
    a->workloads = NOISE_WORKLOADS;
    for (int i = 1; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "--scale") ? &a->scale
                            : !strcmp(argv[i], "--time") ? &a->time
                            : !strcmp(argv[i], "--seed") ? &a->seed
                            : !strcmp(argv[i], "--variants") ? &a->variants
                            : !strcmp(argv[i], "--workloads") ? &a->workloads : NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(noise_help, stdout);
            return AB_PARSE_HELP;
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "arenabench noise: unknown option or missing argument: '%s'\n(see arenabench noise --help)\n", argv[i]);
            return AB_PARSE_USAGE;
        }
        *slot = argv[++i];
    }
    return AB_PARSE_OK;
}

/* The A/A plan through run's own parser: two builds of /proc/self/exe, as
 * many rounds as the budget allows (an unreachable --target-ci, whose
 * budget stops the run). */
static int make_plan(const noise_args *a, ab_plan *plan)
{
    char self[PATH_MAX], build_a[PATH_MAX + 8], build_b[PATH_MAX + 8], min_rounds[16], target[16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "arenabench noise: cannot find this binary (/proc/self/exe)\n");
        return AB_PARSE_USAGE;
    }
    self[n] = 0;
    snprintf(build_a, sizeof build_a, "A=%s", self);
    snprintf(build_b, sizeof build_b, "B=%s", self);
    snprintf(min_rounds, sizeof min_rounds, "%d", AB_TARGET_CI_MAX_ROUNDS);
    snprintf(target, sizeof target, "%g", AB_TARGET_CI_MIN_PCT);
    char *argv[] = {"noise", "--build", build_a, "--build", build_b, "--variants", (char *)a->variants,
                    "--workloads", (char *)a->workloads, "--scale", (char *)a->scale, "--seed", (char *)a->seed,
                    "--reps", min_rounds, "--warmup", "1", "--target-ci", target, "--max-time", (char *)a->time,
                    "--events", "none", "--no-timeline", NULL};
    return ab_plan_parse_run((int)(sizeof argv / sizeof argv[0]) - 1, argv, plan);
}

/* Per (variant, workload): build A's and B's wall times paired by round. */
static size_t collect(const ab_plan *plan, const ab_run_record *rec, ab_noise_cell *cells, double *store)
{
    size_t n_pairs = plan->n_variants * plan->n_workloads, rounds = (size_t)rec->rounds_run;
    double *va = malloc((rounds + 1) * sizeof *va), *vb = malloc((rounds + 1) * sizeof *vb);
    long *ra = malloc((rounds + 1) * sizeof *ra), *rb = malloc((rounds + 1) * sizeof *rb);
    for (size_t p = 0; va && vb && ra && rb && p < n_pairs; p++) {
        size_t v = p / plan->n_workloads, w = p % plan->n_workloads, na = 0, nb = 0;
        size_t ca = ab_plan_cell(plan, 0, v, w), cb = ab_plan_cell(plan, 1, v, w);
        for (size_t i = 0; i < rec->n_samples; i++) {
            const ab_slot *s = &plan->schedule[i];
            const ab_sample_record *r = &rec->samples[i];
            double wall = rec->wall_ns[i];
            if (!r->ran || s->warmup || s->rep >= rec->rounds_run || r->status != AB_SAMPLE_OK || isnan(wall)) continue;
            size_t c = ab_plan_slot_cell(plan, s);
            if (c == ca) va[na] = wall, ra[na++] = s->rep;
            else if (c == cb) vb[nb] = wall, rb[nb++] = s->rep;
        }
        double *a = store + 2 * p * rounds, *b = a + rounds;
        cells[p].a = a;
        cells[p].b = b;
        cells[p].n = ab_pair_by_round(va, ra, na, vb, rb, nb, a, b);
    }
    free(va);
    free(vb);
    free(ra);
    free(rb);
    return n_pairs;
}

static void report(const ab_plan *plan, const ab_run_record *rec, const ab_noise_cell *cells, size_t n_cells)
{
    ab_noise_figures fig;
    ab_noise_figures_of(cells, n_cells, &fig);
    printf("A/A here: this binary twice (builds A, B), %zu cells per build (scale %g), %d rounds in %.0f s (%.1f s per round)\n",
           n_cells, plan->scale, rec->rounds_run, rec->total_wall_s,
           rec->rounds_run ? rec->total_wall_s / rec->rounds_run : NAN);
    printf("noise of one round: paired log-ratio sd %.1f%% (robust sd from the MAD %.1f%%), unpaired sd of log\n"
           "wall time %.1f%% (medians over cells)\n\n",
           fig.paired_sd_log * 100, fig.paired_robust_sd * 100, fig.unpaired_sd_log * 100);
    printf("%-10s %6s %7s %16s %12s %12s %10s\n", "compare", "rounds", "trials", "false verdicts", "5% found",
           "10% found", "MDE");
    int best_paired = 0, best_unpaired = 0;
    for (int paired = 1; paired >= 0; paired--)
        for (size_t k = 0; k < sizeof noise_trial_rounds / sizeof noise_trial_rounds[0]; k++) {
            ab_noise_setting s;
            ab_noise_setting_eval(cells, n_cells, noise_trial_rounds[k], paired, &s);
            char fv[32] = "-", d5[32] = "-", d10[32] = "-", mde[32] = "> 100%";
            if (isfinite(s.mde)) snprintf(mde, sizeof mde, "%.1f%%", s.mde * 100);
            if (s.trials) {
                snprintf(fv, sizeof fv, "%zu (%.1f%%)", s.false_verdicts, 100.0 * s.false_verdicts / s.trials);
                snprintf(d5, sizeof d5, "%.0f%%", 100.0 * s.detected[0] / s.trials);
                snprintf(d10, sizeof d10, "%.0f%%", 100.0 * s.detected[1] / s.trials);
            }
            if (!s.trials) continue;   /* fewer rounds than k */
            printf("%-10s %6d %7zu %16s %12s %12s %10s\n", paired ? "paired" : "unpaired", s.rounds, s.trials, fv,
                   d5, d10, mde);
            int *best = paired ? &best_paired : &best_unpaired;
            if (!*best && isfinite(s.mde) && s.mde <= NOISE_TARGET_EFFECT + 1e-9) *best = s.rounds;
        }
    printf("\n(false verdicts: trials of k consecutive rounds per cell calling A != B at p < %.2f;\n"
           " paired: Wilcoxon signed-rank from %d rounds, t on log ratios below; unpaired: Mann-Whitney U;\n"
           " N%% found: the same trials with B's samples x (1 + N%%) calling B slower; MDE: the least\n"
           " slowdown, in %.1f%% steps, that %.0f%% of the trials find)\n\n",
           AB_NOISE_ALPHA, AB_SIGNED_RANK_MIN_PAIRS, AB_NOISE_MDE_STEP * 100, AB_NOISE_POWER * 100);
    double round_s = rec->rounds_run ? rec->total_wall_s / rec->rounds_run : NAN;
    printf("--target-ci for paired comparisons (build vs build, variant vs baseline), at this noise\n"
           "(the noisiest cell reached +-%.1f%% over its %zu rounds):\n",
           fig.widest_half_width * 100, fig.widest_rounds);
    for (size_t h = 0; h < sizeof noise_half_widths / sizeof noise_half_widths[0]; h++) {
        double r = ab_noise_rounds_for_half_width(&fig, noise_half_widths[h]);
        printf("  --target-ci %-4g needs about %4.0f rounds (at most %.0f s for these %zu cells per build)\n",
               noise_half_widths[h] * 100, r, r * round_s, n_cells);
    }
    printf("\nadvice: ");
    if (best_paired)
        printf("compare builds or variants in one run (run --build / --variants), paired by round: %d rounds "
               "see a %.0f%% change here.", best_paired, NOISE_TARGET_EFFECT * 100);
    else
        printf("even 40 paired rounds miss a %.0f%% change here; use --target-ci 2 (docs/noise.md) with a "
               "--max-time that fits the rounds above.",
               NOISE_TARGET_EFFECT * 100);
    if (best_unpaired)
        printf(" Unpaired, it takes %d rounds.\n", best_unpaired);
    else
        printf(" Unpaired comparisons cannot see %.0f%% at 40 rounds: do not compare separate runs' wall times.\n",
               NOISE_TARGET_EFFECT * 100);
}

int cmd_noise(int argc, char **argv)
{
    noise_args a;
    int rc = parse(argc, argv, &a);
    if (rc != AB_PARSE_OK) return rc == AB_PARSE_HELP ? AB_EXIT_OK : AB_EXIT_USAGE;
    ab_plan plan;
    rc = make_plan(&a, &plan);
    if (rc != AB_PARSE_OK) {
        ab_plan_free(&plan);
        return AB_EXIT_USAGE;
    }
    ab_runner_install_interrupt_handlers();
    ab_run_record rec;
    if (ab_runner_run(&plan, &rec) != 0) {
        ab_run_record_free(&rec);
        ab_plan_free(&plan);
        return AB_EXIT_FAIL;
    }
    size_t n_pairs = plan.n_variants * plan.n_workloads, rounds = (size_t)rec.rounds_run;
    ab_noise_cell *cells = calloc(n_pairs, sizeof *cells);
    double *store = malloc((2 * n_pairs * rounds + 1) * sizeof *store);
    int status = AB_EXIT_OK;
    if (!cells || !store) {
        fprintf(stderr, "arenabench noise: out of memory\n");
        status = AB_EXIT_FAIL;
    } else if (rec.rounds_run < noise_trial_rounds[0]) {
        fprintf(stderr, "arenabench noise: only %d rounds in the time budget; give a larger --time\n", rec.rounds_run);
        status = AB_EXIT_FAIL;
    } else {
        report(&plan, &rec, cells, collect(&plan, &rec, cells, store));
    }
    free(cells);
    free(store);
    ab_run_record_free(&rec);
    ab_plan_free(&plan);
    return status;
}
