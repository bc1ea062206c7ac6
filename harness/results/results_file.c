/*
 * results_file.c -- check --out, write results atomically, rescue them when
 * that fails (see results_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "harness/results/results_file.h"
#include "harness/util/mkdirs.h"

#define RESCUE_EXTENSION ".json"

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISLNK(m)) return "a symbolic link";
    return "not a regular file";
}

/* The file that will really be replaced: path itself, or for a symbolic
 * link to a regular file, the file it names.  Heap string or NULL (errno). */
static char *resolve_target(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) return realpath(path, NULL);
    return strdup(path);
}

/* Split path into a heap directory ("." if none) and its last component. */
static char *dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* The deepest existing ancestor of dir (dir itself if it exists): heap. */
static char *existing_ancestor(const char *dir)
{
    char *d = strdup(dir);
    struct stat st;
    while (d && lstat(d, &st) != 0) {
        char *slash = strrchr(d, '/');
        if (!slash) {
            strcpy(d, ".");
            break;
        }
        if (slash == d) slash[1] = 0;
        else *slash = 0;
    }
    return d;
}

static int check_dir(const char *path, const char *dir, char *err, size_t errlen)
{
    char *anc = existing_ancestor(dir);
    if (!anc) {
        snprintf(err, errlen, "'%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (stat(anc, &st) != 0) {
        snprintf(err, errlen, "'%s': %s", anc, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot put '%s' under '%s': that is %s, not a directory", path, anc,
                 kind_of(st.st_mode));
    } else if (access(anc, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "cannot write in directory '%s': %s", anc, strerror(errno));
    } else {
        long name_max = pathconf(anc, _PC_NAME_MAX);
        if (name_max <= 0) name_max = NAME_MAX;
        const char *base;
        char *d = dir_of(path, &base);
        size_t room = (size_t)name_max - strlen(AB_OUT_TMP_SUFFIX);
        struct statvfs vfs;
        if (d && strlen(base) > room) {
            snprintf(err, errlen, "'%s': file name too long: %zu characters, the limit here is %zu "
                     "(%ld minus the temporary suffix)", path, strlen(base), room, name_max);
        } else if (statvfs(anc, &vfs) == 0 && (geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) == 0) {
            snprintf(err, errlen, "no space left on the file system of '%s'", anc);
        } else {
            rc = 0;
        }
        free(d);
    }
    free(anc);
    return rc;
}

int ab_out_check(const char *path, char *err, size_t errlen)
{
    if (!strcmp(path, AB_OUT_STDOUT)) return 0;
    if (!*path) {
        snprintf(err, errlen, "--out needs a file name (or - for standard output)");
        return -1;
    }
    if (strlen(path) >= PATH_MAX) {
        snprintf(err, errlen, "--out: path too long: %zu characters, the limit is %d", strlen(path), PATH_MAX - 1);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            struct stat to;
            if (stat(path, &to) != 0) {
                snprintf(err, errlen, "'%s' is a symbolic link to nothing usable (%s); not replacing it", path,
                         strerror(errno));
                return -1;
            }
            if (!S_ISREG(to.st_mode)) {
                snprintf(err, errlen, "'%s' is a symbolic link to %s; results go only to a regular file "
                         "(\"-\" means standard output)", path, kind_of(to.st_mode));
                return -1;
            }
        } else if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "'%s' is %s; results go only to a regular file "
                     "(\"-\" means standard output)", path, kind_of(st.st_mode));
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "'%s': %s", path, strerror(errno));
        return -1;
    }
    char *target = resolve_target(path);
    if (!target) {
        snprintf(err, errlen, "'%s': %s", path, strerror(errno));
        return -1;
    }
    const char *base;
    char *dir = dir_of(target, &base);
    int rc = dir ? check_dir(target, dir, err, errlen) : -1;
    if (!dir) snprintf(err, errlen, "out of memory");
    free(dir);
    free(target);
    return rc;
}

/* ---- writing ---------------------------------------------------------------- */

/* jansson calls the dump callback once per token (millions for a large
 * document): the sink buffers them into few write()s, keeping the first
 * write's errno so the message can give the real reason. */
#define SINK_BUFFER_BYTES (256 * 1024)

typedef struct fd_sink {
    int fd;
    int error;   /* the first write's errno */
    size_t len;
    char buf[SINK_BUFFER_BYTES];
} fd_sink;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int sink_flush(fd_sink *s)
{
    if (s->error) return -1;
    if (s->len && write_all(s->fd, s->buf, s->len) != 0) {
        s->error = errno;
        return -1;
    }
    s->len = 0;
    return 0;
}

static int sink_write(const char *buffer, size_t size, void *data)
{
    fd_sink *s = data;
    if (s->len + size > sizeof s->buf && sink_flush(s) != 0) return -1;
    if (size > sizeof s->buf) {
        if (write_all(s->fd, buffer, size) != 0) {
            s->error = errno;
            return -1;
        }
        return 0;
    }
    memcpy(s->buf + s->len, buffer, size);
    s->len += size;
    return 0;
}

/* Dump doc and a newline to fd, fsync; 0 or an errno value. */
static int dump_to_fd(json_t *doc, int fd)
{
    fd_sink *s = malloc(sizeof *s);
    if (!s) return ENOMEM;
    s->fd = fd;
    s->error = 0;
    s->len = 0;
    int e = 0;
    if (json_dump_callback(doc, sink_write, s, JSON_COMPACT) != 0 || sink_write("\n", 1, s) != 0 ||
        sink_flush(s) != 0)
        e = s->error ? s->error : ENOMEM;
    free(s);
    if (!e && fsync(fd) != 0 && errno != EINVAL) e = errno; /* EINVAL: a pipe or terminal */
    return e;
}


static int write_stdout(json_t *doc, char *err, size_t errlen)
{
    fflush(stdout);
    int e = dump_to_fd(doc, STDOUT_FILENO);
    if (e) snprintf(err, errlen, "cannot write the results to standard output: %s", strerror(e));
    return e ? -1 : 0;
}

int ab_results_write_atomic(const char *path, json_t *doc, char *err, size_t errlen)
{
    if (!strcmp(path, AB_OUT_STDOUT)) return write_stdout(doc, err, errlen);
    char *target = resolve_target(path);
    const char *base;
    char *dir = target ? dir_of(target, &base) : NULL;
    size_t tlen = target ? strlen(target) + sizeof AB_OUT_TMP_SUFFIX : 0;
    char *tmp = target ? malloc(tlen) : NULL;
    if (!target || !dir || !tmp) {
        snprintf(err, errlen, "'%s': %s", path, strerror(errno));
        free(target);
        free(dir);
        free(tmp);
        return -1;
    }
    int rc = -1, fd = -1;
    struct stat st;
    snprintf(tmp, tlen, "%s%s", target, AB_OUT_TMP_SUFFIX);
    if (ab_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create directory '%s': %s", dir, strerror(errno));
    } else if ((fd = mkstemp(tmp)) < 0) {
        snprintf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        *tmp = 0;
    } else {
        int e = fchmod(fd, 0644) != 0 ? errno : dump_to_fd(doc, fd);
        if (!e && close(fd) != 0) e = errno;
        fd = -1;
        if (e) {
            snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(e));
        } else if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
            /* It became something else during the run: never replace that. */
            snprintf(err, errlen, "'%s' is now %s; not replacing it", target, kind_of(st.st_mode));
        } else if (rename(tmp, target) != 0) {
            snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, target, strerror(errno));
        } else {
            /* Make the rename itself durable. */
            int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
            rc = 0;
        }
    }
    if (fd >= 0) close(fd);
    if (rc != 0 && *tmp) unlink(tmp);
    free(target);
    free(dir);
    free(tmp);
    return rc;
}

/* Write doc to a fresh file made from template (mkstemps, RESCUE_EXTENSION
 * suffix); 0 with the name in template, or an errno value. */
static int write_fresh(json_t *doc, char *template)
{
    int fd = mkstemps(template, (int)strlen(RESCUE_EXTENSION));
    if (fd < 0) return errno;
    int e = dump_to_fd(doc, fd);
    if (close(fd) != 0 && !e) e = errno;
    if (e) unlink(template);
    return e;
}

int ab_results_save(const char *path, json_t *doc, char *err, size_t errlen, char *rescued, size_t rescuedlen,
                    char *rescue_err, size_t rescue_errlen)
{
    *rescued = *rescue_err = 0;
    if (ab_results_write_atomic(path, doc, err, errlen) == 0) return 0;
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) tmpdir = P_tmpdir;
    char *candidates[2] = {NULL, NULL};
    if (strcmp(path, AB_OUT_STDOUT) && asprintf(&candidates[0], "%s%s%s", path, AB_OUT_RESCUE_SUFFIX,
                                                RESCUE_EXTENSION) < 0)
        candidates[0] = NULL;
    if (asprintf(&candidates[1], "%s/%s%s", tmpdir, AB_OUT_RESCUE_TMPNAME, RESCUE_EXTENSION) < 0)
        candidates[1] = NULL;
    int rc = -1;
    for (int i = 0; i < 2 && rc != 1; i++) {
        if (!candidates[i]) continue;
        int e = write_fresh(doc, candidates[i]);
        if (e == 0) {
            snprintf(rescued, rescuedlen, "%s", candidates[i]);
            rc = 1;
        } else {
            snprintf(rescue_err, rescue_errlen, "%s", strerror(e));
        }
    }
    free(candidates[0]);
    free(candidates[1]);
    return rc;
}

bool ab_results_save_reported(const char *cmd, const char *path, json_t *doc)
{
    char err[1024], rescued[4096], rescue_err[256];
    int rc = ab_results_save(path, doc, err, sizeof err, rescued, sizeof rescued, rescue_err, sizeof rescue_err);
    if (rc == 0) return true;
    fprintf(stderr, "arenabench %s: %s\n", cmd, err);
    if (rc == 1) fprintf(stderr, "arenabench %s: the results are kept in %s\n", cmd, rescued);
    else fprintf(stderr, "arenabench %s: no rescue file could be written either (%s); the results are lost\n", cmd,
                 rescue_err);
    return false;
}
