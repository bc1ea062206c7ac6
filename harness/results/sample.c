/*
 * sample.c -- the one place a sample becomes JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/results/metrics.h"
#include "harness/results/sample.h"

/* Digits of a 64-bit checksum in hex: the format readers compare. */
#define CHECKSUM_HEX_DIGITS 16

_Static_assert(AB_VALUE_UNKNOWN == AB_STAT_UNKNOWN, "the allocator's unknown is the sample's unknown");

void ab_sample_init(ab_sample *s)
{
    memset(s, 0, sizeof *s);
    s->status = AB_SAMPLE_OK;
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        if (m->field != AB_NO_FIELD)
            *(int64_t *)((char *)s + m->field) = AB_VALUE_UNKNOWN;
    }
    s->phases = s->rss_base_kb = -1;
    s->exit_code = -1;
}

void ab_sample_clear(ab_sample *s)
{
    json_decref(s->timeline);
    s->timeline = NULL;
}

static int64_t sum_or_unknown(int64_t a, int64_t b)
{
    return a >= 0 && b >= 0 ? a + b : AB_VALUE_UNKNOWN;
}

void ab_sample_set_mem(ab_sample *s, int64_t rss_peak_kb, int64_t rss_end_kb, int64_t hugetlb_peak_kb,
                       int64_t hugetlb_end_kb)
{
    s->hugetlb_kb_peak = hugetlb_peak_kb >= 0 ? hugetlb_peak_kb : AB_VALUE_UNKNOWN;
    s->hugetlb_kb_end = hugetlb_end_kb >= 0 ? hugetlb_end_kb : AB_VALUE_UNKNOWN;
    s->mem_peak_kb = sum_or_unknown(rss_peak_kb, hugetlb_peak_kb);
    s->mem_end_kb = sum_or_unknown(rss_end_kb, hugetlb_end_kb);
}

static json_t *value_or_null(int64_t v)
{
    return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static bool block_present(const ab_sample *s, const char *block, size_t len)
{
    for (const ab_metric_block *b = ab_metric_blocks; b->name; b++)
        if (strlen(b->name) == len && !strncmp(b->name, block, len))
            return *(const bool *)((const char *)s + b->present_field);
    return true;
}

/* Every VALUE row at its location; a block whose flag is off is null. */
static void put_values(json_t *o, const ab_sample *s)
{
    for (size_t i = 0; i < AB_METRIC_COUNT; i++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)i);
        if (m->kind != AB_METRIC_VALUE)
            continue;
        int64_t v = *(const int64_t *)((const char *)s + m->field);
        const char *dot = strchr(m->name, '.');
        if (!dot) {
            json_object_set_new(o, m->name, value_or_null(v));
            continue;
        }
        char block[64];
        snprintf(block, sizeof block, "%.*s", (int)(dot - m->name), m->name);
        if (!block_present(s, m->name, (size_t)(dot - m->name))) {
            json_object_set_new(o, block, json_null());
            continue;
        }
        json_t *holder = json_object_get(o, block);
        if (!json_is_object(holder)) {
            holder = json_object();
            json_object_set_new(o, block, holder);
        }
        json_object_set_new(holder, dot + 1, value_or_null(v));
    }
}

/* The counters block: counters.<event> (the value), counter_status.<event>
 * and counter_raw.<event> (what the value was made from). */
static void put_counters(json_t *o, const ab_sample *s, char *const *events, size_t n_events, bool ran)
{
    json_t *values = json_object(), *status = json_object(), *raw = json_object();
    for (size_t i = 0; i < n_events; i++) {
        const char *ev = events[i];
        if (!ran) {
            json_object_set_new(values, ev, json_null());
            json_object_set_new(status, ev, json_string(ab_counter_status_name(AB_CTR_NOT_COUNTED)));
            continue;
        }
        if (!s->counters || i >= s->n_counters) {
            json_object_set_new(values, ev, json_null());
            json_object_set_new(status, ev, json_string(ab_counter_status_name(AB_CTR_ERROR)));
            json_object_set_new(raw, ev, json_pack("{s:n, s:n, s:n, s:n, s:b, s:s}", "raw", "enabled_ns",
                                                   "running_ns", "pmu", "user_only", 0, AB_KEY_COUNTER_DETAIL,
                                                   "the counter layer returned no value"));
            continue;
        }
        const ab_counter_value *c = &s->counters[i];
        json_object_set_new(values, ev, c->has_value ? json_real(c->value) : json_null());
        json_object_set_new(status, ev, json_string(ab_counter_status_name(c->status)));
        json_object_set_new(raw, ev, json_pack("{s:I, s:I, s:I, s:s, s:b, s:s}", "raw", (json_int_t)c->raw,
                                               "enabled_ns", (json_int_t)c->enabled_ns, "running_ns",
                                               (json_int_t)c->running_ns, "pmu", c->pmu, "user_only",
                                               c->user_only, AB_KEY_COUNTER_DETAIL, c->detail));
    }
    json_object_set_new(o, ab_metric_key(AB_M_COUNTERS), values);
    json_object_set_new(o, AB_KEY_COUNTER_STATUS, status);
    json_object_set_new(o, AB_KEY_COUNTER_RAW, raw);
}

static json_t *sample_json(const ab_sample *s, char *const *events, size_t n_events, bool ran)
{
    json_t *o = json_object();
    json_object_set_new(o, AB_KEY_STATUS, json_string(ab_sample_status_name(s->status)));
    json_object_set_new(o, AB_KEY_REASON, s->reason[0] ? json_string(s->reason) : json_null());
    put_values(o, s);
    put_counters(o, s, events, n_events, ran);
    for (const ab_metric_block *b = ab_metric_blocks; b->name; b++)
        if (!json_object_get(o, b->name))
            json_object_set_new(o, b->name, json_null());
    char sum[CHECKSUM_HEX_DIGITS + 1];
    snprintf(sum, sizeof sum, "%0*" PRIx64, CHECKSUM_HEX_DIGITS, s->checksum);
    json_object_set_new(o, ab_metric_key(AB_M_CHECKSUM), s->has_checksum ? json_string(sum) : json_null());
    json_object_set_new(o, AB_KEY_TIMELINE, s->timeline ? json_incref(s->timeline) : json_null());
    if (s->phases >= 0) { /* a `run` child's own account */
        json_object_set_new(o, AB_KEY_PHASES, json_integer((json_int_t)s->phases));
        json_object_set_new(o, AB_KEY_RSS_BASE_KB, value_or_null(s->rss_base_kb));
    }
    if (s->rss_source)
        json_object_set_new(o, AB_KEY_RSS_SOURCE, json_string(s->rss_source));
    if (s->has_exit_code)
        json_object_set_new(o, AB_KEY_EXIT_CODE, s->exit_code >= 0 ? json_integer(s->exit_code) : json_null());
    return o;
}

json_t *ab_sample_json(const ab_sample *s, char *const *events, size_t n_events)
{
    return sample_json(s, events, n_events, true);
}

json_t *ab_sample_failure_json(ab_sample_status status, const char *reason, char *const *events,
                               size_t n_events)
{
    ab_sample s;
    ab_sample_init(&s);
    s.status = status;
    snprintf(s.reason, sizeof s.reason, "%s", reason ? reason : "");
    json_t *o = sample_json(&s, events, n_events, false);
    /* Not a measurement at all: no counter was even opened. */
    json_object_set_new(o, AB_KEY_COUNTER_RAW, json_object());
    return o;
}

void ab_sample_json_set_outcome(json_t *sample, int rep, size_t order, ab_sample_status status,
                                const char *reason, int signal)
{
    json_object_set_new(sample, AB_KEY_REP, json_integer(rep));
    json_object_set_new(sample, AB_KEY_ORDER, json_integer((json_int_t)order));
    json_object_set_new(sample, AB_KEY_STATUS, json_string(ab_sample_status_name(status)));
    json_object_set_new(sample, AB_KEY_REASON,
                        status == AB_SAMPLE_OK || !reason ? json_null() : json_string(reason));
    json_object_set_new(sample, AB_KEY_SIGNAL, signal ? json_integer(signal) : json_null());
}

static json_t *timeval_ns(const struct timeval *t)
{
    return json_integer((json_int_t)t->tv_sec * 1000000000 + (json_int_t)t->tv_usec * 1000);
}

void ab_sample_json_set_rusage(json_t *sample, const struct rusage *ru, int64_t elapsed_ns)
{
    json_object_set_new(sample, AB_KEY_CHILD_RUSAGE,
                        json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", ab_metric_key(AB_M_USER_NS),
                                  timeval_ns(&ru->ru_utime), ab_metric_key(AB_M_SYS_NS), timeval_ns(&ru->ru_stime), "maxrss_kb", (json_int_t)ru->ru_maxrss,
                                  "minflt", (json_int_t)ru->ru_minflt, "majflt", (json_int_t)ru->ru_majflt,
                                  "nvcsw", (json_int_t)ru->ru_nvcsw, "nivcsw", (json_int_t)ru->ru_nivcsw,
                                  "elapsed_ns", (json_int_t)elapsed_ns));
}

ab_sample_status ab_sample_json_status(const json_t *sample)
{
    ab_sample_status st;
    return ab_sample_status_parse(json_string_value(json_object_get(sample, AB_KEY_STATUS)), &st) ? st
                                                                                                 : AB_SAMPLE_FAILED;
}

const char *ab_sample_json_reason(const json_t *sample)
{
    return json_string_value(json_object_get(sample, AB_KEY_REASON));
}
