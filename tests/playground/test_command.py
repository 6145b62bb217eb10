"""`intune-bot playground` as a person starts it, and what the page is made of (no browser)."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.playground.delivery import COMMANDS, SUBSCRIBED
from bot.playground.site import PAGES, STATIC

ROOT = Path(__file__).resolve().parents[2]
PAGE_BUDGET = 64 * 1024  # bytes of HTML + CSS + JS, uncompressed


@pytest.fixture
def started(tmp_path: Path):
    db = tmp_path / "mine.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "playground", "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    line = proc.stdout.readline()
    yield proc, line, db
    proc.terminate()
    proc.communicate(timeout=10)  # reads and closes both pipes


def test_playground_prints_its_loopback_url_and_serves_the_page(started) -> None:
    proc, line, db = started
    found = re.match(r"Playground: (http://127\.0\.0\.1:(\d+)/) ", line)
    assert found, (
        f"no URL in {line!r} (stderr: {proc.stderr.read() if proc.poll() is not None else ''})"
    )
    assert str(db) in line
    with urllib.request.urlopen(found[1], timeout=10) as resp:
        html = resp.read().decode()
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert '<label class="visually-hidden" for="message">Message</label>' in html
    assert 'role="region" aria-label="Thread"' in html
    # Another Host (DNS rebinding) or another site's Origin gets nothing.
    bad = urllib.request.Request(found[1], headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
    cross = urllib.request.Request(found[1] + "api/home", data=b"{}", method="POST",
                                   headers={"Origin": "http://evil.example", "Content-Type": "application/json"})  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(cross, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
    assert db.with_name("mine-slack-seen.db").exists()  # its stores sit where --db said


def test_a_taken_port_is_one_line_and_exit_2(started) -> None:
    _, line, _ = started
    port = re.search(r":(\d+)/", line)[1]
    second = subprocess.run([sys.executable, "-m", "bot", "playground", "--port", port],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert second.returncode == 2
    assert second.stderr.count("\n") == 1
    assert "try another --port" in second.stderr


def test_delivered_events_are_the_ones_the_manifest_subscribes_to() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert set(SUBSCRIBED) == set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert set(COMMANDS) == {c["command"] for c in manifest["features"]["slash_commands"]}


def test_the_page_is_small_and_loads_nothing_from_elsewhere() -> None:
    sources = {name: (STATIC / name).read_text() for name in PAGES.values()}
    assert sum(len(s.encode()) for s in sources.values()) < PAGE_BUDGET
    for name, source in sources.items():
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", source), name
        for unsafe in ("innerHTML", "insertAdjacentHTML", "eval(", "document.write"):
            assert unsafe not in source, (name, unsafe)


def _post(url: str, data: bytes, ctype: str = "application/json") -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        err.close()
        return err.code


def test_bad_requests_get_a_clear_status_and_change_nothing(playground) -> None:
    api = playground.url + "api/"
    assert _post(api + "send", b'{"channel": "C0NOPE", "text": "hi"}') == 400
    assert (
        _post(api + "send", b"channel=C0HELPDESK&text=hi", "application/x-www-form-urlencoded")
        == 415
    )
    assert _post(api + "send", b"{not json") == 400
    assert _post(api + "upload?channel=C0NOPE&name=x.evtx", b"ElfFile\0") == 400
    assert playground.workspace.snapshot()["messages"] == []
    assert _post(api + "send", b'{"channel": "C0HELPDESK", "text": "hello"}') == 200
    [msg] = playground.workspace.snapshot()["messages"]
    assert (msg["user"], msg["text"]) == ("U0PLAYER1", "hello")
