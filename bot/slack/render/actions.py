"""Action IDs and button values: what travels through Slack and comes back on a click.

A button's value is at most 2000 characters and comes back verbatim, so it holds
only IDs or a short query, never anything rendered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

SHARE_ACTION = "intune_share"
RESOLVE_ACTION = "intune_resolve"
SIMILAR_ACTION = "intune_similar"
SHOW_ALL_ACTION = "intune_show_all"
RESOLVE_VIEW = "intune_resolve_note"
NOTE_BLOCK, NOTE_INPUT = "note", "note"
NOTE_MAX = 500
MAX_VALUE = 2000  # a button's value


def incident_ids(history: Mapping[str, Any] | None) -> list[int]:
    """Every incident a recorded upload touched (new, recurred, ongoing)."""
    ids: list[int] = []
    for key in ("new", "recurred", "ongoing"):
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


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    out = {"type": "button", "action_id": action_id, "value": value[:MAX_VALUE],
           "text": {"type": "plain_text", "text": label[:75]}}  # fmt: skip
    if style:
        out["style"] = style
    return out


def share_button(query: str, lang: str, label: str = "Share in channel") -> dict:
    # The value round-trips through Slack: keep it small (2000 chars max) and re-run the lookup.
    value = json.dumps({"q": query[:1500], "lang": lang}, ensure_ascii=False)
    button = {"type": "button", "action_id": SHARE_ACTION, "value": value,
              "text": {"type": "plain_text", "text": label}}  # fmt: skip
    return {"type": "actions", "elements": [button]}
