# bench/run's plots. Called as:
#   gnuplot -e "datadir='D'; outdir='O'; ncols=N; nstages=M" bench/plot.gp
# D/mpps.dat: a header (workload, then one "system Nc" column per system and core count), one
# row per workload, "-" where a system did not run. D/stages.dat: workload and cycles per packet
# of each stage (parse flow classify payload tx other), one row per workload.
set terminal pngcairo size 1200,640 font "sans,10" noenhanced
set datafile missing "-"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside right top vertical
set xtics nomirror
set ytics nomirror

set output outdir."/mpps.png"
set title "Mpps per workload and system (log scale; one run: compare ratios only)"
set ylabel "Mpps"
set style histogram clustered gap 1
set logscale y
set yrange [0.01:*]
plot for [i=2:ncols+1] datadir."/mpps.dat" using i:xtic(1) title columnheader(i)

set output outdir."/stages.png"
set title "TSC cycles per packet by stage, 1 worker (stage_cycles build)"
set ylabel "cycles per packet"
set style histogram rowstacked
set boxwidth 0.6
unset logscale y
set yrange [0:*]
if (nstages > 0) {
	plot for [i=2:7] datadir."/stages.dat" using i:xtic(1) title columnheader(i)
} else {
	set label 1 "no stage data: see notes in latest.json" at graph 0.5, 0.5 center
	set xrange [0:1]
	set yrange [0:1]
	plot 0 notitle lc rgb "white"
}
