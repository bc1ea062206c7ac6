/*
 * tlb.c -- the set-associative LRU arrays behind tlb.h.
 *
 * An entry is the tag (page number << 1 | page kind) + 1, so 0 is "empty";
 * its LRU age is the array's access clock at its last use.  Lookups scan the
 * set's ways (at most 96 in a fully associative first level), which is cheap
 * next to the instrumented program.
 */
#include <stdlib.h>
#include "tlbsim/tlb.h"

typedef struct tlb_array {
    unsigned sets, ways;
    uint64_t *tag;       /* sets * ways */
    uint64_t *last_use;  /* sets * ways */
    uint64_t clock;
} tlb_array;

struct ab_tlb_sim {
    tlb_array arrays[AB_TLB_LEVELS][AB_TLB_MAX_ARRAYS];
    unsigned n_arrays[AB_TLB_LEVELS];
    /* array_for[level][kind]: index into arrays[level] */
    unsigned array_for[AB_TLB_LEVELS][AB_PAGE_KINDS];
    bool split_store;
    ab_tlb_counts counts;
};

unsigned ab_page_kind_shift(ab_page_kind k)
{
    static const unsigned shift[AB_PAGE_KINDS] = {12, 21};
    return shift[k];
}

const char *ab_page_kind_name(ab_page_kind k)
{
    static const char *const name[AB_PAGE_KINDS] = {"4k", "2m"};
    return name[k];
}

const char *ab_tlb_level_name(ab_tlb_level l)
{
    static const char *const name[AB_TLB_LEVELS] = {"l1_load", "l1_store", "stlb"};
    return name[l];
}

uint64_t ab_tlb_sum(const uint64_t by_kind[AB_PAGE_KINDS])
{
    uint64_t s = 0;
    for (int k = 0; k < AB_PAGE_KINDS; k++) s += by_kind[k];
    return s;
}

static int array_init(tlb_array *a, const ab_tlb_array_spec *spec)
{
    a->ways = spec->ways;
    a->sets = spec->entries / spec->ways;
    a->tag = calloc(spec->entries, sizeof *a->tag);
    a->last_use = calloc(spec->entries, sizeof *a->last_use);
    return a->tag && a->last_use ? 0 : -1;
}

ab_tlb_sim *ab_tlb_sim_new(const ab_tlb_model *m)
{
    ab_tlb_sim *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->split_store = m->n_arrays[AB_TLB_L1_STORE] > 0;
    for (int l = 0; l < AB_TLB_LEVELS; l++) {
        s->n_arrays[l] = m->n_arrays[l];
        for (unsigned i = 0; i < m->n_arrays[l]; i++) {
            if (array_init(&s->arrays[l][i], &m->arrays[l][i]) < 0) {
                ab_tlb_sim_free(s);
                return NULL;
            }
            for (int k = 0; k < AB_PAGE_KINDS; k++)
                if (m->arrays[l][i].holds[k]) s->array_for[l][k] = i;
        }
    }
    return s;
}

void ab_tlb_sim_free(ab_tlb_sim *s)
{
    if (!s) return;
    for (int l = 0; l < AB_TLB_LEVELS; l++)
        for (unsigned i = 0; i < s->n_arrays[l]; i++) {
            free(s->arrays[l][i].tag);
            free(s->arrays[l][i].last_use);
        }
    free(s);
}

/* Look the page up; on a miss, and if fill is set, replace the set's least
 * recently used entry.  True on a hit. */
static bool array_access(tlb_array *a, uint64_t vpn, ab_page_kind kind, bool fill)
{
    uint64_t tag = ((vpn << 1) | (uint64_t)kind) + 1;
    size_t base = (size_t)(vpn % a->sets) * a->ways;
    uint64_t now = ++a->clock;
    size_t victim = base;
    for (size_t w = base; w < base + a->ways; w++) {
        if (a->tag[w] == tag) {
            a->last_use[w] = now;
            return true;
        }
        if (a->last_use[w] < a->last_use[victim]) victim = w;
    }
    if (fill) {
        a->tag[victim] = tag;
        a->last_use[victim] = now;
    }
    return false;
}

void ab_tlb_sim_access(ab_tlb_sim *s, uint64_t vaddr, ab_page_kind kind, bool store)
{
    ab_tlb_counts *c = &s->counts;
    uint64_t vpn = vaddr >> ab_page_kind_shift(kind);
    ab_tlb_level first = store && s->split_store ? AB_TLB_L1_STORE : AB_TLB_L1_LOAD;
    c->accesses_by_kind[kind]++;
    if (store) c->stores++;
    else c->loads++;
    if (array_access(&s->arrays[first][s->array_for[first][kind]], vpn, kind, true)) return;
    if (store) c->dtlb_store_misses[kind]++;
    else c->dtlb_load_misses[kind]++;
    if (array_access(&s->arrays[AB_TLB_STLB][s->array_for[AB_TLB_STLB][kind]], vpn, kind, true)) return;
    if (store) c->stlb_store_misses[kind]++;
    else c->stlb_load_misses[kind]++;
}

static void array_invalidate(tlb_array *a, uint64_t lo, uint64_t hi, uint64_t *dropped)
{
    for (size_t w = 0; w < (size_t)a->sets * a->ways; w++) {
        if (a->tag[w] == 0) continue;
        uint64_t t = a->tag[w] - 1;
        ab_page_kind kind = (ab_page_kind)(t & 1);
        unsigned shift = ab_page_kind_shift(kind);
        uint64_t start = (t >> 1) << shift, end = start + ((uint64_t)1 << shift);
        if (start < hi && end > lo) {
            a->tag[w] = 0;
            a->last_use[w] = 0;
            (*dropped)++;
        }
    }
}

void ab_tlb_sim_invalidate(ab_tlb_sim *s, uint64_t lo, uint64_t hi)
{
    for (int l = 0; l < AB_TLB_LEVELS; l++)
        for (unsigned i = 0; i < s->n_arrays[l]; i++)
            array_invalidate(&s->arrays[l][i], lo, hi, &s->counts.invalidations);
}

const ab_tlb_counts *ab_tlb_sim_counts(const ab_tlb_sim *s)
{
    return &s->counts;
}
