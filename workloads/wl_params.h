/*
 * wl_params.h -- "key=value,key=value" workload parameters (the text after
 * ':' in a workload spec), checked against a table of keys: each key a
 * number within [min, max], or one of a list of words (value = its index).
 * Keys may come in any order; a key not given keeps the value the caller set
 * before; an unknown key, a key given twice or a value out of range is an
 * error with a message that names it.
 */
#ifndef AB_WL_PARAMS_H
#define AB_WL_PARAMS_H

#include <stddef.h>

typedef struct ab_wl_key {
    const char *key;
    double min, max;              /* numbers (words == NULL) */
    const char *const *words;     /* NULL-terminated, or NULL for a number */
    double *value;                /* in: default; out: the given value */
} ab_wl_key;

/* 0, or -1 with a message in err.  param may be NULL (all defaults). */
int ab_wl_parse_params(const char *param, const ab_wl_key *keys, size_t nkeys, char *err, size_t errlen);

#endif
