"""`intune-bot playground`: the real bot in a browser page that looks like a Slack channel.

Three parts, all on this machine and in this process:

- the fake Slack Web API (bot.slack.fake_api) on a free loopback port;
- the real Bolt app, built by `create_app` exactly as `intune-bot run` builds
  it, with the fake as its SLACK_API_URL and the fake's test token;
- the page (site.py, static/), which draws what the app sent the fake
  (workspace.py) and delivers what the person does as Slack would (delivery.py).

No Slack token, no network. The history is a fresh file in a temporary folder
(gone on exit) unless `db` names one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Playground"]


def __getattr__(name: str) -> Any:
    # Lazy: `intune-bot` registers the command without loading slack_bolt or the history.
    if name == "Playground":
        from bot.playground.runtime import Playground

        return Playground
    raise AttributeError(name)
