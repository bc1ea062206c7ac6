/*
 * pymalloc_radix.c -- the arena map behind address_in_range() (CPython 3.10+,
 * bpo-37448; all 64 address bits since 3.11).
 *
 * Address bits split as [top | mid | bot | offset-in-arena] with
 * INTERIOR_BITS = (64 - ARENA_BITS + 2) / 3 for top and mid: 15/15/14 + 20
 * for 1 MiB arenas, 15/15/13 + 21 for 2 MiB, 16/16/14 + 18 for 256 KiB.  The
 * root is calloc'd per instance (CPython keeps it in BSS); mid and bottom
 * nodes are calloc'd the first time an arena lands under them and kept until
 * the instance is destroyed, as CPython keeps them until finalisation.
 *
 * An arena covers at most two ARENA_SIZE-aligned chunks: the one it starts in
 * (recorded as tail_hi = start offset, or -1 if the offset is 0) and the next
 * one (tail_lo = the same offset, where it ends).  A pointer with offset t in
 * its chunk is ours iff t < tail_lo or (tail_hi != 0 and t >= tail_hi).
 */
#include <stdlib.h>
#include "allocators/pymalloc_internal.h"

static unsigned top_bits(const ab_pymalloc *pm)
{
    return PM_INTERIOR_BITS(pm->arena_bits);
}

int pm_radix_init(ab_pymalloc *pm)
{
    pm->radix_root = calloc((size_t)1 << top_bits(pm), sizeof *pm->radix_root);
    return pm->radix_root ? 0 : -1;
}

/* The leaf for p's chunk, created on demand when create is set. */
static pm_radix_leaf *leaf_for(ab_pymalloc *pm, uintptr_t p, bool create)
{
    unsigned a = pm->arena_bits;
    uintptr_t i1 = p >> PM_TOP_SHIFT(a);
    uintptr_t i2 = (p >> PM_MID_SHIFT(a)) & (((uintptr_t)1 << PM_INTERIOR_BITS(a)) - 1);
    uintptr_t i3 = (p >> a) & (((uintptr_t)1 << PM_BOT_BITS(a)) - 1);
    pm_radix_leaf **mid = pm->radix_root[i1];
    if (mid == NULL) {
        if (!create) return NULL;
        mid = calloc((size_t)1 << PM_INTERIOR_BITS(a), sizeof *mid);
        if (mid == NULL) return NULL;
        pm->radix_root[i1] = mid;
        pm->radix_mid_count++;
    }
    pm_radix_leaf *bot = mid[i2];
    if (bot == NULL) {
        if (!create) return NULL;
        bot = calloc((size_t)1 << PM_BOT_BITS(a), sizeof *bot);
        if (bot == NULL) return NULL;
        mid[i2] = bot;
        pm->radix_bot_count++;
    }
    return &bot[i3];
}

int pm_radix_mark(ab_pymalloc *pm, uintptr_t base, bool used)
{
    pm_radix_leaf *hi = leaf_for(pm, base, used);
    if (hi == NULL) return used ? -1 : 0;
    int32_t tail = (int32_t)(base & (pm->arena_size - 1));
    if (tail == 0) {
        hi->tail_hi = used ? -1 : 0;
        return 0;
    }
    hi->tail_hi = used ? tail : 0;
    pm_radix_leaf *lo = leaf_for(pm, base + pm->arena_size, used);
    if (lo == NULL) {
        if (!used) return 0;
        hi->tail_hi = 0;
        return -1;
    }
    lo->tail_lo = used ? tail : 0;
    return 0;
}

void pm_radix_destroy(ab_pymalloc *pm)
{
    if (!pm->radix_root) return;
    unsigned a = pm->arena_bits;
    size_t ntop = (size_t)1 << PM_INTERIOR_BITS(a), nmid = ntop;
    for (size_t i = 0; i < ntop; i++) {
        pm_radix_leaf **mid = pm->radix_root[i];
        if (!mid) continue;
        for (size_t j = 0; j < nmid; j++) free(mid[j]);
        free(mid);
    }
    free(pm->radix_root);
    pm->radix_root = NULL;
}
