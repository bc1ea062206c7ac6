/*
 * results_file.h -- where a results document goes, checked before a run
 * starts, and how it gets there without destroying anything or being lost.
 *
 * `--out FILE`: FILE must be absent or a regular file (a symbolic link to a
 * regular file is followed: the file it names is replaced and the link
 * kept), in a directory that exists and is writable, or that can be created
 * (missing directories are created at write time).  Anything else -- a
 * directory, a device, a FIFO, a socket, a link to one of those, a name
 * longer than the file system allows -- is refused before any sample runs.
 * `--out -` writes the document to standard output instead.
 *
 * The write goes through a temporary file in the same directory, fsync and
 * rename, so readers never see half a file; and it never renames over
 * something that became non-regular during the run.  If it fails, the
 * document is written to a rescue file (next to FILE, else in $TMPDIR or
 * /tmp) and the caller prints where it is: a finished run is never lost
 * while any file system will take it.
 */
#ifndef AB_RESULTS_FILE_H
#define AB_RESULTS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* The --out value that means standard output. */
#define AB_OUT_STDOUT "-"
/* The temporary file's suffix (mkstemp's six X's included): FILE's name
 * plus this must fit the file system's name limit. */
#define AB_OUT_TMP_SUFFIX ".tmp.XXXXXX"
#define AB_OUT_RESCUE_SUFFIX ".rescued-XXXXXX"
#define AB_OUT_RESCUE_TMPNAME "arenabench-rescued-XXXXXX"

/* 0 if path can take a results document; -1 with err (the reason, naming
 * path).  Touches nothing. */
int ab_out_check(const char *path, char *err, size_t errlen);

/* Write doc to path (or to stdout for AB_OUT_STDOUT) atomically.  0, or -1
 * with err holding the real reason (errno text). */
int ab_results_write_atomic(const char *path, json_t *doc, char *err, size_t errlen);

/*
 * ab_results_write_atomic, and if that fails, the rescue: 0 written; 1 not
 * written to path but to rescued (its path); -1 written nowhere (err says
 * why for path, rescue_err for the last rescue attempt).
 */
int ab_results_save(const char *path, json_t *doc, char *err, size_t errlen, char *rescued, size_t rescuedlen,
                    char *rescue_err, size_t rescue_errlen);

/*
 * ab_results_save, with what happened said on stderr as "arenabench CMD: ..."
 * (the failure with its errno text, then where the results are kept, or that
 * no rescue file could be written).  True if path itself was written.
 */
bool ab_results_save_reported(const char *cmd, const char *path, json_t *doc);

#endif
