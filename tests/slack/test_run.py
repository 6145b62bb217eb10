"""`intune-bot run` as a person meets it: a real subprocess, stdin lines in, stdout checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


def run(args, stdin="", env=None, timeout=60):
    base = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    base.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], input=stdin, env=base,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


@pytest.fixture
def local_env(tmp_path):
    return {"INTUNE_BOT_DB": str(tmp_path / "history.db")}


def test_local_mode_answers_what_people_type_in_slack(local_env):
    lines = "/intune 20502\nwhy did PKCS issuance fail\n/intune help\nquit\n/intune servers\n"
    done = run([], lines, local_env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("intune-triage, local mode")
    assert "SLACK_BOT_TOKEN" in out
    assert "SLACK_APP_TOKEN" in out
    assert "README" in out
    assert "20502" in out
    assert "PKCS" in out
    assert "connector servers" not in out.lower()  # nothing after quit
    assert "intune>" not in out  # no prompt when stdin is not a terminal


def test_local_mode_reads_a_dropped_file(local_env, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a log\n")
    done = run([], f"{DATA / 'application.evtx'}\n'{notes}'\n", local_env)
    assert done.returncode == 0, done.stderr
    assert "17" in done.stdout  # records in the sample
    assert "stays silent" in done.stdout
    assert "notes.txt" in done.stdout


def test_local_mode_says_when_a_file_is_missing_and_lists_its_commands(local_env, tmp_path):
    done = run([], f"{tmp_path / 'nope.evtx'}\nhelp\n", local_env)
    assert done.returncode == 0, done.stderr
    assert f"No such file: {tmp_path / 'nope.evtx'}" in done.stdout
    assert done.stdout.count("/intune history [SERVER]") == 2  # the intro, then help


def test_local_mode_with_stdin_closed_exits_zero(local_env):
    done = subprocess.run([sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL,
                          env={**{k: v for k, v in os.environ.items() if k not in SLACK_VARS}, **local_env},
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0
    assert "local mode" in done.stdout
    assert done.stderr == ""


def test_local_mode_with_stdin_file_descriptor_closed_exits_zero(local_env):
    env = {**{k: v for k, v in os.environ.items() if k not in SLACK_VARS}, **local_env}
    done = subprocess.run(f"{sys.executable} -m bot run <&-", shell=True, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "local mode" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    "env,args,names",
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, [], ["SLACK_APP_TOKEN", "App-Level Tokens"]),
        ({"SLACK_APP_TOKEN": "xapp-1"}, [], ["SLACK_BOT_TOKEN", "OAuth & Permissions"]),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, ["--http"], ["SLACK_SIGNING_SECRET", "Basic Information"]),
        (
            {"SLACK_BOT_TOKEN": "xapp-oops", "SLACK_APP_TOKEN": "xapp-1"},
            [],
            ["SLACK_BOT_TOKEN", "xoxb-"],
        ),
    ],
)
def test_missing_or_wrong_token_is_one_clear_line(env, args, names, local_env):
    done = run(args, env={**env, **local_env})
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert "Traceback" not in line
    assert "README" in line
    for name in names:
        assert name in line


def test_refused_token_is_one_clear_line_and_never_printed(fake_slack, local_env):
    env = {
        "SLACK_BOT_TOKEN": "xoxb-revoked-secret",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": fake_slack.api_url,
    }
    done = run([], env={**env, **local_env})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "invalid_auth" in line
    assert "SLACK_BOT_TOKEN" in line
    assert "xoxb-revoked-secret" not in done.stderr + done.stdout
    assert fake_slack.calls_to("auth.test")[0].auth == "Bearer xoxb-revoked-secret"


def test_refused_app_token_is_one_clear_line(fake_slack, local_env):
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-revoked",
        "SLACK_API_URL": fake_slack.api_url,
    }
    done = run([], env={**env, **local_env})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "SLACK_APP_TOKEN" in line
    assert "invalid_auth" in line
    assert "connections:write" in line
    assert "xapp-revoked" not in done.stderr
    assert fake_slack.calls_to("apps.connections.open")[0].auth == "Bearer xapp-revoked"


def test_http_mode_port_in_use_is_one_clear_line(fake_slack, local_env):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake_slack.api_url,
        }
        done = run(["--http", "--host", "127.0.0.1", "--port", str(port)], env={**env, **local_env})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_unreachable_slack_is_one_clear_line(local_env):
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    done = run([], env={**env, **local_env})
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "cannot reach Slack" in line
    assert "SLACK_API_URL" in line


def test_run_does_not_import_slack_for_other_commands():
    code = "import sys, bot.cli; assert 'slack_bolt' not in sys.modules and 'slack_sdk' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
