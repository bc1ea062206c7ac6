# terminal.gp -- shared output setup, loaded by every plot script.
# Expects: fmt ('png' or 'svg'), outfile, width, height.
# noenhanced everywhere: names such as list_of_tuples or DTLB_LOAD_MISSES
# must render literally, not with subscripts.
if (fmt eq 'svg') {
    set terminal svg size width,height noenhanced font 'Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size width,height noenhanced font 'Sans,10'
}
set output outfile
set datafile separator "\t"
set datafile missing "?"
