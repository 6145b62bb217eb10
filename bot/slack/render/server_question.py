"""The question the bot asks when a shared export names no computer: which server is it?

Event Viewer's CSV and TXT exports have no Computer column, so their events cannot
be recorded under a server by themselves. The summary goes out at once; this
message below it offers the known servers (buttons, or a menu when there are
many) and "Another server…", which opens a modal to type a name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.render.actions import MAX_VALUE, button
from bot.slack.render.blocks import Message, code, message, section

SERVER_ACTION = "intune_record_server"  # a known server: a button, or the menu's choice
SERVER_OTHER_ACTION = "intune_record_other_server"  # opens the modal
SERVER_VIEW = "intune_record_server_name"
SERVER_BLOCK, SERVER_INPUT = "server", "server"
SERVER_MAX = 255  # a DNS name's length: longer is not a server name
BUTTONS = 5  # known servers shown as buttons; more go in a menu
MENU = 100  # Slack's limit on a static select's options


def choice_value(file_id: str, summary_ts: str, server: str | None = None) -> str:
    """What a choice carries back: the file to record again, the summary to update, the name."""
    value = {"f": file_id, "m": summary_ts}
    if server is not None:
        value["s"] = server
    return json.dumps(value)[:MAX_VALUE]


def parse_choice(value: str) -> dict[str, str]:
    """{"f": file ID, "m": summary ts, "s": server}; missing keys when the value is not ours."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("f", "m", "s", "c", "t", "a") and v}


def ask_server(file_name: str, file_id: str, summary_ts: str, known: Sequence[str]) -> Message:
    """Which server did `file_name` come from? Known servers first (most recently seen)."""
    text = (
        f"{code(file_name)} names no computer (an export without the Computer column), so "
        "it is not in the incident history yet. Which server did it come from?"
    )
    elements: list[dict[str, Any]] = [
        button(name[:75], SERVER_ACTION, choice_value(file_id, summary_ts, name))
        for name in known[:BUTTONS]
    ]
    if len(known) > BUTTONS:
        options = [
            {"text": {"type": "plain_text", "text": name[:75]},
             "value": choice_value(file_id, summary_ts, name)}
            for name in known[BUTTONS:][:MENU]
        ]  # fmt: skip
        elements.append({"type": "static_select", "action_id": SERVER_ACTION,
                         "placeholder": {"type": "plain_text", "text": "More servers"},
                         "options": options})  # fmt: skip
    elements.append(button("Another server…", SERVER_OTHER_ACTION, choice_value(file_id, summary_ts)))
    return message(text, [section(text), {"type": "actions", "elements": elements}])


def server_modal(meta: Mapping[str, str]) -> dict[str, Any]:
    """The modal behind "Another server…": one text input, the server's name."""
    return {
        "type": "modal",
        "callback_id": SERVER_VIEW,
        "private_metadata": json.dumps(dict(meta))[:3000],
        "title": {"type": "plain_text", "text": "Which server?"},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": SERVER_BLOCK,
                "label": {"type": "plain_text", "text": "Server the log came from"},
                "hint": {"type": "plain_text", "text": "Its computer name, e.g. NDES01 or "
                         "ndes01.contoso.com"},  # fmt: skip
                "element": {"type": "plain_text_input", "action_id": SERVER_INPUT,
                            "max_length": SERVER_MAX,
                            "placeholder": {"type": "plain_text", "text": "NDES01"}},  # fmt: skip
            }
        ],
    }


def recorded_under(file_name: str, server: str, user: str) -> Message:
    """The question, answered: replaces it so nobody records the file twice."""
    text = f"{code(file_name)} is recorded under {code(server)} (chosen by <@{user}>)."
    return message(text, [section(text)])


def not_recorded(file_name: str, reason: str) -> Message:
    text = f":warning: {code(file_name)} could not be recorded: {reason}"
    return message(text, [section(text)])
