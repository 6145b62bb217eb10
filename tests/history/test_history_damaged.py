"""A damaged, empty, missing or read-only history file: one line, and the summary stands."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.history import open_history
from tests.support.damaged_db import damaged_past_first_page, garbage
from tests.support.legacy_log import write
from tests.support.users import as_someone_else


@pytest.fixture(autouse=True)
def no_default_store(tmp_path, monkeypatch):
    monkeypatch.setenv("INTUNE_BOT_DB", str(tmp_path / "default.db"))


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return write(tmp_path / "connector.evtx", failures=200)


@pytest.fixture
def recorded(tmp_path: Path, log: Path) -> Path:
    """A history with one upload's 200 failures in it, recorded through the CLI."""
    path = tmp_path / "history.db"
    result = CliRunner().invoke(cli, ["summarize", str(log), "--record", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", [["history"], ["servers"], ["history", "list", "--json"]])
def test_reading_a_store_damaged_past_its_first_page_is_one_line(recorded, tmp_path, command):
    damaged = damaged_past_first_page(recorded, tmp_path / "damaged.db")
    before = damaged.read_bytes()

    result = run(*command, "--db", str(damaged))

    assert result.exit_code == 1
    assert result.stderr == f"Error: {damaged} is not a SQLite database (or is damaged)\n"
    assert "Traceback" not in result.output
    assert damaged.read_bytes() == before


@pytest.mark.parametrize("damage", ["garbage", "past-first-page"])
def test_summarize_record_on_an_unusable_store_still_prints_the_summary(
    recorded, tmp_path, log, damage
):
    bad = tmp_path / "bad.db"
    if damage == "garbage":
        garbage(bad)
    else:
        damaged_past_first_page(recorded, bad)

    result = run("summarize", str(log), "--record", "--db", str(bad))

    assert result.exit_code == 1
    assert result.stdout.startswith("connector.evtx: 200 records (evtx)")
    assert "Mostly: 200 x 20502 CRPVerifyMetric_Failure" in result.stdout
    assert result.stderr == f"Error: not recorded: {bad} is not a SQLite database (or is damaged)\n"


def test_summarize_record_json_on_an_unusable_store_prints_parseable_json(tmp_path, log):
    import json

    bad = garbage(tmp_path / "bad.db")

    result = run("summarize", str(log), "--record", "--json", "--db", str(bad))

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["records"] == 200
    assert "history" not in data
    assert result.stderr.startswith("Error: not recorded: ")


@pytest.mark.parametrize("command", [["history"], ["servers"]])
def test_reading_commands_never_create_the_store(tmp_path, command):
    missing = tmp_path / "nothing-here" / "history.db"

    result = run(*command, "--db", str(missing))

    assert result.exit_code == 0
    assert result.stdout == (
        f"No history yet: {missing} does not exist "
        "(`intune-bot summarize FILE --record` starts one).\n"
    )
    assert not missing.exists()
    assert not missing.parent.exists()


def test_reading_a_missing_store_as_json_is_empty_json(tmp_path):
    missing = tmp_path / "nothing-here" / "history.db"
    assert run("servers", "--json", "--db", str(missing)).stdout == '{"servers": []}\n'
    assert not missing.parent.exists()


def test_an_empty_file_reads_as_an_empty_history(tmp_path):
    empty = tmp_path / "history.db"
    empty.touch()

    result = run("servers", "--db", str(empty))

    assert result.exit_code == 0
    assert result.stdout.startswith("No servers recorded yet")
    assert empty.read_bytes() == b""


def test_reading_opens_the_file_read_only(recorded):
    with open_history(recorded, readonly=True) as history:
        assert [s.name for s in history.servers()] == ["NDES01.contoso.com"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            history.conn.execute("DELETE FROM incidents")
    with open_history(recorded) as history:
        assert len(history.incidents()) == 1


def test_a_history_without_write_access_can_still_be_read(recorded):
    prefix = as_someone_else()
    folder = Path(tempfile.mkdtemp(prefix="readonly-history-"))
    copy = folder / "history.db"
    shutil.copyfile(recorded, copy)  # no -wal or -shm beside it: reading must not need them
    copy.chmod(0o444)
    folder.chmod(0o555)
    try:
        read = [*prefix, sys.executable, "-m", "bot", "history", "--db", str(copy)]
        shown = subprocess.run(read, capture_output=True, text=True, cwd="/", timeout=60)
        resolve = [*read[:-3], "history", "resolve", "1", "--note", "x", "--db", str(copy)]
        refused = subprocess.run(resolve, capture_output=True, text=True, cwd="/", timeout=60)
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
    assert shown.returncode == 0, shown.stderr
    assert "NDES01.contoso.com  20502 0x00000410" in shown.stdout
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("is read-only (the file and its folder must be writable)")
