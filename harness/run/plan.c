/*
 * plan.c -- command line to plan (see plan.h for the invariants).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "harness/run/plan.h"
#include "harness/run/builds.h"
#include "harness/counters/counters.h"
#include "tlbsim/model.h"
#include "harness/results/results_file.h"

/* ---- strict numbers --------------------------------------------------- */

int ab_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int ab_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int ab_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* ---- small string helpers ---------------------------------------------- */

static char *dupstr(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "arenabench: out of memory\n");
        exit(AB_PARSE_USAGE);
    }
    return d;
}

static void *grow(void *p, size_t n, size_t elsize)
{
    void *q = realloc(p, n * elsize);
    if (!q) {
        fprintf(stderr, "arenabench: out of memory\n");
        exit(AB_PARSE_USAGE);
    }
    return q;
}

/* Comma-separated list to tokens (empty tokens are kept so they can be
 * reported as errors). */
static char **split_commas(const char *list, size_t *n)
{
    char **tok = NULL;
    size_t count = 0;
    const char *p = list;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        tok = grow(tok, count + 1, sizeof *tok);
        tok[count] = strndup(p, len);
        if (!tok[count]) exit(AB_PARSE_USAGE);
        count++;
        if (!c) break;
        p = c + 1;
    }
    *n = count;
    return tok;
}

static void free_tokens(char **tok, size_t n)
{
    for (size_t i = 0; i < n; i++) free(tok[i]);
    free(tok);
}

/* ---- words ------------------------------------------------------------- */

char **ab_split_words(const char *cmd, char *err, size_t errlen)
{
    size_t cap = strlen(cmd) + 1;
    char **words = NULL;
    size_t n = 0;
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        char *w = malloc(cap), *o = w;
        if (!w) exit(AB_PARSE_USAGE);
        char quote = 0;
        for (; *p; p++) {
            if (quote == '\'') {
                if (*p == '\'') quote = 0;
                else *o++ = *p;
            } else if (*p == '\\' && p[1] && (quote == 0 || strchr("\"\\$`", p[1]))) {
                *o++ = *++p;
            } else if (quote == '"') {
                if (*p == '"') quote = 0;
                else *o++ = *p;
            } else if (*p == '\'' || *p == '"') {
                quote = *p;
            } else if (*p == ' ' || *p == '\t' || *p == '\n') {
                break;
            } else {
                *o++ = *p;
            }
        }
        *o = 0;
        words = grow(words, n + 2, sizeof *words);
        words[n++] = w;
        words[n] = NULL;
        if (quote) {
            snprintf(err, errlen, "unbalanced %c quote in command '%s'", quote, cmd);
            ab_free_words(words);
            return NULL;
        }
    }
    if (n == 0) {
        snprintf(err, errlen, "empty command");
        free(words);
        return NULL;
    }
    return words;
}

void ab_free_words(char **words)
{
    if (!words) return;
    for (char **w = words; *w; w++) free(*w);
    free(words);
}

/* ---- schedule ---------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): a tiny, well-mixed generator whose
 * whole state is one word, so the schedule depends on nothing but the seed. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Unbiased integer in [0, bound) by rejection. */
static uint64_t below(uint64_t *state, uint64_t bound)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do r = splitmix64(state);
    while (r >= limit);
    return r % bound;
}

static void shuffle_indices(size_t *x, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)below(state, i);
        size_t t = x[i - 1];
        x[i - 1] = x[j];
        x[j] = t;
    }
}

void ab_schedule_interleaved(size_t n_variants, size_t n_workloads, int warmup, int reps,
                             uint64_t seed, ab_slot *out)
{
    uint64_t state = seed;
    size_t pos = 0;
    size_t *workload_order = grow(NULL, n_workloads + 1, sizeof *workload_order);
    size_t *variant_order = grow(NULL, n_variants + 1, sizeof *variant_order);
    for (int round = 0; round < warmup + reps; round++) {
        for (size_t w = 0; w < n_workloads; w++) workload_order[w] = w;
        shuffle_indices(workload_order, n_workloads, &state);
        for (size_t k = 0; k < n_workloads; k++) {
            for (size_t v = 0; v < n_variants; v++) variant_order[v] = v;
            shuffle_indices(variant_order, n_variants, &state);
            for (size_t v = 0; v < n_variants; v++) {
                ab_slot *sl = &out[pos];
                sl->variant = variant_order[v];
                sl->workload = workload_order[k];
                sl->warmup = round < warmup;
                sl->rep = round < warmup ? round : round - warmup;
                sl->order = pos++;
            }
        }
    }
    free(workload_order);
    free(variant_order);
}

/*
 * Builds are shuffled as if each (variant, build) pair were a variant of its
 * own, so every round holds every build of every cell once, in random order;
 * without builds the schedule is exactly the historical one for a seed.
 */
static void build_schedule(ab_plan *p)
{
    size_t nb = ab_plan_n_builds(p);
    p->max_rounds = p->target_ci_pct > 0 && p->reps < AB_TARGET_CI_MAX_ROUNDS ? AB_TARGET_CI_MAX_ROUNDS : p->reps;
    p->n_slots = (size_t)(p->warmup + p->max_rounds) * ab_plan_n_cells(p);
    p->schedule = grow(NULL, p->n_slots ? p->n_slots : 1, sizeof *p->schedule);
    ab_schedule_interleaved(p->n_variants * nb, p->n_workloads, p->warmup, p->max_rounds, p->seed, p->schedule);
    for (size_t i = 0; i < p->n_slots; i++) {
        p->schedule[i].build = (uint16_t)(p->schedule[i].variant % nb);
        p->schedule[i].variant /= nb;
    }
}

/* ---- variants, workloads, events --------------------------------------- */

static int usage_error(const char *cmd, const char *fmt, const char *what)
{
    fprintf(stderr, "arenabench %s: ", cmd);
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n(see arenabench %s --help)\n", cmd);
    return AB_PARSE_USAGE;
}

/* "--reps needs an integer in [1, 100000], not 'x'": the real bounds. */
static int bounds_error(const char *cmd, const char *option, const char *what, double min, double max,
                        const char *arg)
{
    fprintf(stderr, "arenabench %s: %s needs %s in [%.15g, %.15g], not '%s'\n(see arenabench %s --help)\n", cmd,
            option, what, min, max, arg, cmd);
    return AB_PARSE_USAGE;
}

static bool has_variant(const ab_plan *p, const char *name)
{
    for (size_t i = 0; i < p->n_variants; i++)
        if (!strcmp(p->variants[i].name, name)) return true;
    return false;
}

static int add_variants(ab_plan *p, const char *list)
{
    char **specs, err[256] = "";
    int n = ab_variant_split_list(list, &specs, err, sizeof err);
    if (n < 0) return usage_error("run", "%s", err);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *spec = specs[i];
        if (has_variant(p, spec)) {
            rc = usage_error("run", "variant '%s' given twice", spec);
            break;
        }
        ab_variant v;
        if (ab_variant_parse(spec, &v, err, sizeof err) != 0) {
            fprintf(stderr, "arenabench run: unknown or malformed variant '%s'%s%s\n", spec,
                    *err ? ": " : "", err);
            fprintf(stderr, "(arenabench list shows the variants)\n");
            rc = AB_PARSE_USAGE;
            break;
        }
        p->variants = grow(p->variants, p->n_variants + 1, sizeof *p->variants);
        ab_plan_variant *pv = &p->variants[p->n_variants++];
        memset(pv, 0, sizeof *pv);
        pv->name = dupstr(spec);
        pv->variant = v;
        char canon[AB_VARIANT_NAME_MAX];
        ab_variant_canonical(&v, canon, sizeof canon);
        pv->spec_text = dupstr(canon);
    }
    ab_variant_list_free(specs);
    return rc;
}

/*
 * Workload parameters are key=value lists themselves ("prefork:workers=2,
 * touch=0.01"): a token with '=' but no ':' continues the spec before it (a
 * workload name never contains '=').  Joins in place; returns the new count.
 */
static size_t join_param_tokens(char **tok, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && strchr(tok[i], '=') && !strchr(tok[i], ':') && strchr(tok[out - 1], ':')) {
            size_t a = strlen(tok[out - 1]), b = strlen(tok[i]);
            char *joined = grow(tok[out - 1], a + b + 2, 1);
            joined[a] = ',';
            memcpy(joined + a + 1, tok[i], b + 1);
            tok[out - 1] = joined;
            free(tok[i]);
        } else {
            tok[out++] = tok[i];
        }
    }
    return out;
}

/* "--build NAME=PATH" or "--build NAME=git:REF"; resolved by resolve_builds. */
static int add_build(ab_plan *p, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) return usage_error("run", "--build needs NAME=PATH or NAME=git:REF, not '%s'", arg);
    size_t len = (size_t)(eq - arg);
    for (size_t i = 0; i < len; i++)
        if (!ab_build_name_char(arg[i]))
            return usage_error("run", "--build: a build name is letters, digits, '.', '_' and '-', not in '%s'", arg);
    for (size_t i = 0; i < p->n_builds; i++)
        if (strlen(p->builds[i].name) == len && !strncmp(p->builds[i].name, arg, len))
            return usage_error("run", "--build: build name given twice in '%s'", arg);
    if (p->n_builds == AB_MAX_BUILDS) return usage_error("run", "--build: too many builds at '%s' (plan.h AB_MAX_BUILDS)", arg);
    p->builds = grow(p->builds, p->n_builds + 1, sizeof *p->builds);
    ab_plan_build *b = &p->builds[p->n_builds++];
    memset(b, 0, sizeof *b);
    b->name = strndup(arg, len);
    if (!b->name) exit(AB_PARSE_USAGE);
    b->source = dupstr(eq + 1);
    return 0;
}

/* Every build to an absolute, runnable binary with the sample entry point. */
static int resolve_builds(ab_plan *p)
{
    for (size_t i = 0; i < p->n_builds; i++) {
        ab_plan_build *b = &p->builds[i];
        char err[1024] = "";
        if (ab_build_resolve(b->source, !p->quiet, &b->path, &b->commit, err, sizeof err) != 0) {
            fprintf(stderr, "arenabench run: --build %s=%s: %s\n", b->name, b->source, err);
            return AB_PARSE_USAGE;
        }
    }
    return 0;
}

static int add_workloads(ab_plan *p, const char *list)
{
    size_t n;
    char **tok = split_commas(list, &n);
    n = join_param_tokens(tok, n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const ab_workload *w = *tok[i] ? ab_workload_find(tok[i]) : NULL;
        if (!w) {
            fprintf(stderr, "arenabench run: unknown workload '%s'\n"
                            "(arenabench list shows the workloads)\n", tok[i]);
            rc = AB_PARSE_USAGE;
            break;
        }
        char err[512];
        if (ab_workload_check_spec(w, tok[i], err, sizeof err) != 0) {
            fprintf(stderr, "arenabench run: workload '%s': %s\n(arenabench list shows the workloads)\n", tok[i], err);
            rc = AB_PARSE_USAGE;
            break;
        }
        for (size_t j = 0; j < p->n_workloads; j++)
            if (!strcmp(p->workloads[j].spec, tok[i])) {
                rc = usage_error("run", "workload '%s' given twice", tok[i]);
                break;
            }
        if (rc) break;
        p->workloads = grow(p->workloads, p->n_workloads + 1, sizeof *p->workloads);
        p->workloads[p->n_workloads].spec = dupstr(tok[i]);
        p->workloads[p->n_workloads].workload = w;
        p->n_workloads++;
    }
    free_tokens(tok, n);
    return rc;
}

static void free_events(ab_plan *p)
{
    for (size_t i = 0; i < p->n_events; i++) free(p->events[i]);
    free(p->events);
    p->events = NULL;
    p->n_events = 0;
}

static int set_events(ab_plan *p, const char *cmd, const char *list)
{
    free_events(p);
    if (!strcmp(list, "none")) return 0;
    if (!strcmp(list, "default")) {
        size_t n;
        const char *const *dfl = ab_counters_default_events(&n);
        p->events = grow(NULL, n ? n : 1, sizeof *p->events);
        for (size_t i = 0; i < n; i++) p->events[i] = dupstr(dfl[i]);
        p->n_events = n;
        return 0;
    }
    size_t n;
    p->events = split_commas(list, &n);
    p->n_events = n;
    for (size_t i = 0; i < n; i++) {
        if (!*p->events[i]) return usage_error(cmd, "empty event name in '%s'", list);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->events[i], p->events[j]))
                return usage_error(cmd, "event '%s' given twice", p->events[i]);
    }
    char err[256] = "";
    if (ab_counters_check_events((const char *const *)p->events, n, err, sizeof err) != 0) {
        fprintf(stderr, "arenabench %s: %s\n(arenabench list shows the events)\n", cmd,
                *err ? err : "unknown event");
        return AB_PARSE_USAGE;
    }
    return 0;
}

static int check_pin(const char *cmd, long cpu)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0 || cpu >= CPU_SETSIZE || !CPU_ISSET((int)cpu, &set)) {
        fprintf(stderr, "arenabench %s: --pin %ld: CPU %ld is not available to this process\n", cmd, cpu, cpu);
        return AB_PARSE_USAGE;
    }
    return 0;
}

/* ---- help -------------------------------------------------------------- */

static const char run_help[] =
    "usage: arenabench run [OPTIONS]\n"
    "\n"
    "Run every variant x workload cell; each sample in a freshly forked child.\n"
    "\n"
    "  --variants LIST   comma-separated variants (presets, pymalloc:... specs,\n"
    "                    reference allocators); default: 4k,hugetlb,\n"
    "                    hugetlb-main,hugepages-nopool,thp,thp-1m,noreclaim,mostfull;\n"
    "                    may be repeated\n"
    "  --workloads LIST  comma-separated workloads (name or name:param; a param may\n"
    "                    itself be key=value,key=value, e.g. prefork:workers=2,touch=0.1);\n"
    "                    default: the default matrix (arenabench list)\n"
    "  --reps N          measured samples per cell (default 5)\n"
    "  --warmup N        discarded samples per cell, run first (default 1)\n"
    "  --scale F         workload size factor, 1.0 = the seed's sizes (default 1.0)\n"
    "  --events LIST     counter events (libpfm4/perf names), 'default' or 'none'\n"
    "  --pin CPU         run every sample on this CPU (sched_setaffinity)\n"
    "  --seed S          schedule and workload seed (default 1)\n"
    "  --timeout SEC     per-sample limit (default max(30, 120 x scale))\n"
    "  --out FILE        results JSON (default results/out/latest.json); '-' for\n"
    "                    standard output.  FILE must be absent or a regular file;\n"
    "                    missing directories are created (docs/reliability.md)\n"
    "  --hugepages N     as root: make N huge pages free for the run, restore after\n"
    "                    (shared safely by overlapping runs; repair after kill -9\n"
    "                    with: arenabench hugepages --restore)\n"
    "  --force           allow --hugepages above half of memory\n"
    "  --shard K/N       run only the K-th of N disjoint parts of the plan (1 <= K <= N);\n"
    "                    every variant of a workload is in the same part; merge the\n"
    "                    parts with arenabench merge\n"
    "  --no-timeline     do not record the memory timeline\n"
    "  --settle SEC      after the measured phase wait SEC seconds, then read huge-page\n"
    "                    coverage again (hugepage_coverage_settled: did khugepaged collapse?)\n"
    "  --tlb-model M     feed the workload's and the allocator's data accesses to a\n"
    "                    TLB simulator (M: golden-cove, ice-lake, zen2 or a model\n"
    "                    file); each sample gets a \"sim\" block (status simulated);\n"
    "                    runs the instrumented build, build/arenabench-tlbsim\n"
    "  --quiet           no progress and no summary lines\n"
    "  --build NAME=PATH run every cell with this arenabench binary too (repeatable;\n"
    "                    the first build is the baseline); NAME=git:REF builds REF of\n"
    "                    the current directory's git repository in a cached worktree\n"
    "  --target-ci PCT   add rounds until every cell's 95% CI half-width on wall time\n"
    "                    (paired against the baseline build/variant) is within PCT%;\n"
    "                    --reps is then the least number of rounds (default 10;\n"
    "                    docs/noise.md)\n"
    "  --max-time SEC    the time budget of --target-ci (default 600)\n"
    "\n"
    "exit status: 0 all samples ok; 1 a sample failed or checksums disagree\n"
    "(results are still written); 2 bad input (nothing is written).\n";

static const char exec_help[] =
    "usage: arenabench exec --variant NAME=COMMAND [--variant NAME=COMMAND ...] [OPTIONS]\n"
    "\n"
    "Measure whole external commands as variants: each sample is a fork+exec with\n"
    "counters enabled at exec; wall time and rusage of the whole child.\n"
    "COMMAND is split into words (quotes and backslashes as in sh, no expansion).\n"
    "\n"
    "  --variant NAME=COMMAND   a variant (repeatable, at least one)\n"
    "  --env NAME:VAR=VAL       set VAR=VAL for variant NAME only (repeatable)\n"
    "  --label TEXT             the workload label in the results (default: exec)\n"
    "  --reps N / --warmup N / --events LIST / --pin CPU / --seed S / --timeout SEC /\n"
    "  --out FILE / --hugepages N / --force / --quiet    as for arenabench run\n"
    "  --show-output            let the commands' stdout/stderr through (default: /dev/null)\n";

/* ---- the parsers --------------------------------------------------------- */

enum {
    OPT_VARIANTS = 256, OPT_WORKLOADS, OPT_REPS, OPT_WARMUP, OPT_SCALE, OPT_EVENTS, OPT_PIN,
    OPT_SEED, OPT_TIMEOUT, OPT_OUT, OPT_HUGEPAGES, OPT_NO_TIMELINE, OPT_QUIET, OPT_HELP,
    OPT_VARIANT, OPT_ENV, OPT_LABEL, OPT_SHOW_OUTPUT, OPT_SETTLE, OPT_BUILD, OPT_TARGET_CI, OPT_MAX_TIME,
    OPT_TLB_MODEL, OPT_SHARD, OPT_FORCE,
};

/* --tlb-model: load and validate now, so a bad model stops the run before
 * anything is measured. */
static int set_tlb_model(ab_plan *p, const char *arg)
{
    char path[4096], err[1024];
    ab_tlb_model_path(arg, path, sizeof path);
    ab_tlb_model *m = calloc(1, sizeof *m);
    if (!m) return usage_error("run", "--tlb-model: out of memory%s", "");
    if (ab_tlb_model_load(path, m, err, sizeof err) != 0) {
        free(m);
        return usage_error("run", "--tlb-model %s", err);
    }
    free(p->tlb_model);
    free(p->tlb_model_path);
    p->tlb_model = m;
    p->tlb_model_path = dupstr(path);
    return 0;
}

static void plan_defaults(ab_plan *p, ab_plan_mode mode)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->reps = AB_DEFAULT_REPS;
    p->warmup = AB_DEFAULT_WARMUP;
    p->scale = 1.0;
    p->seed = AB_DEFAULT_SEED;
    p->pin = -1;
    p->timeout_s = -1;
    p->hugepages = -1;
    p->timeline = mode == AB_MODE_WORKLOADS;
}

/* Options common to run and exec; returns 0, or AB_PARSE_USAGE. */
static int common_option(ab_plan *p, const char *cmd, int opt, const char *arg,
                         bool *events_given)
{
    long l;
    double d;
    switch (opt) {
    case OPT_REPS:
        if (ab_parse_long(arg, 1, AB_REPS_MAX, &l)) return bounds_error(cmd, "--reps", "an integer", 1, AB_REPS_MAX, arg);
        p->reps = (int)l;
        return 0;
    case OPT_WARMUP:
        if (ab_parse_long(arg, 0, AB_WARMUP_MAX, &l)) return bounds_error(cmd, "--warmup", "an integer", 0, AB_WARMUP_MAX, arg);
        p->warmup = (int)l;
        return 0;
    case OPT_EVENTS:
        *events_given = true;
        return set_events(p, cmd, arg);
    case OPT_PIN:
        if (ab_parse_long(arg, 0, CPU_SETSIZE - 1, &l)) return usage_error(cmd, "--pin needs a CPU number, not '%s'", arg);
        p->pin = (int)l;
        return check_pin(cmd, l);
    case OPT_SEED:
        /* JSON integers are signed 64-bit in jansson: keep the seed representable. */
        if (ab_parse_u64(arg, &p->seed) || p->seed > (uint64_t)INT64_MAX)
            return usage_error(cmd, "--seed needs an integer in [0, 2^63), not '%s'", arg);
        return 0;
    case OPT_TIMEOUT:
        if (ab_parse_double(arg, AB_TIMEOUT_MIN_OPT_S, AB_TIMEOUT_MAX_OPT_S, &d))
            return bounds_error(cmd, "--timeout", "seconds", AB_TIMEOUT_MIN_OPT_S, AB_TIMEOUT_MAX_OPT_S, arg);
        p->timeout_s = d;
        return 0;
    case OPT_OUT:
        if (!*arg) return usage_error(cmd, "--out needs a file name (or - for standard output)%s", "");
        free(p->out);
        p->out = dupstr(arg);
        return 0;
    case OPT_HUGEPAGES:
        if (ab_parse_long(arg, 0, AB_HUGEPAGES_MAX, &l))
            return bounds_error(cmd, "--hugepages", "an integer", 0, (double)AB_HUGEPAGES_MAX, arg);
        p->hugepages = l;
        return 0;
    case OPT_FORCE:
        p->force = true;
        return 0;
    case OPT_QUIET:
        p->quiet = true;
        return 0;
    default:
        return AB_PARSE_USAGE;
    }
}

static int unknown_option(const char *cmd, int argc, char **argv)
{
    const char *bad = optind - 1 < argc ? argv[optind - 1] : "?";
    if (optopt && optopt < 256) fprintf(stderr, "arenabench %s: bad option '-%c'\n", cmd, optopt);
    else fprintf(stderr, "arenabench %s: unknown option or missing argument: '%s'\n", cmd, bad);
    fprintf(stderr, "(see arenabench %s --help)\n", cmd);
    return AB_PARSE_USAGE;
}

double ab_plan_default_timeout_s(double scale)
{
    double t = AB_TIMEOUT_PER_SCALE_S * scale;
    return t < AB_TIMEOUT_MIN_S ? AB_TIMEOUT_MIN_S : t;
}

static int finish_common(ab_plan *p, bool events_given)
{
    const char *cmd = p->mode == AB_MODE_EXEC ? "exec" : "run";
    if (!events_given) set_events(p, cmd, "default");
    if (!p->out) p->out = dupstr(AB_DEFAULT_OUT);
    char err[1024];
    if (ab_out_check(p->out, err, sizeof err) != 0) {
        fprintf(stderr, "arenabench %s: --out: %s\n", cmd, err);
        return AB_PARSE_USAGE;
    }
    if (p->timeout_s < 0) {
        double work = p->mode == AB_MODE_EXEC ? 1.0 : p->scale;
        if (p->tlb_model) work *= AB_TLBSIM_TIMEOUT_FACTOR;
        p->timeout_s = ab_plan_default_timeout_s(work) + p->settle_s;
    }
    build_schedule(p);
    return AB_PARSE_OK;
}

/* Keep this shard's workloads; the whole list stays in plan_workloads. */
static int keep_shard(ab_plan *p)
{
    long *shard_of = grow(NULL, p->n_workloads, sizeof *shard_of);
    p->plan_workloads = grow(NULL, p->n_workloads, sizeof *p->plan_workloads);
    for (size_t w = 0; w < p->n_workloads; w++) p->plan_workloads[w] = dupstr(p->workloads[w].spec);
    p->n_plan_workloads = p->n_workloads;
    ab_shard_assign((const char *const *)p->plan_workloads, p->n_workloads, p->shard.count, shard_of);
    size_t kept = 0;
    for (size_t w = 0; w < p->n_workloads; w++) {
        if (shard_of[w] == p->shard.index - 1) p->workloads[kept++] = p->workloads[w];
        else free(p->workloads[w].spec);
    }
    p->n_workloads = kept;
    free(shard_of);
    if (kept > 0) return AB_PARSE_OK;
    fprintf(stderr, "arenabench run: --shard %ld/%ld holds no workload: the plan has %zu workload%s, so at most %zu shards\n",
            p->shard.index, p->shard.count, p->n_plan_workloads, p->n_plan_workloads == 1 ? "" : "s",
            p->n_plan_workloads);
    return AB_PARSE_USAGE;
}

/* The default matrix's presets, in the order tables show them. */
static const char default_variants[] = "4k,hugetlb,hugetlb-main,hugepages-nopool,thp,thp-1m,noreclaim,mostfull";

int ab_plan_parse_run(int argc, char **argv, ab_plan *p)
{
    static const struct option opts[] = {
        {"variants", required_argument, NULL, OPT_VARIANTS},
        {"workloads", required_argument, NULL, OPT_WORKLOADS},
        {"reps", required_argument, NULL, OPT_REPS},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"pin", required_argument, NULL, OPT_PIN},
        {"seed", required_argument, NULL, OPT_SEED},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"out", required_argument, NULL, OPT_OUT},
        {"hugepages", required_argument, NULL, OPT_HUGEPAGES},
        {"force", no_argument, NULL, OPT_FORCE},
        {"no-timeline", no_argument, NULL, OPT_NO_TIMELINE},
        {"settle", required_argument, NULL, OPT_SETTLE},
        {"tlb-model", required_argument, NULL, OPT_TLB_MODEL},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"build", required_argument, NULL, OPT_BUILD},
        {"target-ci", required_argument, NULL, OPT_TARGET_CI},
        {"max-time", required_argument, NULL, OPT_MAX_TIME},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    plan_defaults(p, AB_MODE_WORKLOADS);
    bool max_time_given = false;
    bool events_given = false, reps_given = false;
    int rc = 0, opt;
    optind = 0; /* full re-initialisation of GNU getopt */
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_VARIANTS: rc = add_variants(p, optarg); break;
        case OPT_WORKLOADS: rc = add_workloads(p, optarg); break;
        case OPT_SCALE:
            if (ab_parse_double(optarg, AB_SCALE_MIN, AB_SCALE_MAX, &p->scale))
                rc = bounds_error("run", "--scale", "a number", AB_SCALE_MIN, AB_SCALE_MAX, optarg);
            break;
        case OPT_NO_TIMELINE: p->timeline = false; break;
        case OPT_SETTLE:
            if (ab_parse_double(optarg, 0, AB_SETTLE_MAX_S, &p->settle_s)) {
                char what[160];
                snprintf(what, sizeof what, "--settle needs seconds in [0, %g], not '%.60s'", AB_SETTLE_MAX_S, optarg);
                rc = usage_error("run", "%s", what);
            }
            break;
        case OPT_BUILD: rc = add_build(p, optarg); break;
        case OPT_TARGET_CI:
            if (ab_parse_double(optarg, AB_TARGET_CI_MIN_PCT, 100, &p->target_ci_pct))
                rc = usage_error("run", "--target-ci needs a percentage in [0.1, 100], not '%s'", optarg);
            break;
        case OPT_MAX_TIME:
            max_time_given = true;
            if (ab_parse_double(optarg, 1, 1e7, &p->max_time_s))
                rc = usage_error("run", "--max-time needs seconds >= 1, not '%s'", optarg);
            break;
        case OPT_TLB_MODEL: rc = set_tlb_model(p, optarg); break;
        case OPT_SHARD:
            if (ab_shard_parse(optarg, &p->shard))
                rc = usage_error("run", "--shard needs K/N with 1 <= K <= N, not '%s'", optarg);
            break;
        case OPT_HELP: case 'h': fputs(run_help, stdout); return AB_PARSE_HELP;
        case '?': case ':': return unknown_option("run", argc, argv);
        default:
            reps_given = reps_given || opt == OPT_REPS;
            rc = common_option(p, "run", opt, optarg, &events_given);
            break;
        }
    }
    if (rc) return rc;
    if (optind < argc) return usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (p->target_ci_pct > 0 && !reps_given) p->reps = AB_TARGET_CI_DEFAULT_MIN_ROUNDS;
    if (p->n_builds && p->tlb_model)
        return usage_error("run", "--build and --tlb-model together are not supported: a build's sample "
                                  "entry point is not given the model%s", "");
    if (max_time_given && p->target_ci_pct <= 0)
        return usage_error("run", "--max-time is the budget of --target-ci; give --target-ci PCT too%s", "");
    if (p->target_ci_pct > 0 && !max_time_given) p->max_time_s = AB_TARGET_CI_DEFAULT_MAX_TIME_S;
    if (p->n_variants == 0 && (rc = add_variants(p, default_variants))) return rc;
    if (p->n_workloads == 0) {
        for (const ab_workload *const *w = ab_workload_catalogue(); *w; w++) {
            if (!(*w)->in_default_matrix) continue;
            const char *const just_name[] = {(*w)->name, NULL};
            for (const char *const *spec = (*w)->default_specs ? (*w)->default_specs : just_name; *spec; spec++) {
                p->workloads = grow(p->workloads, p->n_workloads + 1, sizeof *p->workloads);
                p->workloads[p->n_workloads].spec = dupstr(*spec);
                p->workloads[p->n_workloads].workload = *w;
                p->n_workloads++;
            }
        }
        if (p->n_workloads == 0) {
            fprintf(stderr, "arenabench run: no workload is in the default matrix in this build; name some with --workloads\n");
            return AB_PARSE_USAGE;
        }
    }
    if (p->shard.count > 0 && (rc = keep_shard(p))) return rc;
    /* Last: a git:REF build may take minutes, so only a plan that is
     * otherwise sound gets that far. */
    if ((rc = resolve_builds(p))) return rc;
    return finish_common(p, events_given);
}

/* "--env NAME:VAR=VAL" entries wait until every --variant is known. */
static int apply_env(ab_plan *p, char **envs, size_t n_envs)
{
    for (size_t i = 0; i < n_envs; i++) {
        char *colon = strchr(envs[i], ':');
        char *eq = colon ? strchr(colon, '=') : NULL;
        if (!colon || !eq || eq == colon + 1)
            return usage_error("exec", "--env needs NAME:VAR=VAL, not '%s'", envs[i]);
        size_t v;
        for (v = 0; v < p->n_variants; v++)
            if (strlen(p->variants[v].name) == (size_t)(colon - envs[i]) &&
                !strncmp(p->variants[v].name, envs[i], (size_t)(colon - envs[i])))
                break;
        if (v == p->n_variants) return usage_error("exec", "--env '%s' names no --variant", envs[i]);
        ab_plan_variant *pv = &p->variants[v];
        pv->env = grow(pv->env, pv->n_env + 1, sizeof *pv->env);
        pv->env[pv->n_env++] = dupstr(colon + 1);
    }
    return 0;
}

static int add_exec_variant(ab_plan *p, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return usage_error("exec", "--variant needs NAME=COMMAND, not '%s'", arg);
    char *name = strndup(arg, (size_t)(eq - arg));
    if (!name) exit(AB_PARSE_USAGE);
    if (strchr(name, ':') || has_variant(p, name)) {
        int rc = usage_error("exec", "variant name '%s' is used twice or contains ':'", name);
        free(name);
        return rc;
    }
    char err[256];
    char **words = ab_split_words(eq + 1, err, sizeof err);
    if (!words) {
        free(name);
        return usage_error("exec", "--variant: %s", err);
    }
    p->variants = grow(p->variants, p->n_variants + 1, sizeof *p->variants);
    ab_plan_variant *pv = &p->variants[p->n_variants++];
    memset(pv, 0, sizeof *pv);
    pv->name = name;
    pv->spec_text = dupstr(eq + 1);
    pv->argv = words;
    return 0;
}

int ab_plan_parse_exec(int argc, char **argv, ab_plan *p)
{
    static const struct option opts[] = {
        {"variant", required_argument, NULL, OPT_VARIANT},
        {"env", required_argument, NULL, OPT_ENV},
        {"label", required_argument, NULL, OPT_LABEL},
        {"reps", required_argument, NULL, OPT_REPS},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"pin", required_argument, NULL, OPT_PIN},
        {"seed", required_argument, NULL, OPT_SEED},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"out", required_argument, NULL, OPT_OUT},
        {"hugepages", required_argument, NULL, OPT_HUGEPAGES},
        {"force", no_argument, NULL, OPT_FORCE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"show-output", no_argument, NULL, OPT_SHOW_OUTPUT},
        {"tlb-model", required_argument, NULL, OPT_TLB_MODEL},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    plan_defaults(p, AB_MODE_EXEC);
    bool events_given = false;
    char **envs = NULL;
    size_t n_envs = 0;
    const char *label = "exec";
    int rc = 0, opt;
    optind = 0;
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_VARIANT: rc = add_exec_variant(p, optarg); break;
        case OPT_ENV:
            envs = grow(envs, n_envs + 1, sizeof *envs);
            envs[n_envs++] = optarg;
            break;
        case OPT_LABEL:
            if (!*optarg) rc = usage_error("exec", "--label needs text%s", "");
            label = optarg;
            break;
        case OPT_SHOW_OUTPUT: p->show_output = true; break;
        case OPT_TLB_MODEL:
            /* The accesses of an exec'ed program are not instrumented
             * (docs/tlb-model.md says what would be needed). */
            rc = usage_error("exec", "--tlb-model is not supported for exec: an external "
                             "command's memory accesses are not instrumented; use run%s", "");
            break;
        case OPT_HELP: case 'h': free(envs); fputs(exec_help, stdout); return AB_PARSE_HELP;
        case '?': case ':': free(envs); return unknown_option("exec", argc, argv);
        default: rc = common_option(p, "exec", opt, optarg, &events_given); break;
        }
    }
    if (rc == 0 && optind < argc) rc = usage_error("exec", "unexpected argument '%s'", argv[optind]);
    if (rc == 0 && p->n_variants == 0) rc = usage_error("exec", "at least one --variant NAME=COMMAND is needed%s", "");
    if (rc == 0) rc = apply_env(p, envs, n_envs);
    free(envs);
    if (rc) return rc;
    p->workloads = grow(NULL, 1, sizeof *p->workloads);
    p->workloads[0].spec = dupstr(label);
    p->workloads[0].workload = NULL;
    p->n_workloads = 1;
    return finish_common(p, events_given);
}

void ab_plan_free(ab_plan *p)
{
    for (size_t i = 0; i < p->n_variants; i++) {
        ab_plan_variant *v = &p->variants[i];
        free(v->name);
        free(v->spec_text);
        ab_free_words(v->argv);
        for (size_t j = 0; j < v->n_env; j++) free(v->env[j]);
        free(v->env);
    }
    free(p->variants);
    for (size_t i = 0; i < p->n_workloads; i++) free(p->workloads[i].spec);
    free(p->workloads);
    for (size_t i = 0; i < p->n_builds; i++) {
        free(p->builds[i].name);
        free(p->builds[i].source);
        free(p->builds[i].path);
        free(p->builds[i].commit);
    }
    free(p->builds);
    for (size_t i = 0; i < p->n_plan_workloads; i++) free(p->plan_workloads[i]);
    free(p->plan_workloads);
    free_events(p);
    free(p->out);
    free(p->tlb_model);
    free(p->tlb_model_path);
    free(p->schedule);
    memset(p, 0, sizeof *p);
}
