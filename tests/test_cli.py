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
    assert data["matches"][0] == {
        "type": "event", "id": "20502", "name": "CRPVerifyMetric_Failure", "score": 100.0, "exact": True,
    }  # fmt: skip
    assert all(set(m) == {"type", "id", "name", "score", "exact"} for m in data["matches"])


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
    assert result.exit_code == 0
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
