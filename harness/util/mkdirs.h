/*
 * mkdirs.h -- create a directory and its missing parents (mkdir -p).
 */
#ifndef AB_UTIL_MKDIRS_H
#define AB_UTIL_MKDIRS_H

/* 0 when dir exists as a directory afterwards, else -1 with errno.  dir is
 * modified while it runs and restored before it returns. */
int ab_mkdirs(char *dir);

#endif
