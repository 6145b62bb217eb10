"""The text exports: Event Viewer XML / CSV / TXT, wevtutil, PowerShell Export-Csv."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from bot.logs import NotAnEventLog, open_log
from bot.logs.text_reader import parse_local_time
from tests.support.connector_logs import new_connector_mixed
from tests.support.evtx_writer import Record, write_events_xml, write_evtx
from tests.support.samples import DATA

EXPORTS = DATA / "exports"
T_FAIL = datetime(2026, 11, 20, 14, 5, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "fmt", "flavor", "encoding"),
    [
        ("eventviewer_en.csv", "csv", "eventviewer", "utf-8-sig"),
        ("eventviewer_fr.csv", "csv", "eventviewer", "utf-8-sig"),
        ("eventviewer_en.txt", "txt", "eventviewer", "utf-16"),
        ("eventviewer_fr.txt", "txt", "eventviewer", "utf-16"),
        ("powershell_export.csv", "csv", "powershell", "utf-8"),
        ("saved_events.xml", "xml", "events", "utf-8"),
        ("wevtutil.xml", "xml", "wevtutil", "utf-8"),
    ],
)
def test_format_is_detected_by_content(name, fmt, flavor, encoding):
    log = open_log(EXPORTS / name)
    assert (log.format, log.sniffed.flavor, log.sniffed.encoding) == (fmt, flavor, encoding)
    assert log.parser == fmt


@pytest.mark.parametrize("name", ["eventviewer_en.csv", "eventviewer_fr.csv", "eventviewer_en.txt", "eventviewer_fr.txt"])
def test_event_viewer_tables_in_english_and_french(name):
    log = open_log(EXPORTS / name)
    events = list(log)
    assert log.problems == []
    assert [e.event_id for e in events] == [20102, 20100, 10301, 10010]
    assert [e.level for e in events] == [2, 4, 3, 4]
    fail = events[0]
    assert fail.time == T_FAIL
    assert fail.provider == "Microsoft Intune Connector"
    # the multi-line message column survives, with its line breaks
    assert fail.message.startswith("Failed to issue a PKCS certificate.\n\nDevice ID: 3f2504e0-")
    assert "Diagnostic Code: 0x00000400" in fail.message
    assert events[3].time.day == 3 if "fr" in name else events[3].time.day == 20
    assert log.notes
    assert "local time" in log.notes[0]


def test_powershell_export_csv():
    log = open_log(EXPORTS / "powershell_export.csv")
    events = list(log)
    assert log.problems == []
    assert [(e.event_id, e.level, e.record_id) for e in events] == [(1001, 2, 4512), (1000, 4, 4511), (4001, 2, 4510)]
    e = events[0]
    assert e.provider == "Microsoft-Intune-CertificateConnectors"
    assert e.channel == "Microsoft-Intune-CertificateConnectors/Admin"
    assert e.computer == "NDES01.contoso.com"
    assert e.time == T_FAIL
    assert "0x800706BA" in e.message


@pytest.mark.parametrize("name", ["saved_events.xml", "wevtutil.xml"])
def test_xml_exports(name):
    log = open_log(EXPORTS / name)
    events = list(log)
    assert log.problems == []
    assert [e.event_id for e in events] == [1001, 1000]
    e = events[0]
    assert e.time == datetime(2026, 11, 20, 14, 5, 11, 427331, tzinfo=UTC)
    assert e.data["HResult"] == "0x800706BA"
    assert e.data["CA"] == "CA01.contoso.com\\Contoso Issuing CA"
    assert e.computer == "NDES01.contoso.com"
    if name == "saved_events.xml":
        assert e.message == "PKCS request failed. <!channel> & HResult: 0x800706BA"
    else:
        assert e.message is None


@pytest.mark.parametrize("fmt", ["xml", "wevtutil"])
def test_xml_exports_match_the_evtx_of_the_same_records(tmp_path, fmt):
    new_connector_mixed(tmp_path / "a.evtx", fmt="evtx")
    new_connector_mixed(tmp_path / f"a.{fmt}", fmt=fmt)
    from_evtx = list(open_log(tmp_path / "a.evtx"))
    from_xml = list(open_log(tmp_path / f"a.{fmt}"))
    assert len(from_evtx) == len(from_xml) > 50
    for a, b in zip(from_evtx, from_xml, strict=True):
        assert a == b.__class__(**{**_fields(b), "message": None})


def _fields(e):
    return {f: getattr(e, f) for f in e.__slots__}


def test_xml_in_utf16_with_bom(tmp_path):
    recs = [Record(1001, T_FAIL, "Microsoft-Intune-CertificateConnectors", "Microsoft-Intune-CertificateConnectors/Admin",
                   "NDES01", [("HResult", "0x800706BA"), ("Note", "Zürich 東京")], level=2)]  # fmt: skip
    path = tmp_path / "u16.xml"
    write_events_xml(path, recs, encoding="utf-16")
    assert path.read_bytes()[:2] == codecs.BOM_UTF16_LE
    log = open_log(path)
    (e,) = list(log)
    assert log.problems == []
    assert e.data["Note"] == "Zürich 東京"


# ---------------------------------------------------------- hostile XML


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Events><Event><System><EventID>&lol9;</EventID></System></Event></Events>
"""


def test_billion_laughs_is_refused(tmp_path):
    path = tmp_path / "lol.xml"
    path.write_bytes(BILLION_LAUGHS)
    with pytest.raises(NotAnEventLog, match="DOCTYPE"):
        open_log(path)


def test_external_entity_is_refused(tmp_path):
    path = tmp_path / "xxe.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><Events>&x;</Events>')
    with pytest.raises(NotAnEventLog):
        open_log(path)


def test_doctype_after_the_first_block_stops_reading(tmp_path):
    # Detection only sees the start; a declaration further in is caught while streaming.
    event = (EXPORTS / "wevtutil.xml").read_text(encoding="utf-8").splitlines()[0]
    body = "\r\n".join([event] * 200) + '\r\n<!DOCTYPE x [<!ENTITY a "b">]>\r\n' + event
    path = tmp_path / "late.xml"
    path.write_text(body, encoding="utf-8")
    log = open_log(path)
    events = list(log)
    assert len(events) <= 200
    assert any("DOCTYPE" in p.reason for p in log.problems)


def test_hostile_values_stay_data(tmp_path):
    text = (EXPORTS / "saved_events.xml").read_text(encoding="utf-8")
    text = text.replace("IntunePKCS", "&lt;script&gt;alert(1)&lt;/script&gt; <![CDATA[<!channel>]]>")
    path = tmp_path / "x.xml"
    path.write_text(text, encoding="utf-8")
    events = list(open_log(path))
    assert events[0].data["Template"] == "<script>alert(1)</script> <!channel>"


def test_truncated_xml_keeps_the_whole_events(tmp_path):
    whole = (EXPORTS / "saved_events.xml").read_bytes()
    cut = whole.index(b"</Event>") + len(b"</Event>") + 40
    path = tmp_path / "cut.xml"
    path.write_bytes(whole[:cut])
    log = open_log(path)
    events = list(log)
    assert [e.event_id for e in events] == [1001]
    assert len(log.problems) == 1
    assert "cut off" in log.problems[0].reason


def test_malformed_xml_stops_with_a_problem(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_bytes(b"<Events><Event><System><EventID>1</EventID></Sys></Event></Events>")
    log = open_log(path)
    assert list(log) == []
    assert "malformed" in log.problems[0].reason
    assert log.problems[0].where.startswith("line 1")


def test_event_without_a_number_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "x.xml"
    path.write_bytes(
        b"<Events><Event><System><EventID>abc</EventID></System></Event>"
        b"<Event><System><EventID>7</EventID><TimeCreated SystemTime='2026-01-01T00:00:00Z'/></System></Event></Events>"
    )
    log = open_log(path)
    assert [e.event_id for e in log] == [7]
    assert log.problems[0].where == "event 1"


# ---------------------------------------------------------- CSV edge cases


def test_csv_rows_that_cannot_be_read_are_problems(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "Level,Date and Time,Source,Event ID,Task Category\r\n"
        "Error,11/20/2026 2:05:11 PM,Src,20102,None,ok\r\n"
        "Error,not a date,Src,20102,None,bad date\r\n"
        "Error,11/20/2026 2:05:11 PM,Src,twenty,None,bad id\r\n"
        "\r\n"
        "Warning,11/21/2026 3:00:00 AM,Src,10301,None,\"multi\r\nline\"\r\n",
        encoding="utf-8",
    )
    log = open_log(path)
    events = list(log)
    assert [e.event_id for e in events] == [20102, 10301]
    assert [p.where for p in log.problems] == ["line 3", "line 4"]
    assert events[1].message == "multi\nline"


def test_huge_line_is_skipped_with_bounded_memory(tmp_path):
    path = tmp_path / "x.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("Level,Date and Time,Source,Event ID,Task Category\n")
        f.write("Error,11/20/2026 2:05:11 PM,Src,1,None," + "A" * 3_000_000 + "\n")
        f.write("Error,11/20/2026 2:05:11 PM,Src,2,None,fine\n")
    log = open_log(path)
    assert [e.event_id for e in log] == [2]
    assert "longer than 1 MB" in log.problems[0].reason


def test_semicolon_powershell_export_with_use_culture(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        '"Message";"Id";"Level";"RecordId";"ProviderName";"LogName";"MachineName";"TimeCreated";"LevelDisplayName"\r\n'
        '"Échec";"1001";"2";"9";"Microsoft-Intune-CertificateConnectors";"Microsoft-Intune-CertificateConnectors/Admin";"NDES01";"20/11/2026 14:05:11";"Erreur"\r\n',
        encoding="utf-8-sig",
    )
    (e,) = list(open_log(path))
    assert (e.event_id, e.level, e.time, e.computer) == (1001, 2, T_FAIL, "NDES01")


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("11/20/2026 2:05:11 PM", False, T_FAIL),
        ("20/11/2026 14:05:11", True, T_FAIL),
        ("2026-11-20 14:05:11", False, T_FAIL),
        ("2026-11-20T14:05:11.5Z", True, T_FAIL.replace(microsecond=500000)),
        ("2026-11-20T15:05:11+01:00", False, T_FAIL),
        ("11/20/2026 12:05:11 AM", False, T_FAIL.replace(hour=0)),
        ("20.11.2026 14:05:11", True, T_FAIL),
    ],
)
def test_local_dates(text, day_first, expected):
    assert parse_local_time(text, day_first) == expected


def test_csv_that_is_not_an_event_export_is_refused(tmp_path):
    path = tmp_path / "devices.csv"
    path.write_text("Device name,Serial,OS\r\nPC1,123,Windows\r\nPC2,456,Windows\r\n", encoding="utf-8-sig")
    with pytest.raises(NotAnEventLog, match="^devices.csv is a table, but not an event log export"):
        open_log(path)


def test_utf16_text_that_is_not_a_log_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "just some notes\r\nabout the server\r\n".encode("utf-16-le"))
    with pytest.raises(NotAnEventLog, match="plain text"):
        open_log(path)


def test_evtx_from_the_writer_reads_back(tmp_path):
    recs = [Record(20102, T_FAIL, "Microsoft Intune Connector", "Microsoft Intune Connector", "NDES01",
                   [(None, "0x00000400"), (None, "<!channel> & 'x'")], level=2, qualifiers=0)]  # fmt: skip
    write_evtx(tmp_path / "w.evtx", recs)
    (e,) = list(open_log(tmp_path / "w.evtx"))
    assert e.data == {"Data1": "0x00000400", "Data2": "<!channel> & 'x'"}
    assert e.event_id == 20102
    assert e.level == 2
    assert e.time == T_FAIL


@pytest.mark.parametrize("name", ["eventviewer_en.csv", "eventviewer_fr.txt", "powershell_export.csv"])
def test_truncated_text_exports_never_pass_a_cut_event_off_as_whole(tmp_path, name):
    whole = (EXPORTS / name).read_bytes()
    pristine = list(open_log(EXPORTS / name))
    step = 2 if name.endswith(".txt") else 1  # UTF-16: cut between characters
    for cut in range(60, len(whole) - 1, 7 * step):
        path = tmp_path / name
        path.write_bytes(whole[:cut])
        try:
            log = open_log(path)
        except NotAnEventLog:
            continue
        events = list(log)
        if any(e not in pristine for e in events):
            assert log.problems, cut


def test_odd_text_gets_a_one_line_refusal(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b'#TYPE x\r\n"a,b\r\n')
    with pytest.raises(NotAnEventLog):
        open_log(path)


@pytest.mark.parametrize("fmt", ["csv", "txt", "csv-fr", "txt-fr"])
def test_text_exports_of_a_scenario_match_its_evtx(tmp_path, fmt):
    from tests.support.connector_logs import legacy_pkcs_ca_outage

    legacy_pkcs_ca_outage(tmp_path / "a.evtx", shape="message")
    truth = legacy_pkcs_ca_outage(tmp_path / "a.txt", shape="message", fmt=fmt, newest_first=True)
    log = open_log(tmp_path / "a.txt")
    assert log.format == fmt[:3]
    from_text = list(log)
    assert log.problems == []
    from_evtx = list(open_log(tmp_path / "a.evtx"))
    assert len(from_text) == len(from_evtx) == truth.records
    from_text.reverse()  # Event Viewer writes newest first
    for a, b in zip(from_evtx, from_text, strict=True):
        assert (a.event_id, a.level, a.provider, a.time.replace(microsecond=0)) == (b.event_id, b.level, b.provider, b.time)
        assert b.message
        assert b.record_id is None
        assert b.data == {}


def test_powershell_select_object_subset(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        '"TimeCreated","Id","LevelDisplayName","Message"\r\n'
        '"11/20/2026 2:05:11 PM","1001","Error","PKCS request failed. HResult: 0x800706BA"\r\n',
        encoding="utf-8",
    )
    (e,) = list(open_log(path))
    assert (e.event_id, e.level, e.time, e.provider) == (1001, 2, T_FAIL, "")


def test_get_eventlog_export_csv(tmp_path):
    # Windows PowerShell's classic Get-EventLog -LogName Application | Export-Csv
    path = tmp_path / "x.csv"
    path.write_text(
        "#TYPE System.Diagnostics.EventLogEntry#Application/Microsoft Intune Connector/20102\r\n"
        '"EventID","MachineName","Data","Index","Category","CategoryNumber","EntryType","Message","Source",'
        '"ReplacementStrings","InstanceId","TimeGenerated","TimeWritten","UserName","Site","Container"\r\n'
        '"20102","NDES01.contoso.com","System.Byte[]","5531","(0)","0","Error","Failed to issue a PKCS certificate.",'
        '"Microsoft Intune Connector","System.String[]","20102","11/20/2026 2:05:11 PM","11/20/2026 2:05:11 PM",,,\r\n',
        encoding="utf-8",
    )
    log = open_log(path)
    (e,) = list(log)
    assert log.sniffed.flavor == "powershell"
    assert (e.event_id, e.level, e.record_id, e.computer, e.provider) == (20102, 2, 5531, "NDES01.contoso.com", "Microsoft Intune Connector")


def test_one_huge_xml_event_is_stopped(tmp_path):
    path = tmp_path / "huge.xml"
    with open(path, "w", encoding="utf-8") as f:
        f.write("<Events><Event><System><EventID>1</EventID></System><EventData><Data>")
        for _ in range(17):
            f.write("A" * (1 << 20))
        f.write("</Data></EventData></Event></Events>")
    log = open_log(path)
    assert list(log) == []
    assert "larger than 16 MB" in log.problems[0].reason
