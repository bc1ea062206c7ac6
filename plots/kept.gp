# kept.gp -- memory still held after a workload freed most of its objects,
# per variant (the reclaim policy experiments: never / mostfull / cpython,
# 4 KiB vs 2 MiB arenas).  Left: memory at the end (RSS +
# hugetlb pages, mem_end_kb); right: arenas still mapped.
#
# Variables: dir, datafile, outfile, fmt, nseries, nrows, rssmax, arenamax.
# datafile: header row, then one row per workload:
#   workload  V1  V1  V2  V2 ...   (pairs: mem_end MiB, arenas_current; medians)
width = 1200; height = 560
load dir.'terminal.gp'
set multiplot layout 1,2 title 'memory kept after frees, per variant (medians)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.75 border -1
set boxwidth 0.9
set grid ytics
set xrange [-0.6:nrows-0.4]
# labels hang left of their tick: room for the first one
set lmargin 12
set xtics nomirror rotate by 25 right
unset key
set title 'memory at the end: RSS + hugetlb (MiB)'
set ylabel 'RSS + hugetlb (MiB)'
set yrange [0:rssmax]
plot for [i=0:nseries-1] datafile using (column(2+2*i)):xticlabels(1) title columnhead(2+2*i)
set title 'arenas still allocated at the end'
unset ylabel
set yrange [0:arenamax]
set key outside right top vertical title 'variant'
plot for [i=0:nseries-1] datafile using (column(3+2*i)):xticlabels(1) title columnhead(3+2*i)
unset multiplot
