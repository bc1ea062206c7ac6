/*
 * hugetlb_status.c -- see hugetlb_status.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>
#include "harness/system/hugetlb_status.h"

/* /proc/self/status is ~1.4 KB on current kernels; twice a page leaves room
 * for kernels that add lines, and a truncated read still finds the key as
 * long as its line comes before the cut ("HugetlbPages" is mid-file). */
#define STATUS_BUF_BYTES 8192

static bool starts_with(const char *p, const char *end, const char *prefix)
{
    for (; *prefix; prefix++, p++)
        if (p >= end || *p != *prefix) return false;
    return true;
}

int64_t ab_status_field_kb(const char *text, size_t len, const char *key)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        /* p is at the start of a line. */
        if (starts_with(p, end, key)) {
            const char *q = p;
            for (const char *k = key; *k; k++) q++;
            if (q < end && *q == ':') {
                q++;
                while (q < end && (*q == ' ' || *q == '\t')) q++;
                if (q >= end || *q < '0' || *q > '9') return -1;
                int64_t v = 0;
                while (q < end && *q >= '0' && *q <= '9') v = v * 10 + (*q++ - '0');
                return v;
            }
        }
        while (p < end && *p != '\n') p++;
        p++;
    }
    return -1;
}

int ab_hugetlb_meter_open(ab_hugetlb_meter *m)
{
    atomic_init(&m->peak_kb, -1);
    m->status_fd = open(AB_PROC_SELF_STATUS, O_RDONLY | O_CLOEXEC);
    return m->status_fd >= 0 ? 0 : -1;
}

int64_t ab_hugetlb_meter_read(ab_hugetlb_meter *m)
{
    if (m->status_fd < 0) return -1;
    int saved = errno;
    char buf[STATUS_BUF_BYTES];
    size_t have = 0;
    /* seq_file serves the text in pieces only if the buffer is short; read
     * until EOF or full so the key is never cut off by a short read. */
    while (have < sizeof buf) {
        ssize_t got = pread(m->status_fd, buf + have, sizeof buf - have, (off_t)have);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        have += (size_t)got;
    }
    errno = saved;
    int64_t kb = ab_status_field_kb(buf, have, "HugetlbPages");
    if (kb < 0) return -1;
    int_fast64_t seen = atomic_load(&m->peak_kb);
    while (kb > seen && !atomic_compare_exchange_weak(&m->peak_kb, &seen, kb)) {}
    return kb;
}

int64_t ab_hugetlb_meter_peak(ab_hugetlb_meter *m)
{
    return atomic_load(&m->peak_kb);
}

void ab_hugetlb_meter_close(ab_hugetlb_meter *m)
{
    if (m->status_fd >= 0) close(m->status_fd);
    m->status_fd = -1;
}
