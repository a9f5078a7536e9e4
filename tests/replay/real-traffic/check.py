"""real-traffic: the counters and injections the captured exchanges must produce.

gen.py computed from the capture (OUTDIR/../gen/summary.json, where tests/replay/run.sh puts the
generated files next to chokepoint's output directory): how many flows carried a social name (the
TLS, HTTP, UDP DNS and TCP DNS ones), how many names each extractor looked for and parsed, and how
many frames the rejects inject. counters.json must show:
  - category_flows_total: exactly those social flows, and no other category;
  - category_matches_total: at least one match per social flow;
  - extract_total: sni, host and dns each "parsed" exactly as often as the capture holds
    ClientHellos, HTTP requests and DNS queries (nothing malformed or truncated);
and inject.pcap two RSTs per rejected TCP segment and one ICMP per rejected UDP datagram.
Usage: check.py OUTDIR (chokepoint's --out directory)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
from pktlib import read_pcap  # noqa: E402


def main():
    out = sys.argv[1]
    summary_path = os.path.join(out, "..", "gen", "summary.json")
    with open(summary_path) as f:
        want = json.load(f)
    with open(os.path.join(out, "counters.json")) as f:
        c = json.load(f)
    errors = []
    flows = c.get("category_flows_total")
    if flows != {"social": want["social_flows"]}:
        errors.append("category_flows_total %s, want {\"social\": %d} (sni, host, dns over UDP "
                      "and TCP)" % (json.dumps(flows), want["social_flows"]))
    matches = c.get("category_matches_total", {})
    if not isinstance(matches, dict) or matches.get("social", 0) < want["social_flows"]:
        errors.append("category_matches_total %s, want social >= %d"
                      % (json.dumps(matches), want["social_flows"]))
    ext = c.get("extract_total")
    for name, n in sorted(want["extract"].items()):
        got = ext.get(name) if isinstance(ext, dict) else None
        # Outcomes that counted nothing may be listed as 0 or left out.
        nonzero = {k: v for k, v in got.items() if v != 0} if isinstance(got, dict) else got
        if nonzero != {"parsed": n}:
            errors.append("extract_total %s: %s, want {\"parsed\": %d}"
                          % (name, json.dumps(got), n))
    injected = len(read_pcap(os.path.join(out, "inject.pcap")))
    if injected != want["inject_frames"]:
        errors.append("inject.pcap holds %d frames, want %d" % (injected, want["inject_frames"]))
    for e in errors:
        print("real-traffic: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
