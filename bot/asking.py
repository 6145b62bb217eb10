"""A question a person asks (Slack mention or DM, the local prompt, `lookup`): the
catalogue's answer, and what the history knows of the failure on the servers the
question names, or in the summary thread it was asked in.

`ask()` is the use case both front ends call; they only render what it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commands import guess_lang
from bot.history import History, HistoryError, Incident
from bot.history.queries import Visible
from bot.triage import reading

if TYPE_CHECKING:
    from bot.answer import Answer

# What of the history the reader may see, from the channels it was learned in (Slack
# asks who is a member: bot/slack/membership.py); None everywhere else: all of it.
Scope = Callable[[list[str]], Visible]


@dataclass(frozen=True)
class Asked:
    """A question's answer and what the history knows of it.

    `history_error` says why the history part is missing when the store could not
    be read; the answer stands without it.
    """

    answer: Answer
    lang: str
    known: list[Known] = field(default_factory=list)
    history_error: str | None = None


def ask(
    text: str, db: Path | str | None, *, scope: Scope | None = None,
    thread: tuple[str, str] | None = None, thread_ids: Sequence[int] = (),
) -> Asked:  # fmt: skip
    """The answer to `text`, and what the history at `db` knows of what it asks.

    Reading never creates the store: with no file at `db` there is just the answer.
    `thread` and `thread_ids` as in `what_history_knows`.
    """
    from bot.search import lookup  # the catalogue loads only when a question is asked

    lang = guess_lang(text)
    answer = lookup(text, lang=lang)
    if db is None or not Path(db).exists():
        return Asked(answer, lang)
    try:
        with reading(db) as history:
            visible = scope(history.channels()) if scope else None
            named = servers_named(text, history, visible)
            known = what_history_knows(history, answer, named, thread, thread_ids, visible)
    except HistoryError as err:
        return Asked(answer, lang, history_error=str(err))
    return Asked(answer, lang, known)


@dataclass(frozen=True)
class Known:
    """The history of one place a question points at: a summary's thread, or a server.

    `items` are {"incident": Incident.to_dict(), "recent": Recent.to_dict()}, the latest
    incident of each distinct failure; empty when the server has no incidents recorded.
    """

    where: str  # "thread" | "server"
    server: str | None
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "server": self.server, "items": self.items}


NAMED_SERVERS = 2  # servers of one question whose history is told


def servers_named(text: str, history: History, visible: Visible = None) -> list[str]:
    """The known servers a text names, in full or by short name ("NDES01")."""
    words = {w.strip("?.,;:!()'\"").casefold() for w in text.split()}
    names = []
    for server in history.servers(visible):
        full = server.name.casefold()
        if full in words or full.split(".")[0] in words:
            names.append(server.name)
    return names


def what_history_knows(
    history: History, answer: Answer | None, servers: Sequence[str],
    thread: tuple[str, str] | None = None, thread_ids: Sequence[int] = (),
    visible: Visible = None,
) -> list[Known]:  # fmt: skip
    """The question's failure on the servers it names, or in the summary thread it was asked in.

    `thread_ids` are more incidents of that thread (the front end may keep summaries
    whose ongoing incidents belong to an older thread). Without a failure in the
    answer, or none of it recorded, the latest failures of the place are told.
    """
    entry = answer.best.entry if answer is not None and answer.best else None
    out: list[Known] = []
    if thread:
        found = history.incidents_in_thread(*thread, visible=visible)
        known = {i.id for i in found}
        for incident_id in thread_ids:
            if incident_id not in known:
                found += _incident_or_none(history, incident_id, visible)
        found.sort(key=lambda i: i.last, reverse=True)
        items = _with_recent(history, _about(found, entry) or found, visible)
        out.append(Known("thread", None, items))
    for server in servers[:NAMED_SERVERS]:
        found = history.incidents(server=server, limit=50, visible=visible)
        items = _with_recent(history, _about(found, entry) or found, visible) if found else []
        out.append(Known("server", server, items))
    return out


def _incident_or_none(history: History, incident_id: int, visible: Visible) -> list[Incident]:
    try:
        return [history.incident(incident_id, visible)]
    except HistoryError:  # folded into another incident since, or not to be shown here
        return []


def _about(incidents: Sequence[Incident], entry: Any) -> list[Incident]:
    """The incidents of the failure the question names (event ID, code or HRESULT)."""
    if entry is None:
        return []
    if entry.kind == "event":
        return [i for i in incidents if str(i.event_id) == entry.id]
    return [i for i in incidents if (i.code or "").lower() == entry.id.lower()]


def _with_recent(
    history: History, incidents: Sequence[Incident], visible: Visible, top: int = 3
) -> list[dict]:
    """The latest incident of each distinct failure and server, with its 30-day history."""
    seen, items = set(), []
    for i in incidents:
        key = (i.server, i.event_id, i.code)
        if key in seen:
            continue
        seen.add(key)
        recent = history.recent(i.server, i.event_id, i.code, visible=visible).to_dict()
        items.append({"incident": i.to_dict(), "recent": recent})
        if len(items) == top:
            break
    return items
