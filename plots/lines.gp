# lines.gp -- one line per variant of a figure against a workload parameter
# (the cost families: private memory per worker against the touch fraction,
# bloat against K), log-scaled x since the parameters span decades.
#
# Variables: dir, datafile, outfile, fmt, nseries, title, xlabel, ylabel,
# logy (1: log-scaled y).
# datafile: header row "x V1 V2 ...", then one row per parameter value
# (medians over the cell's ok samples; '?' where a cell has none).
width = 900; height = 560
load dir.'terminal.gp'
set title title
set xlabel xlabel
set ylabel ylabel
set logscale x
if (logy) { set logscale y }
set grid xtics ytics
set key outside right top vertical title 'variant'
set style data linespoints
plot for [i=2:nseries+1] datafile using 1:i title columnhead(i) lw 2 pt 7
