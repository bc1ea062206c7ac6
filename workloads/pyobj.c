/*
 * pyobj.c -- CPython 3.11 object constructors and destructors as allocator
 * calls (see pyobj.h for where the facts come from).  The call order inside
 * each function is CPython's: e.g. bytearray_dealloc frees the buffer
 * before the object, list_dealloc and tupledealloc release items from the
 * end, dict_dealloc releases the keys table before the dict, and a managed
 * instance's values array goes before the instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/pyobj.h"
#include "tlbsim/access_hook.h"

/* 3.11 digits are 30 bits (PyLong_SHIFT). */
#define AB_PY_LONG_SHIFT 30
/* offsetof(PyLongObject, ob_digit) and sizeof(digit) */
#define AB_PY_LONG_HEADER 24
#define AB_PY_DIGIT_SIZE 4

typedef struct { ab_pyobj h; intptr_t ob_size; uint32_t digit[2]; } py_long;
typedef struct {
    ab_pyobj h; intptr_t ob_size, ob_alloc; char *ob_bytes, *ob_start; intptr_t ob_exports;
} py_bytearray;
typedef struct { ab_pyobj h; intptr_t ob_size; void **ob_item; intptr_t allocated; } py_list;
typedef struct { ab_pyobj h; intptr_t ob_size; void *ob_item[]; } py_tuple;
typedef struct { ab_pyobj h; intptr_t ma_used; uint64_t ma_version_tag; void *ma_keys, *ma_values; } py_dict;
typedef struct { ab_pyobj h; intptr_t length, hash; uint64_t state; void *wstr; char data[]; } py_str;
typedef struct { ab_pyobj h; double ob_fval; } py_float;
typedef struct { ab_pyobj h; void *slot[]; } py_slots;
typedef struct { void *dict, *values; } py_managed_preheader;

_Static_assert(sizeof(py_bytearray) == AB_PY_BYTEARRAY_SIZE, "PyByteArrayObject is 56 bytes");
_Static_assert(sizeof(py_list) + AB_PY_GC_HEAD == AB_PY_LIST_SIZE, "PyListObject is 40 bytes");
_Static_assert(sizeof(py_dict) + AB_PY_GC_HEAD == AB_PY_DICT_SIZE, "PyDictObject is 48 bytes");
_Static_assert(sizeof(py_str) == AB_PY_STR_BASE, "PyASCIIObject is 48 bytes in 3.11");
_Static_assert(sizeof(py_float) == AB_PY_FLOAT_SIZE, "PyFloatObject is 24 bytes");

/* ---- allocation primitives ---- */

static void *obj_alloc(ab_py *py, size_t size, const ab_pytype *type)
{
    ab_pyobj *o = ab_wl_malloc(py->ctx, size);
    o->ob_refcnt = 1;
    o->ob_type = type;
    AB_SIM_STORE(o);
    return o;
}

/* PyType_GenericAlloc: the whole allocation is zero-filled. */
static void *obj_alloc_zeroed(ab_py *py, size_t size, const ab_pytype *type)
{
    ab_pyobj *o = ab_wl_malloc(py->ctx, size);
    memset(o, 0, size);
    AB_SIM_STORE_RANGE(o, size);
    o->ob_refcnt = 1;
    o->ob_type = type;
    AB_SIM_STORE(o);
    return o;
}

static void *gc_alloc(ab_py *py, size_t size, const ab_pytype *type, bool zero)
{
    char *mem = ab_wl_malloc(py->ctx, size);
    if (zero) memset(mem, 0, size);
    else memset(mem, 0, AB_PY_GC_HEAD);
    AB_SIM_STORE_RANGE(mem, zero ? size : AB_PY_GC_HEAD);
    ab_pyobj *o = (ab_pyobj *)(mem + AB_PY_GC_HEAD);
    o->ob_refcnt = 1;
    o->ob_type = type;
    AB_SIM_STORE(o);
    return o;
}

static void gc_free(ab_py *py, void *op)
{
    ab_wl_free(py->ctx, (char *)op - AB_PY_GC_HEAD);
}

static void *freelist_pop(ab_py_freelist *fl)
{
    ab_pyobj *o = fl->head;
    if (!o) return NULL;
    fl->head = (void *)o->ob_type;
    AB_SIM_LOAD(&o->ob_type);
    fl->count--;
    return o;
}

/* True if the object went onto the freelist (CPython keeps it there). */
static bool freelist_push(ab_py_freelist *fl, void *op)
{
    if (fl->count >= fl->max) return false;
    ((ab_pyobj *)op)->ob_type = fl->head;
    AB_SIM_STORE(&((ab_pyobj *)op)->ob_type);
    fl->head = op;
    fl->count++;
    return true;
}

static const ab_pytype int_type;
static const ab_pytype *const str_type_ptr;
static void int_fill(py_long *o, int64_t v);

/* Never reaches zero: the small ints are immortal in practice. */
#define AB_PY_IMMORTAL_REFCNT ((intptr_t)1 << 40)

void ab_py_init(ab_py *py, ab_wl_ctx *ctx)
{
    memset(py, 0, sizeof *py);
    py->ctx = ctx;
    for (int v = AB_PY_SMALL_INT_MIN; v <= AB_PY_SMALL_INT_MAX; v++) {
        py_long *o = (py_long *)&py->small_ints[v - AB_PY_SMALL_INT_MIN];
        o->h.ob_refcnt = AB_PY_IMMORTAL_REFCNT;
        o->h.ob_type = &int_type;
        int_fill(o, v);
    }
    for (int c = 0; c < 256; c++) {
        ab_py_char_str *o = &py->latin1[c];
        o->h.ob_refcnt = AB_PY_IMMORTAL_REFCNT;
        o->h.ob_type = str_type_ptr;
        o->length = 1;
        o->data[0] = (char)c;
    }
    py->empty_str.h.ob_refcnt = AB_PY_IMMORTAL_REFCNT;
    py->empty_str.h.ob_type = str_type_ptr;
    py->floats.max = AB_PY_FLOAT_MAXFREELIST;
    py->lists.max = AB_PY_LIST_MAXFREELIST;
    py->dicts.max = AB_PY_DICT_MAXFREELIST;
    py->dictkeys.max = AB_PY_DICT_MAXFREELIST;
    for (int i = 0; i < AB_PY_TUPLE_NFREELISTS; i++)
        py->tuples[i].max = AB_PY_TUPLE_MAXFREELIST;
}

void ab_py_fini(ab_py *py)
{
    void *o;
    while ((o = freelist_pop(&py->floats))) ab_wl_free(py->ctx, o);
    while ((o = freelist_pop(&py->lists))) gc_free(py, o);
    while ((o = freelist_pop(&py->dicts))) gc_free(py, o);
    while ((o = freelist_pop(&py->dictkeys))) ab_wl_free(py->ctx, o);
    for (int i = 0; i < AB_PY_TUPLE_NFREELISTS; i++)
        while ((o = freelist_pop(&py->tuples[i]))) gc_free(py, o);
}

void ab_py_decref(ab_py *py, void *op)
{
    ab_pyobj *o = op;
    if (o && --o->ob_refcnt == 0) {
        AB_SIM_LOAD(&o->ob_refcnt);
        AB_SIM_STORE(&o->ob_refcnt);
        AB_SIM_LOAD(&o->ob_type);
        o->ob_type->dealloc(py, o);
    } else if (o) {
        AB_SIM_LOAD(&o->ob_refcnt);
        AB_SIM_STORE(&o->ob_refcnt);
    }
}

/* ---- int ---- */

static void plain_dealloc(ab_py *py, void *op) { ab_wl_free(py->ctx, op); }
static void gc_dealloc(ab_py *py, void *op) { gc_free(py, op); }

static const ab_pytype int_type = {"int", plain_dealloc};

static void int_fill(py_long *o, int64_t v)
{
    uint64_t m = v < 0 ? (uint64_t)-v : (uint64_t)v;
    intptr_t nd = m >> AB_PY_LONG_SHIFT ? 2 : 1;
    o->ob_size = v < 0 ? -nd : nd;
    o->digit[0] = (uint32_t)(m & ((1u << AB_PY_LONG_SHIFT) - 1));
    if (nd == 2) o->digit[1] = (uint32_t)(m >> AB_PY_LONG_SHIFT);
}

_Static_assert(sizeof(py_long) == sizeof(ab_py_small_int), "small int layout");

static void *small_int(ab_py *py, int64_t v)
{
    return ab_py_incref(&py->small_ints[v - AB_PY_SMALL_INT_MIN]);
}

int64_t ab_py_int_value(const void *op)
{
    const py_long *o = op;
    AB_SIM_LOAD(&o->ob_size);
    intptr_t nd = o->ob_size < 0 ? -o->ob_size : o->ob_size;
    int64_t m = o->digit[0];
    if (nd == 2) m |= (int64_t)o->digit[1] << AB_PY_LONG_SHIFT;
    return o->ob_size < 0 ? -m : m;
}

void *ab_py_int_new(ab_py *py, int64_t v)
{
    if (ab_py_int_is_small(v)) return small_int(py, v);
    py_long *o = obj_alloc(py, AB_PY_INT_SIZE, &int_type);
    int_fill(o, v);
    AB_SIM_STORE(&o->ob_size);
    return o;
}

void *ab_py_int_new_digits(ab_py *py, int64_t v)
{
    if (ab_py_int_is_small(v)) return small_int(py, v);
    uint64_t m = v < 0 ? (uint64_t)-v : (uint64_t)v;
    size_t nd = m >> AB_PY_LONG_SHIFT ? 2 : 1;
    py_long *o = obj_alloc(py, AB_PY_LONG_HEADER + nd * AB_PY_DIGIT_SIZE, &int_type);
    int_fill(o, v);
    AB_SIM_STORE(&o->ob_size);
    return o;
}

/* ---- bytearray ---- */

static void bytearray_dealloc(ab_py *py, void *op)
{
    py_bytearray *o = op;
    AB_SIM_LOAD(&o->ob_bytes);
    ab_wl_free(py->ctx, o->ob_bytes);
    ab_wl_free(py->ctx, o);
}
static const ab_pytype bytearray_type = {"bytearray", bytearray_dealloc};

void *ab_py_bytearray_new(ab_py *py, size_t n)
{
    py_bytearray *o = obj_alloc_zeroed(py, AB_PY_BYTEARRAY_SIZE, &bytearray_type);
    /* bytearray___init__ -> PyByteArray_Resize: a first buffer of n+1
     * bytes through PyObject_Realloc(NULL, ...), then memset to zero. */
    char *buf = ab_wl_realloc(py->ctx, NULL, n + 1);
    o->ob_bytes = o->ob_start = buf;
    o->ob_size = (intptr_t)n;
    o->ob_alloc = (intptr_t)n + 1;
    AB_SIM_STORE(&o->ob_bytes);
    buf[n] = '\0';
    memset(buf, 0, n);
    AB_SIM_STORE_RANGE(buf, n + 1);
    return o;
}

void ab_py_bytearray_set(void *op, size_t i, uint8_t v)
{
    py_bytearray *o = op;
    AB_SIM_LOAD(&o->ob_start);
    o->ob_start[i] = (char)v;
    AB_SIM_STORE(&o->ob_start[i]);
}

uint8_t ab_py_bytearray_get(const void *op, size_t i)
{
    const py_bytearray *o = op;
    AB_SIM_LOAD(&o->ob_start);
    AB_SIM_LOAD(&o->ob_start[i]);
    return (uint8_t)o->ob_start[i];
}

size_t ab_py_bytearray_len(const void *op)
{
    AB_SIM_LOAD(&((const py_bytearray *)op)->ob_size);
    return (size_t)((const py_bytearray *)op)->ob_size;
}

/* ---- list ---- */

static void list_dealloc(ab_py *py, void *op)
{
    py_list *o = op;
    AB_SIM_LOAD(&o->ob_item);
    if (o->ob_item) {
        intptr_t i = o->ob_size;
        while (--i >= 0) {
            AB_SIM_LOAD(&o->ob_item[i]);
            ab_py_decref(py, o->ob_item[i]);
        }
        ab_wl_free(py->ctx, o->ob_item);
    }
    if (!freelist_push(&py->lists, o)) gc_free(py, o);
}
static const ab_pytype list_type = {"list", list_dealloc};

void *ab_py_list_new(ab_py *py)
{
    py_list *o = freelist_pop(&py->lists);
    if (o) {
        o->h.ob_refcnt = 1;
        o->h.ob_type = &list_type;
    } else {
        o = gc_alloc(py, AB_PY_LIST_SIZE, &list_type, false);
    }
    o->ob_size = 0;
    o->ob_item = NULL;
    o->allocated = 0;
    AB_SIM_STORE(&o->ob_item);
    return o;
}

void *ab_py_list_new_exact(ab_py *py, size_t n)
{
    py_list *o = ab_py_list_new(py);
    if (n) o->ob_item = ab_wl_malloc(py->ctx, n * sizeof(void *));
    o->allocated = (intptr_t)n;
    o->ob_size = (intptr_t)n;
    AB_SIM_STORE(&o->ob_size);
    return o;
}

void ab_py_list_preallocate(ab_py *py, void *list, size_t n)
{
    py_list *o = list;
    o->ob_item = ab_wl_malloc(py->ctx, n * sizeof(void *));
    o->allocated = (intptr_t)n;
    AB_SIM_STORE(&o->ob_item);
}

void ab_py_list_init_item(void *list, size_t i, void *item)
{
    py_list *o = list;
    AB_SIM_LOAD(&o->ob_item);
    o->ob_item[i] = item;
    AB_SIM_STORE(&o->ob_item[i]);
}

/* list_resize() of CPython 3.11 (Objects/listobject.c), item arrays through
 * PyMem_Realloc: pymalloc up to 512 bytes, the system allocator beyond. */
static void list_resize(ab_py *py, py_list *o, intptr_t newsize)
{
    intptr_t allocated = o->allocated;
    AB_SIM_LOAD(&o->allocated);
    if (allocated >= newsize && newsize >= (allocated >> 1)) {
        o->ob_size = newsize;
        AB_SIM_STORE(&o->ob_size);
        return;
    }
    size_t new_allocated = ((size_t)newsize + ((size_t)newsize >> 3) + 6) & ~(size_t)3;
    if (newsize - o->ob_size > (intptr_t)(new_allocated - (size_t)newsize))
        new_allocated = ((size_t)newsize + 3) & ~(size_t)3;
    if (newsize == 0) new_allocated = 0;
    o->ob_item = ab_wl_realloc(py->ctx, o->ob_item, new_allocated * sizeof(void *));
    o->ob_size = newsize;
    o->allocated = (intptr_t)new_allocated;
    AB_SIM_STORE(&o->ob_item);
}

void ab_py_list_append(ab_py *py, void *list, void *item)
{
    py_list *o = list;
    intptr_t n = o->ob_size;
    AB_SIM_LOAD(&o->ob_size);
    list_resize(py, o, n + 1);
    o->ob_item[n] = item;
    AB_SIM_STORE(&o->ob_item[n]);
}

void ab_py_list_extend_item(ab_py *py, void *list, void *item)
{
    py_list *o = list;
    AB_SIM_LOAD(&o->ob_size);
    if (o->ob_size < o->allocated) {
        AB_SIM_STORE(&o->ob_item[o->ob_size]);
        o->ob_item[o->ob_size++] = item;
        AB_SIM_STORE(&o->ob_size);
    } else {
        ab_py_list_append(py, list, item);
    }
}

size_t ab_py_list_len(const void *list)
{
    AB_SIM_LOAD(&((const py_list *)list)->ob_size);
    return (size_t)((const py_list *)list)->ob_size;
}

void *ab_py_list_get(const void *list, size_t i)
{
    const py_list *o = list;
    AB_SIM_LOAD(&o->ob_item);
    AB_SIM_LOAD(&o->ob_item[i]);
    return o->ob_item[i];
}

void ab_py_list_set(ab_py *py, void *list, size_t i, void *item)
{
    AB_SIM_LOAD(&((py_list *)list)->ob_item);
    ab_py_store(py, &((py_list *)list)->ob_item[i], item);
}

void *ab_py_list_pop0(ab_py *py, void *list)
{
    /* list_pop(0) -> list_ass_slice(a, 0, 1, NULL): the item is kept alive
     * by pop's own reference, the tail moves down one slot, list_resize
     * shrinks the array only below half occupancy. */
    py_list *o = list;
    void *v = o->ob_item[0];
    size_t moved = (size_t)(o->ob_size - 1) * sizeof(void *);
    memmove(&o->ob_item[0], &o->ob_item[1], moved);
    AB_SIM_LOAD_RANGE(&o->ob_item[1], moved);
    AB_SIM_STORE_RANGE(&o->ob_item[0], moved);
    list_resize(py, o, o->ob_size - 1);
    return v;
}

/* ---- tuple ---- */

static void tuple_dealloc(ab_py *py, void *op)
{
    py_tuple *o = op;
    intptr_t n = o->ob_size, i = n;
    AB_SIM_LOAD(&o->ob_size);
    while (--i >= 0) {
        AB_SIM_LOAD(&o->ob_item[i]);
        ab_py_decref(py, o->ob_item[i]);
    }
    if (n > 0 && n <= AB_PY_TUPLE_NFREELISTS && freelist_push(&py->tuples[n - 1], o)) return;
    gc_free(py, o);
}
static const ab_pytype tuple_type = {"tuple", tuple_dealloc};

void *ab_py_tuple_new(ab_py *py, size_t n)
{
    py_tuple *o = NULL;
    if (n > 0 && n <= AB_PY_TUPLE_NFREELISTS) o = freelist_pop(&py->tuples[n - 1]);
    if (o) {
        o->h.ob_refcnt = 1;
        o->h.ob_type = &tuple_type;
    } else {
        o = gc_alloc(py, AB_PY_TUPLE_BASE + n * sizeof(void *), &tuple_type, false);
    }
    o->ob_size = (intptr_t)n;
    memset(o->ob_item, 0, n * sizeof(void *));
    AB_SIM_STORE_RANGE(&o->ob_size, sizeof o->ob_size + n * sizeof(void *));
    return o;
}

void ab_py_tuple_init_item(void *tuple, size_t i, void *item)
{
    ((py_tuple *)tuple)->ob_item[i] = item;
    AB_SIM_STORE(&((py_tuple *)tuple)->ob_item[i]);
}

void *ab_py_tuple_get(const void *tuple, size_t i)
{
    AB_SIM_LOAD(&((const py_tuple *)tuple)->ob_item[i]);
    return ((const py_tuple *)tuple)->ob_item[i];
}

/* ---- dict ---- */

/* Index bytes plus usable entries of a minimum-size (8-slot) unicode table. */
#define AB_PY_DICT_MINSIZE 8
#define AB_PY_DICT_MIN_USABLE 5
#define AB_PY_DICT_UNICODE_ENTRY 16

static void dict_dealloc(ab_py *py, void *op)
{
    py_dict *o = op;
    AB_SIM_LOAD(&o->ma_keys);
    /* Values are small ints and keys interned strings: nothing to free. */
    if (!freelist_push(&py->dictkeys, o->ma_keys)) ab_wl_free(py->ctx, o->ma_keys);
    if (!freelist_push(&py->dicts, o)) gc_free(py, o);
}
static const ab_pytype dict_type = {"dict", dict_dealloc};
static const ab_pytype dictkeys_type = {"dictkeys", plain_dealloc};

void *ab_py_dict_literal4(ab_py *py)
{
    py_dict *d = freelist_pop(&py->dicts);
    if (d) {
        d->h.ob_refcnt = 1;
        d->h.ob_type = &dict_type;
    } else {
        d = gc_alloc(py, AB_PY_DICT_SIZE, &dict_type, false);
    }
    char *k = freelist_pop(&py->dictkeys);
    if (!k) k = obj_alloc(py, AB_PY_DICT_MINKEYS_SIZE, &dictkeys_type);
    /* new_keys_object: header, indices set to DKIX_EMPTY, entries zeroed;
     * then four entries (hash, key, value) are inserted. */
    size_t header = AB_PY_DICT_MINKEYS_SIZE - AB_PY_DICT_MINSIZE
                    - AB_PY_DICT_MIN_USABLE * AB_PY_DICT_UNICODE_ENTRY;
    memset(k + sizeof(ab_pyobj), 0, header - sizeof(ab_pyobj));
    memset(k + header, 0xff, AB_PY_DICT_MINSIZE);
    char *entries = k + header + AB_PY_DICT_MINSIZE;
    memset(entries, 0, AB_PY_DICT_MIN_USABLE * AB_PY_DICT_UNICODE_ENTRY);
    for (int i = 0; i < 4; i++) {
        k[header + i] = (char)i;
        entries[i * AB_PY_DICT_UNICODE_ENTRY] = (char)('a' + i);
    }
    d->ma_used = 4;
    d->ma_version_tag = 0;
    d->ma_keys = k;
    d->ma_values = NULL;
    AB_SIM_STORE_RANGE(k, AB_PY_DICT_MINKEYS_SIZE);
    AB_SIM_STORE(&d->ma_keys);
    return d;
}

/* ---- str ---- */

static const ab_pytype str_type = {"str", plain_dealloc};
static const ab_pytype *const str_type_ptr = &str_type;

void *ab_py_str_new(ab_py *py, const char *s, size_t len)
{
    py_str *o = obj_alloc(py, AB_PY_STR_BASE + len + 1, &str_type);
    o->length = (intptr_t)len;
    o->hash = -1;
    o->state = 0;
    o->wstr = NULL;
    memcpy(o->data, s, len);
    o->data[len] = '\0';
    AB_SIM_STORE_RANGE(&o->length, AB_PY_STR_BASE + len + 1 - sizeof(ab_pyobj));
    return o;
}

_Static_assert(offsetof(ab_py_char_str, data) == offsetof(py_str, data), "char str layout");

void *ab_py_str_char(ab_py *py, unsigned char c) { return &py->latin1[c]; }
void *ab_py_str_empty(ab_py *py) { return &py->empty_str; }

void *ab_py_str_concat(ab_py *py, const void *a, const void *b)
{
    const py_str *x = a, *y = b;
    size_t la = (size_t)x->length, lb = (size_t)y->length;
    AB_SIM_LOAD_RANGE(x, AB_PY_STR_BASE + la);
    AB_SIM_LOAD_RANGE(y, AB_PY_STR_BASE + lb);
    py_str *o = obj_alloc(py, AB_PY_STR_BASE + la + lb + 1, &str_type);
    o->length = (intptr_t)(la + lb);
    o->hash = -1;
    o->state = 0;
    o->wstr = NULL;
    memcpy(o->data, x->data, la);
    memcpy(o->data + la, y->data, lb);
    o->data[la + lb] = '\0';
    AB_SIM_STORE_RANGE(&o->length, AB_PY_STR_BASE + la + lb + 1 - sizeof(ab_pyobj));
    return o;
}

size_t ab_py_str_len(const void *op)
{
    AB_SIM_LOAD(&((const py_str *)op)->length);
    return (size_t)((const py_str *)op)->length;
}
const char *ab_py_str_data(const void *op) { return ((const py_str *)op)->data; }

/* ---- float ---- */

static void float_dealloc(ab_py *py, void *op)
{
    if (!freelist_push(&py->floats, op)) ab_wl_free(py->ctx, op);
}
static const ab_pytype float_type = {"float", float_dealloc};

/* Python switches to exponent form outside this decimal-point range
 * (Python/pystrtod.c format_float_short, mode 'r'). */
#define AB_PY_REPR_EXP_LOW (-4)
#define AB_PY_REPR_EXP_HIGH 16
#define AB_PY_DBL_MAX_DIGITS 17

/* Shortest digits by trial: the first precision whose correctly rounded
 * decimal reads back as v.  Slow (a printf and a strtod per try); used
 * where the exact fast path below does not apply. */
static size_t shortest_digits_slow(double v, char *digits, int *decpt, bool *neg)
{
    char tmp[40];
    int p, exp10 = 0;
    size_t nd = 0;
    for (p = 1; p <= AB_PY_DBL_MAX_DIGITS; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v) break;
    }
    const char *t = tmp;
    *neg = *t == '-';
    if (*neg) t++;
    for (; *t && *t != 'e'; t++)
        if (*t != '.') digits[nd++] = *t;
    if (*t == 'e') exp10 = atoi(t + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    *decpt = digits[0] == '0' ? 1 : exp10 + 1;
    return nd;
}

typedef unsigned __int128 u128;
#define AB_RANDOM_BITS 53      /* random() = k / 2^53 */

/*
 * Shortest digits for v = k / 2^53 in [1e-4, 1) (what random() returns),
 * exactly, in 128-bit integers: for p = 1, 2, ... take the p-digit decimal
 * c / 10^L nearest to v (L = p - decpt) and accept it when it lies inside
 * v's rounding interval (half an ulp either side; the ends count when the
 * significand is even, as round-half-even reads them back).  That is what
 * dtoa mode 0 (repr) returns: the shortest string, and of those the
 * nearest.  Returns 0 where it does not apply (the caller falls back).
 */
/* 10^0 .. 10^21: L = p - decpt <= 17 + 4 */
static u128 pow10_u128(int n)
{
    static const uint64_t lo[20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
        1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
        100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
        1000000000000000000ULL, 10000000000000000000ULL};
    return n < 20 ? (u128)lo[n] : (u128)lo[19] * lo[n - 19];
}

/* Is the L-decimal nearest to v = k/2^53 inside v's rounding interval
 * (half an ulp 2^(e-53) either side)?  Compared times 10^L * 2^(53-e);
 * every product stays below 2^125. */
static bool fits_in_interval(uint64_t k, int e, bool even, int L, uint64_t *c_out)
{
    u128 ten_L = pow10_u128(L);
    u128 num = (u128)k * ten_L;                                   /* v * 10^L * 2^53 */
    u128 c = (num + ((u128)1 << (AB_RANDOM_BITS - 1))) >> AB_RANDOM_BITS;
    u128 lhs_c = c << (AB_RANDOM_BITS - e);
    u128 lhs_v = ((u128)k << (-e)) * ten_L;
    u128 diff = lhs_c > lhs_v ? lhs_c - lhs_v : lhs_v - lhs_c;
    *c_out = (uint64_t)c;
    return diff < ten_L || (even && diff == ten_L);
}

static size_t shortest_digits_random(double v, char *digits, int *decpt)
{
    double scaled = v * 9007199254740992.0;   /* 2^53 */
    if (!(v >= 1e-4 && v < 1.0) || scaled != (double)(uint64_t)scaled) return 0;
    uint64_t k = (uint64_t)scaled;
    int e = 63 - __builtin_clzll(k) - AB_RANDOM_BITS;    /* v in [2^e, 2^(e+1)) */
    if (k == (1ULL << (e + AB_RANDOM_BITS))) return 0;   /* power of two: lopsided interval */
    bool even = e < -1 || !(k & 1);
    /* decpt: v in [10^(decpt-1), 10^decpt) */
    int dp = 0;
    u128 pow10 = 1;
    while ((u128)k * pow10 * 10 < ((u128)1 << AB_RANDOM_BITS)) { pow10 *= 10; dp--; }
    if ((u128)k * pow10 * 10 == ((u128)1 << AB_RANDOM_BITS)) return 0;  /* an exact power of ten */
    /* Shortness is monotone (a p-digit fit is also a (p+1)-digit fit) and
     * 17 digits always fit, so scan down from 16 to the last fit: random()
     * values mostly need 16 or 17, which keeps this to two or three tries. */
    uint64_t best = 0;
    int best_p = 0;
    for (int p = AB_PY_DBL_MAX_DIGITS; p >= 1; p--) {
        uint64_t c;
        if (!fits_in_interval(k, e, even, p - dp, &c)) break;
        best = c;
        best_p = p;
    }
    if (!best_p) return 0;
    char tmp[24];
    int n = 0;
    for (uint64_t x = best; x; x /= 10) tmp[n++] = (char)('0' + (int)(x % 10));
    if (n != best_p) return 0;                                 /* rounded up to 10^p */
    for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
    size_t nd = (size_t)n;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = '\0';
    *decpt = dp;
    return nd;
}

size_t ab_py_float_repr(double v, char *buf)
{
    char digits[24];
    int decpt;
    bool neg = false;
    size_t nd = shortest_digits_random(v, digits, &decpt);
    if (!nd) nd = shortest_digits_slow(v, digits, &decpt, &neg);
    char *o = buf;
    if (neg) *o++ = '-';
    if (decpt <= AB_PY_REPR_EXP_LOW || decpt > AB_PY_REPR_EXP_HIGH) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, nd - 1);
            o += nd - 1;
        }
        o += sprintf(o, "e%c%02d", decpt - 1 < 0 ? '-' : '+', abs(decpt - 1));
    } else if (decpt <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int k = 0; k < -decpt; k++) *o++ = '0';
        memcpy(o, digits, nd);
        o += nd;
    } else if ((size_t)decpt >= nd) {
        memcpy(o, digits, nd);
        o += nd;
        for (size_t k = nd; k < (size_t)decpt; k++) *o++ = '0';
        *o++ = '.';
        *o++ = '0';
    } else {
        memcpy(o, digits, (size_t)decpt);
        o += decpt;
        *o++ = '.';
        memcpy(o, digits + decpt, nd - (size_t)decpt);
        o += nd - (size_t)decpt;
    }
    *o = '\0';
    return (size_t)(o - buf);
}

void *ab_py_float_str(ab_py *py, double v)
{
    char text[40];
    size_t len = ab_py_float_repr(v, text);
    /* measured: bufsize = len + 2, + 1 when an exponent is written */
    size_t bufsize = len + 2 + (strchr(text, 'e') ? 1 : 0);
    char *work = ab_wl_malloc(py->ctx, bufsize);
    memcpy(work, text, len + 1);
    AB_SIM_STORE_RANGE(work, len + 1);
    AB_SIM_LOAD_RANGE(work, len + 1);
    void *s = ab_py_str_new(py, work, len);
    ab_wl_free(py->ctx, work);
    return s;
}

double ab_py_float_value(const void *op)
{
    AB_SIM_LOAD(&((const py_float *)op)->ob_fval);
    return ((const py_float *)op)->ob_fval;
}

void *ab_py_float_new(ab_py *py, double v)
{
    py_float *o = freelist_pop(&py->floats);
    if (!o) o = ab_wl_malloc(py->ctx, AB_PY_FLOAT_SIZE);
    o->h.ob_refcnt = 1;
    o->h.ob_type = &float_type;
    o->ob_fval = v;
    AB_SIM_STORE(o);
    AB_SIM_STORE(&o->ob_fval);
    return o;
}

/* ---- instances ---- */

/* subtype_dealloc of a __slots__ class: clear_slots() releases the slots in
 * declaration order, then the object is freed.  The slot count is kept in
 * the (otherwise unused) word after the header of the type pointer table. */
typedef struct { ab_pytype t; size_t nslots; } slots_type;
static void slots_dealloc(ab_py *py, void *op);
static const slots_type slots_types[] = {
    {{"slots0", slots_dealloc}, 0}, {{"slots1", slots_dealloc}, 1}, {{"slots2", slots_dealloc}, 2},
    {{"slots3", slots_dealloc}, 3}, {{"slots4", slots_dealloc}, 4},
};
#define AB_PY_MAX_SLOTS 4

static void slots_dealloc(ab_py *py, void *op)
{
    py_slots *o = op;
    size_t n = ((const slots_type *)o->h.ob_type)->nslots;
    for (size_t i = 0; i < n; i++) {
        void *v = o->slot[i];
        o->slot[i] = NULL;
        AB_SIM_LOAD(&o->slot[i]);
        AB_SIM_STORE(&o->slot[i]);
        ab_py_decref(py, v);
    }
    gc_free(py, o);
}

void *ab_py_slots_new(ab_py *py, size_t nslots)
{
    if (nslots > AB_PY_MAX_SLOTS) nslots = AB_PY_MAX_SLOTS;
    return gc_alloc(py, AB_PY_GC_HEAD + sizeof(ab_pyobj) + nslots * sizeof(void *),
                    &slots_types[nslots].t, true);
}

void **ab_py_slots(void *op) { return ((py_slots *)op)->slot; }

static void managed_dealloc(ab_py *py, void *op)
{
    py_managed_preheader *pre = (py_managed_preheader *)((char *)op - AB_PY_MANAGED_PREHEADER);
    void **values = pre->values;
    AB_SIM_LOAD(&pre->values);
    AB_SIM_LOAD(&values[0]);
    ab_py_decref(py, values[0]);
    /* free_values(): the prefix size is the byte before values[0] */
    ab_wl_free(py->ctx, (char *)values - ((unsigned char *)values)[-1]);
    ab_wl_free(py->ctx, (char *)op - AB_PY_MANAGED_PREHEADER - AB_PY_GC_HEAD);
}
static const ab_pytype managed_type = {"instance", managed_dealloc};

void ab_py_class_init(ab_py_class *cls)
{
    cls->usable = AB_PY_SHARED_KEYS_MAX_SIZE;
    cls->nentries = 0;
}

/* new_values(size): a prefix of size + 2 bytes rounded up to a pointer,
 * then one pointer per entry (Objects/dictobject.c, 3.11). */
static size_t values_bytes(int size)
{
    size_t prefix = ((size_t)size + 2 + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
    return prefix + (size_t)size * sizeof(void *);
}

void *ab_py_managed_new(ab_py *py, ab_py_class *cls, void *attr0)
{
    char *mem = ab_wl_malloc(py->ctx, AB_PY_MANAGED_INSTANCE_SIZE);
    memset(mem, 0, AB_PY_MANAGED_INSTANCE_SIZE);
    py_managed_preheader *pre = (py_managed_preheader *)(mem + AB_PY_GC_HEAD);
    ab_pyobj *o = (ab_pyobj *)(mem + AB_PY_GC_HEAD + AB_PY_MANAGED_PREHEADER);
    o->ob_refcnt = 1;
    o->ob_type = &managed_type;
    /* init_inline_values: the values array (an insertion-order prefix and
     * one slot per shared key), every slot NULL; then __init__ stores the
     * attribute, adding its key to the shared table the first time. */
    if (cls->usable > 1) cls->usable--;
    int size = cls->nentries + cls->usable;
    size_t bytes = values_bytes(size);
    char *values = ab_wl_malloc(py->ctx, bytes);
    memset(values, 0, bytes);
    size_t prefix = bytes - (size_t)size * sizeof(void *);
    pre->values = values + prefix;
    values[prefix - 1] = (char)prefix;
    if (cls->nentries == 0) {
        cls->nentries = 1;
        cls->usable--;
    }
    ((void **)pre->values)[0] = attr0;
    AB_SIM_STORE_RANGE(mem, AB_PY_MANAGED_INSTANCE_SIZE);
    AB_SIM_STORE_RANGE(values, bytes);
    return o;
}

/* ---- interpreter objects ---- */

static const ab_pytype function_type = {"function", gc_dealloc};
static const ab_pytype seqiter_type = {"iterator", gc_dealloc};
static const ab_pytype method_type = {"builtin_function_or_method", gc_dealloc};

void *ab_py_function_new(ab_py *py) { return gc_alloc(py, AB_PY_FUNCTION_SIZE, &function_type, true); }
void *ab_py_seqiter_new(ab_py *py) { return gc_alloc(py, AB_PY_SEQITER_SIZE, &seqiter_type, false); }
void *ab_py_builtin_method_new(ab_py *py) { return gc_alloc(py, AB_PY_BUILTIN_METHOD_SIZE, &method_type, false); }
void *ab_py_method_new(ab_py *py) { return gc_alloc(py, AB_PY_METHOD_SIZE, &method_type, false); }

/* range object: start, stop, step, length (the C values are the model's
 * bookkeeping; CPython's rangeobject is these four pointers, 48 bytes) */
typedef struct { ab_pyobj h; void *start, *stop, *step, *length; } py_range;
_Static_assert(sizeof(py_range) == AB_PY_RANGE_SIZE, "rangeobject is 48 bytes");

static void range_dealloc(ab_py *py, void *op)
{
    py_range *r = op;
    AB_SIM_LOAD_RANGE(r, sizeof *r);
    ab_py_decref(py, r->start);
    ab_py_decref(py, r->stop);
    ab_py_decref(py, r->step);
    ab_py_decref(py, r->length);
    ab_wl_free(py->ctx, r);
}
static const ab_pytype range_type = {"range", range_dealloc};
static const ab_pytype rangeiter_type = {"range_iterator", plain_dealloc};

void ab_py_range_new(ab_py *py, ab_py_range *range, int64_t start, int64_t stop, int64_t step,
                     void *stop_temp)
{
    int64_t len = 0;
    void *length;
    if ((step > 0 && start < stop) || (step < 0 && start > stop)) {
        int64_t lo = step > 0 ? start : stop, hi = step > 0 ? stop : start;
        int64_t astep = step > 0 ? step : -step;
        void *t1 = ab_py_int_new(py, hi - lo);
        void *t2 = ab_py_int_new(py, hi - lo - 1);
        void *t3 = ab_py_int_new(py, (hi - lo - 1) / astep);
        len = (hi - lo - 1) / astep + 1;
        length = ab_py_int_new(py, len);
        ab_py_decref(py, t3);
        ab_py_decref(py, t2);
        ab_py_decref(py, t1);
    } else {
        length = small_int(py, 0);
    }
    py_range *r = obj_alloc(py, AB_PY_RANGE_SIZE, &range_type);
    r->start = ab_py_int_new(py, start);  /* the caller's constants: cached or shared */
    r->step = ab_py_int_new(py, step);
    if (!ab_py_int_is_small(start) || !ab_py_int_is_small(step)) {
        /* only small constants occur in the workloads; keep the model honest */
        ab_py_decref(py, r->start);
        ab_py_decref(py, r->step);
        r->start = r->step = NULL;
    }
    r->stop = stop_temp;
    r->length = length;
    AB_SIM_STORE_RANGE(r, sizeof *r);
    range->obj = r;
    range->start = start;
    range->step = step;
    range->len = len;
}

void ab_py_range_release(ab_py *py, ab_py_range *range)
{
    ab_py_decref(py, range->obj);
    range->obj = NULL;
}

void ab_py_range_iter(ab_py *py, const ab_py_range *range, ab_py_rangeiter *it)
{
    it->iter = obj_alloc(py, AB_PY_RANGEITER_SIZE, &rangeiter_type);
    it->start = range->start;
    it->step = range->step;
    it->len = range->len;
    it->index = 0;
}

void ab_py_range_iter_reversed(ab_py *py, const ab_py_range *range, ab_py_rangeiter *it)
{
    ab_py_range_iter(py, range, it);
    it->start = it->start + (it->len - 1) * it->step;
    it->step = -it->step;
}

void ab_py_range_open(ab_py *py, ab_py_rangeiter *it, int64_t start, int64_t stop, int64_t step,
                      void *stop_temp)
{
    ab_py_range r;
    ab_py_range_new(py, &r, start, stop, step, stop_temp);
    ab_py_range_iter(py, &r, it);
    ab_py_range_release(py, &r);
}

bool ab_py_range_next(ab_py *py, ab_py_rangeiter *it, int64_t *value, void **obj)
{
    if (it->index >= it->len) return false;
    *value = it->start + it->index++ * it->step;
    *obj = ab_py_int_new(py, *value);
    return true;
}

void ab_py_range_close(ab_py *py, ab_py_rangeiter *it)
{
    ab_py_decref(py, it->iter);
    it->iter = NULL;
}

/* ---- bytecode-level patterns ---- */

typedef struct { ab_pyobj h; void *ob_ref; } py_cell;
static void cell_dealloc(ab_py *py, void *op)
{
    AB_SIM_LOAD(&((py_cell *)op)->ob_ref);
    ab_py_decref(py, ((py_cell *)op)->ob_ref);
    gc_free(py, op);
}
static const ab_pytype cell_type = {"cell", cell_dealloc};

void *ab_py_cell_new(ab_py *py, void *content)
{
    py_cell *c = gc_alloc(py, AB_PY_GC_HEAD + sizeof(py_cell), &cell_type, false);
    c->ob_ref = content;
    AB_SIM_STORE(&c->ob_ref);
    return c;
}

void ab_py_comp_begin(ab_py *py, ab_py_comp *c, void *cell, int64_t n, void *stop_temp)
{
    c->closure = NULL;
    if (cell) {
        c->closure = ab_py_tuple_new(py, 1);
        ab_py_tuple_init_item(c->closure, 0, ab_py_incref(cell));
    }
    c->fn = ab_py_function_new(py);
    ab_py_range_open(py, &c->it, 0, n, 1, stop_temp);
    c->var = NULL;
}

bool ab_py_comp_next(ab_py *py, ab_py_comp *c, int64_t *value)
{
    void *o;
    if (!ab_py_range_next(py, &c->it, value, &o)) return false;
    ab_py_store(py, &c->var, o);
    return true;
}

void ab_py_comp_end(ab_py *py, ab_py_comp *c)
{
    ab_py_range_close(py, &c->it);
    ab_py_store(py, &c->var, NULL);
    /* func_dealloc clears func_closure before the object is freed */
    void *fn = c->fn;
    ab_py_decref(py, c->closure);
    ab_py_decref(py, fn);
    c->fn = c->closure = NULL;
}

bool ab_py_for_range(ab_py *py, ab_py_rangeiter *it, void **var, int64_t *value)
{
    void *o;
    if (!ab_py_range_next(py, it, value, &o)) {
        ab_py_range_close(py, it);
        return false;
    }
    ab_py_store(py, var, o);
    return true;
}

void ab_py_replay(ab_py *py, const ab_py_op *ops, size_t n, void **blocks)
{
    for (size_t i = 0; i < n; i++) {
        const ab_py_op *o = &ops[i];
        if (o->op == 'f') {
            ab_wl_free(py->ctx, blocks[o->id]);
            blocks[o->id] = NULL;
        } else {
            void *p = o->op == 'c' ? ab_wl_calloc(py->ctx, 1, o->size) : ab_wl_malloc(py->ctx, o->size);
            if (o->op != 'c' && o->size) {
                memset(p, 0, o->size < 16 ? o->size : 16);
                AB_SIM_STORE(p);
            }
            blocks[o->id] = p;
        }
    }
}
