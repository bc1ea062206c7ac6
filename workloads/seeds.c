/*
 * seeds.c -- the experiments of the other seeds as the allocator calls
 * CPython 3.11.2 makes running their Python reconstructions
 * (workloads/python/evan_jones.py, random_prune.py, trie_prune.py) with the
 * gc disabled.  Object sizes and call orders: pyobj.h, measured with a
 * PyMem_SetAllocator() hook.
 *
 * random_prune and trie_prune end their measured phase while the result is
 * still alive (as the primer looks at sys._debugmallocstats() with the
 * survivors alive), so the allocator statistics the runner records show
 * the arenas the survivors pin; the result is released after the phase.
 */
#include <stdio.h>
#include <string.h>
#include "workloads/families.h"
#include "workloads/pyobj.h"
#include "workloads/rng.h"
#include "workloads/python_sources.h"

#define EVAN_N 1000000
#define PRUNE_N 1000000
#define PRUNE_HALF_N 500000
#define TRIE_WORDS 100000
#define TRIE_MIN_LEN 3
#define TRIE_EXTRA_LEN 8      /* lengths 3 + randbelow(8): 3..10 */
#define TRIE_ALPHABET 26

/* Random._randbelow_with_getrandbits(n) for 0 < n < 2^32 */
static uint32_t randbelow(ab_mt *mt, uint32_t n)
{
    int k = ab_bit_length(n);
    uint32_t r = ab_mt_getrandbits(mt, k);
    while (r >= n) r = ab_mt_getrandbits(mt, k);
    return r;
}

/*
 * evan_jones: objs = [Obj() for _ in range(1M)]; del objs; and again.  Obj
 * has a __dict__ with one attribute (self.dumb = "hello", an interned
 * constant): in 3.11 each instance is a 56-byte GC object plus a 24-byte
 * inline-values array (PyMem_Malloc; larger for the class's first ~30
 * instances, see ab_py_class), freed values first.  `del objs`
 * frees the million instances from the last one, then the item array (a
 * system-allocator block); the second million refill the same pools.
 */
static int run_evan_jones(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, EVAN_N), v;
    ab_py_class obj_class;               /* class Obj, defined before the call */
    ab_py_class_init(&obj_class);
    ab_wl_begin(ctx);
    for (int round = 0; round < 2; round++) {
        ab_py_comp c;
        ab_py_comp_begin(&py, &c, NULL, n, NULL);
        void *objs = ab_py_list_new(&py);
        while (ab_py_comp_next(&py, &c, &v))
            ab_py_list_append(&py, objs, ab_py_managed_new(&py, &obj_class, NULL));
        ab_py_comp_end(&py, &c);
        ab_wl_mix(ctx, ab_py_list_len(objs));
        ab_py_decref(&py, objs);
    }
    ab_wl_end(ctx);
    ab_py_fini(&py);
    return 0;
}

/* ---- random_prune ---- */

typedef enum { KEEP_RANDOM_HALF, KEEP_FIRST_HALF, KEEP_50 } keep_mode;

static int parse_keep(const char *param, keep_mode *mode)
{
    if (!param || !strcmp(param, "random_half")) *mode = KEEP_RANDOM_HALF;
    else if (!strcmp(param, "first_half")) *mode = KEEP_FIRST_HALF;
    else if (!strcmp(param, "keep50")) *mode = KEEP_50;
    else return -1;
    return 0;
}

/* The primer's probabilities (shared/seeds/001). */
#define KEEP_P_HALF 0.5
#define KEEP_P_50 0.00005

/* [s for s in strings if random.random() < p], p a closure cell */
static void *keep_random(ab_py *py, ab_mt *mt, void *cell, void *strings, double p)
{
    void *closure = ab_py_tuple_new(py, 1);
    ab_py_tuple_init_item(closure, 0, ab_py_incref(cell));
    void *fn = ab_py_function_new(py);
    void *iter = ab_py_seqiter_new(py);         /* GET_ITER(strings), the call's .0 */
    void *kept = ab_py_list_new(py), *s = NULL;
    for (size_t i = 0; i < ab_py_list_len(strings); i++) {
        ab_py_store(py, &s, ab_py_incref(ab_py_list_get(strings, i)));
        void *f = ab_py_float_new(py, ab_mt_random(mt));
        bool keep = ab_py_float_value(f) < p;
        ab_py_decref(py, f);
        if (keep) ab_py_list_append(py, kept, ab_py_incref(s));
    }
    ab_py_decref(py, iter);
    ab_py_decref(py, s);
    ab_py_decref(py, closure);
    ab_py_decref(py, fn);
    return kept;
}

/*
 * random_prune[:random_half|first_half|keep50]: strings.append(str(
 * random.random())) a million times (per string: the loop int, a float
 * from the freelist, float_repr's work buffer, the str of 48 + len + 1
 * bytes, mostly 67 = the 80-byte class), then keep a random half, the
 * first half (a slice: exact item array) or ~50, and release the rest.
 * The same MT19937 stream as CPython gives the same strings (same sizes).
 */
static int run_random_prune(ab_wl_ctx *ctx)
{
    keep_mode mode;
    if (parse_keep(ctx->param, &mode)) {
        snprintf(ctx->error, sizeof ctx->error,
                 "random_prune: unknown mode '%s' (random_half, first_half, keep50)", ctx->param);
        return -1;
    }
    ab_py py;
    ab_py_init(&py, ctx);
    int64_t n = (int64_t)ab_wl_scaled(ctx, PRUNE_N), v;
    size_t half = (size_t)ab_wl_scaled(ctx, PRUNE_HALF_N);
    ab_mt mt;
    ab_mt_seed(&mt, ctx->seed);
    ab_wl_begin(ctx);
    void *cell = ab_py_cell_new(&py, NULL);     /* p is read by the comprehension */
    void *strings = ab_py_list_new(&py), *i_var = NULL;
    ab_py_rangeiter it;
    ab_py_range_open(&py, &it, 0, n, 1, NULL);
    while (ab_py_for_range(&py, &it, &i_var, &v)) {
        void *f = ab_py_float_new(&py, ab_mt_random(&mt));
        void *s = ab_py_float_str(&py, ab_py_float_value(f));
        ab_py_decref(&py, f);
        ab_py_list_append(&py, strings, s);
    }
    void *kept;
    if (mode == KEEP_FIRST_HALF) {
        size_t k = half < ab_py_list_len(strings) ? half : ab_py_list_len(strings);
        kept = ab_py_list_new_exact(&py, k);
        for (size_t i = 0; i < k; i++) ab_py_list_init_item(kept, i, ab_py_incref(ab_py_list_get(strings, i)));
    } else {
        kept = keep_random(&py, &mt, cell, strings, mode == KEEP_50 ? KEEP_P_50 : KEEP_P_HALF);
    }
    ab_py_store(&py, &strings, kept);
    /* return strings: the frame releases i and the cell */
    ab_py_decref(&py, i_var);
    ab_py_decref(&py, cell);
    size_t chars = 0;
    for (size_t i = 0; i < ab_py_list_len(strings); i++) chars += ab_py_str_len(ab_py_list_get(strings, i));
    ab_wl_mix(ctx, ab_py_list_len(strings));
    ab_wl_mix(ctx, chars);
    ab_wl_end(ctx);
    ab_py_decref(&py, strings);
    ab_py_fini(&py);
    return 0;
}

/* ---- trie_prune ---- */

enum { NODE_LABEL, NODE_CHILDREN, NODE_IS_WORD, NODE_SLOTS };

/* Node(label): the instance (zero-filled, 56 bytes), then __init__ stores
 * the label and makes the empty children list. */
static void *node_new(ab_py *py, void *label)
{
    void *node = ab_py_slots_new(py, NODE_SLOTS);
    void **slot = ab_py_slots(node);
    slot[NODE_LABEL] = ab_py_incref(label);
    slot[NODE_CHILDREN] = ab_py_list_new(py);
    slot[NODE_IS_WORD] = ab_py_int_new(py, 0);   /* False: a static object */
    AB_SIM_STORE_RANGE(slot, NODE_SLOTS * sizeof *slot);
    return node;
}

static void *build(ab_py *py, void *words)
{
    void *root = node_new(py, ab_py_str_empty(py));
    void *words_iter = ab_py_seqiter_new(py);
    void *node = NULL, *child = NULL;
    for (size_t w = 0; w < ab_py_list_len(words); w++) {
        const void *word = ab_py_list_get(words, w);
        ab_py_store(py, &node, ab_py_incref(root));
        void *chars_iter = ab_py_seqiter_new(py);
        const char *text = ab_py_str_data(word);
        for (size_t k = 0; k < ab_py_str_len(word); k++) {
            void *ch = ab_py_str_char(py, (unsigned char)text[k]);
            void *children = ab_py_slots(node)[NODE_CHILDREN];
            void *children_iter = ab_py_seqiter_new(py);
            bool found = false;
            for (size_t i = 0; i < ab_py_list_len(children); i++) {
                ab_py_store(py, &child, ab_py_incref(ab_py_list_get(children, i)));
                const void *label = ab_py_slots(child)[NODE_LABEL];
                if (ab_py_str_len(label) == 1 && ab_py_str_data(label)[0] == text[k]) {
                    ab_py_store(py, &node, ab_py_incref(child));
                    found = true;
                    break;
                }
            }
            ab_py_decref(py, children_iter);
            if (!found) {
                ab_py_store(py, &child, node_new(py, ch));
                ab_py_list_append(py, children, ab_py_incref(child));
                ab_py_store(py, &node, ab_py_incref(child));
            }
        }
        ab_py_decref(py, chars_iter);
        ab_py_store(py, &ab_py_slots(node)[NODE_IS_WORD], ab_py_int_new(py, 1));
    }
    ab_py_decref(py, words_iter);
    ab_py_decref(py, node);
    ab_py_decref(py, child);
    return root;
}

/* compress(node): merge single-child chains top-down.  `only` is a local
 * of the frame: the merged-away node is freed when `only` is rebound or
 * when the frame is cleared at return. */
static void compress(ab_py *py, void *node, uint64_t *merges)
{
    void *children = ab_py_slots(node)[NODE_CHILDREN];
    void *iter = ab_py_seqiter_new(py);
    void *child = NULL, *only = NULL;
    for (size_t i = 0; i < ab_py_list_len(children); i++) {
        ab_py_store(py, &child, ab_py_incref(ab_py_list_get(children, i)));
        void **cs = ab_py_slots(child);
        while (ab_py_list_len(cs[NODE_CHILDREN]) == 1 && ab_py_int_value(cs[NODE_IS_WORD]) == 0) {
            ab_py_store(py, &only, ab_py_incref(ab_py_list_get(cs[NODE_CHILDREN], 0)));
            void **os = ab_py_slots(only);
            ab_py_store(py, &cs[NODE_LABEL], ab_py_str_concat(py, cs[NODE_LABEL], os[NODE_LABEL]));
            ab_py_store(py, &cs[NODE_IS_WORD], ab_py_incref(os[NODE_IS_WORD]));
            ab_py_store(py, &cs[NODE_CHILDREN], ab_py_incref(os[NODE_CHILDREN]));
            (*merges)++;
        }
        compress(py, child, merges);
    }
    ab_py_decref(py, iter);
    ab_py_decref(py, child);
    ab_py_decref(py, only);
}

static void count(const void *node, uint64_t *nodes, uint64_t *chars)
{
    void *const *slot = ab_py_slots((void *)node);
    (*nodes)++;
    *chars += ab_py_str_len(slot[NODE_LABEL]);
    for (size_t i = 0; i < ab_py_list_len(slot[NODE_CHILDREN]); i++)
        count(ab_py_list_get(slot[NODE_CHILDREN], i), nodes, chars);
}

/*
 * trie_prune: the primer's trie, built from generated words (setup: the
 * words and their list exist before the measured phase, as in the Python
 * original before its "before" snapshot), then compressed.  Per node a
 * 56-byte __slots__ instance and its children list (56 bytes + an item
 * array growing 32, 64, 128, 192, 256 bytes); per word a str iterator and
 * per character a list iterator; compression makes one concatenated label
 * per merge and frees the merged node, the old label and the old one-item
 * children list.
 */
static int run_trie_prune(ab_wl_ctx *ctx)
{
    ab_py py;
    ab_py_init(&py, ctx);
    size_t nwords = (size_t)ab_wl_scaled(ctx, TRIE_WORDS);
    ab_mt mt;
    ab_mt_seed(&mt, ctx->seed);
    void *words = ab_py_list_new(&py);
    for (size_t w = 0; w < nwords; w++) {
        char text[TRIE_MIN_LEN + TRIE_EXTRA_LEN];
        size_t len = TRIE_MIN_LEN + randbelow(&mt, TRIE_EXTRA_LEN);
        for (size_t k = 0; k < len; k++) text[k] = (char)('a' + randbelow(&mt, TRIE_ALPHABET));
        ab_py_list_append(&py, words, ab_py_str_new(&py, text, len));
    }
    uint64_t merges = 0, nodes = 0, chars = 0;
    ab_wl_begin(ctx);
    void *root = build(&py, words);
    compress(&py, root, &merges);
    count(root, &nodes, &chars);
    ab_wl_mix(ctx, nodes);
    ab_wl_mix(ctx, chars);
    ab_wl_end(ctx);
    ab_py_decref(&py, root);
    ab_py_decref(&py, words);
    ab_py_fini(&py);
    return 0;
}

static const ab_workload evan_jones = {
    "evan_jones", "Evan Jones 2005: 1M class instances allocated, freed, allocated again",
    true, AB_PY_SRC_EVAN_JONES, run_evan_jones, NULL};
static int check_random_prune(const char *param, char *err, size_t errlen)
{
    keep_mode mode;
    if (parse_keep(param, &mode) == 0) return 0;
    snprintf(err, errlen, "random_prune: unknown mode '%s' (random_half, first_half, keep50)", param);
    return -1;
}

static const ab_workload random_prune = {
    "random_prune", "primer: 1M str(random.random()), keep random_half|first_half|keep50 (param)",
    true, AB_PY_SRC_RANDOM_PRUNE, run_random_prune, check_random_prune};
static const ab_workload trie_prune = {
    "trie_prune", "primer: character trie of 100k words, single-child paths compressed",
    true, AB_PY_SRC_TRIE_PRUNE, run_trie_prune, NULL};

const ab_workload *const ab_family_seeds[] = {&evan_jones, &random_prune, &trie_prune, NULL};
