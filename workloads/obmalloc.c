/*
 * obmalloc.c -- the nine functions of bench_obmalloc.py (the huge-pages
 * proposal, shared/seeds/003; reconstructed in workloads/python/
 * bench_obmalloc.py) as the allocator calls CPython 3.11.2 makes running
 * them with the gc disabled.
 *
 * Facts modelled, each measured with a PyMem_SetAllocator() hook on
 * Debian's 3.11.2 (see pyobj.h for object sizes):
 *   - the script's measured region is the whole function call, so
 *     everything the function body does is inside ab_wl_begin/ab_wl_end,
 *     including what is still alive at return being released by the frame
 *     clear, locals in co_varnames order (cell variables after plain ones);
 *   - a list comprehension is a function object (152 bytes) called with a
 *     range iterator; range(n) makes 3 temporary ints and a length int;
 *     each iteration makes the loop int (unless -5..256) before releasing
 *     the previous one;
 *   - list item arrays grow by list_resize() through PyMem_Realloc, which
 *     is pymalloc up to 512 bytes and the system allocator beyond;
 *   - `for x in some_list` allocates a list iterator (48 bytes) released
 *     when the loop ends.
 * Each workload's comment says what else it models.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/families.h"
#include "workloads/pyobj.h"
#include "workloads/rng.h"
#include "workloads/python_sources.h"

/* bench_obmalloc.py's sizes at scale 1.0 */
#define CHURN_N 200000
#define BULK_N 1000000
#define DICT_N 500000
#define MIXED_N 500000
#define FRAG_N 500000
#define TUPLES_N 1000000
#define INSTANCES_N 500000
#define PRESSURE_LAYERS 10
#define PRESSURE_N 200000
#define WALK_N 1000000

static void mix_bytearray(ab_wl_ctx *ctx, const void *ba)
{
    size_t n = ab_py_bytearray_len(ba);
    ab_wl_mix(ctx, n);
    ab_wl_mix(ctx, ab_py_bytearray_get(ba, 0));
}

/*
 * small_object_churn: objs = []; append 200k bytearray(64); then 200k times
 * append one more and objs.pop(0).  pop(0) is list_ass_slice: a memmove of
 * the whole item array (1.6 MB) per call, so at scale 1.0 the workload
 * moves ~320 GB and its time is the memmove's, not the allocator's.
 */
static int run_small_object_churn(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, CHURN_N), v;
    ab_wl_begin(ctx);
    void *objs = ab_py_list_new(&py), *var = NULL;
    ab_py_rangeiter it;
    ab_py_range_open(&py, &it, 0, n, 1, NULL);
    while (ab_py_for_range(&py, &it, &var, &v))
        ab_py_list_append(&py, objs, ab_py_bytearray_new(&py, 64));
    ab_py_range_open(&py, &it, 0, n, 1, NULL);
    while (ab_py_for_range(&py, &it, &var, &v)) {
        ab_py_list_append(&py, objs, ab_py_bytearray_new(&py, 64));
        void *popped = ab_py_list_pop0(&py, objs);
        mix_bytearray(ctx, popped);
        ab_py_decref(&py, popped);
    }
    ab_wl_mix(ctx, ab_py_list_len(objs));
    ab_py_decref(&py, objs);
    ab_py_decref(&py, var);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/* bulk_small_alloc: 1M bytearray(48) by a comprehension, then o[0] = 1 for
 * each (one byte written to every buffer).  At return the list goes first;
 * `o` still holds the last bytearray, which goes after it. */
static int run_bulk_small_alloc(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, BULK_N), v;
    ab_wl_begin(ctx);
    ab_py_comp c;
    ab_py_comp_begin(&py, &c, NULL, n, NULL);
    void *objs = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &c, &v))
        ab_py_list_append(&py, objs, ab_py_bytearray_new(&py, 48));
    ab_py_comp_end(&py, &c);
    void *iter = ab_py_seqiter_new(&py), *o = NULL;
    for (size_t i = 0; i < ab_py_list_len(objs); i++) {
        ab_py_store(&py, &o, ab_py_incref(ab_py_list_get(objs, i)));
        ab_py_bytearray_set(o, 0, 1);
    }
    ab_py_decref(&py, iter);
    for (size_t i = 0; i < ab_py_list_len(objs); i++) ab_wl_mix(ctx, ab_py_bytearray_get(ab_py_list_get(objs, i), 0));
    ab_wl_mix(ctx, ab_py_list_len(objs));
    ab_py_decref(&py, objs);
    ab_py_decref(&py, o);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/* dict_churn: 500k times d = {"a": 1, "b": 2, "c": 3, "d": 4}; del d.  The
 * keys are interned constants and the values cached small ints; the dict
 * and its minimum-size keys table come back from the dict freelists after
 * the first iteration, so what reaches the allocator is the loop int. */
static int run_dict_churn(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, DICT_N), v;
    ab_wl_begin(ctx);
    void *var = NULL;
    ab_py_rangeiter it;
    ab_py_range_open(&py, &it, 0, n, 1, NULL);
    uint64_t dicts = 0;
    while (ab_py_for_range(&py, &it, &var, &v)) {
        void *d = ab_py_dict_literal4(&py);
        dicts++;
        ab_py_decref(&py, d);
    }
    ab_wl_mix(ctx, dicts);
    ab_py_decref(&py, var);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/* mixed_sizes: sizes = [8, ..., 512] (a list extended from a constant
 * tuple: item array sized exactly); sizes is a cell because the
 * comprehension reads it, so the function gets a closure tuple.  The
 * bytearray(512) buffers (513 bytes) go to the system allocator. */
static const int64_t mixed_size_list[12] = {8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};

static int run_mixed_sizes(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, MIXED_N), v;
    ab_wl_begin(ctx);
    /* MAKE_CELL runs at function entry, before the list is built */
    void *cell = ab_py_cell_new(&py, NULL);
    void *sizes = ab_py_list_new_exact(&py, 12);
    for (size_t i = 0; i < 12; i++) ab_py_list_init_item(sizes, i, NULL);  /* small ints / constants */
    *(void **)((char *)cell + sizeof(ab_pyobj)) = sizes;
    ab_py_comp c;
    ab_py_comp_begin(&py, &c, cell, n, NULL);
    void *objs = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &c, &v))
        ab_py_list_append(&py, objs, ab_py_bytearray_new(&py, (size_t)mixed_size_list[v % 12]));
    ab_py_comp_end(&py, &c);
    for (size_t i = 0; i < ab_py_list_len(objs); i++) mix_bytearray(ctx, ab_py_list_get(objs, i));
    ab_py_decref(&py, objs);
    ab_py_decref(&py, cell);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/* fragmentation: 500k bytearray(128); every other one replaced by None
 * (freed at once: buffer, then object); then refilled with new
 * bytearray(128)s.  range(0, len(objs), 2) owns the len() int (28 bytes). */
static int run_fragmentation(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, FRAG_N), v;
    ab_wl_begin(ctx);
    ab_py_comp c;
    ab_py_comp_begin(&py, &c, NULL, n, NULL);
    void *objs = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &c, &v))
        ab_py_list_append(&py, objs, ab_py_bytearray_new(&py, 128));
    ab_py_comp_end(&py, &c);
    void *i_var = NULL;
    ab_py_rangeiter it;
    int64_t len = (int64_t)ab_py_list_len(objs);
    ab_py_range_open(&py, &it, 0, len, 2, ab_py_int_new_digits(&py, len));
    while (ab_py_for_range(&py, &it, &i_var, &v))
        ab_py_list_set(&py, objs, (size_t)v, NULL);
    len = (int64_t)ab_py_list_len(objs);
    ab_py_range_open(&py, &it, 0, len, 2, ab_py_int_new_digits(&py, len));
    while (ab_py_for_range(&py, &it, &i_var, &v)) {
        void *b = ab_py_bytearray_new(&py, 128);
        ab_py_list_set(&py, objs, (size_t)v, b);
    }
    for (size_t i = 0; i < ab_py_list_len(objs); i++) mix_bytearray(ctx, ab_py_list_get(objs, i));
    ab_py_decref(&py, objs);
    ab_py_decref(&py, i_var);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/* list_of_tuples: [(i, i+1, i+2) for i in range(1M)]: per item the loop
 * int, i+1, i+2 (32 bytes each unless small) and a 3-tuple (64 bytes, GC).
 * At return tupledealloc releases items from the end; the first 2000 dead
 * 3-tuples go to the tuple freelist instead of being freed. */
static int run_list_of_tuples(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, TUPLES_N), v;
    ab_wl_begin(ctx);
    ab_py_comp c;
    ab_py_comp_begin(&py, &c, NULL, n, NULL);
    void *objs = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &c, &v)) {
        void *a = ab_py_incref(c.var);
        void *b = ab_py_int_new(&py, v + 1);
        void *d = ab_py_int_new(&py, v + 2);
        void *t = ab_py_tuple_new(&py, 3);
        ab_py_tuple_init_item(t, 0, a);
        ab_py_tuple_init_item(t, 1, b);
        ab_py_tuple_init_item(t, 2, d);
        ab_py_list_append(&py, objs, t);
    }
    ab_py_comp_end(&py, &c);
    uint64_t sum = 0;
    for (size_t i = 0; i < ab_py_list_len(objs); i++) sum += 3 * i + 3;
    ab_wl_mix(ctx, sum);
    ab_wl_mix(ctx, ab_py_list_len(objs));
    ab_py_decref(&py, objs);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/*
 * class_instances: class Pt with __slots__ ('x', 'y', 'z') defined inside
 * the function (Pt is a cell: the comprehension reads it), then
 * [Pt(i, i+1, i+2) for i in range(500k)]: per item three ints and a
 * 56-byte zero-filled GC instance; clear_slots releases x, y, z in order.
 * Class creation is replayed from the call sequence measured on the first
 * (cold) execution, as in a fresh `python3 bench_obmalloc.py`; the class
 * is part of reference cycles, so with the gc disabled it outlives the
 * call (freed here after the measured phase, as a later collection would).
 */
static const ab_py_op class_pt_ops[] = {
    {'m', 1, 152}, {'m', 2, 72}, {'m', 3, 64}, {'f', 2, 0}, {'m', 4, 120}, {'m', 5, 152},
    {'m', 6, 64}, {'m', 7, 48}, {'m', 8, 120}, {'m', 9, 64}, {'m', 10, 56}, {'c', 11, 24},
    {'m', 12, 64}, {'f', 11, 0}, {'m', 13, 1080}, {'m', 14, 56}, {'m', 15, 64}, {'m', 16, 64},
    {'m', 17, 208}, {'m', 18, 64}, {'m', 19, 28}, {'m', 20, 80}, {'m', 21, 208}, {'m', 22, 64},
    {'f', 21, 0}, {'m', 23, 56}, {'m', 24, 72}, {'f', 23, 0}, {'f', 24, 0}, {'f', 1, 0},
};
#define CLASS_PT_BLOCKS 25

static int run_class_instances(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, INSTANCES_N), v;
    void *class_blocks[CLASS_PT_BLOCKS] = {0};
    ab_wl_begin(ctx);
    void *cell = ab_py_cell_new(&py, NULL);
    ab_py_replay(&py, class_pt_ops, sizeof class_pt_ops / sizeof class_pt_ops[0], class_blocks);
    ab_py_comp c;
    ab_py_comp_begin(&py, &c, cell, n, NULL);
    void *objs = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &c, &v)) {
        void *x = ab_py_incref(c.var);
        void *y = ab_py_int_new(&py, v + 1);
        void *z = ab_py_int_new(&py, v + 2);
        void *pt = ab_py_slots_new(&py, 3);
        void **slot = ab_py_slots(pt);
        slot[0] = x;
        slot[1] = y;
        slot[2] = z;
        AB_SIM_STORE_RANGE(slot, 3 * sizeof *slot);
        ab_py_list_append(&py, objs, pt);
    }
    ab_py_comp_end(&py, &c);
    uint64_t sum = 0;
    for (size_t i = 0; i < ab_py_list_len(objs); i++) sum += 3 * i + 3;
    ab_wl_mix(ctx, sum);
    ab_py_decref(&py, objs);
    ab_py_decref(&py, cell);
    ab_wl_end(ctx);
    for (size_t i = 0; i < CLASS_PT_BLOCKS; i++) ab_wl_free(ctx, class_blocks[i]);
    ab_py_fini(&py);
    return 0;
}

/* arena_pressure: [[bytearray(256) for _ in range(200k)] for _ in range(10)]:
 * ten live lists of 200k bytearrays whose 257-byte buffers are in the
 * 272-byte class; the inner comprehension's function is made anew for
 * each outer iteration. */
static int run_arena_pressure(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, PRESSURE_N), v, w;
    ab_wl_begin(ctx);
    ab_py_comp outer;
    ab_py_comp_begin(&py, &outer, NULL, PRESSURE_LAYERS, NULL);
    void *layers = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &outer, &v)) {
        ab_py_comp inner;
        ab_py_comp_begin(&py, &inner, NULL, n, NULL);
        void *layer = ab_py_list_new(&py);
        while (ab_py_comp_next(&py, &inner, &w))
            ab_py_list_append(&py, layer, ab_py_bytearray_new(&py, 256));
        ab_py_comp_end(&py, &inner);
        ab_py_list_append(&py, layers, layer);
    }
    ab_py_comp_end(&py, &outer);
    for (size_t i = 0; i < ab_py_list_len(layers); i++) ab_wl_mix(ctx, ab_py_list_len(ab_py_list_get(layers, i)));
    ab_py_decref(&py, layers);
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/*
 * random_walk: import random; random.seed(42); 1M bytearray(64);
 * idx = list(range(len(objs))); random.shuffle(idx); objs[i][0] = i & 0xff
 * in shuffled order (one byte written per buffer, in random order).
 *
 * `import random` inside the function is part of the measured call in a
 * fresh interpreter; the model allocates what the import leaves alive
 * (measured: 1914 blocks, 228 KiB, histogram below) rather than replaying
 * its ~7000 calls.  random.seed(n) allocates the key array (PyMem_Malloc,
 * 4 bytes per 32-bit word) and frees it.  random.shuffle is Python code in
 * 3.11 (Lib/random.py): per step the loop int, i + 1, a bound method for
 * self.getrandbits (72 bytes), the getrandbits() result (28 bytes unless
 * small) for every draw of _randbelow_with_getrandbits's rejection loop,
 * with MT19937 seeded as CPython seeds it, so the retry count, the
 * allocation sequence and the final order are CPython's.
 */
typedef struct { uint16_t size, count; } size_count;
static const size_count import_random_survivors[] = {
    {16, 6}, {32, 68}, {48, 195}, {64, 662}, {80, 456}, {96, 93}, {112, 53}, {128, 34},
    {144, 16}, {160, 88}, {176, 10}, {192, 12}, {208, 40}, {224, 14}, {240, 12}, {256, 14},
    {272, 13}, {288, 10}, {304, 5}, {320, 9}, {336, 9}, {352, 4}, {368, 5}, {384, 4},
    {400, 9}, {416, 2}, {432, 2}, {448, 4}, {464, 2}, {480, 2}, {496, 1}, {512, 1},
    {528, 3}, {544, 3}, {560, 1}, {576, 2}, {608, 1}, {624, 2}, {656, 1}, {672, 1},
    {720, 1}, {768, 7}, {784, 1}, {832, 3}, {880, 1}, {896, 1}, {944, 1}, {960, 8},
    {1008, 4}, {1040, 2}, {1056, 1}, {1072, 1}, {1088, 1}, {1184, 1}, {1232, 1}, {1328, 1},
    {1344, 1}, {1520, 4}, {2560, 1}, {3264, 1}, {9248, 1},
};

typedef struct { void **blocks; size_t n; } survivors;

static int import_random(ab_py *py, survivors *s)
{
    size_t total = 0;
    for (size_t i = 0; i < sizeof import_random_survivors / sizeof import_random_survivors[0]; i++)
        total += import_random_survivors[i].count;
    /* bookkeeping array: the harness's memory, not the workload's */
    s->blocks = calloc(total, sizeof(void *));
    if (!s->blocks) return -1;
    s->n = 0;
    for (size_t i = 0; i < sizeof import_random_survivors / sizeof import_random_survivors[0]; i++)
        for (uint16_t k = 0; k < import_random_survivors[i].count; k++) {
            void *p = ab_wl_malloc(py->ctx, import_random_survivors[i].size);
            memset(p, 0, 16);
            AB_SIM_STORE(p);
            s->blocks[s->n++] = p;
        }
    return 0;
}

static void random_seed(ab_py *py, ab_mt *mt, uint64_t seed)
{
    /* random_seed(): _PyLong_AsByteArray into a PyMem_Malloc'd key */
    size_t words = seed >> 32 ? 2 : 1;
    uint32_t *key = ab_wl_malloc(py->ctx, words * sizeof(uint32_t));
    key[0] = (uint32_t)seed;
    if (words == 2) key[1] = (uint32_t)(seed >> 32);
    ab_mt_init_by_array(mt, key, (int)words);
    ab_wl_free(py->ctx, key);
}

/* Lib/random.py Random.shuffle over a list of ints (3.11). */
static uint64_t shuffle(ab_py *py, ab_mt *mt, void *x)
{
    uint64_t draws = 0;
    void *randbelow = ab_py_method_new(py);   /* randbelow = self._randbelow */
    int64_t len = (int64_t)ab_py_list_len(x);
    /* reversed(range(1, len(x))): the range, a bound __reversed__ to call,
     * the iterator; then the method and the range (with its len() int) go */
    ab_py_range r;
    ab_py_range_new(py, &r, 1, len, 1, ab_py_int_new_digits(py, len));
    void *reversed_method = ab_py_builtin_method_new(py);
    ab_py_rangeiter it;
    ab_py_range_iter_reversed(py, &r, &it);
    ab_py_decref(py, reversed_method);
    ab_py_range_release(py, &r);
    void *i_var = NULL, *j_var = NULL;
    int64_t i;
    while (ab_py_for_range(py, &it, &i_var, &i)) {
        /* j = randbelow(i + 1) */
        int64_t n = i + 1;
        void *n_obj = ab_py_int_new(py, n);
        void *getrandbits = ab_py_builtin_method_new(py);  /* getrandbits = self.getrandbits */
        int k = ab_bit_length((uint64_t)n);
        uint32_t rv = ab_mt_getrandbits(mt, k);
        draws++;
        void *r_obj = ab_py_int_new_digits(py, rv);
        while (rv >= (uint64_t)n) {
            rv = ab_mt_getrandbits(mt, k);
            draws++;
            ab_py_store(py, &r_obj, ab_py_int_new_digits(py, rv));
        }
        /* _randbelow's frame clears n, getrandbits, k; r is returned */
        ab_py_decref(py, n_obj);
        ab_py_decref(py, getrandbits);
        ab_py_store(py, &j_var, r_obj);
        /* x[i], x[j] = x[j], x[i] */
        void *a = ab_py_list_get(x, (size_t)i), *b = ab_py_list_get(x, rv);
        ab_py_list_init_item(x, (size_t)i, b);
        ab_py_list_init_item(x, rv, a);
    }
    /* shuffle's frame: self, x, randbelow, i, j */
    ab_py_decref(py, randbelow);
    ab_py_decref(py, i_var);
    ab_py_decref(py, j_var);
    return draws;
}

static int run_random_walk(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, WALK_N), v;
    survivors imported = {0};
    ab_mt mt;
    ab_wl_begin(ctx);
    if (import_random(&py, &imported)) {
        ab_wl_end(ctx);
        snprintf(ctx->error, sizeof ctx->error, "out of memory");
        return -1;
    }
    random_seed(&py, &mt, ctx->seed);
    ab_py_comp c;
    ab_py_comp_begin(&py, &c, NULL, n, NULL);
    void *objs = ab_py_list_new(&py);
    while (ab_py_comp_next(&py, &c, &v))
        ab_py_list_append(&py, objs, ab_py_bytearray_new(&py, 64));
    ab_py_comp_end(&py, &c);
    /* idx = list(range(len(objs))): range, list object, iterator, exact
     * item array, the ints; then the iterator and the range go */
    int64_t len = (int64_t)ab_py_list_len(objs);
    ab_py_range r;
    ab_py_range_new(&py, &r, 0, len, 1, ab_py_int_new_digits(&py, len));
    void *idx = ab_py_list_new(&py);
    ab_py_rangeiter it;
    ab_py_range_iter(&py, &r, &it);
    ab_py_list_preallocate(&py, idx, (size_t)len);
    void *item;
    while (ab_py_range_next(&py, &it, &v, &item)) ab_py_list_extend_item(&py, idx, item);
    ab_py_range_close(&py, &it);
    ab_py_range_release(&py, &r);
    uint64_t draws = shuffle(&py, &mt, idx);
    /* for i in idx: objs[i][0] = i & 0xff */
    void *liter = ab_py_seqiter_new(&py), *i_var = NULL;
    uint64_t order = 0;
    for (size_t k = 0; k < ab_py_list_len(idx); k++) {
        void *io = ab_py_list_get(idx, k);
        int64_t i = ab_py_int_value(io);
        ab_py_store(&py, &i_var, ab_py_incref(io));
        ab_py_bytearray_set(ab_py_list_get(objs, (size_t)i), 0, (uint8_t)(i & 0xff));
        order = order * 1000003u + (uint64_t)i;
    }
    ab_py_decref(&py, liter);
    ab_wl_mix(ctx, order);
    ab_wl_mix(ctx, draws);
    ab_py_decref(&py, objs);
    ab_py_decref(&py, idx);
    ab_py_decref(&py, i_var);
    ab_wl_end(ctx);
    for (size_t k = 0; k < imported.n; k++) ab_wl_free(ctx, imported.blocks[k]);
    free(imported.blocks);
    ab_py_fini(&py);
    return 0;
}

#define BENCH_SRC AB_PY_SRC_BENCH_OBMALLOC

static const ab_workload small_object_churn = {
    "small_object_churn", "bench_obmalloc: 200k bytearray(64) FIFO via append + pop(0) (memmove-bound)",
    false, BENCH_SRC, run_small_object_churn, NULL};
static const ab_workload bulk_small_alloc = {
    "bulk_small_alloc", "bench_obmalloc: 1M bytearray(48), one byte written to each",
    true, BENCH_SRC, run_bulk_small_alloc, NULL};
static const ab_workload dict_churn = {
    "dict_churn", "bench_obmalloc: 500k 4-key dict literals created and deleted",
    true, BENCH_SRC, run_dict_churn, NULL};
static const ab_workload mixed_sizes = {
    "mixed_sizes", "bench_obmalloc: 500k bytearrays of 12 sizes 8..512",
    true, BENCH_SRC, run_mixed_sizes, NULL};
static const ab_workload fragmentation = {
    "fragmentation", "bench_obmalloc: 500k bytearray(128), every other freed and reallocated",
    true, BENCH_SRC, run_fragmentation, NULL};
static const ab_workload list_of_tuples = {
    "list_of_tuples", "bench_obmalloc: 1M 3-tuples of ints",
    true, BENCH_SRC, run_list_of_tuples, NULL};
static const ab_workload class_instances = {
    "class_instances", "bench_obmalloc: 500k __slots__ instances with three ints",
    true, BENCH_SRC, run_class_instances, NULL};
static const ab_workload arena_pressure = {
    "arena_pressure", "bench_obmalloc: 10 lists of 200k bytearray(256) alive at once",
    true, BENCH_SRC, run_arena_pressure, NULL};
static const ab_workload random_walk = {
    "random_walk", "bench_obmalloc: 1M bytearray(64) written in random.shuffle order",
    true, BENCH_SRC, run_random_walk, NULL};

const ab_workload *const ab_family_obmalloc[] = {
    &small_object_churn, &bulk_small_alloc, &dict_churn, &mixed_sizes, &fragmentation,
    &list_of_tuples, &class_instances, &arena_pressure, &random_walk, NULL,
};
