"""The history in Slack: incident lines, /intune history and servers, the digest,
the resolve modal, similar incidents, what the history knows about a question."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import history_words
from bot.listing import SLACK as SLACK_VOICE
from bot.listing import no_incidents, no_servers
from bot.slack.render.actions import NOTE_BLOCK, NOTE_INPUT, NOTE_MAX, RESOLVE_VIEW
from bot.slack.render.blocks import (
    Message,
    code,
    escape,
    list_section,
    mention,
    message,
    plain,
    section,
)
from bot.slack.render.blocks import server as _server
from bot.slack.render.blocks import when as _when

SHOWN_INCIDENTS = 10  # per kind (new, ongoing, recurred) in a summary; "Show all" has the rest


def history_lines(history: Mapping[str, Any], limit: int | None = SHOWN_INCIDENTS) -> list[str]:
    """What the store says after recording an upload: new, ongoing, recurred incidents.

    `history` is {"new" | "ongoing" | "recurred": [IncidentChange.to_dict()],
    "recent": [Recent.to_dict()], "already_recorded": bool}; `limit` of each kind is shown.
    """
    if history.get("already_recorded"):
        return ["This exact file was read before: the history did not change."]
    lines = []
    for key, label in (
        ("new", ":new: New"),
        ("recurred", ":leftwards_arrow_with_hook: Came back after a fix"),
        ("ongoing", ":repeat: Ongoing"),
    ):
        shown = list(history.get(key) or ())[:limit]
        for inc in shown:
            added = f" (+{int(inc['added']):,} from this file)" if inc.get("added") else ""
            lines.append(f"{label}: {incident_line(inc)}{added}")
        left = int(history.get(f"{key}_total", len(shown))) - len(shown)
        if left > 0:
            lines.append(f"{label}: …and {left:,} more")
    if history.get("untracked"):
        n = int(history["untracked"])
        lines.append(f":scissors: {n:,} more failure kind{'s' if n != 1 else ''} past the "
                     f"{int(history.get('incident_limit', 0)):,} incidents one log may open: stored, "
                     "no incident")  # fmt: skip
    for recent in history.get("recent") or ():
        lines.append(recent_line(recent))
    return lines


# Slack's way of showing the parts of the history's sentences (bot/history_words.py).
SLACK = history_words.Marks(text=escape, server=_server, when=_when, person=mention,
              note=lambda note: f"“{escape(note)}”")  # fmt: skip


def recent_line(r: Mapping[str, Any]) -> str:
    """ "NDES01 had this failure in 3 incidents over the last 30 days; last resolved by … : note"."""
    return f":calendar: {history_words.recent(r, SLACK)}"


def incident_line(inc: Mapping[str, Any]) -> str:
    what = escape(inc.get("event_id") or "?")
    if inc.get("code"):
        what += f" ({escape(inc['code'])})"
    if inc.get("kind") == "warning":
        what += " warning"
    server = _server(inc.get("server", "?"))
    count = f", {int(inc['count']):,}×" if inc.get("count") else ""
    span = f" _{_when(inc.get('first'))} → {_when(inc.get('last'))}_" if inc.get("first") else ""
    return f"{what} on {server}{count}{span}"


def incidents(items: Sequence[Mapping[str, Any]], server: str | None = None) -> Message:
    """`/intune history [SERVER]`: incidents, latest first, open or how they were resolved."""
    where = f" for {code(server)}" if server else ""
    if not items:
        return plain(no_incidents(code(server) if server else None, SLACK_VOICE))
    lines = []
    for i in items:
        status = escape(i.get("status", ""))
        if i.get("status") == "resolved" and i.get("note"):
            status += f": “{escape(i['note'])}”"
        lines.append(f"• {incident_line(i)} — {status}")
    title = f"*Incidents{where}*, latest first"
    return message(f"{len(items)} incidents{where}", [list_section(title, lines)])


def servers(items: Sequence[Mapping[str, Any]]) -> Message:
    """`/intune servers`: every connector server the history knows, most recently seen first."""
    if not items:
        return plain(no_servers(SLACK_VOICE))
    lines = [
        f"• {_server(s.get('name', '?'))}: {int(s.get('open_incidents', 0))} open of "
        f"{int(s.get('incidents', 0))} incidents, last seen {_when(s.get('last_seen'))}"
        for s in items
    ]
    return message(f"{len(items)} connector servers", [list_section("*Connector servers*", lines)])


DIGEST_SHOWN = 10  # incidents listed per kind; the rest is a count
DIGEST_KINDS = (("new", ":new: New"), ("ongoing", ":repeat: Still open"),
                ("resolved", ":white_check_mark: Resolved"))  # fmt: skip


def digest(data: Mapping[str, Any]) -> Message:
    """The daily digest, from `Digest.to_dict()`: new, still open and resolved incidents."""
    head = f"*Connector incidents* from {_when(data.get('since'))} to {_when(data.get('until'))}"
    counts = {key: len(data.get(key) or ()) for key, _ in DIGEST_KINDS}
    if not any(counts.values()):
        text = "Daily digest: no connector incidents in the last day, none open"
        return message(text, [section(f"{head}\n:sunny: No new, open or resolved incidents.")])
    text = "Daily digest: " + ", ".join(
        f"{counts[key]} {label.split(' ', 1)[1].lower()}" for key, label in DIGEST_KINDS
    )
    blocks = [section(head)]
    for key, label in DIGEST_KINDS:
        items = list(data.get(key) or ())
        if not items:
            continue
        lines = []
        for inc in items[:DIGEST_SHOWN]:
            line = f"• {incident_line(inc)}"
            if key == "resolved" and inc.get("note"):
                line += f": “{escape(inc['note'])}”"
            elif key == "new" and inc.get("status") == "resolved":
                line += " (already resolved)"
            lines.append(line)
        more = len(items) - len(lines)
        blocks.append(list_section(f"*{label}* ({len(items)})", lines, more))
    return message(text, blocks)


def resolution_line(r: Mapping[str, Any]) -> str:
    n = int(r.get("count", 0))
    what = f" ({n} incident{'s' if n != 1 else ''})" if n else ""
    note = f": “{escape(r['note'])}”" if r.get("note") else ""
    return f":white_check_mark: Resolved by {mention(r.get('by'))}{what}{note}"


def resolve_modal(
    ids: Sequence[int], metadata: str, incidents: Sequence[Mapping[str, Any]] = ()
) -> dict:
    """The "Mark resolved" modal: what will be resolved, and a short note."""
    lines = [f"• {incident_line(i)}" for i in incidents[:10]]
    more = len(ids) - len(lines)
    head = (
        f"This marks *{len(ids)} incident{'s' if len(ids) != 1 else ''}* of this summary resolved."
    )
    blocks = [list_section(head, lines, more if lines else 0)]
    blocks.append({
        "type": "input", "block_id": NOTE_BLOCK,
        "label": {"type": "plain_text", "text": "What fixed it?"},
        "element": {"type": "plain_text_input", "action_id": NOTE_INPUT, "multiline": True,
                    "max_length": NOTE_MAX,
                    "placeholder": {"type": "plain_text", "text": "Renewed the NDES RA certificate"}},
    })  # fmt: skip
    return {"type": "modal", "callback_id": RESOLVE_VIEW, "private_metadata": metadata,
            "title": {"type": "plain_text", "text": "Mark resolved"},
            "submit": {"type": "plain_text", "text": "Resolve"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}  # fmt: skip


def resolved_in_thread(by: str, note: str, count: int) -> Message:
    """When the summary itself cannot be re-rendered: say it in the thread."""
    return plain(resolution_line({"by": by, "note": note, "count": count}))


def not_allowed() -> Message:
    return plain(":no_entry: You are not allowed to resolve incidents here. "
                 "Ask someone listed in the bot's INTUNE_BOT_RESOLVERS setting.")  # fmt: skip


def summary_gone() -> Message:
    return plain("This summary is no longer kept in full; share the log again to see everything.")


def failure_label(event_id: object, code_: object = None) -> str:
    what = escape(event_id or "?")
    return what + (f" ({escape(code_)})" if code_ else "")


def similar(items: Sequence[Mapping[str, Any]], event_id: object, code_: object = None) -> Message:
    """ "Similar incidents": the same failure on any server, resolved ones first, with notes."""
    what = failure_label(event_id, code_)
    if not items:
        return plain(f"No other incidents of {what} in the history.")
    lines = []
    for i in items:
        line = f"• {incident_line(i)} — {escape(i.get('status', ''))}"
        if i.get("status") == "resolved":
            line += f" by {mention(i.get('resolved_by'))} {_when(i.get('resolved_at'))}"
            if i.get("note"):
                line += f": “{escape(i['note'])}”"
        lines.append(line)
    title = f"*Incidents of {what}*, on any server, resolved first"
    return message(f"{len(items)} incidents of {what}", [list_section(title, lines)])


def known_lines(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the history knows of a failure on a server: {"incident": …, "recent": …} each."""
    lines = []
    for item in items:
        inc, recent = item["incident"], item.get("recent") or {}
        status = "open" if inc.get("status") == "open" else "resolved"
        line = f"• {incident_line(inc)} — {status}"
        n = int(recent.get("incidents", 0))
        if n:
            line += f"; {history_words.incidents(n)} in the last {int(recent.get('days', 30))} days"
        if recent.get("last"):
            line += f", last on {_when(recent['last'])}"
        fixed = history_words.resolved(recent.get("last_resolution"), SLACK)
        if fixed:
            line += f"; {fixed}"
        lines.append(line)
    return lines


def known(items: Sequence[Mapping[str, Any]], where: str) -> list[dict]:
    """Blocks added to an answer: `where` is already mrkdwn (escaped)."""
    if not items:
        return []
    return [list_section(f"*What the history knows {where}*", known_lines(items))]


def history_knows(places: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Blocks added to an answer, from `triage.what_history_knows` (as dicts)."""
    blocks: list[dict] = []
    for place in places:
        server = place.get("server")
        if place.get("where") == "thread":
            blocks += known(place["items"], "about this thread's incidents")
        elif place.get("items"):
            blocks += known(place["items"], f"on {code(server)}")
        else:
            blocks += incidents([], server)["blocks"]
    return blocks
