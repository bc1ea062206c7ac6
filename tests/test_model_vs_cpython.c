/*
 * test_model_vs_cpython.c -- the model agrees with the real CPython.
 *
 * The same deterministic allocation sequences run through the `4k` preset
 * (ab_variant_parse("4k") + ab_variant_open) and through `cpython` (libpython's
 * own PyObject_Malloc), each side in its own freshly forked child, and at
 * every checkpoint the two must report the same figures of
 * sys._debugmallocstats(): arenas allocated total / reclaimed / highwater /
 * current, unused pools, bytes in allocated and available blocks, bytes lost
 * to headers, quantization and alignment, and per size class the pools and
 * blocks in use.  All figures are deltas from a baseline taken just before
 * the sequence.  A second test compares, block by block, where each side
 * puts every allocation: the offset inside its pool and which pool (by order
 * of first use), so carving order, LIFO reuse, usedpools order and the
 * most-full-arena rule must all match, and both must align every block to 16.
 *
 * Arena alignment.  An arena that does not start on a pool boundary loses a
 * pool (63 instead of 64), so arena counts depend on where mmap puts arenas,
 * which ASLR and unrelated mappings decide.  Each child therefore steers the
 * address space before its first arena and again before the baseline: it
 * probes where the next arena-sized mmap would land and, if that address is
 * not at the wanted offset from a pool boundary, maps a PROT_NONE guard of
 * exactly the difference at the top of that hole (MAP_FIXED_NOREPLACE), so
 * the next mapping lands that much lower.  Later arenas are then mapped
 * adjacent to each other (every mapping in the sequence is a whole number of
 * arenas; glibc is told to keep its large blocks off mmap), so all of them
 * share the offset.  Both offsets are tested: 4 KiB (what CPython usually
 * gets: 63 pools per arena) and 0 (64 pools).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/testutil.h"
#include "allocators/reference.h"
#include "allocators/ref_cpython.h"
#include "allocators/variant.h"
#include "allocators/pymalloc.h"

#define NCLASSES 32                       /* 512 / 16 on 64-bit CPython */
#define ARENA_SIZE ((size_t)1 << 20)      /* CPython 3.10+ on 64-bit, and the 4k preset */
#define POOL_SIZE ((size_t)16 << 10)
#define STEER_TRIES 64
#define MAX_SNAPSHOTS 16
/* glibc's largest M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX). */
#define GLIBC_MAX_MMAP_THRESHOLD (32 << 20)

typedef struct snapshot {
    char label[40];
    int64_t arenas_total, arenas_reclaimed, arenas_highwater, arenas_current;
    int64_t unused_pools, bytes_allocated, bytes_available;
    int64_t lost_headers, lost_quantization, lost_alignment;
    int64_t class_pools[NCLASSES], class_blocks[NCLASSES];
} snapshot;

typedef enum { SIDE_MODEL, SIDE_CPYTHON } side_kind;
static const char *const side_names[] = {"4k model", "cpython"};

typedef struct side {
    side_kind kind;
    ab_allocator a;
    snapshot baseline;
    snapshot snaps[MAX_SNAPSHOTS];
    int nsnaps;
} side;

#define CHILD_CHECK(cond)                                                                   \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
            _exit(1);                                                                       \
        }                                                                                   \
    } while (0)

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t scaled(size_t n)
{
    return ab_test_is_asan() ? n / 2 : n;
}

/* ---- reading each side's statistics -------------------------------------- */

static void read_stats(side *s, snapshot *out)
{
    memset(out, 0, sizeof *out);
    if (s->kind == SIDE_CPYTHON) {
        ab_cpy_mallocstats m;
        char err[256];
        if (ab_cpy_capture_mallocstats(&m, NULL, err, sizeof err) < 0) {
            fprintf(stderr, "cpython stats: %s\n", err);
            _exit(1);
        }
        out->arenas_total = m.arenas_allocated_total;
        out->arenas_reclaimed = m.arenas_reclaimed;
        out->arenas_highwater = m.arenas_highwater;
        out->arenas_current = m.arenas_current;
        out->unused_pools = m.unused_pools;
        out->bytes_allocated = m.bytes_in_allocated_blocks;
        out->bytes_available = m.bytes_in_available_blocks;
        out->lost_headers = m.bytes_lost_pool_headers;
        out->lost_quantization = m.bytes_lost_quantization;
        out->lost_alignment = m.bytes_lost_alignment;
        for (int i = 0; i < m.nrows; i++) {
            CHILD_CHECK(m.rows[i].size_class >= 0 && m.rows[i].size_class < NCLASSES);
            out->class_pools[m.rows[i].size_class] = m.rows[i].pools;
            out->class_blocks[m.rows[i].size_class] = m.rows[i].blocks_in_use;
        }
        return;
    }
    ab_pymalloc *pm = ab_pymalloc_from_allocator(&s->a);
    CHILD_CHECK(pm != NULL);
    ab_pymalloc_debug_stats d;
    ab_pymalloc_debug_stats_get(pm, &d);
    out->arenas_total = d.arenas_allocated_total;
    out->arenas_reclaimed = d.arenas_reclaimed;
    out->arenas_highwater = d.arenas_highwater;
    out->arenas_current = d.arenas_current;
    out->unused_pools = d.unused_pools;
    out->bytes_allocated = d.bytes_in_allocated_blocks;
    out->bytes_available = d.bytes_in_available_blocks;
    out->lost_headers = d.bytes_lost_pool_headers;
    out->lost_quantization = d.bytes_lost_quantization;
    out->lost_alignment = d.bytes_lost_alignment;
    for (int c = 0; c < NCLASSES; c++) {
        out->class_pools[c] = d.classes[c].pools;
        out->class_blocks[c] = d.classes[c].blocks_in_use;
    }
    /* The model also prints _PyObject_DebugMallocStats' layout: the cpython
     * parser must read back exactly the figures it printed. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHILD_CHECK(f != NULL);
    ab_pymalloc_print_debug_stats(pm, f);
    fclose(f);
    ab_cpy_mallocstats m;
    char err[256];
    if (ab_cpy_parse_mallocstats(text, &m, err, sizeof err) < 0) {
        fprintf(stderr, "model printout does not parse: %s\n%s", err, text);
        _exit(1);
    }
    free(text);
    CHILD_CHECK(m.arenas_allocated_total == out->arenas_total && m.arenas_current == out->arenas_current);
    CHILD_CHECK(m.arenas_highwater == out->arenas_highwater && m.unused_pools == out->unused_pools);
    CHILD_CHECK(m.bytes_lost_alignment == out->lost_alignment);
    for (int c = 0; c < NCLASSES; c++)
        CHILD_CHECK(ab_cpy_class_blocks(&m, c) == out->class_blocks[c]);
}

/* Record a checkpoint as the delta from the baseline. */
static void checkpoint(side *s, const char *label)
{
    CHILD_CHECK(s->nsnaps < MAX_SNAPSHOTS);
    snapshot now;
    read_stats(s, &now);
    snapshot *d = &s->snaps[s->nsnaps++];
    const snapshot *b = &s->baseline;
    snprintf(d->label, sizeof d->label, "%s", label);
    const int64_t *nf = &now.arenas_total, *bf = &b->arenas_total;
    int64_t *df = &d->arenas_total;
    size_t nfields = (sizeof now - offsetof(snapshot, arenas_total)) / sizeof(int64_t);
    for (size_t i = 0; i < nfields; i++)
        df[i] = nf[i] - bf[i];
}

/* ---- steering arena placement (see the header comment) ------------------- */

static bool steer_next_arena(size_t want_offset)
{
    for (int t = 0; t < STEER_TRIES; t++) {
        void *probe = mmap(NULL, ARENA_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (probe == MAP_FAILED)
            return false;
        munmap(probe, ARENA_SIZE);
        size_t off = (uintptr_t)probe % POOL_SIZE;
        if (off == want_offset)
            return true;
        /* The probe landed at the top of the highest hole that fits an
         * arena; shrink that hole from the top by exactly the difference,
         * so the next arena lands `guard` bytes lower.  Kept mapped until
         * the child exits. */
        size_t guard = (off + POOL_SIZE - want_offset) % POOL_SIZE;
        char *at = (char *)probe + ARENA_SIZE - guard;
        void *g = mmap(at, guard, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
                       -1, 0);
        if (g != at) {
            if (g != MAP_FAILED)
                munmap(g, guard);   /* pre-4.17 kernel: the hint was not honoured */
            return false;
        }
    }
    return false;
}

/* ---- the sequences -------------------------------------------------------- */

typedef void (*sequence_fn)(side *s, void **slots, size_t nslots);

static void *must_malloc(side *s, size_t n)
{
    void *p = s->a.malloc(s->a.self, n);
    CHILD_CHECK(p != NULL);
    return p;
}

static void free_all(side *s, void **slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s->a.free(s->a.self, slots[i]);
        slots[i] = NULL;
    }
}

/* Mostly small sizes 1..512, plus 0 and a few above the threshold. */
static size_t mixed_size(uint64_t *rng)
{
    uint64_t r = splitmix64(rng);
    if (r % 100 == 0)
        return 0;
    if (r % 100 < 4)
        return 513 + (size_t)((r >> 8) % 1536);
    return 1 + (size_t)((r >> 8) % 512);
}

/* Bulk allocate, free a random half, free the rest. */
static void seq_bulk_random_half(side *s, void **slots, size_t nslots)
{
    size_t n = nslots;
    uint64_t rng = 1;
    for (size_t i = 0; i < n; i++)
        slots[i] = must_malloc(s, mixed_size(&rng));
    checkpoint(s, "allocated");
    for (size_t i = 0; i < n; i++) {
        if (splitmix64(&rng) & 1) {
            s->a.free(s->a.self, slots[i]);
            slots[i] = NULL;
        }
    }
    checkpoint(s, "random half freed");
    free_all(s, slots, n);
    checkpoint(s, "all freed");
}

/* The primer's other half: string-sized objects, keep the first half. */
static void seq_keep_first_half(side *s, void **slots, size_t nslots)
{
    size_t n = nslots;
    uint64_t rng = 2;
    for (size_t i = 0; i < n; i++)
        slots[i] = must_malloc(s, 40 + (size_t)(splitmix64(&rng) % 41));
    checkpoint(s, "allocated");
    for (size_t i = n / 2; i < n; i++) {
        s->a.free(s->a.self, slots[i]);
        slots[i] = NULL;
    }
    checkpoint(s, "second half freed");
    free_all(s, slots, n / 2);
    checkpoint(s, "all freed");
}

/* Realloc growth chains crossing the 512-byte threshold: in-place growth
 * within a block, moves between classes, moves to and from the system. */
static void seq_realloc_chains(side *s, void **slots, size_t nslots)
{
    size_t chains = nslots / 16;
    size_t *sizes = calloc(chains, sizeof *sizes);
    CHILD_CHECK(sizes != NULL);
    uint64_t rng = 3;
    for (size_t c = 0; c < chains; c++) {
        sizes[c] = 1 + (size_t)(splitmix64(&rng) % 32);
        slots[c] = must_malloc(s, sizes[c]);
    }
    enum { STEPS = 40 };
    for (int step = 0; step < STEPS; step++) {
        for (size_t c = 0; c < chains; c++) {
            uint64_t r = splitmix64(&rng);
            size_t next = sizes[c] + 1 + (size_t)(r % 48);
            if (next > 700)
                next = 1 + (size_t)((r >> 16) % 64);   /* shrink back below the threshold */
            void *q = s->a.realloc(s->a.self, slots[c], next);
            CHILD_CHECK(q != NULL);
            slots[c] = q;
            sizes[c] = next;
        }
        if (step == STEPS / 2)
            checkpoint(s, "halfway");
    }
    checkpoint(s, "grown");
    free_all(s, slots, chains);
    checkpoint(s, "all freed");
    free(sizes);
}

/* Random interleaving of mallocs and frees around a live set, so arenas
 * drain and refill in the order usable_arenas/nfp2lasta decide. */
static void seq_churn(side *s, void **slots, size_t nslots)
{
    size_t live = 0, ops = nslots * 6;
    uint64_t rng = 4;
    for (size_t op = 1; op <= ops; op++) {
        uint64_t r = splitmix64(&rng);
        /* Grow for the first half, shrink for the second. */
        bool grow = op < ops / 2 ? r % 5 < 3 : r % 5 < 2;
        if (live < nslots && (grow || live == 0)) {
            slots[live++] = must_malloc(s, mixed_size(&rng));
        } else {
            size_t victim = (size_t)((r >> 8) % live);
            s->a.free(s->a.self, slots[victim]);
            slots[victim] = slots[--live];
        }
        if (op % (ops / 4) == 0) {
            char label[40];
            snprintf(label, sizeof label, "after %zu ops", op);
            checkpoint(s, label);
        }
    }
    free_all(s, slots, live);
    checkpoint(s, "all freed");
}

/* ---- running one side in a child ----------------------------------------- */

static int open_side(side *s, char *err, size_t errlen)
{
    if (s->kind == SIDE_CPYTHON)
        return ab_ref_open("cpython", &s->a, err, errlen);
    ab_variant v;
    if (ab_variant_parse("4k", &v, err, errlen) < 0)
        return -1;
    return ab_variant_open(&v, &s->a, err, errlen);
}

static void child_run(side_kind kind, sequence_fn seq, size_t nslots, size_t want_offset, int fd)
{
    /* Keep glibc's big blocks (radix-tree nodes, our pointer array) on the
     * heap, so the only mmaps during the sequence are arenas.  A no-op
     * under ASan, whose allocator never maps small blocks where arenas go. */
    mallopt(M_MMAP_THRESHOLD, GLIBC_MAX_MMAP_THRESHOLD);
    static side s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    void **slots = calloc(nslots, sizeof *slots);
    CHILD_CHECK(slots != NULL);
    char err[512];
    if (open_side(&s, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", side_names[kind], err);
        _exit(1);
    }
    CHILD_CHECK(steer_next_arena(want_offset));
    /* The first allocation maps the first arena and the radix-tree nodes
     * that cover it; re-steer after it for the nodes' sake. */
    s.a.free(s.a.self, must_malloc(&s, 16));
    CHILD_CHECK(steer_next_arena(want_offset));
    read_stats(&s, &s.baseline);
    seq(&s, slots, nslots);
    ssize_t want = (ssize_t)sizeof s.snaps;
    CHILD_CHECK(write(fd, &s.nsnaps, sizeof s.nsnaps) == (ssize_t)sizeof s.nsnaps);
    CHILD_CHECK(write(fd, s.snaps, sizeof s.snaps) == want);
    _exit(0);
}

/* Fork a child for one side; read its snapshots.  false if it failed. */
static bool run_side(side_kind kind, sequence_fn seq, size_t nslots, size_t want_offset, side *out)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_run(kind, seq, nslots, want_offset, fds[1]);
    }
    close(fds[1]);
    memset(out, 0, sizeof *out);
    out->kind = kind;
    char *buf = (char *)&out->nsnaps;
    size_t need = sizeof out->nsnaps, got = 0;
    while (got < need) {
        ssize_t r = read(fds[0], buf + got, need - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    bool ok = got == need;
    buf = (char *)out->snaps;
    need = sizeof out->snaps;
    got = 0;
    while (ok && got < need) {
        ssize_t r = read(fds[0], buf + got, need - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    ok = ok && got == need;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

typedef struct field_desc {
    const char *name;
    size_t offset;
} field_desc;

#define F(name) {#name, offsetof(snapshot, name)}
static const field_desc fields[] = {
    F(arenas_total),   F(arenas_reclaimed), F(arenas_highwater), F(arenas_current),
    F(unused_pools),   F(bytes_allocated),  F(bytes_available),  F(lost_headers),
    F(lost_quantization), F(lost_alignment),
};
#undef F

static int64_t field(const snapshot *s, size_t offset)
{
    return *(const int64_t *)((const char *)s + offset);
}

/* Compare all checkpoints; print every difference; true if none. */
static bool sides_agree(const char *seq_name, size_t want_offset, const side *m, const side *c)
{
    bool agree = m->nsnaps == c->nsnaps && m->nsnaps > 0;
    if (m->nsnaps != c->nsnaps)
        printf("%s: %d checkpoints in the model, %d in cpython\n", seq_name, m->nsnaps, c->nsnaps);
    for (int i = 0; agree && i < m->nsnaps; i++) {
        const snapshot *a = &m->snaps[i], *b = &c->snaps[i];
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            if (field(a, fields[f].offset) != field(b, fields[f].offset)) {
                printf("%s (arena offset %zu), %s: %s model %+" PRId64 " cpython %+" PRId64 "\n", seq_name,
                       want_offset, a->label, fields[f].name, field(a, fields[f].offset),
                       field(b, fields[f].offset));
                agree = false;
            }
        }
        for (int k = 0; k < NCLASSES; k++) {
            if (a->class_blocks[k] != b->class_blocks[k] || a->class_pools[k] != b->class_pools[k]) {
                printf("%s (arena offset %zu), %s: class %d (%d bytes) blocks model %+" PRId64
                       " cpython %+" PRId64 ", pools model %+" PRId64 " cpython %+" PRId64 "\n",
                       seq_name, want_offset, a->label, k, (k + 1) * 16, a->class_blocks[k],
                       b->class_blocks[k], a->class_pools[k], b->class_pools[k]);
                agree = false;
            }
        }
    }
    return agree;
}

typedef struct sequence_case {
    const char *name;
    sequence_fn fn;
    size_t nslots;
} sequence_case;

static void skip_without_cpython(void)
{
    char why[512];
    if (!ab_ref_available("cpython", why, sizeof why)) {
        printf("[  SKIP    ] cpython unavailable: %s\n", why);
        skip();
    }
}

static void agreement(void **state)
{
    const sequence_case *sc = *state;
    skip_without_cpython();
    static const size_t offsets[] = {4096, 0};
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
        side m, c;
        if (!run_side(SIDE_MODEL, sc->fn, scaled(sc->nslots), offsets[o], &m))
            fail_msg("%s: the model's child failed", sc->name);
        if (!run_side(SIDE_CPYTHON, sc->fn, scaled(sc->nslots), offsets[o], &c))
            fail_msg("%s: the cpython child failed", sc->name);
        /* Guard against a vacuous pass: the sequence really spans arenas. */
        assert_true(c.snaps[0].arenas_highwater >= 2 || c.snaps[0].arenas_total >= 2 ||
                    c.snaps[c.nsnaps - 1].arenas_reclaimed >= 1);
        if (!sides_agree(sc->name, offsets[o], &m, &c))
            fail_msg("%s: the 4k model and CPython disagree (arena offset %zu)", sc->name, offsets[o]);
        printf("%s (arena offset %zu): %d checkpoints agree; highwater %+" PRId64 ", total %+" PRId64
               ", reclaimed %+" PRId64 "\n",
               sc->name, offsets[o], c.nsnaps, c.snaps[c.nsnaps - 1].arenas_highwater,
               c.snaps[c.nsnaps - 1].arenas_total, c.snaps[c.nsnaps - 1].arenas_reclaimed);
    }
}

/* ---- block placement: same pool offsets, same pool order ----------------- */

#define PLACEMENT_OPS 30000

typedef struct placement {
    uint32_t pool_ordinal;   /* pools numbered in order of first use */
    uint32_t offset;         /* byte offset inside the pool */
} placement;

static void placement_child(side_kind kind, int fd)
{
    mallopt(M_MMAP_THRESHOLD, GLIBC_MAX_MMAP_THRESHOLD);
    static side s;
    s.kind = kind;
    char err[512];
    if (open_side(&s, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", side_names[kind], err);
        _exit(1);
    }
    CHILD_CHECK(steer_next_arena(4096));
    s.a.free(s.a.self, must_malloc(&s, 16));
    CHILD_CHECK(steer_next_arena(4096));
    size_t nops = scaled(PLACEMENT_OPS);
    placement *trace = calloc(nops, sizeof *trace);
    uintptr_t *pools = calloc(nops, sizeof *pools);
    void **live = calloc(nops, sizeof *live);
    CHILD_CHECK(trace && pools && live);
    size_t npools = 0, nlive = 0, ntrace = 0;
    uint64_t rng = 5;
    for (size_t op = 0; op < nops; op++) {
        uint64_t r = splitmix64(&rng);
        if (nlive == 0 || r % 8 < 5) {
            size_t n = 1 + (size_t)((r >> 8) % 512);
            void *p = must_malloc(&s, n);
            CHILD_CHECK((uintptr_t)p % AB_MIN_ALIGNMENT == 0);
            uintptr_t pool = (uintptr_t)p & ~(uintptr_t)(POOL_SIZE - 1);
            size_t ord = 0;
            while (ord < npools && pools[ord] != pool)
                ord++;
            if (ord == npools)
                pools[npools++] = pool;
            trace[ntrace++] = (placement){(uint32_t)ord, (uint32_t)((uintptr_t)p - pool)};
            live[nlive++] = p;
        } else {
            size_t victim = (size_t)((r >> 8) % nlive);
            s.a.free(s.a.self, live[victim]);
            live[victim] = live[--nlive];
        }
    }
    CHILD_CHECK(write(fd, &ntrace, sizeof ntrace) == (ssize_t)sizeof ntrace);
    size_t bytes = ntrace * sizeof *trace, off = 0;
    while (off < bytes) {
        ssize_t w = write(fd, (char *)trace + off, bytes - off);
        CHILD_CHECK(w > 0);
        off += (size_t)w;
    }
    _exit(0);
}

static placement *run_placement(side_kind kind, size_t *n)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        placement_child(kind, fds[1]);
    }
    close(fds[1]);
    placement *trace = NULL;
    *n = 0;
    if (read(fds[0], n, sizeof *n) == (ssize_t)sizeof *n) {
        trace = calloc(*n ? *n : 1, sizeof *trace);
        size_t bytes = *n * sizeof *trace, got = 0;
        ssize_t r;
        while (got < bytes && (r = read(fds[0], (char *)trace + got, bytes - got)) > 0)
            got += (size_t)r;
        if (got != bytes) {
            free(trace);
            trace = NULL;
        }
    }
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(trace);
        return NULL;
    }
    return trace;
}

static void block_placement_agrees(void **state)
{
    (void)state;
    skip_without_cpython();
    size_t nm, nc;
    placement *m = run_placement(SIDE_MODEL, &nm);
    placement *c = run_placement(SIDE_CPYTHON, &nc);
    assert_non_null(m);
    assert_non_null(c);
    assert_int_equal(nm, nc);
    size_t mismatches = 0;
    for (size_t i = 0; i < nm; i++) {
        if (m[i].pool_ordinal != c[i].pool_ordinal || m[i].offset != c[i].offset) {
            if (mismatches++ < 5)
                printf("allocation %zu: model pool #%u offset %u, cpython pool #%u offset %u\n", i,
                       m[i].pool_ordinal, m[i].offset, c[i].pool_ordinal, c[i].offset);
        }
    }
    /* A pool's first block sits right after the 48-byte header on both. */
    assert_int_equal(c[0].offset, 48);
    free(m);
    free(c);
    if (mismatches)
        fail_msg("%zu of %zu allocations placed differently", mismatches, nm);
}

int main(void)
{
    static const sequence_case cases[] = {
        {"bulk, free random half, free all", seq_bulk_random_half, 200000},
        {"string-sized, keep first half", seq_keep_first_half, 200000},
        {"realloc growth chains", seq_realloc_chains, 160000},
        {"churn around a live set", seq_churn, 60000},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(agreement, (void *)&cases[0]),
        cmocka_unit_test_prestate(agreement, (void *)&cases[1]),
        cmocka_unit_test_prestate(agreement, (void *)&cases[2]),
        cmocka_unit_test_prestate(agreement, (void *)&cases[3]),
        cmocka_unit_test(block_placement_agrees),
    };
    return cmocka_run_group_tests_name("model_vs_cpython", tests, NULL, NULL);
}
