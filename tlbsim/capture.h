/*
 * capture.h -- the harness side of the access hooks: attach a simulator for
 * the measured phase, detach it and take its figures.
 *
 * The hooks carry no context argument (they must compile to nothing in a
 * normal build), so the active simulator is one process-wide pointer in
 * capture.c, set only between ab_tlbsim_begin and ab_tlbsim_end inside a
 * sample's child.  Not thread-safe: workloads are single-threaded.
 */
#ifndef AB_TLBSIM_CAPTURE_H
#define AB_TLBSIM_CAPTURE_H

#include <stdbool.h>
#include "tlbsim/pagesize.h"
#include "tlbsim/tlb.h"

typedef struct ab_tlbsim_result {
    ab_tlb_counts counts;
    ab_pagesize_stats pages;
} ab_tlbsim_result;

/* The fixed jansson hash seed of the instrumented build (any constant). */
#define AB_TLBSIM_JSON_SEED 1u

/* Whether this binary was built with the hooks enabled (-DAB_TLBSIM). */
bool ab_tlbsim_instrumented(void);

/* Start feeding hooked accesses to a fresh simulator of m.  0, or -1 (out
 * of memory, or one is already active). */
int ab_tlbsim_begin(const ab_tlb_model *m);
/* Stop, fill out, free the simulator.  -1 when none was active. */
int ab_tlbsim_end(ab_tlbsim_result *out);

/* acc += r (counts and page-size statistics; the method is r's if set). */
void ab_tlbsim_result_add(ab_tlbsim_result *acc, const ab_tlbsim_result *r);

#endif
