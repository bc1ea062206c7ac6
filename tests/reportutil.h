/*
 * reportutil.h -- helpers for the report tests (table, plot, compare):
 * find the committed fixtures and write edited copies of them, and find a
 * cell of a results document.
 */
#ifndef AB_REPORTUTIL_H
#define AB_REPORTUTIL_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The cell of a results document with this build (NULL: any), variant and
 * workload -- the first such -- or NULL. */
static inline json_t *ab_test_find_cell(json_t *doc, const char *build, const char *variant, const char *workload)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cells"), i, c) {
        const char *b = json_string_value(json_object_get(c, "build"));
        const char *v = json_string_value(json_object_get(c, "variant"));
        const char *w = json_string_value(json_object_get(c, "workload"));
        if ((!build || (b && !strcmp(b, build))) && v && w && !strcmp(v, variant) && !strcmp(w, workload))
            return c;
    }
    return NULL;
}

/* tests/data/NAME under the source tree (AB_SOURCE_DIR from tests/run.sh). */
static inline void ab_fixture_path(const char *name, char *buf, size_t len)
{
    const char *src = getenv("AB_SOURCE_DIR");
    snprintf(buf, len, "%s/tests/data/%s", src && *src ? src : ".", name);
}

static inline json_t *ab_fixture_load(const char *name)
{
    char path[1024];
    ab_fixture_path(name, path, sizeof path);
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (!root)
        fprintf(stderr, "fixture %s: %s\n", path, e.text);
    return root;
}

/* Dump root to a fresh temp file; path receives its name (caller unlinks). */
static inline int ab_write_temp_json(const json_t *root, char *path, size_t len)
{
    snprintf(path, len, "/tmp/abtest-results-XXXXXX.json");
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return -1;
    close(fd);
    return json_dump_file(root, path, JSON_COMPACT);
}

/* Write arbitrary text to a fresh temp file. */
static inline int ab_write_temp_text(const char *text, char *path, size_t len)
{
    snprintf(path, len, "/tmp/abtest-text-XXXXXX.json");
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

/* The cell object for (variant, workload), or NULL. */
static inline json_t *ab_fixture_cell(json_t *root, const char *variant, const char *workload)
{
    json_t *cells = json_object_get(root, "cells");
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        if (!strcmp(json_string_value(json_object_get(c, "variant")), variant) &&
            !strcmp(json_string_value(json_object_get(c, "workload")), workload))
            return c;
    }
    return NULL;
}

/* Mean of a top-level numeric sample field over a cell's ok samples. */
static inline double ab_fixture_mean(json_t *cell, const char *field)
{
    json_t *samples = json_object_get(cell, "samples");
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i);
        if (strcmp(json_string_value(json_object_get(s, "status")), "ok"))
            continue;
        sum += json_number_value(json_object_get(s, field));
        n++;
    }
    return n ? sum / n : 0;
}

#endif
