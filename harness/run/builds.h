/*
 * builds.h -- `run --build NAME=PATH|git:REF`: the binaries that run a
 * build's samples, and the entry point they run them through.
 *
 * A build's samples are executed by its own arenabench binary, as
 * `BINARY sample OPTIONS` (cmd_sample.c): the child writes one sample, the
 * same JSON object a forked child writes, to its stdout.  Every build --
 * including one that is this very binary -- goes through that exec, so no
 * build is measured differently from another.
 *
 * git:REF is resolved in the git repository of the current directory and
 * built once per commit in a cached worktree:
 *     $AB_BUILD_CACHE, else $XDG_CACHE_HOME/arenabench/builds, else
 *     $HOME/.cache/arenabench/builds;  one directory per full commit id,
 * built with `make -C DIR build/arenabench` (log next to it as DIR.log); a
 * later run finds the worktree and make has nothing to do.
 */
#ifndef AB_BUILDS_H
#define AB_BUILDS_H

#include <stdbool.h>
#include <stddef.h>

/* The sample entry point's protocol: `BINARY sample --protocol` prints this
 * number.  Raise it when the entry point's options or output change. */
#define AB_SAMPLE_PROTOCOL 1
#define AB_SAMPLE_COMMAND "sample"

/* Test hook of the sample entry point (cmd_sample.c): microseconds of sleep
 * added to every measured phase.  The driver removes it from the
 * environment of the builds it execs, so it reaches only a build whose own
 * wrapper sets it -- never every build through the driver's environment. */
#define AB_SAMPLE_TEST_DELAY_ENV "AB_SAMPLE_TEST_DELAY_US"

/* The prefix of a build source that names a git ref. */
#define AB_BUILD_GIT_PREFIX "git:"

/* A character allowed in a build name (it becomes part of table labels). */
bool ab_build_name_char(char c);

/*
 * source is a path to an arenabench binary or "git:REF".  On success
 * *path is the absolute path of a binary that speaks AB_SAMPLE_PROTOCOL and
 * *commit the full commit id for git:REF (else NULL); both malloc'd.  On
 * failure -1 with the reason in err.  verbose: say on stderr when building.
 */
int ab_build_resolve(const char *source, bool verbose, char **path, char **commit, char *err, size_t errlen);

#endif
