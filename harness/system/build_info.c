/*
 * build_info.c -- the only object that includes the generated header, so a
 * new commit rebuilds this file alone (see harness/build-info.sh).
 */
#include <stdio.h>
#include "harness/system/build_info.h"
#include "build_info_gen.h"

const char *ab_build_commit(void) { return AB_BUILD_COMMIT; }
bool ab_build_dirty(void) { return AB_BUILD_DIRTY != 0; }
const char *ab_build_dirty_digest(void) { return AB_BUILD_DIRTY_DIGEST; }
const char *ab_build_flags(void) { return AB_BUILD_FLAGS; }

void ab_build_identity(char *buf, size_t len)
{
    if (ab_build_dirty())
        snprintf(buf, len, "%s-dirty+%s", AB_BUILD_COMMIT, AB_BUILD_DIRTY_DIGEST);
    else
        snprintf(buf, len, "%s", AB_BUILD_COMMIT);
}
