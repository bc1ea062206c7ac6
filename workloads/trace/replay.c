/*
 * replay.c -- the replay:FILE workload: a captured CPython allocation trace
 * run through any allocator variant (see replay.h for the three stages and
 * trace_format.h for the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "workloads/families.h"
#include "workloads/trace/replay.h"

typedef struct live_block {
    void *p;
    uint64_t size;
} live_block;

typedef struct placeholders {
    void **p;
    size_t n, cap;
} placeholders;

static int ph_push(placeholders *ph, void *p)
{
    if (ph->n == ph->cap) {
        size_t ncap = ph->cap ? ph->cap * 2 : 4096;
        void **n = realloc(ph->p, ncap * sizeof *n);
        if (!n) return -1;
        ph->p = n;
        ph->cap = ncap;
    }
    ph->p[ph->n++] = p;
    return 0;
}

static void touch(void *p, uint64_t from, uint64_t to, uint64_t id)
{
    if (to > from) memset((char *)p + from, (int)(id & 0xff) | 1, (size_t)(to - from));
}

/* Blocks of one class that fill a CPython pool of pool_size bytes. */
static uint64_t blocks_per_pool(uint64_t pool_size, uint32_t size)
{
    uint64_t n = (pool_size - AB_REPLAY_POOL_OVERHEAD) / size;
    return n ? n : 1;
}

/*
 * Stage 1 (replay.h).  Used and unused pools are interleaved evenly
 * (Bresenham) so unused ones end up spread over the arenas, as in an
 * interpreter where they are the holes left by freed objects; a run of
 * unused pools could otherwise fill, and on freeing release, whole arenas
 * CPython never had.
 */
static int prefill(const ab_trace_stats *s, const ab_allocator *a, placeholders *ph,
                   ab_replay_counts *c, char *err, size_t errlen)
{
    if (!s->present) return 0;
    uint64_t pool_size = (uint64_t)s->fixed[AB_TS_POOL_SIZE];
    uint64_t used = 0, unused = (uint64_t)s->fixed[AB_TS_UNUSED_POOLS];
    uint32_t filler_size = 0;
    for (unsigned i = 0; i < s->nclasses; i++) {
        used += s->cls[i].pools;
        if (s->cls[i].size > filler_size) filler_size = s->cls[i].size;
    }
    if (!filler_size) filler_size = 512;
    uint64_t filler_blocks = blocks_per_pool(pool_size, filler_size);
    placeholders fillers = {0};
    size_t *class_start = calloc(s->nclasses + 1, sizeof *class_start);
    int rc = -1;
    if (!class_start) goto oom;

    uint64_t total = used + unused, placed_unused = 0;
    unsigned cls = 0;
    uint64_t cls_pools_done = 0;
    for (uint64_t k = 0; k < total; k++) {
        /* Unused pool k gets placed when the even share reaches it. */
        bool make_unused = placed_unused < unused && (k + 1) * unused >= (placed_unused + 1) * total;
        if (make_unused) {
            for (uint64_t b = 0; b < filler_blocks; b++) {
                void *p = a->malloc(a->self, filler_size);
                if (!p || ph_push(&fillers, p)) goto oom;
            }
            placed_unused++;
            continue;
        }
        while (cls < s->nclasses && cls_pools_done == s->cls[cls].pools) {
            cls++;
            cls_pools_done = 0;
            class_start[cls] = ph->n;
        }
        if (cls == s->nclasses) continue;
        uint64_t nb = blocks_per_pool(pool_size, s->cls[cls].size);
        for (uint64_t b = 0; b < nb; b++) {
            void *p = a->malloc(a->self, s->cls[cls].size);
            if (!p || ph_push(ph, p)) goto oom;
        }
        cls_pools_done++;
    }
    while (cls < s->nclasses) class_start[++cls] = ph->n;

    /* Free each class's available blocks from the tails of its pools, round
     * robin, so every pool keeps its first block (it was in use) and the
     * free space is spread as CPython's was. */
    for (unsigned i = 0; i < s->nclasses; i++) {
        const ab_trace_class *k = &s->cls[i];
        if (!k->pools) continue;
        uint64_t nb = blocks_per_pool(pool_size, k->size);
        uint64_t avail = k->pools * nb - (k->in_use < k->pools * nb ? k->in_use : k->pools * nb);
        for (uint64_t r = 0; r < avail; r++) {
            uint64_t pool = r % k->pools, slot = nb - 1 - r / k->pools;
            if (slot == 0) break;
            void **pp = &ph->p[class_start[i] + pool * nb + slot];
            a->free(a->self, *pp);
            *pp = NULL;
        }
    }
    for (size_t i = 0; i < fillers.n; i++) a->free(a->self, fillers.p[i]);

    /* Compact the survivors. */
    size_t live = 0;
    for (size_t i = 0; i < ph->n; i++)
        if (ph->p[i]) ph->p[live++] = ph->p[i];
    ph->n = live;
    c->prefill_blocks = live;
    c->prefill_used_pools = used;
    c->prefill_free_pools = unused;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "replay: allocation failed while rebuilding the pre-hook heap");
    for (size_t i = 0; i < fillers.n; i++) a->free(a->self, fillers.p[i]);
out:
    free(fillers.p);
    free(class_start);
    return rc;
}

static int stream(const ab_trace *t, ab_wl_ctx *ctx, live_block *ids, ab_replay_counts *c)
{
    ab_trace_cursor cur;
    ab_trace_rec r;
    int more;
    ab_trace_cursor_init(&cur, t);
    while ((more = ab_trace_next(&cur, &r)) == 1) {
        ab_wl_mix(ctx, r.op | r.domain << 4 | r.id << 8);
        ab_wl_mix(ctx, r.size);
        if (r.op == AB_TRACE_OP_ARENA_ALLOC || r.op == AB_TRACE_OP_ARENA_FREE) {
            c->arena_events++;
            continue;
        }
        if (r.op == AB_TRACE_OP_STATS) continue;
        live_block *b = &ids[r.id];
        if (r.domain == AB_TRACE_DOMAIN_RAW) {
            /* Raw blocks are not replayed.  A valid CPython trace never mixes
             * domains on one block, but a damaged one may free a replayed
             * block through raw: release it so the id's next birth finds
             * its slot empty. */
            if (r.op == AB_TRACE_OP_FREE && b->p) {
                ctx->alloc->free(ctx->alloc->self, b->p);
                *b = (live_block){NULL, 0};
            }
            c->raw_skipped++;
            continue;
        }
        void *p;
        switch (r.op) {
        case AB_TRACE_OP_MALLOC:
        case AB_TRACE_OP_REALLOC_PREHOOK:
            p = ab_wl_malloc(ctx, (size_t)r.size);
            if (!p) goto fail;
            touch(p, 0, r.size, r.id);
            *b = (live_block){p, r.size};
            if (r.op == AB_TRACE_OP_REALLOC_PREHOOK) c->prehook_reallocs++;
            break;
        case AB_TRACE_OP_CALLOC:
            p = ab_wl_calloc(ctx, (size_t)r.nelem, (size_t)r.elsize);
            if (!p) goto fail;
            touch(p, 0, r.size < AB_REPLAY_CALLOC_TOUCH ? r.size : AB_REPLAY_CALLOC_TOUCH, r.id);
            *b = (live_block){p, r.size};
            break;
        case AB_TRACE_OP_REALLOC:
            /* A domain-mismatched id (block born in raw, resized in mem) has no
             * replayed block; CPython forbids it, the replay treats it as birth. */
            p = ab_wl_realloc(ctx, b->p, (size_t)r.size);
            if (!p && r.size) goto fail;
            touch(p, b->p ? b->size : 0, r.size, r.id);
            *b = (live_block){p, r.size};
            break;
        case AB_TRACE_OP_FREE:
            ab_wl_free(ctx, b->p);
            *b = (live_block){NULL, 0};
            break;
        case AB_TRACE_OP_FREE_PREHOOK:
            c->prehook_frees++;
            continue;
        default:
            continue;
        }
        c->replayed++;
    }
    if (more < 0) {
        snprintf(ctx->error, sizeof ctx->error, "replay: undecodable record at offset %zu", cur.off);
        return -1;
    }
    return 0;
fail:
    snprintf(ctx->error, sizeof ctx->error, "replay: %s of %llu bytes (id %llu) failed",
             ab_trace_op_name(r.op), (unsigned long long)r.size, (unsigned long long)r.id);
    return -1;
}

int ab_replay_run(const ab_trace *t, ab_wl_ctx *ctx, ab_replay_counts *counts)
{
    ab_replay_counts local;
    ab_replay_counts *c = counts ? counts : &local;
    memset(c, 0, sizeof *c);
    const ab_allocator *a = ctx->alloc;
    placeholders ph = {0};
    live_block *ids = calloc(t->id_capacity ? t->id_capacity : 1, sizeof *ids);
    if (!ids) {
        snprintf(ctx->error, sizeof ctx->error, "replay: out of memory for %llu block ids",
                 (unsigned long long)t->id_capacity);
        return -1;
    }
    int rc = prefill(&t->install, a, &ph, c, ctx->error, sizeof ctx->error);
    if (rc == 0) {
        ab_wl_begin(ctx);
        rc = stream(t, ctx, ids, c);
        ab_wl_end(ctx);
    }
    for (uint64_t i = 0; i < t->id_capacity; i++)
        if (ids[i].p) a->free(a->self, ids[i].p);
    for (size_t i = 0; i < ph.n; i++) a->free(a->self, ph.p[i]);
    free(ph.p);
    free(ids);
    return rc;
}

static int replay_workload(ab_wl_ctx *ctx)
{
    if (!ctx->param || !*ctx->param) {
        snprintf(ctx->error, sizeof ctx->error, "replay needs a trace file: replay:FILE");
        return -1;
    }
    ab_trace t;
    if (ab_trace_load(ctx->param, &t, ctx->error, sizeof ctx->error)) return -1;
    /* A trace replays as recorded: ctx->scale does not apply. */
    int rc = ab_replay_run(&t, ctx, NULL);
    ab_trace_free(&t);
    return rc;
}

/*
 * Before the run: the file is a regular trace of sane size (ab_trace_open,
 * which never blocks on a FIFO), and it validates completely.  The full
 * validation runs in a child process so the driver's heap, which every
 * sample inherits, does not grow by the trace and its id table.
 */
static int check_replay(const char *param, char *err, size_t errlen)
{
    if (!param || !*param) {
        snprintf(err, errlen, "replay needs a trace file: replay:FILE");
        return -1;
    }
    uint64_t size;
    int fd = ab_trace_open(param, &size, err, errlen);
    if (fd < 0) return -1;
    close(fd);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "%s: pipe: %s", param, strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "%s: fork: %s", param, strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pipefd[0]);
        ab_trace t;
        char why[256] = "";
        int rc = ab_trace_load(param, &t, why, sizeof why);
        if (rc == 0) ab_trace_free(&t);
        ssize_t ignored = write(pipefd[1], why, strlen(why));
        (void)ignored;
        _exit(rc == 0 ? 0 : 1);
    }
    close(pipefd[1]);
    char why[256];
    size_t len = 0;
    ssize_t got;
    while (len + 1 < sizeof why && ((got = read(pipefd[0], why + len, sizeof why - 1 - len)) > 0 ||
                                    (got < 0 && errno == EINTR)))
        if (got > 0) len += (size_t)got;
    why[len] = 0;
    close(pipefd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    if (len) snprintf(err, errlen, "%s", why);
    else snprintf(err, errlen, "%s: the trace check died (status %d)", param, st);
    return -1;
}

static const ab_workload replay = {
    .name = "replay",
    .description = "replay:FILE -- a CPython allocation trace captured with `python3 -m arenatrace`",
    .in_default_matrix = false,
    .python_source = NULL,
    .run = replay_workload,
    .check_param = check_replay,
};

const ab_workload *const ab_family_replay[] = {&replay, NULL};
