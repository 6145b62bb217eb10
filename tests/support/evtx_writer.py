"""A small EVTX writer, for tests only: no public connector logs exist, so we make them.

Layout written (see ../shared/reference/evtx.md §5): a 4 KiB file header, then 64 KiB
chunks; each record's BinXML is a template instance whose definition is written
inline at its first use in a chunk and referenced by offset after that, the way
Windows does it. Element and attribute names are always inline. Provider, Guid,
Channel and Computer are literal text in the template (as in real logs); every
other System value and every EventData value is a typed substitution, so hostile
text in a value stays data.

Also renders the same records as Event Viewer "Save as XML" and `wevtutil qe /f:xml`.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
CHUNK_SIZE = 0x10000
CHUNK_HEADER_SIZE = 512
FILE_HEADER_SIZE = 4096
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# BinXML value types (MS-EVEN6 / libyal names).
NULL, STRING, UINT8, UINT16, UINT32, UINT64 = 0x00, 0x01, 0x04, 0x06, 0x08, 0x0A
GUID, FILETIME, SYSTEMTIME, SID, HEXINT32, HEXINT64 = 0x0F, 0x11, 0x12, 0x13, 0x14, 0x15


class Typed(NamedTuple):
    """A value with an explicit BinXML type, for when str/int/UUID/datetime inference is wrong."""

    type: int
    value: Any


def u8(v: int) -> Typed:
    return Typed(UINT8, v)


def u16(v: int) -> Typed:
    return Typed(UINT16, v)


def u32(v: int) -> Typed:
    return Typed(UINT32, v)


def u64(v: int) -> Typed:
    return Typed(UINT64, v)


def hex32(v: int) -> Typed:
    return Typed(HEXINT32, v)


def hex64(v: int) -> Typed:
    return Typed(HEXINT64, v)


def systemtime(v: datetime) -> Typed:
    return Typed(SYSTEMTIME, v)


def sid(v: str) -> Typed:
    return Typed(SID, v)


@dataclass
class Record:
    """One event. `data` is EventData: (name, value) pairs, name None for classic unnamed <Data>."""

    event_id: int
    time: datetime  # aware; stored as FILETIME (100 ns), so sub-µs precision is kept
    provider: str
    channel: str
    computer: str
    data: list[tuple[str | None, Any]] = field(default_factory=list)
    record_id: int | None = None  # None: numbered on from the previous record
    level: int = 4  # 1 critical, 2 error, 3 warning, 4 information
    provider_guid: str | None = None  # "{...}"; None for classic (ReportEvent) sources
    qualifiers: int | None = None  # classic sources carry EventID Qualifiers="0"
    version: int = 0
    task: int = 0
    opcode: int = 0
    keywords: int = 0x80000000000000  # "Classic"
    process_id: int = 0
    thread_id: int = 0
    user_sid: str | None = None
    activity_id: str | None = None
    message: str | None = None  # rendered text: only the XML exports carry it, never .evtx
    eventdata_name: str | None = None  # <EventData Name="EVENT_MSCEP_FAIL_SUBMIT">, as NDES writes
    tag: Any = None  # ignored by the writer; fixtures hang their ground truth on it


@dataclass
class WriteStats:
    records: int
    chunks: int
    bytes: int


# ---------------------------------------------------------------- values


def filetime(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("Record.time must be timezone-aware")
    d = dt - _FILETIME_EPOCH  # integer arithmetic: float timestamps lose the last digits
    return (d.days * 86400 + d.seconds) * 10_000_000 + d.microseconds * 10


@functools.lru_cache(maxsize=256)
def _sid_bytes(s: str) -> bytes:
    parts = s.split("-")  # S-1-5-21-...
    if parts[0].upper() != "S":
        raise ValueError(f"not a SID: {s}")
    subs = [int(p) for p in parts[3:]]
    return (
        struct.pack("<BB", int(parts[1]), len(subs))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def _encode(v: Any) -> tuple[int, bytes]:
    """Python value -> (BinXML type, bytes)."""
    if v is None:
        return NULL, b""
    if isinstance(v, str):
        # Windows stores the terminating NUL; both readers strip it.
        return STRING, v.encode("utf-16-le") + b"\0\0"
    if isinstance(v, Typed):
        t, x = v
        if t == STRING:
            return _encode(str(x))
        if t in (UINT8, UINT16, UINT32, UINT64, HEXINT32, HEXINT64):
            fmt = {
                UINT8: "<B",
                UINT16: "<H",
                UINT32: "<I",
                UINT64: "<Q",
                HEXINT32: "<I",
                HEXINT64: "<Q",
            }
            return t, struct.pack(fmt[t], x)
        if t == GUID:
            return GUID, uuid.UUID(str(x)).bytes_le
        if t == FILETIME:
            return FILETIME, struct.pack("<Q", filetime(x))
        if t == SYSTEMTIME:
            x = x.astimezone(UTC)
            return SYSTEMTIME, struct.pack(
                "<8H",
                x.year,
                x.month,
                x.isoweekday() % 7,
                x.day,
                x.hour,
                x.minute,
                x.second,
                x.microsecond // 1000,
            )
        if t == SID:
            return SID, _sid_bytes(x)
        raise ValueError(f"unsupported type {t:#x}")
    if isinstance(v, bool):
        raise TypeError("bool is ambiguous in BinXML; pass u8() or a string")
    if isinstance(v, int):
        return (UINT32, struct.pack("<I", v)) if 0 <= v < 2**32 else (UINT64, struct.pack("<Q", v))
    if isinstance(v, uuid.UUID):
        return GUID, v.bytes_le
    if isinstance(v, datetime):
        return FILETIME, struct.pack("<Q", filetime(v))
    raise TypeError(f"cannot store {type(v).__name__} in EVTX")


# ---------------------------------------------------------------- BinXML templates


def name_hash(name: str) -> int:
    h = 0
    for unit in struct.unpack(f"<{len(name)}H", name.encode("utf-16-le")):
        h = (h * 65599 + unit) & 0xFFFFFFFF
    return h & 0xFFFF


class _Text(NamedTuple):
    text: str


class _Sub(NamedTuple):
    index: int
    type: int
    optional: bool = False  # optional substitutions may be NULL (omitted attribute)


class _El(NamedTuple):
    name: str
    attrs: list  # [(name, _Text | _Sub)]
    children: list  # [_El | _Text | _Sub]


class _Fragment:
    """Serializes an element tree; `base` is the chunk offset of byte 0.

    A name already in the chunk (`known`) is referenced by offset, as Windows does;
    a new one is written inline (its offset points just past itself) and noted in
    `new`, for the chunk to put in its string table once the record is kept.
    """

    def __init__(self, base: int, known: dict[str, int]):
        self.base = base
        self.known = known
        self.new: dict[str, int] = {}
        self.b = bytearray()

    def name(self, s: str) -> None:
        off = self.known.get(s) or self.new.get(s)
        if off:
            self.b += struct.pack("<I", off)
            return
        off = self.base + len(self.b) + 4
        self.new[s] = off
        self.b += struct.pack("<I", off)
        self.b += struct.pack("<IHH", 0, name_hash(s), len(s)) + s.encode("utf-16-le") + b"\0\0"

    def value(self, v: _Text | _Sub) -> None:
        if isinstance(v, _Text):
            self.b += struct.pack("<BBH", 0x05, STRING, len(v.text)) + v.text.encode("utf-16-le")
        else:
            self.b += struct.pack("<BHB", 0x0E if v.optional else 0x0D, v.index, v.type)

    def element(self, el: _El) -> None:
        self.b += struct.pack("<BH", 0x41 if el.attrs else 0x01, 0xFFFF)
        size_at = len(self.b)
        self.b += b"\0\0\0\0"
        self.name(el.name)
        if el.attrs:
            list_at = len(self.b)
            self.b += b"\0\0\0\0"
            for i, (aname, aval) in enumerate(el.attrs):
                self.b.append(
                    0x46 if i < len(el.attrs) - 1 else 0x06
                )  # 0x40: more attributes follow
                self.name(aname)
                self.value(aval)
            struct.pack_into("<I", self.b, list_at, len(self.b) - list_at - 4)
        if el.children:
            self.b.append(0x02)
            for c in el.children:
                self.element(c) if isinstance(c, _El) else self.value(c)
            self.b.append(0x04)
        else:
            self.b.append(0x03)
        struct.pack_into("<I", self.b, size_at, len(self.b) - size_at - 4)


# System substitution slots; EventData values follow from _N_SYSTEM on.
(
    _EVENTID,
    _QUAL,
    _VERSION,
    _LEVEL,
    _TASK,
    _OPCODE,
    _KEYWORDS,
    _TIME,
    _RECID,
    _ACTIVITY,
    _PID,
    _TID,
    _USER,
) = range(13)
_N_SYSTEM = 13


@functools.lru_cache(maxsize=1024)
def _template_tree(key: tuple) -> _El:
    provider, guid, channel, computer, names, types, eventdata_name = key
    prov_attrs = [("Name", _Text(provider))] + ([("Guid", _Text(guid))] if guid else [])
    system = _El(
        "System",
        [],
        [
            _El("Provider", prov_attrs, []),
            _El("EventID", [("Qualifiers", _Sub(_QUAL, UINT16, True))], [_Sub(_EVENTID, UINT16)]),
            _El("Version", [], [_Sub(_VERSION, UINT8)]),
            _El("Level", [], [_Sub(_LEVEL, UINT8)]),
            _El("Task", [], [_Sub(_TASK, UINT16)]),
            _El("Opcode", [], [_Sub(_OPCODE, UINT8)]),
            _El("Keywords", [], [_Sub(_KEYWORDS, HEXINT64)]),
            _El("TimeCreated", [("SystemTime", _Sub(_TIME, FILETIME))], []),
            _El("EventRecordID", [], [_Sub(_RECID, UINT64)]),
            _El("Correlation", [("ActivityID", _Sub(_ACTIVITY, GUID, True))], []),
            _El(
                "Execution",
                [("ProcessID", _Sub(_PID, UINT32)), ("ThreadID", _Sub(_TID, UINT32))],
                [],
            ),
            _El("Channel", [], [_Text(channel)]),
            _El("Computer", [], [_Text(computer)]),
            _El("Security", [("UserID", _Sub(_USER, SID, True))], []),
        ],
    )
    children = [system]
    if names:
        datas = [
            _El("Data", [("Name", _Text(n))] if n is not None else [], [_Sub(_N_SYSTEM + i, t)])
            for i, (n, t) in enumerate(zip(names, types, strict=True))
        ]
        ed_attrs = [("Name", _Text(eventdata_name))] if eventdata_name else []
        children.append(_El("EventData", ed_attrs, datas))
    return _El("Event", [("xmlns", _Text(EVENT_NS))], children)


def _template_definition(
    key: tuple, tid_guid: bytes, base: int, names: dict[str, int]
) -> tuple[bytes, dict[str, int]]:
    """Definition header + fragment to place at chunk offset `base`, and the new names in it."""
    frag = _Fragment(base + 24, names)
    frag.b += b"\x0f\x01\x01\x00"  # fragment header, BinXML 1.1
    frag.element(_template_tree(key))
    frag.b.append(0x00)  # EOF
    defn = struct.pack("<I", 0) + tid_guid + struct.pack("<I", len(frag.b)) + bytes(frag.b)
    return defn, frag.new


# ---------------------------------------------------------------- chunks and file


class _Chunk:
    def __init__(self) -> None:
        self.buf = bytearray(CHUNK_HEADER_SIZE)
        self.templates: dict[tuple, int] = {}
        self.names: dict[str, int] = {}
        # Hash tables in the chunk header (64 string, 32 template buckets), each bucket a
        # chain through the entries' next-offset fields; readers preload their caches from them.
        self.tables = {"s": [0] * 64, "t": [0] * 32}
        self.chain_ends = {"s": [0] * 64, "t": [0] * 32}
        self.first_id = self.last_id = 0
        self.last_offset = 0

    def _link(self, table: str, bucket: int, off: int) -> None:
        if self.tables[table][bucket]:
            struct.pack_into("<I", self.buf, self.chain_ends[table][bucket], off)
        else:
            self.tables[table][bucket] = off
        self.chain_ends[table][bucket] = off

    def add(self, rec: Record, key: tuple, tid_guid: bytes, subs: list[tuple[int, bytes]]) -> bool:
        """Append one record; False if it does not fit (the caller starts a new chunk)."""
        off = len(self.buf)
        head = bytearray(b"\x0f\x01\x01\x00\x0c\x01") + tid_guid[:4]
        known = self.templates.get(key)
        defn = b""
        if known is None:
            known = off + 24 + len(head) + 4  # the definition follows right here
            defn, new_names = _template_definition(key, tid_guid, known, self.names)
        head += struct.pack("<I", known) + defn
        head += struct.pack("<I", len(subs))
        # Descriptor: size (u16), type (u8), 0 (u8), i.e. one little-endian u32.
        head += struct.pack(f"<{len(subs)}I", *[len(b) | t << 16 for t, b in subs])
        head += b"".join(b for _, b in subs)
        head.append(0x00)  # EOF after the values: dissect drops the chunk without it
        size = (24 + len(head) + 4 + 7) & ~7  # records are 8-byte aligned
        # Strictly below 0x10000: libevtx drops a chunk's last record ending exactly there.
        if off + size >= CHUNK_SIZE:
            if off == CHUNK_HEADER_SIZE:
                raise ValueError(f"record {rec.record_id} too large for one chunk ({size} bytes)")
            return False
        self.buf += struct.pack("<4sIQQ", b"\x2a\x2a\0\0", size, rec.record_id, filetime(rec.time))
        self.buf += head
        self.buf += bytes(size - 24 - len(head) - 4)
        self.buf += struct.pack("<I", size)
        if defn:  # the record is kept: register its template and names (buf index = chunk offset)
            self.templates[key] = known
            self._link("t", struct.unpack_from("<I", tid_guid)[0] % 32, known)
            for name, name_off in new_names.items():
                self.names[name] = name_off
                self._link("s", name_hash(name) % 64, name_off)
        if not self.first_id:
            self.first_id = rec.record_id
        self.last_id = rec.record_id
        self.last_offset = off
        return True

    def finish(self) -> bytes:
        free = len(self.buf)
        data = bytes(self.buf) + bytes(CHUNK_SIZE - free)
        hdr = bytearray(data[:CHUNK_HEADER_SIZE])
        struct.pack_into(
            "<8sQQQQIIII",
            hdr,
            0,
            b"ElfChnk\0",
            self.first_id,
            self.last_id,
            self.first_id,
            self.last_id,
            128,
            self.last_offset,
            free,
            zlib.crc32(data[CHUNK_HEADER_SIZE:free]),
        )
        struct.pack_into("<64I", hdr, 128, *self.tables["s"])
        struct.pack_into("<32I", hdr, 384, *self.tables["t"])
        struct.pack_into("<I", hdr, 124, zlib.crc32(bytes(hdr[:120]) + bytes(hdr[128:512])))
        return bytes(hdr) + data[CHUNK_HEADER_SIZE:]


def _file_header(chunks: int, next_id: int, flags: int) -> bytes:
    h = bytearray(FILE_HEADER_SIZE)
    struct.pack_into(
        "<8sQQQIHHHH",
        h,
        0,
        b"ElfFile\0",
        0,
        max(chunks - 1, 0),
        next_id,
        128,
        1,
        3,
        FILE_HEADER_SIZE,
        chunks,
    )
    struct.pack_into("<II", h, 120, flags, zlib.crc32(bytes(h[:120])))
    return bytes(h)


_tid_cache: dict[tuple, bytes] = {}


def _tid_guid(key: tuple) -> bytes:
    g = _tid_cache.get(key)
    if g is None:
        g = _tid_cache[key] = hashlib.md5(repr(key).encode()).digest()  # stable, not secret
    return g


def _system_subs(rec: Record) -> list[tuple[int, bytes]]:
    p = struct.pack
    system = [
        (UINT16, p("<H", rec.event_id)),
        (NULL, b"") if rec.qualifiers is None else (UINT16, p("<H", rec.qualifiers)),
        (UINT8, p("<B", rec.version)),
        (UINT8, p("<B", rec.level)),
        (UINT16, p("<H", rec.task)),
        (UINT8, p("<B", rec.opcode)),
        (HEXINT64, p("<Q", rec.keywords)),
        (FILETIME, p("<Q", filetime(rec.time))),
        (UINT64, p("<Q", rec.record_id)),
        (NULL, b"") if rec.activity_id is None else (GUID, uuid.UUID(rec.activity_id).bytes_le),
        (UINT32, p("<I", rec.process_id)),
        (UINT32, p("<I", rec.thread_id)),
        (NULL, b"") if rec.user_sid is None else (SID, _sid_bytes(rec.user_sid)),
    ]
    return system


def write_evtx(
    path: str | Path,
    records: Iterable[Record],
    *,
    dirty: bool = False,
    stale_chunks: int = 1,
    empty_chunks: int = 0,
    max_bytes: int | None = None,
    on_write: Callable[[Record], None] | None = None,
) -> WriteStats:
    """Write `records` (streamed: memory does not grow with their number) to an .evtx file.

    dirty=True imitates a copied live log: header flag 0x1, and the header's chunk
    count / last chunk / next record ID stale at `stale_chunks` chunks.
    empty_chunks appends zeroed, never-used 64 KiB chunks, as Windows preallocates.
    max_bytes stops taking records before the file would grow past it (the record that
    did not fit is dropped); on_write is called for every record actually written, so a
    caller streaming a generator can keep ground truth of exactly what is in the file.
    """
    n_records = n_chunks = 0
    next_id = 1
    stale_next_id = 1
    with open(path, "wb") as f:
        f.write(bytes(FILE_HEADER_SIZE))  # rewritten at the end, when the counts are known
        chunk = _Chunk()
        for rec in records:
            if rec.record_id is None:
                rec.record_id = next_id
            next_id = rec.record_id + 1
            data = [_encode(v) for _, v in rec.data]
            key = (
                rec.provider,
                rec.provider_guid,
                rec.channel,
                rec.computer,
                tuple(n for n, _ in rec.data),
                tuple(t for t, _ in data),  # the template declares each substitution's type
                rec.eventdata_name,
            )
            subs = _system_subs(rec) + data
            tid = _tid_guid(key)
            if not chunk.add(rec, key, tid, subs):
                if (
                    max_bytes is not None
                    and FILE_HEADER_SIZE + CHUNK_SIZE * (n_chunks + 2) > max_bytes
                ):
                    break
                f.write(chunk.finish())
                n_chunks += 1
                if n_chunks == stale_chunks:
                    stale_next_id = chunk.last_id + 1
                chunk = _Chunk()
                chunk.add(rec, key, tid, subs)
            n_records += 1
            if on_write is not None:
                on_write(rec)
        if chunk.last_id:
            f.write(chunk.finish())
            n_chunks += 1
            if n_chunks == stale_chunks:
                stale_next_id = chunk.last_id + 1
        f.write(bytes(CHUNK_SIZE * empty_chunks))
        if dirty and stale_chunks < n_chunks:
            header = _file_header(stale_chunks, stale_next_id, 0x1)
        else:  # clean, or dirty with nothing stale to show: only the flag
            header = _file_header(n_chunks, next_id, 0x1 if dirty else 0)
        f.seek(0)
        f.write(header)
    return WriteStats(
        n_records, n_chunks, FILE_HEADER_SIZE + CHUNK_SIZE * (n_chunks + empty_chunks)
    )


# ---------------------------------------------------------------- XML exports


def _xml_time(dt: datetime) -> str:
    ticks = filetime(dt) % 10_000_000  # Windows prints 7 fractional digits
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ticks:07d}Z"


def _xml_value(v: Any) -> str:
    if isinstance(v, Typed):
        t, x = v
        if t in (HEXINT32, HEXINT64):
            return hex(x)
        if t == GUID:
            return "{" + str(uuid.UUID(str(x))).upper() + "}"
        if t in (FILETIME, SYSTEMTIME):
            return _xml_time(x)
        return str(x)
    if isinstance(v, uuid.UUID):
        return "{" + str(v).upper() + "}"
    if isinstance(v, datetime):
        return _xml_time(v)
    return str(v)


def _attr(v: object) -> str:
    # Windows renders attributes in single quotes.
    return "'" + escape(str(v), {"'": "&apos;", '"': "&quot;"}) + "'"


def event_xml(rec: Record, *, rendering: bool = False) -> str:
    """One <Event> element as Windows renders it: no indentation, single-quoted attributes."""
    guid = f" Guid={_attr(rec.provider_guid)}" if rec.provider_guid else ""
    qual = f" Qualifiers={_attr(rec.qualifiers)}" if rec.qualifiers is not None else ""
    corr = f" ActivityID={_attr('{' + rec.activity_id.upper() + '}')}" if rec.activity_id else ""
    user = f" UserID={_attr(rec.user_sid)}" if rec.user_sid else ""
    parts = [
        f"<Event xmlns='{EVENT_NS}'><System><Provider Name={_attr(rec.provider)}{guid}/>",
        f"<EventID{qual}>{rec.event_id}</EventID><Version>{rec.version}</Version>",
        f"<Level>{rec.level}</Level><Task>{rec.task}</Task><Opcode>{rec.opcode}</Opcode>",
        f"<Keywords>{rec.keywords:#x}</Keywords><TimeCreated SystemTime='{_xml_time(rec.time)}'/>",
        f"<EventRecordID>{rec.record_id}</EventRecordID><Correlation{corr}/>",
        f"<Execution ProcessID='{rec.process_id}' ThreadID='{rec.thread_id}'/>",
        f"<Channel>{escape(rec.channel)}</Channel><Computer>{escape(rec.computer)}</Computer>",
        f"<Security{user}/></System>",
    ]
    if rec.data:
        ed = f" Name={_attr(rec.eventdata_name)}" if rec.eventdata_name else ""
        parts.append(f"<EventData{ed}>")
        for name, v in rec.data:
            attr = f" Name={_attr(name)}" if name is not None else ""
            parts.append(f"<Data{attr}>{escape(_xml_value(v))}</Data>")
        parts.append("</EventData>")
    if rendering:
        level = {1: "Critical", 2: "Error", 3: "Warning", 4: "Information"}.get(rec.level, "")
        parts.append(
            f"<RenderingInfo Culture='en-US'><Message>{escape(rec.message or '')}</Message>"
            f"<Level>{level}</Level><Task></Task><Opcode></Opcode><Channel>{escape(rec.channel)}"
            f"</Channel><Provider>{escape(rec.provider)}</Provider><Keywords></Keywords></RenderingInfo>"
        )
    parts.append("</Event>")
    return "".join(parts)


def write_events_xml(
    path: str | Path,
    records: Iterable[Record],
    *,
    rootless: bool = False,
    rendering: bool | None = None,
    encoding: str = "utf-8",
) -> int:
    """Event Viewer "Save as XML" (<Events> root, declaration, RenderingInfo with the message),
    or with rootless=True `wevtutil qe LOG /f:xml` (one <Event> per line, no root, no
    declaration; pass rendering=True to imitate /f:RenderedXml). Returns the record count."""
    if rendering is None:
        rendering = not rootless
    n = 0
    next_id = 1
    with open(path, "w", encoding=encoding, newline="") as f:
        if not rootless:
            decl_enc = "utf-16" if encoding.lower().startswith("utf-16") else "utf-8"
            f.write(f'<?xml version="1.0" encoding="{decl_enc}" standalone="yes"?>\r\n<Events>')
        for rec in records:
            if rec.record_id is None:
                rec.record_id = next_id
            next_id = rec.record_id + 1
            f.write(event_xml(rec, rendering=rendering))
            f.write("\r\n" if rootless else "")
            n += 1
        if not rootless:
            f.write("</Events>")
    return n


# Event Viewer "Save All Events As" CSV / TXT: five localized headers, then the message
# as an unnamed sixth column; local time of the exporting machine (we write UTC), no
# computer, no record ID, no EventData.
_TEXT_HEADERS = {
    "en": ["Level", "Date and Time", "Source", "Event ID", "Task Category"],
    "fr": ["Niveau", "Date et heure", "Source", "ID de l'événement", "Catégorie de la tâche"],
}
_TEXT_LEVELS = {
    "en": {1: "Critical", 2: "Error", 3: "Warning", 4: "Information"},
    "fr": {1: "Critique", 2: "Erreur", 3: "Avertissement", 4: "Information"},
}


def _text_time(dt: datetime, lang: str) -> str:
    t = dt.astimezone(UTC)
    if lang == "fr":
        return t.strftime("%d/%m/%Y %H:%M:%S")
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour}:{t:%M:%S} {'PM' if t.hour >= 12 else 'AM'}"


def write_events_text(
    path: str | Path, records: Iterable[Record], *, lang: str = "en", tab: bool = False
) -> int:
    """Event Viewer CSV (UTF-8 with BOM) or, with tab=True, tab-delimited TXT (UTF-16 LE
    with BOM), CRLF line ends. The message is `Record.message`, else the data values."""
    import csv  # only this export needs it

    n = 0
    encoding = "utf-16" if tab else "utf-8-sig"
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter="\t" if tab else ",", lineterminator="\r\n")
        w.writerow(_TEXT_HEADERS[lang])
        none = "Aucun" if lang == "fr" else "None"
        for rec in records:
            message = rec.message or " ".join(str(v) for _, v in rec.data)
            level = _TEXT_LEVELS[lang].get(rec.level, "")
            w.writerow([level, _text_time(rec.time, lang), rec.provider, rec.event_id, none,
                        message.replace("\r\n", "\n").replace("\n", "\r\n")])  # fmt: skip
            n += 1
    return n
