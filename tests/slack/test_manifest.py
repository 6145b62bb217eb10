"""manifest.yml agrees with what the app listens to (slack.md §3)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.slack import listeners
from bot.slack.dedupe import Seen

MANIFEST = Path(__file__).parent.parent.parent / "manifest.yml"

# Which manifest event delivers each Bolt listener, and the scope that event needs (slack.md §3.2).
EVENT_SCOPES = {
    "app_home_opened": None,  # no scope: views.publish needs only the Home tab enabled
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
}
LISTENED = {
    "app_home_opened": ["app_home_opened"],
    "app_mention": ["app_mention"],
    "message": ["message.channels", "message.groups", "message.im"],  # file_share and DMs
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_parses_with_required_keys(manifest):
    assert 0 < len(manifest["display_information"]["name"]) <= 35
    assert len(manifest["display_information"]["description"]) <= 140
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["token_rotation_enabled"] is False


def test_slash_command_is_intune_with_usage(manifest):
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/intune"
    assert command["description"]
    assert len(command["description"]) <= 2000
    assert "help" in command["usage_hint"]
    assert len(command["usage_hint"]) <= 1000
    assert command["should_escape"] is False
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_every_listened_event_is_subscribed_and_scoped(manifest):
    subscribed = manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    registered = listened_event_types()
    assert registered == set(LISTENED)
    for event_type in registered:
        for event in LISTENED[event_type]:
            assert event in subscribed, event
            assert EVENT_SCOPES[event] is None or EVENT_SCOPES[event] in scopes, event


def test_no_event_or_scope_without_a_use(manifest):
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert subscribed == {e for events in LISTENED.values() for e in events}
    used = {"commands", "chat:write", "files:read", *(EVENT_SCOPES[e] for e in subscribed)}
    used |= {scope for m in web_api_calls() for scope in needs(m)}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == used - {None}


def test_home_tab_is_enabled_for_app_home_opened(manifest):
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def listened_event_types() -> set[str]:
    """The event types the real listeners are registered for, read from a real App."""
    from slack_bolt import App

    app = App(token="xoxb-x", signing_secret="x", token_verification_enabled=False)
    listeners.register(app, SimpleNamespace(seen=Seen()))  # type: ignore[arg-type]
    types = set()
    for listener in app._listeners:
        for matcher in listener.matchers:
            constraints = getattr(matcher, "func", None)
            event = _event_type(constraints)
            if event:
                types.add(event)
    return types


def _event_type(func) -> str | None:
    # Bolt's builtin event matcher closes over the constraints it was given.
    for cell in getattr(func, "__closure__", None) or ():
        value = cell.cell_contents
        if isinstance(value, str) and value in ("app_mention", "message", "app_home_opened"):
            return value
        if isinstance(value, dict) and value.get("type"):
            return value["type"]
    return None


# The scope each Web API call in bot/slack/ needs (slack.md §3.2); None: no scope; a tuple:
# one per kind of conversation the call reads.
CONVERSATIONS_READ = ("channels:read", "groups:read", "im:read", "mpim:read")
API_SCOPES = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "files_info": "files:read",
    "files_upload_v2": "files:write",  # files.getUploadURLExternal + files.completeUploadExternal
    "reactions_add": "reactions:write",
    "reactions_remove": "reactions:write",
    "usergroups_users_list": "usergroups:read",
    # Who may see history learned in a channel (bot/slack/membership.py): every kind of
    # conversation a log can be shared in.
    "users_conversations": CONVERSATIONS_READ,
    "conversations_members": CONVERSATIONS_READ,
    "views_open": None,
    "views_update": None,
    "views_publish": None,
}
SOURCES = Path(__file__).parent.parent.parent / "bot" / "slack"


def needs(method: str) -> tuple[str, ...]:
    scope = API_SCOPES[method]
    return () if scope is None else (scope,) if isinstance(scope, str) else scope


def web_api_calls() -> set[str]:
    """Every WebClient method named in bot/slack/ (reactions.py names them as strings too)."""
    from slack_sdk import WebClient

    methods = {m for m in dir(WebClient) if not m.startswith("_") and "_" in m}
    words = {w for f in SOURCES.glob("*.py") for w in re.findall(r"\b[a-z]+_\w+\b", f.read_text())}
    return {w for w in words & methods if w.split("_")[0] in FAMILIES}


FAMILIES = {"auth", "chat", "files", "reactions", "views", "users", "usergroups", "conversations",
            "pins", "bookmarks", "team", "apps", "dnd", "emoji", "reminders"}  # fmt: skip


def test_every_web_api_call_is_scoped(manifest):
    calls = web_api_calls()
    assert {"chat_postMessage", "files_upload_v2", "reactions_add"} <= calls  # the scan works
    unknown = calls - set(API_SCOPES)
    assert not unknown, f"add these to API_SCOPES with the scope each needs: {unknown}"
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    for method in calls:
        assert set(needs(method)) <= scopes, method
