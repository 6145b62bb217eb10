"""Parse throughput and memory on a large connector log.

    .venv/bin/python bench/parse.py [--mb 50] [--log PATH]

Generates a ~50 MB new-connector .evtx with tests/support/connector_logs.py
into a temporary folder (or reuses --log), then prints, one line each:
raw `evtx` records_json() iteration, python-evtx on a slice, our
`read_events`, each with records/s and the peak RSS of the process that ran
it (every measurement runs in its own child process, so peaks do not mix).
Asserts nothing; goals: read_events >= 100k records/s and >= 0.6x raw evtx,
peak RSS < 150 MB.

To add a measurement (e.g. end-to-end summarize), write a function
`(path) -> (records, seconds)` and append it to MEASUREMENTS.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PYTHON_EVTX_SLICE = 2_000  # python-evtx manages ~500 records/s: a slice is enough


def generate(path: Path, mb: int) -> None:
    from tests.support.connector_logs import large_log

    started = time.perf_counter()
    large_log(path, target_bytes=mb * 1_000_000)
    size = path.stat().st_size / 1e6
    print(f"generated {path.name}: {size:.1f} MB in {time.perf_counter() - started:.1f} s")


def raw_evtx(path: Path) -> tuple[int, float]:
    """The ceiling: evtx's own JSON iteration plus json.loads, nothing else."""
    import evtx

    started = time.perf_counter()
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parser = evtx.PyEvtxParser(str(path), number_of_threads=1, skip_errors=True)
        for rec in parser.records_json():
            json.loads(rec["data"])
            n += 1
    return n, time.perf_counter() - started


def python_evtx(path: Path) -> tuple[int, float]:
    from Evtx.Evtx import Evtx

    started = time.perf_counter()
    n = 0
    with Evtx(str(path)) as log:
        for record in log.records():
            record.xml()
            n += 1
            if n >= PYTHON_EVTX_SLICE:
                break
    return n, time.perf_counter() - started


def read_events(path: Path) -> tuple[int, float]:
    """Our normalized reader, checksum scan and problem capture included."""
    from bot.logs import open_log

    started = time.perf_counter()
    log = open_log(path)
    n = sum(1 for _ in log)
    assert not log.problems, log.problems
    return n, time.perf_counter() - started


def summarize(path: Path) -> tuple[int, float]:
    """End to end: read, classify and summarize (what the bot does with an upload)."""
    from bot.summary import summarize_file

    started = time.perf_counter()
    summary = summarize_file(path)
    return summary.records, time.perf_counter() - started


MEASUREMENTS: list[tuple[str, Callable[[Path], tuple[int, float]]]] = [
    ("raw evtx records_json + json.loads", raw_evtx),
    (f"python-evtx record.xml() (first {PYTHON_EVTX_SLICE})", python_evtx),
    ("bot.logs read_events (normalized Events)", read_events),
    ("bot.summary summarize_file (end to end)", summarize),
]


def _child(fn: Callable[[Path], tuple[int, float]], path: Path, out) -> None:
    n, seconds = fn(path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out.send((n, seconds, peak_mb))


def measure(fn: Callable[[Path], tuple[int, float]], path: Path) -> tuple[int, float, float]:
    """Run one measurement in a fresh child process: (records, seconds, peak RSS MB)."""
    ctx = multiprocessing.get_context("spawn")  # fresh interpreter: honest peak RSS
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(fn, path, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50, help="size of the generated log")
    ap.add_argument("--log", type=Path, help="use this .evtx instead of generating one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="intune-bench-") as tmp:
        path = args.log or Path(tmp) / "connector-large.evtx"
        if not args.log:
            # In a child: on Linux a spawned child starts with its parent's peak
            # RSS, so the parent must stay small for the peaks below to mean much.
            ctx = multiprocessing.get_context("spawn")
            proc = ctx.Process(target=generate, args=(path, args.mb))
            proc.start()
            proc.join()
        rates: dict[str, float] = {}
        for name, fn in MEASUREMENTS:
            n, seconds, peak = measure(fn, path)
            rates[fn.__name__] = n / seconds
            print(f"{name:48s} {n:>9,} records {seconds:7.2f} s {n / seconds:>10,.0f} rec/s  peak RSS {peak:5.0f} MB")
        if "raw_evtx" in rates and "read_events" in rates:
            print(f"read_events / raw evtx = {rates['read_events'] / rates['raw_evtx']:.2f}x (goal >= 0.6x)")
        if "raw_evtx" in rates and "summarize" in rates:
            print(f"summarize / raw evtx = {rates['summarize'] / rates['raw_evtx']:.2f}x (goal >= 0.6x, >= 100k rec/s)")
        size_mb = path.stat().st_size / 1e6
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "summarize", str(path), "--json"],
                       check=True, capture_output=True, cwd=ROOT)  # fmt: skip
        print(f"`intune-bot summarize` of the {size_mb:.0f} MB log, wall time: "
              f"{time.perf_counter() - started:.2f} s (goal < 3 s)")  # fmt: skip


if __name__ == "__main__":
    main()
