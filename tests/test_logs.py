"""Reading event logs: real .evtx samples, format detection, refusals."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import pytest

from bot.logs import Event, LogFile, NotAnEventLog, open_log, read_events
from tests.support.samples import RECORDS, sample


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_real_sample_reads_its_records(name):
    log = open_log(sample(name))
    events = list(log)
    assert log.format == "evtx"
    assert log.parser == "rust"
    assert len(events) == RECORDS[name] == log.records_seen
    assert log.complete
    for e in events:
        assert isinstance(e, Event)
        assert e.time.tzinfo is not None
        assert e.time.utcoffset().total_seconds() == 0
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in e.data.items())


@pytest.mark.parametrize("name", [n for n in RECORDS if n.startswith("normal__") or n.startswith("dirty__")])
def test_valid_and_dirty_logs_have_no_problems(name):
    log = open_log(sample(name))
    list(log)
    assert log.problems == []


def test_a_known_record_is_normalized():
    events = list(read_events(sample("normal__plaso__System.evtx")))
    first = events[0]
    assert first.record_id == 1
    assert first.event_id == 7036  # EventID with Qualifiers
    assert first.level == 4
    assert first.provider == "Service Control Manager"
    assert first.channel == "System"
    assert first.computer == "37L4247F27-26"
    assert first.time == datetime(2010, 11, 21, 3, 55, 59, 626427, tzinfo=UTC)
    assert first.data == {
        "param1": "Windows Event Log",
        "param2": "stopped",
        "Binary": "6500760065006E0074006C006F0067002F0031000000",
    }
    assert first.message is None


def test_dirty_log_yields_records_past_the_stale_chunk_count():
    # header says 3 chunks, 15 are in use; python-evtx alone gives 326
    assert sum(1 for _ in open_log(sample("dirty__evtxrs__system.evtx"))) == 1881


def test_open_log_accepts_str_and_reports_size(tmp_path):
    path = sample("normal__evtxrs__Application_no_crc32.evtx")
    log = open_log(str(path))
    assert isinstance(log, LogFile)
    assert log.size == path.stat().st_size == 69632
    assert log.path == path


def test_unknown_parser_is_refused():
    with pytest.raises(ValueError, match="unknown parser"):
        open_log(sample("normal__evtxrs__Application_no_crc32.evtx"), parser="java")


# ------------------------------------------------------------- refusals


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "report.pdf looks like a PDF document, not an event log export"),
        ("shot.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "shot.png is an image (PNG), not an event log export"),
        ("photo.evtx", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.evtx is an image (JPEG), not an event log export"),
        ("empty.evtx", b"", "empty.evtx is empty"),
        ("notes.txt", b"Hello team,\nthe connector is down again since Monday.\n", "notes.txt is plain text, not an event log export"),
        ("random.evtx", bytes(range(256)) * 64, "random.evtx is binary data, not an event log export"),
        ("sales.csv", b"Region,Quarter,Revenue\nEMEA,Q1,100\nAPAC,Q1,90\n", "sales.csv is a table, but not an event log export"),
        ("data.json", b'{"Event": {"System": {}}}', "data.json is JSON, not an event log export"),
        ("page.xml", b"<html><body>hi</body></html>", "page.xml is a web page, not an event log export"),
        ("saved.htm", b"<!DOCTYPE html>\n<html><body>Event Viewer</body></html>", "saved.htm is a web page, not an event log export"),
        ("utf16.txt", b"\xff\xfeh\x00i\x00\r\x00\n\x00", "utf16.txt is plain text, not an event log export"),
        ("feed.xml", b'<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>', "feed.xml is an XML document (<rss>), not an event log export"),
        ("app.exe", b"MZ\x90\x00\x03\x00\x00\x00", "app.exe looks like a Windows program (EXE/DLL), not an event log export"),
        ("short.evtx", b"ElfF", "short.evtx is too short to be an .evtx file (it was cut off)"),
    ],
)
def test_refusals_say_what_the_file_looks_like(tmp_path, name, data, says):
    path = _write(tmp_path, name, data)
    with pytest.raises(NotAnEventLog) as err:
        open_log(path)
    assert str(err.value).startswith(says)
    assert "\n" not in str(err.value)


def test_zip_archive_is_read_and_a_broken_member_is_a_problem(tmp_path):
    # zips used to be refused; now each member is read (tests/test_logs_chain.py)
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Application.evtx", b"ElfFile\x00" + bytes(100))
    log = open_log(path)
    assert log.format == "zip"
    assert list(log) == []
    assert log.problems
    assert log.problems[0].where.startswith("Application.evtx: ")


def test_extension_does_not_matter(tmp_path):
    path = _write(tmp_path, "connector.pdf", sample("normal__evtxrs__Application_no_crc32.evtx").read_bytes())
    log = open_log(path)
    assert log.format == "evtx"
    assert sum(1 for _ in log) == 17


def test_level_given_as_a_string_is_a_number():
    # Defender's manifest gives Level as the string "4"
    events = list(open_log(sample("normal__mitre__ID1151-Defender_health_status.evtx")))
    assert {e.level for e in events} <= {1, 2, 3, 4}
    assert events[0].event_id == 1151


@pytest.mark.parametrize("fmt", ["evtx", "xml", "wevtutil", "csv"])
def test_memory_does_not_grow_with_the_file(tmp_path, fmt):
    import tracemalloc
    from datetime import timedelta

    from tests.support.evtx_writer import Record, write_events_text, write_events_xml, write_evtx

    def records(n):
        t0 = datetime(2026, 11, 20, tzinfo=UTC)
        for i in range(n):
            yield Record(1001, t0 + timedelta(seconds=i), "Microsoft-Intune-CertificateConnectors",
                         "Microsoft-Intune-CertificateConnectors/Admin", "NDES01",
                         [("DeviceId", f"device-{i}"), ("HResult", "0x800706BA")], level=2,
                         message="PKCS request failed")  # fmt: skip

    peaks = []
    for n in (1_000, 10_000):
        path = tmp_path / f"{n}.{fmt}"
        if fmt == "evtx":
            write_evtx(path, records(n))
        elif fmt == "csv":
            write_events_text(path, records(n))
        else:
            write_events_xml(path, records(n), rootless=fmt == "wevtutil")
        tracemalloc.start()
        count = sum(1 for _ in open_log(path))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == n
    assert peaks[1] < peaks[0] * 1.5 + 200_000, peaks  # 10x the events, about the same peak
