/*
 * schema.c -- the sample statuses and the keys every document has.
 */
#include <string.h>
#include "harness/results/schema.h"

static const char *const status_names[AB_SAMPLE_STATUS_COUNT] = {
    [AB_SAMPLE_OK] = "ok",
    [AB_SAMPLE_CRASHED] = "crashed",
    [AB_SAMPLE_TIMEOUT] = "timeout",
    [AB_SAMPLE_FAILED] = "failed",
};

const char *ab_sample_status_name(ab_sample_status s)
{
    return (unsigned)s < AB_SAMPLE_STATUS_COUNT ? status_names[s] : status_names[AB_SAMPLE_FAILED];
}

bool ab_sample_status_parse(const char *s, ab_sample_status *out)
{
    for (unsigned i = 0; s && i < AB_SAMPLE_STATUS_COUNT; i++)
        if (!strcmp(s, status_names[i])) {
            *out = (ab_sample_status)i;
            return true;
        }
    return false;
}

/* "tool", "correctness" and "run" are written by every run but were not
 * required of hand-made files, so readers do not insist on them. */
const ab_schema_key ab_schema_top_keys[] = {
    {AB_KEY_MACHINE, 'o'},
    {AB_KEY_CONFIG, 'o'},
    {AB_KEY_CELLS, 'a'},
    {NULL, 0},
};

const ab_schema_key ab_schema_cell_keys[] = {
    {AB_KEY_VARIANT, 's'},
    {AB_KEY_WORKLOAD, 's'},
    {AB_KEY_SAMPLES, 'a'},
    {NULL, 0},
};
