/*
 * pages_facts.c -- the machine facts the page backends need (huge page
 * size, free pool pages, THP size and mode), read fresh on every call.
 */
#include <stdio.h>
#include <string.h>
#include "allocators/meminfo.h"
#include "allocators/pages.h"

/* THP on x86-64 is one PMD: 2 MiB.  Used when sysfs does not say. */
#define AB_DEFAULT_THP_SIZE ((size_t)2 << 20)

size_t ab_pages_hugetlb_size(void)
{
    long long kb;
    return ab_meminfo_field("Hugepagesize", &kb) && kb > 0 ? (size_t)kb * 1024 : 0;
}

long ab_pages_hugetlb_free(void)
{
    long long n;
    return ab_meminfo_field("HugePages_Free", &n) ? (long)n : -1;
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
