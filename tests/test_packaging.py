"""The installed wheel works on its own: knowledge/ travels inside it."""

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    command = re.search(r"^python3 -m venv .*pytest$", ci, re.M)
    assert command, ".ci/run has no test command line"
    assert command.group(0) in readme


@pytest.mark.skipif(os.environ.get("SKIP_WHEEL_TEST") == "1", reason="SKIP_WHEEL_TEST=1")
def test_wheel_installs_and_looks_up_from_outside_the_repo(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(dist.glob("intune_triage-*.whl"))
    with zipfile.ZipFile(wheel) as zipped:  # the playground's page travels in the wheel too
        assert {"bot/playground/static/index.html", "bot/playground/static/playground.js"} <= set(
            zipped.namelist()
        )
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [env_dir / "bin" / "intune-bot", "lookup", "20502", "--json"],
        cwd=outside, capture_output=True, text=True, check=True,
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["matches"][0]["id"] == "20502"
    assert data["matches"][0]["exact"] is True
