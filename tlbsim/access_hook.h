/*
 * access_hook.h -- the only thing workloads/ and allocators/ include from the
 * TLB simulator: one macro per kind of data access.  In a normal build
 * every macro is an unevaluated sizeof, so the code generated is identical
 * to code without them; only the tlbsim build flavour (-DAB_TLBSIM, see
 * mk/tlbsim.mk) turns them into calls that feed the simulator.
 *
 * Convention: a hook is placed right after the access it describes, so the
 * page is already faulted in when the simulator asks the kernel which page
 * size maps it.  RANGE hooks (memset, memcpy) count one access per 4 KiB
 * page the range touches: every further access to the same page inside the
 * same call hits the first-level TLB (each set has >= 4 ways), so the miss
 * figures are unchanged and only "accesses" is a lower bound there.
 */
#ifndef AB_TLBSIM_ACCESS_HOOK_H
#define AB_TLBSIM_ACCESS_HOOK_H

#include <stddef.h>

/* The calls behind the macros (tlbsim/capture.c); declared in every build,
 * called only from the tlbsim flavour.  No-ops while no simulator is
 * attached (outside the measured phase). */
void ab_tlbsim_note(const void *p, int store);
void ab_tlbsim_note_range(const void *p, size_t n, int store);
void ab_tlbsim_note_unmap(const void *p, size_t n);

#ifdef AB_TLBSIM
#define AB_SIM_LOAD(p) ab_tlbsim_note((const void *)(p), 0)
#define AB_SIM_STORE(p) ab_tlbsim_note((const void *)(p), 1)
#define AB_SIM_LOAD_RANGE(p, n) ab_tlbsim_note_range((const void *)(p), (n), 0)
#define AB_SIM_STORE_RANGE(p, n) ab_tlbsim_note_range((const void *)(p), (n), 1)
#define AB_SIM_UNMAP(p, n) ab_tlbsim_note_unmap((const void *)(p), (n))
#else
#define AB_SIM_LOAD(p) ((void)sizeof(p))
#define AB_SIM_STORE(p) ((void)sizeof(p))
#define AB_SIM_LOAD_RANGE(p, n) ((void)sizeof(p), (void)sizeof(n))
#define AB_SIM_STORE_RANGE(p, n) ((void)sizeof(p), (void)sizeof(n))
#define AB_SIM_UNMAP(p, n) ((void)sizeof(p), (void)sizeof(n))
#endif

#endif
