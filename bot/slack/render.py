"""Block Kit for core results: every Slack message the bot sends is built here.

Each function returns `{"text": ..., "blocks": [...]}`, ready for `respond(**msg)`,
`say(**msg)` or `chat_update(**msg)`. Two rules hold everywhere:

- untrusted text (log contents, file names, user text, even catalogue text) goes
  through `escape()`: Slack parses `&`, `<` and `>` as control characters, so an
  unescaped `<!channel>` in a log would ping everyone and `<http://x|y>` would
  forge a link;
- Slack's limits are kept here and only here: 50 blocks per message, 3000
  characters per section; what does not fit ends in "…and N more".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.knowledge import Advice, Entry
from bot.search import Answer, Match

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_TEXT = 3000  # the top-level fallback text; Slack allows 40k, notifications show far less
SHARE_ACTION = "intune_share"

Message = dict[str, Any]

KINDS = {"event": "Event", "code": "Diagnostic code", "hresult": "HRESULT"}
KINDS_FR = {"event": "Événement", "code": "Code de diagnostic", "hresult": "HRESULT"}
LABELS = {
    "en": {"cause": "Likely cause", "fix": "What to do", "related": "Related",
           "doc": "Documentation", "also": "Other matches", "inferred": "_(our inference)_",
           "unknown": "{id} is not in the catalogue of Intune connector events and codes.",
           "nearest": "Nearest entries", "nothing": "No event or code matches “{q}”.",
           "share": "Share in channel"},
    "fr": {"cause": "Cause probable", "fix": "Que faire", "related": "Voir aussi",
           "doc": "Documentation", "also": "Autres résultats", "inferred": "_(notre déduction)_",
           "unknown": "{id} n'est pas dans le catalogue des événements et codes du connecteur.",
           "nearest": "Entrées les plus proches", "nothing": "Rien ne correspond à « {q} ».",
           "share": "Partager dans le canal"},
}  # fmt: skip

HELP = """\
*Intune certificate connector triage*
• `/intune 20502` an event ID · `/intune 0x410` a diagnostic code or HRESULT, any spelling
• `/intune crpverify faliure` an event or code name, typos welcome
• `/intune why did PKCS issuance fail` a question, in English or French
• `/intune history [SERVER]` what the history store knows · `/intune servers` the connector servers seen
• Drop an event log export (`.evtx`, or Event Viewer XML / CSV / TXT) in a channel I am in, \
or in a DM: I answer in its thread with a failure summary.
• In a thread, mention me (`@intune-triage 20502`): Slack does not run slash commands in threads."""


# --- escaping and limits -------------------------------------------------------


def escape(text: object) -> str:
    """Make untrusted text inert in mrkdwn: only & < > are control characters.

    Not html.escape(): it also encodes quotes, which Slack would show literally.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: object) -> str:
    """Untrusted text in an inline code span: escaped, and backticks can't close the span."""
    return "`" + escape(str(text).replace("`", "'")) + "`"


def section(text: str) -> dict:
    if len(text) > MAX_SECTION:
        text = text[: MAX_SECTION - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:MAX_SECTION]}]}


def list_section(title: str, lines: Sequence[str], more: int = 0) -> dict:
    """A titled list that stops before 3000 characters and says how many it left out."""
    out = [title] if title else []
    size = len(title)
    for i, line in enumerate(lines):
        tail = f"…and {len(lines) - i + more} more"
        if size + len(line) + len(tail) + 2 > MAX_SECTION:
            out.append(tail)
            break
        out.append(line)
        size += len(line) + 1
    else:
        if more:
            out.append(f"…and {more} more")
    return section("\n".join(out))


def message(text: str, blocks: list[dict]) -> Message:
    """Cap the block count; the last kept block says how many were left out."""
    if len(blocks) > MAX_BLOCKS:
        left = len(blocks) - (MAX_BLOCKS - 1)
        blocks = blocks[: MAX_BLOCKS - 1] + [context(f"…and {left} more")]
    return {"text": text[:MAX_TEXT], "blocks": blocks}


def plain(text: str) -> Message:
    """A one-line message; `text` must already be escaped."""
    return message(text, [section(text)])


# --- lookup answers ------------------------------------------------------------


def title(entry: Entry, lang: str = "en") -> str:
    kinds = KINDS_FR if lang == "fr" else KINDS
    return f"{kinds.get(entry.kind, entry.kind)} {entry.id} {escape(entry.name)}"


def help_message() -> Message:
    return message("Intune connector triage: usage", [section(HELP)])


def answer(answer: Answer, lang: str = "en", *, share: bool = True) -> Message:
    """The best match in full, then the next few; unknown IDs say so and list the nearest."""
    labels = LABELS.get(lang, LABELS["en"])
    if answer.is_help:
        return help_message()
    blocks: list[dict] = []
    lead: list[str] = []
    if answer.unknown_id:
        lead.append(labels["unknown"].format(id=code(answer.unknown_id)))
    if not answer.matches:
        lead.append(labels["nothing"].format(q=escape(answer.query.strip()[:200])))
        blocks.append(section("\n".join(lead)))
        blocks.append(context("Try `/intune help`, or ask the team that runs the connector."))
        return message(" ".join(lead), blocks)
    best, others = answer.matches[0], list(answer.matches[1:])
    if answer.unknown_id and not best.exact:
        blocks.append(section("\n".join(lead)))
        others, fallback = list(answer.matches), " ".join(lead)
        also = labels["nearest"]
    else:
        if lead:
            blocks.append(section("\n".join(lead)))
        blocks += entry_blocks(best.entry, lang, labels)
        fallback = f"{title(best.entry, lang)}: {escape(best.entry.description.get(lang))}"
        also = labels["also"]
    if others:
        blocks.append(list_section(f"*{also}*", [_match_line(m, lang) for m in others]))
    if share:
        blocks.append(share_button(answer.query, lang, labels["share"]))
    return message(fallback, blocks)


def entry_blocks(entry: Entry, lang: str, labels: Mapping[str, str]) -> list[dict]:
    head = f"*{title(entry, lang)}*\n{escape(entry.description.get(lang))}"
    if entry.note:
        head += f"\n_{escape(entry.note.get(lang))}_"
    blocks = [section(head)]
    if entry.causes:
        lines = [_advice(a, lang, labels) for a in entry.causes]
        blocks.append(list_section(f"*{labels['cause']}*", ["• " + x for x in lines]))
    if entry.fixes:
        lines = [f"{i}. {_advice(a, lang, labels)}" for i, a in enumerate(entry.fixes, 1)]
        blocks.append(list_section(f"*{labels['fix']}*", lines))
    tail = []
    if entry.related:
        tail.append(f"{labels['related']}: " + ", ".join(code(r) for r in entry.related))
    if entry.doc:
        tail.append(f"<{_url(entry.doc)}|{labels['doc']}>")
    if tail:
        blocks.append(context(" · ".join(tail)))
    return blocks


def share_button(query: str, lang: str, label: str = "Share in channel") -> dict:
    # The value round-trips through Slack: keep it small (2000 chars max) and re-run the lookup.
    value = json.dumps({"q": query[:1500], "lang": lang}, ensure_ascii=False)
    button = {"type": "button", "action_id": SHARE_ACTION, "value": value,
              "text": {"type": "plain_text", "text": label}}  # fmt: skip
    return {"type": "actions", "elements": [button]}


def _match_line(m: Match, lang: str) -> str:
    return f"• {title(m.entry, lang)}"


def _advice(a: Advice, lang: str, labels: Mapping[str, str]) -> str:
    text = escape(a.text.get(lang))
    return f"{text} {labels['inferred']}" if a.inferred else text


def _url(url: str) -> str:
    # Inside <url|label> a "|" or ">" would end the URL early.
    return escape(url).replace("|", "%7C")


# --- file uploads --------------------------------------------------------------


def size(n: int | None) -> str:
    if n is None:
        return "unknown size"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError


def reading(name: str, nbytes: int | None, records: int | None = None) -> Message:
    text = f":hourglass_flowing_sand: Reading {code(name)} ({size(nbytes)})…"
    if records:
        text += f" {records:,} records so far"
    return plain(text)


def problem(name: str, reason: str) -> Message:
    """One line in the thread saying why a file could not be read."""
    return plain(f":warning: Could not read {code(name)}: {escape(reason)}")


def crashed() -> Message:
    return plain(":warning: Something went wrong while handling this; it has been logged.")


CHECKING_HISTORY = ":hourglass_flowing_sand: Checking the incident history…"


def summary(
    data: Mapping[str, Any], history: Mapping[str, Any] | None = None, *, pending: bool = False
) -> Message:
    """The failure summary of one log, from `Summary.to_dict()` (the summarize --json contract).

    Most useful first: the dominant failure and what to check, then every failure
    with counts and times, who was affected, success rates, unreadable parts, history.
    """
    name = data.get("file") or "the file"
    problems = list(data.get("problems") or [])
    if not data.get("records") and problems:  # nothing readable: one line saying why
        return problem(name, "; ".join(str(p.get("reason", "")) for p in problems[:3]))
    failures = list(data.get("failures") or [])
    warnings = list(data.get("warnings") or [])
    servers = list(data.get("servers") or [])
    records, connector = data.get("records", 0), data.get("connector_events", 0)
    span = f"{_when(data.get('first'))} → {_when(data.get('last'))}" if data.get("first") else ""
    head = f"*{code(name)}*: {records:,} records, {connector:,} from the certificate connector"
    if servers:
        head += " on " + ", ".join(code(s) for s in servers[:10]) + _more(len(servers), 10)
    blocks = [section(head + (f"\n{span}" if span else ""))]
    total = sum(int(f.get("count", 0)) for f in failures)
    if failures:
        top = failures[0]
        lead = (
            f":rotating_light: *{total:,} failures*. Most frequent: *{_failure_name(top)}* "
            f"× {int(top.get('count', 0)):,}"
        )
        if top.get("later_succeeded"):
            lead += f" ({int(top['later_succeeded']):,} later succeeded for the same device)"
        fallback = f"{escape(name)}: {total:,} failures, most frequent {_failure_name(top)}"
    elif connector:
        lead = ":white_check_mark: No connector failures in this log."
        fallback = f"{escape(name)}: no connector failures"
    else:
        lead = "No Intune certificate connector events in this log."
        fallback = f"{escape(name)}: no connector events"
    blocks.append(section(lead))
    blocks += _check_first(data.get("check_first"))
    if failures:
        blocks.append(list_section("*Failures*", [_failure_line(f) for f in failures]))
        affected = _affected(failures)
        if affected:
            blocks.append(section(affected))
    if warnings:
        blocks.append(list_section("*Warnings*", [_failure_line(f) for f in warnings]))
    rates = [_rate_line(r) for r in data.get("success_rates") or ()]
    if rates:
        blocks.append(list_section("*Success rates*", rates))
    if problems:
        lines = [f"• {escape(p.get('where', ''))}: {escape(p.get('reason', ''))}" for p in problems]
        blocks.append(
            list_section(f"*Parts of the file that could not be read* ({len(problems)})", lines)
        )
    if history:
        lines = history_lines(history)
        if lines:
            blocks.append(list_section("*History*", lines))
    elif pending:  # the summary goes out first; the history follows in a second update
        blocks.append(context(CHECKING_HISTORY))
    return message(fallback, blocks)


CHECK_CAUSES, CHECK_FIXES = 3, 4  # "check first" is a short list; /intune CODE has the rest


def _check_first(check: Mapping[str, Any] | None, lang: str = "en") -> list[dict]:
    """The dominant failure's likely causes and first fixes, from the catalogue."""
    if not check or not (check.get("causes") or check.get("fixes")):
        return []
    labels = LABELS[lang]

    def advice(a: Mapping[str, Any]) -> str:
        text = escape(a.get(lang) or a.get("en") or "")
        return f"{text} {labels['inferred']}" if a.get("inferred") else text

    causes, fixes = list(check.get("causes") or ()), list(check.get("fixes") or ())
    lines = [f"• {advice(a)}" for a in causes[:CHECK_CAUSES]]
    if fixes:
        lines.append(f"*{labels['fix']}*")
        lines += [f"{i}. {advice(a)}" for i, a in enumerate(fixes[:CHECK_FIXES], 1)]
    ident = check.get("code") or check.get("event_id")
    tail = [f"<{_url(check['doc'])}|{labels['doc']}>"] if check.get("doc") else []
    if ident and (len(causes) > CHECK_CAUSES or len(fixes) > CHECK_FIXES):
        tail.append(f"all causes and fixes: `/intune {escape(ident)}`")
    blocks = [list_section("*Check first*", lines)]
    if tail:
        blocks.append(context(" · ".join(tail)))
    return blocks


def _failure_name(f: Mapping[str, Any]) -> str:
    name = escape(f.get("name") or "")
    label = f"{escape(f.get('event_id', '?'))} {name}".strip()
    if f.get("code"):
        code_name = f" {escape(f['code_name'])}" if f.get("code_name") else ""
        label += f" ({escape(f['code'])}{code_name})"
    return label


def _failure_line(f: Mapping[str, Any]) -> str:
    when = _when(f.get("first"))
    if f.get("last") and f.get("last") != f.get("first"):
        when += f" → {_when(f.get('last'))}"
    return f"• *{int(f.get('count', 0)):,}* × {_failure_name(f)}  _{when}_"


# (key, label, examples shown): device and user IDs are long GUIDs, a few say enough.
AFFECTED = (("servers", "Servers", 8), ("cas", "CAs", 8), ("templates", "Templates", 8),
            ("devices", "Devices", 3), ("users", "Users", 3))  # fmt: skip


def _affected(failures: Sequence[Mapping[str, Any]]) -> str:
    """Who the failures hit, across all of them: a few examples and how many in all."""
    lines = []
    for key, label, examples in AFFECTED:
        seen: dict[str, None] = {}
        counted = 0
        for f in failures:
            value = f.get(key) or {}
            if isinstance(value, Mapping) and "examples" in value:  # {"count", "examples"}
                names, counted = (
                    value.get("examples") or [],
                    max(counted, int(value.get("count", 0))),
                )
            else:  # {name: count} or a plain list
                names = list(value)
            for n in names:
                seen.setdefault(str(n))
        if seen:
            values = list(seen)
            total = max(len(values), counted)
            shown = ", ".join(code(v) for v in values[:examples])
            lines.append(f"{label} ({total:,}): {shown}{_more(total, min(len(values), examples))}")
    return "*Affected*\n" + "\n".join(lines) if lines else ""


def _rate_line(rate: Mapping[str, Any]) -> str:
    ok, failed = int(rate.get("succeeded", 0)), int(rate.get("failed", 0))
    pct = rate.get("rate")
    shown = f"{pct:.0%}" if isinstance(pct, (int, float)) else "?"
    retried = f", {int(rate['retried']):,} retried" if rate.get("retried") else ""
    return (
        f"• {escape(rate.get('operation', '?'))}: {shown} ({ok:,} ok, {failed:,} failed{retried})"
    )


def _more(total: int, shown: int) -> str:
    return f" …and {total - shown:,} more" if total > shown else ""


def _when(iso: object) -> str:
    text = str(iso or "?")
    return escape(text.replace("T", " ").replace("+00:00", "Z")[:20])


# --- history -------------------------------------------------------------------


def history_lines(history: Mapping[str, Any]) -> list[str]:
    """What the store says after recording an upload: new, ongoing, reopened incidents.

    `history` is {"new" | "ongoing" | "reopened": [IncidentChange.to_dict()],
    "recent": [Recent.to_dict()], "already_recorded": bool}.
    """
    if history.get("already_recorded"):
        return ["This exact file was read before: the history did not change."]
    lines = []
    for key, label in (
        ("new", ":new: New"),
        ("reopened", ":leftwards_arrow_with_hook: Reopened"),
        ("ongoing", ":repeat: Ongoing"),
    ):
        shown = history.get(key) or ()
        for inc in shown:
            added = f" (+{int(inc['added']):,} from this file)" if inc.get("added") else ""
            lines.append(f"{label}: {incident_line(inc)}{added}")
        left = int(history.get(f"{key}_total", len(shown))) - len(shown)
        if left > 0:
            lines.append(f"{label}: …and {left:,} more")
    for recent in history.get("recent") or ():
        lines.append(recent_line(recent))
    return lines


def recent_line(r: Mapping[str, Any]) -> str:
    """ "NDES01 had this failure in 3 incidents over 30 days; last fixed by … : note"."""
    what = escape(r.get("event_id", "?")) + (f" ({escape(r['code'])})" if r.get("code") else "")
    n = int(r.get("incidents", 0))
    line = (
        f":calendar: {code(r.get('server', '?'))} had {what} in {n} incident{'s' if n != 1 else ''} "
        f"over the last {int(r.get('days', 30))} days"
    )
    fixed = r.get("last_resolution")
    if fixed:
        line += f"; last resolved {_when(fixed.get('resolved_at'))}"
        if fixed.get("note"):
            line += f": “{escape(fixed['note'])}”"
    return line


def incident_line(inc: Mapping[str, Any]) -> str:
    what = escape(inc.get("event_id") or "?")
    if inc.get("code"):
        what += f" ({escape(inc['code'])})"
    if inc.get("kind") == "warning":
        what += " warning"
    server = code(inc.get("server", "?"))
    count = f", {int(inc['count']):,}×" if inc.get("count") else ""
    span = f" _{_when(inc.get('first'))} → {_when(inc.get('last'))}_" if inc.get("first") else ""
    return f"{what} on {server}{count}{span}"


def incidents(items: Sequence[Mapping[str, Any]], server: str | None = None) -> Message:
    """`/intune history [SERVER]`: incidents, latest first, open or how they were resolved."""
    where = f" for {code(server)}" if server else ""
    if not items:
        return plain(
            f"No incidents recorded{where}. Drop a connector event log in a channel I am in."
        )
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
        return plain(
            "No connector servers recorded yet. Drop a connector event log in a channel I am in."
        )
    lines = [
        f"• {code(s.get('name', '?'))}: {int(s.get('open_incidents', 0))} open of "
        f"{int(s.get('incidents', 0))} incidents, last seen {_when(s.get('last_seen'))}"
        for s in items
    ]
    return message(f"{len(items)} connector servers", [list_section("*Connector servers*", lines)])
