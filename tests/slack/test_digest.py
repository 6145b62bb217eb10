"""The daily digest: what it says (pure), when it runs, and the post through the fake Slack."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from bot.history import UploadInfo, open_history
from bot.knowledge import default_catalogue
from bot.settings import Settings, SettingsError
from bot.slack import render
from bot.slack.dedupe import Seen
from bot.slack.digest import next_run, post_digest, start_digest
from bot.slack.fake_api import TOKEN
from bot.triage import build_digest
from tests.support.history import connector_event
from tests.support.slack import texts

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CHANNEL = "C0DIGEST"


def events(server, event_id, code, start, n=3, outcome="failure"):
    # A warning makes an incident only when the catalogue says how to fix it.
    entry = default_catalogue().event(event_id, "legacy") if outcome == "warning" else None
    return [connector_event(i + 1, i / 60, server=server, event_id=event_id, code=code,
                            outcome=outcome, device=f"dev-{i}", start=start, entry=entry)
            for i in range(n)]  # fmt: skip


def record(history, name, at, evs):
    # Shared in the digest's channel: its members may see all of it (test_scope.py has the rest).
    info = UploadInfo(file_name=name, sha256=hashlib.sha256(name.encode()).hexdigest(), size=1,
                      format="evtx", uploaded_at=at, source="slack", channel=CHANNEL)  # fmt: skip
    (change, *_) = history.record_upload(info, evs).incidents
    return change.incident


@pytest.fixture
def seeded(tmp_path):
    """One incident of each kind the digest tells apart, around NOW."""
    db = tmp_path / "history.db"
    day = timedelta(days=1)
    with open_history(db) as h:
        record(h, "old-open", NOW - 6 * day, events("NDES01.contoso.com", 20502, "0x800706BA",
                                                    NOW - 6 * day))  # fmt: skip
        record(h, "new", NOW - timedelta(hours=20), events("NDES02.contoso.com", 20102,
                                                           "0x00000400", NOW - day))  # fmt: skip
        fixed = record(h, "fixed", NOW - 16 * day, events("NDES03.contoso.com", 20202, "0x00000402",
                                                          NOW - 16 * day))  # fmt: skip
        h.resolve(fixed.id, "U1", "CA service restarted", at=NOW - timedelta(hours=3))
        long_ago = record(h, "long-ago", NOW - 9 * day, events("NDES04.contoso.com", 20302, None,
                                                               NOW - 9 * day))  # fmt: skip
        h.resolve(long_ago.id, "U1", "old news", at=NOW - 5 * day)
        quick = record(h, "quick", NOW - timedelta(hours=5), events("NDES05.contoso.com", 10102,
                                                                    None, NOW - 2 * day))  # fmt: skip
        h.resolve(quick.id, "U2", "renewed", at=NOW - timedelta(hours=1))
        record(h, "warn", NOW - timedelta(hours=2), events("NDES06.contoso.com", 20501, "0x411",
                                                           NOW - day, outcome="warning"))  # fmt: skip
        record(h, "later", NOW + timedelta(hours=1), events("NDES07.contoso.com", 20402, None,
                                                            NOW))  # fmt: skip
    return db


def servers(incidents):
    return [i.server.split(".")[0] for i in incidents]


def test_the_digest_sorts_the_last_day_into_new_ongoing_and_resolved(seeded):
    with open_history(seeded) as h:
        digest = build_digest(h, NOW)
    assert (digest.since, digest.until) == (NOW - timedelta(days=1), NOW)
    assert sorted(servers(digest.new)) == ["NDES02", "NDES05"]  # NDES07 comes after NOW
    assert servers(digest.ongoing) == ["NDES01"]
    assert sorted(servers(digest.resolved)) == ["NDES03", "NDES05"]
    # NDES04 was resolved days ago; NDES06 is a warning, not a failure.
    shown = {s for part in (digest.new, digest.ongoing, digest.resolved) for s in servers(part)}
    assert not shown & {"NDES04", "NDES06"}


def test_the_digest_is_a_function_of_the_day_asked(seeded):
    with open_history(seeded) as h:
        week_ago = build_digest(h, NOW - timedelta(days=5, hours=23))
    assert servers(week_ago.new) == ["NDES01"]
    assert servers(week_ago.ongoing) == ["NDES04", "NDES03"]  # resolved since, open then
    assert servers(week_ago.resolved) == []


def test_the_digest_reads_well_and_pings_no_one(seeded):
    with open_history(seeded) as h:
        msg = render.digest(build_digest(h, NOW).to_dict())
    assert msg["text"].startswith("Daily digest: 2 new, 1 still open, 2 resolved")
    shown = texts([msg])
    assert "2026-11-25 08:00" in shown
    assert "2026-11-26 08:00" in shown
    assert ":new: New* (2)" in shown
    assert ":repeat: Still open* (1)" in shown
    assert "20102 (0x00000400) on `NDES02.contoso.com`, 3×" in shown
    assert "20202 (0x00000402) on `NDES03.contoso.com`, 3×" in shown
    assert "“CA service restarted”" in shown
    assert "(already resolved)" in shown
    assert "<@" not in shown
    assert "<!" not in shown


def test_a_quiet_day_says_so(tmp_path):
    with open_history(tmp_path / "empty.db") as h:
        msg = render.digest(build_digest(h, NOW).to_dict())
    assert "No new, open or resolved incidents" in texts([msg])


@pytest.mark.parametrize(
    "now,at,due",
    [
        ("2026-11-26T07:59:00+00:00", clock(8, 0), "2026-11-26T08:00:00+00:00"),
        ("2026-11-26T08:00:00+00:00", clock(8, 0), "2026-11-27T08:00:00+00:00"),  # just ran
        ("2026-11-26T08:00:01+00:00", clock(8, 0), "2026-11-27T08:00:00+00:00"),
        ("2026-11-26T23:30:00+00:00", clock(0, 15), "2026-11-27T00:15:00+00:00"),
        ("2026-12-31T23:59:59+00:00", clock(8, 0), "2027-01-01T08:00:00+00:00"),
        ("2026-11-26T09:30:00+02:00", clock(8, 0), "2026-11-26T08:00:00+00:00"),  # 07:30 UTC
    ],
)
def test_next_run_is_the_next_set_time_in_utc(now, at, due):
    assert next_run(datetime.fromisoformat(now), at) == datetime.fromisoformat(due)


def test_next_run_reads_other_zones_as_utc():
    paris = datetime(2026, 11, 26, 8, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    # 09:30 in Paris is 08:30 UTC: today's 08:00 UTC has passed
    assert next_run(paris, clock(8, 0)) == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert next_run(paris, clock(9, 0)) == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def digest_settings(fake_slack, db, **env):
    return Settings.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake_slack.api_url,
                              "INTUNE_BOT_DB": str(db), "INTUNE_BOT_DIGEST_CHANNEL": CHANNEL,
                              **env})  # fmt: skip


def test_the_digest_is_posted_once_to_the_channel(fake_slack, seeded):
    settings = digest_settings(fake_slack, seeded)
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    seen = Seen()
    assert post_digest(client, settings, seen, NOW)
    assert not post_digest(client, settings, seen, NOW)  # another worker's turn: already done
    (post,) = fake_slack.calls_to("chat.postMessage")
    assert post["channel"] == CHANNEL
    assert "thread_ts" not in post.body
    assert post.auth == f"Bearer {TOKEN}"
    assert post["text"] == "Daily digest: 2 new, 1 still open, 2 resolved"
    assert "`NDES01.contoso.com`" in texts([post])


def test_a_digest_channel_the_bot_is_not_in_is_logged(fake_slack, seeded, caplog):
    fake_slack.fail_next("chat.postMessage", body={"ok": False, "error": "not_in_channel"})
    settings = digest_settings(fake_slack, seeded)
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    assert not post_digest(client, settings, Seen(), NOW)
    assert "invite the bot" in caplog.text


def test_the_scheduler_posts_at_the_set_time(fake_slack, seeded):
    settings = digest_settings(fake_slack, seeded, INTUNE_BOT_DIGEST_TIME="08:00")
    start, t0 = NOW - timedelta(seconds=0.3), time.monotonic()
    fake_clock = lambda: start + timedelta(seconds=time.monotonic() - t0)  # noqa: E731
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    scheduler = start_digest(client, settings, Seen(), clock=fake_clock, tick=0.05)
    assert scheduler is not None
    assert scheduler.thread.name == "intune-digest"
    try:
        (post,) = fake_slack.wait_for("chat.postMessage", timeout=5)
        assert post["channel"] == CHANNEL
        assert post["text"].startswith("Daily digest: 2 new")
        time.sleep(0.3)  # the next one is due tomorrow: nothing more today
        assert len(fake_slack.calls_to("chat.postMessage")) == 1
    finally:
        scheduler.stop()
    assert not scheduler.thread.is_alive()


def test_the_digest_is_off_by_default(fake_slack, tmp_path):
    settings = Settings.from_env({"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake_slack.api_url,
                                  "INTUNE_BOT_DB": str(tmp_path / "h.db")})  # fmt: skip
    assert settings.digest_channel is None
    assert settings.digest_time == clock(8, 0)
    client = WebClient(token=TOKEN, base_url=fake_slack.api_url)
    assert start_digest(client, settings, Seen(), tick=0.01) is None
    assert "intune-digest" not in {t.name for t in threading.enumerate()}
    assert not post_digest(client, settings, Seen(), NOW)
    assert not fake_slack.calls_to("chat.postMessage")


def test_digest_settings_are_checked():
    settings = Settings.from_env(
        {"INTUNE_BOT_DIGEST_CHANNEL": "C0123ABCD", "INTUNE_BOT_DIGEST_TIME": "7:05"}
    )
    assert settings.digest_channel == "C0123ABCD"
    assert settings.digest_time == clock(7, 5)
    with pytest.raises(SettingsError, match="INTUNE_BOT_DIGEST_CHANNEL.*channel ID"):
        Settings.from_env({"INTUNE_BOT_DIGEST_CHANNEL": "#helpdesk"})
    for bad in ("24:00", "8", "08:60", "8am"):
        with pytest.raises(SettingsError, match="INTUNE_BOT_DIGEST_TIME"):
            Settings.from_env({"INTUNE_BOT_DIGEST_TIME": bad})
