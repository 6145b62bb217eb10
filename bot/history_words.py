"""The sentences the history says about a failure, written once for every front end.

"NDES01 had 20502 (0x00000410) in 3 incidents over the last 30 days; last resolved
2026-11-02 08:00 by ana: renewed the RA certificate" is said under a Slack summary,
after `summarize --record`, and under an answer (Slack and the local prompt). Each
front end passes its `Marks`: how it shows a server, a time, a person and untrusted
text (Slack escapes and quotes them; the terminal prints them as they are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

UNKNOWN_SERVER = "unknown server"  # the nameless server of older CSV / TXT uploads


def _terminal_when(iso: object) -> str:
    """An ISO 8601 UTC time as "2026-11-02 08:00"."""
    return str(iso or "?").replace("T", " ")[:16]


def _terminal_server(name: object) -> str:
    return str(name) if str(name or "").strip() else UNKNOWN_SERVER


@dataclass(frozen=True)
class Marks:
    """How one front end shows the parts of a sentence."""

    text: Callable[[object], str] = str  # untrusted text: codes, IDs
    server: Callable[[object], str] = _terminal_server
    when: Callable[[object], str] = _terminal_when
    person: Callable[[object], str] = str
    note: Callable[[object], str] = str  # what fixed it, as someone wrote it


TERMINAL = Marks()


def incidents(n: int) -> str:
    """ "1 incident", "2 incidents"."""
    return f"{n:,} incident{'s' if n != 1 else ''}"


def failure(event_id: object, code: object, marks: Marks = TERMINAL) -> str:
    """ "20502 (0x00000410)", or the event ID alone."""
    return marks.text(event_id if event_id not in (None, "") else "?") + (
        f" ({marks.text(code)})" if code else ""
    )


def resolved(fixed: Mapping[str, Any] | None, marks: Marks = TERMINAL) -> str:
    """ "last resolved 2026-11-02 08:00 by ana: note", or "" when it never was."""
    if not fixed:
        return ""
    out = f"last resolved {marks.when(fixed.get('resolved_at'))}"
    if fixed.get("resolved_by"):
        out += f" by {marks.person(fixed['resolved_by'])}"
    if fixed.get("note"):
        out += f": {marks.note(fixed['note'])}"
    return out


def recent(r: Mapping[str, Any], marks: Marks = TERMINAL) -> str:
    """A failure's last days on one server (`Recent.to_dict()`), and its last fix."""
    line = (
        f"{marks.server(r.get('server'))} had {failure(r.get('event_id'), r.get('code'), marks)} "
        f"in {incidents(int(r.get('incidents', 0)))} over the last {int(r.get('days', 30))} days"
    )
    fix = resolved(r.get("last_resolution"), marks)
    return f"{line}; {fix}" if fix else line
