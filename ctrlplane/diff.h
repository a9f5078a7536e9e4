/* `chokectl diff OLD NEW --capture IN.pcap [--events E] [--json] [--fail-on-change]`: replays the
 * capture under both policies (chokepoint --replay) and lists the flows whose decision changes. */
#ifndef CP_DIFF_H
#define CP_DIFF_H

/* Exit status: 0, 1 (--fail-on-change and something changed), 2 (bad input: one line). */
int cp_diff_main(int argc, char **argv);

#endif
