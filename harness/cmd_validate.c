/*
 * cmd_validate.c -- `arenabench validate`: does a C workload make CPython's
 * arena behaviour?  Runs each Python original under AB_PYTHON with
 * sys._debugmallocstats() right before and after the measured call, runs
 * the C equivalent on the `4k` model and on the real `cpython` allocator
 * (each in a forked child), and compares the arena deltas.
 *
 * Pass rule for a C value c against the Python value p (arenas):
 *   -tol*p <= c - p <= tol*p + startup_free
 * where startup_free is the free room (in arenas, rounded up) inside the
 * arenas the interpreter had before the call: the Python run fills those
 * first, the C run starts from an empty allocator, so C may need that many
 * more arenas and no fewer.  `current` is printed but not judged (it is 0
 * or 1 for the functions that free everything, and the seeds' survivors
 * are judged through highwater/total).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/commands.h"
#include "harness/validate/validate_run.h"
#include "harness/validate/validate_trace.h"
#include "workloads/workload.h"

#ifndef AB_PYTHON
#define AB_PYTHON "/usr/bin/python3"
#endif
#ifndef AB_SOURCE_DIR
#define AB_SOURCE_DIR "."
#endif

#define DEFAULT_TOLERANCE_PCT 5.0
#define DEFAULT_SEED 42          /* bench_obmalloc.py's random.seed(42) */
#define MAX_SPECS 64
#define SPEC_MAX 128
/* random_prune's other modes: the default list covers all three */
static const char *const extra_default_specs[] = {"random_prune:first_half", "random_prune:keep50"};
static const char *const model_variant = "4k";
static const char *const real_variant = "cpython";

static void usage(FILE *f)
{
    fprintf(f,
        "usage: arenabench validate [--scale F] [--workloads LIST|all] [--tolerance PCT] [--seed N]\n"
        "       arenabench validate --trace FILE\n"
        "\n"
        "Runs each workload's Python original under %s with sys._debugmallocstats()\n"
        "before and after the measured call, runs its C equivalent on the '%s' model and\n"
        "on the real '%s' allocator, and prints the arena deltas side by side.  Exit 1\n"
        "if a C value misses the Python value by more than PCT (default %.0f%%; C may\n"
        "exceed it by the free room the interpreter's startup arenas had), 2 on bad input.\n"
        "LIST is comma-separated workload specs (name or name:param); the default is the\n"
        "default matrix plus random_prune's other modes; 'all' adds the slow ones.\n",
        AB_PYTHON, model_variant, real_variant, DEFAULT_TOLERANCE_PCT);
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

static int add_spec(char specs[][SPEC_MAX], size_t *n, const char *spec)
{
    if (*n >= MAX_SPECS || strlen(spec) >= SPEC_MAX) return -1;
    snprintf(specs[(*n)++], SPEC_MAX, "%s", spec);
    return 0;
}

static int collect_specs(const char *list, char specs[][SPEC_MAX], size_t *n)
{
    *n = 0;
    if (!list || !strcmp(list, "all")) {
        for (const ab_workload *const *w = ab_workload_catalogue(); *w; w++) {
            if (!(*w)->python_source) continue;
            if (!list && !(*w)->in_default_matrix) continue;
            if (add_spec(specs, n, (*w)->name)) return -1;
        }
        for (size_t i = 0; i < sizeof extra_default_specs / sizeof extra_default_specs[0]; i++)
            if (add_spec(specs, n, extra_default_specs[i])) return -1;
        return 0;
    }
    char *copy = strdup(list), *save = NULL;
    if (!copy) return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const ab_workload *w = ab_workload_find(tok);
        if (!w) {
            fprintf(stderr, "arenabench validate: unknown workload '%s'\n", tok);
            free(copy);
            return -1;
        }
        if (!w->python_source) {
            fprintf(stderr, "arenabench validate: workload '%s' has no Python original\n", tok);
            free(copy);
            return -1;
        }
        if (add_spec(specs, n, tok)) {
            fprintf(stderr, "arenabench validate: too many workloads\n");
            free(copy);
            return -1;
        }
    }
    free(copy);
    if (!*n) {
        fprintf(stderr, "arenabench validate: empty workload list\n");
        return -1;
    }
    return 0;
}

typedef struct column {
    const char *name;
    ab_variant variant;
    bool usable;
    char why[256];
} column;

static void print_cell(int64_t c, int64_t p)
{
    if (p) printf(" %9lld %+7.1f%%", (long long)c, 100.0 * (double)(c - p) / (double)p);
    else printf(" %9lld %8s", (long long)c, c ? "(p=0)" : "");
}

int cmd_validate(int argc, char **argv)
{
    double scale = 1.0, tol_pct = DEFAULT_TOLERANCE_PCT, seed_d = DEFAULT_SEED;
    const char *list = NULL, *trace = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AB_EXIT_OK;
        } else if (!strcmp(a, "--scale") && has_value) {
            if (parse_double(argv[++i], &scale) || !(scale > 0)) {
                fprintf(stderr, "arenabench validate: --scale needs a positive number, got '%s'\n", argv[i]);
                return AB_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--tolerance") && has_value) {
            if (parse_double(argv[++i], &tol_pct) || tol_pct < 0) {
                fprintf(stderr, "arenabench validate: --tolerance needs a percentage >= 0, got '%s'\n", argv[i]);
                return AB_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--seed") && has_value) {
            if (parse_double(argv[++i], &seed_d) || seed_d < 0 || seed_d != (double)(uint64_t)seed_d) {
                fprintf(stderr, "arenabench validate: --seed needs a non-negative integer, got '%s'\n", argv[i]);
                return AB_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--workloads") && has_value) {
            list = argv[++i];
        } else if (!strcmp(a, "--trace") && has_value) {
            trace = argv[++i];
        } else {
            fprintf(stderr, "arenabench validate: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return AB_EXIT_USAGE;
        }
    }
    if (trace) return ab_validate_trace(trace, stdout);

    char specs[MAX_SPECS][SPEC_MAX];
    size_t nspecs;
    if (collect_specs(list, specs, &nspecs)) return AB_EXIT_USAGE;

    const char *srcdir = getenv("AB_SOURCE_DIR");
    if (!srcdir || !*srcdir) srcdir = AB_SOURCE_DIR;
    uint64_t seed = (uint64_t)seed_d;
    double tol = tol_pct / 100.0;

    column cols[2] = {{.name = model_variant}, {.name = real_variant}};
    for (size_t k = 0; k < 2; k++) {
        char err[256];
        if (ab_variant_parse(cols[k].name, &cols[k].variant, err, sizeof err))
            snprintf(cols[k].why, sizeof cols[k].why, "%s", err);
        else if (!ab_variant_available(&cols[k].variant, cols[k].why, sizeof cols[k].why))
            ;
        else
            cols[k].usable = true;
    }
    if (!cols[0].usable) {
        fprintf(stderr, "arenabench validate: the '%s' model is not available: %s\n", model_variant, cols[0].why);
        return AB_EXIT_USAGE;
    }

    printf("validate: scale %g, seed %llu, tolerance %.1f%%, python %s\n", scale,
           (unsigned long long)seed, tol_pct, AB_PYTHON);
    if (!cols[1].usable)
        printf("validate: '%s' column not available (%s); judged on '%s' only\n", real_variant,
               cols[1].why, model_variant);
    printf("%-24s %-10s %9s %9s %8s %9s %8s  %s\n", "workload", "arenas", "python", model_variant, "diff",
           real_variant, "diff", "verdict");

    int misses = 0, errors = 0;
    int64_t slack = 0;
    for (size_t s = 0; s < nspecs; s++) {
        const ab_workload *w = ab_workload_find(specs[s]);
        char script[4096], err[512];
        snprintf(script, sizeof script, "%s/%s", srcdir, w->python_source);
        ab_python_result py;
        if (ab_validate_python(AB_PYTHON, script, specs[s], scale, seed, &py, err, sizeof err)) {
            printf("%-24s error: %s\n", specs[s], err);
            errors++;
            continue;
        }
        if (py.startup_free_arenas > slack) slack = py.startup_free_arenas;
        ab_c_result c[2];
        bool have[2] = {false, false};
        for (size_t k = 0; k < 2; k++) {
            if (!cols[k].usable) continue;
            if (ab_validate_c(&cols[k].variant, specs[s], scale, seed, &c[k], err, sizeof err)) {
                printf("%-24s error on %s: %s\n", specs[s], cols[k].name, err);
                errors++;
                continue;
            }
            have[k] = true;
        }
        if (have[0] && have[1] && c[0].checksum != c[1].checksum) {
            printf("%-24s checksum differs between %s (%016llx) and %s (%016llx)\n", specs[s],
                   cols[0].name, (unsigned long long)c[0].checksum, cols[1].name,
                   (unsigned long long)c[1].checksum);
            misses++;
        }
        static const char *const metric[3] = {"total", "highwater", "current"};
        for (int m = 0; m < 3; m++) {
            int64_t p = m == 0 ? py.delta.total : m == 1 ? py.delta.highwater : py.delta.current;
            printf("%-24s %-10s %9lld", m == 0 ? specs[s] : "", metric[m], (long long)p);
            bool ok = true;
            for (size_t k = 0; k < 2; k++) {
                if (!have[k]) {
                    printf(" %9s %8s", "n/a", "");
                    continue;
                }
                int64_t v = m == 0 ? c[k].delta.total : m == 1 ? c[k].delta.highwater : c[k].delta.current;
                print_cell(v, p);
                if (m < 2 && !ab_validate_within(v, p, tol, py.startup_free_arenas)) ok = false;
            }
            if (m == 2) printf("  (not judged)\n");
            else printf("  %s\n", ok ? "ok" : "MISS");
            if (!ok) misses++;
        }
    }
    printf("validate: %zu workloads, %d misses, %d errors; C may exceed Python by the free room in "
           "Python's startup arenas (up to %lld arenas here)\n", nspecs, misses, errors, (long long)slack);
    if (errors) return AB_EXIT_FAIL;
    return misses ? AB_EXIT_FAIL : AB_EXIT_OK;
}
