/*
 * test_plot.c -- `arenabench plot` on the committed fixture: every expected
 * PNG/SVG is a real image (PNG signature, IHDR size matching the script's
 * terminal, clearly bigger than a blank image of the same size rendered by
 * the same gnuplot), underscores survive literally in the SVG text, the TSV
 * data agrees with the JSON, unavailable counters are skipped with a
 * message, and a missing gnuplot exits 2.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "tests/reportutil.h"
#include "tests/testutil.h"

static char outdir[] = "/tmp/abtest-plot-XXXXXX";

typedef struct expected_image {
    const char *stem;
    uint32_t width, height;   /* as set in the plots/ scripts */
} expected_image;

static const expected_image images[] = {
    {"wall-change", 1000, 560},
    {"counter-page-faults", 1000, 560},
    {"timeline-list_of_tuples", 1000, 720},
    {"timeline-fragmentation", 1000, 720},
    {"timeline-random_prune", 1000, 720},
    {"timeline-evan_jones", 1000, 720},
    {"kept", 1200, 560},
};

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(outdir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", outdir);
    return system(cmd) == 0 ? 0 : -1;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Check the PNG signature and read the IHDR size. */
static void png_size(const char *path, uint32_t *w, uint32_t *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char head[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: missing", path);
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    assert_int_equal(got, sizeof head);
    assert_memory_equal(head, sig, 8);
    assert_memory_equal(head + 12, "IHDR", 4);
    *w = be32(head + 16);
    *h = be32(head + 20);
}

/* A PNG of the same size with nothing drawn, from the same gnuplot terminal. */
static long blank_png_size(uint32_t w, uint32_t h)
{
    char path[300], cmd[800];
    snprintf(path, sizeof path, "%s/blank-%ux%u.png", outdir, w, h);
    snprintf(cmd, sizeof cmd,
             "gnuplot -e \"set terminal pngcairo size %u,%u noenhanced; set output '%s'; unset border; "
             "unset xtics; unset ytics; unset key; plot [0:1][0:1] 2 notitle\" 2>/dev/null",
             w, h, path);
    if (system(cmd) != 0)
        return -1;
    return file_size(path);
}

static void test_plots_are_real_images(void **state)
{
    (void)state;
    char fixture[1024], args[1400];
    ab_fixture_path("small-a.json", fixture, sizeof fixture);
    snprintf(args, sizeof args, "plot %s -o %s", fixture, outdir);
    char *out = NULL, *err = NULL;
    int rc = ab_test_run_arenabench(args, &out, &err);
    if (rc)
        fail_msg("plot exited %d\n%s\n%s", rc, out, err);
    /* dTLB was not counted in the fixture: skipped, and said so */
    assert_non_null(strstr(out, "counters.dTLB-load-misses not counted on this machine (not_supported)"));
    assert_non_null(strstr(out, "7 rendered"));
    char path[600];
    snprintf(path, sizeof path, "%s/counter-dTLB-load-misses.png", outdir);
    assert_int_equal(file_size(path), -1);

    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        uint32_t w, h;
        snprintf(path, sizeof path, "%s/%s.png", outdir, images[i].stem);
        png_size(path, &w, &h);
        assert_int_equal(w, images[i].width);
        assert_int_equal(h, images[i].height);
        long blank = blank_png_size(w, h), size = file_size(path);
        assert_true(blank > 0);
        if (size < 3 * blank)
            fail_msg("%s is %ld bytes, a blank %ux%u image is %ld: nothing drawn?", path, size, w, h, blank);

        snprintf(path, sizeof path, "%s/%s.svg", outdir, images[i].stem);
        char *svg = ab_test_slurp(path);
        assert_non_null(svg);
        assert_non_null(strstr(svg, "<svg"));
        free(svg);
        snprintf(path, sizeof path, "%s/%s.tsv", outdir, images[i].stem);
        assert_true(file_size(path) > 0);
    }
    /* noenhanced: "list_of_tuples" is one text run, not l/ist/of subscripts */
    snprintf(path, sizeof path, "%s/wall-change.svg", outdir);
    char *svg = ab_test_slurp(path);
    assert_non_null(strstr(svg, ">list_of_tuples<"));
    free(svg);
    free(out);
    free(err);
}

static void test_tsv_matches_json(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/wall-change.tsv", outdir);
    char *tsv = ab_test_slurp(path);
    assert_non_null(tsv);
    assert_true(!strncmp(tsv, "workload\thugetlb\thugetlb_lo\thugetlb_hi\tthp\t", 40));
    const char *row = strstr(tsv, "\nfragmentation\t");
    assert_non_null(row);
    double change, lo, hi;
    assert_int_equal(sscanf(row, "\nfragmentation\t%lf\t%lf\t%lf", &change, &lo, &hi), 3);
    json_t *root = ab_fixture_load("small-a.json");
    double base = ab_fixture_mean(ab_fixture_cell(root, "4k", "fragmentation"), "wall_ns");
    double huge = ab_fixture_mean(ab_fixture_cell(root, "hugetlb", "fragmentation"), "wall_ns");
    json_decref(root);
    assert_true(fabs(change - 100 * (huge / base - 1)) < 1e-3);
    assert_true(lo < change && change < hi);
    free(tsv);

    /* kept: only workloads that free arenas (random_prune, evan_jones) */
    snprintf(path, sizeof path, "%s/kept.tsv", outdir);
    tsv = ab_test_slurp(path);
    assert_non_null(tsv);
    assert_non_null(strstr(tsv, "\nrandom_prune\t"));
    assert_non_null(strstr(tsv, "\nevan_jones\t"));
    assert_null(strstr(tsv, "list_of_tuples"));
    free(tsv);
}

static void test_missing_gnuplot_exits_2(void **state)
{
    (void)state;
    char fixture[1024], args[1400];
    ab_fixture_path("small-a.json", fixture, sizeof fixture);
    snprintf(args, sizeof args, "plot %s -o %s/none", fixture, outdir);
    setenv("AB_GNUPLOT", "/nonexistent/gnuplot", 1);
    char *out = NULL, *err = NULL;
    int rc = ab_test_run_arenabench(args, &out, &err);
    unsetenv("AB_GNUPLOT");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "gnuplot not found"));
    free(out);
    free(err);
    assert_int_equal(ab_test_run_arenabench("plot /nonexistent.json", &out, &err), 2);
    assert_non_null(strstr(err, "cannot open"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plots_are_real_images),
        cmocka_unit_test(test_tsv_matches_json),
        cmocka_unit_test(test_missing_gnuplot_exits_2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
