/*
 * prefork.c -- the pre-fork server: build a heap the way a loaded web
 * application holds one, fork W workers, and let each touch a fraction of
 * the inherited objects the way CPython does (every reference taken and
 * dropped writes ob_refcnt; a collection writes the PyGC_Head), then serve
 * its own requests.  What that costs -- fork time, copy-on-write faults,
 * private memory per worker, the family's PSS -- is measured by
 * forked_workers.c into ctx->fork.
 *
 * Spec: prefork[:workers=W,touch=F,gc=0|1,objects=N,requests=R]
 *   workers   workers forked (default 4)
 *   touch     fraction of the heap's objects each worker references (0..1)
 *   gc        1: also write the GC header of every touched GC object
 *   objects   heap objects at scale 1 (scaled by --scale)
 *   requests  requests each worker serves at scale 1 (scaled)
 *
 * The measured phase is the fork-and-serve part: the parent's wall time is
 * from the first fork to the last worker reaped.  The heap is built before
 * it.  Which objects a worker touches is drawn from the seed and the
 * worker's index, so every allocator sees the same touches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/families.h"
#include "workloads/forked_workers.h"
#include "workloads/pyobj.h"
#include "workloads/rng.h"
#include "workloads/wl_params.h"

#define PREFORK_WORKERS 4
#define PREFORK_OBJECTS 100000
#define PREFORK_REQUESTS 1000
#define PREFORK_TOUCH 0.01
/* A request: a 4-key dict (the parsed headers), a few strings, a list of
 * small tuples (the query's rows). */
#define REQUEST_STRINGS 4
#define REQUEST_ROWS 10
#define STR_MIN_LEN 8
#define STR_EXTRA_LEN 48

/* The kinds a loaded application's heap is made of, in rotation. */
enum { KIND_DICT, KIND_STR, KIND_TUPLE, KIND_INSTANCE, NKINDS };

typedef struct prefork_params {
    double workers, touch, gc, objects, requests;
} prefork_params;

static int parse(const char *param, prefork_params *pp, char *err, size_t errlen)
{
    *pp = (prefork_params){PREFORK_WORKERS, PREFORK_TOUCH, 0, PREFORK_OBJECTS, PREFORK_REQUESTS};
    static const char *const bool_words[] = {"0", "1", NULL};
    const ab_wl_key keys[] = {
        {"workers", 1, AB_FORK_MAX_WORKERS, NULL, &pp->workers},
        {"touch", 0, 1, NULL, &pp->touch},
        {"gc", 0, 0, bool_words, &pp->gc},
        {"objects", 1, 1e8, NULL, &pp->objects},
        {"requests", 0, 1e8, NULL, &pp->requests},
    };
    if (ab_wl_parse_params(param, keys, sizeof keys / sizeof keys[0], err, errlen)) return -1;
    if (pp->workers != (int)pp->workers) {
        snprintf(err, errlen, "workers must be a whole number, not %g", pp->workers);
        return -1;
    }
    return 0;
}

static int check_param(const char *param, char *err, size_t errlen)
{
    prefork_params pp;
    return parse(param, &pp, err, errlen);
}

typedef struct prefork_state {
    ab_py *py;
    ab_wl_ctx *ctx;
    void *heap;                  /* the application's list of objects */
    size_t n;
    double touch;
    bool gc;
    uint64_t requests;
} prefork_state;

static void *random_str(ab_py *py, ab_mt *mt)
{
    char buf[STR_MIN_LEN + STR_EXTRA_LEN];
    size_t len = STR_MIN_LEN + ab_mt_u32(mt) % STR_EXTRA_LEN;
    for (size_t i = 0; i < len; i++) buf[i] = (char)('a' + ab_mt_u32(mt) % 26);
    return ab_py_str_new(py, buf, len);
}

static void *make_object(ab_py *py, ab_mt *mt, ab_py_class *cls, size_t i)
{
    switch (i % NKINDS) {
    case KIND_DICT: return ab_py_dict_literal4(py);
    case KIND_STR: return random_str(py, mt);
    case KIND_TUPLE: {
        void *t = ab_py_tuple_new(py, 3);
        ab_py_tuple_init_item(t, 0, ab_py_int_new(py, (int64_t)i));
        ab_py_tuple_init_item(t, 1, random_str(py, mt));
        ab_py_tuple_init_item(t, 2, ab_py_float_new(py, ab_mt_random(mt)));
        return t;
    }
    default: return ab_py_managed_new(py, cls, random_str(py, mt));
    }
}

/* A worker references a fraction of the objects: incref + decref write
 * ob_refcnt (the page is copied), and with gc=1 a collection writes the
 * GC header of each one it visits. */
static void touch(void *arg, int index)
{
    prefork_state *st = arg;
    ab_mt mt;
    ab_mt_seed(&mt, st->ctx->seed ^ ((uint64_t)(index + 1) << 32));
    for (size_t i = 0; i < st->n; i++) {
        if (ab_mt_random(&mt) >= st->touch) continue;
        void *op = ab_py_list_get(st->heap, i);
        ab_py_incref(op);
        ab_py_decref(st->py, op);
        uintptr_t *gc_head = st->gc ? ab_py_gc_head(op) : NULL;
        if (gc_head) gc_head[1] ^= 1;   /* _gc_prev's flag bits, as update_refs() sets them */
    }
}

/* The worker's own traffic, through the inherited allocator state. */
static void churn(void *arg, int index)
{
    prefork_state *st = arg;
    ab_mt mt;
    ab_mt_seed(&mt, st->ctx->seed ^ ((uint64_t)(index + 1) << 40));
    for (uint64_t r = 0; r < st->requests; r++) {
        void *headers = ab_py_dict_literal4(st->py);
        void *strs[REQUEST_STRINGS];
        for (int s = 0; s < REQUEST_STRINGS; s++) strs[s] = random_str(st->py, &mt);
        void *rows = ab_py_list_new(st->py);
        for (int k = 0; k < REQUEST_ROWS; k++) {
            void *t = ab_py_tuple_new(st->py, 2);
            ab_py_tuple_init_item(t, 0, ab_py_int_new(st->py, (int64_t)(r * REQUEST_ROWS + (uint64_t)k)));
            ab_py_tuple_init_item(t, 1, ab_py_incref(strs[k % REQUEST_STRINGS]));
            ab_py_list_append(st->py, rows, t);
        }
        ab_py_decref(st->py, rows);
        for (int s = 0; s < REQUEST_STRINGS; s++) ab_py_decref(st->py, strs[s]);
        ab_py_decref(st->py, headers);
    }
}

static int run_prefork(ab_wl_ctx *ctx)
{
    prefork_params pp;
    if (parse(ctx->param, &pp, ctx->error, sizeof ctx->error)) return -1;
    ab_py py;
    ab_py_init(&py, ctx);
    ab_mt mt;
    ab_mt_seed(&mt, ctx->seed);
    ab_py_class cls;
    ab_py_class_init(&cls);
    prefork_state st = {.py = &py, .ctx = ctx, .touch = pp.touch, .gc = pp.gc != 0,
                        .n = (size_t)ab_wl_scaled(ctx, (uint64_t)pp.objects),
                        .requests = pp.requests > 0 ? ab_wl_scaled(ctx, (uint64_t)pp.requests) : 0};
    st.heap = ab_py_list_new_exact(&py, st.n);
    for (size_t i = 0; i < st.n; i++) ab_py_list_init_item(st.heap, i, make_object(&py, &mt, &cls, i));

    ab_fork_report local;
    ab_fork_report *rep = ctx->fork ? ctx->fork : &local;
    ab_fork_job job = {.workers = (int)pp.workers, .touch = touch, .churn = churn, .arg = &st};
    ab_wl_begin(ctx);
    int ok = ab_fork_workers_run(&job, rep);
    ab_wl_end(ctx);

    ab_wl_mix(ctx, st.n);
    ab_wl_mix(ctx, (uint64_t)job.workers);
    ab_py_decref(&py, st.heap);
    ab_py_fini(&py);
    if (ok < job.workers) {
        /* The sample is kept (ctx->fork says what happened to whom); the
         * runner turns this into the sample's status and reason. */
        int sigbus = 0, other = 0;
        for (int i = 0; i < rep->workers; i++) {
            sigbus += rep->w[i].end == AB_WORKER_SIGBUS;
            other += rep->w[i].end != AB_WORKER_SIGBUS && rep->w[i].end != AB_WORKER_OK;
        }
        snprintf(ctx->error, sizeof ctx->error,
                 "%d of %d workers did not finish: %d killed by SIGBUS (no free huge page for a "
                 "copy-on-write: hugetlb pool exhausted), %d otherwise", job.workers - ok, job.workers,
                 sigbus, other);
        return -1;
    }
    return 0;
}

static const char *const prefork_defaults[] = {
    "prefork:touch=0.001", "prefork:touch=0.01", "prefork:touch=0.1", NULL,
};

static const ab_workload prefork = {
    "prefork", "pre-fork server: heap of dicts/str/tuples/instances, W workers touch a fraction (COW)",
    true, NULL, run_prefork, check_param, prefork_defaults};

const ab_workload *const ab_family_prefork[] = {&prefork, NULL};
