"""Settings for `intune-bot run`, read from the environment once, at startup.

Listeners never read `os.environ`; they get a `Settings` through the app
factory. Tokens are kept out of `repr()` so a logged `Settings` leaks nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

SLACK_API_URL = "https://slack.com/api/"
README_SETUP = 'README, "Run in Slack"'

# What each variable is and where a person gets it: the one line we print when it is missing.
HOW_TO_GET = {
    "SLACK_BOT_TOKEN": (
        "the Bot User OAuth Token (xoxb-…): create the app from manifest.yml at "
        "https://api.slack.com/apps, install it, then copy it from OAuth & Permissions"
    ),
    "SLACK_APP_TOKEN": (
        "an app-level token (xapp-…) with the connections:write scope: "
        "Basic Information → App-Level Tokens → Generate"
    ),
    "SLACK_SIGNING_SECRET": "the Signing Secret from the app's Basic Information page",
}
PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}


class SettingsError(ValueError):
    """A setting is missing or wrong; str(err) is one line that says how to fix it."""


def default_db_path() -> Path:
    """The same per-user history file `intune-bot history` reads (bot.history.default_path)."""
    from bot.history import default_path

    return default_path()


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    api_url: str = SLACK_API_URL
    db_path: Path = field(default_factory=default_db_path)
    max_upload_bytes: int = 200 * 1024 * 1024
    workers: int = 2  # parallel file parses; each one is CPU- and disk-heavy
    download_floor: float = 60.0  # seconds any download may take, plus 2 s per MB of it
    progress_interval: float = 2.0  # seconds between "reading…" updates (rate limits)
    digest_channel: str | None = None  # channel ID for the daily digest; None: no digest
    digest_time: time = time(8, 0)  # when the digest goes out, UTC
    resolvers: tuple[str, ...] = ()  # user (U…/W…) and user group (S…) IDs; empty: anyone
    # False: what a log shared in a channel taught is shown only to that channel's members.
    shared_history: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the SLACK_* and INTUNE_BOT_* variables; empty values count as unset."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        api_url = get("SLACK_API_URL") or SLACK_API_URL
        if not api_url.endswith("/"):
            api_url += "/"  # WebClient joins method names onto it
        if urlsplit(api_url).scheme not in ("http", "https"):
            raise SettingsError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
        db = get("INTUNE_BOT_DB")
        return cls(
            bot_token=get("SLACK_BOT_TOKEN"),
            app_token=get("SLACK_APP_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            api_url=api_url,
            db_path=Path(db).expanduser() if db else default_db_path(),
            max_upload_bytes=_megabytes(get("INTUNE_BOT_MAX_UPLOAD_MB"), 200),
            workers=_int(get("INTUNE_BOT_WORKERS"), "INTUNE_BOT_WORKERS", 2),
            digest_channel=_channel(get("INTUNE_BOT_DIGEST_CHANNEL")),
            digest_time=_clock(get("INTUNE_BOT_DIGEST_TIME"), time(8, 0)),
            resolvers=_resolvers(get("INTUNE_BOT_RESOLVERS")),
            shared_history=_switch(get("INTUNE_BOT_SHARED_HISTORY"), "INTUNE_BOT_SHARED_HISTORY"),
        )

    @property
    def has_any_slack_credential(self) -> bool:
        return any((self.bot_token, self.app_token, self.signing_secret))

    def check(self, *, http: bool) -> None:
        """Raise SettingsError naming every missing or malformed variable for this mode."""
        needed = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN"]
        values = {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_APP_TOKEN": self.app_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
        }
        missing = [name for name in needed if not values[name]]
        if missing:
            how = "; ".join(f"{name} is {HOW_TO_GET[name]}" for name in missing)
            mode = "HTTP mode" if http else "Socket Mode"
            verb = "is" if len(missing) == 1 else "are"
            raise SettingsError(
                f"{' and '.join(missing)} {verb} not set ({mode} needs "
                f"{'it' if len(missing) == 1 else 'them'}). {how}. "
                f"See {README_SETUP}."
            )
        for name in needed:
            prefix = PREFIXES.get(name)
            if prefix and not values[name].startswith(prefix):  # type: ignore[union-attr]
                raise SettingsError(
                    f"{name} does not look right: it should start with {prefix!r}. "
                    f"It is {HOW_TO_GET[name]}. See {README_SETUP}."
                )


def _int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise SettingsError(f"{name} must be at least 1, not {number}")
    return number


def _switch(value: str | None, name: str) -> bool:
    """1 / true / yes / on, or 0 / false / no / off (unset: off)."""
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 (on) or 0 (off), not {value!r}")


def _resolvers(value: str | None) -> tuple[str, ...]:
    """INTUNE_BOT_RESOLVERS: comma-separated Slack user (U…, W…) or user group (S…) IDs."""
    ids = tuple(v.strip() for v in (value or "").split(",") if v.strip())
    for slack_id in ids:
        if not re.fullmatch(r"[UWS][A-Z0-9]{2,20}", slack_id):
            raise SettingsError(
                f"INTUNE_BOT_RESOLVERS: {slack_id!r} is not a Slack user (U…) or user group (S…) ID; "
                "copy it from the profile's ⋮ menu → Copy member ID"
            )
    return ids


def _megabytes(value: str | None, default: int) -> int:
    return _int(value, "INTUNE_BOT_MAX_UPLOAD_MB", default) * 1024 * 1024


def _channel(value: str | None) -> str | None:
    """INTUNE_BOT_DIGEST_CHANNEL: a channel ID (C…, G…), not a name: names change."""
    if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,20}", value):
        raise SettingsError(
            f"INTUNE_BOT_DIGEST_CHANNEL must be a channel ID like C0123ABCD, not {value!r}: "
            "open the channel's details, the ID is at the bottom"
        )
    return value


def _clock(value: str | None, default: time) -> time:
    """INTUNE_BOT_DIGEST_TIME: HH:MM, 24-hour, UTC."""
    if value is None:
        return default
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value)
    if not match:
        raise SettingsError(f"INTUNE_BOT_DIGEST_TIME must be HH:MM in UTC, like 08:00, not {value!r}")
    return time(int(match[1]), int(match[2]))
