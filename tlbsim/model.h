/*
 * model.h -- TLB model files (tlbsim/models/NAME.json; format and sources in
 * docs/tlb-model.md): loading and validation.  A model that is not a
 * geometry the simulator can build -- entries not a multiple of the ways, a
 * set count that is not a power of two, a page size held by no array or by
 * two, a row without a source -- is rejected with a message naming the row.
 */
#ifndef AB_TLBSIM_MODEL_H
#define AB_TLBSIM_MODEL_H

#include <stddef.h>
#include "tlbsim/tlb.h"

/* Parse and validate one model file.  0, or -1 with err. */
int ab_tlb_model_load(const char *path, ab_tlb_model *m, char *err, size_t errlen);

/* Validate a model built in memory (the loader calls it too).  0, or -1. */
int ab_tlb_model_validate(const ab_tlb_model *m, char *err, size_t errlen);

/*
 * Where a --tlb-model argument points: a path (anything with a '/' or
 * ending in ".json") is taken as it is; a bare NAME is
 * $AB_TLB_MODELS_DIR/NAME.json, else <source dir>/tlbsim/models/NAME.json.
 */
void ab_tlb_model_path(const char *arg, char *out, size_t outlen);

#endif
