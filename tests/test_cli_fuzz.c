/* test_cli_fuzz.c -- a randomized command-line fuzz of `run`, `exec`,
 * `validate --trace` and `hugepages`: options and values drawn from the
 * grammar (good and bad values alike), every command run with a deadline.
 * Whatever is drawn: no crash, no hang, exit 0, 1 or 2 only, and the
 * non-regular files offered as --out or as traces (a FIFO, a symlink to
 * one, a directory, a device node when root) are exactly what they were.
 *
 * AB_FUZZ_SEED=N reproduces a run (the seed is printed); AB_FUZZ_ITERATIONS
 * overrides the count.  --hugepages is drawn only as values the driver must
 * refuse before touching the pool (too large, malformed), so this test never
 * changes the shared pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/sysmacros.h>
#include "tests/faultutil.h"

#define DEFAULT_ITERATIONS 120
#define ASAN_ITERATIONS 40
#define MAX_WORDS 40

static char dir[64];
static unsigned seed;

enum { NODE_FIFO, NODE_FIFO_LINK, NODE_DIR, NODE_DEVICE, N_NODES };
static fault_node nodes[N_NODES];
static bool have_node[N_NODES];
static char regular_out[128], trace_ok[256];

static const char *pick(const char *const *choices, size_t n)
{
    return choices[rand_r(&seed) % n];
}
/* Three times in four one of the first n_good (valid) values, else any:
 * most command lines get past the parser and run, many do not. */
static const char *pick_mostly_good(const char *const *choices, size_t n_good, size_t n)
{
    return rand_r(&seed) % 4 ? choices[rand_r(&seed) % n_good] : pick(choices, n);
}
#define PICK(arr) pick(arr, sizeof arr / sizeof arr[0])
#define PICK_GOOD(arr, n_good) pick_mostly_good(arr, n_good, sizeof arr / sizeof arr[0])

static const char *out_value(void)
{
    int r = rand_r(&seed) % 12;
    if (r < N_NODES && have_node[r]) return nodes[r].path;
    if (r == 5) return "-";
    if (r == 6) return "";
    return regular_out;
}

/* Valid values first (the count is the *_GOOD constant). */
static const char *const variants[] = {"4k", "thp", "hugetlb", "4k,thp", "pymalloc:pages=4k", "glibc",
                                       "pymalloc:pages=thp,arena=2M", "noreclaim", "bogus", "", "4k,4k"};
#define VARIANTS_GOOD 8
#define WORKLOADS_GOOD 7
static const char *const workloads[] = {
    "selftest:empty", "selftest:touch:3", "selftest:sleep:5", "selftest:fail", "selftest:badsum",
    "selftest:crash", "selftest:empty,selftest:touch:2", "fragmentation:xyz", "random_prune:bogus", "selftest:touch:0", "selftest:sleep:x",
    "replay:", "replay:/nonexistent.trace", "nosuch", "",
};
static const char *const numbers[] = {"1", "2", "3", "0", "-1", "1e9", "abc", "", "0x10", "1.5", "100001"};
#define NUMBERS_GOOD 3
static const char *const scales[] = {"0.001", "0.01", "1e-7", "1e9", "nan", "inf", "-1", "x"};
#define SCALES_GOOD 2
static const char *const timeouts[] = {"5", "10", "0", "1e8", "0.0001", "nan"};
#define TIMEOUTS_GOOD 2
static const char *const events[] = {"none", "default", "page-faults", "nosuchevent", "", "page-faults,page-faults"};
#define EVENTS_GOOD 3
static const char *const hugepages[] = {"1000000000", "-1", "x", "99999999", "1e3"};
static const char *const seeds[] = {"1", "0", "-5", "18446744073709551615", "x"};
#define SEEDS_GOOD 2
static const char *const flags[] = {"--quiet", "--no-timeline", "--force", "--help", "--bogus", "-x"};
#define FLAGS_GOOD 4

/* Append a drawn `run` command line to words. */
static size_t draw_run(char **w)
{
    size_t n = 0;
    w[n++] = "run";
    bool have_workloads = false;
    int k = 1 + rand_r(&seed) % 7;
    for (int i = 0; i < k && n + 2 < MAX_WORDS; i++) {
        switch (rand_r(&seed) % 11) {
        case 0: w[n++] = "--variants"; w[n++] = (char *)PICK_GOOD(variants, VARIANTS_GOOD); break;
        case 1:
            w[n++] = "--workloads";
            w[n++] = (char *)PICK_GOOD(workloads, WORKLOADS_GOOD);
            have_workloads = true;
            break;
        case 2:
            w[n++] = rand_r(&seed) % 2 ? "--reps" : "--warmup";
            w[n++] = (char *)PICK_GOOD(numbers, NUMBERS_GOOD);
            break;
        case 3: w[n++] = "--scale"; w[n++] = (char *)PICK_GOOD(scales, SCALES_GOOD); break;
        case 4: w[n++] = "--timeout"; w[n++] = (char *)PICK_GOOD(timeouts, TIMEOUTS_GOOD); break;
        case 5: w[n++] = "--events"; w[n++] = (char *)PICK_GOOD(events, EVENTS_GOOD); break;
        case 6: w[n++] = "--out"; w[n++] = (char *)out_value(); break;
        case 7: w[n++] = "--hugepages"; w[n++] = (char *)PICK(hugepages); break;
        case 8: w[n++] = "--seed"; w[n++] = (char *)PICK_GOOD(seeds, SEEDS_GOOD); break;
        case 9: w[n++] = (char *)PICK_GOOD(flags, FLAGS_GOOD); break;
        case 10: w[n++] = "--workloads"; w[n++] = rand_r(&seed) % 2 ? trace_ok : "replay:"; break;
        }
    }
    /* Keep a valid draw small: never the default matrix, few samples. */
    if (!have_workloads) {
        w[n++] = "--workloads";
        w[n++] = "selftest:empty";
    }
    w[n++] = "--reps";
    w[n++] = rand_r(&seed) % 2 ? "1" : "2";
    w[n++] = "--warmup";
    w[n++] = "0";
    w[n++] = "--timeout";
    w[n++] = "20";
    if (rand_r(&seed) % 2) {
        w[n++] = "--out";
        w[n++] = (char *)out_value();
    }
    return n;
}

static size_t draw_other(char **w)
{
    size_t n = 0;
    switch (rand_r(&seed) % 3) {
    case 0:
        w[n++] = "validate";
        w[n++] = "--trace";
        w[n++] = have_node[NODE_FIFO] && rand_r(&seed) % 2 ? nodes[NODE_FIFO].path : nodes[NODE_DIR].path;
        break;
    case 1:
        w[n++] = "exec";
        w[n++] = "--variant";
        w[n++] = rand_r(&seed) % 2 ? "t=true" : "f=false";
        w[n++] = "--reps";
        w[n++] = "1";
        w[n++] = "--warmup";
        w[n++] = "0";
        w[n++] = "--events";
        w[n++] = "none";
        w[n++] = "--out";
        w[n++] = (char *)out_value();
        if (rand_r(&seed) % 2) {
            w[n++] = "--hugepages";
            w[n++] = (char *)PICK(hugepages);
        }
        break;
    default:
        w[n++] = "hugepages";
        if (rand_r(&seed) % 2) w[n++] = "--bogus";
        break;
    }
    return n;
}

static void make_nodes(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/fifo", dir);
    have_node[NODE_FIFO] = mkfifo(p, 0600) == 0;
    fault_node_remember(&nodes[NODE_FIFO], p);
    char l[128];
    snprintf(l, sizeof l, "%s/fifo-link", dir);
    have_node[NODE_FIFO_LINK] = symlink(p, l) == 0;
    fault_node_remember(&nodes[NODE_FIFO_LINK], l);
    snprintf(p, sizeof p, "%s/subdir", dir);
    have_node[NODE_DIR] = mkdir(p, 0755) == 0;
    fault_node_remember(&nodes[NODE_DIR], p);
    snprintf(p, sizeof p, "%s/null", dir);
    have_node[NODE_DEVICE] = geteuid() == 0 && mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;
    if (have_node[NODE_DEVICE]) fault_node_remember(&nodes[NODE_DEVICE], p);
}

static void random_command_lines_never_crash_hang_or_destroy(void **state)
{
    (void)state;
    fault_tmpdir(dir, sizeof dir, "fuzz");
    assert_true(dir[0] != 0);
    snprintf(regular_out, sizeof regular_out, "%s/out.json", dir);
    const char *src = getenv("AB_SOURCE_DIR") ? getenv("AB_SOURCE_DIR") : ".";
    snprintf(trace_ok, sizeof trace_ok, "replay:%s/tests/corpus/trace/valid-all-ops.trace", src);
    make_nodes();
    const char *it = getenv("AB_FUZZ_ITERATIONS");
    int iterations = it ? atoi(it) : ab_test_is_asan() ? ASAN_ITERATIONS : DEFAULT_ITERATIONS;
    fprintf(stderr, "cli fuzz: %d command lines, AB_FUZZ_SEED=%u\n", iterations, seed);
    int by_status[3] = {0};
    for (int i = 0; i < iterations; i++) {
        char *w[MAX_WORDS + 12];
        size_t n = rand_r(&seed) % 5 ? draw_run(w) : draw_other(w);
        w[n] = NULL;
        char *err;
        int rc = fault_run(NULL, w, &err);
        if (rc < 0 || rc > 2) {
            fprintf(stderr, "command:");
            for (size_t j = 0; j < n; j++) fprintf(stderr, " '%s'", w[j]);
            fail_msg("\nexit %d (seed %u, iteration %d); stderr:\n%s", rc, seed, i, err);
        }
        by_status[rc]++;
        free(err);
        for (int k = 0; k < N_NODES; k++)
            if (have_node[k] && !fault_node_unchanged(&nodes[k]))
                fail_msg("%s changed (seed %u, iteration %d)", nodes[k].path, seed, i);
    }
    fprintf(stderr, "cli fuzz: exit 0: %d, 1: %d, 2: %d\n", by_status[0], by_status[1], by_status[2]);
    fault_rmtree(dir);
}

int main(void)
{
    const char *s = getenv("AB_FUZZ_SEED");
    seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_command_lines_never_crash_hang_or_destroy),
    };
    return cmocka_run_group_tests_name("cli_fuzz", tests, NULL, NULL);
}
