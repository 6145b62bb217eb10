"""`--parser python` (python-evtx) and the default `evtx` reader yield the same events.

On files from our EVTX writer they must be identical. On real files they must
be identical wherever python-evtx can render a value; the few things it
cannot render (each checked explicitly below) are tolerated and counted.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.logs import open_log
from tests.support.connector_logs import (
    hostile_strings,
    legacy_pkcs_ca_outage,
    new_connector_mixed,
    two_servers,
)
from tests.support.samples import RECORDS, sample


def test_the_one_value_python_evtx_cannot_render():
    # security.evtx agrees everywhere (checked once: 2260 of 2261 identical, ~12 s)
    # except record 55, whose raw \x03 python-evtx renders as nothing.
    from Evtx.Evtx import Evtx

    from bot.logs.evtx_python import _evtx_like_rendering, _from_python_evtx

    path = sample("normal__evtxrs__security.evtx")
    rust = next(e for e in open_log(path) if e.record_id == 55)
    _evtx_like_rendering()
    with Evtx(str(path)) as log:
        record = log.get_record(55)
        python = _from_python_evtx(record.xml(), 55, record.timestamp())
    assert rust.data["MinPasswordAge"] == "\x03"
    assert python.data["MinPasswordAge"] == ""
    assert {k: v for k, v in rust.data.items() if v != "\x03"} == {
        k: v for k, v in python.data.items() if k not in ("MinPasswordAge", "LockoutThreshold")
    }
    assert rust.time == python.time


# Files python-evtx reads in a few seconds (it manages ~300-600 records/s).
REAL = [
    "damaged__pyevtx__dns_log_malformed.evtx",
    "normal__evtxrs__Application_no_crc32.evtx",
    "normal__mitre__ID33205-SQL_Server_failed_login_with_SA_wrong_password.evtx",
    "normal__mitre__ID4885_4876_4877_5123_5124-ADCS_PKI_OCSP.evtx",
    "dirty__mitre__ID4662-Domain_group_enumeration_CME.evtx",
    "damaged__plaso__System2.evtx",
    "damaged__evtxrs__sample-with-zero-data-size-event.evtx",
    "dirty__evtxrs__sysmon.evtx",
    "normal__evtxrs__2-system-Microsoft-Windows-LiveId_4Operational.evtx",
    "damaged__evtxrs__sample_with_a_bad_chunk_magic.evtx",
]


def _python_cannot_render(rust: str, python: str) -> str | None:
    """Which python-evtx limitation explains a differing value, if any."""
    if rust and all(c < " " and c not in "\t\n" for c in rust) and python == "":
        return "control character rendered empty"  # security.evtx record 55
    return None


def compare(name_or_path, exact: bool) -> Counter:
    path = sample(name_or_path) if isinstance(name_or_path, str) else name_or_path
    rust = {e.record_id: e for e in open_log(path, "rust")}
    py_log = open_log(path, "python")
    python = list(py_log)
    tally: Counter = Counter()
    assert python, "python-evtx rendered nothing"
    for p in python:
        r = rust[p.record_id]  # python-evtx never finds a record evtx does not
        assert (p.time, p.event_id, p.level, p.provider, p.channel, p.computer, p.message) == (
            r.time, r.event_id, r.level, r.provider, r.channel, r.computer, r.message
        ), p.record_id  # fmt: skip
        if p.data == r.data:
            tally["identical"] += 1
            continue
        assert not exact, (p.data, r.data)
        for key in set(r.data) | set(p.data):
            if r.data.get(key) != p.data.get(key):
                why = _python_cannot_render(r.data.get(key, ""), p.data.get(key, ""))
                assert why, (p.record_id, key, r.data.get(key), p.data.get(key))
                tally[why] += 1
    return tally


@pytest.mark.parametrize("name", REAL)
def test_real_files_agree_wherever_python_evtx_renders(name):
    tally = compare(name, exact=True)
    assert tally["identical"] == RECORDS[name] or "malformed" in name or "magic" in name


def test_python_reader_counts_on_real_files():
    # python-evtx itself stops at the header's chunk count (41 of 358 on sysmon);
    # our python reader walks every chunk with a valid magic, like evtx.
    log = open_log(sample("dirty__evtxrs__sysmon.evtx"), "python")
    assert sum(1 for _ in log) == RECORDS["dirty__evtxrs__sysmon.evtx"]


def test_python_reader_lists_records_it_cannot_render():
    name = "normal__evtxrs__E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2_4Operational.evtx"
    log = open_log(sample(name), "python")
    assert list(log) == []
    assert len(log.problems) == 201  # 200 listed, then a count of the rest
    assert all("python-evtx could not render it" in p.reason for p in log.problems[:200])
    assert log.problems[200].reason == "140 more problems like the ones above"


@pytest.mark.parametrize("scenario", [legacy_pkcs_ca_outage, new_connector_mixed, two_servers, hostile_strings])
def test_writer_files_are_identical_in_both_readers(tmp_path, scenario):
    path = tmp_path / "w.evtx"
    scenario(path)
    tally = compare(path, exact=True)
    assert tally["identical"] >= 5


def test_writer_dirty_file_is_identical_in_both_readers(tmp_path):
    path = tmp_path / "dirty.evtx"
    legacy_pkcs_ca_outage(path, dirty=True)
    rust = list(open_log(path))
    assert len(rust) > 100
    assert compare(path, exact=True)["identical"] == len(rust)


def test_unnamed_data_is_numbered_from_1_beside_named_data(tmp_path):
    # Real events are all-named (manifest) or all-unnamed (classic). For the odd
    # mix, evtx's JSON keeps only the named values (an evtx limitation), so
    # this checks the python reader alone.
    from datetime import UTC, datetime

    from tests.support.evtx_writer import Record, write_evtx

    t = datetime(2026, 11, 20, 14, 5, 11, tzinfo=UTC)
    rec = Record(20102, t, "Microsoft Intune Connector", "Microsoft Intune Connector", "NDES01",
                 [("DiagnosticCode", "0x00000400"), (None, "a"), (None, "b")], level=2)  # fmt: skip
    write_evtx(tmp_path / "m.evtx", [rec])
    (e,) = list(open_log(tmp_path / "m.evtx", "python"))
    assert e.data == {"DiagnosticCode": "0x00000400", "Data1": "a", "Data2": "b"}
    (e,) = list(open_log(tmp_path / "m.evtx", "rust"))
    assert e.data == {"DiagnosticCode": "0x00000400"}
