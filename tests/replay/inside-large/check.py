"""inside-large: the same capture and events under policy-small.conf (an inside of a few /24s,
where grants are a direct table) give verdicts.jsonl identical to policy.conf's (a country-sized
inside, where grants are address intervals). Usage: check.py OUTDIR (chokepoint's --out
directory; the capture is in OUTDIR/../gen). CHOKEPOINT names the binary, as for run.sh."""
import filecmp
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")


def main():
    out = sys.argv[1]
    chokepoint = os.environ.get("CHOKEPOINT", "build/dataplane/chokepoint")
    if not os.path.isabs(chokepoint):
        chokepoint = os.path.join(ROOT, chokepoint)
    capture = os.path.join(out, "..", "gen", "input.pcap")
    with tempfile.TemporaryDirectory() as small:
        p = subprocess.run([chokepoint, "--replay", capture,
                            "--policy", os.path.join(HERE, "policy-small.conf"),
                            "--events", os.path.join(HERE, "events.jsonl"),
                            "--out", small, "--workers", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        if p.returncode != 0:
            print("inside-large: the small-inside replay exited %d: %s"
                  % (p.returncode, p.stderr.strip()[-300:]))
            return 1
        errors = [f for f in ("verdicts.jsonl", "pass.pcap", "drop.pcap")
                  if not filecmp.cmp(os.path.join(out, f), os.path.join(small, f), shallow=False)]
    for f in errors:
        print("inside-large: %s differs between the large inside and the small one" % f)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
