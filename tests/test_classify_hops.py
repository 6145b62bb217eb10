"""Every hop's events, in every export format: the right hop, the right code, never an unrelated failure."""

from __future__ import annotations

import pytest

from bot.classify import classify
from bot.hops import HOPS, load_table
from bot.knowledge import default_catalogue
from bot.logs import Event, open_log
from bot.summary_file import summarize_file
from tests.support.chain_events import CA, T0, chain_records, write_records
from tests.support.connector_logs import FORMATS
from tests.support.history import raw_event


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


def _expected():
    out = {}
    for r in chain_records():
        hop, outcome, code = r.tag
        if outcome == "failure":
            key = (hop, r.provider, str(r.event_id), code)
            out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_hop_is_classified_in_every_format(tmp_path, fmt):
    path = tmp_path / f"chain.{fmt}"
    write_records(path, chain_records(), fmt)
    got = summarize_file(path).to_dict()
    failures = {(g["hop"], g["source"], g["event_id"], g["code"]): g["count"] for g in got["failures"]}
    warnings = {(g["hop"], g["source"], g["event_id"]) for g in got["warnings"]}
    assert failures == _expected()
    assert not warnings  # the CA's 53 is logged as a warning, but it is a failure
    assert got["broken_hop"] == "device"
    assert list(got["hops"]) == ["device", "iis", "ndes", "ca"]
    assert got["hops"]["ca"] == {"records": 2, "failures": 2}
    assert got["hops"]["device"] == {"records": 5, "failures": 4}


def test_unrelated_providers_are_never_failures(catalogue):
    for r in chain_records():
        if r.tag[0] is None:
            e = Event(1, r.time, r.event_id, r.level, r.provider, r.channel, r.computer,
                      {k or f"Data{i}": str(v) for i, (k, v) in enumerate(r.data, 1)}, r.message)  # fmt: skip
            assert classify(e, catalogue) is None, r.provider


def test_event_viewer_short_source_names_are_recognized(catalogue):
    # Event Viewer's Source column drops "Microsoft-Windows-"
    e = Event(1, T0, 53, 3, CA.removeprefix("Microsoft-Windows-"), "", "CA01", {}, "denied request 7 0x80094800")
    ce = classify(e, catalogue)
    assert ce.hop == "ca"
    assert ce.outcome == "failure"
    assert ce.code == "0x80094800"


def test_catalogued_entries_keep_their_meaning(catalogue):
    e = Event(1, T0, 128, 3, CA, "Application", "CA01", {}, "An Authority Key Identifier was passed")
    ce = classify(e, catalogue)
    assert ce.entry is not None
    assert ce.entry.id == "128"
    assert ce.outcome == "warning"
    assert ce.hop == "ca"


def test_hop_table_rows_are_well_formed():
    rows = load_table()
    assert {r.hop for r in rows} == set(HOPS)
    assert all(r.url.startswith("https://learn.microsoft.com/") for r in rows)


def test_hop_table_refuses_a_bad_row(tmp_path):
    from bot.hops import HopTableError

    bad = tmp_path / "hops.toml"
    bad.write_text('[[source]]\nprovider = "X"\nhop = "moon"\nsource = "https://example.org"\n')
    with pytest.raises(HopTableError, match=r"hops\.toml: source #1: hop must be one of"):
        load_table(str(bad))


def test_zip_of_every_hop_merges_failures(tmp_path):
    from tests.support.chain_events import ca_records, device_records, ndes_records
    from tests.support.chain_logs import build_zip

    members = []
    for name, records in (("(40) Events DMEDP Admin/Events.evtx", device_records()),
                          ("NDES1/Application.xml", ndes_records()), ("CA01/Application.csv", ca_records())):  # fmt: skip
        fmt = name.rsplit(".", 1)[-1]
        member = tmp_path / f"m.{fmt}"
        write_records(member, records, fmt)
        members.append((name, member.read_bytes()))
    path = tmp_path / "chain.zip"
    build_zip(path, members)
    got = summarize_file(path).to_dict()
    assert got["format"] == "zip"
    assert [(f["name"], f["format"]) for f in got["files"]] == [
        ("(40) Events DMEDP Admin/Events.evtx", "evtx"), ("NDES1/Application.xml", "xml"),
        ("CA01/Application.csv", "csv")]  # fmt: skip
    assert {(g["hop"], g["source"], g["event_id"], g["code"]): g["count"] for g in got["failures"]} == _expected()
    assert sum(f["records"] for f in got["files"]) == got["records"] == len(list(open_log(path)))


def test_event_viewer_short_source_names_find_the_same_entries(catalogue):
    # Event Viewer's CSV / TXT exports write "CAPI2" for Microsoft-Windows-CAPI2, "WAS" for
    # Microsoft-Windows-WAS: the short name must find the entry the full one finds.
    windows = [e for e in catalogue.events() if (e.provider or "").startswith("Microsoft-Windows-")]
    assert len(windows) >= 20
    for entry in windows:
        short = entry.provider.removeprefix("Microsoft-Windows-")
        got = {}
        for provider in (entry.provider, short):
            event = raw_event(int(entry.id), message="", time=T0, provider=provider,
                              channel="Application", computer="NDES1")  # fmt: skip
            ce = classify(event, catalogue)
            got[provider] = (ce.entry.key if ce and ce.entry else None, ce.hop if ce else None)
        assert got[short] == got[entry.provider], entry.key
