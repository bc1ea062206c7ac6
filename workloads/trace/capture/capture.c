/*
 * capture.c -- arenatrace._capture, the CPython extension that records every
 * call a running interpreter makes to its memory allocators.
 *
 * start() wraps the allocators of the chosen domains (PyMem_SetAllocator)
 * and the arena allocator (PyObject_SetArenaAllocator).  Each wrapper
 * forwards to the allocator it replaced, then appends one record to a
 * buffer that is flushed with write(2).  The wrappers never call back into
 * Python and never allocate through any hooked allocator: the buffer, the
 * pointer->id map and the free-id stack are private mmap()s, so a hook
 * cannot recurse into itself.  Records are encoded as described in
 * workloads/trace/trace_format.h.
 *
 * Locking: PYMEM_DOMAIN_RAW may be called without the GIL, so the tracer
 * state is guarded by one mutex.  The mutex is never held while the
 * original allocator runs, because pymalloc itself calls the raw domain and
 * the arena allocator (both possibly hooked) from inside an object-domain
 * call.  A free is recorded before the block is released, and a realloc
 * forgets its old address before the original realloc runs, so another
 * thread that is handed the same address can never be confused with it.
 *
 * Blocks allocated before start() carry no id; their free/realloc is
 * recorded as FREE_PREHOOK / REALLOC_PREHOOK so a replay can skip them.
 * sys._debugmallocstats()'s numbers are recorded at start (INSTALL) and at
 * stop (EXIT) by calling _PyObject_DebugMallocStats() directly, from C, with
 * the hooks out of the way: no Python allocation happens between the
 * install snapshot and the first hooked call, nor between the last hooked
 * call and the exit snapshot.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workloads/trace/trace_format.h"

/* Exported by libpython 3.11 (what sys._debugmallocstats() prints), but only
 * declared in the internal headers. */
extern int _PyObject_DebugMallocStats(FILE *out);

/* Output is gathered in a private buffer of this size before write(2):
 * large enough that a million-record capture makes a few dozen syscalls. */
#define TRACE_BUFFER_BYTES (1u << 20)
/* Initial pointer->id map capacity (slots, power of two); doubled at 50% load. */
#define MAP_INITIAL_SLOTS (1u << 16)
#define FREE_IDS_INITIAL (1u << 14)
/* pymalloc's ALIGNMENT on LP64 since 3.8 (bpo-27987). */
#define PYMALLOC_ALIGNMENT 16

typedef struct hooked_domain {
    PyMemAllocatorDomain domain;
    unsigned code;               /* AB_TRACE_DOMAIN_* */
    const char *name;
    bool installed;
    PyMemAllocatorEx orig;
} hooked_domain;

typedef struct map_slot {
    uintptr_t key;               /* 0 = empty */
    uint64_t id;
} map_slot;

typedef struct tracer {
    pthread_mutex_t lock;
    bool active;                 /* between start() and stop() */
    bool recording;              /* hooks append records */
    bool forked_child;           /* we are a fork of the traced process: write nothing */
    int fd;
    int write_errno;             /* first write error, 0 if none */
    unsigned char *buf;
    size_t buf_len;
    uint64_t bytes_written;

    map_slot *map;
    size_t map_slots, map_used;
    uint64_t *free_ids;
    size_t free_ids_len, free_ids_cap;
    uint64_t next_id;
    bool oom;                    /* a private mmap failed: recording stopped */

    uint64_t n_records, n_prehook_free, n_prehook_realloc, n_arena_alloc, n_arena_free;

    hooked_domain dom[3];
    bool arena_installed;
    PyObjectArenaAllocator arena_orig;
} tracer;

/* The allocator hooks receive only a ctx pointer per domain; the state they
 * share has to outlive any call in flight, hence one static instance. */
static tracer T = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
    .dom = {
        {PYMEM_DOMAIN_RAW, AB_TRACE_DOMAIN_RAW, "raw", false, {0}},
        {PYMEM_DOMAIN_MEM, AB_TRACE_DOMAIN_MEM, "mem", false, {0}},
        {PYMEM_DOMAIN_OBJ, AB_TRACE_DOMAIN_OBJ, "obj", false, {0}},
    },
};

/* ---- private memory (never through a hooked allocator) ------------------ */

static void *private_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void private_unmap(void *p, size_t bytes)
{
    if (p) munmap(p, bytes);
}

/* ---- output ------------------------------------------------------------- */

static void flush_locked(void)
{
    size_t off = 0;
    while (off < T.buf_len && !T.write_errno) {
        ssize_t w = write(T.fd, T.buf + off, T.buf_len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            T.write_errno = errno;
            T.recording = false;
        } else {
            off += (size_t)w;
        }
    }
    T.bytes_written += off;
    T.buf_len = 0;
}

/* Room for n more bytes (n <= TRACE_BUFFER_BYTES). */
static unsigned char *reserve_locked(size_t n)
{
    if (T.buf_len + n > TRACE_BUFFER_BYTES) flush_locked();
    return T.buf + T.buf_len;
}

static void emit_locked(unsigned op, unsigned domain, int nfields, uint64_t a, uint64_t b, uint64_t c)
{
    unsigned char *p = reserve_locked(1 + 3 * AB_TRACE_VARINT_MAX);
    size_t n = 0;
    p[n++] = (unsigned char)(op | domain << 4);
    if (nfields > 0) n += ab_trace_put_varint(p + n, a);
    if (nfields > 1) n += ab_trace_put_varint(p + n, b);
    if (nfields > 2) n += ab_trace_put_varint(p + n, c);
    T.buf_len += n;
    if (op != AB_TRACE_OP_END) T.n_records++;
}

/* ---- pointer -> id map: open addressing, linear probing, backward-shift
 * deletion (no tombstones, so probe chains stay short under churn). ------- */

static size_t map_home(uintptr_t key, size_t slots)
{
    /* pymalloc blocks are 16-byte aligned: drop the zero bits, then mix. */
    uint64_t h = (uint64_t)(key >> 4) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & (slots - 1);
}

static bool map_grow_locked(void)
{
    size_t nslots = T.map_slots * 2;
    map_slot *n = private_map(nslots * sizeof *n);
    if (!n) return false;
    for (size_t i = 0; i < T.map_slots; i++) {
        if (!T.map[i].key) continue;
        size_t j = map_home(T.map[i].key, nslots);
        while (n[j].key) j = (j + 1) & (nslots - 1);
        n[j] = T.map[i];
    }
    private_unmap(T.map, T.map_slots * sizeof *T.map);
    T.map = n;
    T.map_slots = nslots;
    return true;
}

static bool map_insert_locked(uintptr_t key, uint64_t id)
{
    if ((T.map_used + 1) * 2 > T.map_slots && !map_grow_locked()) return false;
    size_t i = map_home(key, T.map_slots);
    while (T.map[i].key && T.map[i].key != key) i = (i + 1) & (T.map_slots - 1);
    if (!T.map[i].key) T.map_used++;
    T.map[i].key = key;
    T.map[i].id = id;
    return true;
}

static bool map_remove_locked(uintptr_t key, uint64_t *id)
{
    size_t mask = T.map_slots - 1, i = map_home(key, T.map_slots);
    while (T.map[i].key != key) {
        if (!T.map[i].key) return false;
        i = (i + 1) & mask;
    }
    *id = T.map[i].id;
    /* Shift later members of the chain back into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; T.map[j].key; j = (j + 1) & mask) {
        size_t home = map_home(T.map[j].key, T.map_slots);
        /* j may move to hole iff home is not cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            T.map[hole] = T.map[j];
            hole = j;
        }
    }
    T.map[hole].key = 0;
    T.map_used--;
    return true;
}

/* ---- dense ids ---------------------------------------------------------- */

static uint64_t take_id_locked(void)
{
    if (T.free_ids_len) return T.free_ids[--T.free_ids_len];
    return T.next_id++;
}

static bool release_id_locked(uint64_t id)
{
    if (T.free_ids_len == T.free_ids_cap) {
        size_t ncap = T.free_ids_cap * 2;
        uint64_t *n = private_map(ncap * sizeof *n);
        if (!n) return false;
        memcpy(n, T.free_ids, T.free_ids_len * sizeof *n);
        private_unmap(T.free_ids, T.free_ids_cap * sizeof *n);
        T.free_ids = n;
        T.free_ids_cap = ncap;
    }
    T.free_ids[T.free_ids_len++] = id;
    return true;
}

static void out_of_memory_locked(void)
{
    /* The trace can no longer be kept consistent; stop recording and let
     * stop() report it.  The program itself is unaffected. */
    T.oom = true;
    T.recording = false;
}

/* ---- the hooks ---------------------------------------------------------- */

static void record_birth(const hooked_domain *d, unsigned op, void *p, uint64_t a, uint64_t b)
{
    pthread_mutex_lock(&T.lock);
    if (T.recording) {
        uint64_t id = take_id_locked();
        if (!map_insert_locked((uintptr_t)p, id)) out_of_memory_locked();
        else emit_locked(op, d->code, op == AB_TRACE_OP_CALLOC ? 3 : 2, id, a, b);
    }
    pthread_mutex_unlock(&T.lock);
}

static void *hook_malloc(void *ctx, size_t size)
{
    hooked_domain *d = ctx;
    void *p = d->orig.malloc(d->orig.ctx, size);
    if (p) record_birth(d, AB_TRACE_OP_MALLOC, p, size, 0);
    return p;
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    hooked_domain *d = ctx;
    void *p = d->orig.calloc(d->orig.ctx, nelem, elsize);
    if (p) record_birth(d, AB_TRACE_OP_CALLOC, p, nelem, elsize);
    return p;
}

static void *hook_realloc(void *ctx, void *ptr, size_t size)
{
    hooked_domain *d = ctx;
    if (!ptr) {
        void *p = d->orig.realloc(d->orig.ctx, NULL, size);
        if (p) record_birth(d, AB_TRACE_OP_MALLOC, p, size, 0);
        return p;
    }
    uint64_t id = 0;
    bool known = false, was_recording;
    pthread_mutex_lock(&T.lock);
    was_recording = T.recording;
    if (was_recording) known = map_remove_locked((uintptr_t)ptr, &id);
    pthread_mutex_unlock(&T.lock);

    void *p = d->orig.realloc(d->orig.ctx, ptr, size);

    pthread_mutex_lock(&T.lock);
    if (T.recording && was_recording) {
        if (!p) {
            /* Failed: the old block is still there under its old id. */
            if (known && !map_insert_locked((uintptr_t)ptr, id)) out_of_memory_locked();
        } else if (known) {
            if (!map_insert_locked((uintptr_t)p, id)) out_of_memory_locked();
            else emit_locked(AB_TRACE_OP_REALLOC, d->code, 2, id, size, 0);
        } else {
            id = take_id_locked();
            if (!map_insert_locked((uintptr_t)p, id)) out_of_memory_locked();
            else {
                emit_locked(AB_TRACE_OP_REALLOC_PREHOOK, d->code, 2, id, size, 0);
                T.n_prehook_realloc++;
            }
        }
    }
    pthread_mutex_unlock(&T.lock);
    return p;
}

static void hook_free(void *ctx, void *ptr)
{
    hooked_domain *d = ctx;
    if (ptr) {
        pthread_mutex_lock(&T.lock);
        if (T.recording) {
            uint64_t id;
            if (map_remove_locked((uintptr_t)ptr, &id)) {
                emit_locked(AB_TRACE_OP_FREE, d->code, 1, id, 0, 0);
                if (!release_id_locked(id)) out_of_memory_locked();
            } else {
                emit_locked(AB_TRACE_OP_FREE_PREHOOK, d->code, 0, 0, 0, 0);
                T.n_prehook_free++;
            }
        }
        pthread_mutex_unlock(&T.lock);
    }
    d->orig.free(d->orig.ctx, ptr);
}

static void *hook_arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    void *p = T.arena_orig.alloc(T.arena_orig.ctx, size);
    if (p) {
        pthread_mutex_lock(&T.lock);
        if (T.recording) {
            emit_locked(AB_TRACE_OP_ARENA_ALLOC, AB_TRACE_DOMAIN_NONE, 1, size, 0, 0);
            T.n_arena_alloc++;
        }
        pthread_mutex_unlock(&T.lock);
    }
    return p;
}

static void hook_arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    pthread_mutex_lock(&T.lock);
    if (T.recording) {
        emit_locked(AB_TRACE_OP_ARENA_FREE, AB_TRACE_DOMAIN_NONE, 1, size, 0, 0);
        T.n_arena_free++;
    }
    pthread_mutex_unlock(&T.lock);
    T.arena_orig.free(T.arena_orig.ctx, ptr, size);
}

/* ---- sys._debugmallocstats() snapshots ---------------------------------- */

/* The integer after '=' on a stats line, with thousands separators. */
static int64_t number_after_equals(const char *line)
{
    const char *eq = strchr(line, '=');
    if (!eq) return -1;
    int64_t v = 0;
    bool any = false;
    for (const char *c = eq + 1; *c && *c != '\n'; c++) {
        if (*c >= '0' && *c <= '9') {
            v = v * 10 + (*c - '0');
            any = true;
        } else if (*c != ',' && *c != ' ') {
            return -1;
        }
    }
    return any ? v : -1;
}

/* Parse _PyObject_DebugMallocStats() text; false if pymalloc is not in use
 * or a line we rely on is missing. */
static bool snapshot_stats(ab_trace_stats *s)
{
    memset(s, 0, sizeof *s);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return false;
    int used = _PyObject_DebugMallocStats(f);
    fclose(f);
    if (!used || !text) {
        free(text);
        return false;
    }
    for (int i = 0; i < AB_TS_NFIXED; i++) s->fixed[i] = -1;
    bool in_classes = false;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        unsigned cls, size;
        unsigned long long pools, in_use, avail, n, bytes;
        if (!strncmp(line, "-----", 5)) {
            in_classes = true;
        } else if (in_classes && sscanf(line, " %u %u %llu %llu %llu", &cls, &size, &pools,
                                        &in_use, &avail) == 5) {
            if (s->nclasses < AB_TRACE_MAX_CLASSES)
                s->cls[s->nclasses++] = (ab_trace_class){size, pools, in_use, avail};
        } else if (!strncmp(line, "# arenas allocated total", 24)) {
            in_classes = false;
            s->fixed[AB_TS_ARENAS_TOTAL] = number_after_equals(line);
        } else if (!strncmp(line, "# arenas reclaimed", 18)) {
            s->fixed[AB_TS_ARENAS_RECLAIMED] = number_after_equals(line);
        } else if (!strncmp(line, "# arenas highwater mark", 23)) {
            s->fixed[AB_TS_ARENAS_HIGHWATER] = number_after_equals(line);
        } else if (!strncmp(line, "# arenas allocated current", 26)) {
            s->fixed[AB_TS_ARENAS_CURRENT] = number_after_equals(line);
        } else if (sscanf(line, "%llu arenas * %llu bytes/arena", &n, &bytes) == 2) {
            s->fixed[AB_TS_ARENA_SIZE] = (int64_t)bytes;
        } else if (sscanf(line, "%llu unused pools * %llu bytes", &n, &bytes) == 2) {
            s->fixed[AB_TS_UNUSED_POOLS] = (int64_t)n;
            s->fixed[AB_TS_POOL_SIZE] = (int64_t)bytes;
        } else if (!strncmp(line, "# bytes lost to arena alignment", 31)) {
            s->fixed[AB_TS_BYTES_LOST_ALIGNMENT] = number_after_equals(line);
        } else if (!strncmp(line, "# bytes in allocated blocks", 27)) {
            s->fixed[AB_TS_BYTES_IN_BLOCKS] = number_after_equals(line);
        }
        line = next;
    }
    free(text);
    /* With no arenas the "N arenas * S" line is still printed, so every field
     * should be known; a missing one means an unexpected format. */
    for (int i = 0; i < AB_TS_NFIXED; i++)
        if (s->fixed[i] < 0) return false;
    s->present = true;
    return true;
}

static void emit_stats_locked(unsigned tag, const ab_trace_stats *s)
{
    unsigned char *p = reserve_locked(1 + AB_TRACE_VARINT_MAX * (3 + AB_TS_NFIXED + 4 * AB_TRACE_MAX_CLASSES));
    size_t n = 0;
    p[n++] = (unsigned char)(AB_TRACE_OP_STATS | AB_TRACE_DOMAIN_NONE << 4);
    n += ab_trace_put_varint(p + n, tag);
    n += ab_trace_put_varint(p + n, AB_TS_NFIXED);
    for (int i = 0; i < AB_TS_NFIXED; i++) n += ab_trace_put_varint(p + n, (uint64_t)s->fixed[i]);
    n += ab_trace_put_varint(p + n, s->nclasses);
    for (unsigned i = 0; i < s->nclasses; i++) {
        n += ab_trace_put_varint(p + n, s->cls[i].size);
        n += ab_trace_put_varint(p + n, s->cls[i].pools);
        n += ab_trace_put_varint(p + n, s->cls[i].in_use);
        n += ab_trace_put_varint(p + n, s->cls[i].avail);
    }
    T.buf_len += n;
    T.n_records++;
}

/* ---- header ------------------------------------------------------------- */

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void emit_header_locked(unsigned domains)
{
    unsigned char *p = reserve_locked(AB_TRACE_HEADER_SIZE);
    memset(p, 0, AB_TRACE_HEADER_SIZE);
    memcpy(p, AB_TRACE_MAGIC, AB_TRACE_MAGIC_LEN);
    put16(p + 8, AB_TRACE_VERSION);
    put16(p + 10, AB_TRACE_HEADER_SIZE);
    p[12] = (unsigned char)sizeof(void *);
    p[13] = (unsigned char)domains;
    put32(p + 16, (uint32_t)Py_Version);
    const char *v = Py_GetVersion();
    size_t vl = strcspn(v, " ");
    memcpy(p + 20, v, vl < AB_TRACE_PYVERSION_LEN ? vl : AB_TRACE_PYVERSION_LEN);
    put32(p + 52, PYMALLOC_ALIGNMENT);
    T.buf_len += AB_TRACE_HEADER_SIZE;
}

/* ---- fork safety -------------------------------------------------------- */

static void atfork_prepare(void) { pthread_mutex_lock(&T.lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&T.lock); }
static void atfork_child(void)
{
    /* The child shares our file descriptor; anything it wrote would
     * interleave with the parent's records. */
    pthread_mutex_init(&T.lock, NULL);
    if (T.active) {
        T.recording = false;
        T.forked_child = true;
    }
}

/* ---- module functions ---------------------------------------------------- */

static void release_private_state(void)
{
    private_unmap(T.buf, TRACE_BUFFER_BYTES);
    private_unmap(T.map, T.map_slots * sizeof *T.map);
    private_unmap(T.free_ids, T.free_ids_cap * sizeof *T.free_ids);
    T.buf = NULL;
    T.map = NULL;
    T.free_ids = NULL;
    if (T.fd >= 0) close(T.fd);
    T.fd = -1;
}

static bool parse_domains(const char *spec, bool want[3])
{
    want[0] = want[1] = want[2] = false;
    const char *s = spec;
    while (*s) {
        size_t n = strcspn(s, ",");
        bool found = false;
        for (int i = 0; i < 3; i++)
            if (strlen(T.dom[i].name) == n && !strncmp(T.dom[i].name, s, n)) want[i] = found = true;
        if (!found) return false;
        s += n;
        if (*s == ',') s++;
    }
    return want[0] || want[1] || want[2];
}

static PyObject *capture_start(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"path", "domains", "arenas", NULL};
    const char *path, *domains = "obj,mem";
    int arenas = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|sp", kwlist, &path, &domains, &arenas))
        return NULL;
    if (T.active) {
        PyErr_SetString(PyExc_RuntimeError, "arenatrace: already tracing");
        return NULL;
    }
    bool want[3];
    if (!parse_domains(domains, want)) {
        PyErr_Format(PyExc_ValueError, "arenatrace: bad domains '%s' (comma list of raw, mem, obj)", domains);
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);

    T.fd = fd;
    T.buf = private_map(TRACE_BUFFER_BYTES);
    T.map_slots = MAP_INITIAL_SLOTS;
    T.map = private_map(T.map_slots * sizeof *T.map);
    T.free_ids_cap = FREE_IDS_INITIAL;
    T.free_ids = private_map(T.free_ids_cap * sizeof *T.free_ids);
    if (!T.buf || !T.map || !T.free_ids) {
        release_private_state();
        return PyErr_NoMemory();
    }
    T.buf_len = 0;
    T.bytes_written = 0;
    T.map_used = T.free_ids_len = 0;
    T.next_id = T.n_records = T.n_prehook_free = T.n_prehook_realloc = 0;
    T.n_arena_alloc = T.n_arena_free = 0;
    T.write_errno = 0;
    T.oom = T.forked_child = false;

    unsigned mask = 0;
    for (int i = 0; i < 3; i++)
        if (want[i]) mask |= 1u << T.dom[i].code;
    if (arenas) mask |= AB_TRACE_HAS_ARENAS;

    /* From here to the end of the function nothing allocates through Python:
     * the install snapshot describes exactly the heap the hooks start from. */
    ab_trace_stats st;
    bool have_stats = snapshot_stats(&st);
    pthread_mutex_lock(&T.lock);
    emit_header_locked(mask);
    if (have_stats) emit_stats_locked(AB_TRACE_STATS_INSTALL, &st);
    T.active = T.recording = true;
    pthread_mutex_unlock(&T.lock);

    if (arenas) {
        PyObject_GetArenaAllocator(&T.arena_orig);
        PyObjectArenaAllocator hook = {NULL, hook_arena_alloc, hook_arena_free};
        PyObject_SetArenaAllocator(&hook);
        T.arena_installed = true;
    }
    for (int i = 0; i < 3; i++) {
        hooked_domain *d = &T.dom[i];
        if (!want[i]) continue;
        PyMem_GetAllocator(d->domain, &d->orig);
        PyMemAllocatorEx hook = {d, hook_malloc, hook_calloc, hook_realloc, hook_free};
        PyMem_SetAllocator(d->domain, &hook);
        d->installed = true;
    }
    Py_RETURN_NONE;
}

static PyObject *capture_stop(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    if (!T.active) Py_RETURN_NONE;
    pthread_mutex_lock(&T.lock);
    T.recording = false;
    pthread_mutex_unlock(&T.lock);
    for (int i = 0; i < 3; i++) {
        if (!T.dom[i].installed) continue;
        PyMem_SetAllocator(T.dom[i].domain, &T.dom[i].orig);
        T.dom[i].installed = false;
    }
    if (T.arena_installed) {
        PyObject_SetArenaAllocator(&T.arena_orig);
        T.arena_installed = false;
    }
    /* Nothing has allocated through Python since recording stopped. */
    ab_trace_stats st;
    bool have_stats = !T.forked_child && snapshot_stats(&st);

    pthread_mutex_lock(&T.lock);
    uint64_t live = T.map_used, records = T.n_records;
    uint64_t prehook_free = T.n_prehook_free, prehook_realloc = T.n_prehook_realloc;
    uint64_t arena_alloc = T.n_arena_alloc, arena_free = T.n_arena_free;
    bool oom = T.oom, forked = T.forked_child;
    if (!forked) {
        if (have_stats) emit_stats_locked(AB_TRACE_STATS_EXIT, &st);
        records = T.n_records;
        if (!oom) emit_locked(AB_TRACE_OP_END, AB_TRACE_DOMAIN_NONE, 1, T.n_records, 0, 0);
        flush_locked();
    }
    int werr = T.write_errno;
    uint64_t bytes = T.bytes_written;
    T.active = false;
    release_private_state();
    pthread_mutex_unlock(&T.lock);

    if (forked) Py_RETURN_NONE;
    if (werr) {
        errno = werr;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (oom) {
        PyErr_SetString(PyExc_MemoryError, "arenatrace: out of memory for the tracer's own tables; trace left without END");
        return NULL;
    }
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:O}", "records", (unsigned long long)records,
                         "bytes", (unsigned long long)bytes, "live_blocks", (unsigned long long)live,
                         "prehook_frees", (unsigned long long)prehook_free,
                         "prehook_reallocs", (unsigned long long)prehook_realloc,
                         "arena_allocs", (unsigned long long)arena_alloc,
                         "arena_frees", (unsigned long long)arena_free,
                         "stats", have_stats ? Py_True : Py_False);
}

static PyObject *capture_active(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyBool_FromLong(T.active);
}

static PyMethodDef capture_methods[] = {
    {"start", (PyCFunction)(void (*)(void))capture_start, METH_VARARGS | METH_KEYWORDS,
     "start(path, domains='obj,mem', arenas=True): hook the allocators, write a trace to path"},
    {"stop", capture_stop, METH_NOARGS,
     "stop(): unhook, append exit statistics and END, close; returns a summary dict"},
    {"active", capture_active, METH_NOARGS, "active(): whether a trace is being written"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef capture_module = {
    PyModuleDef_HEAD_INIT, "arenatrace._capture",
    "Record CPython allocator calls to an arenatrace file (see arenabench README).",
    -1, capture_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__capture(void);
PyMODINIT_FUNC PyInit__capture(void)
{
    static bool atfork_registered;
    if (!atfork_registered) {
        if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child)) {
            PyErr_SetString(PyExc_OSError, "arenatrace: pthread_atfork failed");
            return NULL;
        }
        atfork_registered = true;
    }
    return PyModule_Create(&capture_module);
}
