/* wl_params.c -- see wl_params.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/wl_params.h"

#define AB_WL_MAX_KEYS 16

static int parse_value(const ab_wl_key *k, const char *text, size_t len, char *err, size_t errlen)
{
    char buf[64];
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, text, len);
    buf[len] = 0;
    if (k->words) {
        for (size_t i = 0; k->words[i]; i++)
            if (!strcmp(buf, k->words[i])) {
                *k->value = (double)i;
                return 0;
            }
        int off = snprintf(err, errlen, "%s must be one of", k->key);
        for (size_t i = 0; k->words[i] && off > 0 && (size_t)off < errlen; i++)
            off += snprintf(err + off, errlen - (size_t)off, "%s%s", i ? "|" : " ", k->words[i]);
        if (off > 0 && (size_t)off < errlen) snprintf(err + off, errlen - (size_t)off, ", not '%s'", buf);
        return -1;
    }
    char *end;
    double v = strtod(buf, &end);
    if (end == buf || *end || !(v >= k->min && v <= k->max)) {
        snprintf(err, errlen, "%s needs a number in [%g, %g], not '%s'", k->key, k->min, k->max, buf);
        return -1;
    }
    *k->value = v;
    return 0;
}

int ab_wl_parse_params(const char *param, const ab_wl_key *keys, size_t nkeys, char *err, size_t errlen)
{
    bool seen[AB_WL_MAX_KEYS] = {false};
    if (!param || !*param) return 0;
    const char *p = param;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq) {
            snprintf(err, errlen, "parameter '%.*s' is not key=value", (int)len, p);
            return -1;
        }
        size_t klen = (size_t)(eq - p);
        size_t i = 0;
        while (i < nkeys && i < AB_WL_MAX_KEYS && !(strlen(keys[i].key) == klen && !strncmp(keys[i].key, p, klen))) i++;
        if (i == nkeys || i == AB_WL_MAX_KEYS) {
            int off = snprintf(err, errlen, "unknown parameter '%.*s' (known:", (int)klen, p);
            for (size_t j = 0; j < nkeys && off > 0 && (size_t)off < errlen; j++)
                off += snprintf(err + off, errlen - (size_t)off, " %s", keys[j].key);
            if (off > 0 && (size_t)off < errlen) snprintf(err + off, errlen - (size_t)off, ")");
            return -1;
        }
        if (seen[i]) {
            snprintf(err, errlen, "parameter '%s' given twice", keys[i].key);
            return -1;
        }
        seen[i] = true;
        if (parse_value(&keys[i], eq + 1, len - klen - 1, err, errlen)) return -1;
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}
