"""The failure summary of one log (`Summary.to_dict()`, the summarize --json contract)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.hops import HOP_LABELS, HOPS, chain_steps
from bot.operations import label as operation_label
from bot.slack.render.actions import (
    RESOLVE_ACTION,
    SHOW_ALL_ACTION,
    SIMILAR_ACTION,
    button,
    ids_value,
    incident_ids,
)
from bot.slack.render.answers import LABELS
from bot.slack.render.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    Message,
    code,
    context,
    counted,
    escape,
    list_section,
    message,
    plain,
    section,
)
from bot.slack.render.blocks import more as _more
from bot.slack.render.blocks import url as _url
from bot.slack.render.blocks import when as _when
from bot.slack.render.incidents import SHOWN_INCIDENTS, history_lines, resolution_line


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


CHECKING_HISTORY = ":hourglass_flowing_sand: Checking the incident history…"


def summary(
    data: Mapping[str, Any],
    history: Mapping[str, Any] | None = None,
    *,
    pending: bool = False,
    resolved: Sequence[Mapping[str, Any]] = (),
    not_recorded: str | None = None,
) -> Message:
    """The failure summary of one log, from `Summary.to_dict()` (the summarize --json contract).

    Most useful first: the dominant failure and what to check, then every failure
    with counts and times, who was affected, success rates, unreadable parts, history.
    Once recorded (`history`), buttons follow: Mark resolved, Similar incidents, and
    Show all when something was cut to fit. `not_recorded` says why the history
    could not be updated (the summary stands).
    """
    body = _summary_body(data, history, pending=pending, not_recorded=not_recorded)
    if isinstance(body, dict):
        return body
    fallback, blocks = body
    cut = len(blocks) > MAX_BLOCKS - 1 or blocks != _summary_body(data, history, full=True, not_recorded=not_recorded)[1]
    tail = summary_actions(data, history, resolved, show_all=cut) if history else []
    return message(fallback, blocks, tail=tail)


SHOW_ALL_MESSAGES = 10  # messages one "Show all" click may post (the summary and 9 more)


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
    if len(out) > SHOW_ALL_MESSAGES:  # a thread of 136 posts helps nobody, and Slack throttles it
        left = sum(len(m["blocks"]) for m in out[SHOW_ALL_MESSAGES - 1 :])
        out = out[: SHOW_ALL_MESSAGES - 1]
        note = (f":scissors: {left:,} more sections not posted: `intune-bot summarize FILE --json` "
                "lists everything")  # fmt: skip
        out.append(message(f"{fallback} (cut)", [context(note)]))
    return out


def _summary_body(
    data: Mapping[str, Any],
    history: Mapping[str, Any] | None = None,
    *,
    pending: bool = False,
    full: bool = False,
    not_recorded: str | None = None,
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
    for note in data.get("notes") or ():
        head += f"\n:information_source: {escape(note[:1].upper() + note[1:])}."
    if problems:  # said first: a failure may be in what could not be read
        head += (
            f"\n:warning: {len(problems)} part(s) of the file could not be read, so failures "
            "may be missing (details below)."
        )
    hops = data.get("hops") or {}
    if hops and (len(hops) > 1 or "connector" not in hops):
        span = (span + "\n" if span else "") + _chain_line(hops)
    blocks = [section(head + (f"\n{span}" if span else ""))]
    total = sum(int(f.get("count", 0)) for f in failures)
    total += int(((data.get("cut") or {}).get("failures") or {}).get("events", 0))
    if failures:
        top = failures[0]
        lead = (
            f":rotating_light: *{counted(total, 'failure')}*. Most frequent: *{_failure_name(top)}* "
            f"× {int(top.get('count', 0)):,}"
        )
        if top.get("later_succeeded"):
            lead += f" ({int(top['later_succeeded']):,} later succeeded for the same device)"
        fallback = f"{escape(name)}: {counted(total, 'failure')}, most frequent {_failure_name(top)}"
    elif connector:
        lead = ":white_check_mark: No connector failures in this log."
        fallback = f"{escape(name)}: no connector failures"
    else:
        lead = "No Intune certificate connector events in this log."
        fallback = f"{escape(name)}: no connector events"
    blocks.append(section(lead))
    blocks += _check_first(data.get("check_first"))
    cut = data.get("cut") or {}
    if failures:
        blocks += _list("*Failures*", _failure_lines(failures), full)
        blocks += _cut(cut.get("failures"), "failure")
        affected = _affected(failures, data.get("affected") or {})
        if affected:
            blocks.append(section(affected))
    if warnings:
        blocks += _list("*Warnings*", [_failure_line(f) for f in warnings], full)
        blocks += _cut(cut.get("warnings"), "warning")
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
    elif not_recorded:
        blocks.append(context(f":warning: The history was not updated: {escape(not_recorded)}"))
    elif pending:  # the summary goes out first; the history follows in a second update
        blocks.append(context(CHECKING_HISTORY))
    return fallback, blocks


def _cut(cut: Mapping[str, int] | None, what: str) -> list[dict]:
    """What a summary of very many kinds did not keep, named as cut (bot.summary.MAX_GROUPS)."""
    if not cut:
        return []
    return [context(
        f":scissors: {counted(int(cut['kinds']), f'more kind of {what}', f'more kinds of {what}')} "
        f"({counted(int(cut['events']), 'event')}) past the {int(cut['kept']):,} kinds kept: "
        "counted in the totals, not listed"
    )]  # fmt: skip


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


def _chain_line(hops: Mapping[str, Any]) -> str:
    """device ✓ → *IIS/NDES* ✗ 3 failed, broken here → connector (no log) → CA ✗ 2 failed"""
    parts = []
    for step in chain_steps(dict(hops)):
        if not step["seen"]:
            parts.append(f"{step['label']} _(no log)_")
        elif step["broken"]:
            parts.append(f":x: *{step['label']}* {step['failures']:,} failed, *broken here*")
        elif step["failures"]:
            parts.append(f":warning: {step['label']} {step['failures']:,} failed")
        else:
            parts.append(f":white_check_mark: {step['label']}")
    return " → ".join(parts)


def _failure_lines(failures: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per failure; across several hops, grouped by hop (device first) with each first fix."""
    if len({f.get("hop") for f in failures}) < 2:
        return [_failure_line(f) for f in failures]
    order = {h: i for i, h in enumerate(HOPS)}
    lines, last = [], None
    for f in sorted(failures, key=lambda f: order.get(f.get("hop"), len(order))):
        if f.get("hop") != last:
            last = f.get("hop")
            lines.append(f"*{escape(HOP_LABELS.get(last, str(last)))}*")
        lines.append(_failure_line(f))
        fix = f.get("fix")
        if fix and (fix.get("en")):
            lines.append(f"    ↳ {escape(fix['en'])}")
    return lines


def _failure_name(f: Mapping[str, Any]) -> str:
    name = escape(f.get("name") or "")
    label = f"{escape(f.get('event_id') or '')} {name}".strip()  # IIS and trace lines have no ID
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


def _affected(failures: Sequence[Mapping[str, Any]], totals: Mapping[str, int]) -> str:
    """Who the failures hit, across all of them: a few examples and how many in all.

    `totals` are the summary's distinct counts across every group (`affected`); without
    them (an older kept summary) the largest group's count is a lower bound.
    """
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
                if str(n).strip():  # IIS and CSV records name no server: nothing to show
                    seen.setdefault(str(n))
        if seen:
            values = list(seen)
            total = max(len(values), counted, int(totals.get(key, 0)))
            shown = ", ".join(code(v) for v in values[:examples])
            lines.append(f"{label} ({total:,}): {shown}{_more(total, min(len(values), examples))}")
    return "*Affected*\n" + "\n".join(lines) if lines else ""


def _rate_line(rate: Mapping[str, Any]) -> str:
    ok, failed = int(rate.get("succeeded", 0)), int(rate.get("failed", 0))
    pct = rate.get("rate")
    shown = f"{pct:.0%}" if isinstance(pct, (int, float)) else "?"
    retried = f", {int(rate['retried']):,} retried" if rate.get("retried") else ""
    return (
        f"• {escape(operation_label(str(rate.get('operation', '?'))))}: {shown} "
        f"({ok:,} ok, {failed:,} failed{retried})"
    )


def summary_actions(
    data: Mapping[str, Any], history: Mapping[str, Any] | None,
    resolved: Sequence[Mapping[str, Any]] = (), *, show_all: bool = False,
) -> list[dict]:  # fmt: skip
    """The blocks under a recorded summary: who resolved it, then the buttons."""
    blocks = [section(resolution_line(r)) for r in resolved[-3:]]
    buttons = []
    ids = incident_ids(history)
    if ids and not resolved:
        buttons.append(button("Mark resolved", RESOLVE_ACTION, ids_value(ids), "primary"))
    top = (list(data.get("failures") or []) or list(data.get("warnings") or []) or [None])[0]
    if top and str(top.get("event_id", "")).isdigit():
        value = json.dumps({"e": str(top["event_id"]), "c": top.get("code")})
        buttons.append(button("Similar incidents", SIMILAR_ACTION, value))
    if show_all:
        buttons.append(button("Show all", SHOW_ALL_ACTION, "all"))
    if buttons:
        blocks.append({"type": "actions", "block_id": "intune_summary", "elements": buttons})
    return blocks
