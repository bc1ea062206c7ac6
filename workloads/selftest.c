/*
 * selftest.c -- workloads that test the harness, not allocators; never in
 * the default matrix.  One workload, "selftest", whose param picks the act:
 *
 *   selftest:empty      an empty measured phase (harness overhead per sample)
 *   selftest:touch[:N]  touches N fresh 4 KiB pages (default 1000) inside the
 *                       measured phase: exactly N minor faults, for checking
 *                       the page-fault counters
 *   selftest:sleep[:MS] sleeps MS milliseconds (default 50) inside the
 *                       measured phase (timeline ticks, wall time)
 *   selftest:crash      raises SIGSEGV inside the measured phase
 *   selftest:hang       never returns (for the timeout)
 *   selftest:fail       returns an error (a "failed" sample)
 *   selftest:badsum     checksum depends on the variant (a correctness failure)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "workloads/families.h"

#define TOUCH_DEFAULT_PAGES 1000
#define SMALL_PAGE 4096
#define SLEEP_DEFAULT_MS 50
/* Bounds a typo should not pass: 16 GiB of touched pages, a day of sleep. */
#define TOUCH_MAX_PAGES (1L << 22)
#define SLEEP_MAX_MS (24L * 3600 * 1000)

typedef enum { ACT_EMPTY, ACT_TOUCH, ACT_SLEEP, ACT_CRASH, ACT_HANG, ACT_FAIL, ACT_BADSUM } selftest_act;

static const struct {
    const char *name;
    selftest_act act;
    long dflt, min, max;   /* the optional ":N" (max 0: takes none) */
} acts[] = {
    {"empty", ACT_EMPTY, 0, 0, 0},
    {"touch", ACT_TOUCH, TOUCH_DEFAULT_PAGES, 1, TOUCH_MAX_PAGES},
    {"sleep", ACT_SLEEP, SLEEP_DEFAULT_MS, 0, SLEEP_MAX_MS},
    {"crash", ACT_CRASH, 0, 0, 0},
    {"hang", ACT_HANG, 0, 0, 0},
    {"fail", ACT_FAIL, 0, 0, 0},
    {"badsum", ACT_BADSUM, 0, 0, 0},
};

#define SELFTEST_GRAMMAR "empty, touch[:N] (N in 1..4194304), sleep[:MS] (MS in 0..86400000), crash, hang, fail, badsum"

/* The one parser of a selftest param, for the up-front check and the run. */
static int parse_act(const char *param, selftest_act *act, long *n, char *err, size_t errlen)
{
    const char *text = param ? param : "empty";
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        size_t len = strlen(acts[i].name);
        if (strncmp(text, acts[i].name, len) || (text[len] && text[len] != ':')) continue;
        *act = acts[i].act;
        *n = acts[i].dflt;
        if (!text[len]) return 0;
        char *end;
        errno = 0;
        long v = strtol(text + len + 1, &end, 10);
        if (acts[i].max > 0 && text[len + 1] && !*end && !errno && v >= acts[i].min && v <= acts[i].max) {
            *n = v;
            return 0;
        }
        break;
    }
    snprintf(err, errlen, "unknown or malformed selftest '%s' (%s)", text, SELFTEST_GRAMMAR);
    return -1;
}

static int check_selftest(const char *param, char *err, size_t errlen)
{
    selftest_act act;
    long n;
    return parse_act(param, &act, &n, err, errlen);
}

/*
 * The pages come from a private anonymous mapping of their own, not from the
 * allocator under test, so the fault count does not depend on the variant:
 * MADV_NOHUGEPAGE keeps THP from backing them with 2 MiB pages (one fault).
 */
static int touch_pages(ab_wl_ctx *ctx, long pages)
{
    size_t len = (size_t)pages * SMALL_PAGE;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        strcpy(ctx->error, "mmap failed");
        return -1;
    }
    madvise(p, len, MADV_NOHUGEPAGE);
    ab_wl_begin(ctx);
    for (long i = 0; i < pages; i++) p[(size_t)i * SMALL_PAGE] = (unsigned char)i;
    ab_wl_end(ctx);
    for (long i = 0; i < pages; i++) ab_wl_mix(ctx, p[(size_t)i * SMALL_PAGE]);
    munmap(p, len);
    return 0;
}

static int run_selftest(ab_wl_ctx *ctx)
{
    selftest_act act;
    long n;
    if (parse_act(ctx->param, &act, &n, ctx->error, sizeof ctx->error)) return -1;
    switch (act) {
    case ACT_EMPTY:
        ab_wl_begin(ctx);
        ab_wl_end(ctx);
        return 0;
    case ACT_TOUCH:
        return touch_pages(ctx, n);
    case ACT_SLEEP: {
        ab_wl_begin(ctx);
        /* The timeline's SIGALRM interrupts nanosleep (never restarted), so
         * sleep until the deadline rather than for a duration. */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += n / 1000;
        until.tv_nsec += (n % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {}
        ab_wl_end(ctx);
        ab_wl_mix(ctx, (uint64_t)n);
        return 0;
    }
    case ACT_CRASH:
        ab_wl_begin(ctx);
        /* Bypass any SIGSEGV handler (ASan's turns the signal into exit(1)),
         * so the harness sees what a real crash looks like. */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        ab_wl_end(ctx);
        return 0;
    case ACT_HANG:
        ab_wl_begin(ctx);
        for (;;) pause();
    case ACT_FAIL:
        strcpy(ctx->error, "selftest:fail fails on purpose");
        return -1;
    case ACT_BADSUM: {
        ab_wl_begin(ctx);
        void *p = ab_wl_malloc(ctx, 64);
        ab_wl_free(ctx, p);
        ab_wl_end(ctx);
        for (const char *c = ctx->alloc->name ? ctx->alloc->name : ""; *c; c++) ab_wl_mix(ctx, (unsigned char)*c);
        return 0;
    }
    }
    return -1;
}

static const ab_workload selftest = {
    .name = "selftest",
    .description = "harness self-tests: selftest:empty|touch[:N]|sleep[:MS]|crash|hang|fail|badsum",
    .in_default_matrix = false,
    .python_source = NULL,
    .run = run_selftest,
    .check_param = check_selftest,
};

const ab_workload *const ab_family_selftest[] = {&selftest, NULL};
