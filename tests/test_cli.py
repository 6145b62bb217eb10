import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli


def all_commands(group=cli, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize(
    "path,command", list(all_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_has_help_with_an_example(path, command):
    assert command.help, f"{' '.join(path)} has no help"
    assert "Example" in command.help, f"{' '.join(path)} help has no example"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "intune-bot " + path[0] in result.output


def test_lookup_json_contract():
    result = CliRunner().invoke(cli, ["lookup", "20502", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "20502"
    contract = ("type", "id", "name", "score", "exact")  # DESIGN.md; issue 10 added fields
    assert {k: data["matches"][0][k] for k in contract} == {
        "type": "event", "id": "20502", "name": "CRPVerifyMetric_Failure", "score": 100.0, "exact": True,
    }  # fmt: skip
    assert all(set(contract) <= set(m) for m in data["matches"])
    assert data["matches"][0]["key"] == "Microsoft Intune Connector:20502"


def test_lookup_text_output_explains_the_event():
    result = CliRunner().invoke(cli, ["lookup", "0x400"])
    assert result.exit_code == 0
    assert "PKCS_Issue_CA_Unavailable" in result.output
    assert "Certification authority is not valid or is unreachable" in result.output


def test_lookup_french():
    result = CliRunner().invoke(cli, ["lookup", "0x400", "--lang", "fr"])
    assert "L’autorité de certification n’est pas valide" in result.output


def test_lookup_unknown_id_says_so():
    result = CliRunner().invoke(cli, ["lookup", "20503"])
    assert result.exit_code == 1  # nothing matched: the nearest IDs are offered, not answered
    assert "20503 is not in the catalogue" in result.output
    assert "20502" in result.output


def test_summarize_refuses_a_file_that_is_not_a_log(tmp_path):
    junk = tmp_path / "notes.evtx"
    junk.write_text("just some notes\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", str(junk)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not an event log" in result.stderr


def test_summarize_missing_file_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", str(tmp_path / "nope.evtx")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1


def test_summarize_says_first_when_part_of_the_file_was_unreadable(tmp_path):
    from tests.support.connector_logs import legacy_pkcs_ca_outage

    whole = tmp_path / "whole.evtx"
    legacy_pkcs_ca_outage(whole)
    cut = tmp_path / "cut.evtx"
    cut.write_bytes(whole.read_bytes()[: 4096 + 65536 // 2])  # header + half a chunk
    result = CliRunner().invoke(cli, ["summarize", str(cut)])
    assert result.exit_code == 0
    head = result.output.splitlines()[:4]
    assert any(line.startswith("Warning:") and "failures may be missing" in line for line in head)


def test_summarize_of_an_unrelated_log_says_which_log_to_export(tmp_path):
    from datetime import UTC, datetime

    from tests.support.evtx_writer import Record, write_evtx

    path = tmp_path / "system.evtx"
    record = Record(event_id=7036, time=datetime(2026, 11, 1, tzinfo=UTC),
                    provider="Service Control Manager", channel="System", computer="NDES01",
                    data=[("param1", "Print Spooler")])  # fmt: skip
    write_evtx(path, [record])
    result = CliRunner().invoke(cli, ["summarize", str(path)])
    assert "No Intune connector events in this file" in result.output


def test_summarize_in_french(tmp_path):
    from tests.support.connector_logs import legacy_pkcs_ca_outage

    legacy_pkcs_ca_outage(tmp_path / "outage.evtx")
    result = CliRunner().invoke(cli, ["summarize", str(tmp_path / "outage.evtx"), "--lang", "fr"])
    assert "Échecs: 30" in result.output
    assert "appareils" in result.output
    assert "devices" not in result.output


def test_summarize_a_folder_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path} is a folder: give the exported log file in it"
    ]


def test_summarize_with_python_parser_missing_is_one_line(tmp_path, monkeypatch):
    # On Windows python-evtx is not installed (its Evtx package clashes with evtx).
    import importlib.util

    from tests.support.connector_logs import legacy_pkcs_ca_outage

    path = tmp_path / "outage.evtx"
    legacy_pkcs_ca_outage(path)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "Evtx" else real(n, *a))
    result = CliRunner().invoke(cli, ["summarize", str(path), "--parser", "python"])
    assert result.exit_code == 1
    assert "python-evtx is not installed here: use --parser rust" in result.output
