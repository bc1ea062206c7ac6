/*
 * merge_detail.c -- move per-sample detail to and from sidecar lines (see
 * merge_detail.h).
 */
#include <string.h>
#include "harness/results/fleet.h"
#include "harness/run/merge_detail.h"

/* What reports never read: table and compare use the summary metrics and
 * counter_status; plot reads timelines only of files that keep them. */
static const char *const detail_keys[] = {AB_KEY_TIMELINE, AB_KEY_COUNTER_RAW, AB_KEY_CHILD_RUSAGE};
#define N_DETAIL_KEYS (sizeof detail_keys / sizeof detail_keys[0])

static const char *const mode_names[] = {
    [AB_DETAIL_AUTO] = "auto", [AB_DETAIL_INLINE] = "inline",
    [AB_DETAIL_SIDECAR] = "sidecar", [AB_DETAIL_DROP] = "drop",
};

int ab_detail_mode_parse(const char *text, ab_detail_mode *out)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (!strcmp(text, mode_names[i])) {
            *out = (ab_detail_mode)i;
            return 0;
        }
    return -1;
}

const char *ab_detail_mode_name(ab_detail_mode mode) { return mode_names[mode]; }

json_t *ab_detail_keys(void)
{
    json_t *a = json_array();
    for (size_t k = 0; k < N_DETAIL_KEYS; k++) json_array_append_new(a, json_string(detail_keys[k]));
    return a;
}

static json_t *take_from(json_t *samples)
{
    json_t *out = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(samples, i, s) {
        json_t *d = json_object();
        for (size_t k = 0; k < N_DETAIL_KEYS; k++) {
            json_t *v = json_object_get(s, detail_keys[k]);
            if (!v) continue;
            json_object_set(d, detail_keys[k], v);
            json_object_del(s, detail_keys[k]);
        }
        json_array_append_new(out, d);
    }
    return out;
}

json_t *ab_detail_take(json_t *cell, const char *machine_id)
{
    return json_pack("{s:s, s:O, s:O, s:o, s:o}", AB_KEY_CELL_MACHINE_ID, machine_id, AB_KEY_VARIANT,
                     json_object_get(cell, AB_KEY_VARIANT), AB_KEY_WORKLOAD, json_object_get(cell, AB_KEY_WORKLOAD),
                     AB_KEY_SAMPLES, take_from(json_object_get(cell, AB_KEY_SAMPLES)), AB_KEY_WARMUP_SAMPLES,
                     take_from(json_object_get(cell, AB_KEY_WARMUP_SAMPLES)));
}

static void restore_into(json_t *samples, const json_t *details)
{
    size_t i;
    json_t *s;
    json_array_foreach(samples, i, s) {
        json_t *d = json_array_get(details, i);
        if (json_is_object(d)) json_object_update(s, d);
    }
}

void ab_detail_restore(json_t *cell, const json_t *line)
{
    restore_into(json_object_get(cell, AB_KEY_SAMPLES), json_object_get(line, AB_KEY_SAMPLES));
    restore_into(json_object_get(cell, AB_KEY_WARMUP_SAMPLES), json_object_get(line, AB_KEY_WARMUP_SAMPLES));
}
