"""Fixtures: the playground served in-process, and a real headless Chromium driving its page.

Chromium comes from the system's packages (Debian's `chromium`; .ci/run installs
it), driven by playwright with `executable_path`: playwright's own browser
download is impossible here. Without Chromium these tests fail in CI (CI=true)
and are skipped with the reason elsewhere. Any JavaScript error on the page
(an uncaught exception, or console.error) fails the test that caused it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.playground import Playground

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
TIMEOUT_MS = 20_000


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: the browser tests cannot run (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Playground]:
    play = Playground(db=tmp_path / "history.db").start()
    yield play
    play.close()


@pytest.fixture
def page(browser, playground: Playground) -> Iterator[object]:
    """The playground's page, loaded; JavaScript errors are collected and fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"uncaught: {err}"))
    page.on("console", lambda msg: msg.type == "error" and errors.append(f"console: {msg.text}"))
    page.goto(playground.url)
    page.wait_for_selector("#messages[data-drawn='1']")
    page.errors = errors
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
