/*
 * testutil.h -- helpers shared by the cmocka tests (header-only, so each test
 * program links just its own object and libarenabench.a).
 *
 * The runner (tests/run.sh) exports AB_ARENABENCH (the driver built in the
 * same flavour as the test), AB_FLAVOUR (normal | asan) and AB_SOURCE_DIR.
 */
#ifndef AB_TESTUTIL_H
#define AB_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *ab_test_arenabench(void)
{
    const char *p = getenv("AB_ARENABENCH");
    return p ? p : "build/arenabench";
}

static inline bool ab_test_is_asan(void)
{
    const char *f = getenv("AB_FLAVOUR");
    return f && !strcmp(f, "asan");
}

/* Read a stream to its end into a NUL-terminated heap string (NULL if out
 * of memory); the stream stays open. */
static inline char *ab_test_slurp_stream(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            else buf = nb;
        }
    }
    if (buf) buf[len] = 0;
    return buf;
}

/* Slurp a whole file into a NUL-terminated heap string (NULL on error). */
static inline char *ab_test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = ab_test_slurp_stream(f);
    fclose(f);
    return buf;
}

/*
 * Run "arenabench ARGS" through the shell; returns its exit status (128+sig
 * if killed).  If out/err are non-NULL they receive its stdout/stderr
 * (caller frees).
 */
static inline int ab_test_run_arenabench(const char *args, char **out, char **err)
{
    char outp[] = "/tmp/abtest-out-XXXXXX", errp[] = "/tmp/abtest-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    if (ofd < 0 || efd < 0) return -1;
    size_t len = strlen(args) + strlen(ab_test_arenabench()) + 2 * sizeof outp + 32;
    char *cmd = malloc(len);
    snprintf(cmd, len, "%s %s >%s 2>%s", ab_test_arenabench(), args, outp, errp);
    int st = system(cmd);
    free(cmd);
    if (out) *out = ab_test_slurp(outp);
    if (err) *err = ab_test_slurp(errp);
    close(ofd); close(efd);
    unlink(outp); unlink(errp);
    if (st == -1) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

#endif
