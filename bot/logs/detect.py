"""Decide what a file is from its first bytes, never from its name.

Returns a `Sniffed` description for the log formats we read (event log
exports, IIS W3C logs, the legacy connector's NDESPlugin.log and .svclog
traces, zips of any of these), and raises `NotAnEventLog` with one line a
helpdesk user understands for anything else.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.logs import NotAnEventLog
from bot.logs.columns import match_header

HEAD_BYTES = 64 * 1024

# (magic, what it is) for common uploads that are not event logs.
_BINARY_MAGICS: list[tuple[bytes, str]] = [
    (b"%PDF", "looks like a PDF document"),
    (b"PK\x05\x06", "looks like an empty ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "is an image (PNG)"),
    (b"\xff\xd8\xff", "is an image (JPEG)"),
    (b"GIF87a", "is an image (GIF)"),
    (b"GIF89a", "is an image (GIF)"),
    (b"BM", "is an image (BMP)"),
    (b"RIFF", "is a media file (RIFF)"),
    (b"\x1f\x8b", "looks like a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "looks like a 7-Zip archive"),
    (b"Rar!", "looks like a RAR archive"),
    (b"MZ", "looks like a Windows program (EXE/DLL)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "looks like an old Office document or Outlook message"),
    (b"SQLite format 3\x00", "looks like an SQLite database"),
    (b"ElfChnk\x00", "looks like a fragment of an .evtx file (no file header)"),
    (
        b"LfLe",
        "looks like an old Windows XP/2003 .evt log, which is not supported (export it as .evtx)",
    ),
    (b"{\\rtf", "looks like an RTF document"),
]


@dataclass(slots=True)
class Sniffed:
    format: str  # "evtx" | "xml" | "csv" | "txt" | "iis" | "svclog" | "ndesplugin" | "zip"
    encoding: str | None = None  # text formats: the codec to read with
    delimiter: str = ","
    columns: dict[str, int] = field(default_factory=dict)  # canonical name -> column index
    flavor: str = ""  # "eventviewer" | "powershell" | "events" | "wevtutil"
    language: str = ""  # "en" | "fr" for Event Viewer headers (date order default)
    skip_lines: int = 0  # lines before the header (PowerShell's #TYPE line)


def sniff(path: str | Path, name: str | None = None) -> Sniffed:
    """What the file at `path` is; `name` is what to call it in a message (a zip member's name)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    return sniff_head(head, name or path.name)


def sniff_head(head: bytes, name: str) -> Sniffed:
    """What a file is from its first HEAD_BYTES bytes."""
    if not head:
        raise NotAnEventLog(f"{name} is empty")
    if head.startswith(b"ElfFile\x00"):
        return Sniffed("evtx")
    if head.startswith(b"PK\x03\x04"):
        return Sniffed("zip")
    if len(head) < 8 and b"ElfFile\x00".startswith(head):
        raise NotAnEventLog(f"{name} is too short to be an .evtx file (it was cut off)")
    for magic, what in _BINARY_MAGICS:
        if head.startswith(magic):
            raise NotAnEventLog(f"{name} {what}, not an event log export")
    encoding, text = _decode(head)
    if text is None:
        raise NotAnEventLog(f"{name} is binary data, not an event log export")
    try:
        return _sniff_text(name, text, encoding)
    except NotAnEventLog:
        raise
    except Exception:  # odd text must still get a one-line answer, never a traceback
        raise NotAnEventLog(f"{name} is text in no event log export format we know") from None


def _valid_utf8(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(
            head, final=False
        )  # the head may end mid-character
    except UnicodeDecodeError:
        return False
    return True


def _decode(head: bytes) -> tuple[str, str | None]:
    """Pick the codec from the BOM (Event Viewer writes UTF-8 or UTF-16 LE with one)."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    elif len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        encoding = "utf-16-le"  # UTF-16 without a BOM: ASCII letters followed by NULs
    else:
        encoding = "utf-8"
    # Decode leniently (the head may end mid-character), then judge how text-like it is.
    text = head.decode(encoding, errors="replace")
    if encoding == "utf-8" and "\ufffd" in text and not _valid_utf8(head):
        # An ANSI export (Notepad's "ANSI", old Windows): real UTF-8 never has
        # invalid sequences, while French headers in cp1252 have a few (é, â).
        encoding = "cp1252"
        text = head.decode(encoding, errors="replace")
    sample = text[:4096]
    bad = sum(1 for c in sample if (c < " " and c not in "\t\r\n") or c == "\ufffd")
    if sample and bad > len(sample) // 50:
        return encoding, None
    return encoding, text


_XML_DECL = re.compile(r"<\?xml[^>]*\?>|<!--.*?-->|\s+", re.S)
_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _sniff_text(name: str, text: str, encoding: str) -> Sniffed:
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("<"):
        return _sniff_xml(name, body, encoding)
    if body.startswith(("{", "[")):
        raise NotAnEventLog(f"{name} is JSON, not an event log export")
    lines = body.splitlines()
    if _is_w3c(lines[:20]):
        return Sniffed("iis", encoding, flavor="w3c")
    skip = 0
    if lines and lines[0].startswith("#TYPE"):
        skip = 1  # PowerShell Export-Csv without -NoTypeInformation
    header = lines[skip] if len(lines) > skip else ""
    for delimiter in (",", "\t", ";"):
        if delimiter not in header:
            continue
        cells = next(csv.reader([header], delimiter=delimiter), [])
        found = match_header(cells)
        if found:
            flavor, language, columns = found
            fmt = "txt" if delimiter == "\t" else "csv"
            return Sniffed(fmt, encoding, delimiter, columns, flavor, language, skip)
    if _looks_like_table(lines[skip : skip + 3]):
        raise NotAnEventLog(
            f"{name} is a table, but not an event log export (no Date and Time / Event ID columns)"
        )
    if _PLUGIN_MARKERS.search(body[:HEAD_BYTES]):
        return Sniffed("ndesplugin", encoding, flavor="ndesplugin")
    raise NotAnEventLog(f"{name} is plain text, not an event log export")


def _is_w3c(lines: list[str]) -> bool:
    """An IIS (W3C extended) log: '#Software: Microsoft Internet Information Services', '#Fields:'."""
    return any(line.startswith("#Fields:") for line in lines) or bool(
        lines and lines[0].startswith("#Software: Microsoft Internet Information Services")
    )


# Words the legacy NDES policy module writes in NDESPlugin.log (domain.md §3.4,
# from Microsoft's policy-module troubleshooting article); a table export that
# mentions them is caught earlier by its header.
_PLUGIN_MARKERS = re.compile(
    r"VerifyRequest|Verify challenge|certificate registration point|NDESPlugin|CertificateRegistrationSvc",
    re.I,
)


def _looks_like_table(lines: list[str]) -> bool:
    """Short header cells, and the next line splits into as many cells."""
    if len(lines) < 2:
        return False
    for delimiter in (",", "\t", ";"):
        rows = list(csv.reader(lines, delimiter=delimiter))
        if len(rows) < 2:  # an open quote swallowed the following lines
            continue
        width = len(rows[0])
        if width >= 2 and len(rows[1]) == width and all(len(c) < 40 for c in rows[0]):
            return True
    return False


def _sniff_xml(name: str, body: str, encoding: str) -> Sniffed:
    # DOCTYPE / ENTITY declarations never occur in event exports and are the
    # vehicle for entity-expansion attacks: refuse them outright.
    if re.search(r"<!DOCTYPE|<!ENTITY", body[:HEAD_BYTES], re.I):
        if re.match(r"(<\?xml[^>]*\?>\s*)?<!doctype\s+html", body, re.I):
            raise NotAnEventLog(f"{name} is a web page, not an event log export")
        raise NotAnEventLog(f"{name} is an XML document with a DOCTYPE, not an event log export")
    rest = body
    while True:  # skip the declaration, comments and whitespace before the first element
        m = _XML_DECL.match(rest)
        if not m or not m.group(0):
            break
        rest = rest[m.end() :]
    tag = _TAG.match(rest)
    root = tag.group(1) if tag else ""
    local = root.rsplit(":", 1)[-1]
    if local == "Events":
        return Sniffed("xml", encoding, flavor="events")
    if local == "Event":
        return Sniffed("xml", encoding, flavor="wevtutil")
    if local == "E2ETraceEvent":  # WCF trace (.svclog): a rootless stream of these
        return Sniffed("svclog", encoding, flavor="e2e")
    if local.lower() == "html":
        raise NotAnEventLog(f"{name} is a web page, not an event log export")
    what = f"<{root}>" if root else "unknown"
    raise NotAnEventLog(f"{name} is an XML document ({what}), not an event log export")
