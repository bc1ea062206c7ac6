/*
 * cmd_merge.c -- `arenabench merge OUT.json IN.json...`: shards of one plan,
 * from one machine or many, into one results file (harness/merge.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "harness/commands.h"
#include "harness/run/merge.h"
#include "harness/run/results.h"

static void usage(FILE *f)
{
    fputs("usage: arenabench merge OUT.json IN.json... [--allow-partial] [--detail MODE] [--quiet]\n"
          "\n"
          "Merge results files of one plan -- the shards of `run --shard K/N`, or whole runs\n"
          "of the same plan on different machines -- into OUT.json, a file of the same schema\n"
          "as an unsharded run (summaries and correctness recomputed).  Files from more than\n"
          "one machine make a fleet file: each cell keeps its machine (cells[].machine_id,\n"
          "machines{}); table, plot and compare show them with --by machine.\n"
          "\n"
          "Refused (exit 2, nothing written), naming the file: a different plan (plan_id),\n"
          "scale or schema; a shard or cell twice from one machine; a missing shard.\n"
          "\n"
          "  --allow-partial   merge what is there; config.merged records what is missing\n"
          "  --detail MODE     per-sample detail no report reads (timeline, counter_raw,\n"
          "                    child_rusage): auto (default: inline for one machine, sidecar\n"
          "                    for a fleet), inline, sidecar (OUT.json.detail.jsonl, one line\n"
          "                    per cell; keeps a fleet merge in bounded memory), or drop\n"
          "  --quiet           no closing line\n"
          "\n"
          "exit status: 0 merged; 1 merged, but checksums disagree; 2 refused.\n",
          f);
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"allow-partial", no_argument, NULL, 'p'},
        {"detail", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ab_merge_opts mo = {0};
    bool quiet = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': mo.allow_partial = true; break;
        case 'd':
            if (ab_detail_mode_parse(optarg, &mo.detail)) {
                fprintf(stderr, "arenabench merge: --detail takes auto, inline, sidecar or drop, not '%s'\n", optarg);
                return AB_EXIT_USAGE;
            }
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return AB_EXIT_OK;
        default:
            fprintf(stderr, "arenabench merge: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return AB_EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "arenabench merge: needs OUT.json and at least one IN.json\n");
        usage(stderr);
        return AB_EXIT_USAGE;
    }
    const char *out = argv[optind];
    for (int i = optind + 1; i < argc; i++)
        if (!strcmp(argv[i], out)) {
            fprintf(stderr, "arenabench merge: %s is both the output and an input\n", out);
            return AB_EXIT_USAGE;
        }
    char err[2048];
    if (ab_out_check(out, err, sizeof err) != 0) { /* before reading any input */
        fprintf(stderr, "arenabench merge: OUT: %s\n", err);
        return AB_EXIT_USAGE;
    }
    mo.out = out;
    ab_merge_result res;
    if (ab_merge_files(argv + optind + 1, (size_t)(argc - optind - 1), &mo, &res, err, sizeof err)) {
        fprintf(stderr, "arenabench merge: %s\n", err);
        return AB_EXIT_USAGE;
    }
    json_t *doc = res.doc;
    int status = AB_EXIT_OK;
    bool written = ab_results_save_reported("merge", out, doc);
    if (ab_merge_commit_sidecar(&res, written, err, sizeof err) != 0) {
        fprintf(stderr, "arenabench merge: %s\n", err);
        written = false;
    }
    if (!written) {
        status = AB_EXIT_FAIL;
    } else if (!ab_results_checksums_agree(doc)) {
        fprintf(stderr, "arenabench merge: checksums disagree in the merged cells (see correctness in %s)\n", out);
        status = AB_EXIT_FAIL;
    }
    if (!quiet && written)
        fprintf(stderr, "arenabench merge: %zu files, %zu cells, %zu machine(s) -> %s\n",
                (size_t)(argc - optind - 1), json_array_size(json_object_get(doc, "cells")),
                json_object_get(doc, "machines") ? json_object_size(json_object_get(doc, "machines")) : 1, out);
    ab_merge_result_free(&res);
    return status;
}
