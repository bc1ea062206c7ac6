/*
 * report_pair.c -- paired-by-round change of one metric between two cells,
 * with the unpaired fallback (see report_pair.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness/report/report_pair.h"
#include "harness/util/report_stats.h"

static const char *const test_names[] = {"auto", "paired-t", "wilcoxon", "mwu", "welch"};

const char *ab_test_kind_name(ab_test_kind k)
{
    return test_names[k];
}

int ab_test_kind_parse(const char *name, ab_test_kind *out)
{
    for (size_t i = 0; i < sizeof test_names / sizeof test_names[0]; i++)
        if (!strcmp(name, test_names[i])) {
            *out = (ab_test_kind)i;
            return 0;
        }
    if (!strcmp(name, "mann-whitney")) {
        *out = AB_TEST_MWU;
        return 0;
    }
    return -1;
}

/* 0 with the paired result in *out, or -1 when fewer than two rounds pair or
 * a paired value is not positive. */
static int try_paired(const ab_metric_values *base, const ab_metric_values *cand, double conf, ab_test_kind want,
                      ab_pair_change *out)
{
    size_t cap = base->n < cand->n ? base->n : cand->n;
    if (cap < 2)
        return -1;
    double *pb = malloc(cap * sizeof *pb), *pn = malloc(cap * sizeof *pn);
    int rc = -1;
    if (pb && pn) {
        size_t n = ab_pair_by_round(base->v, base->round, base->n, cand->v, cand->round, cand->n, pb, pn);
        ab_paired_test how = want == AB_TEST_WILCOXON ? AB_PAIRED_WILCOXON
                             : want == AB_TEST_PAIRED_T ? AB_PAIRED_T
                                                        : AB_PAIRED_AUTO;
        ab_paired_ratio r = ab_paired_ratio_test(pb, pn, n, conf, how);
        if (r.valid) {
            *out = (ab_pair_change){.valid = true, .paired = true, .n_pairs = n, .change = r.ratio - 1,
                                    .lo = r.lo - 1, .hi = r.hi - 1, .tested = !isnan(r.p), .p = r.p,
                                    .test = r.test == AB_PAIRED_WILCOXON ? AB_TEST_WILCOXON : AB_TEST_PAIRED_T};
            rc = 0;
        }
    }
    free(pb);
    free(pn);
    return rc;
}

ab_pair_change ab_pair_change_compute(const ab_metric_values *base, const ab_metric_values *cand, double conf,
                                      ab_test_kind want)
{
    ab_pair_change c = {.valid = false, .change = NAN, .lo = NAN, .hi = NAN, .p = NAN, .test = want};
    if (ab_test_kind_paired(want) && !try_paired(base, cand, conf, want, &c))
        return c;
    ab_test_kind unpaired = ab_test_kind_paired(want) ? AB_TEST_MWU : want;
    ab_rel_change rc = ab_relative_change(base->v, base->n, cand->v, cand->n, conf);
    ab_test_result t = unpaired == AB_TEST_WELCH ? ab_welch_t(base->v, base->n, cand->v, cand->n)
                                                 : ab_mann_whitney_u(base->v, base->n, cand->v, cand->n);
    c.valid = rc.valid;
    c.change = rc.change;
    c.lo = rc.lo;
    c.hi = rc.hi;
    c.tested = t.valid;
    c.p = t.p;
    c.test = unpaired;
    return c;
}
