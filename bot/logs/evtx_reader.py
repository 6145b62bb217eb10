"""Read .evtx files: the Rust-backed `evtx` package, or python-evtx as a fallback.

Both readers produce the same normalized `Event`s (tests/test_logs_parsers.py
proves it on real files). Values are strings: ints in decimal, hex as the file
gives it ("0x8080000000000000"), binary as upper-case hex, GUIDs as given.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from bot.logs import Event
from bot.logs.chunks import CHUNK_SIZE, HEADER_SIZE, ChunkScan
from bot.logs.state import ReadState

BATCH = 512  # records pulled per warnings-capture block (bounds memory, amortizes the block)

# warnings.catch_warnings swaps module-global state, so two threads parsing at
# once (the Slack app runs listeners in a pool) would mix their warnings up.
_WARN_LOCK = threading.Lock()

_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- rust (evtx)


def read_rust(path: Path, state: ReadState, scan: ChunkScan) -> Iterator[Event]:
    import evtx

    if scan.truncated_at is not None and scan.truncated_chunk is None:
        return  # no whole file header: nothing to read (the afterword says why)
    try:
        parser = evtx.PyEvtxParser(str(path), number_of_threads=1, skip_errors=True)
        records = parser.records_json()
    except (OSError, RuntimeError) as err:  # the file header itself is unreadable
        state.problem("file header", f"cannot be read: {_short(str(err))}")
        return
    # Chunks past both the header's count and the last real chunk are unused
    # preallocated space: failing to parse them is not damage (dirty logs).
    used_chunks = max(scan.header_chunk_count, scan.last_chunk_index + 1)
    normalize = _from_json
    while True:
        state.check_time()
        with _WARN_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                batch = list(islice(records, BATCH))
                error = None
            except Exception as err:  # the parser gave up on the rest of the file
                batch, error = [], err
        for w in caught:
            _warning_to_problem(w, state, used_chunks)
        for rec in batch:
            try:
                yield normalize(rec)
            except Exception as err:  # one odd record must not end the file
                state.skipped += 1
                state.problem(f"record {rec.get('event_record_id')}", f"could not be read: {err}")
        if error is not None:
            state.problem("file", f"the EVTX reader stopped: {_short(str(error))}")
            return
        if len(batch) < BATCH:
            return


_CHUNK_RE = re.compile(r"chunk number (\d+)")
_RECORD_RE = re.compile(r"record number (\d+)")
_NOISE = (
    "Skipping EVTX data: ",
    "RuntimeError: ",
    "An error occurred while trying to deserialize evtx stream.: ",
    "Failed to parse chunk header: ",
)


def _short(text: str) -> str:
    for noise in _NOISE:
        text = text.replace(noise, "")
    text = re.sub(r"Failed to parse (chunk|record) number \d+: ", "", text)
    return text[:300]


def _warning_to_problem(w: warnings.WarningMessage, state: ReadState, used_chunks: int) -> None:
    text = str(w.message)
    if not (issubclass(w.category, RuntimeWarning) and "EVTX" in text):
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return
    reason = _short(text)
    chunk = _CHUNK_RE.search(text)
    record = _RECORD_RE.search(text)
    if chunk:
        n = int(chunk.group(1))
        if n >= used_chunks and "chunk header magic" in text:
            return  # unused space at the end of a live log
        where = f"chunk {n} (offset 0x{HEADER_SIZE + n * CHUNK_SIZE:x})"
    elif record:
        where = f"record {record.group(1)}"
    else:
        where = "record"
    state.skipped += 1
    state.problem(where, reason)


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


def _from_json(rec: dict) -> Event:
    event = _loads(rec["data"])["Event"]
    system = event["System"]
    event_id = system.get("EventID")
    if type(event_id) is dict:
        event_id = event_id.get("#text")
    provider = system.get("Provider")
    provider = provider["#attributes"].get("Name", "") if provider else ""
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
        system.get("Channel") or "",
        system.get("Computer") or "",
        data,
    )


def _level(value: object) -> int | None:
    # Some manifests give the level as a string ("4"); a damaged one may be anything.
    text = _text(value).strip()
    return int(text) if text.isdigit() else None


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


# ------------------------------------------------------------ python-evtx


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML


def read_python(path: Path, state: ReadState, scan: ChunkScan) -> Iterator[Event]:
    from Evtx.Evtx import Evtx

    _evtx_like_rendering()
    if scan.truncated_at is not None and scan.truncated_chunk is None:
        return  # no whole file header: nothing to read (the afterword says why)
    with Evtx(str(path)) as log:
        header = log.get_file_header()
        # include_inactive: python-evtx otherwise stops at the header's chunk
        # count and misses most records of a dirty (live, copied) log.
        for index, chunk in enumerate(header.chunks(include_inactive=True)):
            where = f"chunk {index} (offset 0x{HEADER_SIZE + index * CHUNK_SIZE:x})"
            try:
                if not chunk.check_magic():
                    if index < scan.header_chunk_count:
                        state.skipped += 1
                        state.problem(where, "chunk header magic is missing or damaged")
                    continue
                records = iter(chunk.records())
            except Exception as err:
                state.skipped += 1
                state.problem(where, f"could not be read: {type(err).__name__}")
                continue
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except Exception as err:
                    state.skipped += 1
                    state.problem(where, f"record list ends early: {type(err).__name__}")
                    break
                try:
                    yield _from_python_evtx(record.xml(), record.record_num(), record.timestamp())
                except Exception as err:  # python-evtx fails on many newer records
                    state.skipped += 1
                    state.problem(f"record {_safe_num(record)}", f"python-evtx could not render it: {type(err).__name__}")


def _evtx_like_rendering() -> None:
    """Make python-evtx spell typed values exactly as evtx does.

    python-evtx renders values to XML text, losing their types, so they cannot
    be normalized afterwards (a string "0x00000400" and a HexInt32 look the
    same). Its value nodes are only used by this fallback reader, so we give
    them evtx's spelling once, at first use. It also converts FILETIMEs through
    a float, 1-3 µs off, and drops empty items of string arrays.
    """
    from Evtx import BinaryParser, Nodes

    if getattr(BinaryParser, "_intune_triage_patched", False):
        return

    def parse_filetime(qword: int) -> datetime:
        try:
            return _EPOCH + timedelta(microseconds=qword // 10)
        except OverflowError:
            return datetime.min

    def iso(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def boolean(node) -> str:
        value = node.int32()
        return "true" if value == 1 else "false" if value == 0 else str(value)

    def string_array(node) -> str:
        items = node.binary().decode("utf-16-le", errors="replace").split("\x00")
        if items and items[-1] == "":
            items.pop()  # the terminating NUL
        return "".join(f"<string>{item}</string>\n" for item in items)

    BinaryParser.parse_filetime = parse_filetime
    Nodes.Hex32TypeNode.string = lambda node: f"0x{int.from_bytes(node.hex(), 'little'):x}"
    Nodes.Hex64TypeNode.string = lambda node: f"0x{int.from_bytes(node.hex(), 'little'):x}"
    Nodes.GuidTypeNode.string = lambda node: node.guid().upper()
    Nodes.BooleanTypeNode.string = boolean
    Nodes.BinaryTypeNode.string = lambda node: node.binary().hex().upper()
    Nodes.FiletimeTypeNode.string = lambda node: iso(node.filetime())
    Nodes.SystemtimeTypeNode.string = lambda node: iso(node.systemtime().replace(tzinfo=UTC))
    Nodes.WstringArrayTypeNode.string = string_array
    BinaryParser._intune_triage_patched = True


def _safe_num(record: object) -> str:
    try:
        return str(record.record_num())  # type: ignore[attr-defined]
    except Exception:
        return "?"


def _from_python_evtx(xml: str, record_id: int, written: datetime) -> Event:
    # python-evtx already renders a raw control character as nothing; strip
    # any other so the XML parser accepts the record.
    root = ET.fromstring(_CONTROL.sub("", xml))
    event = event_from_element(root, record_id, written)
    if not any(v.startswith("<string>") for v in event.data.values()):
        return event
    # An unnamed string array renders as one <Data> of "<string>..</string>"
    # items; evtx gives one DataN per item, so number them the same way.
    data = {}
    unnamed = 0
    for key, value in event.data.items():
        if _UNNAMED.fullmatch(key):
            items = _STRING_ITEM.findall(value) if value.startswith("<string>") else [value]
            for item in items:
                unnamed += 1
                data[f"Data{unnamed}"] = item
        else:
            data[key] = value
    return replace(event, data=data)


_STRING_ITEM = re.compile(r"<string>(.*?)</string>", re.S)
_UNNAMED = re.compile(r"Data\d+")
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
        record_id = int(text) if text and text.strip().isdigit() else None
    level = (get(f"{ns}Level") or "").strip()
    rendering = root.find(f"{ns}RenderingInfo")
    message = rendering.findtext(f"{ns}Message") if rendering is not None else None
    return Event(
        record_id=record_id,
        time=parse_time(stamp) if stamp else (written or _EPOCH),
        event_id=int((get(f"{ns}EventID") or "").strip()),
        level=int(level) if level.isdigit() else None,
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
