/* test_workloads.c -- every workload against a checking allocator (no leak,
 * no double or foreign free, counts agree with the calls made), the same
 * call sequence and checksum on different allocators, and the parts that
 * must be bit-identical to CPython checked against /usr/bin/python3 itself:
 * MT19937 seeding and draws, float repr, random.shuffle's order and draw
 * count, and the results of random_prune and trie_prune. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include "allocators/variant.h"
#include "workloads/workload.h"
#include "workloads/pyobj.h"
#include "workloads/rng.h"

#ifndef AB_PYTHON
#define AB_PYTHON "/usr/bin/python3"
#endif

/* ---- a checking allocator over malloc, optionally forwarding to another ---- */

#define CHECK_MAGIC 0xab5eed0fULL
#define CHECK_HEADER 16   /* keeps AB_MIN_ALIGNMENT */

typedef struct checker {
    const ab_allocator *inner;     /* NULL: malloc */
    uint64_t live, mallocs, callocs, reallocs, frees, bad_frees;
    uint64_t seq_hash;             /* over (op, size) in call order */
} checker;

static void seq(checker *c, uint64_t op, uint64_t n)
{
    c->seq_hash = (c->seq_hash ^ (op << 56 ^ n)) * 0x100000001b3ULL;
}

static void *raw_alloc(checker *c, size_t n, int zero)
{
    if (c->inner) {
        void *p = zero ? c->inner->calloc(c->inner->self, 1, n) : c->inner->malloc(c->inner->self, n);
        c->live++;
        return p;
    }
    uint64_t *h = zero ? calloc(1, n + CHECK_HEADER) : malloc(n + CHECK_HEADER);
    h[0] = CHECK_MAGIC;
    h[1] = n;
    c->live++;
    return (char *)h + CHECK_HEADER;
}

static void raw_free(checker *c, void *p)
{
    if (c->inner) {
        c->inner->free(c->inner->self, p);
        c->live--;
        return;
    }
    uint64_t *h = (uint64_t *)((char *)p - CHECK_HEADER);
    if (h[0] != CHECK_MAGIC) {
        c->bad_frees++;
        return;
    }
    h[0] = 0;
    c->live--;
    free(h);
}

static void *ck_malloc(void *self, size_t n) { checker *c = self; c->mallocs++; seq(c, 1, n); return raw_alloc(c, n, 0); }
static void *ck_calloc(void *self, size_t a, size_t b) { checker *c = self; c->callocs++; seq(c, 2, a * b); return raw_alloc(c, a * b, 1); }
static void ck_free(void *self, void *p)
{
    checker *c = self;
    if (!p) return;
    c->frees++;
    seq(c, 4, 0);
    raw_free(c, p);
}
static void *ck_realloc(void *self, void *p, size_t n)
{
    checker *c = self;
    c->reallocs++;
    seq(c, 3, n);
    if (c->inner) {
        if (!p) c->live++;
        return c->inner->realloc(c->inner->self, p, n);
    }
    void *q = raw_alloc(c, n, 0);
    if (p) {
        uint64_t *h = (uint64_t *)((char *)p - CHECK_HEADER);
        memcpy(q, p, h[1] < n ? h[1] : n);
        raw_free(c, p);
    }
    return q;
}

static ab_allocator checker_allocator(checker *c)
{
    ab_allocator a = {.name = "checker", .self = c, .malloc = ck_malloc, .calloc = ck_calloc,
                      .realloc = ck_realloc, .free = ck_free};
    return a;
}

static double test_scale(void) { return ab_test_is_asan() ? 0.002 : 0.01; }

static int run_workload(const char *spec, const ab_allocator *a, double scale, uint64_t seed, ab_wl_ctx *ctx)
{
    const ab_workload *w = ab_workload_find(spec);
    assert_non_null(w);
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc = a;
    ctx->scale = scale;
    ctx->seed = seed;
    const char *colon = strchr(spec, ':');
    ctx->param = colon ? colon + 1 : NULL;
    return w->run(ctx);
}

static const char *const all_specs[] = {
    "small_object_churn", "bulk_small_alloc", "dict_churn", "mixed_sizes", "fragmentation",
    "list_of_tuples", "class_instances", "arena_pressure", "random_walk", "evan_jones",
    "random_prune", "random_prune:random_half", "random_prune:first_half", "random_prune:keep50",
    "trie_prune",
};

static void every_workload_is_listed_with_metadata(void **state)
{
    (void)state;
    size_t n = 0, in_matrix = 0;
    for (const ab_workload *const *w = ab_workload_catalogue(); *w; w++) {
        n++;
        assert_non_null((*w)->description);
        if (!strcmp((*w)->name, "small_object_churn")) assert_false((*w)->in_default_matrix);
        if ((*w)->python_source) {
            char path[4096];
            const char *src = getenv("AB_SOURCE_DIR");
            snprintf(path, sizeof path, "%s/%s", src ? src : ".", (*w)->python_source);
            assert_int_equal(access(path, R_OK), 0);
            in_matrix += (*w)->in_default_matrix;
        }
    }
    assert_true(n >= 12);
    assert_int_equal(in_matrix, 11);
}

/* No leak, no bad free, counts are the calls made, memory is really used. */
static void workloads_balance_on_a_checking_allocator(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_specs / sizeof all_specs[0]; i++) {
        checker c = {0};
        ab_allocator a = checker_allocator(&c);
        ab_wl_ctx ctx;
        assert_int_equal(run_workload(all_specs[i], &a, test_scale(), 42, &ctx), 0);
        if (c.live || c.bad_frees) fail_msg("%s: %llu live blocks, %llu bad frees", all_specs[i],
                                            (unsigned long long)c.live, (unsigned long long)c.bad_frees);
        assert_int_equal(ctx.n_malloc, c.mallocs);
        assert_int_equal(ctx.n_calloc, c.callocs);
        assert_int_equal(ctx.n_realloc, c.reallocs);
        assert_int_equal(ctx.n_free, c.frees);
        assert_true(c.mallocs + c.reallocs > 100);
        assert_int_not_equal(ctx.checksum, 0);
    }
}

/* The same calls and the same checksum on the 4k model and on malloc, and a
 * larger scale makes more calls. */
static void sequence_and_checksum_do_not_depend_on_the_allocator(void **state)
{
    (void)state;
    ab_variant v;
    char err[256];
    ab_allocator model;
    bool have_model = !ab_variant_parse("4k", &v, err, sizeof err) &&
                      !ab_variant_open(&v, &model, err, sizeof err);
    for (size_t i = 0; i < sizeof all_specs / sizeof all_specs[0]; i++) {
        checker c1 = {0}, c2 = {0}, c3 = {0};
        if (have_model) c2.inner = &model;
        ab_allocator a1 = checker_allocator(&c1), a2 = checker_allocator(&c2), a3 = checker_allocator(&c3);
        ab_wl_ctx x1, x2, x3;
        assert_int_equal(run_workload(all_specs[i], &a1, test_scale(), 7, &x1), 0);
        assert_int_equal(run_workload(all_specs[i], &a2, test_scale(), 7, &x2), 0);
        assert_int_equal(run_workload(all_specs[i], &a3, 2 * test_scale(), 7, &x3), 0);
        if (x1.checksum != x2.checksum || c1.seq_hash != c2.seq_hash)
            fail_msg("%s differs between malloc and %s", all_specs[i], have_model ? "4k" : "malloc");
        assert_true(c3.mallocs + c3.reallocs > c1.mallocs + c1.reallocs);
    }
    if (have_model) model.destroy(model.self);
    else skip();
}

static void unknown_param_is_an_error(void **state)
{
    (void)state;
    checker c = {0};
    ab_allocator a = checker_allocator(&c);
    ab_wl_ctx ctx;
    assert_int_not_equal(run_workload("random_prune:most", &a, 0.001, 1, &ctx), 0);
    assert_non_null(strstr(ctx.error, "random_prune"));
    assert_int_equal(c.live, 0);
}

/* ---- against CPython itself ---- */

static char *python(const char *code)
{
    char path[] = "/tmp/abtest-py-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(code, f);
    fclose(f);
    char cmd[512], outp[] = "/tmp/abtest-pyout-XXXXXX";
    int ofd = mkstemp(outp);
    close(ofd);
    snprintf(cmd, sizeof cmd, "%s -E %s > %s", AB_PYTHON, path, outp);
    int st = system(cmd);
    char *out = ab_test_slurp(outp);
    unlink(path);
    unlink(outp);
    if (st != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static void mt19937_matches_cpython(void **state)
{
    (void)state;
    char *out = python("import random\n"
                       "r = random.Random(42); print(r.getrandbits(32), r.getrandbits(7))\n"
                       "r = random.Random(2**40 + 5); print(repr(r.random()))\n");
    if (!out) skip();
    unsigned long long a, b;
    char rep[64];
    assert_int_equal(sscanf(out, "%llu %llu %63s", &a, &b, rep), 3);
    ab_mt mt;
    ab_mt_seed(&mt, 42);
    assert_int_equal(ab_mt_getrandbits(&mt, 32), a);
    assert_int_equal(ab_mt_getrandbits(&mt, 7), b);
    ab_mt_seed(&mt, (1ULL << 40) + 5);
    char mine[40];
    ab_py_float_repr(ab_mt_random(&mt), mine);
    assert_string_equal(mine, rep);
    free(out);
}

static void float_repr_matches_cpython(void **state)
{
    (void)state;
    /* random() values and awkward ones: exponents, integers, halves */
    char *out = python("import random, zlib\n"
                       "r = random.Random(3)\n"
                       "v = [r.random() for _ in range(20000)] + [r.random() * 1e-5 for _ in range(2000)]\n"
                       "v += [0.0, 1.0, 0.5, 1e16, 1.5e16, 1e17, 123456789012345678.0, 1e-4, 9.999e-5, 0.1]\n"
                       "print(zlib.crc32(' '.join(map(repr, v)).encode()), sum(len(repr(x)) for x in v))\n");
    if (!out) skip();
    unsigned long long crc, total;
    assert_int_equal(sscanf(out, "%llu %llu", &crc, &total), 2);
    free(out);
    ab_mt mt;
    ab_mt_seed(&mt, 3);
    static const double extra[] = {0.0, 1.0, 0.5, 1e16, 1.5e16, 1e17, 123456789012345678.0, 1e-4, 9.999e-5, 0.1};
    size_t n = 20000 + 2000 + sizeof extra / sizeof extra[0], len_sum = 0, cap = 64 * n, used = 0;
    char *all = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        double x = i < 20000 ? ab_mt_random(&mt) : i < 22000 ? ab_mt_random(&mt) * 1e-5 : extra[i - 22000];
        char buf[40];
        size_t len = ab_py_float_repr(x, buf);
        len_sum += len;
        if (i) all[used++] = ' ';
        memcpy(all + used, buf, len);
        used += len;
    }
    assert_int_equal(len_sum, total);
    /* zlib's crc32, bitwise */
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < used; i++) {
        c ^= (unsigned char)all[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1u));
    }
    free(all);
    assert_int_equal(c ^ 0xffffffffu, crc);
}

static uint64_t mix2(uint64_t a, uint64_t b)
{
    ab_wl_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ab_wl_mix(&ctx, a);
    ab_wl_mix(&ctx, b);
    return ctx.checksum;
}

/* random_walk's checksum is (shuffled order hash, getrandbits draws): both
 * must be what CPython's random.shuffle produced with the same seed. */
static void random_walk_shuffles_like_cpython(void **state)
{
    (void)state;
    double scale = 0.005;   /* 5000 bytearrays */
    char *out = python("import random\n"
                       "class R(random.Random):\n"
                       "    draws = 0\n"
                       "    def getrandbits(self, k):\n"
                       "        R.draws += 1\n"
                       "        return super().getrandbits(k)\n"
                       "r = R(11); idx = list(range(5000)); r.shuffle(idx)\n"
                       "h = 0\n"
                       "for i in idx: h = (h * 1000003 + i) % 2**64\n"
                       "print(h, R.draws)\n");
    if (!out) skip();
    unsigned long long h, draws;
    assert_int_equal(sscanf(out, "%llu %llu", &h, &draws), 2);
    free(out);
    checker c = {0};
    ab_allocator a = checker_allocator(&c);
    ab_wl_ctx ctx;
    assert_int_equal(run_workload("random_walk", &a, scale, 11, &ctx), 0);
    assert_int_equal(ctx.checksum, mix2(h, draws));
}

/* The Python originals print what their function computed; the C
 * equivalents mix the same two numbers into their checksums. */
static void seeds_compute_what_the_python_originals_compute(void **state)
{
    (void)state;
    static const char *const specs[] = {"random_prune:random_half", "random_prune:first_half",
                                        "random_prune:keep50", "trie_prune"};
    double scale = ab_test_is_asan() ? 0.005 : 0.02;
    const char *src = getenv("AB_SOURCE_DIR");
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char cmd[4096], outp[] = "/tmp/abtest-seed-XXXXXX";
        int fd = mkstemp(outp);
        close(fd);
        snprintf(cmd, sizeof cmd, "%s -E %s/workloads/python/%s.py %s --scale %g --seed 5 > %s",
                 AB_PYTHON, src ? src : ".", strncmp(specs[i], "trie", 4) ? "random_prune" : "trie_prune",
                 specs[i], scale, outp);
        int st = system(cmd);
        char *out = ab_test_slurp(outp);
        unlink(outp);
        if (st != 0) {
            free(out);
            fail_msg("%s failed", cmd);
        }
        unsigned long long x, y;
        assert_int_equal(sscanf(out, "%llu %llu", &x, &y), 2);
        free(out);
        checker c = {0};
        ab_allocator a = checker_allocator(&c);
        ab_wl_ctx ctx;
        assert_int_equal(run_workload(specs[i], &a, scale, 5, &ctx), 0);
        if (ctx.checksum != mix2(x, y)) fail_msg("%s: C result differs from Python's (%llu, %llu)", specs[i], x, y);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_workload_is_listed_with_metadata),
        cmocka_unit_test(workloads_balance_on_a_checking_allocator),
        cmocka_unit_test(sequence_and_checksum_do_not_depend_on_the_allocator),
        cmocka_unit_test(unknown_param_is_an_error),
        cmocka_unit_test(mt19937_matches_cpython),
        cmocka_unit_test(float_repr_matches_cpython),
        cmocka_unit_test(random_walk_shuffles_like_cpython),
        cmocka_unit_test(seeds_compute_what_the_python_originals_compute),
    };
    return cmocka_run_group_tests_name("workloads", tests, NULL, NULL);
}
