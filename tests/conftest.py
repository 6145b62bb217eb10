"""Shared fixtures, one per external thing: a history store, a fake Slack, the real Bolt app.

- `db_path`, `history`: a fresh history store on a real SQLite file;
- `fake_slack`, `settings`, `services`, `app`, `slack`: the app built exactly as
  `intune-bot run --http` builds it (settings from an environment, `create_app`,
  waitress), pointed at a local fake Slack with SLACK_API_URL; `slack` sends it
  signed requests as Slack does.

Helpers that tests import live in tests/support/, never in a test module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import App

from bot.history import open_history
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.fake_api import TOKEN, FakeSlack
from bot.slack.services import Services
from tests.support.slack import SECRET, SlackSender, serving


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


@pytest.fixture
def history(db_path: Path):
    """A fresh history on a real file: `history.record_upload(upload(), [...])`."""
    with open_history(db_path) as h:
        yield h


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_slack.api_url,
        "INTUNE_BOT_DB": str(tmp_path / "history.db"),
    })  # fmt: skip


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services(settings=settings, db=settings.db_path)
    yield services
    services.close(wait=True)  # let a file being read finish before the fake Slack goes away


@pytest.fixture
def app(settings: Settings, services: Services) -> App:
    """The real Bolt app, as `intune-bot run` builds it, talking to the fake Slack."""
    return create_app(settings, services)


@pytest.fixture
def slack(fake_slack: FakeSlack, app: App) -> Iterator[SlackSender]:
    """The app under waitress on a free port; yields a sender of signed Slack requests."""
    with serving(app, fake_slack) as sender:
        yield sender
