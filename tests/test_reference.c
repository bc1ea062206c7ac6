/*
 * test_reference.c -- the reference allocators (glibc, jemalloc, mimalloc,
 * tcmalloc, cpython): each available one hands out 16-byte aligned memory,
 * keeps contents across realloc and zeroes calloc; an unavailable one is
 * reported with its reason and skipped.  The cpython backend's
 * _PyObject_DebugMallocStats parser is checked on real output of
 * /usr/bin/python3 (an independent process) and on a captured literal, and
 * its arena allocator on live arenas: counts and hook events agree with the
 * parsed statistics and with /proc/self/maps.
 *
 * libpython's allocator state is process-global, so every test that touches
 * an allocator runs in a forked child (CHILD_CHECK reports from there).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/testutil.h"
#include "allocators/reference.h"
#include "allocators/ref_cpython.h"

#ifndef AB_PYTHON
#define AB_PYTHON "/usr/bin/python3"
#endif

#define CHILD_CHECK(cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
            _exit(1);                                                                  \
        }                                                                              \
    } while (0)

typedef void (*child_body)(const char *name);

/* Run body(name) in a fresh child; fail the test unless it exits 0. */
static void in_child(child_body body, const char *name)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        body(name);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: child failed (status 0x%x)", name, status);
}

static void skip_unless_available(const char *name)
{
    char why[512];
    if (!ab_ref_available(name, why, sizeof why)) {
        printf("[  SKIP    ] %s unavailable here: %s\n", name, why);
        skip();
    }
}

/* Byte pattern that depends on the block and the offset, so a block moved
 * by realloc is checked byte by byte. */
static unsigned char pattern(size_t block, size_t i)
{
    return (unsigned char)(block * 131 + i * 7 + 1);
}

/*
 * Alignment the allocator guarantees for a request of n bytes.  pymalloc
 * (and so cpython) and glibc give 16 to every request.  jemalloc, mimalloc
 * and tcmalloc have an 8-byte size class and put requests of 0..8 bytes in
 * it, 8-byte aligned -- enough for any object that fits (C17 7.22.3) but
 * short of AB_MIN_ALIGNMENT; from 9 bytes on they give 16.
 */
static size_t guaranteed_alignment(const char *name, size_t n)
{
    bool has_8_byte_class = !strcmp(name, "jemalloc") || !strcmp(name, "mimalloc") ||
                            !strcmp(name, "tcmalloc");
    return has_8_byte_class && n <= 8 ? 8 : AB_MIN_ALIGNMENT;
}

static void basic_contract(const char *name)
{
    ab_allocator a;
    char err[512];
    CHILD_CHECK(ab_ref_open(name, &a, err, sizeof err) == 0);
    CHILD_CHECK(!strcmp(a.name, name));

    /* Alignment over every small class, 0 bytes and large requests. */
    enum { NSIZES = 600 };
    void *blocks[NSIZES];
    for (size_t i = 0; i < NSIZES; i++) {
        size_t n = i < 520 ? i : 512 + (i - 519) * 97;
        blocks[i] = a.malloc(a.self, n);
        CHILD_CHECK(blocks[i] != NULL);
        CHILD_CHECK((uintptr_t)blocks[i] % guaranteed_alignment(name, n) == 0);
        memset(blocks[i], (int)pattern(i, 0), n);
    }
    for (size_t i = 0; i < NSIZES; i++)
        a.free(a.self, blocks[i]);
    a.free(a.self, NULL);

    /* Realloc growth chain across the small/large boundary and back:
     * contents of the common prefix survive every move. */
    size_t n = 1;
    unsigned char *p = a.realloc(a.self, NULL, n);
    CHILD_CHECK(p != NULL);
    CHILD_CHECK((uintptr_t)p % guaranteed_alignment(name, n) == 0);
    p[0] = pattern(7, 0);
    for (size_t next = 2; next <= 3000; next = next * 5 / 4 + 1) {
        unsigned char *q = a.realloc(a.self, p, next);
        CHILD_CHECK(q != NULL && (uintptr_t)q % guaranteed_alignment(name, next) == 0);
        for (size_t i = 0; i < n; i++)
            CHILD_CHECK(q[i] == pattern(7, i));
        for (size_t i = n; i < next; i++)
            q[i] = pattern(7, i);
        p = q;
        n = next;
    }
    for (size_t next = n / 3; next >= 1; next = next / 3) {
        unsigned char *q = a.realloc(a.self, p, next);
        CHILD_CHECK(q != NULL);
        for (size_t i = 0; i < next; i++)
            CHILD_CHECK(q[i] == pattern(7, i));
        p = q;
        n = next;
    }
    a.free(a.self, p);

    /* calloc zeroes even memory that was just dirtied and freed (the free
     * lists hand back the same blocks). */
    for (size_t size = 16; size <= 2048; size *= 2) {
        enum { NDIRTY = 64 };
        void *dirty[NDIRTY];
        for (int i = 0; i < NDIRTY; i++) {
            dirty[i] = a.malloc(a.self, size);
            CHILD_CHECK(dirty[i] != NULL);
            memset(dirty[i], 0xA5, size);
        }
        for (int i = 0; i < NDIRTY; i++)
            a.free(a.self, dirty[i]);
        for (int i = 0; i < NDIRTY; i++) {
            unsigned char *z = a.calloc(a.self, size / 8, 8);
            CHILD_CHECK(z != NULL && (uintptr_t)z % AB_MIN_ALIGNMENT == 0);
            for (size_t j = 0; j < size; j++)
                CHILD_CHECK(z[j] == 0);
            dirty[i] = z;
        }
        for (int i = 0; i < NDIRTY; i++)
            a.free(a.self, dirty[i]);
    }

    ab_alloc_stats st;
    a.stats(a.self, &st);
    CHILD_CHECK(st.system_allocs > 0);
    a.destroy(a.self);
}

static void contract_test(void **state)
{
    const char *name = *state;
    skip_unless_available(name);
    in_child(basic_contract, name);
}

static void catalogue_and_unknown_names(void **state)
{
    (void)state;
    const char *expected[] = {"glibc", "jemalloc", "mimalloc", "tcmalloc", "cpython"};
    size_t n = 0;
    for (const ab_variant_info *v = ab_ref_catalogue(); v->name; v++, n++) {
        assert_true(n < 5);
        assert_string_equal(v->name, expected[n]);
        assert_non_null(v->description);
        assert_true(ab_ref_known(v->name));
    }
    assert_int_equal(n, 5);
    assert_false(ab_ref_known("4k"));
    ab_allocator a;
    char err[256];
    assert_int_equal(ab_ref_open("no-such-allocator", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-allocator"));
    char why[256];
    assert_false(ab_ref_available("no-such-allocator", why, sizeof why));
}

/* An allocator that cannot be loaded reports dlerror() text, not a crash. */
static void missing_libpython_reports_reason(const char *name)
{
    (void)name;
    setenv("ARENABENCH_LIBPYTHON", "/nonexistent/libpython9.99.so", 1);
    char why[512];
    CHILD_CHECK(!ab_ref_available("cpython", why, sizeof why));
    CHILD_CHECK(strstr(why, "/nonexistent/libpython9.99.so") != NULL);
    ab_allocator a;
    CHILD_CHECK(ab_ref_open("cpython", &a, why, sizeof why) == -1);
    CHILD_CHECK(strstr(why, "unavailable") != NULL);
}

#define PROBE_MISSING_LIBPYTHON "--probe-missing-libpython"
#define PROBE_JEMALLOC_NO_TLS "--probe-jemalloc-without-static-tls"

/* Without the static-TLS surplus, jemalloc is unavailable and the reason
 * names the fix (or, on a machine whose glibc reserves enough, it loads). */
static void jemalloc_without_tls_reports_fix(const char *name)
{
    char why[1024];
    if (ab_ref_available(name, why, sizeof why))
        return;
    fprintf(stderr, "jemalloc without tunable: %s\n", why);
    CHILD_CHECK(strstr(why, "libjemalloc") != NULL);
    if (strstr(why, "static TLS"))
        CHILD_CHECK(strstr(why, "GLIBC_TUNABLES=" AB_REF_STATIC_TLS_TUNABLE) != NULL);
}

/* The binding is made once per process (the parent made it while checking
 * availability), so the missing-library case needs a fresh process: re-run
 * this program in probe mode. */
static void unavailable_is_reported(void **state)
{
    (void)state;
    char cmd[4200];
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(len > 0);
    self[len] = 0;
    snprintf(cmd, sizeof cmd, "'%s' " PROBE_MISSING_LIBPYTHON, self);
    assert_int_equal(system(cmd), 0);
    /* A process started without the tunable (and told not to re-exec). */
    snprintf(cmd, sizeof cmd, "env -u GLIBC_TUNABLES " AB_REF_STATIC_TLS_ENV "=1 '%s' " PROBE_JEMALLOC_NO_TLS,
             self);
    assert_int_equal(system(cmd), 0);
}

static void glibc_reports_no_arena_figures(const char *name)
{
    ab_allocator a;
    char err[256];
    CHILD_CHECK(ab_ref_open(name, &a, err, sizeof err) == 0);
    void *p = a.malloc(a.self, 100);
    ab_alloc_stats st;
    a.stats(a.self, &st);
    CHILD_CHECK(st.arenas_allocated_total == AB_STAT_UNKNOWN);
    CHILD_CHECK(st.arenas_current == AB_STAT_UNKNOWN);
    CHILD_CHECK(st.blocks_in_use == AB_STAT_UNKNOWN);
    CHILD_CHECK(st.mmap_calls == AB_STAT_UNKNOWN);
    CHILD_CHECK(st.hugepage_bytes == AB_STAT_UNKNOWN);
    a.free(a.self, p);
    a.destroy(a.self);
}

static void glibc_stats_unknown(void **state)
{
    (void)state;
    in_child(glibc_reports_no_arena_figures, "glibc");
}

/* Captured from /usr/bin/python3 3.11.2 (Debian 12), sys._debugmallocstats(),
 * cut after the first table. */
static const char captured_stats[] =
    "Small block threshold = 512, in 32 size classes.\n"
    "\n"
    "class   size   num pools   blocks in use  avail blocks\n"
    "-----   ----   ---------   -------------  ------------\n"
    "    0     16           1              22           999\n"
    "    1     32           1             447            63\n"
    "    3     64          16            3991            89\n"
    "   31    512           1              11            20\n"
    "\n"
    "# arenas allocated total           =                    2\n"
    "# arenas reclaimed                 =                    0\n"
    "# arenas highwater mark            =                    2\n"
    "# arenas allocated current         =                    2\n"
    "2 arenas * 1048576 bytes/arena     =            2,097,152\n"
    "\n"
    "# bytes in allocated blocks        =              822,896\n"
    "# bytes in available blocks        =              348,384\n"
    "54 unused pools * 16384 bytes      =              884,736\n"
    "# bytes lost to pool headers       =                3,456\n"
    "# bytes lost to quantization       =                4,912\n"
    "# bytes lost to arena alignment    =               32,768\n"
    "Total                              =            2,097,152\n"
    "\n"
    "arena map counts\n"
    "# arena map mid nodes              =                    1\n"
    "# arena map bot nodes              =                    1\n"
    "\n"
    "# bytes lost to arena map root     =              262,144\n"
    "Total                              =              655,360\n";

static void parser_on_captured_literal(void **state)
{
    (void)state;
    ab_cpy_mallocstats m;
    char err[256];
    assert_int_equal(ab_cpy_parse_mallocstats(captured_stats, &m, err, sizeof err), 0);
    assert_int_equal(m.small_block_threshold, 512);
    assert_int_equal(m.size_classes, 32);
    assert_int_equal(m.nrows, 4);
    assert_int_equal(m.rows[2].size_class, 3);
    assert_int_equal(m.rows[2].block_size, 64);
    assert_int_equal(m.rows[2].pools, 16);
    assert_int_equal(m.rows[2].blocks_in_use, 3991);
    assert_int_equal(m.rows[2].avail_blocks, 89);
    assert_int_equal(ab_cpy_class_blocks(&m, 31), 11);
    assert_int_equal(ab_cpy_class_blocks(&m, 2), 0);
    assert_int_equal(m.arenas_allocated_total, 2);
    assert_int_equal(m.arenas_reclaimed, 0);
    assert_int_equal(m.arenas_highwater, 2);
    assert_int_equal(m.arenas_current, 2);
    assert_int_equal(m.arena_size, 1048576);
    assert_int_equal(m.bytes_in_allocated_blocks, 822896);
    assert_int_equal(m.bytes_in_available_blocks, 348384);
    assert_int_equal(m.unused_pools, 54);
    assert_int_equal(m.pool_size, 16384);
    assert_int_equal(m.bytes_lost_pool_headers, 3456);
    assert_int_equal(m.bytes_lost_quantization, 4912);
    assert_int_equal(m.bytes_lost_alignment, 32768);
    assert_int_equal(m.total, 2097152);   /* the first Total, not the arena map's */

    ab_alloc_stats st;
    ab_alloc_stats_init_unknown(&st);
    ab_cpy_mallocstats_apply(&m, &st);
    assert_int_equal(st.pools_in_use, 1 + 1 + 16 + 1);
    assert_int_equal(st.blocks_in_use, 22 + 447 + 3991 + 11);
    assert_int_equal(st.bytes_lost_alignment, 32768);
    assert_int_equal(st.mmap_calls, AB_STAT_UNKNOWN);   /* apply leaves the rest alone */
}

static void parser_rejects_damaged_text(void **state)
{
    (void)state;
    ab_cpy_mallocstats m;
    char err[256];
    /* Cut before the alignment line: a changed format must not parse. */
    char *cut = strdup(captured_stats);
    *strstr(cut, "# bytes lost to arena alignment") = 0;
    assert_int_equal(ab_cpy_parse_mallocstats(cut, &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "arena alignment"));
    free(cut);
    assert_int_equal(ab_cpy_parse_mallocstats("", &m, err, sizeof err), -1);
    char *bad = strdup(captured_stats);
    memcpy(strstr(bad, "   31    512"), "   xx", 5);
    assert_int_equal(ab_cpy_parse_mallocstats(bad, &m, err, sizeof err), -1);
    free(bad);
}

/* Real output of an independent interpreter: the parsed figures must obey
 * obmalloc's own accounting identities. */
static void parser_on_live_python(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c 'import sys; sys._debugmallocstats()' 2>&1", AB_PYTHON);
    FILE *f = popen(cmd, "r");
    if (!f) {
        printf("[  SKIP    ] cannot run %s\n", AB_PYTHON);
        skip();
    }
    size_t cap = 1 << 16, len = 0, got;
    char *text = malloc(cap);
    while ((got = fread(text + len, 1, cap - len - 1, f)) > 0)
        len += got;
    text[len] = 0;
    int rc = pclose(f);
    if (rc != 0) {
        printf("[  SKIP    ] %s failed (status %d)\n", AB_PYTHON, rc);
        free(text);
        skip();
    }
    ab_cpy_mallocstats m;
    char err[256];
    assert_int_equal(ab_cpy_parse_mallocstats(text, &m, err, sizeof err), 0);
    assert_true(m.arenas_current >= 1);
    assert_true(m.nrows >= 5);
    int64_t in_blocks = 0, in_avail = 0, pools = 0, quant = 0;
    for (int i = 0; i < m.nrows; i++) {
        const ab_cpy_class_row *r = &m.rows[i];
        assert_int_equal(r->block_size, (r->size_class + 1) * AB_MIN_ALIGNMENT);
        in_blocks += r->blocks_in_use * r->block_size;
        in_avail += r->avail_blocks * r->block_size;
        pools += r->pools;
        quant += r->pools * ((m.pool_size - 48) % r->block_size);   /* POOL_OVERHEAD 48 */
    }
    assert_int_equal(in_blocks, m.bytes_in_allocated_blocks);
    assert_int_equal(in_avail, m.bytes_in_available_blocks);
    assert_int_equal(pools * 48, m.bytes_lost_pool_headers);
    assert_int_equal(quant, m.bytes_lost_quantization);
    assert_int_equal(m.total, m.arenas_current * m.arena_size);
    assert_int_equal(m.bytes_in_allocated_blocks + m.bytes_in_available_blocks +
                         m.unused_pools * m.pool_size + m.bytes_lost_pool_headers +
                         m.bytes_lost_quantization + m.bytes_lost_alignment,
                     m.total);
    assert_int_equal(m.arenas_reclaimed, m.arenas_allocated_total - m.arenas_current);
    free(text);
}

typedef struct hook_log {
    int64_t maps, unmaps, last_current;
    bool current_consistent;
} hook_log;

static void record_event(void *arg, int mapped, int64_t arenas_current)
{
    hook_log *log = arg;
    int64_t expected = log->last_current + (mapped ? 1 : -1);
    if (arenas_current != expected)
        log->current_consistent = false;
    log->last_current = arenas_current;
    if (mapped)
        log->maps++;
    else
        log->unmaps++;
}

/* Whether [p, p+1) lies in a mapping of /proc/self/maps (an independent
 * witness that the arenas we count are really mapped). */
static bool address_mapped(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    unsigned long lo, hi;
    bool found = false;
    char line[512];
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)p >= lo && (uintptr_t)p < hi)
            found = true;
    fclose(f);
    return found;
}

static void cpython_arenas_and_hook(const char *name)
{
    ab_allocator a;
    char err[512];
    CHILD_CHECK(ab_ref_open(name, &a, err, sizeof err) == 0);
    ab_alloc_stats before, mid, after;
    a.stats(a.self, &before);
    CHILD_CHECK(before.arenas_current == 0);   /* fresh child: libpython untouched */
    CHILD_CHECK(before.mmap_calls == 0);

    hook_log log = {0, 0, before.arenas_current, true};
    a.set_arena_hook(a.self, record_event, &log);

    /* 512-byte blocks: 31 per 16 KiB pool, so 8000 need > 258 pools, i.e.
     * at least 5 arenas of 64 pools. */
    enum { N = 8000, SIZE = 512 };
    void **p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++) {
        p[i] = a.malloc(a.self, SIZE);
        CHILD_CHECK(p[i] && (uintptr_t)p[i] % AB_MIN_ALIGNMENT == 0);
    }
    a.stats(a.self, &mid);
    CHILD_CHECK(mid.blocks_in_use - before.blocks_in_use == N);
    CHILD_CHECK(mid.pools_in_use == (N + 30) / 31);
    CHILD_CHECK(mid.arenas_current >= 5);
    CHILD_CHECK(mid.arenas_current == log.maps);
    CHILD_CHECK(mid.mmap_calls == log.maps);
    CHILD_CHECK(mid.arena_size == 1 << 20 && mid.pool_size == 16 << 10);
    CHILD_CHECK(mid.arena_bytes_mapped == mid.arenas_current * mid.arena_size);
    CHILD_CHECK(address_mapped(p[0]) && address_mapped(p[N - 1]));
    ab_cpy_mallocstats m;
    CHILD_CHECK(ab_cpy_capture_mallocstats(&m, NULL, err, sizeof err) == 0);
    CHILD_CHECK(ab_cpy_class_blocks(&m, SIZE / AB_MIN_ALIGNMENT - 1) == N);

    for (int i = 0; i < N; i++)
        a.free(a.self, p[i]);
    a.stats(a.self, &after);
    /* CPython 3.9+ keeps one wholly empty arena (bpo-37257). */
    CHILD_CHECK(after.arenas_current == 1);
    CHILD_CHECK(after.blocks_in_use == 0);
    CHILD_CHECK(after.munmap_calls == log.unmaps);
    CHILD_CHECK(log.unmaps == mid.arenas_current - 1);
    CHILD_CHECK(after.arenas_reclaimed == log.unmaps);
    CHILD_CHECK(after.arenas_highwater == mid.arenas_current);
    CHILD_CHECK(log.current_consistent && log.last_current == after.arenas_current);
    CHILD_CHECK(after.arena_bytes_mapped == after.arena_size);
    /* Known (smaps was read) and never more than what is mapped. */
    CHILD_CHECK(after.hugepage_bytes >= 0 && after.hugepage_bytes <= after.arena_bytes_mapped);
    CHILD_CHECK(!address_mapped(p[0]) || !address_mapped(p[N - 1]));
    free(p);

    /* The process-global state is shared by a second instance. */
    ab_allocator second;
    CHILD_CHECK(ab_ref_open(name, &second, err, sizeof err) == 0);
    void *q = a.malloc(a.self, 40);
    ab_alloc_stats shared;
    second.stats(second.self, &shared);
    CHILD_CHECK(shared.blocks_in_use == 1);
    CHILD_CHECK(shared.arenas_allocated_total == after.arenas_allocated_total);
    second.free(second.self, q);
    second.destroy(second.self);
    a.destroy(a.self);
}

static void cpython_live_arenas(void **state)
{
    (void)state;
    skip_unless_available("cpython");
    in_child(cpython_arenas_and_hook, "cpython");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], PROBE_MISSING_LIBPYTHON)) {
        missing_libpython_reports_reason("cpython");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], PROBE_JEMALLOC_NO_TLS)) {
        jemalloc_without_tls_reports_fix("jemalloc");
        return 0;
    }
    /* jemalloc needs a larger static-TLS surplus to be dlopen'ed. */
    ab_ref_ensure_static_tls(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalogue_and_unknown_names),
        cmocka_unit_test_prestate(contract_test, (void *)"glibc"),
        cmocka_unit_test_prestate(contract_test, (void *)"jemalloc"),
        cmocka_unit_test_prestate(contract_test, (void *)"mimalloc"),
        cmocka_unit_test_prestate(contract_test, (void *)"tcmalloc"),
        cmocka_unit_test_prestate(contract_test, (void *)"cpython"),
        cmocka_unit_test(unavailable_is_reported),
        cmocka_unit_test(glibc_stats_unknown),
        cmocka_unit_test(parser_on_captured_literal),
        cmocka_unit_test(parser_rejects_damaged_text),
        cmocka_unit_test(parser_on_live_python),
        cmocka_unit_test(cpython_live_arenas),
    };
    return cmocka_run_group_tests_name("reference", tests, NULL, NULL);
}
