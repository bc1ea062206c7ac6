/*
 * machine.c -- the "machine" block of the results JSON (schema in README.md).
 *
 * Unknown facts are JSON null, never 0 or "", so a reader can tell "not
 * measured" from a real zero (e.g. an empty huge page pool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/system/build_info.h"
#include "harness/system/machine.h"
#include "harness/system/sysfacts.h"

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *num_or_null(long v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* Shell-quote one argument only where needed, so the line can be pasted back. */
static void append_quoted(char **buf, size_t *len, size_t *cap, const char *arg)
{
    bool plain = arg[0] && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+./:,@%")
                            == strlen(arg);
    size_t need = *len + 4 * strlen(arg) + 4;
    if (need > *cap) {
        size_t ncap = need * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return;
        *buf = nb;
        *cap = ncap;
    }
    char *p = *buf + *len;
    if (*len)
        *p++ = ' ';
    if (plain) {
        p += sprintf(p, "%s", arg);
    } else {
        *p++ = '\'';
        for (const char *a = arg; *a; a++) {
            if (*a == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *a;
            }
        }
        *p++ = '\'';
        *p = 0;
    }
    *len = (size_t)(p - *buf);
}

static json_t *command_line(int argc, char **argv)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    /* Subcommands receive argv starting at their own name ("run ..."); put
     * the program in front so the line can be pasted back into a shell. */
    if (argc > 0 && strcmp(argv[0], program_invocation_name) != 0)
        append_quoted(&buf, &len, &cap, program_invocation_name);
    for (int i = 0; i < argc; i++)
        append_quoted(&buf, &len, &cap, argv[i]);
    json_t *j = json_string(buf ? buf : "");
    free(buf);
    return j;
}

json_t *ab_machine_json(int argc, char **argv)
{
    ab_sysfacts f;
    ab_sysfacts_gather(&f);

    json_t *pmu = json_object();
    json_object_set_new(pmu, "name", str_or_null(f.pmu_name));
    json_object_set_new(pmu, "present", json_boolean(f.pmu_present));
    json_object_set_new(pmu, "reason", json_string(f.pmu_reason));
    json_object_set_new(pmu, "libpfm_pmu", str_or_null(f.pfm_core_pmu));
    json_object_set_new(pmu, "kernel_pmus", json_string(f.kernel_pmus));
    json_object_set_new(pmu, "hybrid", json_boolean(f.hybrid));

    json_t *m = json_object();
    json_object_set_new(m, "cpu_model", str_or_null(f.cpu_model));
    json_object_set_new(m, "cpu_vendor", str_or_null(f.cpu_vendor));
    json_object_set_new(m, "cpu_family", num_or_null(f.cpu_family));
    json_object_set_new(m, "cpu_model_number", num_or_null(f.cpu_model_number));
    json_object_set_new(m, "pmu", pmu);
    json_object_set_new(m, "hypervisor", json_boolean(f.hypervisor));
    json_object_set_new(m, "kernel", str_or_null(f.kernel));
    json_object_set_new(m, "nproc", num_or_null(f.nproc));
    json_object_set_new(m, "hostname", str_or_null(f.hostname));
    json_object_set_new(m, "thp_enabled", str_or_null(f.thp_enabled));
    json_object_set_new(m, "thp_defrag", str_or_null(f.thp_defrag));
    json_object_set_new(m, "hugepage_size_kb", num_or_null(f.hugepage_size_kb));
    json_object_set_new(m, "hugepages_total", num_or_null(f.hugepages_total));
    json_object_set_new(m, "hugepages_free", num_or_null(f.hugepages_free));
    /* paranoid may legitimately be -1 (everything allowed); null only if absent. */
    json_object_set_new(m, "perf_event_paranoid",
                        f.have_perf_event_paranoid ? json_integer(f.perf_event_paranoid) : json_null());
    json_object_set_new(m, "compiler", str_or_null(f.compiler));
    json_object_set_new(m, "libpfm", str_or_null(f.libpfm));
    json_object_set_new(m, "libpython", str_or_null(f.libpython));
    json_object_set_new(m, "git_commit", str_or_null(f.git_commit));
    json_object_set_new(m, "git_dirty", json_boolean(f.git_dirty));
    char identity[128];
    ab_build_identity(identity, sizeof identity);
    json_object_set_new(m, "build_identity", json_string(identity));
    /* A binary built before the tree's last commit names its own commit in
     * git_commit; the tree's is kept beside it and the mismatch flagged. */
    bool differs = f.source_git_commit[0] && strcmp(f.source_git_commit, f.git_commit) != 0;
    json_object_set_new(m, "source_git_commit", str_or_null(f.source_git_commit));
    json_object_set_new(m, "source_differs", json_boolean(differs));
    json_object_set_new(m, "date", str_or_null(f.date));
    json_object_set_new(m, "command_line", command_line(argc, argv));
    return m;
}
