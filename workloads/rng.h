/*
 * rng.h -- MT19937 exactly as CPython's _random module uses it.
 *
 * Why bit-for-bit CPython rather than any good PRNG: the workloads that use
 * randomness (random_walk's shuffle, random_prune's random()) allocate
 * according to the random values.  random.shuffle() allocates one int per
 * getrandbits() call and _randbelow retries a draw that is out of range, and
 * str(random.random()) allocates a str whose size depends on how many digits
 * the shortest repr of the value has.  With the same generator, seeding and
 * derivations as CPython 3.11 the C equivalent makes the same number of
 * calls with the same sizes in the same order as the Python original run
 * with the same seed, and its checksum can be compared with Python's (a test
 * does).  The call sequence is a function of the seed alone, so it is the
 * same for every allocator.
 *
 * Facts modelled (CPython 3.11 Modules/_randommodule.c, Lib/random.py):
 *   - random.seed(n) for an int n: init_by_array() with the 32-bit words of
 *     abs(n), least significant first (at least one word);
 *   - getrandbits(k), 0 < k <= 32: genrand_uint32() >> (32 - k);
 *   - random(): (a >> 5, b >> 6) -> (a * 2^26 + b) / 2^53;
 *   - _randbelow_with_getrandbits(n): k = n.bit_length(); draw getrandbits(k)
 *     until the value is < n.
 */
#ifndef AB_RNG_H
#define AB_RNG_H

#include <stdint.h>

#define AB_MT_N 624
#define AB_MT_M 397

typedef struct ab_mt {
    uint32_t state[AB_MT_N];
    int index;
} ab_mt;

static inline void ab_mt_init_genrand(ab_mt *mt, uint32_t s)
{
    mt->state[0] = s;
    for (int i = 1; i < AB_MT_N; i++)
        mt->state[i] = 1812433253U * (mt->state[i - 1] ^ (mt->state[i - 1] >> 30)) + (uint32_t)i;
    mt->index = AB_MT_N;
}

static inline void ab_mt_init_by_array(ab_mt *mt, const uint32_t *key, int keylen)
{
    ab_mt_init_genrand(mt, 19650218U);
    uint32_t *s = mt->state;
    int i = 1, j = 0;
    for (int k = AB_MT_N > keylen ? AB_MT_N : keylen; k; k--) {
        s[i] = (s[i] ^ ((s[i - 1] ^ (s[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
        i++; j++;
        if (i >= AB_MT_N) { s[0] = s[AB_MT_N - 1]; i = 1; }
        if (j >= keylen) j = 0;
    }
    for (int k = AB_MT_N - 1; k; k--) {
        s[i] = (s[i] ^ ((s[i - 1] ^ (s[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
        i++;
        if (i >= AB_MT_N) { s[0] = s[AB_MT_N - 1]; i = 1; }
    }
    s[0] = 0x80000000U;  /* MSB is 1, assuring a non-zero initial array */
}

/* random.seed(seed) for a non-negative int seed. */
static inline void ab_mt_seed(ab_mt *mt, uint64_t seed)
{
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    ab_mt_init_by_array(mt, key, key[1] ? 2 : 1);
}

static inline uint32_t ab_mt_u32(ab_mt *mt)
{
    static const uint32_t mag01[2] = {0x0U, 0x9908b0dfU};
    uint32_t *s = mt->state, y;
    if (mt->index >= AB_MT_N) {
        int kk;
        for (kk = 0; kk < AB_MT_N - AB_MT_M; kk++) {
            y = (s[kk] & 0x80000000U) | (s[kk + 1] & 0x7fffffffU);
            s[kk] = s[kk + AB_MT_M] ^ (y >> 1) ^ mag01[y & 1U];
        }
        for (; kk < AB_MT_N - 1; kk++) {
            y = (s[kk] & 0x80000000U) | (s[kk + 1] & 0x7fffffffU);
            s[kk] = s[kk + (AB_MT_M - AB_MT_N)] ^ (y >> 1) ^ mag01[y & 1U];
        }
        y = (s[AB_MT_N - 1] & 0x80000000U) | (s[0] & 0x7fffffffU);
        s[AB_MT_N - 1] = s[AB_MT_M - 1] ^ (y >> 1) ^ mag01[y & 1U];
        mt->index = 0;
    }
    y = s[mt->index++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
}

/* random.getrandbits(k) for 0 < k <= 32. */
static inline uint32_t ab_mt_getrandbits(ab_mt *mt, int k)
{
    return ab_mt_u32(mt) >> (32 - k);
}

/* random.random() */
static inline double ab_mt_random(ab_mt *mt)
{
    uint32_t a = ab_mt_u32(mt) >> 5, b = ab_mt_u32(mt) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

/* int.bit_length() of n > 0 */
static inline int ab_bit_length(uint64_t n)
{
    return 64 - __builtin_clzll(n);
}

#endif
