"""The test EVTX writer: its files must read identically in `evtx` (Rust, strict, with
checksum validation) and python-evtx, or fixtures built on it prove nothing."""

from __future__ import annotations

import json
import re
import struct
import time
import uuid
import warnings
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import evtx
from Evtx.Evtx import Evtx

from tests.support.evtx_writer import (
    Record,
    hex32,
    hex64,
    name_hash,
    sid,
    u8,
    u16,
    u64,
    write_events_xml,
    write_evtx,
)

T0 = datetime(2026, 11, 20, 8, 15, 30, 123456, tzinfo=UTC)
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
HOSTILE = [
    "<!channel> <!here> <!everyone>",
    "<@U123ABC> and <#C0123|general>",
    "<http://evil.example|click me> & more",
    "'single' \"double\" `back` &amp; &lt;",
    "Zürich – Straße, 日本語のCA, Ελληνικά, emoji 🔐",
    "line1\r\nline2\ttab",
    "",
]


# ---------------------------------------------------------------- normalizers


def _hexnorm(v: str) -> str:
    # Parsers print hex types with different widths (0x400 vs 0x00000400).
    return hex(int(v, 16)) if re.fullmatch(r"0x[0-9a-fA-F]+", v) else v


def _event(event_id, time, rid, provider, channel, computer, data) -> dict:
    return {
        "event_id": int(event_id),
        "time": time,
        "record_id": int(rid),
        "provider": provider,
        "channel": channel,
        "computer": computer,
        "data": data,
    }


def read_rust(path: Path, **kw) -> list[dict]:
    kw.setdefault("skip_errors", False)
    kw.setdefault("validate_checksums", True)
    out = []
    for r in evtx.PyEvtxParser(str(path), **kw).records_json():
        ev = json.loads(r["data"])["Event"]
        sys_ = ev["System"]
        eid = sys_["EventID"]
        eid = eid["#text"] if isinstance(eid, dict) else eid
        t = datetime.fromisoformat(sys_["TimeCreated"]["#attributes"]["SystemTime"])
        data: list = []
        for k, v in (ev.get("EventData") or {}).items():
            if k == "Data":  # unnamed <Data> elements: a string, a list, or {"#text": ...}
                v = v.get("#text") if isinstance(v, dict) else v
                for x in v if isinstance(v, list) else [v]:
                    data.append((None, _hexnorm("" if x is None else str(x))))
            else:
                data.append((k, _hexnorm("" if v is None else str(v))))
        out.append(
            _event(
                eid,
                t,
                sys_["EventRecordID"],
                sys_["Provider"]["#attributes"]["Name"],
                sys_["Channel"],
                sys_["Computer"],
                data,
            )
        )
    return out


_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_python(path: Path) -> list[dict]:
    out = []
    with Evtx(str(path)) as log:
        for rec in log.records():
            root = ET.fromstring(_CTRL.sub("", rec.xml()))
            s = root.find(NS + "System")
            t = datetime.fromisoformat(s.find(NS + "TimeCreated").get("SystemTime"))
            data = [
                (d.get("Name"), _hexnorm(d.text or ""))
                for d in root.iterfind(f"{NS}EventData/{NS}Data")
            ]
            out.append(
                _event(
                    s.findtext(NS + "EventID"),
                    t,
                    s.findtext(NS + "EventRecordID"),
                    s.find(NS + "Provider").get("Name"),
                    s.findtext(NS + "Channel"),
                    s.findtext(NS + "Computer"),
                    data,
                )
            )
    return out


def expected(records: list[Record]) -> list[dict]:
    def val(v):
        if isinstance(v, tuple):  # Typed
            return hex(v.value) if v.type in (0x14, 0x15) else str(v.value)
        return str(v)

    return [
        _event(
            r.event_id,
            r.time,
            r.record_id,
            r.provider,
            r.channel,
            r.computer,
            [(n, _hexnorm(val(v))) for n, v in r.data],
        )
        for r in records
    ]


def assert_same(got: list[dict], want: list[dict], *, python_evtx: bool = False) -> None:
    assert len(got) == len(want)
    # FILETIME has 100 ns; evtx truncates to µs. python-evtx goes through a float of the
    # 100 ns count (~1.3e17, 16 units per ulp), which is off by up to ~2 µs.
    tolerance = timedelta(microseconds=2 if python_evtx else 1)
    if python_evtx:  # it writes a raw CR into its XML, which the XML parser turns into LF
        want = [{**w, "data": [(n, v.replace("\r\n", "\n")) for n, v in w["data"]]} for w in want]
    for g, w in zip(got, want, strict=True):
        assert abs(g["time"] - w["time"]) <= tolerance, (g, w)
        assert {**g, "time": None} == {**w, "time": None}


# ---------------------------------------------------------------- fixtures


def sample_records(n: int, *, start: int = 1) -> list[Record]:
    recs = []
    for i in range(n):
        t = T0 + timedelta(seconds=37 * i, microseconds=i)
        if i % 3 == 0:  # new connector, named fields
            recs.append(
                Record(
                    1052,
                    t,
                    "Microsoft-Intune-CertificateConnectors",
                    "Microsoft-Intune-CertificateConnectors/Operational",
                    "NDES01.contoso.com",
                    provider_guid="{A6E8F3B1-5C2D-4E7F-9A1B-3C4D5E6F7A8B}",
                    level=2,
                    user_sid="S-1-5-18",
                    data=[
                        ("DeviceId", str(uuid.UUID(int=i + 1))),
                        ("RequestId", str(1000 + i)),
                        ("ExceptionMessage", HOSTILE[i % len(HOSTILE)]),
                    ],
                )
            )
        elif i % 3 == 1:  # legacy, message only, with typed values mixed in
            recs.append(
                Record(
                    20102,
                    t,
                    "Microsoft Intune Connector",
                    "Microsoft Intune Connector",
                    "NDES02.contoso.com",
                    qualifiers=0,
                    level=2,
                    data=[
                        (
                            None,
                            f"Failed to issue a PKCS certificate. Device ID: {uuid.UUID(int=i)} "
                            f"CA Name: contoso-CA01\\Contoso Issuing CA {HOSTILE[i % len(HOSTILE)]}",
                        )
                    ],
                )
            )
        else:  # typed values: every integer type and hex
            recs.append(
                Record(
                    20102,
                    t,
                    "NDESConnector",
                    "Application",
                    "ndes03.fabrikam.local",
                    qualifiers=0,
                    data=[
                        ("DiagnosticCode", hex32(0x400)),
                        ("Hex64", hex64(0x80000000000000)),
                        ("Small", u8(7)),
                        ("Port", u16(443)),
                        ("Big", u64(2**40)),
                        ("Int", 12345),
                    ],
                )
            )
        recs[-1].record_id = start + i
    return recs


# ---------------------------------------------------------------- tests


def test_both_parsers_read_what_was_written(tmp_path):
    recs = sample_records(30)
    path = tmp_path / "a.evtx"
    stats = write_evtx(path, recs)
    assert stats.records == 30 and stats.chunks == 1
    want = expected(recs)
    assert_same(read_rust(path), want)
    assert_same(read_python(path), want, python_evtx=True)


def test_many_chunks_read_identically(tmp_path):
    recs = sample_records(400, start=5001)  # record IDs need not start at 1 (archived logs)
    path = tmp_path / "many.evtx"
    stats = write_evtx(path, recs)
    assert stats.chunks >= 3
    assert path.stat().st_size == stats.bytes == 4096 + stats.chunks * 65536
    want = expected(recs)
    assert_same(read_rust(path), want)
    assert_same(read_python(path), want, python_evtx=True)


def test_headers_and_checksums(tmp_path):
    recs = sample_records(300)
    path = tmp_path / "h.evtx"
    stats = write_evtx(path, recs)
    raw = path.read_bytes()
    magic, first, last, next_id, hsize, minor, major, block, count = struct.unpack_from(
        "<8sQQQIHHHH", raw
    )
    flags, crc = struct.unpack_from("<II", raw, 120)
    assert (magic, first, last, next_id, hsize, major, block, count, flags) == (
        b"ElfFile\0",
        0,
        stats.chunks - 1,
        301,
        128,
        3,
        4096,
        stats.chunks,
        0,
    )
    assert crc == zlib.crc32(raw[:120])
    for c in range(stats.chunks):
        ch = raw[4096 + c * 65536 : 4096 + (c + 1) * 65536]
        free, rec_crc = struct.unpack_from("<II", ch, 48)
        assert ch[:8] == b"ElfChnk\0" and free < 0x10000
        assert rec_crc == zlib.crc32(ch[512:free])
        assert struct.unpack_from("<I", ch, 124)[0] == zlib.crc32(ch[:120] + ch[128:512])


def test_name_hash_matches_the_format():
    # ×65599 over UTF-16 units, low 16 bits: checked by hand for a 1- and 2-char name.
    assert name_hash("A") == 0x41
    assert name_hash("Ab") == (0x41 * 65599 + 0x62) & 0xFFFF


def test_hostile_and_non_latin_values_are_data(tmp_path):
    recs = [
        Record(
            1001,
            T0 + timedelta(minutes=i),
            "Microsoft-Intune-CertificateConnectors",
            "Microsoft-Intune-CertificateConnectors/Admin",
            "NDES-Zürich-日本.contoso.com",
            data=[("ExceptionMessage", s), ("Thumbprint", "AB" * 20)],
            record_id=i + 1,
        )
        for i, s in enumerate(HOSTILE)
    ] + [
        Record(
            20102,
            T0,
            "Microsoft Intune Connector",
            "Microsoft Intune Connector",
            "NDES01",
            data=[(None, s)],
            record_id=len(HOSTILE) + i + 1,
        )
        for i, s in enumerate(HOSTILE)
    ]
    path = tmp_path / "hostile.evtx"
    write_evtx(path, recs)
    rust = read_rust(path)
    assert_same(rust, expected(recs))
    assert_same(read_python(path), expected(recs), python_evtx=True)
    assert rust[0]["data"][0] == ("ExceptionMessage", "<!channel> <!here> <!everyone>")


def test_typed_system_values(tmp_path):
    rec = Record(
        4005,
        T0,
        "Microsoft-Intune-CertificateConnectors",
        "Microsoft-Intune-CertificateConnectors/Operational",
        "NDES01",
        activity_id="0f6f0c5e-1d2b-4c3a-9e8f-7a6b5c4d3e2f",
        user_sid="S-1-5-21-1-2-3-500",
        process_id=4242,
        thread_id=77,
        task=4,
        opcode=1,
        version=2,
        level=2,
        data=[
            ("When", T0),
            ("Who", sid("S-1-5-18")),
            ("Guid", uuid.UUID("0f6f0c5e-1d2b-4c3a-9e8f-7a6b5c4d3e2f")),
        ],
        record_id=9,
    )
    path = tmp_path / "typed.evtx"
    write_evtx(path, [rec])
    ev = json.loads(
        next(evtx.PyEvtxParser(str(path), validate_checksums=True).records_json())["data"]
    )
    s = ev["Event"]["System"]
    assert s["Execution"]["#attributes"] == {"ProcessID": 4242, "ThreadID": 77}
    assert s["Security"]["#attributes"]["UserID"] == "S-1-5-21-1-2-3-500"
    assert s["Correlation"]["#attributes"]["ActivityID"].strip("{}").lower() == (
        "0f6f0c5e-1d2b-4c3a-9e8f-7a6b5c4d3e2f"
    )
    assert (s["Task"], s["Opcode"], s["Version"], s["Level"]) == (4, 1, 2, 2)
    data = ev["Event"]["EventData"]
    assert datetime.fromisoformat(data["When"]) == T0
    assert data["Who"] == "S-1-5-18"
    assert data["Guid"].strip("{}").lower() == "0f6f0c5e-1d2b-4c3a-9e8f-7a6b5c4d3e2f"


def test_dirty_copy_of_a_live_log(tmp_path):
    recs = sample_records(400)
    path = tmp_path / "dirty.evtx"
    stats = write_evtx(path, recs, dirty=True, stale_chunks=1, empty_chunks=2)
    raw = path.read_bytes()
    assert struct.unpack_from("<I", raw, 120)[0] & 1  # dirty flag
    assert struct.unpack_from("<H", raw, 42)[0] == 1 < stats.chunks  # stale chunk count
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = read_rust(path, skip_errors=True, validate_checksums=True)
    assert_same(got, expected(recs))
    # python-evtx trusts the stale count: the real-world loss this variant exists to show.
    with Evtx(str(path)) as log:
        assert 0 < sum(1 for _ in log.records()) < len(recs)


def test_xml_exports_carry_the_same_events(tmp_path):
    recs = sample_records(12)
    for i, r in enumerate(recs):
        r.message = f"Message {i} <b>&</b>"
    saved = tmp_path / "saved.xml"
    stream = tmp_path / "wevtutil.xml"
    assert write_events_xml(saved, recs) == 12
    write_events_xml(stream, recs, rootless=True)

    def norm(events):
        out = []
        for e in events:
            s = e.find(NS + "System")
            out.append(
                (
                    int(s.findtext(NS + "EventID")),
                    int(s.findtext(NS + "EventRecordID")),
                    s.find(NS + "Provider").get("Name"),
                    s.findtext(NS + "Computer"),
                    [
                        (d.get("Name"), _hexnorm(d.text or ""))
                        for d in e.iterfind(f"{NS}EventData/{NS}Data")
                    ],
                )
            )
        return out

    root = ET.parse(saved).getroot()
    assert root.tag == "Events"
    assert root.find(f"{NS}Event/{NS}RenderingInfo/{NS}Message").text == "Message 0 <b>&</b>"
    lines = stream.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12 and not lines[0].startswith("<?xml")
    streamed = [ET.fromstring(line) for line in lines]
    assert norm(root) == norm(streamed)
    want = [
        (e["event_id"], e["record_id"], e["provider"], e["computer"], e["data"])
        for e in expected(recs)
    ]
    assert norm(streamed) == want
    t = streamed[0].find(f"{NS}System/{NS}TimeCreated").get("SystemTime")
    assert t == "2026-11-20T08:15:30.1234560Z"


def test_writing_is_fast(tmp_path):
    # The bench writes a 50 MB log; keep this a smoke check, not a benchmark.
    recs = sample_records(3000)
    t = time.perf_counter()
    write_evtx(tmp_path / "fast.evtx", recs)
    assert time.perf_counter() - t < 2.0
    assert Counter(r["event_id"] for r in read_rust(tmp_path / "fast.evtx")) == Counter(
        r.event_id for r in recs
    )
