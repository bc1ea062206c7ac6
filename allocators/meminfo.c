/*
 * meminfo.c -- see meminfo.h.  Read fresh on every call: the pool and the
 * free counts change while a run goes on.
 */
#include <stdio.h>
#include <string.h>
#include "allocators/meminfo.h"

bool ab_meminfo_field(const char *key, long long *value)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (!f) return false;
    char line[256];
    size_t klen = strlen(key);
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) || line[klen] != ':') continue;
        found = sscanf(line + klen + 1, "%lld", value) == 1;
        break;
    }
    fclose(f);
    return found;
}
