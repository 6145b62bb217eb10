"""What `summarize` does with files it cannot read and chart names it cannot write."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.support.legacy_log import write
from tests.support.users import as_someone_else


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return write(tmp_path / "connector.evtx", failures=20)


def test_an_unreadable_file_is_one_line_and_exit_1_like_a_missing_one(log):
    prefix = as_someone_else()
    folder = Path(tempfile.mkdtemp(prefix="unreadable-"))
    private = folder / "connector.evtx"
    shutil.copyfile(log, private)
    private.chmod(0o000)
    folder.chmod(0o755)
    try:
        command = [*prefix, sys.executable, "-m", "bot", "summarize"]
        unreadable = subprocess.run([*command, str(private)], capture_output=True, text=True,
                                    cwd="/", timeout=60)  # fmt: skip
        missing = subprocess.run([*command, str(folder / "gone.evtx")], capture_output=True,
                                 text=True, cwd="/", timeout=60)  # fmt: skip
    finally:
        shutil.rmtree(folder)
    assert (unreadable.returncode, missing.returncode) == (1, 1)
    assert unreadable.stderr == f"Error: cannot read {private}: Permission denied\n"
    assert missing.stderr == f"Error: cannot read {folder / 'gone.evtx'}: No such file or directory\n"
    assert unreadable.stdout == missing.stdout == ""


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".PNG", b"\x89PNG"),
                                               (".svg", b"<?xml"), (".pdf", b"%PDF")])  # fmt: skip
def test_chart_writes_the_format_its_suffix_names(log, tmp_path, suffix, magic):
    chart = tmp_path / f"timeline{suffix}"
    result = run("summarize", str(log), "--chart", str(chart))
    assert result.exit_code == 0, result.output
    assert chart.read_bytes().startswith(magic)


@pytest.mark.parametrize(("name", "said"), [("timeline.jpg", "'.jpg'"), ("timeline", "no suffix")])
def test_chart_with_another_suffix_is_refused_before_anything_is_read(tmp_path, name, said):
    chart = tmp_path / name
    result = run("summarize", str(tmp_path / "not-even-there.evtx"), "--chart", str(chart))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {name} has {said}: name the chart .png, .svg or .pdf\n"
    assert not chart.exists()


def test_counts_name_one_thing_in_the_singular_and_operations_as_people_name_them(log):
    text = run("summarize", str(log)).stdout
    assert "      1 device: 4f1c2d3e-" in text
    assert "      1 CA: CONTOSO-CA" in text
    assert "      1 template: IntuneWiFi" in text
    assert "scep_verify" not in text
    assert "  SCEP challenge verification    0.0%  (0 ok, 20 failed)" in text


def test_french_counts_group_digits_with_a_narrow_no_break_space(tmp_path):
    big = write(tmp_path / "big.evtx", failures=1200)
    text = run("summarize", str(big), "--lang", "fr").stdout
    assert text.startswith("big.evtx: 1\u202f200 enregistrements (evtx), 1\u202f200 du connecteur")
    assert "Échecs: 1\u202f200" in text
    assert "1,200" not in text
