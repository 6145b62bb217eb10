"""Readers of the chain's other logs: IIS W3C, .svclog, NDESPlugin.log, and zips of logs."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import pytest

from bot.logs import NotAnEventLog, open_log
from bot.logs.zipped import MAX_RATIO, log_of
from bot.summary_file import summarize_file
from tests.support.chain_logs import (
    IIS_DEFAULT_FIELDS,
    IIS_FULL_FIELDS,
    MSCEP,
    PKICLIENT,
    VERIFY,
    Member,
    Request,
    Trace,
    build_zip,
    iis_lines,
    write_iis,
    write_plugin_log,
    write_svclog,
)
from tests.support.samples import sample

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_iis_reads_chain_requests_and_counts_the_others(tmp_path):
    path = write_iis(tmp_path / "u_ex240301.log", iis_lines([
        Request(T0, MSCEP, 403),
        Request(T0, PKICLIENT, 200, query="operation=PKIOperation"),
        Request(T0, "/favicon.ico", 404),
        Request(T0, "/certsrv/mscep_admin/", 401, 2),
        Request(T0, VERIFY, 403, 16, 2148204809, method="POST", user_agent="NDES_Plugin"),
    ]))  # fmt: skip
    log = open_log(path)
    events = list(log)
    assert log.format == "iis"
    assert not log.problems
    assert [e.data["status"] for e in events] == ["403.0", "200.0", "403.16"]
    assert log.ignored == 2
    assert events[2].data["win32"] == "2148204809"
    assert events[2].data["method"] == "POST"
    assert events[1].data["query"] == "operation=PKIOperation"
    assert all(e.provider == "IIS" and e.time == T0 for e in events)


def test_iis_columns_follow_each_fields_header(tmp_path):
    # IIS restarts the log with a new header when its field set changes.
    path = write_iis(
        tmp_path / "u_ex.log",
        iis_lines([Request(T0, MSCEP, 500, query="operation=GetCACert")], IIS_DEFAULT_FIELDS),
        iis_lines([Request(T0, VERIFY, 500, method="POST", computer="NDES2")], IIS_FULL_FIELDS),
    )
    events = list(open_log(path))
    assert [(e.data["url"], e.computer) for e in events] == [(MSCEP, ""), (VERIFY, "NDES2")]
    assert events[1].channel == "W3SVC1"


def test_iis_hostile_user_agent_and_query_stay_data(tmp_path):
    ua = "<!channel>+<https://evil.example|click>+\x07\u202e" + "A" * 5000
    query = "operation=GetCACert&message=<@U123>%0A%0D'\";DROP+TABLE"
    path = write_iis(tmp_path / "u_ex.log", iis_lines([Request(T0, MSCEP, 500, query=query, user_agent=ua)]))
    (event,) = list(open_log(path))
    assert event.data["user_agent"] == ua
    assert event.data["query"] == query
    assert event.data["status"] == "500.0"


def test_iis_digits_int_refuses_are_problems_not_crashes(tmp_path):
    # "³" passes str.isdigit() but not int(); 5,000 digits pass isdigit() but int() refuses them
    good = iis_lines([Request(T0, MSCEP, 500, 0, 1346)])
    bad = [good[-1].replace(" 500 0 1346 ", f" {status} 0 {win32} ")
           for status, win32 in (("40³", "0"), ("500", "1" * 5000), ("9" * 5000, "0"))]  # fmt: skip
    path = write_iis(tmp_path / "u_ex.log", good + bad)
    log = open_log(path)
    events = list(log)
    assert [e.data["status"] for e in events] == ["500.0", "500.0"]
    assert [p.where for p in log.problems] == ["line 6", "line 8"]
    summary = summarize_file(path)
    assert sorted((f.win32 or 0) for f in summary.failures) == [0, 1346]


def test_iis_bad_lines_are_problems_not_crashes(tmp_path):
    lines = iis_lines([Request(T0, MSCEP, 200)])
    lines.insert(4, "2024-03-01 09:00:00 10.0.0.2 GET /certsrv/mscep/mscep.dll - 443 - 10.0.0.7 x - abc 0 0 1")
    lines.append("not-a-date 09:00:00 10.0.0.2 GET /certsrv/mscep/mscep.dll - 443 - 10.0.0.7 x - 200 0 0 1")
    path = write_iis(tmp_path / "u_ex.log", lines)
    log = open_log(path)
    assert len(list(log)) == 1
    assert [p.where for p in log.problems] == ["line 5", "line 7"]


def test_iis_log_before_any_fields_line_is_plain_text(tmp_path):
    path = tmp_path / "u_ex.log"
    path.write_text("2024-03-01 09:00:00 GET /certsrv/mscep/mscep.dll 200\n")
    with pytest.raises(NotAnEventLog, match="plain text"):
        open_log(path)


def test_svclog_stream_without_root_reads_every_trace(tmp_path):
    path = write_svclog(tmp_path / "NDESConnector_2024.svclog", [
        Trace(T0, "IssuePfx - COMException: System.Runtime.InteropServices.COMException (0x800706BA): "
                  "CCertRequest::Submit: The RPC server is unavailable. 0x800706ba", "Error"),
        Trace(T0, "Validation Phase 1 finished with status True.", source="CertificateRegistrationPoint"),
        Trace(T0, "a <b>&amp; text", "Warning", computer="NDES2"),
    ])  # fmt: skip
    log = open_log(path)
    events = list(log)
    assert log.format == "svclog"
    assert not log.problems
    assert [e.level for e in events] == [2, 4, 3]
    assert events[0].provider == "NDESConnector"
    assert events[1].provider == "CertificateRegistrationPoint"
    assert "0x800706BA" in events[0].message
    assert events[2].message == "a <b>&amp; text"
    assert events[2].computer == "NDES2"
    assert all(e.channel == "svclog" for e in events)


def test_svclog_cut_off_keeps_what_was_read(tmp_path):
    path = write_svclog(tmp_path / "x.svclog", [Trace(T0, "one"), Trace(T0, "two")])
    path.write_bytes(path.read_bytes()[:-60])
    log = open_log(path)
    assert [e.message for e in log] == ["one"]
    assert "cut off" in log.problems[0].reason


def test_ndesplugin_lines_with_and_without_times(tmp_path):
    path = write_plugin_log(tmp_path / "NDESPlugin.log", [
        (T0, "Calling VerifyRequest ..."),
        (None, "Failed to send http request /CertificateRegistrationSvc/Certificate/VerifyRequest. Error 12175"),
        (T0.replace(minute=5), "Exiting VerifyRequest with 0x0"),
    ])  # fmt: skip
    log = open_log(path)
    events = list(log)
    assert log.format == "ndesplugin"
    assert [e.message for e in events][1].endswith("Error 12175")
    assert [e.time for e in events] == [T0, T0, T0.replace(minute=5)]


# ---------------------------------------------------------------- zips


def _app_evtx() -> bytes:
    return sample("normal__evtxrs__Application_no_crc32.evtx").read_bytes()


def test_zip_reads_each_log_member_and_lists_the_rest(tmp_path):
    iis = "\r\n".join(iis_lines([Request(T0, MSCEP, 500, query="operation=GetCACert")])).encode()
    path = tmp_path / "DiagLogs-PC1.zip"
    build_zip(path, [
        ("(42) Events Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider Admin\\Events.evtx", _app_evtx()),
        ("(43) Events Application/Events.evtx", _app_evtx()),
        ("W3SVC1\\u_ex240301.log", iis),
        ("(1) HKLM Software Microsoft Cryptography/export.reg", b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE]\r\n"),
        ("(9) Command dsregcmd/output.log", b"+------------------+\r\n| Device State |\r\n"),
        ("results.xml", b"<?xml version='1.0'?><Collection><Item/></Collection>"),
        Member("secret.evtx", _app_evtx(), encrypted=True),
    ])  # fmt: skip
    log = open_log(path)
    events = list(log)
    assert log.format == "zip"
    assert len(events) == 17 * 2 + 1
    files = [m.to_dict() for m in log.files]
    assert files[0] == {
        "name": "(42) Events Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider Admin/Events.evtx",
        "format": "evtx", "records": 17,
        "log": "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider Admin",
    }  # fmt: skip
    assert files[1]["log"] == "Application"
    assert files[2] == {"name": "W3SVC1/u_ex240301.log", "format": "iis", "records": 1}
    skipped = {s["name"]: s["reason"] for s in log.skipped}
    assert skipped["secret.evtx"].startswith("encrypted")
    assert set(skipped) == {"secret.evtx", "results.xml", "(9) Command dsregcmd/output.log",
                            "(1) HKLM Software Microsoft Cryptography/export.reg"}  # fmt: skip
    assert all("\n" not in r for r in skipped.values())


def test_zip_of_zips_one_level(tmp_path):
    inner = build_zip(None, [("Application.evtx", _app_evtx()),
                             ("deeper.zip", build_zip(None, [("x.evtx", _app_evtx())]))])  # fmt: skip
    path = tmp_path / "all.zip"
    build_zip(path, [("server1.zip", inner)])
    log = open_log(path)
    assert sum(1 for _ in log) == 17
    assert [m.name for m in log.files] == ["server1.zip/Application.evtx"]
    assert log.skipped == [{"name": "server1.zip/deeper.zip",
                            "reason": "a zip inside a zip inside a zip: only one level of zips is read"}]  # fmt: skip


@pytest.mark.parametrize("name", ["../../etc/cron.d/evil.evtx", "/etc/passwd.evtx", "C:\\Windows\\evil.evtx",
                                  "..\\..\\x.evtx", "a/\x1b[31mb.evtx"])  # fmt: skip
def test_zip_member_names_are_never_paths(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    path = work / "x.zip"
    build_zip(path, [(name, _app_evtx())])
    before = {p for p in tmp_path.rglob("*")}
    log = open_log(path)
    assert sum(1 for _ in log) == 17
    assert {p for p in tmp_path.rglob("*")} == before  # nothing written beside it
    assert "\\" not in log.files[0].name
    assert "\x1b" not in log.files[0].name


def test_zip_bomb_is_refused_in_one_line(tmp_path):
    path = tmp_path / "bomb.zip"
    build_zip(path, [("big.evtx", b"ElfFile\x00" + bytes(8 * 1024 * 1024))])
    with pytest.raises(NotAnEventLog) as err:
        open_log(path)
    assert f"(the limit is {MAX_RATIO} to 1): it looks like a zip bomb" in str(err.value)
    assert "\n" not in str(err.value)


def test_zip_over_the_upload_limit_is_refused(tmp_path):
    path = tmp_path / "big.zip"
    build_zip(path, [("a.evtx", _app_evtx()), ("b.evtx", _app_evtx())])
    with pytest.raises(NotAnEventLog, match=r"^big\.zip expands to .* over the .* limit for an upload$"):
        open_log(path, max_unpacked=len(_app_evtx()) + 10)


def test_zip_member_that_lies_about_its_size_is_skipped(tmp_path):
    path = tmp_path / "liar.zip"
    build_zip(path, [Member("a.evtx", _app_evtx(), declare_size=1000), ("b.evtx", _app_evtx())])
    log = open_log(path)
    assert sum(1 for _ in log) == 17
    assert [s["name"] for s in log.skipped] == ["a.evtx"]


def test_zip_with_too_many_entries_is_refused(tmp_path, monkeypatch):
    from bot.logs import zipped

    monkeypatch.setattr(zipped, "MAX_ENTRIES", 3)
    path = tmp_path / "many.zip"
    build_zip(path, [(f"{i}.txt", b"x") for i in range(4)])
    with pytest.raises(NotAnEventLog, match=r"^many\.zip holds 4 entries, over the limit of 3$"):
        open_log(path)


def test_zip_without_logs_says_what_it_holds(tmp_path):
    path = tmp_path / "report.zip"
    build_zip(path, [("notes.txt", b"hello\r\n"), Member("s.evtx", b"x", encrypted=True)])
    with pytest.raises(NotAnEventLog, match=r"^report\.zip is a ZIP archive with no log in it \(notes\.txt: plain text"):
        list(open_log(path))


def test_damaged_zip_is_one_line(tmp_path):
    path = tmp_path / "cut.zip"
    path.write_bytes(build_zip(None, [("a.evtx", _app_evtx())])[:200])
    with pytest.raises(NotAnEventLog, match=r"^cut\.zip looks like a ZIP archive but cannot be read"):
        open_log(path)


def test_zip_member_problems_name_the_member(tmp_path):
    damaged = sample("damaged__evtxrs__sample_with_a_bad_chunk_magic.evtx").read_bytes()
    path = tmp_path / "d.zip"
    build_zip(path, [("logs/bad.evtx", damaged)])
    log = open_log(path)
    list(log)
    assert log.problems
    assert all(p.where.startswith("logs/bad.evtx: ") for p in log.problems)


@pytest.mark.parametrize("name, log", [
    ("(42) Events Application/Events.evtx", "Application"),
    ("(7) Events/Events.evtx", "Events"),
    ("Application.evtx", None),
    ("folder/Application.evtx", None),
])  # fmt: skip
def test_log_of_reads_intune_folder_names(name, log):
    assert log_of(name) == log


def test_zip_is_a_real_zipfile_for_the_standard_library(tmp_path):
    # the builder's lying and encrypted headers are what zipfile itself reports
    path = tmp_path / "x.zip"
    build_zip(path, [Member("e.evtx", b"x", encrypted=True), Member("l.evtx", b"abc", declare_size=1)])
    with zipfile.ZipFile(path) as z:
        infos = {i.filename: i for i in z.infolist()}
    assert infos["e.evtx"].flag_bits & 0x1
    assert infos["l.evtx"].file_size == 1


def test_zip_record_limit_is_for_the_whole_archive(tmp_path):
    # The limit is the archive's total: a later member must not read its own share again.
    path = tmp_path / "three.zip"
    build_zip(path, [(f"{n}/Application.evtx", _app_evtx()) for n in range(3)])
    log = open_log(path, max_records=20)
    assert len(list(log)) == 20
    assert [m.records for m in log.files] == [17, 3]
    reasons = [p.reason for p in log.problems]
    assert "stopped after 20 records (the limit is 20)" in reasons
    assert any(p.where == "2/Application.evtx" and "limit of 20 records" in p.reason for p in log.problems)
