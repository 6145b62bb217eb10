"""`LogFile`: one opened export, streamed as events, with the problems found on the way."""

from __future__ import annotations

import importlib.util
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from bot.logs import Event, NotAnEventLog, Problem
from bot.logs.detect import Sniffed, sniff
from bot.logs.state import OutOfTime, ReadState
from bot.logs.zipped import ZipLog

# Guards against pathological files: iteration ends with a problem instead of
# running on. Generous for real uploads (a 50 MB log reads in well under 2 s).
TIME_BUDGET_S = 120.0
MAX_RECORDS = 5_000_000
CHECK_EVERY = 1024  # records between clock reads (time.monotonic is not free)

PARSERS = ("auto", "rust", "python")


class LogFile:
    """An event log export. Iterate it for `Event`s; `problems` is complete afterwards."""

    def __init__(
        self,
        path: str | Path,
        parser: str = "auto",
        *,
        time_budget: float = TIME_BUDGET_S,
        max_records: int = MAX_RECORDS,
        sniffed: Sniffed | None = None,
        display: str | None = None,
        records_before: int = 0,
        chunks: tuple[int, int] | None = None,
        scan=None,
    ) -> None:
        if parser not in PARSERS:
            raise ValueError(f"unknown parser {parser!r}: use one of {', '.join(PARSERS)}")
        self.path = Path(path)
        self.size = os.path.getsize(self.path)
        self.name = display or self.path.name  # what messages call it (a zip member's name)
        self.sniffed: Sniffed = sniffed or sniff(self.path, self.name)
        self.format = self.sniffed.format
        if self.format == "evtx":
            self.parser = "python" if parser == "python" else "rust"
        else:
            self.parser = self.format  # "xml" | "csv" | "txt" | "iis" | ...: one reader each
        self.time_budget = time_budget
        self.max_records = max_records
        # Records an archive read before this member: max_records is the archive's total.
        self.records_before = records_before
        # A part of a large .evtx read by a worker process: its chunks [first, end), and
        # the whole file's scan (bot.logs.chunks), already made once by whoever split it.
        self.chunks = chunks
        self._scan = scan
        self.problems: list[Problem] = []
        self.notes: list[str] = []  # facts worth telling that are not damage (e.g. local times)
        self.records_seen = 0  # events yielded
        self.records_skipped = 0  # records or file parts that could not be read
        self.ignored = 0  # records outside the chain (IIS requests to other URLs)
        self.complete = False  # iteration reached the end (not stopped by a guard)
        # A consumer that can count some .evtx records from their raw JSON sets
        # this (bot.summary_lean.absorb): those records are not yielded.
        self.absorb = None

    def __repr__(self) -> str:
        return f"LogFile({str(self.path)!r}, format={self.format!r}, parser={self.parser!r})"

    def __iter__(self) -> Iterator[Event]:
        self.notes = []
        self.records_seen = 0
        self.complete = False
        deadline = time.monotonic() + self.time_budget
        state = ReadState(deadline)
        self.problems = state.problems  # filled live as iteration goes
        scan = None
        if self.format == "evtx":
            from bot.logs import chunks

            scan = self._scan or chunks.scan(self.path)
            reader = self._evtx_reader(state, scan)
        else:
            reader = self._text_reader(state)
        n = 0
        stopped = None
        out_of_time = f"stopped after {self.time_budget:g} s: the file takes too long to read"
        allowed = max(self.max_records - self.records_before, 0)
        check_at = min(CHECK_EVERY, allowed)  # the record limit is exact, the clock read every CHECK_EVERY
        try:
            for event in reader:
                n += 1
                self.records_seen = n
                yield event
                if n >= check_at:
                    if n >= allowed:
                        total = self.records_before + n
                        stopped = f"stopped after {total} records (the limit is {self.max_records})"
                        break
                    if time.monotonic() > deadline:
                        stopped = out_of_time
                        break
                    check_at = min(n + CHECK_EVERY, allowed)
        except OutOfTime:  # raised inside the reader, between events
            stopped = out_of_time
        finally:
            reader.close()
            self.records_seen = n + state.absorbed
            self.records_skipped = state.skipped
            self.ignored = state.ignored
        if stopped:
            state.finish()
            state.problems.append(Problem("file", stopped))
            return
        state.finish()
        state.deadline = float("inf")  # the afterword keeps to `deadline` itself
        if scan is not None and self.chunks is None:  # a part leaves the whole file to its caller
            self._evtx_afterword(state, scan, deadline)
        self.complete = True

    # ------------------------------------------------------------- readers

    def _evtx_reader(self, state, scan) -> Iterator[Event]:
        if self.parser == "python":
            from bot.logs.evtx_python import read_python

            return read_python(self.path, state, scan)
        from bot.logs.evtx_reader import read_rust

        return read_rust(self.path, state, scan, self.chunks, self.absorb)

    def _text_reader(self, state) -> Iterator[Event]:
        if self.format == "iis":
            from bot.logs.iis_reader import read_iis

            return read_iis(self.path, self.sniffed, state)
        if self.format == "svclog":
            from bot.logs.trace_reader import read_svclog

            return read_svclog(self.path, self.sniffed, state)
        if self.format == "ndesplugin":
            from bot.logs.trace_reader import read_plugin_log

            return read_plugin_log(self.path, self.sniffed, state)
        if self.format == "xml":
            from bot.logs.xml_reader import read_xml

            return read_xml(self.path, self.sniffed, state)
        from bot.logs.text_reader import read_table

        return read_table(self.path, self.sniffed, state, self.notes)

    def _evtx_afterword(self, state, scan, deadline: float) -> None:
        """Problems only the whole file shows: truncation and bad checksums."""
        cut_in_header = scan.truncated_at is not None and scan.truncated_chunk is None
        if not scan.header_ok and not cut_in_header:
            state.problem("file header", "the file header checksum does not match (the header may be damaged)", always=True)
        if cut_in_header:
            state.problem("file header", f"the file is cut off at byte {scan.truncated_at:,}, inside its 4 KiB header: it holds no records", always=True)
        elif scan.truncated_at is not None:
            after = f" after record {scan.last_whole_record_id}" if scan.last_whole_record_id else ""
            state.problem(
                f"chunk {scan.truncated_chunk} (offset 0x{4096 + 65536 * scan.truncated_chunk:x})",
                f"the file is cut off at byte {scan.truncated_at:,}: records{after} in the partial chunk are lost",
                always=True,
            )
        elif scan.header_ok and scan.header_chunk_count > scan.chunk_slots:
            # A dirty log under-counts; more chunks listed than present means lost data.
            state.problem(
                "file",
                f"the header lists {scan.header_chunk_count} chunks but the file holds {scan.chunk_slots}: "
                "the end of the file is missing",
                always=True,
            )
        if scan.bad_crc:
            altered = self._count_unverified(deadline)
            if altered == 0:
                # Nothing we returned came from them: they were dropped whole.
                # Name those evtx dropped without a warning (e.g. a zeroed chunk).
                said = {p.where.split(" (")[0] for p in state.problems}
                for bad in scan.bad_crc:
                    if f"chunk {bad.index}" not in said:
                        state.problem(bad.where(), f"{bad.reason}: no events could be read from it", always=True)
                return
            names = ", ".join(b.where() for b in scan.bad_crc[:10])
            more = f" and {len(scan.bad_crc) - 10} more" if len(scan.bad_crc) > 10 else ""
            if altered is None:
                count = "some events come"
            else:
                count = "1 event comes" if altered == 1 else f"{altered} events come"
            state.problem(
                "checksums",
                f"{count} from chunks with bad checksums and may be altered: {names}{more}",
                always=True,
            )

    def _count_unverified(self, deadline: float) -> int | None:
        """How many of the events we gave come from chunks whose CRC fails.

        Only run when the CRC scan found a bad chunk: a second pass with
        validate_checksums=True drops exactly those chunks (evtx.md §4.4).
        """
        if self.parser != "rust":
            return None
        import evtx

        from bot.logs.evtx_reader import _WARN_LOCK

        verified = 0
        with _WARN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser = evtx.PyEvtxParser(
                str(self.path), number_of_threads=1, skip_errors=True, validate_checksums=True
            )
            try:
                for _ in parser.records():
                    verified += 1
                    if verified % CHECK_EVERY == 0 and time.monotonic() > deadline:
                        return None
            except Exception:
                return None
        return max(self.records_seen - verified, 0)


def open_log(path: str | Path, parser: str = "auto", **limits) -> LogFile | ZipLog:
    """Open a log (an export, an IIS or legacy trace log, a zip of them), by its content.

    `limits`: time_budget, max_records, and for zips max_unpacked (the upload limit).

    Raises NotAnEventLog (one clear line) for anything that is not an event log,
    and ParserUnavailable when `parser="python"` but python-evtx is not installed
    (it is left out on Windows, where its `Evtx` package clashes with `evtx`).
    """
    if parser == "python" and importlib.util.find_spec("Evtx") is None:
        from bot.logs import ParserUnavailable

        raise ParserUnavailable("python-evtx is not installed here: use --parser rust (the default)")
    sniffed = sniff(path)
    if sniffed.format == "zip":
        return ZipLog(path, parser, **limits)
    limits.pop("max_unpacked", None)
    return LogFile(path, parser, sniffed=sniffed, **limits)


def read_events(path: str | Path, parser: str = "auto") -> Iterator[Event]:
    """Stream the events of an export (problems are dropped; use open_log to see them)."""
    yield from open_log(path, parser)


__all__ = ["LogFile", "NotAnEventLog", "ZipLog", "open_log", "read_events"]
