/*
 * fatal_signals.h -- the signals whose default action ends the process
 * (signal(7): "Term" and "Core"), split by how the driver survives them.
 *
 * Asynchronous ones (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2, SIGPIPE,
 * SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT and
 * the real-time signals) are sent from outside or by a resource limit: the
 * driver catches them into a flag, stops the schedule, puts everything back
 * on its normal path and exits 128+signal.
 *
 * Synchronous ones (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
 * SIGABRT) mean the driver itself is broken at that instruction: blocking
 * them is impossible, so a handler undoes what cannot wait (the huge page
 * pool) with async-signal-safe calls and re-raises.
 *
 * SIGKILL and SIGSTOP cannot be caught; that is what `arenabench hugepages
 * --restore` is for.
 */
#ifndef AB_FATAL_SIGNALS_H
#define AB_FATAL_SIGNALS_H

#include <signal.h>
#include <stddef.h>

/* Fill set with every asynchronous default-fatal signal. */
void ab_fatal_async_set(sigset_t *set);

/* The synchronous ones, as an array (n written to *n). */
const int *ab_fatal_sync_signals(size_t *n);

/* In a freshly forked child: every default-fatal signal back to SIG_DFL and
 * nothing blocked, so a sample or an exec'ed command is killable as usual. */
void ab_fatal_signals_reset_in_child(void);

#endif
