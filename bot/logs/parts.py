"""Cut one large upload into parts that separate processes can read at once.

A part is picklable and opens itself where it is read: a run of a clean
.evtx file's chunks (bot.logs.chunk_view), or a run of a zip's top-level
entries (each read exactly as a whole pass reads it). Reading the parts in
order and merging what each gave is the same as reading the upload once;
only the limits differ a little: each part has the upload's time budget
(the same deadline) and its record limit.

Small uploads are never cut: starting a process costs more than it saves.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass

from bot.logs.chunks import ChunkScan, scan
from bot.logs.logfile import LogFile
from bot.logs.zipped import ZipLog

PARALLEL_FROM = 16 * 1024 * 1024  # bytes (a zip: unpacked) below which one process reads it
PARTS_PER_PROCESS = 4  # finer parts even out processes that start later or run slower


@dataclass(frozen=True)
class Part:
    path: str
    kind: str  # "evtx" (span: chunks [first, end)) | "zip" (span: top-level entries)
    span: tuple[int, int]
    parser: str
    deadline: float  # time.monotonic() after which reading stops, the same for every part
    max_records: int
    max_unpacked: int = 0  # zip parts
    scan: ChunkScan | None = None  # evtx parts: the whole file's, made once

    def open(self) -> LogFile | ZipLog:
        budget = max(self.deadline - time.monotonic(), 0.0)
        if self.kind == "evtx":
            return LogFile(self.path, self.parser, time_budget=budget, max_records=self.max_records,
                           chunks=self.span, scan=self.scan)  # fmt: skip
        return ZipLog(self.path, self.parser, max_unpacked=self.max_unpacked, time_budget=budget,
                      max_records=self.max_records, members=range(*self.span))  # fmt: skip


def split(log: LogFile | ZipLog, processes: int, min_bytes: int | None = None) -> list[Part] | None:
    """Parts of `log` for `processes` processes, or None when one process should read it
    (one process, a damaged or small file: under `min_bytes`, PARALLEL_FROM by default)."""
    if processes < 2:
        return None
    min_bytes = PARALLEL_FROM if min_bytes is None else min_bytes
    deadline = time.monotonic() + log.time_budget
    if isinstance(log, ZipLog):
        return _zip_parts(log, processes, deadline, min_bytes)
    if log.format != "evtx" or log.parser != "rust" or log.size < min_bytes:
        return None
    found = scan(log.path)
    if not _clean(found):
        return None  # a damaged file is read whole: its afterword needs every chunk
    used = max(found.header_chunk_count, found.last_chunk_index + 1)
    count = min(processes * PARTS_PER_PROCESS, used)
    if count < 2:
        return None
    bounds = _bounds(used, count, processes) + [1 << 62]  # the last runs to the end
    return [Part(str(log.path), "evtx", (a, b), log.parser, deadline, log.max_records, scan=found)
            for a, b in zip(bounds, bounds[1:], strict=False)]  # fmt: skip


def _bounds(chunks: int, count: int, processes: int) -> list[int]:
    """The first chunk of each of `count` parts: small parts where the processes meet.

    This process reads parts from the front and the workers from the back
    (bot.summary_parallel), so the last parts handed out are those around the
    1/processes mark. Equal parts left one process idle for up to a whole part
    at the end (0.14 s of a 0.7 s run); parts that shrink toward the meeting
    point bound that wait by the smallest one, for the same number of parts.
    """
    front = max(1, count // processes)  # the parts before the mark, largest first
    back = count - front  # the parts after it, largest last
    meet = chunks / processes
    sizes = [meet * w / _triangle(front) for w in range(front, 0, -1)]
    sizes += [(chunks - meet) * w / _triangle(back) for w in range(1, back + 1)]
    bounds, run = [], 0.0
    for size in sizes:
        bounds.append(round(run))
        run += size
    if any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
        return [chunks * i // count for i in range(count)]  # too few chunks to shape: equal parts
    return bounds


def _triangle(n: int) -> int:
    return n * (n + 1) // 2


def _clean(found: ChunkScan) -> bool:
    """Nothing the whole-file afterword of LogFile would report."""
    return (found.header_ok and found.truncated_at is None and not found.bad_crc
            and found.header_chunk_count <= found.chunk_slots)  # fmt: skip


def _zip_parts(log: ZipLog, processes: int, deadline: float, min_bytes: int) -> list[Part] | None:
    with zipfile.ZipFile(log.path) as z:
        sizes = [0 if i.is_dir() else i.file_size for i in z.infolist()]
    total = sum(sizes)
    if total < min_bytes or sum(1 for s in sizes if s) < 2:
        return None
    target = total / (processes * PARTS_PER_PROCESS)
    spans, start, size = [], 0, 0
    for index, n in enumerate(sizes):
        size += n
        if size >= target:
            spans.append((start, index + 1))
            start, size = index + 1, 0
    if start < len(sizes):
        spans.append((start, len(sizes)))
    if len(spans) < 2:
        return None
    return [Part(str(log.path), "zip", span, log.parser, deadline, log.max_records,
                 max_unpacked=log.max_unpacked) for span in spans]  # fmt: skip
