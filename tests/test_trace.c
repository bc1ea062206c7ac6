/* test_trace.c -- arenatrace end to end: capture a real Python script with
 * the extension built into build/arenatrace (both activation ways), load
 * it, replay it through the real pymalloc of libpython3.11 (an oracle
 * independent of our model) and compare arena counts with what the traced
 * interpreter reported; damaged traces get clear errors, and a
 * deterministic mutation fuzzer runs the reader (and, for files it
 * accepts, the replay) over the kept corpus in tests/corpus/trace. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <dlfcn.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/commands.h"
#include "harness/validate/validate_trace.h"
#include "allocators/variant.h"
#include "tests/testutil.h"
#include "tests/fuzz/budget_alloc.h"
#include "workloads/trace/replay.h"
#include "workloads/trace/trace_format.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *source_dir(void)
{
    const char *s = getenv("AB_SOURCE_DIR");
    return s ? s : AB_SOURCE_DIR;
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/abtrace-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat sb;
    if (fstat(fileno(f), &sb)) {
        fclose(f);
        return NULL;
    }
    unsigned char *b = malloc((size_t)sb.st_size + 1);
    *len = fread(b, 1, (size_t)sb.st_size, f);
    fclose(f);
    return b;
}

/* A script whose allocations we know: 20000 bytearray(64) (each an object
 * and a 65-byte buffer), half freed; a dict of 30000 str values (~ 7 MiB in
 * all, a handful of arenas). */
static const char script_text[] =
    "import sys\n"
    "xs = [bytearray(64) for _ in range(20000)]\n"
    "del xs[::2]\n"
    "d = {i: str(i) * 3 for i in range(30000)}\n"
    "keep = [(i, i + 1) for i in range(40000)]\n"
    "del d\n"
    "print(len(xs), len(keep), sys.argv[1])\n";

/* Capture script_text, activated by `-m arenatrace` or by ARENATRACE. */
static void capture(const char *trace, bool by_env)
{
    char script[256], cmd[1024];
    snprintf(script, sizeof script, "%s/script.py", tmpdir);
    write_file(script, script_text, strlen(script_text));
    /* The build must have produced the extension and its Python glue. */
    char pattern[512];
    snprintf(pattern, sizeof pattern, "%s/build/arenatrace/arenatrace/_capture*.so", source_dir());
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) fail_msg("no %s: run make (mk/arenatrace.mk)", pattern);
    globfree(&g);
    snprintf(pattern, sizeof pattern, "%s/build/arenatrace/arenatrace/__main__.py", source_dir());
    assert_return_code(access(pattern, R_OK), 0);
    if (by_env)
        snprintf(cmd, sizeof cmd, "cd %s && ARENATRACE=%s PYTHONPATH=%s/build/arenatrace %s %s hello >%s/out 2>&1",
                 tmpdir, trace, source_dir(), AB_PYTHON, script, tmpdir);
    else
        snprintf(cmd, sizeof cmd, "cd %s && PYTHONPATH=%s/build/arenatrace %s -m arenatrace --quiet %s %s hello >%s/out 2>&1",
                 tmpdir, source_dir(), AB_PYTHON, trace, script, tmpdir);
    /* The traced interpreter is not ours to sanitize. */
    unsetenv("LD_PRELOAD");
    int st = system(cmd);
    char outp[300];
    snprintf(outp, sizeof outp, "%s/out", tmpdir);
    char *out = ab_test_slurp(outp);
    if (st != 0) fprintf(stderr, "capture failed:\n%s\n", out ? out : "");
    assert_int_equal(st, 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "10000 40000 hello"));
    free(out);
}

/* ---- the oracle: the real pymalloc from libpython3.11 ------------------- */

typedef struct pyalloc {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*stats)(FILE *);
} pyalloc;

static void *py_malloc(void *s, size_t n) { return ((pyalloc *)s)->malloc(n); }
static void *py_calloc(void *s, size_t a, size_t b) { return ((pyalloc *)s)->calloc(a, b); }
static void *py_realloc(void *s, void *p, size_t n) { return ((pyalloc *)s)->realloc(p, n); }
static void py_free(void *s, void *p) { ((pyalloc *)s)->free(p); }

static int64_t stat_line(const char *text, const char *key)
{
    const char *l = strstr(text, key);
    if (!l) return -1;
    const char *eq = strchr(l, '=');
    int64_t v = 0;
    for (const char *c = eq + 1; *c && *c != '\n'; c++)
        if (*c >= '0' && *c <= '9') v = v * 10 + (*c - '0');
    return v;
}

static void py_stats(void *s, ab_alloc_stats *st)
{
    ab_alloc_stats_init_unknown(st);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ((pyalloc *)s)->stats(f);
    fclose(f);
    st->arenas_allocated_total = stat_line(text, "# arenas allocated total");
    st->arenas_highwater = stat_line(text, "# arenas highwater mark");
    st->arenas_current = stat_line(text, "# arenas allocated current");
    free(text);
}

static bool open_pymalloc(pyalloc *p, ab_allocator *a)
{
    void *h = dlopen(AB_LIBPYTHON, RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    *(void **)&p->malloc = dlsym(h, "PyObject_Malloc");
    *(void **)&p->calloc = dlsym(h, "PyObject_Calloc");
    *(void **)&p->realloc = dlsym(h, "PyObject_Realloc");
    *(void **)&p->free = dlsym(h, "PyObject_Free");
    *(void **)&p->stats = dlsym(h, "_PyObject_DebugMallocStats");
    if (!p->malloc || !p->calloc || !p->realloc || !p->free || !p->stats) return false;
    *a = (ab_allocator){.name = "libpython-pymalloc", .self = p, .malloc = py_malloc,
                        .calloc = py_calloc, .realloc = py_realloc, .free = py_free,
                        .stats = py_stats};
    return true;
}

typedef struct oracle_result {
    int ok;
    ab_alloc_stats end;
    ab_replay_counts counts;
    uint64_t checksum;
} oracle_result;

static void snap_end(void *hook)
{
    void **h = hook;
    const ab_allocator *a = h[0];
    a->stats(a->self, (ab_alloc_stats *)h[1]);
}

/* Replay in a forked child (fresh pymalloc state each time). */
static oracle_result replay_on_pymalloc(const ab_trace *t)
{
    oracle_result r;
    memset(&r, 0, sizeof r);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pyalloc p;
        ab_allocator a;
        if (open_pymalloc(&p, &a)) {
            void *hook[2] = {&a, &r.end};
            ab_wl_ctx ctx = {.alloc = &a, .scale = 1.0, .phase_end = snap_end, .hook = hook};
            r.ok = ab_replay_run(t, &ctx, &r.counts) == 0;
            r.checksum = ctx.checksum;
        }
        _exit(write(fds[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &r, sizeof r), (ssize_t)sizeof r);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    return r;
}

/* ---- tests ------------------------------------------------------------- */

static void capture_module_and_replay_on_real_pymalloc(void **state)
{
    (void)state;
    char trace[300], err[512];
    snprintf(trace, sizeof trace, "%s/m.trace", tmpdir);
    capture(trace, false);
    ab_trace t;
    if (ab_trace_load(trace, &t, err, sizeof err)) fail_msg("%s", err);
    assert_true(t.install.present && t.exit.present);
    assert_int_equal(t.hdr.version, AB_TRACE_VERSION);
    assert_int_equal(t.hdr.pointer_size, sizeof(void *));
    assert_string_equal(t.hdr.python_version, "3.11.2");
    /* Every bytearray is an object plus a buffer, each a traced obj-domain malloc. */
    assert_true(t.n_op[AB_TRACE_OP_MALLOC] >= 2 * 20000 + 40000);
    assert_true(t.n_domain_ops[AB_TRACE_DOMAIN_OBJ] > 0 && t.n_domain_ops[AB_TRACE_DOMAIN_MEM] > 0);
    assert_int_equal(t.n_domain_ops[AB_TRACE_DOMAIN_RAW], 0);
    /* The arena events agree with the interpreter's own totals. */
    assert_int_equal((int64_t)t.arenas_mapped,
                     t.exit.fixed[AB_TS_ARENAS_TOTAL] - t.install.fixed[AB_TS_ARENAS_TOTAL]);
    assert_int_equal(t.arenas_end_delta,
                     t.exit.fixed[AB_TS_ARENAS_CURRENT] - t.install.fixed[AB_TS_ARENAS_CURRENT]);
    assert_true(t.arenas_mapped >= 4);

    oracle_result r = replay_on_pymalloc(&t);
    if (!r.ok) skip();   /* libpython3.11 not loadable: nothing to compare with */
    int64_t a0 = t.install.fixed[AB_TS_ARENAS_CURRENT];
    int64_t want_total = a0 + t.exit.fixed[AB_TS_ARENAS_TOTAL] - t.install.fixed[AB_TS_ARENAS_TOTAL];
    int64_t want_high = a0 + t.arenas_peak_delta;
    int64_t want_cur = t.exit.fixed[AB_TS_ARENAS_CURRENT];
    fprintf(stderr, "real pymalloc replay: total %lld (want %lld) highwater %lld (want %lld) "
            "current %lld (want %lld); %llu placeholders, %llu pre-hook frees\n",
            (long long)r.end.arenas_allocated_total, (long long)want_total,
            (long long)r.end.arenas_highwater, (long long)want_high,
            (long long)r.end.arenas_current, (long long)want_cur,
            (unsigned long long)r.counts.prefill_blocks, (unsigned long long)r.counts.prehook_frees);
    /* Small script, few arenas: one arena of slack (mmap alignment decides
     * whether an arena holds 63 or 64 pools, in both processes). */
    assert_true(llabs(r.end.arenas_allocated_total - want_total) <= 1);
    assert_true(llabs(r.end.arenas_highwater - want_high) <= 1);
    assert_true(llabs(r.end.arenas_current - want_cur) <= 1);
    assert_true(r.counts.prefill_blocks > 1000);

    /* The op stream checksum does not depend on the allocator. */
    ab_budget b;
    ab_allocator ba = ab_budget_allocator(&b, (size_t)1 << 31);
    ab_wl_ctx ctx = {.alloc = &ba, .scale = 1.0};
    ab_replay_counts c;
    assert_int_equal(ab_replay_run(&t, &ctx, &c), 0);
    assert_int_equal(ctx.checksum, r.checksum);
    assert_int_equal(b.live_blocks, 0);   /* teardown freed everything */
    assert_int_equal(ctx.n_malloc + ctx.n_calloc, t.n_op[AB_TRACE_OP_MALLOC] + t.n_op[AB_TRACE_OP_CALLOC] +
                                                   t.n_op[AB_TRACE_OP_REALLOC_PREHOOK]);
    assert_int_equal(ctx.n_free, t.n_op[AB_TRACE_OP_FREE]);
    assert_int_equal(c.prehook_frees, t.n_op[AB_TRACE_OP_FREE_PREHOOK]);
    ab_trace_free(&t);
}

static void capture_by_environment_variable(void **state)
{
    (void)state;
    char trace[300], err[512];
    snprintf(trace, sizeof trace, "%s/env.trace", tmpdir);
    capture(trace, true);
    ab_trace t;
    if (ab_trace_load(trace, &t, err, sizeof err)) fail_msg("%s", err);
    assert_true(t.install.present && t.exit.present);
    assert_true(t.n_op[AB_TRACE_OP_MALLOC] >= 2 * 20000 + 40000);
    ab_trace_free(&t);
}

/* Threads (each takes data-stack chunks from the arena allocator, which
 * must not count as arenas), the raw domain (called without the GIL, and
 * from inside obj-domain calls) and a fork (the child must not write into
 * the parent's file). */
static const char threads_text[] =
    "import threading, os\n"
    "def work():\n"
    "    xs = [bytearray(600) for _ in range(5000)]\n"
    "    d = {str(i): [i] * 10 for i in range(2000)}\n"
    "ts = [threading.Thread(target=work) for _ in range(4)]\n"
    "for t in ts: t.start()\n"
    "for t in ts: t.join()\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    [bytearray(64) for _ in range(1000)]\n"
    "    os._exit(0)\n"
    "os.waitpid(pid, 0)\n";

static void capture_threads_raw_domain_and_fork(void **state)
{
    (void)state;
    char script[300], trace[300], cmd[1200], err[512];
    snprintf(script, sizeof script, "%s/threads.py", tmpdir);
    snprintf(trace, sizeof trace, "%s/threads.trace", tmpdir);
    write_file(script, threads_text, strlen(threads_text));
    snprintf(cmd, sizeof cmd, "PYTHONPATH=%s/build/arenatrace timeout 120 %s -m arenatrace --quiet --domains obj,mem,raw %s %s",
             source_dir(), AB_PYTHON, trace, script);
    assert_int_equal(system(cmd), 0);
    ab_trace t;
    if (ab_trace_load(trace, &t, err, sizeof err)) fail_msg("%s", err);
    assert_true(t.n_domain_ops[AB_TRACE_DOMAIN_RAW] > 0);
    /* Thread data-stack chunks went through the arena allocator too, but
     * only real arenas are counted, so the events agree with the totals. */
    assert_true(t.n_op[AB_TRACE_OP_ARENA_ALLOC] > t.arenas_mapped);
    assert_int_equal((int64_t)t.arenas_mapped,
                     t.exit.fixed[AB_TS_ARENAS_TOTAL] - t.install.fixed[AB_TS_ARENAS_TOTAL]);
    assert_int_equal(t.arenas_end_delta,
                     t.exit.fixed[AB_TS_ARENAS_CURRENT] - t.install.fixed[AB_TS_ARENAS_CURRENT]);
    ab_budget b;
    ab_allocator ba = ab_budget_allocator(&b, (size_t)1 << 31);
    ab_wl_ctx ctx = {.alloc = &ba, .scale = 1.0};
    ab_replay_counts c;
    assert_int_equal(ab_replay_run(&t, &ctx, &c), 0);
    assert_int_equal(c.raw_skipped, t.n_domain_ops[AB_TRACE_DOMAIN_RAW]);
    assert_int_equal(b.live_blocks, 0);
    ab_trace_free(&t);
}

static void truncated_trace_is_a_clear_error(void **state)
{
    (void)state;
    char trace[300], cut[300], err[512];
    snprintf(trace, sizeof trace, "%s/m.trace", tmpdir);
    size_t len;
    unsigned char *data = read_all(trace, &len);
    if (!data) {
        capture(trace, false);
        data = read_all(trace, &len);
    }
    assert_non_null(data);
    /* Every cut point in the header and the first records, the last 64
     * bytes, and a sample in between (each cut parses up to n bytes). */
    size_t step = len / (ab_test_is_asan() ? 40 : 400) + 1;
    for (size_t n = 0; n < len; n += (n < 2048 || n > len - 64) ? 1 : step) {
        ab_trace t;
        assert_int_equal(ab_trace_load_buffer(data, n, &t, err, sizeof err), -1);
        assert_true(strstr(err, "truncated") || strstr(err, "corrupt") || strstr(err, "magic"));
    }
    /* Through the driver's path: clear message, exit 2, no crash. */
    snprintf(cut, sizeof cut, "%s/cut.trace", tmpdir);
    write_file(cut, data, len - 3);
    assert_int_equal(ab_validate_trace(cut, stdout), AB_EXIT_USAGE);
    ab_trace t;
    assert_int_equal(ab_trace_load(cut, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "cut.trace"));
    assert_non_null(strstr(err, "truncated"));
    free(data);
}

/* ---- the fuzzer -------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: deterministic, so a failing case number reproduces. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Overwrite (or insert) a varint of an extreme value at a random offset. */
static size_t put_extreme(unsigned char *buf, size_t len, size_t cap, uint64_t *rng)
{
    static const uint64_t extremes[] = {0, 1, 127, 128, 0xffffffffULL, (uint64_t)1 << 40,
                                        ((uint64_t)1 << 40) + 1, UINT64_MAX, INT64_MAX};
    unsigned char v[AB_TRACE_VARINT_MAX + 1];
    size_t n = ab_trace_put_varint(v, extremes[rng_next(rng) % (sizeof extremes / sizeof extremes[0])]);
    if (rng_next(rng) & 1) v[n++] = 0x80;   /* sometimes an unterminated one */
    if (!len) return 0;
    size_t at = rng_next(rng) % len;
    if (rng_next(rng) & 1 && len + n <= cap) {   /* insert */
        memmove(buf + at + n, buf + at, len - at);
        memcpy(buf + at, v, n);
        return len + n;
    }
    for (size_t i = 0; i < n && at + i < len; i++) buf[at + i] = v[i];
    return len;
}

static size_t mutate(unsigned char *buf, size_t len, size_t cap, uint64_t *rng)
{
    unsigned rounds = 1 + (unsigned)(rng_next(rng) % 4);
    for (unsigned k = 0; k < rounds && len; k++) {
        switch (rng_next(rng) % 6) {
        case 0: buf[rng_next(rng) % len] ^= (unsigned char)(1u << (rng_next(rng) % 8)); break;
        case 1: buf[rng_next(rng) % len] = (unsigned char[]){0, 0xff, 0x80, 0x7f}[rng_next(rng) % 4]; break;
        case 2: len = rng_next(rng) % len; break;
        case 3: len = put_extreme(buf, len, cap, rng); break;
        case 4: {   /* duplicate a chunk (repeats records: dead ids, double stats) */
            size_t at = rng_next(rng) % len, n = 1 + rng_next(rng) % 32;
            if (at + n > len) n = len - at;
            if (len + n <= cap) {
                memmove(buf + at + n, buf + at, len - at);
                len += n;
            }
            break;
        }
        default: {  /* header fields: version, header size, pointer size */
            size_t at = 8 + rng_next(rng) % 8;
            if (at < len) buf[at] = (unsigned char)rng_next(rng);
            break;
        }
        }
    }
    return len;
}

typedef struct corpus_file {
    char name[256];
    unsigned char *data;
    size_t len;
} corpus_file;

static size_t load_corpus(corpus_file *files, size_t max)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tests/corpus/trace", source_dir());
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 6, ".trace")) continue;
        char path[800];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(files[n].name, sizeof files[n].name, "%s", e->d_name);
        files[n].data = read_all(path, &files[n].len);
        assert_non_null(files[n].data);
        n++;
    }
    closedir(d);
    /* readdir order is the file system's: sort for determinism. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(files[j - 1].name, files[j].name) > 0; j--) {
            corpus_file tmp = files[j];
            files[j] = files[j - 1];
            files[j - 1] = tmp;
        }
    return n;
}

/* The corpus's names say what the reader must do with each file. */
static void corpus_verdicts(void **state)
{
    (void)state;
    corpus_file files[64];
    size_t n = load_corpus(files, 64);
    assert_true(n >= 4);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        ab_trace t;
        char err[512] = "";
        int rc = ab_trace_load_buffer(files[i].data, files[i].len, &t, err, sizeof err);
        bool want_ok = !strncmp(files[i].name, "valid-", 6);
        if (want_ok != (rc == 0))
            fail_msg("%s: expected %s, got %s", files[i].name, want_ok ? "valid" : "an error", rc ? err : "valid");
        if (!want_ok) assert_true(strlen(err) > 10);
        if (rc == 0) {
            valid++;
            ab_budget b;
            ab_allocator a = ab_budget_allocator(&b, (size_t)64 << 20);
            ab_wl_ctx ctx = {.alloc = &a, .scale = 1.0};
            assert_int_equal(ab_replay_run(&t, &ctx, NULL), 0);
            assert_int_equal(b.live_blocks, 0);
            ab_trace_free(&t);
        }
        free(files[i].data);
    }
    assert_true(valid >= 1);
}

static void fuzz_reader_over_corpus(void **state)
{
    (void)state;
    corpus_file files[64];
    size_t n = load_corpus(files, 64);
    assert_true(n >= 1);
    const unsigned cases = ab_test_is_asan() ? 15000 : 50000;
    uint64_t rng = 0x7a11ce5eedULL;
    unsigned accepted = 0, rejected = 0;
    for (unsigned c = 0; c < cases; c++) {
        const corpus_file *f = &files[c % n];
        size_t cap = f->len + 256;
        unsigned char *buf = malloc(cap);
        memcpy(buf, f->data, f->len);
        size_t len = mutate(buf, f->len, cap, &rng);
        /* Exact-size copy so ASan catches any read past the end. */
        unsigned char *exact = malloc(len ? len : 1);
        memcpy(exact, buf, len);
        free(buf);
        ab_trace t;
        char err[512];
        if (ab_trace_load_buffer(exact, len, &t, err, sizeof err) == 0) {
            accepted++;
            ab_trace_cursor cur;
            ab_trace_rec r;
            int more;
            uint64_t seen = 0;
            ab_trace_cursor_init(&cur, &t);
            while ((more = ab_trace_next(&cur, &r)) == 1) seen++;
            if (more != 0 || seen != t.n_records) fail_msg("case %u: accepted trace does not iterate", c);
            /* A file the reader accepts must replay or fail cleanly, with
             * memory bounded by the allocator's budget. */
            ab_budget b;
            ab_allocator a = ab_budget_allocator(&b, (size_t)64 << 20);
            ab_wl_ctx ctx = {.alloc = &a, .scale = 1.0};
            int rc = ab_replay_run(&t, &ctx, NULL);
            if (rc) assert_true(strlen(ctx.error) > 0);
            assert_int_equal(b.live_blocks, 0);
            ab_trace_free(&t);
        } else {
            rejected++;
            if (!err[0]) fail_msg("case %u: rejected without a reason", c);
        }
        free(exact);
    }
    fprintf(stderr, "fuzz: %u cases, %u accepted, %u rejected\n", cases, accepted, rejected);
    assert_true(rejected > cases / 2);
    for (size_t i = 0; i < n; i++) free(files[i].data);
}

/* Cross-check (issue 7): the seed's bench_obmalloc.py, captured and
 * replayed, against the hand-written C equivalent, on the 4k preset.  Three
 * counts of arenas mapped during the benchmark must agree within 5%: the
 * traced interpreter's (exit - install "arenas allocated total"), the
 * replay's (total at the end minus the arenas the prefill mapped) and the C
 * workload's (it starts from an empty allocator). */
#define CROSSCHECK_WORKLOAD "arena_pressure"
#define CROSSCHECK_TOLERANCE 0.05

typedef struct xc_snap {
    const ab_allocator *a;
    ab_alloc_stats begin, end;
} xc_snap;

static void xc_begin(void *h) { xc_snap *s = h; s->a->stats(s->a->self, &s->begin); }
static void xc_end(void *h) { xc_snap *s = h; s->a->stats(s->a->self, &s->end); }

/* Run in a child: 4k preset, either the replay of t or the named C workload. */
static xc_snap xc_run(const ab_trace *t, const ab_workload *w, double scale)
{
    xc_snap s;
    memset(&s, 0, sizeof s);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        ab_variant v;
        ab_allocator a;
        int rc = -1;
        if (!ab_variant_parse("4k", &v, err, sizeof err) && !ab_variant_open(&v, &a, err, sizeof err)) {
            s.a = &a;
            ab_wl_ctx ctx = {.alloc = &a, .scale = scale, .seed = 1, .param = NULL,
                             .phase_begin = xc_begin, .phase_end = xc_end, .hook = &s};
            rc = t ? ab_replay_run(t, &ctx, NULL) : w->run(&ctx);
            s.a = NULL;
        }
        if (rc) s.end.arenas_allocated_total = -1;
        _exit(write(fds[1], &s, sizeof s) == (ssize_t)sizeof s ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &s, sizeof s), (ssize_t)sizeof s);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    assert_true(s.end.arenas_allocated_total >= 0);
    return s;
}

static void bench_obmalloc_trace_agrees_with_c_workload(void **state)
{
    (void)state;
    char script[512], trace[300], cmd[1400], err[512];
    snprintf(script, sizeof script, "%s/workloads/python/bench_obmalloc.py", source_dir());
    const ab_workload *w = ab_workload_find(CROSSCHECK_WORKLOAD);
    if (access(script, R_OK) || !w) {
        fprintf(stderr, "skipping: the bench_obmalloc workloads (workloads/python, %s) are not built in\n",
                CROSSCHECK_WORKLOAD);
        skip();
    }
    const double scale = ab_test_is_asan() ? 0.05 : 0.1;
    snprintf(trace, sizeof trace, "%s/xc.trace", tmpdir);
    snprintf(cmd, sizeof cmd, "PYTHONPATH=%s/build/arenatrace %s -m arenatrace --quiet %s %s %s --scale %g >%s/xc.out 2>&1",
             source_dir(), AB_PYTHON, trace, script, CROSSCHECK_WORKLOAD, scale, tmpdir);
    assert_int_equal(system(cmd), 0);
    ab_trace t;
    if (ab_trace_load(trace, &t, err, sizeof err)) fail_msg("%s", err);
    int64_t traced = t.exit.fixed[AB_TS_ARENAS_TOTAL] - t.install.fixed[AB_TS_ARENAS_TOTAL];
    xc_snap r = xc_run(&t, NULL, 1.0);
    int64_t replayed = r.end.arenas_allocated_total - r.begin.arenas_allocated_total;
    xc_snap c = xc_run(NULL, w, scale);
    int64_t written = c.end.arenas_allocated_total;
    fprintf(stderr, "%s at scale %g, arenas mapped: traced %lld, replay %lld, C workload %lld\n",
            CROSSCHECK_WORKLOAD, scale, (long long)traced, (long long)replayed, (long long)written);
    assert_true(traced > 20);
    assert_true(llabs(replayed - traced) <= CROSSCHECK_TOLERANCE * (double)traced);
    assert_true(llabs(written - traced) <= CROSSCHECK_TOLERANCE * (double)traced);
    ab_trace_free(&t);
}

static void missing_file_is_a_usage_error(void **state)
{
    (void)state;
    char err[512];
    ab_trace t;
    assert_int_equal(ab_trace_load("/nonexistent/x.trace", &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.trace"));
    assert_int_equal(ab_validate_trace("/nonexistent/x.trace", stdout), AB_EXIT_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_file_is_a_usage_error),
        cmocka_unit_test(corpus_verdicts),
        cmocka_unit_test(fuzz_reader_over_corpus),
        cmocka_unit_test(capture_module_and_replay_on_real_pymalloc),
        cmocka_unit_test(capture_by_environment_variable),
        cmocka_unit_test(capture_threads_raw_domain_and_fork),
        cmocka_unit_test(truncated_trace_is_a_clear_error),
        cmocka_unit_test(bench_obmalloc_trace_agrees_with_c_workload),
    };
    return cmocka_run_group_tests_name("trace", tests, make_tmpdir, remove_tmpdir);
}
