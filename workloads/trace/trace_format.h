/*
 * trace_format.h -- the arenatrace binary format (version 1): constants
 * shared by the writer (workloads/trace/capture/capture.c, the CPython extension)
 * and the reader (trace_format.c, used by the replay:FILE workload and
 * `arenabench validate --trace`).
 *
 * Layout (all integers little-endian; "varint" is unsigned LEB128, at most
 * 10 bytes, no overlong encodings):
 *
 *   header, AB_TRACE_HEADER_SIZE bytes:
 *     0  char[8]  magic "ABTRACE\0"
 *     8  u16      format version (AB_TRACE_VERSION)
 *    10  u16      header size (AB_TRACE_HEADER_SIZE; a reader skips to it)
 *    12  u8       pointer size of the traced process (8 on LP64)
 *    13  u8       domains hooked (bit AB_TRACE_DOMAIN_* set for each;
 *                 AB_TRACE_HAS_ARENAS if arena map/unmap events are recorded)
 *    14  u16      reserved, 0
 *    16  u32      PY_VERSION_HEX of the traced interpreter
 *    20  char[32] sys.version's first word, NUL-padded
 *    52  u32      pymalloc ALIGNMENT (16 since 3.8)
 *    56  u64      reserved, 0
 *
 *   records, each one op byte (low nibble: AB_TRACE_OP_*, high nibble: the
 *   AB_TRACE_DOMAIN_* the call came through, AB_TRACE_DOMAIN_NONE for
 *   non-allocation records) followed by its varint fields:
 *     MALLOC          id size
 *     CALLOC          id nelem elsize
 *     REALLOC         id size          (the block keeps its id when it moves)
 *     FREE            id
 *     FREE_PREHOOK    -                (free of a block allocated before the hook)
 *     REALLOC_PREHOOK id size          (realloc of such a block: a new id is born)
 *     ARENA_ALLOC     size             (the arena allocator mapped size bytes: an
 *                                      arena, or in 3.11 a thread data-stack chunk)
 *     ARENA_FREE      size             (the arena allocator unmapped size bytes)
 *     STATS           tag nfixed fixed[nfixed] nclasses (size pools in_use avail)[nclasses]
 *                     tag AB_TRACE_STATS_INSTALL / _EXIT; fixed fields in
 *                     ab_trace_stats_field order (readers ignore extra ones)
 *     END             nrecords         (records before END, STATS included)
 *
 * Ids are dense: a block born (MALLOC, CALLOC, REALLOC_PREHOOK) takes either
 * the most recently released id or the next never-used one, so a replay's id
 * table never exceeds the peak number of live blocks.  A file without END is
 * truncated (the traced process died or called os._exit).
 */
#ifndef AB_TRACE_FORMAT_H
#define AB_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AB_TRACE_MAGIC "ABTRACE"        /* 7 chars + NUL = 8 bytes */
#define AB_TRACE_MAGIC_LEN 8
#define AB_TRACE_VERSION 1
#define AB_TRACE_HEADER_SIZE 64
#define AB_TRACE_PYVERSION_LEN 32

enum {
    AB_TRACE_DOMAIN_RAW = 0,     /* PYMEM_DOMAIN_RAW: never pymalloc, skipped by replay */
    AB_TRACE_DOMAIN_MEM = 1,     /* PYMEM_DOMAIN_MEM: pymalloc since 3.6 */
    AB_TRACE_DOMAIN_OBJ = 2,     /* PYMEM_DOMAIN_OBJ: pymalloc */
    AB_TRACE_DOMAIN_NONE = 3,    /* arena events, stats, end */
};
#define AB_TRACE_HAS_ARENAS 0x80 /* header domains bit: arena events recorded */

enum {
    AB_TRACE_OP_MALLOC = 1,
    AB_TRACE_OP_CALLOC = 2,
    AB_TRACE_OP_REALLOC = 3,
    AB_TRACE_OP_FREE = 4,
    AB_TRACE_OP_FREE_PREHOOK = 5,
    AB_TRACE_OP_REALLOC_PREHOOK = 6,
    AB_TRACE_OP_ARENA_ALLOC = 7,
    AB_TRACE_OP_ARENA_FREE = 8,
    AB_TRACE_OP_STATS = 9,
    AB_TRACE_OP_END = 10,
};

enum { AB_TRACE_STATS_INSTALL = 0, AB_TRACE_STATS_EXIT = 1 };

/* Fixed fields of a STATS record, in file order (sys._debugmallocstats() lines). */
enum ab_trace_stats_field {
    AB_TS_ARENAS_TOTAL,          /* "# arenas allocated total" */
    AB_TS_ARENAS_RECLAIMED,      /* "# arenas reclaimed" */
    AB_TS_ARENAS_HIGHWATER,      /* "# arenas highwater mark" */
    AB_TS_ARENAS_CURRENT,        /* "# arenas allocated current" */
    AB_TS_ARENA_SIZE,            /* "N arenas * S bytes/arena" */
    AB_TS_POOL_SIZE,             /* "N unused pools * S bytes" */
    AB_TS_UNUSED_POOLS,          /* N of that line */
    AB_TS_BYTES_LOST_ALIGNMENT,  /* "# bytes lost to arena alignment" */
    AB_TS_BYTES_IN_BLOCKS,       /* "# bytes in allocated blocks" */
    AB_TS_NFIXED
};

/* Bounds a reader enforces, so no size field can make it (or a replay of a
 * file it accepted) allocate without limit. */
#define AB_TRACE_MAX_CLASSES 64                 /* pymalloc has 32 on LP64 */
#define AB_TRACE_MAX_CLASS_SIZE 4096            /* SMALL_REQUEST_THRESHOLD is 512 */
#define AB_TRACE_MAX_REQUEST ((uint64_t)1 << 40) /* bytes in one malloc/realloc */
#define AB_TRACE_MAX_ARENAS ((uint64_t)1 << 16)  /* 64 GiB of 1 MiB arenas */
#define AB_TRACE_MAX_ARENA_SIZE ((uint64_t)1 << 24)
#define AB_TRACE_MAX_POOL_SIZE ((uint64_t)1 << 20)
#define AB_TRACE_MIN_POOL_SIZE 1024
#define AB_TRACE_MAX_FILE ((uint64_t)1 << 34)    /* 16 GiB */

typedef struct ab_trace_class {
    uint32_t size;               /* block size of the class */
    uint64_t pools, in_use, avail;
} ab_trace_class;

typedef struct ab_trace_stats {
    bool present;
    int64_t fixed[AB_TS_NFIXED];
    unsigned nclasses;
    ab_trace_class cls[AB_TRACE_MAX_CLASSES];
} ab_trace_stats;

typedef struct ab_trace_header {
    unsigned version;
    unsigned pointer_size;
    unsigned domains;
    uint32_t python_hexversion;
    char python_version[AB_TRACE_PYVERSION_LEN + 1];
    uint32_t alignment;
} ab_trace_header;

/* One decoded record. */
typedef struct ab_trace_rec {
    unsigned op, domain;
    uint64_t id;                 /* MALLOC, CALLOC, REALLOC, FREE, REALLOC_PREHOOK */
    uint64_t size;               /* MALLOC, REALLOC, REALLOC_PREHOOK, ARENA_* */
    uint64_t nelem, elsize;      /* CALLOC */
} ab_trace_rec;

/* A loaded and fully validated trace.  Everything here was checked by
 * ab_trace_load*: ids refer to live blocks, sizes are within bounds, the
 * stream ends with a consistent END record. */
typedef struct ab_trace {
    unsigned char *data;         /* the whole file */
    size_t len;
    bool owns_data;
    ab_trace_header hdr;
    ab_trace_stats install, exit;
    uint64_t n_records;          /* before END */
    uint64_t id_capacity;        /* ids are < this */
    uint64_t n_op[16];           /* records per op code */
    uint64_t n_domain_ops[4];    /* allocation records per domain */
    /* Arena events of the install snapshot's arena size only: CPython 3.11
     * also takes thread data-stack chunks (16 KiB) from the arena allocator. */
    uint64_t arenas_mapped, arenas_unmapped;
    int64_t arenas_peak_delta;   /* max over the stream of (mapped - unmapped) so far, >= 0 */
    int64_t arenas_end_delta;    /* mapped - unmapped over the whole stream */
    uint64_t live_at_end;        /* traced blocks never freed */
} ab_trace;

/* Open a trace file for reading without ever blocking (a FIFO is refused,
 * not waited on): the fd, its size in *size; or -1 with err for anything but
 * a regular file of AB_TRACE_HEADER_SIZE .. AB_TRACE_MAX_FILE bytes. */
int ab_trace_open(const char *path, uint64_t *size, char *err, size_t errlen);

/* Read, then validate, the whole file (opened with ab_trace_open).  0 on success; -1 with a reason
 * ("FILE: truncated record at offset N", ...) in err. */
int ab_trace_load(const char *path, ab_trace *t, char *err, size_t errlen);
/* Same over a caller's buffer (not copied; must outlive t). */
int ab_trace_load_buffer(const void *buf, size_t len, ab_trace *t, char *err, size_t errlen);
void ab_trace_free(ab_trace *t);

/* Iterate the records of a loaded trace, from the first to END (exclusive). */
typedef struct ab_trace_cursor {
    const ab_trace *t;
    size_t off;
} ab_trace_cursor;

void ab_trace_cursor_init(ab_trace_cursor *c, const ab_trace *t);
/* 1 and *r filled, 0 at END, -1 on a decoding error (impossible for a loaded trace). */
int ab_trace_next(ab_trace_cursor *c, ab_trace_rec *r);

const char *ab_trace_op_name(unsigned op);

/* Writer helper: append v as a varint at p, return bytes written (<= 10). */
static inline size_t ab_trace_put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}
#define AB_TRACE_VARINT_MAX 10

#endif
