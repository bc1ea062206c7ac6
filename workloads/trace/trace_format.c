/*
 * trace_format.c -- reading and validating arenatrace files (format in
 * trace_format.h).
 *
 * The reader trusts nothing in the file: every varint is bounds-checked,
 * every id must name a live block (or be the next one born), every size is
 * capped by the AB_TRACE_MAX_* limits, and memory it allocates is bounded by
 * the file's length (the whole file, and one byte of liveness per id, where
 * each id costs the file at least two bytes).  A damaged file yields a
 * message naming the offset, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "workloads/trace/trace_format.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 0 on success; -1 if the varint runs past end or exceeds 64 bits / 10 bytes
 * or is overlong (a trailing zero byte would let two files mean the same). */
static int get_varint(const unsigned char *p, size_t len, size_t *off, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < AB_TRACE_VARINT_MAX; i++) {
        if (*off >= len) return -1;
        unsigned char b = p[(*off)++];
        if (i == 9 && b > 1) return -1;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (i > 0 && b == 0) return -1;
            *v = x;
            return 0;
        }
    }
    return -1;
}

const char *ab_trace_op_name(unsigned op)
{
    static const char *const names[] = {
        [AB_TRACE_OP_MALLOC] = "malloc", [AB_TRACE_OP_CALLOC] = "calloc",
        [AB_TRACE_OP_REALLOC] = "realloc", [AB_TRACE_OP_FREE] = "free",
        [AB_TRACE_OP_FREE_PREHOOK] = "free_prehook",
        [AB_TRACE_OP_REALLOC_PREHOOK] = "realloc_prehook",
        [AB_TRACE_OP_ARENA_ALLOC] = "arena_alloc", [AB_TRACE_OP_ARENA_FREE] = "arena_free",
        [AB_TRACE_OP_STATS] = "stats", [AB_TRACE_OP_END] = "end",
    };
    return op < sizeof names / sizeof names[0] && names[op] ? names[op] : "unknown";
}

/*
 * Decode one record at *off (not STATS: its payload is read by
 * parse_stats).  Returns 0 or -1 with err set.  Checks only syntax and
 * per-field bounds; id liveness is the validator's business.
 */
static int decode(const unsigned char *p, size_t len, size_t *off, ab_trace_rec *r,
                  char *err, size_t errlen)
{
    size_t start = *off;
    memset(r, 0, sizeof *r);
    if (*off >= len) {
        set_err(err, errlen, "truncated: no END record (file ends at offset %zu)", start);
        return -1;
    }
    unsigned char b = p[(*off)++];
    r->op = b & 0x0f;
    r->domain = b >> 4;
    if (r->domain > AB_TRACE_DOMAIN_NONE) {
        set_err(err, errlen, "corrupt: bad domain %u at offset %zu", r->domain, start);
        return -1;
    }
    bool alloc_op = r->op >= AB_TRACE_OP_MALLOC && r->op <= AB_TRACE_OP_REALLOC_PREHOOK;
    if (r->op < AB_TRACE_OP_MALLOC || r->op > AB_TRACE_OP_END) {
        set_err(err, errlen, "corrupt: unknown op %u at offset %zu", r->op, start);
        return -1;
    }
    if (alloc_op == (r->domain == AB_TRACE_DOMAIN_NONE)) {
        set_err(err, errlen, "corrupt: op %s with domain %u at offset %zu",
                ab_trace_op_name(r->op), r->domain, start);
        return -1;
    }
    int bad = 0;
    switch (r->op) {
    case AB_TRACE_OP_MALLOC:
    case AB_TRACE_OP_REALLOC:
    case AB_TRACE_OP_REALLOC_PREHOOK:
        bad = get_varint(p, len, off, &r->id) || get_varint(p, len, off, &r->size);
        break;
    case AB_TRACE_OP_CALLOC:
        bad = get_varint(p, len, off, &r->id) || get_varint(p, len, off, &r->nelem) ||
              get_varint(p, len, off, &r->elsize);
        break;
    case AB_TRACE_OP_FREE:
        bad = get_varint(p, len, off, &r->id);
        break;
    case AB_TRACE_OP_FREE_PREHOOK:
        break;
    case AB_TRACE_OP_ARENA_ALLOC:
    case AB_TRACE_OP_ARENA_FREE:
    case AB_TRACE_OP_END:
        bad = get_varint(p, len, off, &r->size);
        break;
    case AB_TRACE_OP_STATS:
        break;
    }
    if (bad) {
        set_err(err, errlen, "%s: bad or truncated varint in %s record at offset %zu",
                *off >= len ? "truncated" : "corrupt", ab_trace_op_name(r->op), start);
        return -1;
    }
    if (r->op == AB_TRACE_OP_CALLOC) {
        if (r->elsize && r->nelem > AB_TRACE_MAX_REQUEST / r->elsize) {
            set_err(err, errlen, "corrupt: calloc of %llu x %llu bytes at offset %zu",
                    (unsigned long long)r->nelem, (unsigned long long)r->elsize, start);
            return -1;
        }
        r->size = r->nelem * r->elsize;
    }
    if ((alloc_op || r->op == AB_TRACE_OP_ARENA_ALLOC || r->op == AB_TRACE_OP_ARENA_FREE) &&
        r->size > AB_TRACE_MAX_REQUEST) {
        set_err(err, errlen, "corrupt: %s of %llu bytes (limit %llu) at offset %zu",
                ab_trace_op_name(r->op), (unsigned long long)r->size,
                (unsigned long long)AB_TRACE_MAX_REQUEST, start);
        return -1;
    }
    return 0;
}

static int parse_stats(const unsigned char *p, size_t len, size_t *off, ab_trace *t,
                       char *err, size_t errlen)
{
    size_t start = *off - 1;
    uint64_t tag, nfixed, nclasses, v;
    if (get_varint(p, len, off, &tag) || get_varint(p, len, off, &nfixed)) goto bad_varint;
    if (tag > AB_TRACE_STATS_EXIT) {
        set_err(err, errlen, "corrupt: stats tag %llu at offset %zu", (unsigned long long)tag, start);
        return -1;
    }
    ab_trace_stats *s = tag == AB_TRACE_STATS_INSTALL ? &t->install : &t->exit;
    if (s->present) {
        set_err(err, errlen, "corrupt: second %s stats record at offset %zu",
                tag == AB_TRACE_STATS_INSTALL ? "install" : "exit", start);
        return -1;
    }
    if (nfixed < AB_TS_NFIXED || nfixed > 4 * AB_TS_NFIXED) {
        set_err(err, errlen, "corrupt: stats record with %llu fields at offset %zu",
                (unsigned long long)nfixed, start);
        return -1;
    }
    for (uint64_t i = 0; i < nfixed; i++) {
        if (get_varint(p, len, off, &v)) goto bad_varint;
        if (v > (uint64_t)INT64_MAX) goto bad_value;
        if (i < AB_TS_NFIXED) s->fixed[i] = (int64_t)v;
    }
    if ((uint64_t)s->fixed[AB_TS_ARENAS_CURRENT] > AB_TRACE_MAX_ARENAS ||
        (uint64_t)s->fixed[AB_TS_ARENAS_HIGHWATER] > AB_TRACE_MAX_ARENAS ||
        s->fixed[AB_TS_ARENAS_CURRENT] > s->fixed[AB_TS_ARENAS_HIGHWATER] ||
        s->fixed[AB_TS_ARENAS_HIGHWATER] > s->fixed[AB_TS_ARENAS_TOTAL] ||
        (uint64_t)s->fixed[AB_TS_ARENA_SIZE] > AB_TRACE_MAX_ARENA_SIZE ||
        (uint64_t)s->fixed[AB_TS_POOL_SIZE] > AB_TRACE_MAX_POOL_SIZE ||
        s->fixed[AB_TS_POOL_SIZE] < AB_TRACE_MIN_POOL_SIZE ||
        s->fixed[AB_TS_ARENA_SIZE] < s->fixed[AB_TS_POOL_SIZE])
        goto bad_value;
    /* Pools (used + unused) cannot exceed what the current arenas hold. */
    uint64_t pool_cap = (uint64_t)s->fixed[AB_TS_ARENAS_CURRENT] *
                        (uint64_t)(s->fixed[AB_TS_ARENA_SIZE] / s->fixed[AB_TS_POOL_SIZE]);
    uint64_t pools = (uint64_t)s->fixed[AB_TS_UNUSED_POOLS], bytes = 0;
    if (pools > pool_cap) goto bad_value;
    if (get_varint(p, len, off, &nclasses)) goto bad_varint;
    if (nclasses > AB_TRACE_MAX_CLASSES) goto bad_value;
    s->nclasses = (unsigned)nclasses;
    for (unsigned i = 0; i < s->nclasses; i++) {
        ab_trace_class *c = &s->cls[i];
        uint64_t size;
        if (get_varint(p, len, off, &size) || get_varint(p, len, off, &c->pools) ||
            get_varint(p, len, off, &c->in_use) || get_varint(p, len, off, &c->avail))
            goto bad_varint;
        if (size == 0 || size > AB_TRACE_MAX_CLASS_SIZE ||
            size > (uint64_t)s->fixed[AB_TS_POOL_SIZE] / 2)
            goto bad_value;
        c->size = (uint32_t)size;
        /* Checked one at a time, so the sum below cannot overflow. */
        if (c->pools > pool_cap) goto bad_value;
        uint64_t per_pool = (uint64_t)s->fixed[AB_TS_POOL_SIZE] / size;
        if (c->in_use + c->avail < c->in_use || c->in_use + c->avail > c->pools * per_pool ||
            c->in_use < c->pools)
            goto bad_value;
        pools += c->pools;
        if (pools > pool_cap) goto bad_value;
        bytes += c->in_use * c->size;   /* <= pools * pool_size: sums stay below 2^50 */
    }
    /* Both come from one snapshot; a mismatch means a damaged record (and
     * this keeps a replay from rebuilding a heap the file never described). */
    if (bytes != (uint64_t)s->fixed[AB_TS_BYTES_IN_BLOCKS]) goto bad_value;
    s->present = true;
    return 0;
bad_varint:
    set_err(err, errlen, "%s: bad varint in stats record at offset %zu",
            *off >= len ? "truncated" : "corrupt", start);
    return -1;
bad_value:
    set_err(err, errlen, "corrupt: inconsistent stats record at offset %zu", start);
    return -1;
}

/* Whether an arena-allocator event of this size is a pymalloc arena (the
 * install snapshot gives the arena size; without it, count everything). */
static bool is_arena(const ab_trace *t, uint64_t size)
{
    return !t->install.present || size == (uint64_t)t->install.fixed[AB_TS_ARENA_SIZE];
}

typedef struct id_table {
    unsigned char *live;         /* 1 = id names a live block */
    uint64_t cap, next_new, n_live;
} id_table;

/* Make id `next_new` usable; the table grows with the number of births,
 * each of which occupies at least two bytes of the file. */
static int ids_grow(id_table *ids)
{
    if (ids->next_new < ids->cap) return 0;
    uint64_t ncap = ids->cap ? ids->cap * 2 : 1024;
    unsigned char *n = realloc(ids->live, ncap);
    if (!n) return -1;
    memset(n + ids->cap, 0, ncap - ids->cap);
    ids->live = n;
    ids->cap = ncap;
    return 0;
}

static int validate(ab_trace *t, char *err, size_t errlen)
{
    const unsigned char *p = t->data;
    if (t->len < AB_TRACE_HEADER_SIZE) {
        set_err(err, errlen, "truncated: %zu bytes, shorter than the %d-byte header",
                t->len, AB_TRACE_HEADER_SIZE);
        return -1;
    }
    if (memcmp(p, AB_TRACE_MAGIC, AB_TRACE_MAGIC_LEN)) {
        set_err(err, errlen, "not an arenatrace file (bad magic)");
        return -1;
    }
    t->hdr.version = rd16(p + 8);
    if (t->hdr.version != AB_TRACE_VERSION) {
        set_err(err, errlen, "unsupported arenatrace format version %u (this reader knows %d)",
                t->hdr.version, AB_TRACE_VERSION);
        return -1;
    }
    size_t hsize = rd16(p + 10);
    if (hsize < AB_TRACE_HEADER_SIZE || hsize > t->len) {
        set_err(err, errlen, "corrupt: header size %zu", hsize);
        return -1;
    }
    t->hdr.pointer_size = p[12];
    t->hdr.domains = p[13];
    t->hdr.python_hexversion = rd32(p + 16);
    memcpy(t->hdr.python_version, p + 20, AB_TRACE_PYVERSION_LEN);
    t->hdr.python_version[AB_TRACE_PYVERSION_LEN] = 0;
    for (char *c = t->hdr.python_version; *c; c++)
        if (*c < 0x20 || *c > 0x7e) *c = '?';
    t->hdr.alignment = rd32(p + 52);
    if (t->hdr.pointer_size != 4 && t->hdr.pointer_size != 8) {
        set_err(err, errlen, "corrupt: pointer size %u", t->hdr.pointer_size);
        return -1;
    }

    id_table ids = {0};
    size_t off = hsize;
    int64_t arenas_delta = 0;   /* arenas mapped minus unmapped since the hook */
    int rc = -1;
    for (;;) {
        ab_trace_rec r;
        size_t start = off;
        if (decode(p, t->len, &off, &r, err, errlen)) goto out;
        if (r.op == AB_TRACE_OP_END) {
            if (r.size != t->n_records) {
                set_err(err, errlen, "corrupt: END says %llu records, found %llu",
                        (unsigned long long)r.size, (unsigned long long)t->n_records);
                goto out;
            }
            if (off != t->len) {
                set_err(err, errlen, "corrupt: %zu bytes after END at offset %zu",
                        t->len - off, off);
                goto out;
            }
            break;
        }
        t->n_records++;
        t->n_op[r.op]++;
        if (r.domain != AB_TRACE_DOMAIN_NONE) t->n_domain_ops[r.domain]++;
        switch (r.op) {
        case AB_TRACE_OP_MALLOC:
        case AB_TRACE_OP_CALLOC:
        case AB_TRACE_OP_REALLOC_PREHOOK:
            if (r.id > ids.next_new || (r.id < ids.next_new && ids.live[r.id])) {
                set_err(err, errlen, "corrupt: %s gives id %llu, which is %s, at offset %zu",
                        ab_trace_op_name(r.op), (unsigned long long)r.id,
                        r.id > ids.next_new ? "beyond the next new id" : "live", start);
                goto out;
            }
            if (r.id == ids.next_new) {
                if (ids_grow(&ids)) {
                    set_err(err, errlen, "out of memory for %llu ids", (unsigned long long)r.id);
                    goto out;
                }
                ids.next_new++;
            }
            ids.live[r.id] = 1;
            ids.n_live++;
            break;
        case AB_TRACE_OP_REALLOC:
        case AB_TRACE_OP_FREE:
            if (r.id >= ids.next_new || !ids.live[r.id]) {
                set_err(err, errlen, "corrupt: %s of id %llu, which is not live, at offset %zu",
                        ab_trace_op_name(r.op), (unsigned long long)r.id, start);
                goto out;
            }
            if (r.op == AB_TRACE_OP_FREE) {
                ids.live[r.id] = 0;
                ids.n_live--;
            }
            break;
        case AB_TRACE_OP_ARENA_ALLOC:
            if (!is_arena(t, r.size)) break;
            t->arenas_mapped++;
            if (++arenas_delta > t->arenas_peak_delta) t->arenas_peak_delta = arenas_delta;
            break;
        case AB_TRACE_OP_ARENA_FREE:
            if (!is_arena(t, r.size)) break;
            /* Unmapping pre-hook arenas drives the delta below zero. */
            t->arenas_unmapped++;
            arenas_delta--;
            break;
        case AB_TRACE_OP_STATS:
            if (parse_stats(p, t->len, &off, t, err, errlen)) goto out;
            break;
        default:
            break;
        }
    }
    t->id_capacity = ids.next_new;
    t->live_at_end = ids.n_live;
    t->arenas_end_delta = arenas_delta;
    rc = 0;
out:
    free(ids.live);
    return rc;
}

int ab_trace_load_buffer(const void *buf, size_t len, ab_trace *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->data = (unsigned char *)buf;
    t->len = len;
    if (validate(t, err, errlen)) {
        t->data = NULL;
        return -1;
    }
    return 0;
}

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

int ab_trace_open(const char *path, uint64_t *size, char *err, size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    const char *why = NULL;
    if (fstat(fd, &sb) != 0) why = strerror(errno);
    else if (!S_ISREG(sb.st_mode)) why = file_kind(sb.st_mode);
    if (why) {
        set_err(err, errlen, "%s: %s; a trace must be a regular file", path, why);
        close(fd);
        return -1;
    }
    if ((uint64_t)sb.st_size < AB_TRACE_HEADER_SIZE || (uint64_t)sb.st_size > AB_TRACE_MAX_FILE) {
        set_err(err, errlen, "%s: %llu bytes; a trace has %d to %llu (header included)", path,
                (unsigned long long)sb.st_size, AB_TRACE_HEADER_SIZE, (unsigned long long)AB_TRACE_MAX_FILE);
        close(fd);
        return -1;
    }
    *size = (uint64_t)sb.st_size;
    return fd;
}

int ab_trace_load(const char *path, ab_trace *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    char why[200];
    uint64_t size;
    int fd = ab_trace_open(path, &size, err, errlen);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    size_t len = (size_t)size;
    unsigned char *data = malloc(len ? len : 1);
    if (!data || fread(data, 1, len, f) != len) {
        set_err(err, errlen, "%s: %s", path, data ? "short read" : "out of memory");
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    if (ab_trace_load_buffer(data, len, t, why, sizeof why)) {
        set_err(err, errlen, "%s: %s", path, why);
        free(data);
        return -1;
    }
    t->owns_data = true;
    return 0;
}

void ab_trace_free(ab_trace *t)
{
    if (t->owns_data) free(t->data);
    memset(t, 0, sizeof *t);
}

void ab_trace_cursor_init(ab_trace_cursor *c, const ab_trace *t)
{
    c->t = t;
    c->off = t->data ? rd16(t->data + 10) : 0;
}

int ab_trace_next(ab_trace_cursor *c, ab_trace_rec *r)
{
    const ab_trace *t = c->t;
    if (!t->data) return -1;
    for (;;) {
        if (decode(t->data, t->len, &c->off, r, NULL, 0)) return -1;
        if (r->op == AB_TRACE_OP_END) return 0;
        if (r->op != AB_TRACE_OP_STATS) return 1;
        /* Stats were read by the validator; skip the payload. */
        ab_trace scratch;
        memset(&scratch, 0, sizeof scratch);
        if (parse_stats(t->data, t->len, &c->off, &scratch, NULL, 0)) return -1;
        *r = (ab_trace_rec){.op = AB_TRACE_OP_STATS, .domain = AB_TRACE_DOMAIN_NONE};
        return 1;
    }
}
