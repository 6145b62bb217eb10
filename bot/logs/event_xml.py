"""One `<Event>` element (an XML export, python-evtx's rendering) as a normalized `Event`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from bot.logs import Event
from bot.logs.numbers import as_int

_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def event_from_element(
    root: ET.Element, record_id: int | None = None, written: datetime | None = None
) -> Event:
    """Normalize one <Event> element (python-evtx output or an XML export).

    `written`: the record header's time, used (as evtx does) when a damaged
    record has no TimeCreated.
    """
    # The element's own namespace (normally the event schema's; none at all in
    # some hand-edited exports).
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    system = root.find(f"{ns}System")
    if system is None:
        raise ValueError("no <System> element")
    get = system.findtext
    provider = system.find(f"{ns}Provider")
    created = system.find(f"{ns}TimeCreated")
    stamp = created.get("SystemTime") if created is not None else None
    if record_id is None:
        text = get(f"{ns}EventRecordID")
        record_id = as_int(text.strip()) if text else None
    level = (get(f"{ns}Level") or "").strip()
    rendering = root.find(f"{ns}RenderingInfo")
    message = rendering.findtext(f"{ns}Message") if rendering is not None else None
    return Event(
        record_id=record_id,
        time=parse_time(stamp) if stamp else (written or _EPOCH),
        event_id=int((get(f"{ns}EventID") or "").strip()),
        level=as_int(level),
        provider=provider.get("Name", "") if provider is not None else "",
        channel=get(f"{ns}Channel") or "",
        computer=get(f"{ns}Computer") or "",
        data=_data_from_element(root, ns),
        message=message,
    )


def parse_time(text: str) -> datetime:
    """ISO 8601 as Windows writes it (7-digit fractions, 'Z' or '+00:00') -> aware UTC."""
    text = text.strip()
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:  # SystemTime is UTC by definition
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _data_from_element(root: ET.Element, ns: str) -> dict[str, str]:
    out: dict[str, str] = {}
    event_data = root.find(f"{ns}EventData")
    if event_data is not None:
        unnamed = 0
        for child in event_data:
            tag = child.tag.removeprefix(ns)
            text = child.text or ""
            if tag == "Data":
                name = child.get("Name")
                if not name:
                    unnamed += 1
                    name = f"Data{unnamed}"
            elif tag == "Binary":
                name, text = tag, text.upper()  # hex, as evtx and Event Viewer write it
            else:
                name = tag
            out[_unique(out, name)] = text
        if not len(event_data) and (event_data.text or "").strip():
            out["Data1"] = event_data.text or ""
        return out
    user_data = root.find(f"{ns}UserData")
    if user_data is not None:
        for inner in user_data:
            for child in inner:
                out[_unique(out, _local(child.tag))] = child.text or ""
    return out


def _unique(out: dict, name: str) -> str:
    # evtx suffixes repeated element names with _1, _2...; do the same.
    if name not in out:
        return name
    n = 1
    while f"{name}_{n}" in out:
        n += 1
    return f"{name}_{n}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
