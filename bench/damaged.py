"""Wall time to read a real .evtx with each kind of chunk-header damage.

    .venv/bin/python bench/damaged.py [--runs 3] [--parser python]

The damage cases are tests/test_logs_damaged.py's (tests/support/evtx_damage.py);
the test checks what is read, this prints how long it takes: the median of
--runs reads per case, with the Rust reader (or python-evtx, which the test
stops after 1,024 records, as here). Asserts nothing; the goal is a few
seconds at most per case (the undamaged 2.2 MB, 5,009-record file reads in
~0.3 s on the loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from bot.logs import open_log
    from tests.support.evtx_damage import CHUNK_HEADER_DAMAGE
    from tests.support.samples import sample_bytes

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parser", choices=("rust", "python"), default="rust")
    args = ap.parse_args()
    pristine = sample_bytes("normal__plaso__System.evtx")
    with tempfile.TemporaryDirectory(prefix="intune-bench-") as tmp:
        for what, mutate in [("undamaged", lambda d: d), *CHUNK_HEADER_DAMAGE]:
            path = Path(tmp) / "bad.evtx"
            path.write_bytes(mutate(pristine))
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                limits = {"max_records": 1024} if args.parser == "python" else {}
                log = open_log(path, args.parser, **limits)
                n = sum(1 for _ in log)
                times.append(time.perf_counter() - started)
            print(f"{what:32s} {n:>6,} records {len(log.problems):>3} problems  "
                  f"median {statistics.median(times):6.3f} s  max {max(times):6.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
