/*
 * build_info.h -- which source this binary was built from.
 *
 * The commit is the one the *binary* was compiled from (embedded at build
 * time by harness/build-info.sh), not the source directory's HEAD when it
 * runs: after `git commit` without a rebuild the two differ, and results
 * must name the code that produced them.  The run-time HEAD is recorded as
 * well, flagged, when it differs (machine.c).
 */
#ifndef AB_BUILD_INFO_H
#define AB_BUILD_INFO_H

#include <stdbool.h>
#include <stddef.h>

/* Abbreviated commit hash, or "unknown" when built outside a git tree. */
const char *ab_build_commit(void);
/* True when the tree had uncommitted changes to tracked files at build time. */
bool ab_build_dirty(void);
/* Digest of `git diff HEAD` at build time ("" when clean). */
const char *ab_build_dirty_digest(void);
/* The compiler flags the binary was built with. */
const char *ab_build_flags(void);
/* "COMMIT" or "COMMIT-dirty+DIGEST": one string naming the code exactly. */
void ab_build_identity(char *buf, size_t len);

#endif
