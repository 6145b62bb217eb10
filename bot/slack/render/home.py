"""The App Home tab: connector servers, their open incidents, recurring failures, short help.

Built from `bot.triage.home_data()`; published with views.publish each time the tab
is opened. A Home view holds 100 blocks: servers past the budget end in "…and N more".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.slack.render.blocks import code, context, escape, list_section, mention, section
from bot.slack.render.blocks import server as shown_server

MAX_HOME_BLOCKS = 100
MAX_SERVERS = 60  # servers given their own block; the rest are counted
MAX_OPEN = 6  # open incidents listed per server

HOME_HELP = """\
• `/intune 20502`, `/intune 0x410`, `/intune why did PKCS issuance fail`: what an event or code means
• `/intune history NDES01` · `/intune servers`: what the history knows
• Drop a connector event log (`.evtx`, or an XML / CSV / TXT export) in a channel I am in, \
or here in Messages: I answer in its thread with a summary, then *Mark resolved*, \
*Similar incidents* and *Show all* buttons.
• Slash commands do not work in threads: mention me there instead \
(`@intune-triage why did it fail on NDES01`)."""


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def divider() -> dict:
    return {"type": "divider"}


def view(data: Mapping[str, Any], *, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    top = [header("Intune connector triage")]
    if not data.get("available"):
        top.append(section(":warning: The incident history is not available right now."))
        return _home(top + _help())
    servers = list(data.get("servers") or [])
    open_total = sum(int(s.get("open_incidents", 0)) for s in servers)
    top.append(
        context(
            f"{len(servers)} connector server{'s' if len(servers) != 1 else ''} · "
            f"{open_total} open incident{'s' if open_total != 1 else ''} · "
            f"times in UTC · updated {now:%Y-%m-%d %H:%M}"
        )
    )
    top += [divider(), header("Connector servers")]
    tail = [divider(), *_recurring(data), divider(), *_help()]
    if not servers:
        body = [
            section("No connector servers yet. Drop a connector event log in a channel I am in.")
        ]
        return _home(top + body + tail)
    room = min(MAX_SERVERS, MAX_HOME_BLOCKS - len(top) - len(tail) - 1)
    shown = servers[:room] if len(servers) <= room else servers[: room - 1]
    body = [_server(s) for s in shown]
    if len(servers) > len(shown):
        body.append(context(f"…and {len(servers) - len(shown)} more servers: `/intune servers`"))
    return _home(top + body + tail)


def _home(blocks: list[dict]) -> dict:
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _server(s: Mapping[str, Any]) -> dict:
    n_open = int(s.get("open_incidents", 0))
    dot = ":red_circle:" if n_open else ":large_green_circle:"
    title = f"{dot} *{shown_server(s.get('name', '?'))}*  {n_open} open · last event {_when(s.get('last_seen'))}"
    upload = s.get("upload")
    if upload:
        who = f" by {mention(upload['user'])}" if upload.get("source") == "slack" else ""
        title += (
            f"\n:page_facing_up: Last log {code(upload.get('file_name', '?'))}{who}, "
            f"{_when(upload.get('uploaded_at'))}"
        )
    lines = [_open_line(i) for i in list(s.get("open") or ())[:MAX_OPEN]]
    more = n_open - len(lines)
    if more > 0:
        lines.append(f"…and {more} more open: {code('/intune history ' + str(s.get('name', '')))}")
    return list_section(title, lines)


def _open_line(i: Mapping[str, Any]) -> str:
    what = escape(i.get("event_id", "?"))
    if i.get("code"):
        what += f" ({escape(i['code'])})"
    name = f" {escape(i['name'])}" if i.get("name") else ""
    warn = " _warning_" if i.get("kind") == "warning" else ""
    return f"• *{what}*{name}{warn} × {int(i.get('count', 0)):,} since {_when(i.get('first'))}"


def _recurring(data: Mapping[str, Any]) -> list[dict]:
    days = int(data.get("days", 30))
    items = list(data.get("recurring") or [])
    head = header(f"Most recurrent failures, last {days} days")
    if not items:
        return [head, section("No failures recorded in that time.")]
    lines = []
    for g in items:
        what = escape(g.get("event_id", "?")) + (f" ({escape(g['code'])})" if g.get("code") else "")
        name = f" {escape(g['name'])}" if g.get("name") else ""
        n, servers = int(g.get("incidents", 0)), int(g.get("servers", 0))
        lines.append(
            f"• *{what}*{name}: {n} incident{'s' if n != 1 else ''} on {servers} "
            f"server{'s' if servers != 1 else ''}, {int(g.get('events', 0)):,} events"
        )
    return [head, list_section("", lines)]


def _help() -> list[dict]:
    return [header("How to use"), section(HOME_HELP)]


def _when(iso: object) -> str:
    text = str(iso or "")
    return escape(text[:16].replace("T", " ")) if text else "?"
