/* procfile.c -- see procfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "allocators/procfile.h"

long ab_procfile_read(const char *path, char *buf, size_t size)
{
    if (!size) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    ssize_t got;
    while (len + 1 < size && (got = read(fd, buf + len, size - 1 - len)) != 0) {
        if (got < 0) {
            if (errno == EINTR) continue;
            break;
        }
        len += (size_t)got;
    }
    close(fd);
    buf[len] = 0;
    return (long)len;
}
