/* test_reliability.c -- the fault-injection rows of issue 14 that do not
 * touch the huge page pool (test_pool_safety.c has those): --out is checked
 * before the first sample and never replaces a non-regular file; a run whose
 * final write fails keeps its results at a stated path; bad workload
 * parameters and traces are exit 2 before anything runs and FIFOs never
 * hang; messages give the real bounds; an interrupted summary counts the
 * samples that ran.  Rows that need root (device nodes, an unprivileged
 * user, a full tmpfs) skip with a reason otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include "tests/faultutil.h"
#include "tests/reportutil.h"

static char dir[64];
static char out[128];

static int setup(void **state)
{
    (void)state;
    fault_tmpdir(dir, sizeof dir, "rel");
    snprintf(out, sizeof out, "%s/out.json", dir);
    return dir[0] ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    fault_rmtree(dir);
    return 0;
}

static void need_root(const char *why)
{
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: not root: %s\n", why);
        skip();
    }
}

/* `run` of one empty self-test sample with --out OUT; the status, stderr. */
static int run_to(const char *target, const fault_opts *o, char **err)
{
    char *argv[] = {"run", "--quiet", "--variants", "4k", "--workloads", "selftest:empty", "--reps", "1",
                    "--warmup", "0", "--no-timeline", "--out", (char *)target, NULL};
    return fault_run(o, argv, err);
}

/* A refused --out: exit 2, a message naming it, the node untouched. */
static void assert_refused(const char *target, const char *why)
{
    fault_node n;
    fault_node_remember(&n, target);
    char *err;
    assert_int_equal(run_to(target, NULL, &err), 2);
    if (!strstr(err, why)) fail_msg("--out %s: expected '%s' in: %s", target, why, err);
    assert_null(strstr(err, "samples in")); /* nothing ran */
    assert_true(fault_node_unchanged(&n));
    free(err);
}

/* ---- --out ---------------------------------------------------------------- */

static void out_fifo_is_refused_and_kept(void **state)
{
    (void)state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_refused(fifo, "is a FIFO");
}

static void out_symlinks_to_fds_and_fifos_are_refused_and_kept(void **state)
{
    (void)state;
    /* fault_start gives the driver /dev/null as stdin: fd 0 is a device. */
    char link[128], fifo[128], link2[128];
    snprintf(link, sizeof link, "%s/stdin-link", dir);
    assert_int_equal(symlink("/proc/self/fd/0", link), 0);
    assert_refused(link, "symbolic link to a character device");
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(link2, sizeof link2, "%s/fifo-link", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink(fifo, link2), 0);
    assert_refused(link2, "symbolic link to a FIFO");
}

static void out_private_device_nodes_are_refused_and_kept(void **state)
{
    (void)state;
    need_root("mknod needs CAP_MKNOD");
    char full[128], null[128];
    snprintf(full, sizeof full, "%s/full", dir);
    snprintf(null, sizeof null, "%s/null", dir);
    assert_int_equal(mknod(full, S_IFCHR | 0666, makedev(1, 7)), 0); /* like /dev/full */
    assert_int_equal(mknod(null, S_IFCHR | 0666, makedev(1, 3)), 0); /* like /dev/null */
    assert_refused(full, "character device");
    assert_refused(null, "character device");
    assert_refused("/dev/full", "character device");
}

static void out_directory_and_long_name_are_refused(void **state)
{
    (void)state;
    assert_refused(dir, "is a directory");
    char longname[400];
    int n = snprintf(longname, sizeof longname, "%s/", dir);
    memset(longname + n, 'x', 300);
    longname[n + 300] = 0;
    char *err;
    assert_int_equal(run_to(longname, NULL, &err), 2);
    assert_non_null(strstr(err, "too long"));
    free(err);
    /* Short enough for the file system, too long once the temporary
     * suffix is added: refused up front rather than failing at the end. */
    memset(longname + n, 'y', 250);
    longname[n + 250] = 0;
    assert_int_equal(run_to(longname, NULL, &err), 2);
    assert_non_null(strstr(err, "too long"));
    free(err);
}

static void out_unwritable_directory_is_refused_up_front(void **state)
{
    (void)state;
    need_root("needs to become an unprivileged user");
    char locked[128], target[160];
    snprintf(locked, sizeof locked, "%s/locked", dir);
    assert_int_equal(mkdir(locked, 0755), 0); /* root's: nobody cannot write */
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(target, sizeof target, "%s/r.json", locked);
    fault_opts o = {.as_nobody = true};
    char *err;
    int rc = run_to(target, &o, &err);
    if (rc == 127 || rc == 126) {
        free(err);
        fprintf(stderr, "SKIP: user nobody cannot execute %s\n", ab_test_arenabench());
        skip();
    }
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "cannot write in directory"));
    assert_non_null(strstr(err, "Permission denied"));
    free(err);
}

static void out_missing_directories_are_created(void **state)
{
    (void)state;
    char deep[160];
    snprintf(deep, sizeof deep, "%s/a/b/c.json", dir);
    char *err;
    assert_int_equal(run_to(deep, NULL, &err), 0);
    free(err);
    json_t *doc = json_load_file(deep, 0, NULL);
    assert_non_null(doc);
    json_decref(doc);
}

static void out_symlink_to_regular_file_updates_the_file(void **state)
{
    (void)state;
    char real[128], link[128];
    snprintf(real, sizeof real, "%s/real.json", dir);
    snprintf(link, sizeof link, "%s/link.json", dir);
    FILE *f = fopen(real, "w");
    fputs("old\n", f);
    fclose(f);
    assert_int_equal(symlink("real.json", link), 0);
    assert_int_equal(run_to(link, NULL, NULL), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode)); /* the link is kept ... */
    json_t *doc = json_load_file(real, 0, NULL); /* ... and the file it names has the results */
    assert_non_null(doc);
    json_decref(doc);
}

static void out_dash_writes_the_document_to_stdout(void **state)
{
    (void)state;
    char *argv[] = {"run", "--variants", "4k", "--workloads", "selftest:empty", "--reps", "1",
                    "--warmup", "0", "--no-timeline", "--out", "-", NULL};
    fault_proc p;
    fault_start(&p, NULL, argv);
    assert_int_equal(fault_wait(&p), 0);
    char *text = fault_stdout(&p);
    fault_done(&p);
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e); /* the summary table went to stderr */
    if (!doc) fail_msg("stdout is not the results document: %s", e.text);
    assert_non_null(json_object_get(doc, "cells"));
    json_decref(doc);
    free(text);
}

/* ---- a finished run is never lost ----------------------------------------- */

static void write_failure_on_a_full_disk_keeps_the_results(void **state)
{
    (void)state;
    need_root("mounting a small tmpfs needs CAP_SYS_ADMIN");
    char mnt[128], rescue[128], target[160];
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    snprintf(rescue, sizeof rescue, "%s/rescue", dir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    assert_int_equal(mkdir(rescue, 0755), 0);
    if (mount("abtest", mnt, "tmpfs", 0, "size=64k") != 0) {
        fprintf(stderr, "SKIP: cannot mount a tmpfs: %s\n", strerror(errno));
        skip();
    }
    /* Leave one page free: room at the check, none for the results. */
    char filler[192];
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    FILE *f = fopen(filler, "w");
    static char block[4096];
    while (f && fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0) {}
    if (f) fclose(f);
    truncate(filler, 60 * 1024 - 4096);
    snprintf(target, sizeof target, "%s/r.json", mnt);
    fault_opts o = {.tmpdir = rescue};
    char *argv[] = {"run", "--variants", "4k,thp", "--workloads", "selftest:touch:20", "--reps", "2",
                    "--warmup", "0", "--out", target, NULL};
    char *err;
    int rc = fault_run(&o, argv, &err);
    umount2(mnt, MNT_DETACH);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "No space left on device"));
    assert_null(strstr(err, "results in"));
    const char *kept = strstr(err, "kept in ");
    assert_non_null(kept);
    char path[256];
    assert_int_equal(sscanf(kept + 8, "%255s", path), 1);
    assert_int_equal(strncmp(path, rescue, strlen(rescue)), 0);
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "cells")), 2);
    json_decref(doc);
    free(err);
}

static void write_failure_under_a_file_size_limit_says_why(void **state)
{
    (void)state;
    /* ulimit -f: the driver's own writes draw SIGXFSZ and EFBIG.  The run
     * must neither die of it nor claim results it could not write. */
    fault_opts o = {.fsize_limit = 2048, .tmpdir = dir};
    char *argv[] = {"run", "--variants", "4k", "--workloads", "selftest:touch:20", "--reps", "3",
                    "--warmup", "0", "--out", out, NULL};
    char *err;
    int rc = fault_run(&o, argv, &err);
    assert_true(rc == 1 || rc == 128 + SIGXFSZ);
    assert_non_null(strstr(err, "File too large"));
    assert_null(strstr(err, "results in"));
    free(err);
}

static void fifo_appearing_during_the_run_is_not_replaced(void **state)
{
    (void)state;
    char *argv[] = {"run", "--variants", "4k", "--workloads", "selftest:sleep:1000", "--reps", "1", "--warmup", "0",
                    "--no-timeline", "--out", out, NULL};
    fault_opts o = {.tmpdir = dir};
    fault_proc p;
    fault_start(&p, &o, argv);
    assert_true(fault_wait_for_child(p.pid, 20000)); /* past the up-front check, inside the sample */
    assert_int_equal(mkfifo(out, 0600), 0);
    fault_node n;
    fault_node_remember(&n, out);
    assert_int_equal(fault_wait(&p), 1);
    char *err = fault_stderr(&p);
    fault_done(&p);
    assert_true(fault_node_unchanged(&n));
    assert_non_null(strstr(err, "is now a FIFO"));
    assert_non_null(strstr(err, "kept in"));
    free(err);
}

/* ---- bad input is exit 2 before anything runs ------------------------------- */

static void assert_bad_workload(const char *spec, const char *why)
{
    char *argv[] = {"run", "--quiet", "--variants", "4k", "--workloads", (char *)spec, "--reps", "1",
                    "--warmup", "0", "--out", out, NULL};
    unlink(out);
    char *err;
    assert_int_equal(fault_run(NULL, argv, &err), 2);
    if (!strstr(err, why)) fail_msg("%s: expected '%s' in: %s", spec, why, err);
    assert_int_equal(access(out, F_OK), -1); /* nothing written */
    free(err);
}

static void bad_workload_parameters_are_exit_2(void **state)
{
    (void)state;
    assert_bad_workload("random_prune:bogus", "unknown mode 'bogus'");
    assert_bad_workload("fragmentation:xyz", "takes no parameter");
    assert_bad_workload("selftest:touch:0", "malformed selftest");
    assert_bad_workload("replay:", "needs a trace file");
}

static void bad_traces_are_exit_2_up_front(void **state)
{
    (void)state;
    char p[256], spec[300];
    snprintf(spec, sizeof spec, "replay:%s/missing.trace", dir);
    assert_bad_workload(spec, "No such file");
    snprintf(p, sizeof p, "%s/empty.trace", dir);
    fclose(fopen(p, "w"));
    snprintf(spec, sizeof spec, "replay:%s", p);
    assert_bad_workload(spec, "0 bytes");
    snprintf(p, sizeof p, "%s/random.trace", dir);
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 4096; i++) fputc(rand() & 0xff, f);
    fclose(f);
    snprintf(spec, sizeof spec, "replay:%s", p);
    assert_bad_workload(spec, "magic");
    const char *src = getenv("AB_SOURCE_DIR") ? getenv("AB_SOURCE_DIR") : ".";
    snprintf(spec, sizeof spec, "replay:%s/tests/corpus/trace/truncated-no-end.trace", src);
    assert_bad_workload(spec, "truncated");
    snprintf(spec, sizeof spec, "replay:%s/tests/corpus/trace/corrupt-double-free.trace", src);
    assert_bad_workload(spec, "");
}

static void fifo_traces_never_hang(void **state)
{
    (void)state;
    char fifo[128], spec[160];
    snprintf(fifo, sizeof fifo, "%s/trace.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(spec, sizeof spec, "replay:%s", fifo);
    assert_bad_workload(spec, "a FIFO");
    char *argv[] = {"validate", "--trace", fifo, NULL};
    char *err;
    assert_int_equal(fault_run(NULL, argv, &err), 2); /* fault_run gives 255 on a hang */
    assert_non_null(strstr(err, "a FIFO"));
    free(err);
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

/* ---- messages --------------------------------------------------------------- */

static void messages_state_the_real_bounds(void **state)
{
    (void)state;
    char *err;
    char *scale[] = {"run", "--scale", "1e9", NULL};
    assert_int_equal(fault_run(NULL, scale, &err), 2);
    assert_non_null(strstr(err, "[1e-06, 1000000]"));
    free(err);
    char *timeout[] = {"run", "--timeout", "1e8", NULL};
    assert_int_equal(fault_run(NULL, timeout, &err), 2);
    assert_non_null(strstr(err, "[0.001, 10000000]"));
    free(err);
    char *reps[] = {"run", "--reps", "0", NULL};
    assert_int_equal(fault_run(NULL, reps, &err), 2);
    assert_non_null(strstr(err, "[1, 100000]"));
    free(err);
}

static void huge_pool_request_needs_force(void **state)
{
    (void)state;
    /* (Whether the pool stayed put is not asserted here: other tests on the
     * machine may move it meanwhile.  Exit 2 comes before any reservation.) */
    char *argv[] = {"run", "--variants", "4k", "--workloads", "selftest:empty", "--hugepages", "1000000",
                    "--out", out, NULL};
    char *err;
    assert_int_equal(fault_run(NULL, argv, &err), 2);
    assert_non_null(strstr(err, "--force"));
    assert_non_null(strstr(err, "50%"));
    assert_null(strstr(err, "samples in"));
    assert_int_equal(access(out, F_OK), -1);
    free(err);
}

static void interrupted_summary_counts_what_ran(void **state)
{
    (void)state;
    char *argv[] = {"run", "--variants", "4k", "--workloads", "selftest:sleep:150", "--reps", "12",
                    "--warmup", "0", "--no-timeline", "--out", out, NULL};
    fault_proc p;
    fault_start(&p, NULL, argv);
    assert_true(fault_wait_for_child(p.pid, 20000));
    usleep(400 * 1000); /* a few of the twelve 150 ms samples */
    kill(p.pid, SIGINT);
    assert_int_equal(fault_wait(&p), 128 + SIGINT);
    char *err = fault_stderr(&p);
    fault_done(&p);
    json_t *doc = json_load_file(out, 0, NULL);
    assert_non_null(doc);
    json_int_t ran = json_integer_value(json_object_get(json_object_get(doc, "run"), "samples_run"));
    assert_true(ran >= 1 && ran < 12);
    char expect[64];
    snprintf(expect, sizeof expect, "%lld of 12 samples ran", (long long)ran);
    if (!strstr(err, expect)) fail_msg("expected '%s' in: %s", expect, err);
    assert_null(strstr(err, "12 samples in"));
    json_decref(doc);
    free(err);
}

/* `merge` writes results too: the same up-front check of its OUT. */
static void merge_refuses_a_fifo_as_out(void **state)
{
    (void)state;
    char fifo[128], in[1024];
    snprintf(fifo, sizeof fifo, "%s/merged.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fault_node n;
    fault_node_remember(&n, fifo);
    ab_fixture_path("small-a.json", in, sizeof in);
    char *argv[] = {"merge", fifo, in, NULL};
    char *err;
    assert_int_equal(fault_run(NULL, argv, &err), 2);
    assert_non_null(strstr(err, "is a FIFO"));
    assert_true(fault_node_unchanged(&n));
    free(err);
}

/* The table's compare row, at the scale a reader might default to: a file
 * without config.scale compared with one at scale 1.0 is still exit 2
 * (test_strict_readers.c has the other sides of this row). */
static void compare_without_scale_against_scale_one_is_exit_2(void **state)
{
    (void)state;
    json_t *root = ab_fixture_load("small-a.json");
    assert_non_null(root);
    char one[256], none[256];
    json_object_set_new(json_object_get(root, "config"), "scale", json_real(1.0));
    assert_int_equal(ab_write_temp_json(root, one, sizeof one), 0);
    json_object_del(json_object_get(root, "config"), "scale");
    assert_int_equal(ab_write_temp_json(root, none, sizeof none), 0);
    json_decref(root);
    char *argv[] = {"compare", one, none, NULL};
    char *err;
    int rc = fault_run(NULL, argv, &err);
    unlink(one);
    unlink(none);
    if (rc != 2 || !strstr(err, "config.scale")) fail_msg("exit %d: %s", rc, err);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(out_fifo_is_refused_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(out_symlinks_to_fds_and_fifos_are_refused_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(out_private_device_nodes_are_refused_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(out_directory_and_long_name_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(out_unwritable_directory_is_refused_up_front, setup, teardown),
        cmocka_unit_test_setup_teardown(out_missing_directories_are_created, setup, teardown),
        cmocka_unit_test_setup_teardown(out_symlink_to_regular_file_updates_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(out_dash_writes_the_document_to_stdout, setup, teardown),
        cmocka_unit_test_setup_teardown(write_failure_on_a_full_disk_keeps_the_results, setup, teardown),
        cmocka_unit_test_setup_teardown(write_failure_under_a_file_size_limit_says_why, setup, teardown),
        cmocka_unit_test_setup_teardown(fifo_appearing_during_the_run_is_not_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_workload_parameters_are_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_traces_are_exit_2_up_front, setup, teardown),
        cmocka_unit_test_setup_teardown(fifo_traces_never_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(messages_state_the_real_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(huge_pool_request_needs_force, setup, teardown),
        cmocka_unit_test_setup_teardown(interrupted_summary_counts_what_ran, setup, teardown),
        cmocka_unit_test_setup_teardown(compare_without_scale_against_scale_one_is_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_refuses_a_fifo_as_out, setup, teardown),
    };
    return cmocka_run_group_tests_name("reliability", tests, NULL, NULL);
}
