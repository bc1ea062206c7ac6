/*
 * runner.h -- execute a plan's schedule, one isolated process per sample.
 *
 * `run` mode: fork; the child runs the sample (child.h) and sends its JSON
 * through a pipe.  `exec` mode: fork+exec the variant's command with counters
 * attached to it (enable_on_exec) and measure it from outside.
 *
 * Whatever a sample does -- crash, hang, exit non-zero, print garbage -- it
 * becomes a recorded failed sample and the schedule goes on.  A sample gets
 * plan->timeout_s seconds; then its process group is SIGKILLed.
 *
 * To keep the parent's memory (which every forked child starts with, and
 * which therefore shows in the child's RSS) flat across the run, sample JSON
 * is spooled to an unlinked temporary file and only the small record below
 * stays in memory.
 */
#ifndef AB_RUNNER_H
#define AB_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <jansson.h>
#include "harness/run/plan.h"
#include "harness/results/schema.h"
#include "harness/run/target_ci.h"


typedef struct ab_sample_record {
    bool ran;
    ab_sample_status status;
    char reason[200];
    int signal;                 /* crashed: the signal, else 0 */
    int exit_code;              /* exited: the status, else -1 */
    long json_off;              /* the sample's JSON in the spool, if json_len > 0 */
    size_t json_len;
    bool have_rusage;
    struct rusage ru;           /* wait4() of the whole child */
    int64_t elapsed_ns;         /* fork to reap, as the parent saw it */
} ab_sample_record;

typedef struct ab_run_record {
    ab_sample_record *samples;  /* indexed like plan->schedule */
    size_t n_samples;
    FILE *spool;
    bool interrupted;           /* SIGINT/SIGTERM/SIGHUP stopped the schedule */
    int interrupt_signal;
    double total_wall_s;
    /* Measured rounds completed (all of them without --target-ci), and why
     * a --target-ci run stopped (target_ci.h). */
    int rounds_run;
    ab_ci_stop ci_stop;
    /* --target-ci only, else NULL: each ok sample's wall_ns as it arrived,
     * NaN for the others; indexed like samples.  Allocated only then, so a
     * run without --target-ci lays out the driver's memory -- which every
     * forked child inherits, and with it where the model's arenas land and
     * how many pools they lose to alignment -- exactly as before (the CI
     * baseline's arena counts depend on it). */
    double *wall_ns;
} ab_run_record;

/* SIGINT/SIGTERM/SIGHUP set a flag that stops the schedule after killing the
 * running sample; call before anything that needs undoing (e.g. the huge
 * page pool), so the undo runs on the normal path. */
void ab_runner_install_interrupt_handlers(void);
/* 0 if no interrupt arrived, else the signal number. */
int ab_runner_interrupted(void);

/* Run every slot; 0, or -1 if the runner itself could not work (no spool,
 * no fork) with a message on stderr.  rec is filled either way. */
int ab_runner_run(const ab_plan *plan, ab_run_record *rec);

/* The sample's JSON (new reference) or NULL if it sent none. */
json_t *ab_run_record_sample_json(const ab_run_record *rec, size_t i);
void ab_run_record_free(ab_run_record *rec);

#endif
