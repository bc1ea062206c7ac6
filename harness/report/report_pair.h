/*
 * report_pair.h -- one noisy metric of two cells of the same results file,
 * compared the way `table` and `compare FILE --base-variant/--new-variant`
 * both show it.
 *
 * Two cells of one file ran in the same rounds, so their samples pair by
 * round number (harness/util/paired.h): the change is the paired ratio (the
 * Hodges-Lehmann or the geometric mean of the per-round ratios) with its CI,
 * and the test is paired.  When fewer than
 * two rounds pair up or a value is not positive (a ratio needs two positive
 * values), the unpaired statistics stand in: the change of the mean with its
 * delta-method CI and Mann-Whitney U or Welch's t (report_stats.h).
 */
#ifndef AB_REPORT_PAIR_H
#define AB_REPORT_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include "harness/results/results_load.h"
#include "harness/util/paired.h"

/* AB_TEST_AUTO is the default of `table` and of `compare` within a file: the
 * signed-rank statistics (Hodges-Lehmann ratio, its rank interval, Wilcoxon
 * signed-rank) from AB_SIGNED_RANK_MIN_PAIRS paired rounds on, the paired t
 * below that (paired.h says why). */
typedef enum { AB_TEST_AUTO, AB_TEST_PAIRED_T, AB_TEST_WILCOXON, AB_TEST_MWU, AB_TEST_WELCH } ab_test_kind;

/* "auto", "paired-t", "wilcoxon", "mwu", "welch" (as `compare --test` spells them). */
const char *ab_test_kind_name(ab_test_kind k);
/* 0 and *out set, or -1 for an unknown name ("mann-whitney" also means mwu). */
int ab_test_kind_parse(const char *name, ab_test_kind *out);
static inline bool ab_test_kind_paired(ab_test_kind k)
{
    return k == AB_TEST_AUTO || k == AB_TEST_PAIRED_T || k == AB_TEST_WILCOXON;
}

typedef struct ab_pair_change {
    bool valid;            /* a change could be computed (base not 0, both sides have values) */
    bool paired;           /* by round; false: unpaired fallback */
    size_t n_pairs;        /* rounds paired (paired only) */
    double change;         /* fraction: paired ratio - 1 (paired.h), or mean(new)/mean(base) - 1 */
    double lo, hi;         /* its confidence interval; NaN when it cannot be given */
    bool tested;           /* p is meaningful */
    double p;              /* two-sided */
    ab_test_kind test;     /* the test actually used (never AB_TEST_AUTO) */
} ab_pair_change;

/*
 * Compare cand against base.  `want` is the test asked for: a paired kind is
 * used when the cells pair (else Mann-Whitney U stands in); an unpaired kind
 * is always used as given, and so is the unpaired CI.
 */
ab_pair_change ab_pair_change_compute(const ab_metric_values *base, const ab_metric_values *cand, double conf,
                                      ab_test_kind want);

#endif
