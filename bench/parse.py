"""Parse throughput and memory on a large connector log and on a zip of five.

    .venv/bin/python bench/parse.py [--mb 50] [--log PATH] [--runs 3] [--cache DIR] [--no-zip]
                                    [--against DIR]

Generates a ~50 MB new-connector .evtx with tests/support/connector_logs.py
(or reuses --log), then prints, one line each: `evtx` records_json() iteration
with json.loads, python-evtx on a slice, our `read_events` and
`summarize_file`, each with records/s and the peak RSS of the process that ran
it (every measurement runs in its own child process, so peaks do not mix).

Then issue 11 item 7, as whole processes (interpreter start included), each
--runs times, median (min):
- the floor: a fresh `python -c` that only iterates records_json() with
  PyEvtxParser's default arguments, decoding nothing; against it
  `python -m bot summarize --json LOG`, run in turn with it, the ratio taken
  pair by pair (goal <= 3x);
- a zip of five logs (5 x large_log(39 MB), deflate, NDES0{i}/Application.evtx,
  ~195 MB unpacked) through `python -m bot summarize` and `--json`: wall time
  (goal < 5 s) and peak RSS (goal < 150 MB). The peak is that of the process
  and all its children together, sampled every 20 ms, next to the largest
  single process's own peak (getrusage), so a process pool cannot hide memory.
--against DIR: another checkout of the project (a `git archive` of a branch
unpacked somewhere, say); the whole-process runs alternate between this
checkout and that one, each line printed for both, so a change is compared
with what it changes under the same load.
Generated logs are kept in --cache (default ~/.cache/intune-triage-bench),
named after the generator's source, so a changed generator makes new ones.
The load average is printed at the start and the end. Asserts nothing: the
figures are read, not tested.

To add a measurement (e.g. end-to-end summarize), write a function
`(path) -> (records, seconds)` and append it to MEASUREMENTS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PYTHON_EVTX_SLICE = 2_000  # python-evtx manages ~500 records/s: a slice is enough
ZIP_MEMBERS = 5
ZIP_MEMBER_BYTES = 39_000_000  # 5 x 39 MB: ~195 MB unpacked, under the 200 MiB upload limit
SAMPLE_EVERY = 0.02  # seconds between RSS samples of a process tree
# Item 7's floor: what any summary pays to walk the records, decoding nothing.
FLOOR = "import evtx, sys\nfor _ in evtx.PyEvtxParser(sys.argv[1]).records_json(): pass"


def generate(path: Path, mb: int) -> None:
    from tests.support.connector_logs import large_log

    started = time.perf_counter()
    large_log(path, target_bytes=mb * 1_000_000)
    size = path.stat().st_size / 1e6
    print(f"generated {path.name}: {size:.1f} MB in {time.perf_counter() - started:.1f} s")


def raw_evtx(path: Path) -> tuple[int, float]:
    """evtx's own JSON iteration plus json.loads, in one thread (not item 7's floor,
    which decodes nothing: see FLOOR)."""
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
    from bot.summary_file import summarize_file

    started = time.perf_counter()
    summary = summarize_file(path)
    return summary.records, time.perf_counter() - started


MEASUREMENTS: list[tuple[str, Callable[[Path], tuple[int, float]]]] = [
    ("evtx records_json + json.loads, 1 thread", raw_evtx),
    (f"python-evtx record.xml() (first {PYTHON_EVTX_SLICE})", python_evtx),
    ("bot.logs read_events (normalized Events)", read_events),
    ("bot.summary_file summarize_file (end to end)", summarize),
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


def generated(cache: Path, name: str, build: str, *args) -> Path:
    """A generated log in the cache, built once (in a child, so this process stays small)."""
    source = (ROOT / "tests/support/connector_logs.py").read_bytes()
    key = hashlib.sha256(source + repr(args).encode()).hexdigest()[:10]
    path = cache / f"{Path(name).stem}-{key}{Path(name).suffix}"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        ctx = multiprocessing.get_context("spawn")
        proc = ctx.Process(target=globals()[build], args=(path, *args))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            sys.exit(f"building {path.name} failed")
    return path


def build_log(path: Path, mb: int) -> None:
    partial = path.with_name(path.name + ".part")
    generate(partial, mb)
    partial.rename(path)


def build_zip(path: Path, members: int, member_bytes: int) -> None:
    from tests.support.connector_logs import large_log

    started = time.perf_counter()
    partial = path.with_name(path.name + ".part")
    log = path.with_name(path.name + ".member")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(members):
            large_log(log, member_bytes, seed=i + 1)
            z.write(log, f"NDES0{i}/Application.evtx")
    log.unlink()
    partial.rename(path)
    print(f"generated {path.name}: {members} x {member_bytes / 1e6:.0f} MB, "
          f"{path.stat().st_size / 1e6:.0f} MB zipped in {time.perf_counter() - started:.0f} s")  # fmt: skip


def tree_rss(pid: int) -> int:
    """Bytes resident in pid and all its descendants now (0 once it is gone)."""
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended between two reads
    return total


def run_process(cmd: list[str], root: Path = ROOT) -> tuple[float, float, float]:
    """Run cmd in root to its end: (wall seconds, peak MB of its process tree, peak MB of its
    largest process). `python -m bot` imports the checkout it runs in."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(SAMPLE_EVERY):
            peak = max(peak, tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)  # wait4: this child's own peak, not all children's
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-500:]}")
    largest = usage.ru_maxrss / 1024  # KiB on Linux
    return wall, max(peak / 1e6, largest), largest


def load() -> str:
    """The machine's load, printed with the figures: on a shared machine they mean little without it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()} cores"


def spread(values: list[float], unit: str = " s") -> str:
    return f"{statistics.median(values):.2f}{unit} (min {min(values):.2f}{unit})"


def item7_log(path: Path, runs: int, roots: dict[str, Path]) -> None:
    """Whole `summarize --json` against the bare records_json() floor, pair by pair."""
    floors, walls, ratios = [], {k: [] for k in roots}, {k: [] for k in roots}
    for _ in range(runs):
        floor = run_process([sys.executable, "-c", FLOOR, str(path)])[0]
        floors.append(floor)
        for label, root in roots.items():
            wall = run_process(
                [sys.executable, "-m", "bot", "summarize", "--json", str(path)], root
            )[0]
            walls[label].append(wall)
            ratios[label].append(wall / floor)
    size = path.stat().st_size / 1e6
    print(f"records_json() floor, {size:.0f} MB log (whole process):   {spread(floors)}")
    for label in roots:
        tag = f"[{label}] " if len(roots) > 1 else ""
        print(
            f"{tag}`summarize --json`, {size:.0f} MB log (whole process):      {spread(walls[label])}"
        )
        print(f"{tag}summarize --json / records_json floor = {statistics.median(ratios[label]):.2f}x "
              f"(min {min(ratios[label]):.2f}x, {runs} pairs; goal <= 3x)")  # fmt: skip


def item7_zip(path: Path, runs: int, roots: dict[str, Path]) -> None:
    """The zip of five logs through the CLI, text and JSON: wall time and peak RSS."""
    for flags in ([], ["--json"]):
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in roots}
        for _ in range(runs):
            for label, root in roots.items():
                cmd = [sys.executable, "-m", "bot", "summarize", str(path), *flags]
                results[label].append(run_process(cmd, root))
        for label, runs_of in results.items():
            walls, trees, largest = (list(column) for column in zip(*runs_of, strict=True))
            tag = f"[{label}] " if len(roots) > 1 else ""
            command = " ".join(["summarize", *flags])
            print(f"{tag}zip of {ZIP_MEMBERS} logs, `{command}`: summarized in {spread(walls)} (goal < 5 s), "
                  f"peak RSS {statistics.median(trees):.0f} MB (max {max(trees):.0f}; goal < 150 MB), "
                  f"largest process {max(largest):.0f} MB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50, help="size of the generated log")
    ap.add_argument("--log", type=Path, help="use this .evtx instead of generating one")
    ap.add_argument("--runs", type=int, default=3, help="runs of each whole-process measurement")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "intune-triage-bench",
                    help="folder for the generated logs (outside the repo)")  # fmt: skip
    ap.add_argument("--no-zip", action="store_true", help="skip the zip of five logs")
    ap.add_argument(
        "--against", type=Path, help="another checkout to compare the whole-process runs with"
    )
    args = ap.parse_args()
    roots = {"this": ROOT}
    if args.against:
        if not (args.against / "bot" / "__main__.py").is_file():
            sys.exit(f"{args.against} is not a checkout of this project (no bot/__main__.py)")
        roots[str(args.against)] = args.against.resolve()
    path = args.log or generated(args.cache, f"connector-{args.mb}mb.evtx", "build_log", args.mb)
    print(f"start: {load()}")
    rates: dict[str, float] = {}
    for name, fn in MEASUREMENTS:
        n, seconds, peak = measure(fn, path)
        rates[fn.__name__] = n / seconds
        print(
            f"{name:48s} {n:>9,} records {seconds:7.2f} s {n / seconds:>10,.0f} rec/s  peak RSS {peak:5.0f} MB"
        )
    if "raw_evtx" in rates and "read_events" in rates:
        print(f"read_events / (records_json + json.loads) = {rates['read_events'] / rates['raw_evtx']:.2f}x "
              "records/s (goal >= 0.6x)")  # fmt: skip
    if "raw_evtx" in rates and "summarize" in rates:
        print(f"summarize_file / (records_json + json.loads) = {rates['summarize'] / rates['raw_evtx']:.2f}x "
              "records/s (goal >= 0.6x, >= 100k rec/s)")  # fmt: skip
    item7_log(path, args.runs, roots)
    if not args.no_zip:
        item7_zip(
            generated(args.cache, "five-logs.zip", "build_zip", ZIP_MEMBERS, ZIP_MEMBER_BYTES),
            args.runs,
            roots,
        )
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
