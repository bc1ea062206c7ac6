/*
 * pages_4k.c -- counted mmap/munmap shared by every backend, the machine
 * facts they need, and the plain 4 KiB-page backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "allocators/pages.h"
#include "tlbsim/access_hook.h"

/* THP on x86-64 is one PMD: 2 MiB.  Used when sysfs does not say. */
#define AB_DEFAULT_THP_SIZE ((size_t)2 << 20)

void *ab_pages_sys_mmap(ab_pages *pg, size_t size, int extra_flags)
{
    pg->mmap_calls++;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int ab_pages_sys_munmap(ab_pages *pg, void *p, size_t size)
{
    pg->munmap_calls++;
    AB_SIM_UNMAP(p, size);   /* the kernel's TLB shootdown */
    return munmap(p, size);
}

static void *map_4k(ab_pages *pg, size_t size)
{
    return ab_pages_sys_mmap(pg, size, 0);
}

static int unmap_plain(ab_pages *pg, void *p, size_t size)
{
    return ab_pages_sys_munmap(pg, p, size);
}

void ab_pages_4k_init(ab_pages *pg)
{
    pg->map = map_4k;
    pg->unmap = unmap_plain;
}

void ab_pages_init(ab_pages *pg, ab_pages_kind kind)
{
    memset(pg, 0, sizeof *pg);
    pg->kind = kind;
    switch (kind) {
    case AB_PAGES_4K: ab_pages_4k_init(pg); break;
    case AB_PAGES_HUGETLB: ab_pages_hugetlb_init(pg); break;
    case AB_PAGES_THP: ab_pages_thp_init(pg, true); break;
    case AB_PAGES_THP_UNALIGNED: ab_pages_thp_init(pg, false); break;
    }
}

/* Value of "key: N kB"-style line in /proc/meminfo, scaled by its unit. */
static long long meminfo_value(const char *key, bool *found)
{
    *found = false;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return -1;
    char line[256];
    size_t klen = strlen(key);
    long long v = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) || line[klen] != ':') continue;
        char unit[16] = "";
        if (sscanf(line + klen + 1, "%lld %15s", &v, unit) >= 1) {
            *found = true;
            if (!strcmp(unit, "kB")) v *= 1024;
        }
        break;
    }
    fclose(f);
    return v;
}

size_t ab_pages_hugetlb_size(void)
{
    bool found;
    long long v = meminfo_value("Hugepagesize", &found);
    return found && v > 0 ? (size_t)v : 0;
}

long ab_pages_hugetlb_free(void)
{
    bool found;
    long long v = meminfo_value("HugePages_Free", &found);
    return found ? (long)v : -1;
}

size_t ab_pages_thp_size(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1) v = 0;
        fclose(f);
    }
    return v ? (size_t)v : AB_DEFAULT_THP_SIZE;
}

void ab_pages_thp_mode(char *buf, size_t len)
{
    snprintf(buf, len, "unavailable");
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return;
    char line[256];
    if (fgets(line, sizeof line, f)) {
        char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
        if (open && close)
            snprintf(buf, len, "%.*s", (int)(close - open - 1), open + 1);
    }
    fclose(f);
}
