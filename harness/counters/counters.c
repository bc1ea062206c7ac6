/*
 * counters.c -- a set of perf events on one process, grouped per PMU.
 *
 * Invariants:
 *   - Every event the caller named has a slot, in the caller's order, whether
 *     or not it opened; a slot that did not open carries its status and a
 *     reason, never a value.
 *   - A group holds events of one kernel PMU only (ab_event_pmu_key); the
 *     kernel schedules a group all-or-nothing, so mixing PMUs would make one
 *     PMU's absence silence the other.  When the kernel refuses to add a
 *     member to a group (EINVAL: the group no longer fits the PMU's counters)
 *     that member starts a new group of the same PMU; groups of one PMU then
 *     multiplex against each other and the enabled/running times show it.
 *   - Only group leaders are opened disabled (and, for `exec`, with
 *     enable_on_exec); members follow their leader, and enable/disable act on
 *     whole groups through PERF_IOC_FLAG_GROUP.  Counters start at zero and
 *     accumulate only while enabled, so the read after disable covers exactly
 *     the enabled phases and needs no reset.
 *   - User and kernel are counted (the cost of a page fault is in the
 *     kernel).  Where kernel counting is refused (perf_event_paranoid >= 2
 *     without privileges) the event is reopened user-only and marked so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "harness/counters/counters_impl.h"

/* read() layout for one event with read_format TOTAL_TIME_ENABLED|RUNNING
 * and no PERF_FORMAT_GROUP: {value, time_enabled, time_running}. */
typedef struct {
    uint64_t value, time_enabled, time_running;
} ab_perf_read;

typedef struct ab_counter_slot {
    ab_counter_value v;     /* name, status and detail fixed at open; counts filled by read */
    int fd;                 /* -1 if the event did not open */
    int leader_fd;          /* the fd of this slot's group leader (== fd for a leader) */
    uint64_t pmu_key;
} ab_counter_slot;

struct ab_counter_set {
    size_t n;
    ab_counter_slot slots[];
};

static int perf_open(struct perf_event_attr *attr, pid_t pid, int group_fd)
{
    for (;;) {
        long fd = syscall(SYS_perf_event_open, attr, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
        if (fd >= 0 || errno != EINTR)
            return (int)fd;
    }
}

/* The most recently opened leader of `key`, or -1. */
static int current_leader(const ab_counter_set *cs, size_t upto, uint64_t key)
{
    for (size_t i = upto; i-- > 0;) {
        const ab_counter_slot *s = &cs->slots[i];
        if (s->fd >= 0 && s->pmu_key == key)
            return s->leader_fd;
    }
    return -1;
}

static void mark_failed(ab_counter_slot *s, ab_counter_status st, int err)
{
    const char *meaning = st == AB_CTR_NOT_SUPPORTED ? "no PMU (or no such event) for it here"
                        : st == AB_CTR_NO_PERMISSION ? "refused by perf_event_paranoid or missing privileges"
                        : strerror(err);
    const char *name = strerrorname_np(err);
    s->v.status = st;
    s->v.has_value = false;
    snprintf(s->v.detail, sizeof s->v.detail, "perf_event_open = %s: %s", name ? name : "?", meaning);
}

/* Open with the given group leader (-1 = lead a new group); on refusal of
 * kernel counting, retry user-only.  Returns fd or -1 with errno. */
static int open_with_fallback(ab_counter_slot *s, struct perf_event_attr *attr, pid_t pid, int leader)
{
    int fd = perf_open(attr, pid, leader);
    if (fd < 0 && (errno == EACCES || errno == EPERM) && !attr->exclude_kernel) {
        attr->exclude_kernel = 1;
        attr->exclude_hv = 1;
        fd = perf_open(attr, pid, leader);
        if (fd >= 0)
            s->v.user_only = true;
    }
    return fd;
}

static void open_slot(ab_counter_set *cs, size_t i, pid_t pid, bool enable_on_exec)
{
    ab_counter_slot *s = &cs->slots[i];
    ab_encoded_event enc;
    char why[sizeof s->v.detail];
    if (ab_event_encode(s->v.event, true, &enc, why, sizeof why) != 0) {
        s->v.status = AB_CTR_ENCODING_FAILED;
        snprintf(s->v.detail, sizeof s->v.detail, "%s", why);
        return;
    }
    snprintf(s->v.pmu, sizeof s->v.pmu, "%s", enc.pmu);
    s->pmu_key = ab_event_pmu_key(&enc.attr);

    struct perf_event_attr attr = enc.attr;
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    /* A whole command (`exec`) includes whatever it forks, as perf stat counts it. */
    attr.inherit = enable_on_exec;

    int leader = current_leader(cs, i, s->pmu_key);
    int fd = -1;
    if (leader >= 0) {
        attr.disabled = 0;
        attr.enable_on_exec = 0;
        fd = open_with_fallback(s, &attr, pid, leader);
        if (fd < 0 && errno != EINVAL)
            goto failed;
        /* EINVAL as a member: the group is full; lead a new one below. */
    }
    if (fd < 0) {
        leader = -1;
        attr.disabled = 1;
        attr.enable_on_exec = enable_on_exec;
        fd = open_with_fallback(s, &attr, pid, -1);
        if (fd < 0)
            goto failed;
        leader = fd;
    }
    s->fd = fd;
    s->leader_fd = leader;
    if (s->v.user_only)
        snprintf(s->v.detail, sizeof s->v.detail,
                 "kernel-mode counting refused (perf_event_paranoid); user space only");
    else if (enc.hybrid_core)
        snprintf(s->v.detail, sizeof s->v.detail,
                 "hybrid CPU: counts only while on a P-core (cpu_core); pin to a cpu_core CPU for full coverage");
    return;

failed:
    {
        int err = errno;
        mark_failed(s, ab_counter_status_from_errno(err), err);
    }
}

ab_counter_set *ab_counters_open(const char *const *events, size_t n, pid_t pid, bool enable_on_exec)
{
    ab_counter_set *cs = calloc(1, sizeof *cs + n * sizeof cs->slots[0]);
    if (!cs)
        return NULL;
    cs->n = n;
    for (size_t i = 0; i < n; i++) {
        ab_counter_slot *s = &cs->slots[i];
        s->fd = s->leader_fd = -1;
        snprintf(s->v.event, sizeof s->v.event, "%s", events[i]);
        s->v.status = AB_CTR_ERROR;
        open_slot(cs, i, pid, enable_on_exec);
    }
    return cs;
}

static void group_ioctl(ab_counter_set *cs, unsigned long request)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->n; i++) {
        const ab_counter_slot *s = &cs->slots[i];
        if (s->fd >= 0 && s->fd == s->leader_fd)
            ioctl(s->fd, request, PERF_IOC_FLAG_GROUP);
    }
}

void ab_counters_enable(ab_counter_set *cs)
{
    group_ioctl(cs, PERF_EVENT_IOC_ENABLE);
}

void ab_counters_disable(ab_counter_set *cs)
{
    group_ioctl(cs, PERF_EVENT_IOC_DISABLE);
}

static void read_slot(ab_counter_slot *s, ab_counter_value *out)
{
    *out = s->v;
    if (s->fd < 0)
        return;
    ab_perf_read r;
    ssize_t got = read(s->fd, &r, sizeof r);
    if (got != (ssize_t)sizeof r) {
        int err = got < 0 ? errno : EIO;
        out->status = AB_CTR_ERROR;
        out->has_value = false;
        snprintf(out->detail, sizeof out->detail, "read: %s", strerror(err));
        return;
    }
    out->raw = r.value;
    out->enabled_ns = r.time_enabled;
    out->running_ns = r.time_running;
    ab_counter_scale(out);
    if (out->status == AB_CTR_MULTIPLEXED)
        snprintf(out->detail, sizeof out->detail,
                 "on a counter %.1f%% of the enabled time (more events than counters); value scaled by enabled/running",
                 100.0 * (double)r.time_running / (double)r.time_enabled);
    else if (out->status == AB_CTR_NOT_COUNTED)
        snprintf(out->detail, sizeof out->detail, "%s",
                 r.time_enabled == 0 ? "opened but never enabled (no measured phase ran)"
                 : "enabled but never scheduled on a counter (all taken, e.g. NMI watchdog or another perf user)");
}

size_t ab_counters_read(ab_counter_set *cs, ab_counter_value *out, size_t max)
{
    if (!cs)
        return 0;
    size_t n = cs->n < max ? cs->n : max;
    for (size_t i = 0; i < n; i++)
        read_slot(&cs->slots[i], &out[i]);
    return n;
}

void ab_counters_close(ab_counter_set *cs)
{
    if (!cs)
        return;
    /* Members before leaders, so no group is left leaderless mid-teardown. */
    for (size_t i = cs->n; i-- > 0;)
        if (cs->slots[i].fd >= 0)
            close(cs->slots[i].fd);
    free(cs);
}
