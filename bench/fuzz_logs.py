"""Fuzz the log readers: several hundred damaged variants of the sample files.

    .venv/bin/python bench/fuzz_logs.py [--variants 600] [--seed 1] [--parser rust]

Each variant (truncation, bit flips, overwritten blocks, chunk-header or file-
header damage; on .evtx and on the XML / CSV / TXT exports) is read by
`open_log` in a worker process with a 10 s timeout and a 1 GiB address-space
limit. Prints counts of: clean results, partial results with problems, clean
refusals (NotAnEventLog), crashes (an exception or a signal: must be 0), hangs
over 10 s (must be 0), and silent alterations (an event that differs from the
pristine file's, with no problem reported; silently lost: fewer .evtx events
than the pristine file with no problem reported; both must be 0 for .evtx, which has
checksums, and for truncations of any format; bit flips inside a CSV / TXT /
XML export cannot be detected and are counted apart).
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import random
import resource
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data"
TIMEOUT_S = 10.0
MEMORY_LIMIT = 1 << 30
HEADER, CHUNK = 4096, 65536

EVTX_SAMPLES = [
    "normal__plaso__System.evtx",
    "normal__mitre__ID4688-5447-4950-Firewall_disabled_command.evtx",
    "normal__evtxrs__2-system-Microsoft-Windows-LiveId_4Operational.evtx",
    "dirty__evtxrs__sysmon.evtx",
    "normal__mitre__ID33205-SQL_Server_failed_login_with_SA_wrong_password.evtx",
]
# python-evtx reads ~300 records/s: with --parser python only files it reads in
# well under the timeout.
PYTHON_EVTX_SAMPLES = [
    "normal__mitre__ID33205-SQL_Server_failed_login_with_SA_wrong_password.evtx",
    "normal__mitre__ID4885_4876_4877_5123_5124-ADCS_PKI_OCSP.evtx",
    "dirty__mitre__ID4662-Domain_group_enumeration_CME.evtx",
    "damaged__plaso__System2.evtx",
]
EXPORT_SAMPLES = ["saved_events.xml", "wevtutil.xml", "eventviewer_en.csv", "eventviewer_fr.txt", "powershell_export.csv"]


# ------------------------------------------------------------------ variants


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def bit_flips(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice([1, 2, 8, 32, 128, 1024])):
        at = rng.randrange(len(buf))
        buf[at] ^= 1 << rng.randrange(8)
    return bytes(buf)


def blocks(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        size = rng.randint(16, 256)
        at = rng.randrange(max(1, len(buf) - size))
        buf[at : at + size] = rng.randbytes(size)
    return bytes(buf)


def chunk_header(data: bytes, rng: random.Random) -> bytes:
    chunks = max(1, (len(data) - HEADER) // CHUNK)
    base = HEADER + rng.randrange(chunks) * CHUNK
    buf = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:
        buf[base : base + 8] = bytes(8)  # zeroed magic
    elif kind == 1:
        struct.pack_into("<I", buf, base + 48, rng.choice([0, 0xFFFFFFFF, rng.getrandbits(32)]))  # free space
    elif kind == 2:
        struct.pack_into("<I", buf, base + 44, rng.choice([0, 0xFFFFFFF0, rng.getrandbits(32)]))  # last record
    elif kind == 3:
        struct.pack_into("<QQ", buf, base + 8, rng.getrandbits(64), rng.getrandbits(64))  # record numbers
    elif kind == 4:
        at = base + 512 + 4
        struct.pack_into("<I", buf, at, rng.choice([0, 1, 0xFFFFFFF0, 0x7FFFFFFF]))  # first record size
    else:
        buf[base + 128 : base + 512] = rng.randbytes(384)  # string / template tables
    return bytes(buf)


def file_header(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(3)
    if kind == 0:
        struct.pack_into("<H", buf, 42, rng.choice([0, 1, 0xFFFF]))  # chunk count
    elif kind == 1:
        buf[8:HEADER] = bytes(HEADER - 8)
    else:
        struct.pack_into("<I", buf, 120, rng.getrandbits(32))  # flags
    return bytes(buf)


EVTX_MUTATIONS = [truncate, bit_flips, blocks, chunk_header, file_header]
TEXT_MUTATIONS = [truncate, bit_flips, blocks]


def load_samples(parser: str) -> dict[str, bytes]:
    names = PYTHON_EVTX_SAMPLES if parser == "python" else EVTX_SAMPLES
    samples = {name: gzip.decompress((DATA / "evtx" / f"{name}.gz").read_bytes()) for name in names}
    for name in EXPORT_SAMPLES:
        samples[name] = (DATA / "exports" / name).read_bytes()
    return samples


# ------------------------------------------------------------------ worker


def _fingerprints(path: Path, parser: str) -> set:
    from bot.logs import open_log

    return {repr(e) for e in open_log(path, parser)}


def _worker(conn, parser: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    from bot.logs import NotAnEventLog, open_log

    while True:
        job = conn.recv()
        if job is None:
            return
        path, pristine = job
        try:
            log = open_log(path, parser)
            altered = 0
            n = 0
            for event in log:
                n += 1
                if pristine is not None and repr(event) not in pristine:
                    altered += 1
            conn.send(("partial" if log.problems else "clean", n, altered, len(log.problems)))
        except NotAnEventLog:
            conn.send(("refused", 0, 0, 0))
        except BaseException as err:  # noqa: BLE001 - any exception here is a crash of open_log
            conn.send(("crash", 0, 0, f"{type(err).__name__}: {err}"[:200]))


class Runner:
    """One worker process at a time; a new one after a hang or a crash."""

    def __init__(self, parser: str) -> None:
        self.parser = parser
        self.ctx = multiprocessing.get_context("fork")
        self.proc = None
        self.conn = None

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.parser), daemon=True)
        self.proc.start()

    def run(self, path: Path, pristine: set | None):
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send((path, pristine))
        if not self.conn.poll(TIMEOUT_S):
            self.proc.kill()
            self.proc.join()
            self.proc = None
            return ("hang", 0, 0, f"no answer in {TIMEOUT_S:g} s")
        try:
            return self.conn.recv()
        except EOFError:
            self.proc.join()
            code = self.proc.exitcode
            self.proc = None
            return ("crash", 0, 0, f"worker died (exit code {code})")

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parser", default="rust", choices=["rust", "python"])
    args = ap.parse_args()
    rng = random.Random(args.seed)
    samples = load_samples(args.parser)
    counts: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    notes: list[str] = []
    runner = Runner(args.parser)
    started = time.monotonic()
    slowest = 0.0
    with tempfile.TemporaryDirectory(prefix="intune-fuzz-") as tmp:
        pristine: dict[str, set] = {}
        for name, data in samples.items():
            path = Path(tmp) / name
            path.write_bytes(data)
            pristine[name] = _fingerprints(path, args.parser)
        names = list(samples)
        for i in range(args.variants):
            name = names[i % len(names)]
            mutations = EVTX_MUTATIONS if name.endswith(".evtx") else TEXT_MUTATIONS
            mutate = mutations[rng.randrange(len(mutations))]
            path = Path(tmp) / f"v{i}_{name}"
            path.write_bytes(mutate(samples[name], rng))
            t0 = time.monotonic()
            outcome, n, altered, detail = runner.run(path, pristine[name])
            slowest = max(slowest, time.monotonic() - t0)
            counts[outcome] += 1
            by_kind.setdefault(mutate.__name__, Counter())[outcome] += 1
            if outcome in ("crash", "hang"):
                notes.append(f"{outcome}: {path.name} ({mutate.__name__}): {detail}")
            if outcome == "clean" and name.endswith(".evtx") and n < len(pristine[name]):
                counts["silently lost"] += 1
                notes.append(f"silently lost: {path.name} ({mutate.__name__}): {len(pristine[name]) - n} events")
            if outcome == "clean" and altered:
                if name.endswith(".evtx") or mutate is truncate:
                    counts["silently altered"] += 1
                    notes.append(f"silently altered: {path.name} ({mutate.__name__}): {altered} events")
                else:  # CSV / TXT / XML carry no checksum: a flipped letter cannot be seen
                    counts["altered text, no checksum"] += 1
            path.unlink()
        runner.close()
    total = sum(counts[k] for k in ("clean", "partial", "refused", "crash", "hang"))
    print(f"{total} variants of {len(samples)} files, parser={args.parser}, {time.monotonic() - started:.0f} s "
          f"(slowest variant {slowest:.2f} s)")  # fmt: skip
    keys = ("clean", "partial", "refused", "crash", "hang", "silently altered", "silently lost", "altered text, no checksum")
    for key in keys:
        print(f"  {key:18s} {counts[key]:5d}")
    print("  by mutation: " + "; ".join(f"{k}: {dict(v)}" for k, v in by_kind.items()))
    for line in notes[:20]:
        print("  " + line)
    if counts["crash"] or counts["hang"] or counts["silently altered"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
