/*
 * procfile.h -- read a small /proc file whole into a caller's buffer with
 * open/read only: no stdio, no heap, so it is safe in a forked child of a
 * threaded process and around a measured phase.  At the bottom, in
 * allocators/, like meminfo.h, so workloads and the harness share it.
 */
#ifndef AB_PROCFILE_H
#define AB_PROCFILE_H

#include <stddef.h>

/* Bytes read (NUL-terminated in buf, truncated to size - 1), or -1 when the
 * file cannot be opened. */
long ab_procfile_read(const char *path, char *buf, size_t size);

#endif
