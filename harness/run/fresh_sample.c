/* fresh_sample.c -- see fresh_sample.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/run/fresh_sample.h"

#define FRESH_SAMPLE_ENV "AB_FRESH_SAMPLE"
/* Fixed width, so every sample's environment (which lies on the stack
 * under argv) has the same size and the stack the same address. */
#define FRESH_SAMPLE_FMT "%010zu:%05d"

_Noreturn void ab_fresh_sample_exec(const ab_plan *plan, const ab_slot *slot, int out_fd)
{
    char value[32];
    snprintf(value, sizeof value, FRESH_SAMPLE_FMT, slot->order, out_fd);
    /* The pipe was made close-on-exec for the driver's other children. */
    int flags = fcntl(out_fd, F_GETFD);
    if (flags < 0 || fcntl(out_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0 || setenv(FRESH_SAMPLE_ENV, value, 1) < 0) {
        perror("arenabench: fresh sample");
        _exit(127);
    }
    char **args = calloc((size_t)plan->argc + 2, sizeof *args);
    if (args) {
        args[0] = "arenabench";
        for (int i = 0; i < plan->argc; i++) args[i + 1] = plan->argv[i];
        execv("/proc/self/exe", args);
    }
    perror("arenabench: fresh sample: exec /proc/self/exe");
    _exit(127);
}

bool ab_fresh_sample_requested(const ab_plan *plan, size_t *slot, int *out_fd)
{
    const char *v = getenv(FRESH_SAMPLE_ENV);
    size_t order;
    int fd;
    if (!v || sscanf(v, "%zu:%d", &order, &fd) != 2 || order >= plan->n_slots) return false;
    /* schedule[i].order == i (plan.c builds it so). */
    *slot = order;
    *out_fd = fd;
    return true;
}
