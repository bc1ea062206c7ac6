/*
 * compare_inputs.c -- loading the runs of each side and matching cells (see
 * compare_inputs.h).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "harness/report/compare_inputs.h"
#include "harness/results/schema.h"

/* The loader has both (results_load.h): a cell's variant as written, and
 * its build or NULL. */
const char *ab_cell_variant_name(const ab_results_cell *c)
{
    return c->base_variant;
}

const char *ab_cell_build(const ab_results_cell *c)
{
    return c->build;
}

static int add_run(ab_compare_side *side, const char *path, const ab_results_load_opts *opts, char *err,
                   size_t errlen)
{
    if (side->n == AB_COMPARE_MAX_RUNS) {
        snprintf(err, errlen, "more than %d runs on one side", AB_COMPARE_MAX_RUNS);
        return -1;
    }
    char why[600];
    ab_results *r = ab_results_load_with(path, opts, why, sizeof why);
    if (!r) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    side->runs[side->n++] = r;
    return 0;
}

int ab_compare_side_load(const char *const *paths, size_t npaths, bool dirs_are_runs,
                         const ab_results_load_opts *opts, ab_compare_side *side, char *err, size_t errlen)
{
    memset(side, 0, sizeof *side);
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (!dirs_are_runs || stat(paths[i], &st) || !S_ISDIR(st.st_mode)) {
            if (add_run(side, paths[i], opts, err, errlen))
                return -1;
            continue;
        }
        char pattern[1200];
        snprintf(pattern, sizeof pattern, "%s/*.json", paths[i]);
        glob_t g;
        int rc = glob(pattern, 0, NULL, &g);   /* sorted by name */
        if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
            snprintf(err, errlen, "%s: a directory without *.json results files", paths[i]);
            globfree(&g);
            return -1;
        }
        if (rc) {
            snprintf(err, errlen, "%s: cannot list the directory", paths[i]);
            return -1;
        }
        for (size_t k = 0; k < g.gl_pathc; k++)
            if (add_run(side, g.gl_pathv[k], opts, err, errlen)) {
                globfree(&g);
                return -1;
            }
        globfree(&g);
    }
    return 0;
}

void ab_compare_side_free(ab_compare_side *side)
{
    for (size_t i = 0; i < side->n; i++)
        ab_results_free(side->runs[i]);
    side->n = 0;
}

ab_cell_match *ab_match_across_runs(const ab_compare_side *base, const ab_compare_side *cand, size_t *n)
{
    *n = 0;
    const ab_results *first = base->runs[0];
    ab_cell_match *m = calloc(first->ncells + 1, sizeof *m);
    if (!m)
        return NULL;
    for (size_t i = 0; i < first->ncells; i++) {
        const ab_results_cell *c = &first->cells[i];
        ab_cell_match *x = &m[*n];
        memset(x, 0, sizeof *x);
        x->workload = c->workload;
        snprintf(x->label, sizeof x->label, "%s", c->variant);
        for (size_t r = 0; r < base->n; r++) {
            const ab_results_cell *b = ab_results_find(base->runs[r], c->variant, c->workload);
            if (b)
                x->base[x->nb++] = b;
        }
        for (size_t r = 0; r < cand->n; r++) {
            const ab_results_cell *b = ab_results_find(cand->runs[r], c->variant, c->workload);
            if (b)
                x->cand[x->nn++] = b;
        }
        if (x->nn)
            (*n)++;
    }
    return m;
}

static bool same_or_both_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static const char *selected(const ab_results_cell *c, ab_select_by by)
{
    return by == AB_SELECT_VARIANT ? ab_cell_variant_name(c) : ab_cell_build(c);
}

static bool file_has(const ab_results *r, ab_select_by by, const char *name)
{
    for (size_t i = 0; i < r->ncells; i++)
        if (same_or_both_null(selected(&r->cells[i], by), name))
            return true;
    return false;
}

ab_cell_match *ab_match_within(const ab_results *r, ab_select_by by, const char *from, const char *to, size_t *n,
                               char *err, size_t errlen)
{
    *n = 0;
    const char *what = by == AB_SELECT_VARIANT ? "variant" : "build";
    const char *names[] = {from, to};
    for (size_t k = 0; k < 2; k++)
        if (!file_has(r, by, names[k])) {
            snprintf(err, errlen, "%s: no cell has %s '%s'", r->path, what, names[k]);
            return NULL;
        }
    ab_cell_match *m = calloc(r->ncells + 1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < r->ncells; i++) {
        const ab_results_cell *a = &r->cells[i];
        if (!same_or_both_null(selected(a, by), from))
            continue;
        for (size_t j = 0; j < r->ncells; j++) {
            const ab_results_cell *b = &r->cells[j];
            if (!same_or_both_null(selected(b, by), to) || strcmp(a->workload, b->workload))
                continue;
            /* the other dimension must agree */
            if (by == AB_SELECT_VARIANT ? !same_or_both_null(ab_cell_build(a), ab_cell_build(b))
                                        : !same_or_both_null(ab_cell_variant_name(a), ab_cell_variant_name(b)))
                continue;
            ab_cell_match *x = &m[(*n)++];
            x->workload = a->workload;
            if (by == AB_SELECT_VARIANT && ab_cell_build(a))
                snprintf(x->label, sizeof x->label, "%s vs %s (build %s)", to, from, ab_cell_build(a));
            else if (by == AB_SELECT_VARIANT)
                snprintf(x->label, sizeof x->label, "%s vs %s", to, from);
            else
                snprintf(x->label, sizeof x->label, "%s vs %s: %s", to, from, ab_cell_variant_name(a));
            x->base[0] = a;
            x->cand[0] = b;
            x->nb = x->nn = 1;
            break;
        }
    }
    if (!*n) {
        snprintf(err, errlen, "%s: no workload has both %s '%s' and '%s'", r->path, what, from, to);
        free(m);
        return NULL;
    }
    return m;
}

int ab_side_values_get(const ab_results_cell *const *cells, size_t k, const char *metric, ab_side_values *sv)
{
    memset(sv, 0, sizeof *sv);
    size_t total = 0;
    for (size_t i = 0; i < k; i++) {
        if (ab_cell_metric(cells[i], metric, &sv->runs[i]))
            return -1;
        sv->k++;
        total += sv->runs[i].n;
    }
    sv->pooled = malloc((total + 1) * sizeof *sv->pooled);
    if (!sv->pooled)
        return -1;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < sv->runs[i].n; j++)
            sv->pooled[sv->npooled++] = sv->runs[i].v[j];
    return 0;
}

void ab_side_values_free(ab_side_values *sv)
{
    for (size_t i = 0; i < sv->k; i++)
        ab_metric_values_free(&sv->runs[i]);
    free(sv->pooled);
    sv->pooled = NULL;
    sv->k = sv->npooled = 0;
}

int ab_match_run_noise(const ab_cell_match *x, size_t nx, const char *metric, ab_run_noise *out)
{
    ab_metric_values *a = calloc(nx + 1, sizeof *a), *b = calloc(nx + 1, sizeof *b);
    size_t n = 0;
    int rc = !a || !b;
    for (size_t i = 0; !rc && i < nx; i++) {
        if (x[i].nb != 1 || x[i].nn != 1)
            continue;
        rc = ab_cell_metric(x[i].base[0], metric, &a[n]) | ab_cell_metric(x[i].cand[0], metric, &b[n]);
        n++;
    }
    if (!rc)
        *out = ab_run_noise_estimate(a, b, n);
    for (size_t i = 0; i < n; i++) {
        ab_metric_values_free(&a[i]);
        ab_metric_values_free(&b[i]);
    }
    free(a);
    free(b);
    return rc ? -1 : 0;
}
