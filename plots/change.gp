# change.gp -- relative change of one metric per workload, a cluster of bars
# per workload (one bar per variant), with 95% CI error bars.
#
# Variables (gnuplot -e): dir, datafile, outfile, fmt, ptitle, ylab, nseries,
# nrows (workloads), ymin, ymax (computed by arenabench so that an all-zero
# plot still has a sensible range).
# datafile: TSV, header row, then one row per workload:
#   workload  V1  V1_lo  V1_hi  V2  V2_lo  V2_hi ...   (percent; ? = missing)
width = 1000; height = 560
load dir.'terminal.gp'
set title ptitle
set ylabel ylab
set style data histograms
set style histogram errorbars gap 1 lw 1.2
set errorbars fullwidth
set style fill solid 0.75 border -1
set boxwidth 0.9
set grid ytics
set xzeroaxis lt -1 lw 1
set xtics nomirror rotate by 25 right
set xrange [-0.6:nrows-0.4]
set yrange [ymin:ymax]
set lmargin 12
set key outside right top title 'variant'
plot for [i=0:nseries-1] datafile using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xticlabels(1) title columnhead(2+3*i)
