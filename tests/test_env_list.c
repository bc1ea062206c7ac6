/*
 * test_env_list.c -- `arenabench env`, `arenabench list` and the machine
 * block, checked against what the kernel says directly (sysfs, procfs, a raw
 * perf_event_open of cycles), not against the code's own readers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <jansson.h>
#include "harness/system/machine.h"
#include "harness/system/sysfacts.h"
#include "harness/system/build_info.h"
#include "tests/testutil.h"

/* The oracle for "is there a PMU": the syscall itself, user space only. */
static bool cycles_open(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (fd < 0)
        return false;
    close((int)fd);
    return true;
}

static long read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static json_t *run_json(const char *args, int expect_rc)
{
    char *out = NULL, *err = NULL;
    int rc = ab_test_run_arenabench(args, &out, &err);
    if (rc != expect_rc)
        fail_msg("arenabench %s exited %d (want %d); stderr: %s", args, rc, expect_rc, err ? err : "");
    json_error_t jerr;
    json_t *j = json_loads(out ? out : "", 0, &jerr);
    if (!j)
        fail_msg("arenabench %s: output is not JSON: %s", args, jerr.text);
    free(out);
    free(err);
    return j;
}

static void env_text_exits_0_with_facts_and_advice(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(ab_test_run_arenabench("env", &out, NULL), 0);
    assert_non_null(strstr(out, "perf_event_paranoid"));
    assert_non_null(strstr(out, "THP"));
    assert_non_null(strstr(out, "huge pages"));
    assert_non_null(strstr(out, "what to do:"));
    if (!cycles_open())
        assert_non_null(strstr(out, "NOT AVAILABLE"));
    if (read_long("/proc/sys/vm/nr_hugepages") == 0)
        assert_non_null(strstr(out, "--hugepages"));
    free(out);
}

static void check_machine_block(json_t *m)
{
    const char *keys[] = {"cpu_model", "cpu_vendor", "cpu_family", "cpu_model_number", "pmu", "hypervisor",
                          "kernel", "nproc", "hostname", "thp_enabled", "thp_defrag", "hugepage_size_kb",
                          "hugepages_total", "hugepages_free", "perf_event_paranoid", "compiler", "libpfm",
                          "libpython", "git_commit", "date", "command_line"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(m, keys[i]))
            fail_msg("machine block lacks '%s'", keys[i]);
    json_t *pmu = json_object_get(m, "pmu");
    assert_true(json_is_object(pmu));
    assert_true(json_is_boolean(json_object_get(pmu, "present")));
    assert_true(json_is_string(json_object_get(pmu, "reason")));
    assert_true(json_object_get(pmu, "name") != NULL);
    assert_int_equal(json_is_true(json_object_get(pmu, "present")), cycles_open());
    if (!cycles_open())
        assert_non_null(strstr(json_string_value(json_object_get(pmu, "reason")), "perf_event_open(cycles)"));

    assert_int_equal(json_integer_value(json_object_get(m, "perf_event_paranoid")),
                     read_long("/proc/sys/kernel/perf_event_paranoid"));
    assert_int_equal(json_integer_value(json_object_get(m, "nproc")), sysconf(_SC_NPROCESSORS_ONLN));

    /* The pool, from the per-size sysfs directory rather than /proc/meminfo. */
    json_int_t size_kb = json_integer_value(json_object_get(m, "hugepage_size_kb"));
    char path[128];
    snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%lldkB/nr_hugepages", (long long)size_kb);
    long total = read_long(path);
    if (total >= 0)
        assert_int_equal(json_integer_value(json_object_get(m, "hugepages_total")), total);

    /* THP: the word in brackets in the sysfs file. */
    char *thp = ab_test_slurp("/sys/kernel/mm/transparent_hugepage/enabled");
    if (thp) {
        char want[32] = "";
        char *open = strchr(thp, '[');
        if (open && sscanf(open, "[%31[^]]", want) == 1)
            assert_string_equal(json_string_value(json_object_get(m, "thp_enabled")), want);
        free(thp);
    }
    char *cpuinfo = ab_test_slurp("/proc/cpuinfo");
    if (cpuinfo && strstr(cpuinfo, " hypervisor"))
        assert_true(json_is_true(json_object_get(m, "hypervisor")));
    free(cpuinfo);

    /* date: YYYY-MM-DDTHH:MM:SSZ */
    const char *date = json_string_value(json_object_get(m, "date"));
    assert_non_null(date);
    assert_int_equal(strlen(date), 20);
    assert_true(date[4] == '-' && date[10] == 'T' && date[19] == 'Z');
    const char *commit = json_string_value(json_object_get(m, "git_commit"));
    assert_non_null(commit);
    assert_true(strlen(commit) >= 7);
    assert_string_equal(json_string_value(json_object_get(m, "libpython")), AB_LIBPYTHON);
}

/* Provenance: machine.git_commit names the commit the *binary* was built
 * from.  Pointing AB_SOURCE_DIR at another repository stands for "the tree
 * moved on after the build": its HEAD must be recorded beside the binary's
 * commit and flagged, never put in its place. */
static void machine_names_the_binary_commit_not_the_tree_head(void **state)
{
    (void)state;
    char repo[] = "/tmp/abtest-repo-XXXXXX";
    assert_non_null(mkdtemp(repo));
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && git init -q && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m later"
             " && git rev-parse --short=12 HEAD > head", repo);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/head", repo);
    char *head = ab_test_slurp(cmd);
    assert_non_null(head);
    head[strcspn(head, "\n")] = 0;

    char *old = getenv("AB_SOURCE_DIR") ? strdup(getenv("AB_SOURCE_DIR")) : NULL;
    setenv("AB_SOURCE_DIR", repo, 1);
    json_t *j = run_json("env --json", 0);
    if (old) setenv("AB_SOURCE_DIR", old, 1);
    else unsetenv("AB_SOURCE_DIR");
    free(old);

    json_t *m = json_object_get(j, "machine");
    assert_string_equal(json_string_value(json_object_get(m, "git_commit")), ab_build_commit());
    assert_string_equal(json_string_value(json_object_get(m, "source_git_commit")), head);
    assert_true(json_is_true(json_object_get(m, "source_differs")));
    assert_true(json_is_boolean(json_object_get(m, "git_dirty")));
    char identity[128];
    ab_build_identity(identity, sizeof identity);
    assert_string_equal(json_string_value(json_object_get(m, "build_identity")), identity);
    json_decref(j);
    free(head);
    snprintf(cmd, sizeof cmd, "rm -rf %s", repo);
    assert_int_equal(system(cmd), 0);
}

static void env_json_machine_block_matches_kernel(void **state)
{
    (void)state;
    json_t *j = run_json("env --json", 0);
    check_machine_block(json_object_get(j, "machine"));
    assert_true(json_is_array(json_object_get(j, "libpfm_pmus")));
    assert_true(json_array_size(json_object_get(j, "libpfm_pmus")) >= 1);   /* perf:: is always there */
    json_t *advice = json_object_get(j, "advice");
    assert_true(json_is_array(advice));
    if (!cycles_open()) {
        bool says_no_pmu = false;
        size_t i;
        json_t *a;
        json_array_foreach(advice, i, a)
            says_no_pmu |= strstr(json_string_value(a), "PMU") != NULL;
        assert_true(says_no_pmu);
    }
    const char *cl = json_string_value(json_object_get(json_object_get(j, "machine"), "command_line"));
    assert_non_null(strstr(cl, "env --json"));
    json_decref(j);
}

static void machine_json_direct(void **state)
{
    (void)state;
    char *argv[] = {"run", "--variants", "4k,thp", "--note", "it's quoted", NULL};
    json_t *m = ab_machine_json(5, argv);
    check_machine_block(m);
    const char *cl = json_string_value(json_object_get(m, "command_line"));
    assert_non_null(strstr(cl, "run --variants 4k,thp --note 'it'\\''s quoted'"));
    json_decref(m);
}

static void bracketed_choice(void **state)
{
    (void)state;
    char out[32];
    ab_sysfacts_bracketed("always defer defer+madvise [madvise] never", out, sizeof out);
    assert_string_equal(out, "madvise");
    ab_sysfacts_bracketed("[always] madvise never", out, sizeof out);
    assert_string_equal(out, "always");
    ab_sysfacts_bracketed("no choice here", out, sizeof out);
    assert_string_equal(out, "");
}

static void list_events_says_what_counts(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(ab_test_run_arenabench("list events", &out, NULL), 0);
    /* one line per event: name, status, ... */
    char *line = strstr(out, "\n  page-faults ");
    assert_non_null(line);
    assert_non_null(strstr(line, " ok "));
    line = strstr(out, "\n  cycles ");
    assert_non_null(line);
    char *eol = strchr(line + 1, '\n');
    if (eol)
        *eol = 0;
    if (!cycles_open()) {
        assert_non_null(strstr(line, "not_supported"));
        assert_non_null(strstr(line, "ENOENT"));
    } else {
        assert_null(strstr(line, "not countable"));
    }
    free(out);
}

static void list_json_has_all_sections(void **state)
{
    (void)state;
    json_t *j = run_json("list --json", 0);
    assert_true(json_is_array(json_object_get(j, "variants")));
    assert_true(json_is_array(json_object_get(j, "workloads")));
    json_t *events = json_object_get(j, "events");
    assert_true(json_is_array(events));
    bool saw_pf = false, saw_cycles = false;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        bool countable = json_is_true(json_object_get(e, "countable"));
        const char *status = json_string_value(json_object_get(e, "status"));
        assert_non_null(status);
        if (!countable)   /* every event that cannot be counted says why */
            assert_true(json_is_string(json_object_get(e, "detail")));
        if (!strcmp(name, "page-faults")) {
            saw_pf = true;
            assert_true(countable);
        }
        if (!strcmp(name, "cycles")) {
            saw_cycles = true;
            assert_int_equal(countable, cycles_open());
            if (!countable)
                assert_string_equal(status, "not_supported");
        }
    }
    assert_true(saw_pf && saw_cycles);
    /* Every catalogue variant has an availability verdict, with a reason
     * whenever it is unavailable. */
    json_array_foreach(json_object_get(j, "variants"), i, e) {
        assert_true(json_is_boolean(json_object_get(e, "available")));
        if (!json_is_true(json_object_get(e, "available")))
            assert_true(json_is_string(json_object_get(e, "reason")));
    }
    json_array_foreach(json_object_get(j, "workloads"), i, e)
        assert_true(json_is_boolean(json_object_get(e, "default")));
    json_decref(j);

    j = run_json("list workloads --json", 0);
    assert_null(json_object_get(j, "events"));
    assert_non_null(json_object_get(j, "workloads"));
    json_decref(j);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* env on a (fake) hybrid machine says where hardware events are counted and
 * how to pin to a P-core. */
static void env_explains_hybrid(void **state)
{
    (void)state;
    char dir[] = "/tmp/abtest-sysfs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    const char *subdirs[] = {"cpu_core", "cpu_atom", "software"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        assert_int_equal(mkdir(path, 0755), 0);
    }
    snprintf(path, sizeof path, "%s/cpu_core/type", dir);
    write_file(path, "4\n");
    snprintf(path, sizeof path, "%s/cpu_core/cpus", dir);
    write_file(path, "0-7\n");
    setenv("AB_SYSFS_EVENT_SOURCES", dir, 1);
    char *out = NULL;
    int rc = ab_test_run_arenabench("env", &out, NULL);
    json_t *j = run_json("env --json", 0);
    unsetenv("AB_SYSFS_EVENT_SOURCES");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "counting on cpu_core (P-cores: 0-7)"));
    assert_non_null(strstr(out, "--pin"));
    json_t *pmu = json_object_get(json_object_get(j, "machine"), "pmu");
    assert_true(json_is_true(json_object_get(pmu, "hybrid")));
    assert_string_equal(json_string_value(json_object_get(pmu, "name")), "cpu_core");
    assert_string_equal(json_string_value(json_object_get(pmu, "kernel_pmus")), "cpu_atom cpu_core");
    json_decref(j);
    free(out);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void bad_arguments_exit_2(void **state)
{
    (void)state;
    const char *bad[] = {"env --bogus", "env extra", "list --bogus", "list nonsense", "list events --jsn"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = ab_test_run_arenabench(bad[i], &out, &err);
        if (rc != 2)
            fail_msg("arenabench %s exited %d, want 2", bad[i], rc);
        assert_non_null(strstr(err, "unknown"));
        assert_non_null(strstr(err, "usage:"));
        free(out);
        free(err);
    }
}

static void help_exits_0(void **state)
{
    (void)state;
    const char *cmds[] = {"env --help", "list --help", "list -h"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL;
        assert_int_equal(ab_test_run_arenabench(cmds[i], &out, NULL), 0);
        assert_non_null(strstr(out, "usage:"));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(env_text_exits_0_with_facts_and_advice),
        cmocka_unit_test(env_json_machine_block_matches_kernel),
        cmocka_unit_test(machine_names_the_binary_commit_not_the_tree_head),
        cmocka_unit_test(machine_json_direct),
        cmocka_unit_test(bracketed_choice),
        cmocka_unit_test(list_events_says_what_counts),
        cmocka_unit_test(list_json_has_all_sections),
        cmocka_unit_test(env_explains_hybrid),
        cmocka_unit_test(bad_arguments_exit_2),
        cmocka_unit_test(help_exits_0),
    };
    return cmocka_run_group_tests_name("env_list", tests, NULL, NULL);
}
