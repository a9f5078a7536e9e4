"""monitor: every input frame was forwarded, in input order, unchanged; none dropped, none
injected. Usage: check.py OUTDIR (chokepoint's --out directory)."""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
from pktlib import read_pcap  # noqa: E402


def load_gen():
    spec = importlib.util.spec_from_file_location("monitor_gen", os.path.join(HERE, "gen.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    out = sys.argv[1]
    frames = load_gen().build().frames()
    passed = [b for b, _, _ in read_pcap(os.path.join(out, "pass.pcap"))]
    dropped = read_pcap(os.path.join(out, "drop.pcap"))
    injected = read_pcap(os.path.join(out, "inject.pcap"))
    errors = []
    if passed != frames:
        errors.append("pass.pcap holds %d frames, want the %d input frames unchanged"
                      % (len(passed), len(frames)))
    if dropped:
        errors.append("drop.pcap holds %d frames, want 0" % len(dropped))
    if injected:
        errors.append("inject.pcap holds %d frames, want 0" % len(injected))
    for e in errors:
        print("monitor: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
