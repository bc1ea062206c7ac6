/*
 * costs_table.h -- the "costs" table (docs/costs.md): for every cell of the
 * cost families (prefork:*, survivors:*) one row per variant with the
 * figures that decide whether huge pages are worth it beyond speed -- fork
 * time, copy-on-write faults and private memory per worker, the family's
 * PSS, bloat at the end and the peak, and the kernel's THP fallbacks and
 * PMD splits over the measured phase (system-wide).  Each value is the
 * median over the cell's ok samples; "-" where the family does not measure
 * it; "n/a" where no ok sample has it (a footnote says why).
 */
#ifndef AB_COSTS_TABLE_H
#define AB_COSTS_TABLE_H

#include <stdio.h>
#include "harness/report/report_table.h"
#include "harness/results/results_load.h"

/* Print the table; 0, or -1 when the file has no cost-family cell (a
 * message says so on f for text/md, nothing for csv). */
int ab_costs_table_print(const ab_results *r, ab_table_format fmt, FILE *f);

#endif
