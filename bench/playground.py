"""Playground benchmark: a 50 MB connector log dropped on the page, to its summary on the page.

Prints
- the page weight: bytes of HTML + CSS + JS the browser loaded (uncompressed, no images);
- for a log of --log-mb MB picked in the page's file input, the seconds from
  handing the file to the page until: the upload is shown in the channel, the
  summary is drawn in its thread (chat.update of "Reading…"), the buttons of
  the recorded summary are drawn, and the timeline chart is shown; and the CPU
  seconds the Python side used (wall times on a busy machine mostly measure the queue).

Runs Debian's headless Chromium (apt-get install chromium) through playwright.

    .venv/bin/python bench/playground.py [--log-mb 50] [--log existing.evtx]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from playwright.sync_api import sync_playwright  # noqa: E402

from bot.playground import Playground  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-mb", type=int, default=50)
    parser.add_argument("--log", type=Path, help="use this log instead of writing one")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-playground-") as tmp:
        log = args.log or write_log(Path(tmp), args.log_mb)
        play = Playground(db=Path(tmp) / "history.db").start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=args.chromium, args=FLAGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(300_000)
                weight = page_weight(page, play.url)
                print(f"page weight: {sum(weight.values()):,} bytes (HTML+CSS+JS, uncompressed): "
                      + ", ".join(f"{k} {v:,}" for k, v in weight.items()))  # fmt: skip
                drop_to_summary(page, log)
                browser.close()
        finally:
            play.close()


def write_log(folder: Path, mb: int) -> Path:
    from tests.support.connector_logs import large_log

    path = folder / f"NDES01-{mb}MB.evtx"
    start = time.perf_counter()
    large_log(path, target_bytes=mb * 1024 * 1024)
    print(
        f"wrote {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - start:.0f} s"
    )
    return path


def page_weight(page, url: str) -> dict[str, int]:
    sizes: dict[str, int] = {}

    def seen(response) -> None:
        kind = response.request.resource_type
        if kind in ("document", "stylesheet", "script"):
            sizes[response.url.rsplit("/", 1)[-1] or "index.html"] = len(response.body())

    page.on("response", seen)
    page.goto(url)
    page.wait_for_selector("#messages[data-drawn='1']")
    page.remove_listener("response", seen)
    return sizes


def drop_to_summary(page, log: Path) -> None:
    size = log.stat().st_size
    start, cpu = time.perf_counter(), time.process_time()
    page.set_input_files("#file", log)
    marks = {}
    page.wait_for_selector("#messages [data-user=U0PLAYER1] .file-card")
    marks["upload shown in the channel"] = time.perf_counter() - start
    page.wait_for_function(
        "() => [...document.querySelectorAll('#thread [data-user=UBOT]')].some("
        "a => a.innerText.includes('records') && !a.innerText.includes('Reading'))"
    )
    marks["summary drawn in its thread"] = time.perf_counter() - start
    page.get_by_role("region", name="Thread").get_by_role("button", name="Mark resolved").wait_for()
    marks["recorded summary with buttons"] = time.perf_counter() - start
    used = time.process_time() - cpu  # the app, the fake and the page server: this process
    chart = page.locator("#thread img[alt*='Failures over time']")
    try:
        chart.wait_for(timeout=60_000)
        marks["timeline chart shown"] = time.perf_counter() - start
    except Exception:
        marks["timeline chart shown"] = float("nan")  # a log without a chart-worthy span
    print(f"drop of {log.name} ({size / 1e6:.1f} MB), seconds from the file handed to the page:")
    for what, seconds in marks.items():
        print(f"  {what:32s} {seconds:6.2f}")
    print(f"  CPU seconds of this process (app, fake Slack, page server) to the buttons: {used:.2f}")


if __name__ == "__main__":
    main()
