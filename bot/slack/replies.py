"""Core results for what a person typed: parse, ask the core, render. No Slack I/O here."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.asking import ask
from bot.commands import Command, guess_lang, parse, strip_mentions
from bot.listing import SLACK, VERBS, listing, nothing_listed
from bot.search import lookup
from bot.slack import render
from bot.slack.kept import thread_incident_ids
from bot.slack.membership import Scope

log = logging.getLogger(__name__)


def command(text: str, db: Path | None, *, scope: Scope) -> render.Message:
    """`/intune TEXT`: help, history [SERVER], servers, or a lookup with a share button.

    `scope` says what of the history the reader may see (bot/slack/membership.py).
    """
    cmd = parse(text)
    if cmd.verb == "help":
        return render.help_message()
    if cmd.verb in VERBS:
        if db is None:
            return render.plain("The history store is not available right now.")
        found = listing(db, cmd.verb, cmd.arg, visible_of=scope)
        if found.missing is not None or found.error is not None:
            return render.plain(nothing_listed(found, SLACK) or "")
        if cmd.verb == "servers":
            return render.servers([s.to_dict() for s in found.servers])
        return render.incidents([i.to_dict() for i in found.incidents], found.server)
    return looked_up(cmd, guess_lang(cmd.arg))


def looked_up(cmd: Command, lang: str, *, share: bool = True) -> render.Message:
    """A lookup's answer; a line of several IDs gets one answer for each."""
    if cmd.ids:
        found = [lookup(i, lang=lang) for i in cmd.ids]
        return render.answers(found, cmd.arg, lang, share=share)
    return render.answer(lookup(cmd.arg, lang=lang), lang, share=share)


def shared(value: str) -> render.Message:
    """The answer a "Share in channel" button asked to post for everyone."""
    try:
        data = json.loads(value)
        query, lang = str(data["q"]), str(data.get("lang", "en"))
    except (ValueError, KeyError, TypeError):
        query, lang = value, "en"
    return looked_up(parse(query), lang, share=False)


def question(
    text: str, db: Path | None, thread: tuple[str, str] | None = None, *, scope: Scope
) -> render.Message:
    """A mention or a DM: the same verbs, else a lookup plus what the history knows.

    The history part covers the servers the question names and, asked in the thread
    of a summary (`thread` is its channel and thread_ts), that summary's incidents.
    """
    text = strip_mentions(text)
    cmd = parse(text)
    if cmd.verb != "lookup":
        return command(text, db, scope=scope)
    if cmd.ids:
        return looked_up(cmd, guess_lang(text), share=False)
    extra = thread_incident_ids(db, *thread) if db and thread else []
    asked = ask(text, db, scope=scope, thread=thread, thread_ids=extra)
    if asked.history_error:  # the answer still goes out
        log.warning("history not read: %s", asked.history_error)
    msg = render.answer(asked.answer, asked.lang, share=False)
    msg["blocks"] += render.history_knows([k.to_dict() for k in asked.known])
    return render.message(msg["text"], msg["blocks"])
