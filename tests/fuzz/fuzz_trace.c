/*
 * fuzz_trace.c -- libFuzzer target for the arenatrace reader and replay
 * (`make fuzz-trace`, needs clang; the cmocka fuzzer in tests/test_trace.c
 * runs regardless).  Every input the reader accepts is iterated and
 * replayed through a budgeted allocator, so a size field can never make
 * the replay allocate without bound.
 *
 *   make fuzz-trace && build/fuzz/trace_fuzzer -max_total_time=60 tests/corpus/trace
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/trace/replay.h"
#include "workloads/trace/trace_format.h"
#include "tests/fuzz/budget_alloc.h"

/* One block may take 1/64 of the budget (1 MiB): enough for any real
 * pymalloc or list-array request, far below what a corrupt size asks for. */
#define FUZZ_BUDGET_BYTES ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ab_trace t;
    char err[256];
    if (ab_trace_load_buffer(data, size, &t, err, sizeof err)) {
        if (!err[0]) abort();   /* every rejection names its reason */
        return 0;
    }
    ab_trace_cursor c;
    ab_trace_rec r;
    uint64_t n = 0;
    int more;
    ab_trace_cursor_init(&c, &t);
    while ((more = ab_trace_next(&c, &r)) == 1) n++;
    if (more != 0 || n != t.n_records) abort();
    ab_budget b;
    ab_allocator a = ab_budget_allocator(&b, FUZZ_BUDGET_BYTES);
    ab_wl_ctx ctx = {.alloc = &a, .scale = 1.0};
    if (ab_replay_run(&t, &ctx, NULL) && !ctx.error[0]) abort();
    if (b.live_blocks) abort();   /* teardown frees everything */
    ab_trace_free(&t);
    return 0;
}
