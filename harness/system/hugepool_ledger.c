/*
 * hugepool_ledger.c -- the shared pool ledger (see hugepool_ledger.h).
 *
 * Number parsing and formatting are done by hand on fixed buffers because
 * this file runs inside a fatal-signal handler, where stdio, strtol's locale
 * machinery and malloc are not async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness/system/hugepool_ledger.h"

/* A ledger of AB_HUGEPOOL_MAX_HOLDERS lines of at most ~70 bytes. */
#define LEDGER_BUFFER_BYTES 8192
/* /proc/PID/stat is one line; the comm field is at most 16 bytes. */
#define STAT_BUFFER_BYTES 1024
/* The 1-based field of /proc/PID/stat that holds starttime (proc(5)). */
#define STAT_STARTTIME_FIELD 22

/* ---- tiny async-signal-safe text helpers --------------------------------- */

/* Parse a decimal at *p (optional '-'); advances *p; 0 or -1 if no digits. */
static int parse_num(const char **p, const char *end, unsigned long long *v, bool *neg)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    *neg = s < end && *s == '-';
    if (*neg) s++;
    if (s >= end || *s < '0' || *s > '9') return -1;
    unsigned long long x = 0;
    while (s < end && *s >= '0' && *s <= '9') x = x * 10 + (unsigned long long)(*s++ - '0');
    *v = x;
    *p = s;
    return 0;
}

static int parse_long(const char **p, const char *end, long *out)
{
    unsigned long long v;
    bool neg;
    if (parse_num(p, end, &v, &neg)) return -1;
    *out = neg ? -(long)v : (long)v;
    return 0;
}

/* Append text / a decimal to buf at *len (bounded by cap). */
static void put_text(char *buf, size_t cap, size_t *len, const char *text)
{
    while (*text && *len + 1 < cap) buf[(*len)++] = *text++;
}

static void put_num(char *buf, size_t cap, size_t *len, long long v)
{
    char digits[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
    do digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < sizeof digits);
    if (v < 0 && *len + 1 < cap) buf[(*len)++] = '-';
    while (n && *len + 1 < cap) buf[(*len)++] = digits[--n];
}

static bool starts(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && !memcmp(p, word, n);
}

/* ---- the pool file ------------------------------------------------------- */

long ab_nr_hugepages_get(void)
{
    int fd = open(AB_NR_HUGEPAGES_PATH, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[32];
    ssize_t got = read(fd, buf, sizeof buf);
    close(fd);
    if (got <= 0) return -1;
    const char *p = buf;
    long v;
    return parse_long(&p, buf + got, &v) ? -1 : v;
}

int ab_nr_hugepages_set(long pages)
{
    char text[32];
    size_t len = 0;
    put_num(text, sizeof text, &len, pages);
    put_text(text, sizeof text, &len, "\n");
    int fd = open(AB_NR_HUGEPAGES_PATH, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
    int saved = errno;
    if (close(fd) != 0 && rc == 0) return -1;
    errno = saved;
    return rc;
}

unsigned long long ab_process_start_time(long pid)
{
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) return 0;
    char path[48];
    size_t len = 0;
    put_text(path, sizeof path, &len, "/proc/");
    put_num(path, sizeof path, &len, pid);
    put_text(path, sizeof path, &len, "/stat");
    path[len] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[STAT_BUFFER_BYTES];
    ssize_t got = read(fd, buf, sizeof buf);
    close(fd);
    if (got <= 0) return 0;
    /* comm (field 2) may contain spaces and ')': fields resume after the last ')'. */
    const char *end = buf + got, *p = end;
    while (p > buf && p[-1] != ')') p--;
    if (p == buf) return 0;
    int field = 2;
    while (p < end && field < STAT_STARTTIME_FIELD) {
        if (*p == ' ') field++;
        p++;
    }
    unsigned long long v;
    bool neg;
    if (field != STAT_STARTTIME_FIELD || parse_num(&p, end, &v, &neg) || neg) return 0;
    return v ? v : 1; /* a process started at tick 0 is still alive */
}

/* ---- the ledger ---------------------------------------------------------- */

int ab_ledger_lock(void)
{
    if (mkdir(AB_HUGEPOOL_LEDGER_DIR, 0755) != 0 && errno != EEXIST) return -1;
    int fd = open(AB_HUGEPOOL_LEDGER_PATH, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return -1;
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
    return fd;
}

void ab_ledger_unlock(int fd)
{
    if (fd >= 0) close(fd);
}

int ab_ledger_read(int fd, ab_pool_ledger *l)
{
    memset(l, 0, sizeof *l);
    char buf[LEDGER_BUFFER_BYTES];
    ssize_t got = pread(fd, buf, sizeof buf, 0);
    if (got < 0) return -1;
    const char *p = buf, *end = buf + got;
    bool have_original = false, have_base = false;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *q = p;
        if (starts(q, eol, "original ")) {
            q += 9;
            have_original = parse_long(&q, eol, &l->original) == 0;
        } else if (starts(q, eol, "base ")) {
            q += 5;
            have_base = parse_long(&q, eol, &l->base) == 0;
        } else if (starts(q, eol, "holder ") && l->n < AB_HUGEPOOL_MAX_HOLDERS) {
            q += 7;
            ab_pool_holder h;
            unsigned long long start;
            bool neg;
            if (parse_long(&q, eol, &h.pid) == 0 && parse_num(&q, eol, &start, &neg) == 0 && !neg &&
                parse_long(&q, eol, &h.pages) == 0) {
                h.start = start;
                l->holders[l->n++] = h;
            }
        }
        p = eol + 1;
    }
    l->recorded = have_original && have_base && l->original >= 0;
    if (!l->recorded) l->n = 0; /* holders without an original cannot be restored to anything */
    return 0;
}

int ab_ledger_write(int fd, const ab_pool_ledger *l)
{
    char buf[LEDGER_BUFFER_BYTES];
    size_t len = 0;
    if (l->recorded) {
        put_text(buf, sizeof buf, &len, "original ");
        put_num(buf, sizeof buf, &len, l->original);
        put_text(buf, sizeof buf, &len, "\nbase ");
        put_num(buf, sizeof buf, &len, l->base);
        put_text(buf, sizeof buf, &len, "\n");
        for (size_t i = 0; i < l->n; i++) {
            put_text(buf, sizeof buf, &len, "holder ");
            put_num(buf, sizeof buf, &len, l->holders[i].pid);
            put_text(buf, sizeof buf, &len, " ");
            put_num(buf, sizeof buf, &len, (long long)l->holders[i].start);
            put_text(buf, sizeof buf, &len, " ");
            put_num(buf, sizeof buf, &len, l->holders[i].pages);
            put_text(buf, sizeof buf, &len, "\n");
        }
    }
    if (ftruncate(fd, 0) != 0) return -1;
    if (len && pwrite(fd, buf, len, 0) != (ssize_t)len) return -1;
    return 0;
}

size_t ab_ledger_prune(ab_pool_ledger *l)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (ab_process_start_time(l->holders[i].pid) == l->holders[i].start) l->holders[kept++] = l->holders[i];
        else dropped++;
    }
    l->n = kept;
    return dropped;
}

bool ab_ledger_remove(ab_pool_ledger *l, long pid, unsigned long long start)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->holders[i].pid == pid && l->holders[i].start == start) {
            l->holders[i] = l->holders[--l->n];
            return true;
        }
    return false;
}

long ab_ledger_pages(const ab_pool_ledger *l)
{
    long sum = 0;
    for (size_t i = 0; i < l->n; i++) sum += l->holders[i].pages;
    return sum;
}
