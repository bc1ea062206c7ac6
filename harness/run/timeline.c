/*
 * timeline.c -- see timeline.h for what is recorded and what it costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "harness/run/timeline.h"
#include "harness/results/schema.h"

/* The SIGALRM handler needs to find the timeline; a sample's child has at
 * most one, so this is the one piece of process-wide state here. */
static ab_timeline *ticking_timeline;
static struct sigaction previous_alrm;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Resident pages are the second field of /proc/self/statm.  Parsed by hand
 * because sscanf is not async-signal-safe. */
static int64_t read_rss_kb(const ab_timeline *tl)
{
    char buf[128];
    ssize_t got = pread(tl->statm_fd, buf, sizeof buf - 1, 0);
    if (got <= 0) return -1;
    buf[got] = 0;
    const char *p = buf;
    while (*p && *p != ' ') p++;
    if (*p != ' ') return -1;
    p++;
    int64_t pages = 0;
    if (*p < '0' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9') pages = pages * 10 + (*p++ - '0');
    return pages * tl->page_kb;
}

static void record(ab_timeline *tl, ab_tl_event ev, int64_t arenas)
{
    size_t i = atomic_fetch_add(&tl->n, 1);
    if (i >= tl->capacity) return; /* counted as dropped */
    ab_tl_record *r = &tl->rec[i];
    r->t_ns = now_ns() - tl->t0_ns;
    r->rss_kb = read_rss_kb(tl);
    r->hugetlb_kb = tl->hugetlb ? ab_hugetlb_meter_read(tl->hugetlb) : 0;
    r->arenas = (int32_t)arenas;
    r->event = ev;
}

void ab_timeline_record(ab_timeline *tl, ab_tl_event ev)
{
    if (tl && tl->rec) record(tl, ev, atomic_load(&tl->arenas));
}

void ab_timeline_arena_hook(void *arg, int mapped, int64_t arenas_current)
{
    ab_timeline *tl = arg;
    atomic_store(&tl->arenas, arenas_current);
    record(tl, mapped ? AB_TL_MAP : AB_TL_UNMAP, arenas_current);
}

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    ab_timeline *tl = ticking_timeline;
    if (tl) record(tl, AB_TL_TICK, atomic_load(&tl->arenas));
    errno = saved;
}

int ab_timeline_start(ab_timeline *tl, size_t capacity, int interval_ms)
{
    memset(tl, 0, sizeof *tl);
    tl->statm_fd = -1;
    atomic_init(&tl->n, 0);
    atomic_init(&tl->arenas, -1);
    tl->capacity = capacity;
    tl->interval_ms = interval_ms;
    tl->page_kb = sysconf(_SC_PAGESIZE) / 1024;
    tl->rec = mmap(NULL, capacity * sizeof *tl->rec, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (tl->rec == MAP_FAILED) {
        tl->rec = NULL;
        return -1;
    }
    tl->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (tl->statm_fd < 0) {
        ab_timeline_free(tl);
        return -1;
    }
    tl->t0_ns = now_ns();
    if (interval_ms > 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ticking_timeline = tl;
        if (sigaction(SIGALRM, &sa, &previous_alrm) != 0) {
            ticking_timeline = NULL;
            ab_timeline_free(tl);
            return -1;
        }
        struct itimerval it = {
            .it_interval = {.tv_sec = interval_ms / 1000, .tv_usec = (interval_ms % 1000) * 1000},
            .it_value = {.tv_sec = interval_ms / 1000, .tv_usec = (interval_ms % 1000) * 1000},
        };
        setitimer(ITIMER_REAL, &it, NULL);
        tl->ticking = true;
    }
    return 0;
}

void ab_timeline_stop(ab_timeline *tl)
{
    if (!tl->ticking) return;
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &previous_alrm, NULL);
    ticking_timeline = NULL;
    tl->ticking = false;
}

static const char *const event_names[] = {"map", "unmap", "tick", "begin", "end"};

static json_t *int_or_null(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

json_t *ab_timeline_json(ab_timeline *tl)
{
    ab_timeline_stop(tl);
    size_t claimed = atomic_load(&tl->n);
    size_t n = claimed < tl->capacity ? claimed : tl->capacity;
    /* Insertion sort: the records are in time order except where a tick
     * interrupted a hook record, so this is linear in practice. */
    for (size_t i = 1; i < n; i++) {
        ab_tl_record r = tl->rec[i];
        size_t j = i;
        while (j > 0 && tl->rec[j - 1].t_ns > r.t_ns) {
            tl->rec[j] = tl->rec[j - 1];
            j--;
        }
        tl->rec[j] = r;
    }
    json_t *t = json_array(), *rss = json_array(), *huge = json_array(), *ar = json_array(), *ev = json_array();
    for (size_t i = 0; i < n; i++) {
        const ab_tl_record *r = &tl->rec[i];
        json_array_append_new(t, json_integer(r->t_ns));
        json_array_append_new(rss, int_or_null(r->rss_kb));
        json_array_append_new(huge, int_or_null(r->hugetlb_kb));
        json_array_append_new(ar, int_or_null(r->arenas));
        json_array_append_new(ev, json_string(event_names[r->event]));
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:i, s:I, s:b}", AB_KEY_TL_T_NS, t, AB_KEY_TL_RSS_KB, rss,
                     AB_KEY_TL_HUGETLB_KB, huge, AB_KEY_TL_ARENAS, ar, AB_KEY_TL_EVENT, ev, AB_KEY_TL_INTERVAL_MS,
                     tl->interval_ms, "dropped", (json_int_t)(claimed - n), AB_KEY_TL_HUGETLB_SAMPLED,
                     tl->hugetlb != NULL);
}

void ab_timeline_free(ab_timeline *tl)
{
    ab_timeline_stop(tl);
    if (tl->rec) munmap(tl->rec, tl->capacity * sizeof *tl->rec);
    if (tl->statm_fd >= 0) close(tl->statm_fd);
    tl->rec = NULL;
    tl->statm_fd = -1;
}
