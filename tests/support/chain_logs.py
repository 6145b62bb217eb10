"""Writers for the chain's other logs, for tests: IIS W3C, .svclog, NDESPlugin.log, zips.

No public samples of these exist with the failures we need, so we write them
in the formats Microsoft documents (domain.md §3.4: the IIS, NDESPlugin and
svclog lines quoted from Microsoft's troubleshooting articles).
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# IIS's default W3C field set (IIS 8.5+), and one with the server's name and site.
IIS_DEFAULT_FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username "
                      "c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status "
                      "time-taken").split()  # fmt: skip
IIS_FULL_FIELDS = ("date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query "
                   "s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status "
                   "time-taken").split()  # fmt: skip

MSCEP = "/certsrv/mscep/mscep.dll"
PKICLIENT = "/certsrv/mscep/mscep.dll/pkiclient.exe"
VERIFY = "/CertificateRegistrationSvc/Certificate/VerifyRequest"


@dataclass
class Request:
    """One IIS request line."""

    time: datetime
    url: str = MSCEP
    status: int = 200
    substatus: int = 0
    win32: int = 0
    method: str = "GET"
    query: str = "-"
    user_agent: str = "Dalvik/2.1.0+(Linux;+U;+Android+13)"
    client: str = "10.0.0.7"
    computer: str = "NDES1"
    site: str = "W3SVC1"


def _w3c(value: str) -> str:
    """A W3C cell: IIS writes '+' for spaces and '-' for empty."""
    return value.replace(" ", "+") if value else "-"


def iis_lines(requests: Iterable[Request], fields: list[str] = IIS_DEFAULT_FIELDS) -> list[str]:
    """One W3C block: the directives IIS writes, then one line per request."""
    reqs = list(requests)
    start = reqs[0].time if reqs else datetime(2024, 1, 1, tzinfo=UTC)
    lines = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        f"#Date: {start:%Y-%m-%d %H:%M:%S}",
        "#Fields: " + " ".join(fields),
    ]
    for r in reqs:
        cells = {
            "date": f"{r.time:%Y-%m-%d}", "time": f"{r.time:%H:%M:%S}", "s-sitename": r.site,
            "s-computername": r.computer, "s-ip": "10.0.0.2", "cs-method": r.method,
            "cs-uri-stem": r.url, "cs-uri-query": r.query, "s-port": "443", "cs-username": "-",
            "c-ip": r.client, "cs(User-Agent)": r.user_agent, "cs(Referer)": "-",
            "sc-status": str(r.status), "sc-substatus": str(r.substatus),
            "sc-win32-status": str(r.win32), "time-taken": "31",
        }  # fmt: skip
        lines.append(" ".join(_w3c(cells[f]) for f in fields))
    return lines


def write_iis(path: str | Path, *blocks: list[str]) -> Path:
    """Blocks from iis_lines(), written as one u_ex log (a restart writes a new header)."""
    path = Path(path)
    path.write_text("\r\n".join(line for block in blocks for line in block) + "\r\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- .svclog

@dataclass
class Trace:
    """One WCF E2ETraceEvent."""

    time: datetime
    text: str
    level: str = "Information"  # Critical | Error | Warning | Information | Verbose
    source: str = "NDESConnector"
    computer: str = "NDES1"


def svclog_text(traces: Iterable[Trace]) -> str:
    """The rootless stream XmlWriterTraceListener writes."""
    codes = {"Critical": 1, "Error": 2, "Warning": 4, "Information": 8, "Verbose": 16}
    out = []
    for t in traces:
        stamp = t.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
        out.append(
            '<E2ETraceEvent xmlns="http://schemas.microsoft.com/2004/06/E2ETraceEvent">'
            '<System xmlns="http://schemas.microsoft.com/2004/06/windows/eventlog/system">'
            f"<EventID>0</EventID><Type>3</Type><SubType Name={quoteattr(t.level)}>0</SubType>"
            f"<Level>{codes.get(t.level, 8)}</Level><TimeCreated SystemTime=\"{stamp}\" />"
            f"<Source Name={quoteattr(t.source)} /><Correlation ActivityID=\"{{00000000-0000-0000-0000-000000000000}}\" />"
            '<Execution ProcessName="NDESConnector" ProcessID="4242" ThreadID="7" />'
            f"<Channel /><Computer>{escape(t.computer)}</Computer></System>"
            f"<ApplicationData>{escape(t.text)}</ApplicationData></E2ETraceEvent>"
        )
    return "\r\n".join(out) + "\r\n"


def write_svclog(path: str | Path, traces: Iterable[Trace]) -> Path:
    path = Path(path)
    path.write_text(svclog_text(traces), encoding="utf-8")
    return path


def write_plugin_log(path: str | Path, lines: Iterable[tuple[datetime | None, str]]) -> Path:
    """NDESPlugin.log: 'YYYY-MM-DD HH:MM:SS message' lines (a None time writes the bare message)."""
    path = Path(path)
    text = "".join(f"{t:%Y-%m-%d %H:%M:%S} {m}\r\n" if t else f"{m}\r\n" for t, m in lines)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- zips

@dataclass
class Member:
    name: str
    data: bytes
    encrypted: bool = False  # sets the header's encryption flag (the data stays plain)
    declare_size: int | None = None  # lie about the uncompressed size in the central directory


def build_zip(path: str | Path | None, members: Iterable[Member | tuple[str, bytes]]) -> bytes:
    """A deflated zip of `members`, written to `path` (if given); returns its bytes."""
    buf = io.BytesIO()
    members = [m if isinstance(m, Member) else Member(*m) for m in members]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for m in members:
            info = zipfile.ZipInfo(m.name, date_time=(2024, 3, 1, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, m.data)
    data = buf.getvalue()
    for m in members:
        if m.declare_size is not None or m.encrypted:
            data = _patch(data, m)
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _patch(data: bytes, m: Member) -> bytes:
    """Set a member's encryption flag, or its declared size, in the headers (zipfile writes neither)."""
    raw = bytearray(data)
    at = 0
    while (at := raw.find(b"PK\x01\x02", at)) != -1:  # central directory entries
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + name_len] == m.name.encode():
            local = struct.unpack_from("<I", raw, at + 42)[0]
            if m.encrypted:
                raw[at + 8] |= 0x1
                raw[local + 6] |= 0x1
            if m.declare_size is not None:
                struct.pack_into("<I", raw, at + 24, m.declare_size)
                struct.pack_into("<I", raw, local + 22, m.declare_size)
            return bytes(raw)
        at += 4
    raise KeyError(m.name)


def minutes(start: datetime, n: int, step: int = 1) -> list[datetime]:
    return [start + timedelta(minutes=i * step) for i in range(n)]
