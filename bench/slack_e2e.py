"""End-to-end Slack benchmark: `intune-bot run --http` (a real subprocess) against a fake Slack.

Prints
- `/intune 20502` latency, from sending the signed slash command to the answer
  arriving at its response_url (what the person waits for), and the HTTP ack
  time, p50/p99 at 1 and at 20 concurrent requests (goal: p99 < 100 ms at 20);
- the time from a 50 MB connector log's file_share event to its summary being
  posted in the thread (goal: < 3 s), and to the history section that follows.

    .venv/bin/python bench/slack_e2e.py [--requests 200] [--log-mb 50]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from slack_sdk.signature import SignatureVerifier  # noqa: E402

from bot.slack.fake_api import TOKEN, FakeSlack  # noqa: E402

SECRET = "bench-secret"
verifier = SignatureVerifier(SECRET)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: str, ctype: str) -> float:
    ts = str(int(time.time()))
    headers = {"Content-Type": ctype, "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body)}  # fmt: skip
    start = time.perf_counter()
    with urllib.request.urlopen(
        urllib.request.Request(url, body.encode(), headers), timeout=30
    ) as r:
        r.read()
        assert r.status == 200, r.status
    return time.perf_counter() - start


def start_app(fake: FakeSlack, db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "INTUNE_BOT_DB": str(db)}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/health", timeout=1):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the app exited: {proc.stderr.read().decode()}") from None
            time.sleep(0.05)
    raise SystemExit("the app did not start")


def intune(base: str, fake: FakeSlack, n: int) -> tuple[float, float]:
    """One /intune 20502; returns (ack seconds, answer seconds)."""
    path = f"/response/bench{n}"
    form = urlencode({"command": "/intune", "text": "20502", "team_id": "T1", "channel_id": "C1",
                      "user_id": "U1", "response_url": fake.url + path, "trigger_id": f"t{n}"})  # fmt: skip
    start = time.monotonic()
    ack = post(base + "/slack/events", form, "application/x-www-form-urlencoded")
    (answer,) = fake.wait_for("response", where=lambda c: c.path == path, timeout=30)
    return ack, answer.at - start


def latency(base: str, fake: FakeSlack, total: int, concurrency: int, offset: int) -> None:
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda i: intune(base, fake, offset + i), range(total)))
    for label, values in (("answer", [r[1] for r in results]), ("ack", [r[0] for r in results])):
        ms = sorted(v * 1000 for v in values)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(f"/intune {label:6} concurrency {concurrency:2}: p50 {statistics.median(ms):6.1f} ms  "
              f"p99 {p99:6.1f} ms  (n={len(ms)})")  # fmt: skip


def big_upload(base: str, fake: FakeSlack, tmp: Path, mb: int) -> None:
    try:
        from tests.support.connector_logs import large_log
    except ImportError as err:
        print(f"50 MB upload: skipped ({err}; needs tests/support/connector_logs.py large_log)")
        return
    path = tmp / "Microsoft-Intune-CertificateConnectors-Admin.evtx"
    large_log(path, target_bytes=mb * 1024 * 1024)
    size = path.stat().st_size
    file = fake.add_file("FBIG", path.name, path)
    event = {"type": "message", "subtype": "file_share", "user": "U1", "text": "", "files": [file],
             "ts": "1700009999.000001", "channel": "C1", "channel_type": "channel"}  # fmt: skip
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                       "event_id": "EvBIG", "event_time": int(time.time()), "event": event})  # fmt: skip
    start = time.monotonic()
    post(base + "/slack/events", body, "application/json")
    done = fake.wait_for("chat.update", timeout=300,
                         where=lambda c: "Reading" not in (c.get("text") or ""))[0]  # fmt: skip
    final = fake.wait_for("chat.update", 2, timeout=300,
                          where=lambda c: "Reading" not in (c.get("text") or ""))[1]  # fmt: skip
    updates = len(fake.calls_to("chat.update")) - 2
    print(f"{size / 1e6:.1f} MB log: file_share → summary posted in {done.at - start:.2f} s, "
          f"with its history section in {final.at - start:.2f} s ({updates} progress updates)")  # fmt: skip
    print(f"  summary: {done['text'][:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--log-mb", type=int, default=50)
    args = parser.parse_args()
    fake = FakeSlack()
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_app(fake, Path(tmp) / "history.db")
        try:
            intune(base, fake, -1)  # warm up: the catalogue loads on the first lookup
            latency(base, fake, args.requests // 2, 1, 0)
            latency(base, fake, args.requests, 20, 10_000)
            big_upload(base, fake, Path(tmp), args.log_mb)
        finally:
            proc.terminate()
            proc.wait(10)
            fake.close()


if __name__ == "__main__":
    main()
