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
SHOWN_INCIDENTS = 10  # per kind (new, ongoing, reopened) in a summary; "Show all" has the rest
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


def message(text: str, blocks: list[dict], tail: Sequence[dict] = ()) -> Message:
    """Cap the block count; the last kept block says how many were left out, then `tail`."""
    room = MAX_BLOCKS - len(tail)
    if len(blocks) > room:
        left = len(blocks) - (room - 1)
        blocks = blocks[: room - 1] + [context(f"…and {left} more")]
    return {"text": text[:MAX_TEXT], "blocks": [*blocks, *tail]}


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
    data: Mapping[str, Any],
    history: Mapping[str, Any] | None = None,
    *,
    pending: bool = False,
    resolved: Sequence[Mapping[str, Any]] = (),
) -> Message:
    """The failure summary of one log, from `Summary.to_dict()` (the summarize --json contract).

    Most useful first: the dominant failure and what to check, then every failure
    with counts and times, who was affected, success rates, unreadable parts, history.
    Once recorded (`history`), buttons follow: Mark resolved, Similar incidents, and
    Show all when something was cut to fit.
    """
    body = _summary_body(data, history, pending=pending)
    if isinstance(body, dict):
        return body
    fallback, blocks = body
    cut = len(blocks) > MAX_BLOCKS - 1 or blocks != _summary_body(data, history, full=True)[1]
    tail = summary_actions(data, history, resolved, show_all=cut) if history else []
    return message(fallback, blocks, tail=tail)


def summary_full(
    data: Mapping[str, Any],
    history: Mapping[str, Any] | None,
    resolved: Sequence[Mapping[str, Any]] = (),
) -> list[Message]:
    """ "Show all": nothing cut; the first message replaces the summary, the rest go in the thread."""
    body = _summary_body(data, history, full=True)
    if isinstance(body, dict):
        return [body]
    fallback, blocks = body
    tail = summary_actions(data, history, resolved, show_all=False) if history else []
    first, rest = blocks[: MAX_BLOCKS - len(tail)], blocks[MAX_BLOCKS - len(tail) :]
    out = [message(fallback, first, tail=tail)]
    for i in range(0, len(rest), MAX_BLOCKS):
        out.append(message(f"{fallback} (continued)", rest[i : i + MAX_BLOCKS]))
    return out


def _summary_body(
    data: Mapping[str, Any],
    history: Mapping[str, Any] | None = None,
    *,
    pending: bool = False,
    full: bool = False,
) -> tuple[str, list[dict]] | Message:
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
        shown = len(servers) if full else 10
        head += " on " + ", ".join(code(s) for s in servers[:shown]) + _more(len(servers), shown)
    if problems:  # said first: a failure may be in what could not be read
        head += (
            f"\n:warning: {len(problems)} part(s) of the file could not be read, so failures "
            "may be missing (details below)."
        )
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
        blocks += _list("*Failures*", [_failure_line(f) for f in failures], full)
        affected = _affected(failures)
        if affected:
            blocks.append(section(affected))
    if warnings:
        blocks += _list("*Warnings*", [_failure_line(f) for f in warnings], full)
    rates = [_rate_line(r) for r in data.get("success_rates") or ()]
    if rates:
        blocks += _list("*Success rates*", rates, full)
    if problems:
        lines = [f"• {escape(p.get('where', ''))}: {escape(p.get('reason', ''))}" for p in problems]
        blocks += _list(
            f"*Parts of the file that could not be read* ({len(problems)})", lines, full
        )
    if history:
        lines = history_lines(history, None if full else SHOWN_INCIDENTS)
        if lines:
            blocks += _list("*History*", lines, full)
    elif pending:  # the summary goes out first; the history follows in a second update
        blocks.append(context(CHECKING_HISTORY))
    return fallback, blocks


def _list(title: str, lines: Sequence[str], full: bool) -> list[dict]:
    """One capped list section, or (full) as many sections as the lines need."""
    if not full:
        return [list_section(title, lines)]
    blocks, chunk, size = [], [title], len(title)
    for line in lines:
        line = line[: MAX_SECTION - 100]
        if size + len(line) + 1 > MAX_SECTION:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    blocks.append(section("\n".join(chunk)))
    return blocks


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


def history_lines(history: Mapping[str, Any], limit: int | None = SHOWN_INCIDENTS) -> list[str]:
    """What the store says after recording an upload: new, ongoing, reopened incidents.

    `history` is {"new" | "ongoing" | "reopened": [IncidentChange.to_dict()],
    "recent": [Recent.to_dict()], "already_recorded": bool}; `limit` of each kind is shown.
    """
    if history.get("already_recorded"):
        return ["This exact file was read before: the history did not change."]
    lines = []
    for key, label in (
        ("new", ":new: New"),
        ("reopened", ":leftwards_arrow_with_hook: Reopened"),
        ("ongoing", ":repeat: Ongoing"),
    ):
        shown = list(history.get(key) or ())[:limit]
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


# --- incident workflow: summary buttons, resolve modal, similar, thread answers --------

RESOLVE_ACTION = "intune_resolve"
SIMILAR_ACTION = "intune_similar"
SHOW_ALL_ACTION = "intune_show_all"
RESOLVE_VIEW = "intune_resolve_note"
NOTE_BLOCK, NOTE_INPUT = "note", "note"
NOTE_MAX = 500
MAX_VALUE = 2000  # a button's value


def incident_ids(history: Mapping[str, Any] | None) -> list[int]:
    """Every incident a recorded upload touched (new, reopened, ongoing)."""
    ids: list[int] = []
    for key in ("new", "reopened", "ongoing"):
        ids += [int(i["id"]) for i in (history or {}).get(key) or () if i.get("id") is not None]
    return list(dict.fromkeys(ids))


def ids_value(ids: Sequence[int]) -> str:
    """The incident IDs as a button value: as many as fit in 2000 characters."""
    value = ""
    for i in ids:
        more = f"{value},{i}" if value else str(i)
        if len(more) > MAX_VALUE:
            break
        value = more
    return value


def parse_ids(value: str) -> list[int]:
    return [int(x) for x in str(value or "").split(",") if x.strip().isdigit()][:1000]


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "action_id": action_id, "value": value[:MAX_VALUE],
              "text": {"type": "plain_text", "text": label[:75]}}  # fmt: skip
    if style:
        button["style"] = style
    return button


def summary_actions(
    data: Mapping[str, Any], history: Mapping[str, Any] | None,
    resolved: Sequence[Mapping[str, Any]] = (), *, show_all: bool = False,
) -> list[dict]:  # fmt: skip
    """The blocks under a recorded summary: who resolved it, then the buttons."""
    blocks = [section(resolution_line(r)) for r in resolved[-3:]]
    buttons = []
    ids = incident_ids(history)
    if ids and not resolved:
        buttons.append(_button("Mark resolved", RESOLVE_ACTION, ids_value(ids), "primary"))
    top = (list(data.get("failures") or []) or list(data.get("warnings") or []) or [None])[0]
    if top and str(top.get("event_id", "")).isdigit():
        value = json.dumps({"e": str(top["event_id"]), "c": top.get("code")})
        buttons.append(_button("Similar incidents", SIMILAR_ACTION, value))
    if show_all:
        buttons.append(_button("Show all", SHOW_ALL_ACTION, "all"))
    if buttons:
        blocks.append({"type": "actions", "block_id": "intune_summary", "elements": buttons})
    return blocks


def mention(user: object) -> str:
    """A Slack user ID as a mention; anything that is not an ID stays inert text."""
    text = str(user or "")
    ok = text[:1] in ("U", "W") and text.isalnum() and text.isupper() and len(text) <= 20
    return f"<@{text}>" if ok else code(text or "someone")


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
            line += f"; {n} incident{'s' if n != 1 else ''} in the last {int(recent.get('days', 30))} days"
        if recent.get("last"):
            line += f", last on {_when(recent['last'])}"
        fixed = recent.get("last_resolution")
        if fixed:
            line += f". Last resolved {_when(fixed.get('resolved_at'))} by {mention(fixed.get('resolved_by'))}"
            if fixed.get("note"):
                line += f": “{escape(fixed['note'])}”"
        lines.append(line)
    return lines


def known(items: Sequence[Mapping[str, Any]], where: str) -> list[dict]:
    """Blocks added to an answer: `where` is already mrkdwn (escaped)."""
    if not items:
        return []
    return [list_section(f"*What the history knows {where}*", known_lines(items))]
