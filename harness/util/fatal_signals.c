/*
 * fatal_signals.c -- the default-fatal signals (see fatal_signals.h).
 */
#include <signal.h>
#include "harness/util/fatal_signals.h"

/* signal(7), x86-64 and arm64 Linux: every non-real-time signal whose
 * default action is Term or Core, minus the synchronous faults below and the
 * two that cannot be caught. */
static const int async_signals[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
#ifdef SIGSTKFLT
    SIGSTKFLT,
#endif
    SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
#ifdef SIGPWR
    SIGPWR,
#endif
};

static const int sync_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT};

void ab_fatal_async_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof async_signals / sizeof async_signals[0]; i++) sigaddset(set, async_signals[i]);
    /* Real-time signals terminate by default too. */
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++) sigaddset(set, s);
}

const int *ab_fatal_sync_signals(size_t *n)
{
    *n = sizeof sync_signals / sizeof sync_signals[0];
    return sync_signals;
}

void ab_fatal_signals_reset_in_child(void)
{
    sigset_t async;
    ab_fatal_async_set(&async);
    for (int s = 1; s <= SIGRTMAX; s++)
        if (sigismember(&async, s) == 1) signal(s, SIG_DFL);
    size_t n;
    const int *sync = ab_fatal_sync_signals(&n);
    for (size_t i = 0; i < n; i++) signal(sync[i], SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
