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
    const char *act = ctx->param ? ctx->param : "empty";
    if (!strcmp(act, "empty")) {
        ab_wl_begin(ctx);
        ab_wl_end(ctx);
        return 0;
    }
    if (!strncmp(act, "touch", 5) && (act[5] == 0 || act[5] == ':')) {
        long pages = act[5] ? strtol(act + 6, NULL, 10) : TOUCH_DEFAULT_PAGES;
        if (pages < 1) {
            strcpy(ctx->error, "selftest:touch:N needs N >= 1");
            return -1;
        }
        return touch_pages(ctx, pages);
    }
    if (!strncmp(act, "sleep", 5) && (act[5] == 0 || act[5] == ':')) {
        long ms = act[5] ? strtol(act + 6, NULL, 10) : SLEEP_DEFAULT_MS;
        ab_wl_begin(ctx);
        /* The timeline's SIGALRM interrupts nanosleep (never restarted), so
         * sleep until the deadline rather than for a duration. */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {}
        ab_wl_end(ctx);
        ab_wl_mix(ctx, (uint64_t)ms);
        return 0;
    }
    if (!strcmp(act, "crash")) {
        ab_wl_begin(ctx);
        /* Bypass any SIGSEGV handler (ASan's turns the signal into exit(1)),
         * so the harness sees what a real crash looks like. */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        ab_wl_end(ctx);
        return 0;
    }
    if (!strcmp(act, "hang")) {
        ab_wl_begin(ctx);
        for (;;) pause();
    }
    if (!strcmp(act, "fail")) {
        strcpy(ctx->error, "selftest:fail fails on purpose");
        return -1;
    }
    if (!strcmp(act, "badsum")) {
        ab_wl_begin(ctx);
        void *p = ab_wl_malloc(ctx, 64);
        ab_wl_free(ctx, p);
        ab_wl_end(ctx);
        for (const char *c = ctx->alloc->name ? ctx->alloc->name : ""; *c; c++) ab_wl_mix(ctx, (unsigned char)*c);
        return 0;
    }
    snprintf(ctx->error, sizeof ctx->error, "unknown selftest '%s' (empty, touch[:N], sleep[:MS], crash, hang, fail, badsum)", act);
    return -1;
}

static const ab_workload selftest = {
    .name = "selftest",
    .description = "harness self-tests: selftest:empty|touch[:N]|sleep[:MS]|crash|hang|fail|badsum",
    .in_default_matrix = false,
    .python_source = NULL,
    .run = run_selftest,
};

const ab_workload *const ab_family_selftest[] = {&selftest, NULL};
