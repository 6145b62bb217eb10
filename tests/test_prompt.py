"""The terminal prompt (`intune-bot run` with no tokens), for real: a pty, or a pipe on stdin."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.commands import parse
from tests.support import legacy_log

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")
PROMPT = b"intune> "


def environment(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    return {**env, "INTUNE_BOT_DB": str(db), "TERM": "dumb", "PYTHONUNBUFFERED": "1"}


def piped(lines: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "run"], input=lines, env=environment(db),
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def _take_terminal() -> None:
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`intune-bot run` on a pseudo-terminal: what a person typing sees."""

    def __init__(self, db: Path) -> None:
        self.master, slave = os.openpty()
        # Its own session with the pty as controlling terminal, so Ctrl-C is a SIGINT.
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=slave,
                                     stdout=slave, stderr=slave, env=environment(db),
                                     start_new_session=True, preexec_fn=_take_terminal)  # fmt: skip
        os.close(slave)
        self.seen = b""

    def read_until(self, marker: bytes, timeout: float = 30.0) -> bytes:
        """Everything up to and including the next `marker` (or fail after `timeout`)."""
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r} in {self.seen[-500:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"the prompt left before {marker!r}: {self.seen[-500:]!r}"
                self.seen += chunk
        head, _, self.seen = self.seen.partition(marker)
        return head + marker

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code, once the child is gone; what it printed last is added to `seen`."""
        try:
            code = self.proc.wait(timeout)
            while select.select([self.master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the child's side is closed, all was read
                    break
                if not chunk:
                    break
                self.seen += chunk
            return code
        finally:
            os.close(self.master)


@pytest.fixture
def terminal(tmp_path):
    term = Terminal(tmp_path / "history.db")
    yield term
    if term.proc.poll() is None:
        term.proc.kill()
        term.wait()


needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="no pseudo-terminals")


@needs_pty
def test_prompt_edits_the_line_and_recalls_the_previous_one(terminal):
    terminal.read_until(PROMPT)
    terminal.type(b"0502\x012\r")  # Ctrl-A: back to the start, then the missing digit
    first = terminal.read_until(PROMPT)
    assert b"Event 20502 CRPVerifyMetric_Failure" in first
    terminal.type(b"\x10\r")  # Ctrl-P: the previous line again
    again = terminal.read_until(PROMPT)
    assert b"Event 20502 CRPVerifyMetric_Failure" in again
    terminal.type(b"\x04")  # Ctrl-D
    assert terminal.wait() == 0


@needs_pty
def test_prompt_ctrl_c_leaves_cleanly(terminal):
    terminal.read_until(PROMPT)
    # CPython's readline sees a SIGINT that lands between drawing the prompt and waiting
    # for keys only at the next key; a loaded machine widens that window. So, like a
    # person whose first Ctrl-C seemed lost, press it again after a second.
    for _ in range(5):
        terminal.type(b"\x03")
        with contextlib.suppress(subprocess.TimeoutExpired):
            terminal.proc.wait(1.0)
            break
    assert terminal.wait() == 0
    assert b"Traceback" not in terminal.seen


@needs_pty
def test_prompt_ctrl_d_leaves_cleanly(terminal):
    terminal.read_until(PROMPT)
    terminal.type(b"\x04")
    assert terminal.wait() == 0
    assert b"Traceback" not in terminal.seen


def test_prompt_answers_several_ids_in_one_line(tmp_path):
    done = piped("20502 0x410\n", tmp_path / "history.db")
    assert done.returncode == 0, done.stderr
    assert "Event 20502 CRPVerifyMetric_Failure" in done.stdout
    assert "Diagnostic code 0x00000410" in done.stdout


def test_prompt_adds_what_the_history_knows_of_a_named_server(tmp_path):
    db = tmp_path / "history.db"
    log = legacy_log.write(tmp_path / "ndes01.evtx", 3)
    recorded = subprocess.run([sys.executable, "-m", "bot", "summarize", str(log), "--record"],
                              env=environment(db), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    done = piped("why did 20502 fail on NDES01\nwhy did 20502 fail\n", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("What the history knows about NDES01.contoso.com") == 1
    assert "20502 (0x00000410) on NDES01.contoso.com, 3x" in done.stdout


def test_prompt_history_commands_never_create_the_store(tmp_path):
    db = tmp_path / "no" / "history.db"
    done = piped("/intune servers\nhistory NDES01\nwhy did 20502 fail on NDES01\n", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("does not exist") == 2
    assert not db.parent.exists()


def test_one_parser_reads_verbs_and_several_ids():
    assert parse("history NDES01").verb == "history"
    assert parse("history NDES01").arg == "NDES01"
    assert parse("servers").verb == "servers"
    assert parse("").verb == "help"
    assert parse("20502, 0x410 80070005").ids == ("20502", "0x410", "80070005")
    assert parse("20502").ids == ()
    assert parse("why did 20502 fail").ids == ()


def test_prompt_unpacks_a_zip_only_as_far_as_the_upload_limit(tmp_path):
    import zipfile

    archive = tmp_path / "diag.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Events.evtx", b"\0" * (3 * 1024 * 1024))  # 3 MB of nothing, a few KB packed
    env = {**environment(tmp_path / "history.db"), "INTUNE_BOT_MAX_UPLOAD_MB": "1"}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], input=f"{archive}\n", env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 MB" in done.stdout


def test_prompt_reads_summarize_file_as_readme_spells_it(tmp_path):
    log = legacy_log.write(tmp_path / "ndes01.evtx", 3)
    done = piped(f"summarize {log}\nintune-bot summarize {log}\n", tmp_path / "history.db")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ndes01.evtx: 3 records (evtx)") == 2
    assert "No such file" not in done.stdout
