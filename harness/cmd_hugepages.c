/*
 * cmd_hugepages.c -- `arenabench hugepages`: show who holds the huge page
 * pool, and `--restore` it after a run was killed with SIGKILL (the one exit
 * a run cannot clean up after; see harness/system/hugepool.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "harness/commands.h"
#include "harness/system/hugepool.h"

static const char help[] =
    "usage: arenabench hugepages [--restore]\n"
    "\n"
    "Without options: show " AB_NR_HUGEPAGES_PATH " and the runs that hold it\n"
    "(the ledger " AB_HUGEPOOL_LEDGER_PATH ").\n"
    "  --restore   if no live run holds the pool, put it back to the value\n"
    "              recorded before the first run raised it (repairs kill -9)\n"
    "\n"
    "exit status: 0 done (or nothing to do); 1 a live run still holds the pool,\n"
    "or the write failed; 2 bad option or not root.\n";

static int show(void)
{
    printf("%s: %ld\n", AB_NR_HUGEPAGES_PATH, ab_nr_hugepages_get());
    int fd = ab_ledger_lock();
    if (fd < 0) {
        printf("ledger %s: cannot open (%s)\n", AB_HUGEPOOL_LEDGER_PATH, strerror(errno));
        return AB_EXIT_OK;
    }
    ab_pool_ledger l;
    if (ab_ledger_read(fd, &l) == 0 && l.recorded) {
        printf("recorded before the first run: %ld (held by others then: %ld)\n", l.original, l.base);
        for (size_t i = 0; i < l.n; i++) {
            bool alive = ab_process_start_time(l.holders[i].pid) == l.holders[i].start;
            printf("  run %ld asked for %ld pages%s\n", l.holders[i].pid, l.holders[i].pages,
                   alive ? "" : "  (gone: --restore repairs)");
        }
    } else {
        printf("no arenabench run holds the pool\n");
    }
    ab_ledger_unlock(fd);
    return AB_EXIT_OK;
}

int cmd_hugepages(int argc, char **argv)
{
    if (argc == 1) return show();
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(help, stdout);
        return AB_EXIT_OK;
    }
    if (argc != 2 || strcmp(argv[1], "--restore")) {
        fprintf(stderr, "arenabench hugepages: unknown option '%s'\n(see arenabench hugepages --help)\n", argv[1]);
        return AB_EXIT_USAGE;
    }
    char msg[512];
    int rc = ab_hugepool_repair(msg, sizeof msg);
    fprintf(rc ? stderr : stdout, "arenabench hugepages: %s\n", msg);
    return rc;
}
