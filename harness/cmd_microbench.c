/*
 * cmd_microbench.c -- `arenabench microbench`: ns per malloc/free pair and
 * per malloc+touch+free for every allocator variant, in one run.
 *
 * Every sample is measured in a freshly forked child (a new pymalloc model
 * instance, a libpython whose obmalloc state no earlier sample touched, a
 * reference allocator with no history), and samples are interleaved: rep r
 * runs the variants rotated by r, so slow drifts of a shared machine spread
 * over all variants instead of landing on one.  Reported per variant: median
 * and min over reps, and the median's ratio to `cpython`'s median, the real
 * PyObject_Malloc the model is meant to match.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "allocators/reference.h"
#include "allocators/variant.h"
#include "harness/commands.h"
#include "harness/results/results_file.h"
#include "harness/system/machine.h"
#include "harness/microbench/microbench.h"
#include "harness/util/forkcollect.h"

#define MB_DEFAULT_VARIANTS "4k,hugetlb,thp,thp-1m,noreclaim,mostfull,glibc,jemalloc,mimalloc,tcmalloc,cpython"
#define MB_DEFAULT_OPS 2000000
#define MB_DEFAULT_REPS 5
#define MB_DEFAULT_BATCH 1000
#define MB_DEFAULT_SEED 20260129   /* the day gh-144319 was opened */
#define MB_MAX_REPS 1000
#define MB_MAX_VARIANTS 64
#define MB_MAX_SIZES 64
#define MB_MAX_SIZE (1 << 20)
/* A sample that takes this long is hung, not slow. */
#define MB_CHILD_TIMEOUT_S 300
#define MB_REFERENCE "cpython"

/* Each sample is timed on two clocks; the table and ratios use CPU time. */
enum { MB_CPU, MB_WALL, MB_CLOCKS };

typedef struct mb_variant {
    char spec[AB_VARIANT_NAME_MAX];
    bool is_ref;
    ab_variant parsed;
    bool available;
    char note[512];                     /* why unavailable, or a caveat */
    double samples[AB_MB_KINDS][MB_CLOCKS][MB_MAX_REPS];
    int nsamples[AB_MB_KINDS];
    char failure[512];                  /* first failed sample, if any */
} mb_variant;

typedef struct mb_options {
    const char *variants;
    uint64_t ops;
    int reps;
    size_t batch;
    size_t sizes[MB_MAX_SIZES];
    size_t nsizes;
    uint64_t seed;
    const char *json_path;
} mb_options;

/* What a child sends back through its pipe. */
typedef struct mb_child_result {
    int ok;
    ab_mb_timing timing;
    char err[400];
} mb_child_result;

static const char *const kind_names[AB_MB_KINDS] = {"pair", "touch"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: arenabench microbench [--variants LIST] [--ops N] [--reps N] [--batch N]\n"
            "                             [--size S | --sizes LIST] [--seed N] [--json FILE]\n"
            "\n"
            "ns per malloc/free pair and per malloc+touch+free for every variant, each sample\n"
            "in a freshly forked child, variants interleaved across reps; median, min and the\n"
            "ratio of the median to the real CPython allocator (`cpython`).  Times are the\n"
            "measuring thread's CPU time (wall time is in the JSON too).\n"
            "\n"
            "  --variants LIST  comma-separated variants (default\n"
            "                   " MB_DEFAULT_VARIANTS ")\n"
            "  --ops N          measured operations per sample (default %d)\n"
            "  --reps N         samples per variant and measurement (default %d)\n"
            "  --batch N        live blocks per round: N mallocs, then N frees (default %d)\n"
            "  --size S         every request S bytes\n"
            "  --sizes LIST     requests drawn from these sizes (default: uniform 1..512)\n"
            "  --seed N         seed of the size draw and free order (default %d)\n"
            "  --json FILE      also write the results as JSON\n",
            MB_DEFAULT_OPS, MB_DEFAULT_REPS, MB_DEFAULT_BATCH, MB_DEFAULT_SEED);
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_sizes(const char *list, mb_options *o)
{
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", list);
    o->nsizes = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (o->nsizes == MB_MAX_SIZES || !parse_u64(tok, 0, MB_MAX_SIZE, &v))
            return false;
        o->sizes[o->nsizes++] = (size_t)v;
    }
    return o->nsizes > 0;
}

static int parse_options(int argc, char **argv, mb_options *o)
{
    static const struct option longopts[] = {
        {"variants", required_argument, NULL, 'v'}, {"ops", required_argument, NULL, 'o'},
        {"reps", required_argument, NULL, 'r'},     {"batch", required_argument, NULL, 'b'},
        {"size", required_argument, NULL, 's'},     {"sizes", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 'x'},     {"json", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    *o = (mb_options){.variants = MB_DEFAULT_VARIANTS, .ops = MB_DEFAULT_OPS, .reps = MB_DEFAULT_REPS,
                      .batch = MB_DEFAULT_BATCH, .seed = MB_DEFAULT_SEED};
    bool have_size = false;
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'v':
            o->variants = optarg;
            break;
        case 'o':
            if (!parse_u64(optarg, 1, UINT64_C(1) << 40, &o->ops)) {
                fprintf(stderr, "arenabench microbench: --ops wants a positive integer, got '%s'\n", optarg);
                return AB_EXIT_USAGE;
            }
            break;
        case 'r':
            if (!parse_u64(optarg, 1, MB_MAX_REPS, &v)) {
                fprintf(stderr, "arenabench microbench: --reps wants 1..%d, got '%s'\n", MB_MAX_REPS, optarg);
                return AB_EXIT_USAGE;
            }
            o->reps = (int)v;
            break;
        case 'b':
            if (!parse_u64(optarg, 1, 1 << 24, &v)) {
                fprintf(stderr, "arenabench microbench: --batch wants 1..%d, got '%s'\n", 1 << 24, optarg);
                return AB_EXIT_USAGE;
            }
            o->batch = (size_t)v;
            break;
        case 's':
        case 'S':
            if (have_size) {
                fprintf(stderr, "arenabench microbench: give one of --size and --sizes, once\n");
                return AB_EXIT_USAGE;
            }
            have_size = true;
            if (c == 's' ? !parse_u64(optarg, 0, MB_MAX_SIZE, &v) : !parse_sizes(optarg, o)) {
                fprintf(stderr, "arenabench microbench: --%s wants %s of 0..%d bytes, got '%s'\n",
                        c == 's' ? "size" : "sizes", c == 's' ? "a size" : "a comma-separated list (at most 64)",
                        MB_MAX_SIZE, optarg);
                return AB_EXIT_USAGE;
            }
            if (c == 's') {
                o->sizes[0] = (size_t)v;
                o->nsizes = 1;
            }
            break;
        case 'x':
            if (!parse_u64(optarg, 0, UINT64_MAX, &o->seed)) {
                fprintf(stderr, "arenabench microbench: --seed wants a non-negative integer, got '%s'\n", optarg);
                return AB_EXIT_USAGE;
            }
            break;
        case 'j':
            o->json_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "arenabench microbench: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return AB_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "arenabench microbench: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return AB_EXIT_USAGE;
    }
    return 0;
}

/* Split and parse the variant list in the parent, so a typo fails before
 * any sample runs.  Returns the count, or -1 after printing why. */
static int parse_variants(const char *list, mb_variant *out)
{
    char **specs, err[512] = "";
    int nspecs = ab_variant_split_list(list, &specs, err, sizeof err);
    if (nspecs < 0) {
        fprintf(stderr, "arenabench microbench: --variants: %s\n", err);
        return -1;
    }
    int n = 0, rc = 0;
    for (int k = 0; k < nspecs && rc == 0; k++) {
        const char *tok = specs[k];
        mb_variant *v = &out[n];
        if (n == MB_MAX_VARIANTS) {
            fprintf(stderr, "arenabench microbench: more than %d variants\n", MB_MAX_VARIANTS);
            rc = -1;
        } else if (memset(v, 0, sizeof *v), strlen(tok) >= sizeof v->spec) {
            fprintf(stderr, "arenabench microbench: variant name too long: '%s'\n", tok);
            rc = -1;
        }
        for (int i = 0; i < n && rc == 0; i++) {
            if (!strcmp(out[i].spec, tok)) {
                fprintf(stderr, "arenabench microbench: variant '%s' given twice\n", tok);
                rc = -1;
            }
        }
        if (rc) break;
        snprintf(v->spec, sizeof v->spec, "%s", tok);
        /* Reference allocators go straight to reference.c, so they work
         * whether or not variant.c knows them. */
        v->is_ref = ab_ref_known(tok);
        if (!v->is_ref && ab_variant_parse(tok, &v->parsed, err, sizeof err) < 0) {
            fprintf(stderr, "arenabench microbench: bad variant '%s': %s\n", tok, err);
            rc = -1;
            break;
        }
        n++;
    }
    ab_variant_list_free(specs);
    return rc ? -1 : n;
}

static int open_variant(const mb_variant *v, ab_allocator *a, char *err, size_t errlen)
{
    if (v->is_ref)
        return ab_ref_open(v->spec, a, err, errlen);
    return ab_variant_open(&v->parsed, a, err, errlen);
}

static int child_measure(const mb_variant *v, const ab_mb_pattern *pat, ab_mb_kind kind, uint64_t ops,
                         int fd)
{
    mb_child_result res = {0};
    ab_allocator a;
    if (open_variant(v, &a, res.err, sizeof res.err) == 0) {
        res.ok = ab_mb_measure(&a, pat, kind, ops, &res.timing, res.err, sizeof res.err) == 0;
        a.destroy(a.self);
    }
    ssize_t w = write(fd, &res, sizeof res);
    return w == (ssize_t)sizeof res ? 0 : 1;
}

typedef struct mb_job {
    const mb_variant *v;
    const ab_mb_pattern *pat;
    ab_mb_kind kind;
    uint64_t ops;
} mb_job;

static int mb_job_child(void *arg, int out_fd)
{
    const mb_job *j = arg;
    return child_measure(j->v, j->pat, j->kind, j->ops, out_fd);
}

/* One sample in a fresh child; false with v->failure set if it failed. */
static bool run_sample(mb_variant *v, const ab_mb_pattern *pat, ab_mb_kind kind, uint64_t ops)
{
    mb_job job = {v, pat, kind, ops};
    mb_child_result res;
    char why[200];
    if (ab_fork_collect_report(mb_job_child, &job, MB_CHILD_TIMEOUT_S, &res, sizeof res, why, sizeof why) != 0) {
        snprintf(v->failure, sizeof v->failure, "%s sample: %s", kind_names[kind], why);
        return false;
    }
    if (!res.ok) {
        snprintf(v->failure, sizeof v->failure, "%s", res.err);
        return false;
    }
    v->samples[kind][MB_CPU][v->nsamples[kind]] = res.timing.cpu_ns;
    v->samples[kind][MB_WALL][v->nsamples[kind]] = res.timing.wall_ns;
    v->nsamples[kind]++;
    return true;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and min of a variant's samples of one kind on one clock; false if
 * there are none. */
static bool summarize_clock(const mb_variant *v, ab_mb_kind kind, int clock, double *median, double *min)
{
    int n = v->nsamples[kind];
    if (n == 0)
        return false;
    double sorted[MB_MAX_REPS];
    memcpy(sorted, v->samples[kind][clock], (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_double);
    *median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    *min = sorted[0];
    return true;
}

static bool summarize(const mb_variant *v, ab_mb_kind kind, double *median, double *min)
{
    return summarize_clock(v, kind, MB_CPU, median, min);
}

static const mb_variant *find_reference(const mb_variant *vars, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(vars[i].spec, MB_REFERENCE))
            return &vars[i];
    return NULL;
}

static void describe_sizes(const mb_options *o, char *buf, size_t len)
{
    if (o->nsizes == 0) {
        snprintf(buf, len, "1-512 bytes uniform");
        return;
    }
    size_t used = (size_t)snprintf(buf, len, "%s", o->nsizes == 1 ? "" : "{");
    for (size_t i = 0; i < o->nsizes && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%zu", i ? "," : "", o->sizes[i]);
    if (used < len)
        snprintf(buf + used, len - used, "%s bytes", o->nsizes == 1 ? "" : "}");
}

static void print_table(const mb_variant *vars, int n, const mb_options *o)
{
    char sizes[256];
    describe_sizes(o, sizes, sizeof sizes);
    printf("microbench: batches of %zu live blocks (%s), %" PRIu64 " ops x %d reps per variant and\n"
           "measurement, each sample in a fresh child; thread CPU ns per op; ratio = median / median\n"
           "of %s\n\n",
           o->batch, sizes, o->ops, o->reps, MB_REFERENCE);
    printf("%-22s %9s %9s %7s   %9s %9s %7s\n", "variant", "pair ns", "min", "ratio", "touch ns", "min",
           "ratio");
    const mb_variant *ref = find_reference(vars, n);
    for (int i = 0; i < n; i++) {
        const mb_variant *v = &vars[i];
        if (!v->available) {
            printf("%-22s unavailable: %s\n", v->spec, v->note);
            continue;
        }
        printf("%-22s", v->spec);
        for (int k = 0; k < AB_MB_KINDS; k++) {
            double med, min, rmed, rmin;
            const char *gap = k ? "  " : "";
            if (!summarize(v, (ab_mb_kind)k, &med, &min)) {
                printf("%s %9s %9s %7s", gap, "-", "-", "-");
                continue;
            }
            printf("%s %9.2f %9.2f", gap, med, min);
            if (ref && summarize(ref, (ab_mb_kind)k, &rmed, &rmin) && rmed > 0)
                printf(" %7.3f", med / rmed);
            else
                printf(" %7s", "-");
        }
        printf("\n");
    }
    bool header = false;
    for (int i = 0; i < n; i++) {
        const mb_variant *v = &vars[i];
        if (!v->available || (!v->note[0] && !v->failure[0]))
            continue;
        if (!header)
            printf("\nnotes:\n");
        header = true;
        if (v->note[0])
            printf("  %s: %s\n", v->spec, v->note);
        if (v->failure[0])
            printf("  %s: FAILED: %s\n", v->spec, v->failure);
    }
}

static json_t *samples_json(const mb_variant *v, ab_mb_kind kind, int clock)
{
    double med, min;
    if (!summarize_clock(v, kind, clock, &med, &min))
        return json_null();
    json_t *arr = json_array();
    for (int i = 0; i < v->nsamples[kind]; i++)
        json_array_append_new(arr, json_real(v->samples[kind][clock][i]));
    return json_pack("{s:o, s:f, s:f}", "samples", arr, "median", med, "min", min);
}

static json_t *results_json(const mb_variant *vars, int n, const mb_options *o, int argc, char **argv)
{
    json_t *variants = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(variants, json_string(vars[i].spec));
    json_t *sizes = json_array();
    for (size_t i = 0; i < o->nsizes; i++)
        json_array_append_new(sizes, json_integer((json_int_t)o->sizes[i]));
    json_t *config = json_pack("{s:o, s:I, s:i, s:I, s:o, s:I}", "variants", variants, "ops",
                               (json_int_t)o->ops, "reps", o->reps, "batch", (json_int_t)o->batch,
                               "sizes", o->nsizes ? sizes : (json_decref(sizes), json_string("1-512 uniform")),
                               "seed", (json_int_t)o->seed);
    const mb_variant *ref = find_reference(vars, n);
    json_t *results = json_array();
    for (int i = 0; i < n; i++) {
        const mb_variant *v = &vars[i];
        json_t *ratio = json_object();
        for (int k = 0; k < AB_MB_KINDS; k++) {
            double med, min, rmed, rmin;
            if (ref && summarize(v, (ab_mb_kind)k, &med, &min) && summarize(ref, (ab_mb_kind)k, &rmed, &rmin) &&
                rmed > 0)
                json_object_set_new(ratio, kind_names[k], json_real(med / rmed));
            else
                json_object_set_new(ratio, kind_names[k], json_null());
        }
        char canonical[AB_VARIANT_NAME_MAX];
        const char *spec = v->spec;
        if (!v->is_ref) {
            ab_variant_canonical(&v->parsed, canonical, sizeof canonical);
            spec = canonical;
        }
        json_array_append_new(
            results,
            json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:o, s:o, s:o, s:o, s:o}", "variant", v->spec, "variant_spec",
                      spec, "available", v->available, "note", v->note[0] ? v->note : NULL, "failure",
                      v->failure[0] ? v->failure : NULL, "pair_ns", samples_json(v, AB_MB_PAIR, MB_CPU),
                      "touch_ns", samples_json(v, AB_MB_TOUCH, MB_CPU), "pair_wall_ns",
                      samples_json(v, AB_MB_PAIR, MB_WALL), "touch_wall_ns",
                      samples_json(v, AB_MB_TOUCH, MB_WALL), "ratio_to_cpython", ratio));
    }
    return json_pack("{s:s, s:s, s:i, s:o, s:o, s:o}", "tool", "arenabench", "kind", "microbench",
                     "schema_version", 1, "machine", ab_machine_json(argc, argv), "config", config, "results",
                     results);
}

/* jemalloc needs a bigger static-TLS surplus than a process gets by default
 * (allocators/reference.h); re-exec once with it if jemalloc was asked for. */
static void prepare_static_tls(int argc, char **argv, const mb_variant *vars, int n)
{
    bool wants_jemalloc = false;
    for (int i = 0; i < n; i++)
        wants_jemalloc |= !strcmp(vars[i].spec, "jemalloc");
    if (!wants_jemalloc)
        return;
    char **full = calloc((size_t)argc + 2, sizeof *full);
    if (!full)
        return;
    full[0] = program_invocation_name;
    for (int i = 0; i < argc; i++)
        full[i + 1] = argv[i];
    ab_ref_ensure_static_tls(full);
    free(full);
}

static int run_microbench(int argc, char **argv, const mb_options *opts, mb_variant *vars);

int cmd_microbench(int argc, char **argv)
{
    mb_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc < 0)
        return AB_EXIT_OK;   /* --help */
    if (rc)
        return rc;
    mb_variant *vars = calloc(MB_MAX_VARIANTS, sizeof *vars);
    if (!vars) {
        fprintf(stderr, "arenabench microbench: out of memory\n");
        return AB_EXIT_FAIL;
    }
    int rc_run = run_microbench(argc, argv, &o, vars);
    free(vars);
    return rc_run;
}

static int run_microbench(int argc, char **argv, const mb_options *opts, mb_variant *vars)
{
    mb_options o = *opts;
    int n = parse_variants(o.variants, vars);
    if (n < 0)
        return AB_EXIT_USAGE;
    prepare_static_tls(argc, argv, vars, n);

    /* Results go to FILE.tmp, renamed over FILE only once complete, so a
     * failed or interrupted run never destroys an earlier file; opening it
     * now makes an unwritable path a usage error before any sample runs. */
    FILE *json_file = NULL;
    char json_tmp[4096];
    if (o.json_path) {
        char why[1024];
        if (!strcmp(o.json_path, AB_OUT_STDOUT)) {
            fprintf(stderr, "arenabench microbench: --json needs a file (the table goes to standard output)\n");
            return AB_EXIT_USAGE;
        }
        if (ab_out_check(o.json_path, why, sizeof why) != 0) { /* never a FIFO, device or directory */
            fprintf(stderr, "arenabench microbench: --json: %s\n", why);
            return AB_EXIT_USAGE;
        }
        snprintf(json_tmp, sizeof json_tmp, "%s.tmp", o.json_path);
        if (!(json_file = fopen(json_tmp, "w"))) {
            fprintf(stderr, "arenabench microbench: cannot write %s: %s\n", json_tmp, strerror(errno));
            return AB_EXIT_USAGE;
        }
    }
    for (int i = 0; i < n; i++) {
        mb_variant *v = &vars[i];
        v->available = v->is_ref ? ab_ref_available(v->spec, v->note, sizeof v->note)
                                 : ab_variant_available(&v->parsed, v->note, sizeof v->note);
    }

    ab_mb_pattern pat;
    if (ab_mb_pattern_init(&pat, o.batch, o.sizes, o.nsizes, o.seed) < 0) {
        fprintf(stderr, "arenabench microbench: out of memory for a batch of %zu\n", o.batch);
        if (json_file) {
            fclose(json_file);
            unlink(json_tmp);
        }
        return AB_EXIT_FAIL;
    }
    bool any_failed = false;
    for (int rep = 0; rep < o.reps; rep++) {
        for (int j = 0; j < n; j++) {
            mb_variant *v = &vars[(j + rep) % n];
            if (!v->available)
                continue;
            for (int k = 0; k < AB_MB_KINDS; k++) {
                int kind = (k + rep) % AB_MB_KINDS;
                if (!run_sample(v, &pat, (ab_mb_kind)kind, o.ops))
                    any_failed = true;
            }
        }
    }
    ab_mb_pattern_free(&pat);

    print_table(vars, n, &o);
    if (json_file) {
        /* The early file only proved the directory writable; the results go
         * through the writer that rescues them if the write fails now. */
        fclose(json_file);
        unlink(json_tmp);
        json_t *doc = results_json(vars, n, &o, argc, argv);
        bool written = ab_results_save_reported("microbench", o.json_path, doc);
        json_decref(doc);
        if (!written) return AB_EXIT_FAIL;
    }
    return any_failed ? AB_EXIT_FAIL : AB_EXIT_OK;
}
