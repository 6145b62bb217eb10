"""A log with 100,000 distinct diagnostic codes (29 MB .evtx): memory and what reaches Slack.

Prints
- `intune-bot summarize --record` peak RSS and time (goal: under 300 MB);
- the bot in HTTP mode (`intune-bot run --http`, a real subprocess, fake Slack): peak RSS
  (VmHWM, Linux) once the summary and its history are posted, the kept summary's size,
  the incidents the upload opened, and the messages one "Show all" click posted.

    .venv/bin/python bench/many_codes.py [--kinds 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from http_limits import peak_rss_mb  # noqa: E402
from slack_e2e import FakeSlack, post, start_app  # noqa: E402

from tests.support.evtx_writer import Record, write_evtx  # noqa: E402

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def write_log(path: Path, kinds: int) -> None:
    write_evtx(path, (
        Record(event_id=20502, time=START + timedelta(seconds=k), provider="NDESConnector",
               channel="Microsoft Intune Connector", computer="NDES01.contoso.com", level=2,
               data=[("Device ID", f"4f1c2d3e-aaaa-bbbb-cccc-{k:012d}"), ("CA Name", "CONTOSO-CA"),
                     ("Certificate Template", "IntuneWiFi"),
                     ("Diagnostic Code", f"0x{0x10000000 + k:08X}")])
        for k in range(kinds)))  # fmt: skip


def cli(path: Path, db: Path) -> None:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "bot", "summarize", str(path), "--record"], cwd=ROOT,
                   env={"INTUNE_BOT_DB": str(db), "PATH": ""}, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"CLI summarize --record: peak RSS {peak:.0f} MB, {time.monotonic() - start:.1f} s")


def slack_mode(path: Path, tmp: Path) -> None:
    fake = FakeSlack()
    db = tmp / "slack-history.db"
    proc, base = start_app(fake, db)
    try:
        before = peak_rss_mb(proc.pid)
        file = fake.add_file("FMANY", path.name, path)
        event = {"type": "message", "subtype": "file_share", "user": "U1", "text": "", "files": [file],
                 "ts": "1700009999.000001", "channel": "C1", "channel_type": "channel"}  # fmt: skip
        body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                           "event_id": "EvMANY", "event_time": int(time.time()), "event": event})  # fmt: skip
        start = time.monotonic()
        post(base + "/slack/events", body, "application/json")
        done = [c for c in fake.wait_for("chat.update", 2, timeout=600,
                where=lambda c: "Reading" not in (c.get("text") or ""))]  # fmt: skip
        summary = done[-1]
        print(f"Slack mode: summary with history in {summary.at - start:.1f} s; peak RSS "
              f"{before:.0f} MB idle, {peak_rss_mb(proc.pid):.0f} MB after the upload")  # fmt: skip
        kept = sqlite3.connect(db.with_name(db.stem + "-slack-summaries.db"))
        (size,) = kept.execute("SELECT max(length(body)) FROM summaries").fetchone()
        (incidents,) = sqlite3.connect(db).execute("SELECT count(*) FROM incidents").fetchone()
        print(f"  kept summary {size / 1024:.0f} KB, incidents opened {incidents:,}")
        posts = len(fake.calls_to("chat.postMessage"))
        show_all(base, fake, summary)
        fake.wait_for("chat.update", 3, timeout=60, where=lambda c: c["ts"] == summary["ts"])
        time.sleep(5)  # any further messages of the click
        print(f"  Show all: {1 + len(fake.calls_to('chat.postMessage')) - posts} messages; "
              f"peak RSS {peak_rss_mb(proc.pid):.0f} MB")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)
        fake.close()


def show_all(base: str, fake: FakeSlack, summary) -> None:  # type: ignore[no-untyped-def]
    buttons = {e["action_id"]: e for b in summary["blocks"] if b["type"] == "actions"
               for e in b["elements"]}  # fmt: skip
    button = buttons["intune_show_all"]
    payload = {"type": "block_actions", "team": {"id": "T1", "domain": "example"},
               "user": {"id": "U1", "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
               "container": {"type": "message", "message_ts": summary["ts"], "channel_id": "C1",
                             "is_ephemeral": False, "thread_ts": "1700009999.000001"},
               "trigger_id": "trig-many", "channel": {"id": "C1", "name": "helpdesk"},
               "message": {"type": "message", "ts": summary["ts"], "text": summary["text"],
                           "thread_ts": "1700009999.000001", "blocks": summary["blocks"]},
               "response_url": fake.url + "/response/many",
               "actions": [{"type": "button", "action_id": "intune_show_all", "block_id": "intune_summary",
                            "value": button["value"], "action_ts": "1700010000.000001"}]}  # fmt: skip
    post(base + "/slack/events", urlencode({"payload": json.dumps(payload)}),
         "application/x-www-form-urlencoded")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "NDES01-many-codes.evtx"
        write_log(path, args.kinds)
        print(f"{path.stat().st_size / 2**20:.1f} MB .evtx, {args.kinds:,} distinct codes")
        cli(path, Path(tmp) / "cli-history.db")
        slack_mode(path, Path(tmp))


if __name__ == "__main__":
    main()
