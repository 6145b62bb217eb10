"""What a reader reports besides events, and the guard that stops a runaway file."""

from __future__ import annotations

import time

from bot.logs import Problem

MAX_PROBLEMS = 200  # past this, problems are counted, not listed (a file of bad rows)


class OutOfTime(Exception):
    """Raised inside a reader when the file's time budget is spent."""


class ReadState:
    """Problems and counters of one pass over a file, and its deadline."""

    def __init__(self, deadline: float = float("inf")) -> None:
        self.problems: list[Problem] = []
        self.skipped = 0  # records or parts of the file that could not be read
        self.unlisted = 0  # problems past MAX_PROBLEMS
        self.ignored = 0  # records read but outside the chain (IIS requests to other URLs)
        self.absorbed = 0  # records a consumer took raw instead of as events (LogFile.absorb)
        self.deadline = deadline

    def problem(self, where: str, reason: str, *, always: bool = False) -> None:
        """Note a problem; `always` for the few whole-file ones that must be listed."""
        # Readers report problems on paths that yield no event, where the
        # caller's per-event clock never looks: check the budget here too.
        self.check_time()
        if always or len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, reason))
        else:
            self.unlisted += 1

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime

    def finish(self) -> None:
        """Say how many problems were not listed, once reading is over."""
        if self.unlisted:
            self.problems.append(Problem("file", f"{self.unlisted} more problems like the ones above"))
            self.unlisted = 0
