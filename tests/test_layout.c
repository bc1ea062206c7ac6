/* test_layout.c -- the source tree's layering, read from the files
 * themselves: arrows only point down.
 *
 *   allocators/  <  workloads/  <  harness/util  <  counters  <  system
 *     <  results  <  run  <  report  <  validate, microbench  <  harness/ (cmd_*.c)
 *
 * A file may include headers of its own folder or of a lower layer, never of
 * a higher one or of a sibling at the same height.  The page backends meet
 * only in pages.c: none names another backend's initialiser.  The harness
 * reaches the pymalloc model only through allocators/allocator.h and
 * variant.h, except the commands that report the model itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"

/* The tree under test: tests/run.sh exports AB_SOURCE_DIR; the build's
 * source directory otherwise. */
static const char *source_dir(void)
{
    const char *d = getenv("AB_SOURCE_DIR");
    return d && *d ? d : AB_SOURCE_DIR;
}

typedef struct layer {
    const char *dir;   /* repository-relative folder, no trailing slash */
    int height;
} layer;

/* Folders at equal height are siblings and may not include each other. */
static const layer layers[] = {
    {"allocators", 0},       {"workloads", 1},      {"workloads/trace", 1},
    {"harness/util", 2},     {"harness/counters", 3}, {"harness/system", 4},
    {"harness/results", 5},  {"harness/run", 6},    {"harness/report", 7},
    {"harness/validate", 8}, {"harness/microbench", 8}, {"harness", 10},
};
#define N_LAYERS (sizeof layers / sizeof layers[0])

static const layer *layer_of_dir(const char *dir)
{
    for (size_t i = 0; i < N_LAYERS; i++)
        if (!strcmp(layers[i].dir, dir)) return &layers[i];
    return NULL;
}

/* The folder part of a repository-relative path ("harness/run/plan.h" ->
 * "harness/run"). */
static void dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    snprintf(buf, len, "%.*s", slash ? (int)(slash - path) : 0, path);
}

/* Whether the file at `from` (a folder in layers[]) may include `header`. */
static bool include_allowed(const char *from, const char *header, char *why, size_t whylen)
{
    char hdir[256];
    dir_of(header, hdir, sizeof hdir);
    const layer *lf = layer_of_dir(from), *lh = layer_of_dir(hdir);
    if (!lh) return true;   /* tests/, build/ or a generated header: not a layer */
    if (!strcmp(from, hdir)) return true;
    /* workloads/ and workloads/trace/ are one layer that may see each other. */
    if (lf->height == 1 && lh->height == 1) return true;
    if (lh->height < lf->height) return true;
    snprintf(why, whylen, "%s (height %d) includes %s (height %d)", from, lf->height, header, lh->height);
    return false;
}

static int check_file(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", source_dir(), dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        char header[256];
        if (sscanf(line, " #include \"%255[^\"]\"", header) != 1) continue;
        char why[600];
        if (!include_allowed(dir, header, why, sizeof why)) {
            fprintf(stderr, "upward include in %s/%s: %s\n", dir, name, why);
            bad++;
        }
    }
    fclose(f);
    return bad;
}

static bool is_source(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

static int check_dir(const char *dir, int *files)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", source_dir(), dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    int bad = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (is_source(e->d_name)) {
            bad += check_file(dir, e->d_name);
            (*files)++;
        }
    closedir(d);
    return bad;
}

static void no_upward_includes(void **state)
{
    (void)state;
    int bad = 0, files = 0;
    for (size_t i = 0; i < N_LAYERS; i++) bad += check_dir(layers[i].dir, &files);
    /* Guard against a vacuous pass (wrong source dir, folders renamed). */
    assert_true(files > 60);
    assert_int_equal(bad, 0);
}

/* The checker itself: it must reject what the layering forbids. */
static void checker_rejects_upward_and_sibling_includes(void **state)
{
    (void)state;
    char why[600];
    assert_false(include_allowed("harness/run", "harness/report/report_table.h", why, sizeof why));
    assert_false(include_allowed("harness/validate", "harness/microbench/microbench.h", why, sizeof why));
    assert_false(include_allowed("allocators", "workloads/workload.h", why, sizeof why));
    assert_false(include_allowed("workloads", "harness/util/exit_codes.h", why, sizeof why));
    assert_false(include_allowed("harness/run", "harness/commands.h", why, sizeof why));
    assert_true(include_allowed("harness/report", "harness/run/plan.h", why, sizeof why));
    assert_true(include_allowed("harness", "harness/run/plan.h", why, sizeof why));
}

static void page_backends_do_not_know_each_other(void **state)
{
    (void)state;
    static const char *const backends[] = {"4k", "hugetlb", "thp"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/allocators/pages_%s.c", source_dir(), backends[i]);
        char *text = ab_test_slurp(path);
        assert_non_null(text);
        for (size_t j = 0; j < 3; j++) {
            if (i == j) continue;
            char sym[64];
            snprintf(sym, sizeof sym, "ab_pages_%s_init", backends[j]);
            if (strstr(text, sym)) fprintf(stderr, "pages_%s.c names %s\n", backends[i], sym);
            assert_null(strstr(text, sym));
        }
        free(text);
    }
}

/* The run pipeline drives allocators through allocator.h; only commands
 * that report the model itself may include its header. */
static void run_pipeline_does_not_reach_into_the_model(void **state)
{
    (void)state;
    static const char *const dirs[] = {"harness/run", "harness/results", "harness/report", "harness/util"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", source_dir(), dirs[d]);
        DIR *dir = opendir(path);
        assert_non_null(dir);
        for (struct dirent *e; (e = readdir(dir)) != NULL;) {
            if (!is_source(e->d_name)) continue;
            char file[1024];
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            char *text = ab_test_slurp(file);
            assert_non_null(text);
            if (strstr(text, "\"allocators/pymalloc.h\""))
                fprintf(stderr, "%s/%s includes the pymalloc model\n", dirs[d], e->d_name);
            assert_null(strstr(text, "\"allocators/pymalloc.h\""));
            free(text);
        }
        closedir(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checker_rejects_upward_and_sibling_includes),
        cmocka_unit_test(no_upward_includes),
        cmocka_unit_test(page_backends_do_not_know_each_other),
        cmocka_unit_test(run_pipeline_does_not_reach_into_the_model),
    };
    return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
