/* test_hugepool.c -- `--hugepages N` reserves the pool for the run and puts
 * /proc/sys/vm/nr_hugepages back after success, after a failed sample, and
 * after SIGINT/SIGTERM; without root it prints the command and exits 2.
 * Needs root (skips otherwise); the teardown restores the pool whatever
 * happened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness/system/hugepool.h"
#include "tests/testutil.h"

#define RESERVE 4

static long original_pool = -1;
static char out_path[64];

static long read_pool(void)
{
    FILE *f = fopen(AB_NR_HUGEPAGES_PATH, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

static void write_pool(long v)
{
    FILE *f = fopen(AB_NR_HUGEPAGES_PATH, "w");
    if (f) {
        fprintf(f, "%ld\n", v);
        fclose(f);
    }
}

static int setup(void **state)
{
    (void)state;
    original_pool = read_pool();
    snprintf(out_path, sizeof out_path, "/tmp/abhuge-%d.json", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (geteuid() == 0 && original_pool >= 0 && read_pool() != original_pool) {
        fprintf(stderr, "teardown: nr_hugepages was left at %ld, restoring %ld\n", read_pool(), original_pool);
        write_pool(original_pool);
    }
    unlink(out_path);
    return 0;
}

static void need_root(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: not root, cannot change %s\n", AB_NR_HUGEPAGES_PATH);
        skip();
    }
}

static int run(const char *args)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "run --quiet --out %s --reps 1 --warmup 0 %s", out_path, args);
    return ab_test_run_arenabench(cmd, NULL, NULL);
}

static void restored_after_success(void **state)
{
    (void)state;
    need_root();
    long before = read_pool();
    assert_int_equal(run("--variants hugetlb --workloads selftest:badsum --hugepages " "4"), 0);
    assert_int_equal(read_pool(), before);
    json_t *doc = json_load_file(out_path, 0, NULL);
    assert_non_null(doc);
    json_t *config = json_object_get(doc, "config");
    assert_int_equal(json_integer_value(json_object_get(config, "hugepages")), RESERVE);
    json_int_t free_at_start = json_integer_value(json_object_get(config, "hugepages_free_at_start"));
    if (free_at_start >= 1) {
        /* The pool really was there during the sample: the model's one
         * MAP_HUGETLB arena did not fall back to 4 KiB pages. */
        json_t *s = json_array_get(json_object_get(json_array_get(json_object_get(doc, "cells"), 0), "samples"), 0);
        json_t *alloc = json_object_get(s, "alloc");
        assert_int_equal(json_integer_value(json_object_get(alloc, "hugetlb_fallbacks")), 0);
    } else {
        fprintf(stderr, "note: the kernel provided no huge pages (fragmented memory?)\n");
    }
    json_decref(doc);
}

static void restored_after_failure(void **state)
{
    (void)state;
    need_root();
    long before = read_pool();
    assert_int_equal(run("--variants hugetlb,4k --workloads selftest:crash,selftest:empty --hugepages 4"), 1);
    assert_int_equal(read_pool(), before);
}

/* Start a hanging run, wait until the pool has grown, send sig, check. */
static void interrupted_by(int sig)
{
    long before = read_pool();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(ab_test_arenabench(), ab_test_arenabench(), "run", "--quiet", "--out", out_path, "--reps", "1",
              "--warmup", "0", "--variants", "4k", "--workloads", "selftest:hang", "--timeout", "60",
              "--hugepages", "4", (char *)NULL);
        _exit(127);
    }
    bool grew = false;
    for (int i = 0; i < 1000 && !grew; i++) {
        grew = read_pool() > before;
        if (!grew) usleep(10000);
    }
    kill(pid, sig);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!grew) fprintf(stderr, "note: the pool never grew (no free memory for huge pages?)\n");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 128 + sig);
    assert_int_equal(read_pool(), before);
    json_t *doc = json_load_file(out_path, 0, NULL);
    assert_non_null(doc); /* partial results are still written */
    assert_true(json_is_true(json_object_get(json_object_get(doc, "run"), "interrupted")));
    json_decref(doc);
}

static void restored_after_sigint(void **state)
{
    (void)state;
    need_root();
    interrupted_by(SIGINT);
}

static void restored_after_sigterm(void **state)
{
    (void)state;
    need_root();
    interrupted_by(SIGTERM);
}

static void not_root_gets_the_command(void **state)
{
    (void)state;
    need_root(); /* to become someone else */
    long before = read_pool();
    char errp[] = "/tmp/abhuge-err-XXXXXX";
    int efd = mkstemp(errp);
    assert_true(efd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(efd, 2);
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
        execl(ab_test_arenabench(), ab_test_arenabench(), "run", "--out", "/tmp/abhuge-nobody.json",
              "--variants", "4k", "--workloads", "selftest:empty", "--hugepages", "4", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    char *err = ab_test_slurp(errp);
    close(efd);
    unlink(errp);
    if (WEXITSTATUS(st) == 127) {
        fprintf(stderr, "SKIP: user nobody cannot execute %s\n", ab_test_arenabench());
        free(err);
        skip();
    }
    assert_int_equal(WEXITSTATUS(st), 2);
    assert_non_null(strstr(err, "sudo tee " AB_NR_HUGEPAGES_PATH));
    assert_int_equal(access("/tmp/abhuge-nobody.json", F_OK), -1);
    assert_int_equal(read_pool(), before);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(restored_after_success),
        cmocka_unit_test(restored_after_failure),
        cmocka_unit_test(restored_after_sigint),
        cmocka_unit_test(restored_after_sigterm),
        cmocka_unit_test(not_root_gets_the_command),
    };
    return cmocka_run_group_tests_name("hugepool", tests, setup, teardown);
}
