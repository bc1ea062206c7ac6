/*
 * builds.c -- resolve `--build` sources to binaries (see builds.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/run/builds.h"
#include "harness/util/mkdirs.h"

/* Parallel jobs for building a ref: the machines this runs on have 2 cores. */
#define AB_BUILD_MAKE_JOBS "-j2"
/* The binary a checkout's Makefile builds (Makefile: $(BUILD)/arenabench). */
#define AB_BUILD_BINARY "build/arenabench"

bool ab_build_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/*
 * Run argv; its stdout goes to out (NUL-terminated, trailing newline
 * stripped) when out is non-NULL, else with its stderr to log_fd (or
 * /dev/null when log_fd < 0).  Returns the exit status, or -1.
 */
static int run_argv(char *const argv[], const char *dir, int log_fd, char *out, size_t outlen)
{
    int fds[2] = {-1, -1};
    if (out && pipe2(fds, O_CLOEXEC) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        if (out) {
            close(fds[0]);
            close(fds[1]);
        }
        return -1;
    }
    if (pid == 0) {
        int sink = log_fd >= 0 ? log_fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(out ? fds[1] : sink, STDOUT_FILENO);
        dup2(sink, STDERR_FILENO);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) dup2(null, STDIN_FILENO);
        if (dir && chdir(dir) != 0) _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (out) {
        close(fds[1]);
        size_t len = 0;
        ssize_t got;
        while (len + 1 < outlen && ((got = read(fds[0], out + len, outlen - 1 - len)) > 0 || (got < 0 && errno == EINTR)))
            if (got > 0) len += (size_t)got;
        char sink[256];
        while (read(fds[0], sink, sizeof sink) > 0) {}
        close(fds[0]);
        out[len] = 0;
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r')) out[--len] = 0;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int fail(char *err, size_t errlen, const char *msg, const char *arg)
{
    snprintf(err, errlen, msg, arg);
    return -1;
}

/* The binary must speak the sample protocol this driver speaks. */
static int probe(const char *path, char *err, size_t errlen)
{
    if (access(path, X_OK) != 0) {
        snprintf(err, errlen, "'%s' is not an executable file: %s", path, strerror(errno));
        return -1;
    }
    char *argv[] = {(char *)path, AB_SAMPLE_COMMAND, "--protocol", NULL};
    char out[64];
    int rc = run_argv(argv, NULL, -1, out, sizeof out);
    char want[16];
    snprintf(want, sizeof want, "%d", AB_SAMPLE_PROTOCOL);
    if (rc != 0 || strcmp(out, want) != 0) {
        snprintf(err, errlen, "'%s' has no '%s' entry point speaking protocol %s (an arenabench older than "
                              "--build, or not arenabench at all)", path, AB_SAMPLE_COMMAND, want);
        return -1;
    }
    return 0;
}

static int cache_root(char *buf, size_t len)
{
    const char *c = getenv("AB_BUILD_CACHE");
    if (c && *c) return snprintf(buf, len, "%s", c) < (int)len ? 0 : -1;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg) return snprintf(buf, len, "%s/arenabench/builds", xdg) < (int)len ? 0 : -1;
    if (home && *home) return snprintf(buf, len, "%s/.cache/arenabench/builds", home) < (int)len ? 0 : -1;
    return -1;
}

/*
 * Check out `commit` of `repo` into cache/COMMIT (once) and make the binary
 * there.  A lock file per commit serialises concurrent runs that want the
 * same build; make is rerun every time, which is a no-op once built and
 * finishes an interrupted build.
 */
static int build_commit(const char *repo, const char *commit, bool verbose, char **path, char *err, size_t errlen)
{
    /* dir = root/COMMIT; log and lock add a suffix to dir. */
    char root[PATH_MAX - 256], dir[PATH_MAX - 128], log[PATH_MAX], lock[PATH_MAX];
    if (cache_root(root, sizeof root) != 0) return fail(err, errlen, "no build cache directory (set AB_BUILD_CACHE)%s", "");
    if (ab_mkdirs(root) != 0) return fail(err, errlen, "cannot create the build cache '%s'", root);
    snprintf(dir, sizeof dir, "%s/%.64s", root, commit);
    snprintf(log, sizeof log, "%s.log", dir);
    snprintf(lock, sizeof lock, "%s.lock", dir);
    int lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0) {
        if (lock_fd >= 0) close(lock_fd);
        return fail(err, errlen, "cannot lock '%s'", lock);
    }
    int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int rc = 0;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (verbose) fprintf(stderr, "arenabench run: checking out %.12s into %s\n", commit, dir);
        char *add[] = {"git", "-C", (char *)repo, "worktree", "add", "--detach", "--force", dir, (char *)commit, NULL};
        if (run_argv(add, NULL, log_fd, NULL, 0) != 0) {
            snprintf(err, errlen, "git worktree add of %.12s into %s failed (log: %s)", commit, dir, log);
            rc = -1;
        }
    }
    if (rc == 0) {
        char binary[PATH_MAX + 32];
        snprintf(binary, sizeof binary, "%s/%s", dir, AB_BUILD_BINARY);
        if (verbose && access(binary, X_OK) != 0)
            fprintf(stderr, "arenabench run: building %.12s (make %s, log in %s)\n", commit, AB_BUILD_BINARY, log);
        char *make[] = {"make", "-C", dir, AB_BUILD_MAKE_JOBS, AB_BUILD_BINARY, NULL};
        if (run_argv(make, NULL, log_fd, NULL, 0) != 0) {
            snprintf(err, errlen, "building %.12s failed: make -C %s %s (log: %s)", commit, dir, AB_BUILD_BINARY, log);
            rc = -1;
        } else if (!(*path = strdup(binary))) {
            rc = fail(err, errlen, "out of memory%s", "");
        }
    }
    if (log_fd >= 0) close(log_fd);
    close(lock_fd);
    return rc;
}

static int resolve_git(const char *ref, bool verbose, char **path, char **commit, char *err, size_t errlen)
{
    char repo[PATH_MAX], id[128], spec[512];
    char *top[] = {"git", "rev-parse", "--show-toplevel", NULL};
    if (!*ref) return fail(err, errlen, "git: needs a ref (a branch, tag or commit)%s", "");
    if (run_argv(top, NULL, -1, repo, sizeof repo) != 0 || !*repo)
        return fail(err, errlen, "the current directory is not in a git repository, so '%s' cannot be resolved", ref);
    snprintf(spec, sizeof spec, "%s^{commit}", ref);
    char *parse[] = {"git", "-C", repo, "rev-parse", "--verify", "--quiet", spec, NULL};
    if (run_argv(parse, NULL, -1, id, sizeof id) != 0 || !*id) {
        snprintf(err, errlen, "'%s' is not a commit in the git repository %s", ref, repo);
        return -1;
    }
    if (!(*commit = strdup(id))) return fail(err, errlen, "out of memory%s", "");
    return build_commit(repo, id, verbose, path, err, errlen);
}

int ab_build_resolve(const char *source, bool verbose, char **path, char **commit, char *err, size_t errlen)
{
    *path = *commit = NULL;
    size_t plen = strlen(AB_BUILD_GIT_PREFIX);
    int rc;
    if (!strncmp(source, AB_BUILD_GIT_PREFIX, plen)) {
        rc = resolve_git(source + plen, verbose, path, commit, err, errlen);
    } else {
        *path = realpath(source, NULL);
        rc = *path ? 0 : -1;
        if (rc) snprintf(err, errlen, "'%s': %s", source, strerror(errno));
    }
    if (rc == 0) rc = probe(*path, err, errlen);
    if (rc != 0) {
        free(*path);
        free(*commit);
        *path = *commit = NULL;
    }
    return rc;
}
