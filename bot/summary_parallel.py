"""Summarize a large upload on every core: worker processes read its parts, merged in order.

bot.logs.parts cuts the upload (a big .evtx by chunks, a zip by entries);
this process reads parts from the front while workers take them from the
back, one at a time each, so a worker that starts late or a part that reads
slowly evens out. Each part gives a Summarizer (bot.summary) and what its
log said (problems, notes, members); merging them in part order gives what
a single pass gives.

Workers start once per process and are kept; if one dies, its part is read
here instead. A process with one thread (the CLI, the local prompt) forks
them on Linux: a forked worker has the code and the catalogue already, where
a spawned one spends a quarter of a second importing them. A process with
threads (the Slack app) spawns them: forking it could copy a lock that
another thread holds.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.knowledge import Catalogue, default_catalogue
from bot.logs import Problem
from bot.logs.parts import Part
from bot.summary import Summarizer
from bot.summary_file import count_raw

if TYPE_CHECKING:  # imported when a pool is needed: most uploads are small
    from concurrent.futures import ProcessPoolExecutor

MAX_PROCESSES = 4


@dataclass
class PartLog:
    """What reading one part said besides its events."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: int = 0
    files: list = field(default_factory=list)  # zip parts: bot.logs.zipped.Member
    skipped: list[dict[str, str]] = field(default_factory=list)


def processes() -> int:
    """How many processes may read one upload: the cores this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def read_part(part: Part, catalogue: Catalogue | None, keep_events: bool) -> tuple[Summarizer, PartLog]:
    """Read one part into a Summarizer of its own (in a worker, or here)."""
    log = part.open()
    acc = Summarizer(catalogue, keep_events=keep_events)
    count_raw(log, acc)
    add = acc.add
    for event in log:
        add(event)
    said = PartLog(list(log.problems), list(log.notes), log.ignored,
                   list(getattr(log, "files", ())), list(getattr(log, "skipped", ())))  # fmt: skip
    return acc, said


def summarize_parts(parts: list[Part], catalogue: Catalogue, *, keep_events: bool = False,
                    progress=None) -> tuple[Summarizer, PartLog]:  # fmt: skip
    """One Summarizer and one PartLog for the whole upload."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    shipped = None if catalogue is default_catalogue() else catalogue  # workers load their own
    results: list[tuple[Summarizer, PartLog] | None] = [None] * len(parts)
    todo = deque(range(len(parts)))
    running: dict = {}  # Future -> part index
    workers = processes() - 1
    pool = _pool(workers)
    done_records = 0

    def finished(i: int, result) -> None:
        nonlocal done_records
        results[i] = result
        done_records += result[0].records
        if progress:
            progress(done_records)

    while todo or running:
        # One part queued ahead per worker: a worker that finishes starts the next at once
        # instead of idling until this process ends its own part (~1/4 of a run idle).
        while pool is not None and todo and len(running) < 2 * workers:
            i = todo.pop()  # workers read from the back
            try:
                running[pool.submit(read_part, parts[i], shipped, keep_events)] = i
            except BrokenProcessPool:
                todo.append(i)
                pool = _reset_pool()
        if todo:
            i = todo.popleft()  # this process reads from the front
            finished(i, read_part(parts[i], catalogue, keep_events))
            ready = [f for f in running if f.done()]
        else:
            ready = wait(running, return_when=FIRST_COMPLETED).done
        for future in ready:
            i = running.pop(future)
            try:
                finished(i, future.result())
            except BrokenProcessPool:  # a worker died (killed, out of memory): read it here
                pool = _reset_pool()
                finished(i, read_part(parts[i], catalogue, keep_events))
    return _merged(results, catalogue)


def _merged(results, catalogue: Catalogue) -> tuple[Summarizer, PartLog]:
    acc, said = results[0]
    acc.catalogue = catalogue
    for other, other_said in results[1:]:
        acc.merge(other)
        said.problems += other_said.problems
        said.notes += [n for n in other_said.notes if n not in said.notes]
        said.ignored += other_said.ignored
        said.files += other_said.files
        said.skipped += other_said.skipped
    return acc, said


_POOL: ProcessPoolExecutor | None = None


def _pool(workers: int) -> ProcessPoolExecutor | None:
    global _POOL
    if workers < 1:
        return None
    if _POOL is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"
        _POOL = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
        atexit.register(_POOL.shutdown, cancel_futures=True)
    return _POOL


def _reset_pool() -> ProcessPoolExecutor | None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL = None
    return _pool(processes() - 1)
