/* counters.c -- placeholder until the counters layer lands. */
#include <stdlib.h>
#include "harness/counters.h"

const char *ab_counter_status_name(ab_counter_status s)
{
    (void)s;
    return "not_supported";
}
const char *const *ab_counters_default_events(size_t *n)
{
    static const char *const none[] = {NULL};
    *n = 0;
    return none;
}
int ab_counters_check_events(const char *const *events, size_t n, char *err, size_t errlen)
{
    (void)events; (void)n; (void)err; (void)errlen;
    return 0;
}
ab_counter_set *ab_counters_open(const char *const *events, size_t n, pid_t pid, bool enable_on_exec)
{
    (void)events; (void)n; (void)pid; (void)enable_on_exec;
    return NULL;
}
void ab_counters_enable(ab_counter_set *cs) { (void)cs; }
void ab_counters_disable(ab_counter_set *cs) { (void)cs; }
size_t ab_counters_read(ab_counter_set *cs, ab_counter_value *out, size_t max)
{
    (void)cs; (void)out; (void)max;
    return 0;
}
void ab_counters_close(ab_counter_set *cs) { (void)cs; }
