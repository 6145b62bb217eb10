"""Block Kit for core results: every Slack message the bot sends is built in this package.

Each function returns `{"text": ..., "blocks": [...]}`, ready for `respond(**msg)`,
`say(**msg)` or `chat_update(**msg)`. One module per concern:

- `blocks`: escaping, Slack's limits, the section / context / list primitives;
- `actions`: action IDs and what button values carry;
- `answers`: lookup answers and the help text;
- `summaries`: the failure summary of an uploaded log, and its buttons;
- `incidents`: history lines, /intune history and servers, the digest, the resolve
  modal, similar incidents, what the history knows.

The names below are what listeners use; `render.summary(...)` reads as what it posts.
"""

from bot.slack.render.actions import (
    NOTE_BLOCK,
    NOTE_INPUT,
    NOTE_MAX,
    RESOLVE_ACTION,
    RESOLVE_VIEW,
    SHARE_ACTION,
    SHOW_ALL_ACTION,
    SIMILAR_ACTION,
    ids_value,
    incident_ids,
    parse_ids,
)
from bot.slack.render.answers import answer, answers, help_message
from bot.slack.render.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    Message,
    code,
    crashed,
    escape,
    message,
    plain,
    section,
)
from bot.slack.render.incidents import (
    digest,
    history_knows,
    incidents,
    known,
    not_allowed,
    resolve_modal,
    resolved_in_thread,
    servers,
    similar,
    summary_gone,
)
from bot.slack.render.server_question import (
    SERVER_ACTION,
    SERVER_BLOCK,
    SERVER_INPUT,
    SERVER_MAX,
    SERVER_OTHER_ACTION,
    SERVER_VIEW,
    ask_server,
    choice_value,
    not_recorded,
    parse_choice,
    recorded_under,
    server_modal,
)
from bot.slack.render.summaries import (
    CHECKING_HISTORY,
    problem,
    reading,
    size,
    summary,
    summary_full,
)

__all__ = [
    "CHECKING_HISTORY", "MAX_BLOCKS", "MAX_SECTION", "NOTE_BLOCK", "NOTE_INPUT", "NOTE_MAX", "RESOLVE_ACTION",
    "RESOLVE_VIEW", "SERVER_ACTION", "SERVER_BLOCK", "SERVER_INPUT", "SERVER_MAX", "SERVER_OTHER_ACTION",
    "SERVER_VIEW", "SHARE_ACTION", "SHOW_ALL_ACTION", "SIMILAR_ACTION", "Message", "answer", "answers", "ask_server",
    "choice_value", "code", "crashed", "digest", "escape", "help_message", "history_knows", "ids_value", "incident_ids",
    "incidents", "known", "message", "not_allowed", "not_recorded", "parse_choice", "parse_ids", "plain", "problem", "reading", "recorded_under",
    "resolve_modal", "resolved_in_thread", "section", "server_modal", "servers", "similar", "size", "summary",
    "summary_full", "summary_gone",
]  # fmt: skip
