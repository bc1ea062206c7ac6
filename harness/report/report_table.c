/*
 * report_table.c -- text and Markdown rendering of a small grid.
 */
#include <stdlib.h>
#include <string.h>
#include "harness/report/report_table.h"

#define AB_TABLE_MAX_ROWS 4096
#define AB_TABLE_MAX_NOTES 64

struct ab_text_table {
    char *title;
    size_t ncols, nrows;
    char **header;               /* ncols */
    unsigned char *left;         /* ncols: left-aligned in text */
    char **cells;                /* AB_TABLE_MAX_ROWS * ncols, row-major */
    char *notes[AB_TABLE_MAX_NOTES];
    size_t nnotes;
};

int ab_table_format_parse(const char *name, ab_table_format *out)
{
    if (!strcmp(name, "text"))
        *out = AB_FMT_TEXT;
    else if (!strcmp(name, "md"))
        *out = AB_FMT_MD;
    else if (!strcmp(name, "csv"))
        *out = AB_FMT_CSV;
    else
        return -1;
    return 0;
}

ab_text_table *ab_text_table_new(const char *title, size_t ncols)
{
    ab_text_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->title = strdup(title);
    t->ncols = ncols;
    t->header = calloc(ncols, sizeof *t->header);
    t->left = calloc(ncols, 1);
    t->cells = calloc(AB_TABLE_MAX_ROWS * ncols, sizeof *t->cells);
    if (!t->title || !t->header || !t->cells || !t->left) {
        ab_text_table_free(t);
        return NULL;
    }
    return t;
}

void ab_text_table_free(ab_text_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->header && i < t->ncols; i++)
        free(t->header[i]);
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (size_t i = 0; i < t->nnotes; i++)
        free(t->notes[i]);
    free(t->header);
    free(t->left);
    free(t->cells);
    free(t->title);
    free(t);
}

static void replace(char **slot, const char *text)
{
    free(*slot);
    *slot = strdup(text ? text : "");
}

void ab_text_table_header(ab_text_table *t, size_t col, const char *text)
{
    if (col < t->ncols)
        replace(&t->header[col], text);
}

void ab_text_table_align_left(ab_text_table *t, size_t col)
{
    if (col < t->ncols)
        t->left[col] = 1;
}

size_t ab_text_table_add_row(ab_text_table *t)
{
    if (t->nrows + 1 < AB_TABLE_MAX_ROWS)
        t->nrows++;
    return t->nrows - 1;
}

void ab_text_table_set(ab_text_table *t, size_t row, size_t col, const char *text)
{
    if (row < t->nrows && col < t->ncols)
        replace(&t->cells[row * t->ncols + col], text);
}

size_t ab_text_table_footnote(ab_text_table *t, const char *text)
{
    for (size_t i = 0; i < t->nnotes; i++)
        if (!strcmp(t->notes[i], text))
            return i + 1;
    if (t->nnotes == AB_TABLE_MAX_NOTES)
        return t->nnotes;
    t->notes[t->nnotes] = strdup(text);
    return ++t->nnotes;
}

size_t ab_text_table_rows(const ab_text_table *t)
{
    return t->nrows;
}

static const char *cell(const ab_text_table *t, size_t row, size_t col)
{
    const char *s = t->cells[row * t->ncols + col];
    return s ? s : "";
}

/* Pipes inside a Markdown cell would split it. */
static void md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

void ab_text_table_print(const ab_text_table *t, ab_table_format fmt, FILE *out)
{
    if (fmt == AB_FMT_MD) {
        fprintf(out, "### %s\n\n|", t->title);
        for (size_t c = 0; c < t->ncols; c++) {
            fputc(' ', out);
            md_text(out, t->header[c] ? t->header[c] : "");
            fputs(" |", out);
        }
        fputs("\n|", out);
        for (size_t c = 0; c < t->ncols; c++)
            fputs(c ? "---:|" : "---|", out);
        fputc('\n', out);
        for (size_t r = 0; r < t->nrows; r++) {
            fputc('|', out);
            for (size_t c = 0; c < t->ncols; c++) {
                fputc(' ', out);
                md_text(out, cell(t, r, c));
                fputs(" |", out);
            }
            fputc('\n', out);
        }
        if (t->nnotes)
            fputc('\n', out);
        for (size_t i = 0; i < t->nnotes; i++)
            fprintf(out, "[%zu] %s%s\n", i + 1, t->notes[i], i + 1 < t->nnotes ? "  " : "");
        fputc('\n', out);
        return;
    }
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = t->header[c] ? strlen(t->header[c]) : 0;
        for (size_t r = 0; r < t->nrows; r++)
            if (strlen(cell(t, r, c)) > w[c])
                w[c] = strlen(cell(t, r, c));
    }
    fprintf(out, "%s\n", t->title);
    for (size_t c = 0; c < t->ncols; c++)
        fprintf(out, "%s%*s", c ? "  " : "", (c && !t->left[c]) ? (int)w[c] : -(int)w[c],
                t->header[c] ? t->header[c] : "");
    fputc('\n', out);
    for (size_t c = 0; c < t->ncols; c++) {
        fputs(c ? "  " : "", out);
        for (size_t i = 0; i < w[c]; i++)
            fputc('-', out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            fprintf(out, "%s%*s", c ? "  " : "", (c && !t->left[c]) ? (int)w[c] : -(int)w[c], cell(t, r, c));
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->nnotes; i++)
        fprintf(out, "  [%zu] %s\n", i + 1, t->notes[i]);
    fputc('\n', out);
    free(w);
}

void ab_csv_field(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (; *text; text++) {
        if (*text == '"')
            fputc('"', out);
        fputc(*text, out);
    }
    fputc('"', out);
}
