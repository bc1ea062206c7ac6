/*
 * sim_json.h -- a sample's "sim" block: what the TLB simulator counted
 * during the measured phase (docs/tlb-model.md).  Every figure in it is
 * simulated, never measured: the block carries "status": "simulated", its
 * metrics are sim.FIELD (never counters.*), and reports label them so.
 * This file owns the block's key names.
 */
#ifndef AB_SIM_JSON_H
#define AB_SIM_JSON_H

#include <jansson.h>
#include "tlbsim/capture.h"

#define AB_SIM_KEY "sim"
#define AB_SIM_STATUS "simulated"

typedef enum {
    AB_SIM_WORKLOAD_AND_ALLOCATOR,   /* the pymalloc model: both hooked */
    AB_SIM_WORKLOAD_ONLY,            /* reference allocators: their own accesses unseen */
} ab_sim_coverage;

/* The sim.* metrics tables, plots and compare show by default when a file
 * has sim blocks (NULL-terminated). */
extern const char *const ab_sim_report_metrics[];

json_t *ab_sim_json(const ab_tlb_model *m, const ab_tlbsim_result *r, ab_sim_coverage coverage);

#endif
