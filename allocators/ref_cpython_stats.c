/*
 * ref_cpython_stats.c -- parse the text of libpython's
 * _PyObject_DebugMallocStats() (Objects/obmalloc.c, pymalloc_print_stats;
 * the same text sys._debugmallocstats() writes to stderr).
 *
 * The format, 3.10-3.14:
 *   Small block threshold = 512, in 32 size classes.
 *   <blank>
 *   class   size   num pools   blocks in use  avail blocks
 *   -----   ----   ---------   -------------  ------------
 *       0     16           1              22           999      (only classes with pools)
 *   <blank>
 *   # arenas allocated total           =                    2
 *   # arenas reclaimed / # arenas highwater mark / # arenas allocated current
 *   2 arenas * 1048576 bytes/arena     =            2,097,152
 *   # bytes in allocated blocks / # bytes in available blocks
 *   54 unused pools * 16384 bytes      =              884,736
 *   # bytes lost to pool headers / quantization / arena alignment
 *   Total                              =            2,097,152
 *   arena map counts ... (radix-tree node figures, then another "Total")
 * Numbers after '=' carry thousands separators.  Every line above except the
 * class rows is required: a missing one means the format changed and the
 * numbers must not be trusted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocators/ref_cpython.h"

/* Value after '=' on a line, thousands separators skipped. */
static bool value_after_equals(const char *line, const char *end, int64_t *out)
{
    const char *eq = memchr(line, '=', (size_t)(end - line));
    if (!eq)
        return false;
    const char *p = eq + 1;
    while (p < end && *p == ' ')
        p++;
    int64_t v = 0;
    bool any = false;
    for (; p < end; p++) {
        if (isdigit((unsigned char)*p)) {
            v = v * 10 + (*p - '0');
            any = true;
        } else if (*p != ',') {
            break;
        }
    }
    *out = v;
    return any;
}

static bool starts_with(const char *line, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);
    return (size_t)(end - line) >= n && !memcmp(line, prefix, n);
}

typedef struct labelled_field {
    const char *label;
    size_t offset;
} labelled_field;

#define FIELD(label, member) {label, offsetof(ab_cpy_mallocstats, member)}
static const labelled_field labelled[] = {
    FIELD("# arenas allocated total", arenas_allocated_total),
    FIELD("# arenas reclaimed", arenas_reclaimed),
    FIELD("# arenas highwater mark", arenas_highwater),
    FIELD("# arenas allocated current", arenas_current),
    FIELD("# bytes in allocated blocks", bytes_in_allocated_blocks),
    FIELD("# bytes in available blocks", bytes_in_available_blocks),
    FIELD("# bytes lost to pool headers", bytes_lost_pool_headers),
    FIELD("# bytes lost to quantization", bytes_lost_quantization),
    FIELD("# bytes lost to arena alignment", bytes_lost_alignment),
};
#undef FIELD
#define NLABELLED (sizeof labelled / sizeof labelled[0])

int ab_cpy_parse_mallocstats(const char *text, ab_cpy_mallocstats *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    bool seen[NLABELLED] = {false};
    bool seen_threshold = false, seen_arena_line = false, seen_pool_line = false, seen_total = false;
    bool in_table = false;
    int64_t narenas_line = 0;

    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *next = *end ? end + 1 : end;

        if (starts_with(line, end, "Small block threshold")) {
            long long thr, classes;
            if (sscanf(line, "Small block threshold = %lld, in %lld size classes", &thr, &classes) != 2) {
                snprintf(err, errlen, "unparsable threshold line");
                return -1;
            }
            out->small_block_threshold = thr;
            out->size_classes = classes;
            seen_threshold = true;
        } else if (starts_with(line, end, "-----")) {
            in_table = true;
        } else if (in_table) {
            long long c, sz, pools, used, avail;
            if (line == end) {
                in_table = false;
            } else if (sscanf(line, "%lld %lld %lld %lld %lld", &c, &sz, &pools, &used, &avail) == 5) {
                if (out->nrows >= AB_CPY_MAX_CLASSES) {
                    snprintf(err, errlen, "more than %d size-class rows", AB_CPY_MAX_CLASSES);
                    return -1;
                }
                out->rows[out->nrows++] = (ab_cpy_class_row){c, sz, pools, used, avail};
            } else {
                snprintf(err, errlen, "unparsable size-class row: %.*s", (int)(end - line), line);
                return -1;
            }
        } else if (strstr(line, "bytes/arena") && strstr(line, "bytes/arena") < end) {
            long long n, size;
            if (sscanf(line, "%lld arenas * %lld bytes/arena", &n, &size) != 2) {
                snprintf(err, errlen, "unparsable arena-size line");
                return -1;
            }
            narenas_line = n;
            out->arena_size = size;
            seen_arena_line = true;
        } else if (strstr(line, "unused pools *") && strstr(line, "unused pools *") < end) {
            long long n, size;
            if (sscanf(line, "%lld unused pools * %lld bytes", &n, &size) != 2) {
                snprintf(err, errlen, "unparsable unused-pools line");
                return -1;
            }
            out->unused_pools = n;
            out->pool_size = size;
            seen_pool_line = true;
        } else if (starts_with(line, end, "Total") && !seen_total) {
            if (!value_after_equals(line, end, &out->total)) {
                snprintf(err, errlen, "unparsable Total line");
                return -1;
            }
            seen_total = true;
        } else if (starts_with(line, end, "arena map counts")) {
            break;   /* radix-tree figures follow; not part of ab_alloc_stats */
        } else {
            for (size_t i = 0; i < NLABELLED; i++) {
                if (!starts_with(line, end, labelled[i].label))
                    continue;
                int64_t *field = (int64_t *)((char *)out + labelled[i].offset);
                if (!value_after_equals(line, end, field)) {
                    snprintf(err, errlen, "no value on line '%s'", labelled[i].label);
                    return -1;
                }
                seen[i] = true;
                break;
            }
        }
        line = next;
    }

    if (!seen_threshold) {
        snprintf(err, errlen, "missing 'Small block threshold' line");
        return -1;
    }
    for (size_t i = 0; i < NLABELLED; i++) {
        if (!seen[i]) {
            snprintf(err, errlen, "missing '%s' line", labelled[i].label);
            return -1;
        }
    }
    if (!seen_arena_line || !seen_pool_line || !seen_total) {
        snprintf(err, errlen, "missing %s line",
                 !seen_arena_line ? "'N arenas * S bytes/arena'"
                 : !seen_pool_line ? "'N unused pools * S bytes'" : "'Total'");
        return -1;
    }
    if (narenas_line != out->arenas_current) {
        snprintf(err, errlen, "arena lines disagree: %" PRId64 " current vs %" PRId64 " in size line",
                 out->arenas_current, narenas_line);
        return -1;
    }
    return 0;
}

int64_t ab_cpy_class_blocks(const ab_cpy_mallocstats *m, int size_class)
{
    for (int i = 0; i < m->nrows; i++)
        if (m->rows[i].size_class == size_class)
            return m->rows[i].blocks_in_use;
    return 0;
}

void ab_cpy_mallocstats_apply(const ab_cpy_mallocstats *m, ab_alloc_stats *out)
{
    int64_t pools = 0, blocks = 0;
    for (int i = 0; i < m->nrows; i++) {
        pools += m->rows[i].pools;
        blocks += m->rows[i].blocks_in_use;
    }
    out->arenas_allocated_total = m->arenas_allocated_total;
    out->arenas_reclaimed = m->arenas_reclaimed;
    out->arenas_highwater = m->arenas_highwater;
    out->arenas_current = m->arenas_current;
    out->arena_size = m->arena_size;
    out->pool_size = m->pool_size;
    out->pools_in_use = pools;
    out->blocks_in_use = blocks;
    out->bytes_in_blocks = m->bytes_in_allocated_blocks;
    out->bytes_lost_pool_headers = m->bytes_lost_pool_headers;
    out->bytes_lost_quantization = m->bytes_lost_quantization;
    out->bytes_lost_alignment = m->bytes_lost_alignment;
}
