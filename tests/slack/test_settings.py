"""Settings from the environment: read once, tokens never shown, clear errors."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from bot.slack.download import trusted

ENV = {
    "SLACK_BOT_TOKEN": "xoxb-secret-1",
    "SLACK_APP_TOKEN": "xapp-secret-2",
    "SLACK_SIGNING_SECRET": "sig-3",
}


def test_repr_never_shows_a_token():
    shown = repr(Settings.from_env(ENV))
    for value in ENV.values():
        assert value not in shown


def test_api_url_gets_a_trailing_slash_and_must_be_http():
    assert (
        Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}).api_url
        == "http://127.0.0.1:9/api/"
    )
    with pytest.raises(SettingsError, match="SLACK_API_URL"):
        Settings.from_env({"SLACK_API_URL": "file:///etc/passwd"})


def test_empty_values_count_as_unset():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "  ", "SLACK_APP_TOKEN": ""})
    assert not settings.has_any_slack_credential


def test_upload_limit_and_workers_come_from_the_environment():
    settings = Settings.from_env(
        {"INTUNE_BOT_MAX_UPLOAD_MB": "5", "INTUNE_BOT_WORKERS": "3", "INTUNE_BOT_DB": "/tmp/h.db"}
    )
    assert (settings.max_upload_bytes, settings.workers, str(settings.db_path)) == (
        5 * 1024 * 1024,
        3,
        "/tmp/h.db",
    )
    with pytest.raises(SettingsError, match="INTUNE_BOT_MAX_UPLOAD_MB must be a whole number"):
        Settings.from_env({"INTUNE_BOT_MAX_UPLOAD_MB": "lots"})


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://files.slack.com/files-pri/T1-F1/download/a.evtx", True),
        ("https://files-edu.slack.com/x", True),
        ("https://slack.com/x", True),
        ("http://files.slack.com/x", False),  # never the token in clear text
        ("https://files.slack.com:8443/x", False),
        ("https://slack.com.evil.example/x", False),
        ("https://evilslack.com/x", False),
        ("http://127.0.0.1:9/files-pri/x", True),  # SLACK_API_URL's host and port
        ("http://127.0.0.1:10/files-pri/x", False),
        ("http://localhost:9/files-pri/x", False),
    ],
)
def test_token_goes_only_to_slack_or_the_api_url_host(url, ok):
    assert trusted(url, "http://127.0.0.1:9/api/") is ok


def test_resolvers_are_user_and_group_ids():
    assert Settings.from_env({}).resolvers == ()
    env = {"INTUNE_BOT_RESOLVERS": " U024BE7LH, S0614TZR7 ,W12345,"}
    assert Settings.from_env(env).resolvers == ("U024BE7LH", "S0614TZR7", "W12345")
    with pytest.raises(SettingsError, match="INTUNE_BOT_RESOLVERS.*@ana"):
        Settings.from_env({"INTUNE_BOT_RESOLVERS": "U024BE7LH,@ana"})


def test_env_example_and_readme_list_every_setting():
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    source = (repo / "bot" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'get\("((?:SLACK|INTUNE_BOT)_[A-Z_]+)"\)', source))
    assert {"SLACK_BOT_TOKEN", "INTUNE_BOT_DIGEST_TIME", "INTUNE_BOT_SHARED_HISTORY"} <= read
    example = (repo / ".env.example").read_text(encoding="utf-8")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert sorted(n for n in read if not re.search(rf"^#? ?{n}=", example, re.M)) == []
    assert sorted(n for n in read if f"`{n}`" not in readme) == []
