"""A server for every record: `summarize --record --server NAME` for exports that name none."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.history import open_history

CSV = Path(__file__).resolve().parents[1] / "data" / "exports" / "eventviewer_en.csv"
EVTX_NAMED = "NDES01.contoso.com"


@pytest.fixture(autouse=True)
def no_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("INTUNE_BOT_DB", str(tmp_path / "default.db"))


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_record_of_a_nameless_export_without_server_is_one_line_and_records_nothing(tmp_path):
    db = tmp_path / "history.db"

    result = run("summarize", str(CSV), "--record", "--db", str(db))

    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {CSV} names no computer for its events")
    assert "--server NAME" in line
    assert line.endswith("nothing recorded")
    assert not db.exists()


def test_record_with_server_puts_the_nameless_events_under_it(tmp_path):
    db = tmp_path / "history.db"

    result = run("summarize", str(CSV), "--record", "--server", " NDES01 ", "--db", str(db))

    assert result.exit_code == 0, result.output
    assert "new      #1 NDES01 20102 0x00000400 (failure)" in result.stdout
    with open_history(db, readonly=True) as history:
        assert {i.server for i in history.incidents()} == {"NDES01"}
        assert [s.name for s in history.servers()] == ["NDES01"]


def test_server_without_record_is_refused(tmp_path):
    result = run("summarize", str(CSV), "--server", "NDES01")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: --server names where a recorded log came from: add --record"


def test_server_does_not_rename_events_that_name_their_computer(tmp_path):
    from tests.support.legacy_log import write

    log = write(tmp_path / "connector.evtx", failures=2)
    db = tmp_path / "history.db"

    result = run("summarize", str(log), "--record", "--server", "OTHER", "--db", str(db))

    assert result.exit_code == 0
    with open_history(db, readonly=True) as history:
        assert {i.server for i in history.incidents()} == {EVTX_NAMED}


def test_a_short_server_name_records_under_the_known_server_it_is_short_for(tmp_path):
    from tests.support.legacy_log import write

    db = tmp_path / "history.db"
    run("summarize", str(write(tmp_path / "connector.evtx", failures=2)), "--record", "--db", str(db))

    result = run("summarize", str(CSV), "--record", "--server", "ndes01", "--db", str(db))

    assert result.exit_code == 0, result.output
    assert f"new      #2 {EVTX_NAMED} 20102 0x00000400 (failure)" in result.stdout
    with open_history(db, readonly=True) as history:
        assert [s.name for s in history.servers()] == [EVTX_NAMED]
        assert {i.server for i in history.incidents()} == {EVTX_NAMED}


def test_a_short_name_of_two_known_servers_prints_the_summary_and_records_nothing(tmp_path):
    from tests.support.legacy_log import write

    db = tmp_path / "history.db"
    for domain in ("contoso.com", "fabrikam.com"):
        log = write(tmp_path / f"{domain}.evtx", failures=1, server=f"NDES01.{domain}")
        run("summarize", str(log), "--record", "--db", str(db))

    result = run("summarize", str(CSV), "--record", "--server", "NDES01", "--db", str(db))

    assert result.exit_code == 1
    assert "20102" in result.stdout  # the summary stands
    assert result.stderr == (
        "Error: not recorded: NDES01 could be NDES01.contoso.com, NDES01.fabrikam.com: "
        "give the server's full name\n"
    )
    with open_history(db, readonly=True) as history:
        assert {i.event_id for i in history.incidents()} == {20502}
        assert len(history.servers()) == 2


def test_a_server_named_in_full_is_never_taken_for_another(tmp_path):
    from tests.support.legacy_log import write

    db = tmp_path / "history.db"
    run("summarize", str(write(tmp_path / "c.evtx", failures=1)), "--record", "--db", str(db))

    result = run("summarize", str(CSV), "--record", "--server", "NDES01.fabrikam.com",
                 "--db", str(db))  # fmt: skip

    assert result.exit_code == 0, result.output
    with open_history(db, readonly=True) as history:
        assert sorted(s.name for s in history.servers()) == [EVTX_NAMED, "NDES01.fabrikam.com"]
