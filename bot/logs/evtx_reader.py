"""Read .evtx files with the Rust-backed `evtx` package, the default reader.

This module drives the parser and turns its warnings into problems; the
record format is bot.logs.evtx_json's, the python-evtx fallback is
bot.logs.evtx_python's.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from bot.logs import Event
from bot.logs.chunks import CHUNK_SIZE, HEADER_SIZE, ChunkScan
from bot.logs.evtx_json import from_json
from bot.logs.state import ReadState

BATCH = 512  # records pulled per warnings-capture block (bounds memory, amortizes the block)

# warnings.catch_warnings swaps module-global state, so two threads parsing at
# once (the Slack app runs listeners in a pool) would mix their warnings up.
_WARN_LOCK = threading.Lock()


def read_rust(path: Path, state: ReadState, scan: ChunkScan,
              chunks: tuple[int, int] | None = None, absorb=None) -> Iterator[Event]:  # fmt: skip
    """The events of the file, or of its chunks [first, end) (bot.logs.chunk_view).

    `absorb(records) -> records`: a consumer that takes some raw records as they
    are (bot.summary_lean) and gives back the ones to decode into events."""
    import evtx

    if scan.truncated_at is not None and scan.truncated_chunk is None:
        return  # no whole file header: nothing to read (the afterword says why)
    source = str(path)
    if chunks is not None:
        from bot.logs.chunk_view import ChunkView

        source = ChunkView(path, *chunks)
    try:
        parser = evtx.PyEvtxParser(source, number_of_threads=1, skip_errors=True)
        records = parser.records_json()
    except (OSError, RuntimeError) as err:  # the file header itself is unreadable
        state.problem("file header", f"cannot be read: {_short(str(err))}")
        return
    # Chunks past both the header's count and the last real chunk are unused
    # preallocated space: failing to parse them is not damage (dirty logs).
    used_chunks = max(scan.header_chunk_count, scan.last_chunk_index + 1)
    normalize = from_json
    while True:
        state.check_time()
        with _WARN_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                batch = list(islice(records, BATCH))
                error = None
            except Exception as err:  # the parser gave up on the rest of the file
                batch, error = [], err
        for w in caught:
            _warning_to_problem(w, state, used_chunks, chunks[0] if chunks else 0)
        whole = batch
        if absorb is not None and batch:
            whole = absorb(batch)
            state.absorbed += len(batch) - len(whole)
        for rec in whole:
            try:
                yield normalize(rec)
            except Exception as err:  # one odd record must not end the file
                state.skipped += 1
                state.problem(f"record {rec.get('event_record_id')}", f"could not be read: {err}")
        if error is not None:
            state.problem("file", f"the EVTX reader stopped: {_short(str(error))}")
            return
        if len(batch) < BATCH:
            return


_CHUNK_RE = re.compile(r"chunk number (\d+)")
_RECORD_RE = re.compile(r"record number (\d+)")
_NOISE = (
    "Skipping EVTX data: ",
    "RuntimeError: ",
    "An error occurred while trying to deserialize evtx stream.: ",
    "Failed to parse chunk header: ",
)


def _short(text: str) -> str:
    for noise in _NOISE:
        text = text.replace(noise, "")
    text = re.sub(r"Failed to parse (chunk|record) number \d+: ", "", text)
    return text[:300]


def _warning_to_problem(w: warnings.WarningMessage, state: ReadState, used_chunks: int,
                        first_chunk: int = 0) -> None:  # fmt: skip
    text = str(w.message)
    if not (issubclass(w.category, RuntimeWarning) and "EVTX" in text):
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return
    reason = _short(text)
    chunk = _CHUNK_RE.search(text)
    record = _RECORD_RE.search(text)
    if chunk:
        n = int(chunk.group(1)) + first_chunk  # a view's chunk 0 is the file's first_chunk
        if n >= used_chunks and "chunk header magic" in text:
            return  # unused space at the end of a live log
        where = f"chunk {n} (offset 0x{HEADER_SIZE + n * CHUNK_SIZE:x})"
    elif record:
        where = f"record {record.group(1)}"
    else:
        where = "record"
    state.skipped += 1
    state.problem(where, reason)
