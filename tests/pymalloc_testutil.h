/*
 * pymalloc_testutil.h -- helpers shared by the pymalloc model tests: opening
 * a variant by spec, a deterministic PRNG, and per-block fill patterns.
 */
#ifndef AB_PYMALLOC_TESTUTIL_H
#define AB_PYMALLOC_TESTUTIL_H

#include <stdint.h>
#include <string.h>
#include "allocators/variant.h"
#include "allocators/pymalloc.h"

/* Open a variant by spec; fails the test (cmocka) if it cannot. */
static inline ab_pymalloc *pmt_open(const char *spec, ab_allocator *a)
{
    ab_variant v;
    char err[256];
    if (ab_variant_parse(spec, &v, err, sizeof err) != 0) fail_msg("parse %s: %s", spec, err);
    if (ab_variant_open(&v, a, err, sizeof err) != 0) fail_msg("open %s: %s", spec, err);
    ab_pymalloc *pm = ab_pymalloc_from_allocator(a);
    assert_non_null(pm);
    return pm;
}

static inline void pmt_check(const ab_pymalloc *pm, const char *when)
{
    char err[256];
    if (ab_pymalloc_check(pm, err, sizeof err) != 0) fail_msg("invariant broken %s: %s", when, err);
}

/* splitmix64: small, seedable, good enough to drive allocation sequences. */
static inline uint64_t pmt_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t pmt_below(uint64_t *state, uint64_t n)
{
    return pmt_rand(state) % n;
}

/* Byte i of block `id`'s pattern: position-dependent, so a prefix stays
 * valid when the block grows, and differs between blocks. */
static inline uint8_t pmt_pattern_byte(uint64_t id, size_t i)
{
    uint64_t x = id * 0x9E3779B97F4A7C15ull + (uint64_t)(i >> 3) * 0xD6E8FEB86659FD93ull;
    return (uint8_t)(x >> (8 * (i & 7)));
}

static inline uint64_t pmt_pattern_word(uint64_t id, size_t k)
{
    return id * 0x9E3779B97F4A7C15ull + (uint64_t)k * 0xD6E8FEB86659FD93ull;
}

/* Write the pattern over bytes [from, to). */
static inline void pmt_fill(uint8_t *p, size_t from, size_t to, uint64_t id)
{
    size_t i = from;
    for (; i < to && (i & 7); i++) p[i] = pmt_pattern_byte(id, i);
    for (; i + 8 <= to; i += 8) {
        uint64_t w = pmt_pattern_word(id, i >> 3);
        memcpy(p + i, &w, 8);   /* little-endian: byte j of w is byte i+j */
    }
    for (; i < to; i++) p[i] = pmt_pattern_byte(id, i);
}

/* Index of the first wrong byte in [0, n), or n if all match. */
static inline size_t pmt_verify(const uint8_t *p, size_t n, uint64_t id)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, want = pmt_pattern_word(id, i >> 3);
        memcpy(&w, p + i, 8);
        if (w != want) break;
    }
    for (; i < n; i++)
        if (p[i] != pmt_pattern_byte(id, i)) return i;
    return n;
}

#endif
