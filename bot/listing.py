"""`history [SERVER]` and `servers` for every front end (the CLI, the local prompt, Slack's
`/intune`): what to list, and the sentences said when there is nothing to list.

The sentences live here, once, so the front ends cannot drift apart: each passes its
`Voice` (how a person starts a history from there), and a server name as it shows
names (Slack escapes and quotes it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sentences are imported by renderers that never open the store
    from datetime import datetime

    from bot.history import Incident, ServerInfo
    from bot.history.queries import Visible

VERBS = ("history", "servers")


@dataclass(frozen=True)
class Voice:
    """How one front end finishes the sentences."""

    start: str  # how a history starts from there: "No history yet: … (START)."
    record: str  # how a log gets recorded: "No incidents recorded. RECORD"
    paths: bool = True  # whether the store's path may be shown (never to Slack's readers)


TERMINAL = Voice(
    start="`intune-bot summarize FILE --record` starts one",
    record="`intune-bot summarize FILE --record` records a log.",
)
SLACK = Voice(
    start="share a connector log in a channel I am in and I will start one",
    record="Drop a connector event log in a channel I am in.",
    paths=False,
)


@dataclass(frozen=True)
class Listing:
    """What `history [SERVER]` or `servers` lists; `missing` when there is no store yet,
    `error` (one line) when it could not be read."""

    verb: str  # "history" | "servers"
    server: str | None = None
    incidents: list[Incident] = field(default_factory=list)
    servers: list[ServerInfo] = field(default_factory=list)
    missing: Path | None = None
    error: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.servers if self.verb == "servers" else self.incidents)


def listing(
    db: Path | str, verb: str, server: str | None = None, *, limit: int = 30,
    visible_of: Callable[[list[str]], Visible] | None = None,
    status: str | None = None, event_id: int | None = None, since: datetime | None = None,
) -> Listing:  # fmt: skip
    """Read what `verb` lists. Never creates the store: a missing file is `missing`.

    `visible_of` turns the channels the history was learned in into the ones the
    reader may see (Slack's membership); None shows everything.
    """
    from bot.history import HistoryError
    from bot.triage import reading

    if verb not in VERBS:
        raise ValueError(f"not a listing: {verb!r}")
    server = (server or "").strip() or None
    path = Path(db).expanduser()
    if not path.exists():
        return Listing(verb, server, missing=path)
    try:
        with reading(path) as history:
            visible = visible_of(history.channels()) if visible_of else None
            if verb == "servers":
                return Listing(verb, servers=history.servers(visible))
            found = history.incidents(server=server, status=status, event_id=event_id,
                                      since=since, limit=limit, visible=visible)  # fmt: skip
            return Listing(verb, server, incidents=found)
    except HistoryError as err:
        return Listing(verb, server, error=str(err))


def no_history(path: Path | None, voice: Voice) -> str:
    """There is no store yet (reading never creates one)."""
    where = f"{path} does not exist ({voice.start})" if path and voice.paths else voice.start
    return f"No history yet: {where}."


def not_read(error: str) -> str:
    return f"The history could not be read: {error}"


def no_incidents(server: str | None, voice: Voice | None = None) -> str:
    """Nothing recorded for `server` (or at all), the name as the front end shows it;
    the voice adds how to record a log."""
    where = f" for {server}" if server else ""
    return f"No incidents recorded{where}." + (f" {voice.record}" if voice else "")


def no_servers(voice: Voice) -> str:
    return f"No servers recorded yet. {voice.record}"


def nothing_listed(found: Listing, voice: Voice) -> str | None:
    """The sentence a listing says instead of rows, or None when it has rows."""
    if found.missing is not None:
        return no_history(found.missing, voice)
    if found.error is not None:
        return not_read(found.error)
    if not found.empty:
        return None
    return no_servers(voice) if found.verb == "servers" else no_incidents(found.server, voice)
