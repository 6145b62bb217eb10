"""One record of the Rust `evtx` reader (its JSON rendering) as a normalized `Event`.

Values are strings: ints in decimal, hex as the file gives it
("0x8080000000000000"), binary as upper-case hex, GUIDs as given.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from bot.logs import Event
from bot.logs.numbers import as_int


def _fast_event_constructor():
    """Event(...) without the frozen dataclass __init__, at half its cost.

    A frozen dataclass sets each field through object.__setattr__; with slots
    we can call the slot descriptors directly. Same object, same equality.
    This runs once per record, so it is worth ~1 µs of the ~6 µs budget.
    """
    fields = ("record_id", "time", "event_id", "level", "provider", "channel", "computer", "data", "message")
    if tuple(f.name for f in dataclasses.fields(Event)) != fields:
        return Event  # Event has changed: the plain constructor is always right
    setters = [getattr(Event, name).__set__ for name in fields]
    r, t, e, lv, p, ch, co, d, m = setters
    new = object.__new__

    def make(record_id, time, event_id, level, provider, channel, computer, data, message=None):
        ev = new(Event)
        r(ev, record_id), t(ev, time), e(ev, event_id), lv(ev, level), p(ev, provider)
        ch(ev, channel), co(ev, computer), d(ev, data), m(ev, message)
        return ev

    return make


_new_event = _fast_event_constructor()
try:
    # Decoding each record's JSON is most of the reading time: orjson (Rust)
    # does it in a third of the stdlib's time.
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    _scan_once = json.JSONDecoder().scan_once

    def _loads(text: str) -> dict:
        # json.loads minus two frames and two whitespace regex matches: evtx's JSON starts with "{".
        return _scan_once(text, 0)[0]


def from_json(rec: dict) -> Event:
    event = _loads(rec["data"])["Event"]
    system = event["System"]
    event_id = system.get("EventID")
    if type(event_id) is dict:
        event_id = event_id.get("#text")
    # Damage can give any field any JSON type (a Computer that is a number, a Provider
    # that is a string): every one is brought to its type here, at the reader's edge.
    provider = system.get("Provider")
    attributes = provider.get("#attributes") if type(provider) is dict else None
    provider = _text(attributes.get("Name", "")) if type(attributes) is dict else ""
    created = system.get("TimeCreated")
    if created:
        when = datetime.fromisoformat(created["#attributes"]["SystemTime"])
    else:  # damaged System element: fall back on the record header's written time
        when = datetime.fromisoformat(rec["timestamp"].removesuffix(" UTC"))
    level = system.get("Level")
    data = event.get("EventData")
    if data is None:
        data = event.get("UserData")
        data = _user_data(data) if data else {}
    else:
        data = _event_data(data)
    return _new_event(
        rec["event_record_id"],
        when,
        int(event_id),
        level if type(level) is int else _level(level),
        provider,
        _string(system.get("Channel")),
        _string(system.get("Computer")),
        data,
    )


def _string(value: object) -> str:
    return value if type(value) is str else _text(value)


def _level(value: object) -> int | None:
    # Some manifests give the level as a string ("4"); a damaged one may be anything.
    text = _text(value).strip()
    return as_int(text)


def _text(value: object) -> str:
    """One value as a string, the same whatever JSON type evtx chose.

    Line breaks become LF, as every XML parser (hence the XML exports and
    python-evtx) reports them, so a value reads the same from any format.
    """
    if type(value) is str:
        return value.replace("\r\n", "\n") if "\r" in value else value
    if value is None:
        return ""
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is dict:
        return _text(value.get("#text"))
    if type(value) is list:
        return ", ".join(_text(v) for v in value)
    return str(value)


def _event_data(data: dict | str | list) -> dict[str, str]:
    if type(data) is not dict:  # <EventData>text</EventData>
        return {"Data1": _text(data)} if data not in ("", None) else {}
    out: dict[str, str] = {}
    unnamed = 0
    for key, value in data.items():
        if key == "#attributes":
            continue
        if key == "Data" or key == "#text":
            # Unnamed <Data> elements: evtx gives a string, a list, or {"#text": ...}.
            if type(value) is dict:
                value = value.get("#text")
            for v in value if type(value) is list else [value]:
                unnamed += 1
                out[f"Data{unnamed}"] = _text(v)
        elif type(value) is str and "\r" not in value:
            out[key] = value  # the usual case, without a call per value
        else:
            out[key] = _text(value)
    return out


def _user_data(data: dict) -> dict[str, str]:
    # <UserData><SomeEvent xmlns=...><Field>v</Field>...</SomeEvent></UserData>
    out: dict[str, str] = {}
    for key, inner in data.items():
        if key == "#attributes":
            continue
        if type(inner) is dict:
            for name, value in inner.items():
                if name != "#attributes":
                    out[name] = _text(value)
        elif inner is not None:
            out[key] = _text(inner)
    return out
