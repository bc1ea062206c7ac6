/*
 * ref_cpython.h -- the `cpython` reference allocator's own interface: the
 * parsed output of libpython's _PyObject_DebugMallocStats() (the text
 * sys._debugmallocstats() prints), with its per-size-class table, so tests can
 * compare the model with the real allocator class by class.
 *
 * libpython's obmalloc state is process-global, and so is the binding to it:
 * the first ab_ref_open("cpython") (or availability probe) in a process
 * dlopens libpython, installs arenabench's arena allocator with
 * PyObject_SetArenaAllocator (before any PyObject_Malloc, so every arena is
 * seen), and every later instance in that process shares those arenas,
 * counters and arena hook.  Fork for a fresh one.
 */
#ifndef AB_REF_CPYTHON_H
#define AB_REF_CPYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "allocators/allocator.h"

/* The printout lists only classes that own pools; 64 leaves room for a
 * build with a 1024-byte threshold at 16-byte alignment. */
#define AB_CPY_MAX_CLASSES 64

typedef struct ab_cpy_class_row {
    int64_t size_class;         /* "class": index, block size is (class+1)*ALIGNMENT */
    int64_t block_size;         /* "size" */
    int64_t pools;              /* "num pools": pools currently assigned to the class */
    int64_t blocks_in_use;      /* "blocks in use" */
    int64_t avail_blocks;       /* "avail blocks": free + never-carved blocks in those pools */
} ab_cpy_class_row;

typedef struct ab_cpy_mallocstats {
    int64_t small_block_threshold;          /* "Small block threshold = 512, ..." */
    int64_t size_classes;                   /* "... in 32 size classes." */
    int nrows;                              /* rows below, ascending class */
    ab_cpy_class_row rows[AB_CPY_MAX_CLASSES];
    int64_t arenas_allocated_total;
    int64_t arenas_reclaimed;
    int64_t arenas_highwater;
    int64_t arenas_current;
    int64_t arena_size;                     /* from "N arenas * S bytes/arena" */
    int64_t bytes_in_allocated_blocks;
    int64_t bytes_in_available_blocks;
    int64_t unused_pools;                   /* from "N unused pools * S bytes" */
    int64_t pool_size;
    int64_t bytes_lost_pool_headers;
    int64_t bytes_lost_quantization;
    int64_t bytes_lost_alignment;
    int64_t total;                          /* the first "Total" line: narenas * ARENA_SIZE */
} ab_cpy_mallocstats;

/* Parse _PyObject_DebugMallocStats() text.  0 on success; -1 with a reason
 * (e.g. a missing line) in err.  Pure: needs no libpython. */
int ab_cpy_parse_mallocstats(const char *text, ab_cpy_mallocstats *out, char *err, size_t errlen);

/* Blocks in use of one size class (0 if the class owns no pools). */
int64_t ab_cpy_class_blocks(const ab_cpy_mallocstats *m, int size_class);

/* Copy the parsed figures into ab_alloc_stats fields of the same meaning
 * (arenas, sizes, pools/blocks in use summed over classes, bytes lost);
 * other fields are left as they are. */
void ab_cpy_mallocstats_apply(const ab_cpy_mallocstats *m, ab_alloc_stats *out);

/* Run libpython's _PyObject_DebugMallocStats into memory and parse it.
 * Binds libpython first if needed.  If text is non-NULL it receives the raw
 * text (caller frees).  0 on success, -1 with err. */
int ab_cpy_capture_mallocstats(ab_cpy_mallocstats *out, char **text, char *err, size_t errlen);

/* The libpython that is (or would be) loaded: $ARENABENCH_LIBPYTHON if set,
 * else the build-time AB_LIBPYTHON. */
const char *ab_cpy_libpython_path(void);

#endif
