/*
 * sim_json.h -- a sample's "sim" block: what the TLB simulator counted
 * during the measured phase (docs/tlb-model.md).  Its numbers are the
 * registry's sim.* metrics (metrics.h, held in ab_sample.sim); its texts
 * (schema.h: status "simulated", the model, the coverage, how page sizes
 * were read) are added here.  Every figure in it is simulated, never
 * measured, and never named like a hardware counter.
 */
#ifndef AB_SIM_JSON_H
#define AB_SIM_JSON_H

#include <jansson.h>
#include "harness/results/sample.h"
#include "tlbsim/capture.h"

typedef enum {
    AB_SIM_WORKLOAD_AND_ALLOCATOR,   /* the pymalloc model: both hooked */
    AB_SIM_WORKLOAD_ONLY,            /* reference allocators: their own accesses unseen */
} ab_sim_coverage;

/* The simulator's result as the sample's sim.* values. */
void ab_sim_fill(ab_sample_sim *out, const ab_tlbsim_result *r);

/* Add the block's texts to a serialised sample whose "sim" is an object. */
void ab_sim_add_context(json_t *sample, const ab_tlb_model *m, const ab_tlbsim_result *r,
                        ab_sim_coverage coverage);

#endif
