/*
 * report_table.h -- a titled grid of text cells with footnotes, rendered as
 * Markdown or as aligned plain text.  Used by `table` and `compare`.
 */
#ifndef AB_REPORT_TABLE_H
#define AB_REPORT_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct ab_text_table ab_text_table;

typedef enum { AB_FMT_TEXT, AB_FMT_MD, AB_FMT_CSV } ab_table_format;

/* 0 and *out set, or -1 for an unknown name. */
int ab_table_format_parse(const char *name, ab_table_format *out);

/* ncols includes the first (row label) column.  NULL on out of memory. */
ab_text_table *ab_text_table_new(const char *title, size_t ncols);
void ab_text_table_free(ab_text_table *t);
/* Set a header cell (row -1 conceptually). */
void ab_text_table_header(ab_text_table *t, size_t col, const char *text);
/* Text format: left-align this column (default: the first column left,
 * the others right, as numbers read best). */
void ab_text_table_align_left(ab_text_table *t, size_t col);
/* Append an empty row; returns its index. */
size_t ab_text_table_add_row(ab_text_table *t);
void ab_text_table_set(ab_text_table *t, size_t row, size_t col, const char *text);
/* Add a footnote unless the same text is already there; returns its
 * 1-based number (for a "[n]" mark in a cell). */
size_t ab_text_table_footnote(ab_text_table *t, const char *text);
size_t ab_text_table_rows(const ab_text_table *t);

/* Render md or text (csv is the caller's own long format). */
void ab_text_table_print(const ab_text_table *t, ab_table_format fmt, FILE *out);

/* Quote a CSV field when it needs it (RFC 4180). */
void ab_csv_field(FILE *out, const char *text);

#endif
