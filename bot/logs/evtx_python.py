"""Read .evtx with python-evtx, the pure-Python fallback (`--parser python`).

It produces the same normalized `Event`s as the Rust reader
(tests/test_logs_parsers.py proves it on real files).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.logs import Event
from bot.logs.chunks import CHUNK_SIZE, HEADER_SIZE, ChunkScan
from bot.logs.event_xml import event_from_element
from bot.logs.state import ReadState

_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

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
