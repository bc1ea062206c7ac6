/*
 * mkdirs.c -- mkdir -p (see mkdirs.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "harness/util/mkdirs.h"

int ab_mkdirs(char *dir)
{
    if (!*dir) return 0;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        errno = ENOTDIR;
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        int rc = ab_mkdirs(dir);
        *slash = '/';
        if (rc) return rc;
    }
    return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}
