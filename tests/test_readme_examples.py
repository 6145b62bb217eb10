"""README's command-line examples run as written on a fresh clone, on the shipped samples."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The `intune-bot ...` lines of README's command-line block, comments removed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Use it from the command line") :]
    block = block[block.index("```") + 3 :]
    block = block[: block.index("```")]
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("intune-bot ")]


def test_readme_shows_the_examples_this_test_runs():
    commands = readme_commands()
    assert len(commands) >= 8
    assert any("samples/connector.evtx" in c for c in commands)


def test_every_readme_example_runs_as_written(tmp_path):
    shutil.copytree(REPO / "samples", tmp_path / "samples")
    env = {**os.environ, "INTUNE_BOT_DB": str(tmp_path / "history.db")}
    outputs = {}
    for command in readme_commands():
        args = shlex.split(command)[1:]
        if args[0] == "playground":  # serves until stopped: tests/playground drives it
            continue
        done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
        assert "Traceback" not in done.stderr, command
        outputs[command] = done.stdout
    listing = next(v for k, v in outputs.items() if k.startswith("intune-bot history NDES01"))
    assert "20102 0x00000400" in listing  # the outage the sample log records
    assert (tmp_path / "timeline.png").read_bytes().startswith(b"\x89PNG")


def test_the_shipped_samples_are_what_make_samples_writes(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "samples" / "make_samples.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("connector.evtx", "export.csv"):
        assert (tmp_path / name).read_bytes() == (REPO / "samples" / name).read_bytes(), name


@pytest.mark.parametrize("name", ["connector.evtx", "export.csv"])
def test_samples_are_small(name):
    assert (REPO / "samples" / name).stat().st_size < 200_000


def test_readme_sample_answer_is_what_lookup_prints():
    # A new user compares the README's sample with what the command prints: keep them equal.
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index("What it answers (`.venv/bin/intune-bot lookup 20502`)") :]
    block = block[block.index("```\n") + 4 :]
    block = block[: block.index("```")]
    done = subprocess.run([sys.executable, "-m", "bot", "lookup", "20502"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == block
