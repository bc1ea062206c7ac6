/*
 * survivors.c -- the long-running process: allocate many short-lived
 * objects, keep 1 in K alive, free the rest, then hold.  How much memory
 * does the allocator keep for the few that live?  (A reviewer's objection
 * to 2 MiB arenas in CPython issue 144319: one live object pins an arena.)
 *
 * Spec: survivors[:k=K,layout=scattered|clustered,objects=N]
 *   k        keep 1 object in k (10..10000, default 100)
 *   layout   scattered: every k-th object in allocation order, so every
 *            pool of the first objects' size classes keeps some;
 *            clustered: the first N/k objects, packed into few pools
 *   objects  objects at scale 1 (scaled by --scale)
 *
 * Objects are str of 8..87 characters (56..136-byte blocks, six size
 * classes) and 2-tuples of a str and an int, in rotation: the mix of a
 * parsed request or a cache fill.  The measured phase ends with the
 * survivors alive (so the runner's allocator statistics are the end state);
 * they are released after it.  The peak statistics are taken inside the
 * phase, after the allocation, by the allocator's own stats call (which
 * reads /proc: the phase's wall time includes it, so survivors is not a
 * timing workload).
 */
#include <stdio.h>
#include <string.h>
#include "workloads/families.h"
#include "workloads/pyobj.h"
#include "workloads/rng.h"
#include "workloads/survivors.h"
#include "workloads/wl_params.h"

#define SURVIVORS_OBJECTS 200000
#define SURVIVORS_K 100
#define SURVIVORS_K_MIN 10
#define SURVIVORS_K_MAX 10000
#define STR_MIN_LEN 8
#define STR_EXTRA_LEN 80

static const char *const layout_words[] = {"scattered", "clustered", NULL};

const char *ab_survivors_layout_name(ab_survivors_layout l)
{
    return layout_words[l == AB_SURVIVORS_CLUSTERED];
}

double ab_survivors_bloat(const ab_alloc_stats *st)
{
    if (st->arena_bytes_resident < 0 || st->bytes_in_blocks <= 0) return -1;
    return (double)st->arena_bytes_resident / (double)st->bytes_in_blocks;
}

typedef struct survivors_params {
    double k, layout, objects;
} survivors_params;

static int parse(const char *param, survivors_params *sp, char *err, size_t errlen)
{
    *sp = (survivors_params){SURVIVORS_K, AB_SURVIVORS_SCATTERED, SURVIVORS_OBJECTS};
    const ab_wl_key keys[] = {
        {"k", SURVIVORS_K_MIN, SURVIVORS_K_MAX, NULL, &sp->k},
        {"layout", 0, 0, layout_words, &sp->layout},
        {"objects", 1, 1e8, NULL, &sp->objects},
    };
    if (ab_wl_parse_params(param, keys, sizeof keys / sizeof keys[0], err, errlen)) return -1;
    if (sp->k != (int)sp->k) {
        snprintf(err, errlen, "k must be a whole number, not %g", sp->k);
        return -1;
    }
    return 0;
}

static int check_param(const char *param, char *err, size_t errlen)
{
    survivors_params sp;
    return parse(param, &sp, err, errlen);
}

static void *make_object(ab_py *py, ab_mt *mt, size_t i)
{
    char buf[STR_MIN_LEN + STR_EXTRA_LEN];
    size_t len = STR_MIN_LEN + ab_mt_u32(mt) % STR_EXTRA_LEN;
    for (size_t c = 0; c < len; c++) buf[c] = (char)('a' + ab_mt_u32(mt) % 26);
    void *s = ab_py_str_new(py, buf, len);
    if (i % 2 == 0) return s;
    void *t = ab_py_tuple_new(py, 2);
    ab_py_tuple_init_item(t, 0, s);
    ab_py_tuple_init_item(t, 1, ab_py_int_new(py, (int64_t)i));
    return t;
}

static void take_stats(ab_wl_ctx *ctx, ab_alloc_stats *st)
{
    ab_alloc_stats_init_unknown(st);
    if (ctx->alloc->stats) ctx->alloc->stats(ctx->alloc->self, st);
}

static int run_survivors(ab_wl_ctx *ctx)
{
    survivors_params sp;
    if (parse(ctx->param, &sp, ctx->error, sizeof ctx->error)) return -1;
    ab_survivors_report local;
    ab_survivors_report *rep = ctx->survivors ? ctx->survivors : &local;
    memset(rep, 0, sizeof *rep);
    rep->k = (int64_t)sp.k;
    rep->layout = (ab_survivors_layout)sp.layout;
    size_t n = (size_t)ab_wl_scaled(ctx, (uint64_t)sp.objects), k = (size_t)sp.k;
    size_t cluster = n / k ? n / k : 1;
    rep->objects = (int64_t)n;

    ab_py py;
    ab_py_init(&py, ctx);
    ab_mt mt;
    ab_mt_seed(&mt, ctx->seed);
    ab_wl_begin(ctx);
    void *all = ab_py_list_new_exact(&py, n);
    for (size_t i = 0; i < n; i++) ab_py_list_init_item(all, i, make_object(&py, &mt, i));
    void *kept = ab_py_list_new(&py);
    for (size_t i = 0; i < n; i++) {
        bool keep = rep->layout == AB_SURVIVORS_CLUSTERED ? i < cluster : i % k == 0;
        if (keep) ab_py_list_append(&py, kept, ab_py_incref(ab_py_list_get(all, i)));
    }
    /* The peak: every object and the survivors' list alive. */
    take_stats(ctx, &rep->peak);
    ab_py_decref(&py, all);
    rep->kept = (int64_t)ab_py_list_len(kept);
    take_stats(ctx, &rep->end);
    ab_wl_end(ctx);
    ab_wl_mix(ctx, (uint64_t)rep->kept);
    ab_wl_mix(ctx, n);
    ab_py_decref(&py, kept);
    ab_py_fini(&py);
    return 0;
}

static const char *const survivors_defaults[] = {
    "survivors:k=10", "survivors:k=100", "survivors:k=1000", NULL,
};

static const ab_workload survivors = {
    "survivors", "long-running process: many objects, 1 in K kept (scattered|clustered), memory held / live",
    true, NULL, run_survivors, check_param, survivors_defaults};

const ab_workload *const ab_family_survivors[] = {&survivors, NULL};
