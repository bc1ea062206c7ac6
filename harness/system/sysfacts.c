/*
 * sysfacts.c -- read the machine facts from /proc, /sys, uname, libpfm4 and
 * the build.  Every reader tolerates a missing file (containers, non-x86,
 * old kernels): the fact stays unknown instead of failing the run.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "harness/counters/counters_impl.h"
#include "allocators/meminfo.h"
#include "harness/system/build_info.h"
#include "harness/system/sysfacts.h"
#include <perfmon/pfmlib.h>

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define PARANOID_FILE "/proc/sys/kernel/perf_event_paranoid"

/* snprintf that is allowed to truncate: facts are informational, and a
 * clipped kernel string beats a failed run. */
static void fmt_into(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fmt_into(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static int read_small_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t got = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[got] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

void ab_sysfacts_bracketed(const char *text, char *out, size_t len)
{
    const char *open = strchr(text, '[');
    const char *close = open ? strchr(open, ']') : NULL;
    if (!close) {
        snprintf(out, len, "%s", "");
        return;
    }
    snprintf(out, len, "%.*s", (int)(close - open - 1), open + 1);
}

/* Value of "key<spaces>: value" in a /proc file such as cpuinfo (first match). */
static bool proc_field(const char *path, const char *key, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[4096];
    size_t klen = strlen(key);
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        /* "model" must not match "model name": only blanks before the colon. */
        const char *colon = line + klen;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        if (*colon != ':')
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        snprintf(out, len, "%s", colon);
        out[strcspn(out, "\n")] = 0;
        found = true;
        break;
    }
    fclose(f);
    return found;
}

static long proc_long(const char *path, const char *key)
{
    char buf[64];
    if (!proc_field(path, key, buf, sizeof buf))
        return -1;
    return strtol(buf, NULL, 10);
}

static bool has_word(const char *list, const char *word)
{
    size_t wlen = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += wlen)
        if ((p == list || p[-1] == ' ') && (p[wlen] == ' ' || p[wlen] == 0))
            return true;
    return false;
}

static void gather_cpu(ab_sysfacts *f)
{
    static const char cpuinfo[] = "/proc/cpuinfo";
    if (!proc_field(cpuinfo, "model name", f->cpu_model, sizeof f->cpu_model))
        proc_field(cpuinfo, "Model", f->cpu_model, sizeof f->cpu_model);      /* arm64 boards */
    if (!proc_field(cpuinfo, "vendor_id", f->cpu_vendor, sizeof f->cpu_vendor))
        proc_field(cpuinfo, "CPU implementer", f->cpu_vendor, sizeof f->cpu_vendor);
    f->cpu_family = proc_long(cpuinfo, "cpu family");
    f->cpu_model_number = proc_long(cpuinfo, "model");
    if (f->cpu_model_number < 0) {
        char part[32];
        if (proc_field(cpuinfo, "CPU part", part, sizeof part))
            f->cpu_model_number = strtol(part, NULL, 0);
    }
    char flags[4096];
    if (proc_field(cpuinfo, "flags", flags, sizeof flags) || proc_field(cpuinfo, "Features", flags, sizeof flags)) {
        f->hypervisor = has_word(flags, "hypervisor");
        f->arch_perfmon = has_word(flags, "arch_perfmon");
    }
}

static bool is_core_pmu_dir(const char *name)
{
    return !strcmp(name, "cpu") || !strcmp(name, "cpu_core") || !strcmp(name, "cpu_atom")
        || !strncmp(name, "armv8_", 6) || !strncmp(name, "armv9_", 6);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void append_word(char *buf, size_t len, const char *word)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? " " : "", word);
}

static void gather_event_sources(ab_sysfacts *f)
{
    DIR *d = opendir(ab_sysfs_event_sources());
    if (!d)
        return;
    enum { MAX_SOURCES = 64 };
    char *names[MAX_SOURCES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < MAX_SOURCES)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], compare_names);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        append_word(f->event_sources, sizeof f->event_sources, names[i]);
        if (is_core_pmu_dir(names[i]))
            append_word(f->kernel_pmus, sizeof f->kernel_pmus, names[i]);
        free(names[i]);
    }
    f->hybrid = ab_hybrid_core_type() >= 0;
    if (f->hybrid) {
        char path[512];
        snprintf(path, sizeof path, "%s/cpu_core/cpus", ab_sysfs_event_sources());
        read_small_file(path, f->cpu_core_cpus, sizeof f->cpu_core_cpus);
    }
}

static void gather_pmu(ab_sysfacts *f)
{
    ab_pfm_core_pmu_name(f->pfm_core_pmu, sizeof f->pfm_core_pmu);
    snprintf(f->pmu_name, sizeof f->pmu_name, "%s", f->hybrid ? "cpu_core" : f->pfm_core_pmu);
    char probe[128];
    f->cycles_errno = ab_probe_cycles(probe, sizeof probe);
    f->pmu_present = f->kernel_pmus[0] && f->cycles_errno == 0;

    char *r = f->pmu_reason;
    size_t rl = sizeof f->pmu_reason;
    if (f->pmu_present) {
        fmt_into(r, rl, "kernel PMU %s; %s", f->kernel_pmus, probe);
        if (f->hybrid)
            append_word(r, rl, "; hybrid CPU: hardware events count on P-cores (cpu_core) only");
    } else if (f->cycles_errno == EACCES || f->cycles_errno == EPERM) {
        fmt_into(r, rl, "%s: perf_event_paranoid=%ld forbids it for this user", probe, f->perf_event_paranoid);
    } else if (!f->kernel_pmus[0]) {
        fmt_into(r, rl, "no hardware PMU: %s; %s shows software events only (%s)%s", probe,
                 ab_sysfs_event_sources(), f->event_sources,
                 f->hypervisor ? "; a VM without a virtual PMU" : "");
    } else {
        fmt_into(r, rl, "kernel PMU %s, but %s", f->kernel_pmus, probe);
    }
}

static void gather_kernel(ab_sysfacts *f)
{
    struct utsname u;
    if (uname(&u) == 0)
        fmt_into(f->kernel, sizeof f->kernel, "%s %s %s", u.sysname, u.release, u.machine);
    f->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    if (gethostname(f->hostname, sizeof f->hostname) != 0)
        f->hostname[0] = 0;
    f->hostname[sizeof f->hostname - 1] = 0;
    char buf[32];
    f->have_perf_event_paranoid = read_small_file(PARANOID_FILE, buf, sizeof buf) == 0;
    f->perf_event_paranoid = f->have_perf_event_paranoid ? strtol(buf, NULL, 10) : -1;
}

static void gather_pages(ab_sysfacts *f)
{
    char buf[128];
    if (read_small_file(THP_DIR "/enabled", buf, sizeof buf) == 0)
        ab_sysfacts_bracketed(buf, f->thp_enabled, sizeof f->thp_enabled);
    if (read_small_file(THP_DIR "/defrag", buf, sizeof buf) == 0)
        ab_sysfacts_bracketed(buf, f->thp_defrag, sizeof f->thp_defrag);
    long long v;
    f->hugepage_size_kb = ab_meminfo_field("Hugepagesize", &v) ? (long)v : -1;
    f->hugepages_total = ab_meminfo_field("HugePages_Total", &v) ? (long)v : -1;
    f->hugepages_free = ab_meminfo_field("HugePages_Free", &v) ? (long)v : -1;
}

/* pfm_get_version() says 0x40000 for every 4.x, so read the version off the
 * file name of the libpfm that is actually loaded (libpfm.so.4.13.0). */
static void libpfm_version(char *buf, size_t len)
{
    Dl_info info;
    char real[PATH_MAX];
    snprintf(buf, len, "4.x (pfm_get_version %#x)", (unsigned)pfm_get_version());
    if (!dladdr((void *)pfm_initialize, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
        return;
    const char *so = strstr(real, ".so.");
    if (so && so[4])
        snprintf(buf, len, "%s", so + 4);
}

/* The source directory's HEAD when the binary runs ("" when there is no
 * tree there, e.g. a dist binary on a cluster node).  Recorded only to flag
 * a binary that is older than the tree next to it. */
static void source_head(char *buf, size_t len)
{
    buf[0] = 0;
    /* The same override `validate` honours for the tree it reads. */
    const char *dir = getenv("AB_SOURCE_DIR");
    if (!dir || !*dir || strchr(dir, '\'')) dir = AB_SOURCE_DIR;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --short=12 HEAD 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    char line[64];
    if (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        snprintf(buf, len, "%s", line);
    }
    pclose(p);
}

static void gather_build(ab_sysfacts *f)
{
#if defined(__clang__)
    snprintf(f->compiler, sizeof f->compiler, "%s", __VERSION__);
#elif defined(__GNUC__)
    snprintf(f->compiler, sizeof f->compiler, "gcc %s", __VERSION__);
#else
    snprintf(f->compiler, sizeof f->compiler, "unknown C compiler");
#endif
    libpfm_version(f->libpfm, sizeof f->libpfm);
    snprintf(f->libpython, sizeof f->libpython, "%s", AB_LIBPYTHON);
    snprintf(f->git_commit, sizeof f->git_commit, "%s", ab_build_commit());
    f->git_dirty = ab_build_dirty();
    source_head(f->source_git_commit, sizeof f->source_git_commit);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(f->date, sizeof f->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ab_sysfacts_gather(ab_sysfacts *f)
{
    memset(f, 0, sizeof *f);
    f->cpu_family = f->cpu_model_number = -1;
    f->hugepage_size_kb = f->hugepages_total = f->hugepages_free = -1;
    gather_cpu(f);
    gather_kernel(f);
    gather_event_sources(f);
    gather_pmu(f);
    gather_pages(f);
    gather_build(f);
}
