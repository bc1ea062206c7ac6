/*
 * pyobj.h -- a small model of CPython 3.11 objects: their sizes, their
 * layouts as far as the interpreter writes them, and the allocator calls
 * each constructor and destructor makes, in CPython's order.
 *
 * Every size below was measured on Debian's CPython 3.11.2 (the one
 * libpython3.11 belongs to) by installing a PyMem_SetAllocator() hook on the
 * OBJ and MEM domains and logging every call while the bench_obmalloc.py
 * functions ran at small n; sys.getsizeof() agrees where it reports the
 * same thing.  In 3.11 PyMem_Malloc is pymalloc too, so both domains go to
 * the allocator under test (through ab_wl_malloc & co.).
 *
 * Objects are real memory in the allocator under test laid out like
 * CPython's: the object header (ob_refcnt, ob_type) is written at
 * allocation, GC objects are preceded by a 16-byte PyGC_Head, and objects
 * CPython zero-fills (PyType_GenericAlloc) are zero-filled here.  ob_type
 * points to an ab_pytype whose dealloc does what the CPython type's
 * tp_dealloc does.  Reference counts are real, so an object shared by two
 * containers is freed only when the last one lets go.
 *
 * Immortal/cached objects (small ints -5..256, one-character latin-1
 * strings, None, True, False, interned string constants) are represented by
 * NULL: CPython allocates nothing for them and decref is a no-op.
 *
 * Freelists (3.11): float 100, tuple 2000 per size 1..19, list 80, dict 80,
 * dict keys 80 (minimum-size unicode tables only).  They start empty here;
 * the Python original's freelists are warm at function entry, so CPython
 * may serve the first few objects of a kind from a freelist where the model
 * allocates (at most one freelist's worth per kind: a few KiB).  Objects
 * left on freelists are freed by ab_py_fini(), after the measured phase,
 * as interpreter finalisation would.
 */
#ifndef AB_PYOBJ_H
#define AB_PYOBJ_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "workloads/workload.h"
#include "tlbsim/access_hook.h"

/* Sizes of CPython 3.11.2 allocations (LP64), measured as described above. */
#define AB_PY_GC_HEAD 16            /* PyGC_Head before every GC object */
#define AB_PY_INT_SIZE 32           /* PyLong_FromLong/_PyLong_FromMedium: sizeof(PyLongObject) */
#define AB_PY_INT_U32_SIZE 28       /* PyLong_FromUnsignedLong: _PyLong_New(1), offsetof+1 digit */
#define AB_PY_BYTEARRAY_SIZE 56     /* PyByteArrayObject, not GC */
#define AB_PY_LIST_SIZE (AB_PY_GC_HEAD + 40)
#define AB_PY_TUPLE_BASE (AB_PY_GC_HEAD + 24)   /* + 8 per item */
#define AB_PY_DICT_SIZE (AB_PY_GC_HEAD + 48)
#define AB_PY_DICT_MINKEYS_SIZE 120 /* PyDictKeysObject, log2 size 3, 5 unicode entries */
#define AB_PY_STR_BASE 48           /* PyASCIIObject; + len + 1 */
#define AB_PY_FLOAT_SIZE 24
#define AB_PY_FUNCTION_SIZE (AB_PY_GC_HEAD + 136)  /* a <listcomp> function object */
#define AB_PY_RANGE_SIZE 48         /* range object, not GC */
#define AB_PY_RANGEITER_SIZE 48     /* rangeiterobject, not GC */
#define AB_PY_SEQITER_SIZE (AB_PY_GC_HEAD + 32)  /* list / str iterator */
#define AB_PY_BUILTIN_METHOD_SIZE (AB_PY_GC_HEAD + 56)  /* bound C method, e.g. self.getrandbits */
#define AB_PY_METHOD_SIZE (AB_PY_GC_HEAD + 48)  /* bound Python method, e.g. self._randbelow */
/* An instance of a plain class with __dict__ (3.11 managed dict + inline
 * values): GC head, the pre-header (dict/values pointers), the object and
 * its __weakref__ slot; the values array is a separate PyMem_Malloc. */
#define AB_PY_MANAGED_INSTANCE_SIZE (AB_PY_GC_HEAD + 16 + 16 + 8)
#define AB_PY_MANAGED_PREHEADER 16

#define AB_PY_FLOAT_MAXFREELIST 100
#define AB_PY_TUPLE_NFREELISTS 20
#define AB_PY_TUPLE_MAXFREELIST 2000
#define AB_PY_LIST_MAXFREELIST 80
#define AB_PY_DICT_MAXFREELIST 80
#define AB_PY_SMALL_INT_MIN (-5)
#define AB_PY_SMALL_INT_MAX 256

typedef struct ab_py ab_py;

typedef struct ab_pytype {
    const char *name;
    void (*dealloc)(ab_py *py, void *op);
} ab_pytype;

typedef struct ab_pyobj {
    intptr_t ob_refcnt;
    const ab_pytype *ob_type;
} ab_pyobj;

typedef struct ab_py_freelist {
    void *head;     /* linked through the freed object's ob_type word */
    int count;
    int max;
} ab_py_freelist;

#define AB_PY_NSMALLINTS (AB_PY_SMALL_INT_MAX - AB_PY_SMALL_INT_MIN + 1)
typedef struct ab_py_small_int { ab_pyobj h; intptr_t ob_size; uint32_t digit[2]; } ab_py_small_int;
/* The static one-character latin-1 strings (and '') of _PyRuntime. */
typedef struct ab_py_char_str {
    ab_pyobj h; intptr_t length, hash; uint64_t state; void *wstr; char data[8];
} ab_py_char_str;

struct ab_py {
    ab_wl_ctx *ctx;
    ab_py_small_int small_ints[AB_PY_NSMALLINTS];
    ab_py_char_str latin1[256], empty_str;
    ab_py_freelist floats, lists, dicts, dictkeys;
    ab_py_freelist tuples[AB_PY_TUPLE_NFREELISTS];
};

void ab_py_init(ab_py *py, ab_wl_ctx *ctx);
/* Free what sits on the freelists (interpreter finalisation). */
void ab_py_fini(ab_py *py);

static inline void *ab_py_incref(void *op)
{
    if (op) {
        ((ab_pyobj *)op)->ob_refcnt++;
        AB_SIM_LOAD(&((ab_pyobj *)op)->ob_refcnt);
        AB_SIM_STORE(&((ab_pyobj *)op)->ob_refcnt);
    }
    return op;
}
void ab_py_decref(ab_py *py, void *op);

/* STORE_FAST / STORE_ATTR: bind the new value, then release the old one. */
static inline void ab_py_store(ab_py *py, void **slot, void *value)
{
    void *old = *slot;
    *slot = value;
    AB_SIM_LOAD(slot);
    AB_SIM_STORE(slot);
    ab_py_decref(py, old);
}

/* ---- int ---- */
static inline bool ab_py_int_is_small(int64_t v)
{
    return v >= AB_PY_SMALL_INT_MIN && v <= AB_PY_SMALL_INT_MAX;
}
/* PyLong_FromLong (range iteration, arithmetic); a new reference to the
 * cached object for small ints. */
void *ab_py_int_new(ab_py *py, int64_t v);
/* PyLong_FromUnsignedLong / PyLong_FromSsize_t (getrandbits(k <= 32),
 * len()): _PyLong_New(ndigits), 28 bytes for one 30-bit digit. */
void *ab_py_int_new_digits(ab_py *py, int64_t v);
int64_t ab_py_int_value(const void *op);

/* ---- bytearray(n): object, then an n+1-byte buffer via realloc(NULL), zero-filled ---- */
void *ab_py_bytearray_new(ab_py *py, size_t n);
void ab_py_bytearray_set(void *op, size_t i, uint8_t v);
uint8_t ab_py_bytearray_get(const void *op, size_t i);
size_t ab_py_bytearray_len(const void *op);

/* ---- list ---- */
void *ab_py_list_new(ab_py *py);
/* list(range(n)) / a slice: item array PyMem_Malloc(n * 8) sized exactly. */
void *ab_py_list_new_exact(ab_py *py, size_t n);
/* list_preallocate_exact(): an item array of exactly n slots, as
 * list(iterable-with-length) does before filling it. */
void ab_py_list_preallocate(ab_py *py, void *list, size_t n);
/* list_extend's per-item step: into spare preallocated room, else append. */
void ab_py_list_extend_item(ab_py *py, void *list, void *item);  /* steals */
/* Store into a list made by ab_py_list_new_exact (steals the reference). */
void ab_py_list_init_item(void *list, size_t i, void *item);
void ab_py_list_append(ab_py *py, void *list, void *item);  /* steals */
size_t ab_py_list_len(const void *list);
void *ab_py_list_get(const void *list, size_t i);           /* borrowed */
void ab_py_list_set(ab_py *py, void *list, size_t i, void *item);  /* steals; frees old */
/* list.pop(0): memmove of the item array, possible shrink; returns the
 * item (new reference). */
void *ab_py_list_pop0(ab_py *py, void *list);

/* ---- tuple ---- */
void *ab_py_tuple_new(ab_py *py, size_t n);
void ab_py_tuple_init_item(void *tuple, size_t i, void *item);  /* steals */
void *ab_py_tuple_get(const void *tuple, size_t i);

/* ---- dict: a 4-key literal of interned str keys and small-int values ---- */
void *ab_py_dict_literal4(ab_py *py);

/* ---- str (compact ASCII) ---- */
void *ab_py_str_new(ab_py *py, const char *s, size_t len);
/* A one-character string (cached, never allocated) or '' */
void *ab_py_str_char(ab_py *py, unsigned char c);
void *ab_py_str_empty(ab_py *py);
/* a + b (PyUnicode_Concat): a new string */
void *ab_py_str_concat(ab_py *py, const void *a, const void *b);
size_t ab_py_str_len(const void *op);
const char *ab_py_str_data(const void *op);

/* ---- float ---- */
void *ab_py_float_new(ab_py *py, double v);
double ab_py_float_value(const void *op);
/* repr(v) as CPython 3.11 writes it (shortest round-trip digits, exponent
 * form when the decimal point is at <= -4 or > 16), into buf (>= 32 bytes);
 * returns the length. */
size_t ab_py_float_repr(double v, char *buf);
/* str(float): float_repr's PyMem_Malloc'd work buffer (len + 2 bytes, + 1
 * more with an exponent), the str, then the buffer is freed. */
void *ab_py_float_str(ab_py *py, double v);

/* ---- instances ---- */
/* A __slots__ class instance: GC object, slots inline, zero-filled. */
void *ab_py_slots_new(ab_py *py, size_t nslots);
void **ab_py_slots(void *op);
/* A plain class whose instances keep their attributes in a shared-keys
 * table (3.11 "inline values"): the class's cached keys start with
 * SHARED_KEYS_MAX_SIZE (30) usable entries; init_inline_values() takes one
 * away from every new instance until one is left, and sizes the values
 * array by entries + usable, so the first ~30 instances of a class get
 * larger arrays (264, 256, ... bytes) before the steady 24 bytes. */
#define AB_PY_SHARED_KEYS_MAX_SIZE 30
typedef struct ab_py_class {
    int usable, nentries;
} ab_py_class;
void ab_py_class_init(ab_py_class *cls);
/* Instance creation, then __init__ storing attribute 0 (steals attr0). */
void *ab_py_managed_new(ab_py *py, ab_py_class *cls, void *attr0);

/* ---- interpreter objects the bytecode makes ---- */
void *ab_py_function_new(ab_py *py);        /* MAKE_FUNCTION of a comprehension */
void *ab_py_seqiter_new(ab_py *py);         /* GET_ITER of a list or str */
void *ab_py_builtin_method_new(ab_py *py);  /* a bound C method (LOAD_ATTR) */
void *ab_py_method_new(ab_py *py);          /* a bound Python method (LOAD_ATTR) */

/* range(start, stop, step).  compute_range_length() makes the ints hi-lo,
 * hi-lo-1, (hi-lo-1)//step and the length and releases the first three;
 * the range object holds start, stop, step and the length.  stop_temp is a
 * new reference to the stop int when it is a temporary (range(len(x))),
 * else NULL (a constant); range_dealloc releases it before the length. */
typedef struct ab_py_range {
    void *obj;                     /* the range object (48 bytes) */
    int64_t start, step, len;
} ab_py_range;
void ab_py_range_new(ab_py *py, ab_py_range *range, int64_t start, int64_t stop, int64_t step,
                     void *stop_temp);
void ab_py_range_release(ab_py *py, ab_py_range *range);

typedef struct ab_py_rangeiter {
    void *iter;                    /* the rangeiterobject */
    int64_t start, step, len, index;
} ab_py_rangeiter;
/* GET_ITER on a range (forward), or reversed(range) (range_reverse). */
void ab_py_range_iter(ab_py *py, const ab_py_range *range, ab_py_rangeiter *it);
void ab_py_range_iter_reversed(ab_py *py, const ab_py_range *range, ab_py_rangeiter *it);
/* range(...) then GET_ITER, the range released once the iterator exists. */
void ab_py_range_open(ab_py *py, ab_py_rangeiter *it, int64_t start, int64_t stop, int64_t step,
                      void *stop_temp);
/* FOR_ITER: the next value as a new int object; false at the end. */
bool ab_py_range_next(ab_py *py, ab_py_rangeiter *it, int64_t *value, void **obj);
void ab_py_range_close(ab_py *py, ab_py_rangeiter *it);

#endif

/* ---- bytecode-level patterns ---- */

/* A list comprehension over range(n) (3.11 compiles it to a function):
 * [BUILD_TUPLE of the closure cells], MAKE_FUNCTION, range(n), GET_ITER,
 * CALL; inside, the frame owns the iterator (.0) and the loop variable;
 * on return the frame releases .0 then the variable, then the caller
 * releases the function (and with it the closure tuple). */
typedef struct ab_py_comp {
    void *fn, *closure;
    ab_py_rangeiter it;
    void *var;
} ab_py_comp;
void ab_py_comp_begin(ab_py *py, ab_py_comp *c, void *cell, int64_t n, void *stop_temp);
/* FOR_ITER + STORE_FAST: the new int first, then the old one released. */
bool ab_py_comp_next(ab_py *py, ab_py_comp *c, int64_t *value);
void ab_py_comp_end(ab_py *py, ab_py_comp *c);

/* `for VAR in range(...)` in a function body: FOR_ITER makes the int,
 * STORE_FAST releases the old value; the exhausted iterator is released
 * at once, the variable stays bound until the frame is cleared. */
bool ab_py_for_range(ab_py *py, ab_py_rangeiter *it, void **var, int64_t *value);

/* A cell object (a local used by a nested comprehension): GC, 24 bytes. */
void *ab_py_cell_new(ab_py *py, void *content);

/* Replay of a measured allocation sequence CPython makes for something the
 * model does not take apart (class creation, `import random`): ops refer
 * to blocks by index into a caller-provided table. */
typedef struct ab_py_op {
    char op;        /* 'm' malloc, 'c' calloc, 'f' free */
    uint16_t id;
    uint32_t size;
} ab_py_op;
void ab_py_replay(ab_py *py, const ab_py_op *ops, size_t n, void **blocks);
