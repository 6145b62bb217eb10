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
import pytest
from Evtx.Evtx import Evtx

from tests.support import connector_logs as cl
from tests.support.evtx_writer import (
    FILETIME,
    GUID,
    Record,
    Typed,
    hex32,
    hex64,
    name_hash,
    sid,
    systemtime,
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


HEX_FIELDS = {"Hex32", "Hex64"}  # the only HexInt-typed values in these tests


def _hexnorm(name: str | None, v: str) -> str:
    # Parsers print HexInt types with different widths (0x400 vs 0x00000400); strings
    # that merely look like hex ("0x00000400" as text) must come back exactly.
    return hex(int(v, 16)) if name in HEX_FIELDS else v


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
            if k == "#attributes":  # <EventData Name="..."> (NDES)
                continue
            if k == "Data":  # unnamed <Data> elements: a string, a list, or {"#text": ...}
                v = v.get("#text") if isinstance(v, dict) else v
                for x in v if isinstance(v, list) else [v]:
                    data.append((None, "" if x is None else str(x)))
            else:
                data.append((k, _hexnorm(k, "" if v is None else str(v))))
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
                (d.get("Name"), _hexnorm(d.get("Name"), d.text or ""))
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
            [(n, _hexnorm(n, val(v))) for n, v in r.data],
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
                        ("Hex32", hex32(0x400)),
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
    assert stats.records == 30
    assert stats.chunks == 1
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
        assert ch[:8] == b"ElfChnk\0"
        assert free < 0x10000
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
            ("St", systemtime(T0)),
            ("Ft", Typed(FILETIME, T0 + timedelta(days=1))),
            ("Gt", Typed(GUID, "0f6f0c5e-1d2b-4c3a-9e8f-7a6b5c4d3e2f")),
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
    assert datetime.fromisoformat(data["St"]) == T0.replace(microsecond=123000)  # ms precision
    assert datetime.fromisoformat(data["Ft"]) == T0 + timedelta(days=1)
    assert data["Gt"].strip("{}").lower() == "0f6f0c5e-1d2b-4c3a-9e8f-7a6b5c4d3e2f"
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
                        (d.get("Name"), _hexnorm(d.get("Name"), d.text or ""))
                        for d in e.iterfind(f"{NS}EventData/{NS}Data")
                    ],
                )
            )
        return out

    root = ET.parse(saved).getroot()
    assert root.tag == "Events"
    assert root.find(f"{NS}Event/{NS}RenderingInfo/{NS}Message").text == "Message 0 <b>&</b>"
    text = stream.read_bytes().decode("utf-8")  # keep the CRLFs
    assert text.startswith("<Event ")
    assert text.count("\r\n<Event ") == 11
    streamed = list(ET.fromstring(f"<r>{text}</r>"))
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


# ---------------------------------------------------------------- scenarios and their truth


def _check_truth(records: list[dict], truth: cl.Truth) -> None:
    assert len(records) == truth.records
    assert Counter(r["event_id"] for r in records) == truth.event_ids
    assert min(r["time"] for r in records) == truth.first
    assert max(r["time"] for r in records) == truth.last
    by_server = Counter(r["computer"] for r in records)
    assert by_server == {s: t.records for s, t in truth.per_server.items()}


@pytest.mark.parametrize("name", sorted(cl.SCENARIOS))
def test_scenario_truth_matches_the_file(tmp_path, name):
    path = tmp_path / f"{name}.evtx"
    truth = cl.SCENARIOS[name](path)
    records = read_rust(path)
    _check_truth(records, truth)
    # Every written record's ground truth came from on_write, in file order.
    assert [r["record_id"] for r in records] == list(range(1, truth.records + 1))


def test_scenario_python_evtx_agrees(tmp_path):
    path = tmp_path / "mixed.evtx"
    cl.new_connector_mixed(path)
    assert_same(read_python(path), read_rust(path), python_evtx=True)


def test_known_numbers_of_the_ca_outage(tmp_path):
    truth = cl.legacy_pkcs_ca_outage(tmp_path / "a.evtx")
    outage = truth.failure(20102, "0x00000400")
    assert (outage.count, outage.later_succeeded, len(outage.devices)) == (24, 16, 12)
    assert set(outage.cas) == {cl.CA01}
    assert set(outage.templates) == {cl.PKCS_TEMPLATE, cl.WIFI_TEMPLATE}
    assert outage.first >= cl.START + timedelta(hours=8)
    assert outage.last < cl.START + timedelta(hours=11)
    assert truth.failures[0] is outage  # most frequent first
    assert truth.failure(20102, "0x0FFFFFFF").later_succeeded == 0
    assert truth.warning(20501, "0x00000411").count == 1
    assert truth.successes["20100"] == 68
    assert truth.info == {"10010": 1}
    assert truth.servers == ["NDES01.contoso.com"]


def test_known_numbers_of_the_new_connector(tmp_path):
    truth = cl.new_connector_mixed(tmp_path / "n.evtx")
    retry = truth.retry(1051, "0x800706BA")
    assert (retry.count, retry.later_succeeded) == (10, 4)
    assert truth.failure(1052, "0x800706BA").count == 3
    assert truth.failure(1052, "0x80094800").count == 2
    # event 31 is grouped by the reason its text carries, not the generic 0x80004005
    assert truth.failure(31, "0x80094800").count == 2
    assert truth.failure(4005).code is None
    assert truth.warning(128).count == 1
    assert truth.noise == {"1000": 1, "10": 1}
    assert truth.successes["1000"] == 16  # besides the install noise and "Application Error" 1000
    assert truth.event_ids[1000] == 18
    # outside the chain: 4 records; the w3wp.exe "Application Error" 1000 is the IIS hop now
    assert truth.records - truth.connector_events == 4


def test_two_servers_split(tmp_path):
    truth = cl.two_servers(tmp_path / "two.evtx")
    assert truth.servers == ["NDES01.contoso.com", "NDES02.contoso.com"]
    assert truth.failure(31, "0x80094800").servers == {
        "NDES01.contoso.com": 1,
        "NDES02.contoso.com": 2,
    }
    one, two = truth.per_server["NDES01.contoso.com"], truth.per_server["NDES02.contoso.com"]
    assert one.failure(20102, "0x00000400").count == 5
    assert ("failure", "1052", "0x800706BA") not in one.groups
    assert two.retry(1051, "0x800706BA").later_succeeded == 2


@pytest.mark.parametrize("shape", cl.LEGACY_SHAPES)
def test_legacy_shapes_same_truth_different_fields(tmp_path, shape):
    truth = cl.legacy_pkcs_ca_outage(tmp_path / "s.evtx", shape=shape, provider="NDESConnector")
    assert truth.to_dict() == cl.legacy_pkcs_ca_outage(tmp_path / "ref.evtx").to_dict()
    records = read_rust(tmp_path / "s.evtx")
    failure = next(r for r in records if r["event_id"] == 20102)
    assert failure["provider"] == "NDESConnector"
    names = [n for n, _ in failure["data"]]
    text = " ".join(v for _, v in failure["data"])
    if shape == "named":
        assert names[:4] == ["DeviceId", "UserId", "CAName", "TemplateName"]
        assert dict(failure["data"])["DiagnosticCode"] == "0x00000400"
    elif shape == "spaced":
        assert names[:4] == ["Device ID", "User ID", "CA Name", "Certificate Template"]
    elif shape in ("message", "lines"):
        assert names == [None]
        assert text.startswith("Failed to issue a PKCS certificate.")
        assert "Diagnostic Code: 0x00000400" in text
        assert "CA Name: " + cl.CA01 in text
    else:  # mixed: every shape occurs in one file
        assert {len(r["data"]) == 1 for r in records if r["event_id"] == 20102} == {True, False}


@pytest.mark.parametrize("fmt", ["xml", "wevtutil"])
def test_scenarios_as_xml_exports(tmp_path, fmt):
    path = tmp_path / f"mixed.{fmt}.xml"
    truth = cl.new_connector_mixed(path, fmt=fmt, newest_first=True)
    text = path.read_text(encoding="utf-8")
    # wevtutil's stream has no root; values may span lines, so wrap it rather than split it.
    events = list(ET.fromstring(text if fmt == "xml" else f"<r>{text}</r>"))
    assert Counter(int(e.findtext(f"{NS}System/{NS}EventID")) for e in events) == truth.event_ids
    times = [e.find(f"{NS}System/{NS}TimeCreated").get("SystemTime") for e in events]
    assert times == sorted(times, reverse=True)
    ndes = next(e for e in events if e.findtext(f"{NS}System/{NS}EventID") == "31")
    assert ndes.find(f"{NS}EventData").get("Name") == "EVENT_MSCEP_FAIL_SUBMIT"
    assert [d.get("Name") for d in ndes.iterfind(f"{NS}EventData/{NS}Data")] == [
        "ErrorCode",
        "ErrorMessage",
    ]


def test_hostile_values_survive_as_data(tmp_path):
    path = tmp_path / "h.evtx"
    truth = cl.hostile_strings(path)
    assert set(truth.failure(1052, "0x800706BA").cas) == {cl.HOSTILE_CA}
    records = read_rust(path)
    values = {v for r in records for _, v in r["data"]}
    assert {cl.HOSTILE_CA, cl.HOSTILE_TEMPLATE, cl.HOSTILE_EXCEPTION, cl.NON_LATIN_CA} <= values
    assert any(cl.NON_LATIN_CA in v and v.startswith("Failed") for v in values)  # message-only
    assert_same(read_python(path), records, python_evtx=True)


def test_ndes_event_31_has_eventdata_name(tmp_path):
    path = tmp_path / "n.evtx"
    cl.two_servers(path)
    ev = next(
        json.loads(r["data"])["Event"]
        for r in evtx.PyEvtxParser(str(path)).records_json()
        if '"EventID":31' in r["data"].replace(" ", "")
    )
    assert ev["EventData"]["ErrorMessage"] == "0x80004005"
    assert ev["EventData"]["#attributes"]["Name"] == "EVENT_MSCEP_FAIL_SUBMIT"


def test_large_log_stops_at_target_and_truth_is_exact(tmp_path):
    path = tmp_path / "large.evtx"
    truth = cl.large_log(path, target_bytes=2_000_000, servers=2, days=3)
    size = path.stat().st_size
    assert 2_000_000 - 65536 < size <= 2_000_000
    records = read_rust(path)
    _check_truth(records, truth)
    assert len(truth.failures) >= 5
    assert truth.retry(1051, "0x800706BA").later_succeeded > 0


@pytest.mark.parametrize("fmt", ["csv", "txt", "csv-fr", "txt-fr"])
def test_scenarios_as_event_viewer_text_exports(tmp_path, fmt):
    import csv

    path = tmp_path / f"outage.{fmt}"
    truth = cl.legacy_pkcs_ca_outage(path, fmt=fmt, shape="lines")
    raw = path.read_bytes()
    text = raw.decode("utf-16" if fmt.startswith("txt") else "utf-8-sig")
    assert raw.startswith(b"\xff\xfe" if fmt.startswith("txt") else b"\xef\xbb\xbf")
    rows = list(
        csv.reader(text.splitlines(keepends=True), delimiter="\t" if fmt.startswith("txt") else ",")
    )
    header, rows = rows[0], rows[1:]
    assert header[0] == ("Niveau" if fmt.endswith("-fr") else "Level")
    assert Counter(int(r[3]) for r in rows) == truth.event_ids
    failure = next(r for r in rows if r[3] == "20102")
    assert failure[0] in ("Error", "Erreur")
    assert "\r\nDiagnostic Code: 0x00000400\r\n" in failure[5]
