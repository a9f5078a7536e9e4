"""non-ip-drop: the frames of non-ip-pass with non_ip = "drop" and a pass-everything policy."""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
from pktlib import PASS, main  # noqa: E402

_spec = importlib.util.spec_from_file_location("non_ip_pass_gen",
                                               os.path.join(HERE, "..", "non-ip-pass", "gen.py"))
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)


def build():
    return _base.build(non_ip_pass=False, ip_verdict=PASS("all"))


if __name__ == "__main__":
    main(build)
