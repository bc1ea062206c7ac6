# timeline.gp -- memory over time during one workload: RSS + hugetlb pages
# (top; RSS alone omits MAP_HUGETLB arenas) and live
# arenas (bottom), one line per variant, from the sample timelines (the
# kind of graph Evan Jones showed for his 2005 arena-freeing patch).
#
# Variables: datafile, outfile, fmt, wname, titles (space-separated variant
# names, one per data block), nseries, rssmax, arenamax (axis tops).
# datafile: one block per variant (blocks separated by two blank lines),
#   rows: t_ms  mem_mib (rss_kb + hugetlb_kb)  arenas
width = 1000; height = 720
load dir.'terminal.gp'
set multiplot layout 2,1 title sprintf('memory over time: %s (one sample per variant)', wname)
set key outside right top title 'variant'
# Fixed margins keep both panels' time axes aligned although only the top
# one has a key.
set lmargin at screen 0.08
set rmargin at screen 0.84
set grid
set xlabel 'time since the measured phase began (ms)'
set ylabel 'RSS + hugetlb (MiB)'
set yrange [0:rssmax]
plot for [i=0:nseries-1] datafile index i using 1:2 with steps lw 2 title word(titles, i+1)
set ylabel 'arenas allocated'
set yrange [0:arenamax]
unset key
plot for [i=0:nseries-1] datafile index i using 1:3 with steps lw 2 title word(titles, i+1)
unset multiplot
