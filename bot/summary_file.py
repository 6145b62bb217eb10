"""A log file summarized: the reading path around bot.summary's Summarizer.

`summarize_file(path)` opens any log we read (or a zip of them) and
summarizes it on the fastest path there is: a connector log's successes are
counted from their raw JSON (bot.summary_lean), and a large upload is read
on every core (bot.summary_parallel).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.knowledge import Catalogue, default_catalogue
from bot.summary import Summarizer, summarize, ticker
from bot.summary_values import Summary


def count_raw(log, acc: Summarizer, progress: Callable[[int], None] | None = None) -> None:
    """Let `log` hand its .evtx records to `acc` raw where they need no decoding
    (bot.summary_lean): a summary's fast path. Kept events need every record whole."""
    if acc.keep_events:
        return
    from bot.summary_lean import absorb

    tick = ticker(progress)

    def take(records: list[dict]) -> list[dict]:
        whole = absorb(acc, records)
        if tick:  # a log of successes only yields no event to report progress on
            tick(acc.records)
        return whole

    log.absorb = take


def summarize_file(
    path: str | Path,
    *,
    parser: str = "auto",
    progress: Callable[[int], None] | None = None,
    catalogue: Catalogue | None = None,
    keep_events: bool = False,
    max_unpacked: int | None = None,
    processes: int = 1,
) -> Summary:
    """Open a log (any supported format, or a zip of them), summarize it, list its problems.

    `max_unpacked`: how much a zip may expand to (the upload limit; default 200 MB).
    `processes`: how many processes may read a large upload at once
    (bot.summary_parallel.processes() for every core). More than one is for
    programs whose main module is import-safe (`if __name__ == "__main__"`),
    as multiprocessing's spawned workers import it; the front ends are.
    Events kept for the history are read in one process (they would not fit
    through a pipe cheaply).
    Raises `bot.logs.NotAnEventLog` when the file is not an event log export.
    """
    from bot.logs import NotAnEventLog, open_log
    from bot.logs.parts import split
    from bot.summary_parallel import summarize_parts

    limits = {"max_unpacked": max_unpacked} if max_unpacked else {}
    log = open_log(path, parser=parser, **limits)
    catalogue = catalogue or default_catalogue()
    parts = None if keep_events else split(log, processes)
    tick = ticker(progress)
    if parts is None:
        acc = Summarizer(catalogue, keep_events=keep_events)
        count_raw(log, acc, tick)
        summary = summarize(log, file=Path(path).name, format=log.format, progress=tick, acc=acc)
        said = log
    else:  # a large upload: its parts read on every core
        _load_readers()
        acc, said = summarize_parts(parts, catalogue, keep_events=keep_events, progress=tick)
        if log.format == "zip" and not said.files:
            log.skipped = said.skipped
            raise NotAnEventLog(log.nothing_read())
        summary = acc.result(file=Path(path).name, format=log.format)
    summary.problems = list(said.problems)
    summary.parser = getattr(log, "parser", None)
    summary.ignored = said.ignored
    summary.notes = list(getattr(said, "notes", ()))
    if log.format == "zip":
        summary.files = [m.to_dict() for m in said.files]
        summary.skipped = list(said.skipped)
    return summary


def _load_readers() -> None:
    """Load what reading a part needs before the workers fork (bot.summary_parallel):
    each would otherwise import the .evtx reader and the lean path and parse the hop
    table again before its first record (~25 ms a process; this process needs them anyway)."""
    import evtx  # noqa: F401

    import bot.logs.chunk_view  # noqa: F401
    import bot.logs.evtx_reader  # noqa: F401
    import bot.summary_lean  # noqa: F401
    from bot.hops import load_table

    load_table()
