"""What a lookup answers: ranked matches (bot.search ranks them) and their JSON.

The values every front end renders (terminal, Slack, the CLI's --json), and
the words they share for an answer that several sources or both connector
generations give.
"""

from __future__ import annotations

from bot.knowledge import Entry
from bot.value import Value

_set = object.__setattr__  # fields of an immutable Value are set once, in __init__


class Match(Value):
    """One ranked entry of an answer."""

    __slots__ = ("entry", "score", "exact", "shared", "counterpart", "related")
    entry: Entry
    score: float  # 0-100; 100 only for exact matches
    exact: bool
    shared: tuple[Entry, ...]  # other sources' entries with the same bare ID
    counterpart: Entry | None  # the same failure on the other connector generation
    related: tuple[str, ...]  # the entry's related entries, as people name them (Entry.label)

    def __init__(self, entry: Entry, score: float, exact: bool, shared: tuple[Entry, ...] = (),
                 counterpart: Entry | None = None, related: tuple[str, ...] = ()) -> None:  # fmt: skip
        _set(self, "entry", entry)
        _set(self, "score", score)
        _set(self, "exact", exact)
        _set(self, "shared", shared)
        _set(self, "counterpart", counterpart)
        _set(self, "related", related)


class Answer(Value):
    """What one query gets: ranked matches, or why there are none."""

    __slots__ = ("query", "matches", "unknown_id", "is_help", "did_you_mean")
    query: str
    matches: tuple[Match, ...]
    unknown_id: str | None  # an ID or code the query named that the catalogue lacks
    is_help: bool  # empty input or `help`: show usage
    did_you_mean: str | None  # a loosely typed code the catalogue has ("0x00000410")

    def __init__(self, query: str, matches: tuple[Match, ...], unknown_id: str | None = None,
                 is_help: bool = False, did_you_mean: str | None = None) -> None:  # fmt: skip
        _set(self, "query", query)
        _set(self, "matches", matches)
        _set(self, "unknown_id", unknown_id)
        _set(self, "is_help", is_help)
        _set(self, "did_you_mean", did_you_mean)

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def answered(self) -> bool:
        """Does the answer name an entry (exact, close, or "did you mean")? The
        nearest IDs of an unknown one are offered, not answered."""
        return bool(self.matches) and not (self.unknown_id and not self.matches[0].exact)


def shared_label(entry: Entry) -> str:
    """How an entry sharing the answer's number is named: "Application Error (w3wp.exe
    crash)" for an event of another source, "IIS 403.16 (…)" for another IIS variant."""
    if entry.kind == "http":
        win32 = f" win32 {entry.win32}" if entry.win32 is not None else ""
        return f"{entry.provider} {entry.id}{win32} ({entry.name})"
    return f"{entry.provider} ({entry.name})"


def shared_number(entry: Entry) -> str:
    """The number several entries share: "event 1000", "HTTP 403"."""
    return f"event {entry.id}" if entry.kind == "event" else f"HTTP {entry.id.split('.')[0]}"


def other_spellings(entry: Entry) -> tuple[str, ...]:
    """The other ways a log writes an HRESULT, so an admin can grep for them: unsigned and
    signed decimal (event details, IIS's win32 status, .NET's HResult), and the Win32 error
    number a 0x8007xxxx code wraps ("2147954575", "-2147012721", "Win32 12175")."""
    if entry.kind != "hresult":
        return ()
    try:
        value = int(entry.id, 16)
    except ValueError:
        return ()
    out = [str(value)]
    if value >= 0x8000_0000:
        out.append(str(value - 0x1_0000_0000))
    if value >> 16 == 0x8007:  # FACILITY_WIN32 with the failure bit
        out.append(f"Win32 {value & 0xFFFF}")
    return tuple(out)


def generation_ids(match: Match) -> tuple[str, str] | None:
    """(legacy ID, current ID) of a match answered for both connector generations."""
    other = match.counterpart
    if other is None:
        return None
    legacy, current = (
        (match.entry, other) if match.entry.generation == "legacy" else (other, match.entry)
    )
    return legacy.id, current.id


def answer_to_json(answer: Answer) -> dict:
    """The `intune-bot lookup --json` contract of DESIGN.md (plus additive fields)."""
    return {
        "query": answer.query,
        "matches": [_match_json(m) for m in answer.matches],
        "unknown": answer.unknown_id,
        "did_you_mean": answer.did_you_mean,
    }


def _match_json(m: Match) -> dict:
    out = _entry_json(m.entry) | {"score": round(m.score, 1), "exact": m.exact}
    if m.counterpart:
        out["counterpart"] = _entry_json(m.counterpart)
    if m.shared:
        out["shared"] = [_entry_json(e) for e in m.shared]
    return out


def _entry_json(e: Entry) -> dict:
    return {"type": e.json_type, "id": e.id, "name": e.name, "kind": e.kind, "key": e.key,
            "hop": e.hop, "source": e.provider}  # fmt: skip
