"""Render core results as plain text for the terminal (CLI and local mode).

Slack rendering lives in bot/slack/render.py; both read the same core values.
"""

from __future__ import annotations

import textwrap

from bot.knowledge import Entry
from bot.search import Answer

WIDTH = 88

USAGE = """\
Ask about an Intune certificate connector event, diagnostic code or failure:
  20502                      an event ID (legacy 10010-20602, new connector 1000-4999)
  0x410  0x800706BA          a diagnostic code or HRESULT, any spelling
  CRPVerifyMetric_Failure    an event or code name, typos welcome
  why did PKCS issuance fail a question, in English or French"""

_LABELS = {
    "en": {"cause": "Likely causes", "fix": "What to do", "related": "Related",
           "doc": "Docs", "also": "Other matches", "inferred": "(our inference)",
           "unknown": "{id} is not in the catalogue of Intune connector events and codes.",
           "nothing": "No event or code matches that.",
           "kinds": {"event": "Event", "code": "Diagnostic code", "hresult": "HRESULT"}},
    "fr": {"cause": "Causes probables", "fix": "Que faire", "related": "Voir aussi",
           "doc": "Documentation", "also": "Autres résultats", "inferred": "(notre déduction)",
           "unknown": "{id} n'est pas dans le catalogue des événements et codes du connecteur.",
           "nothing": "Aucun événement ni code ne correspond.",
           "kinds": {"event": "Événement", "code": "Code de diagnostic", "hresult": "HRESULT"}},
}  # fmt: skip


def title(entry: Entry, lang: str = "en") -> str:
    kind = _LABELS[lang]["kinds"][entry.kind]
    return f"{kind} {entry.id} {entry.name}"


def format_answer(answer: Answer, lang: str = "en") -> str:
    """The best match in full, then one line per other match."""
    labels = _LABELS.get(lang, _LABELS["en"])
    if answer.is_help:
        return USAGE
    lines: list[str] = []
    if answer.unknown_id:
        lines.append(labels["unknown"].format(id=answer.unknown_id))
    if not answer.matches:
        lines += [labels["nothing"], "", USAGE]
        return "\n".join(lines)
    best, others = answer.matches[0], answer.matches[1:]
    if answer.unknown_id and not best.exact:
        others = answer.matches  # nothing is "the" answer; list the nearest ones
    else:
        lines.append(format_entry(best.entry, lang))
    if others:
        lines += ["", labels["also"] + ":"]
        lines += [f"  {title(m.entry, lang)}  ({m.score:.0f})" for m in others]
    return "\n".join(lines)


def format_entry(entry: Entry, lang: str = "en") -> str:
    labels = _LABELS.get(lang, _LABELS["en"])
    out = [title(entry, lang), _wrap(entry.description.get(lang))]
    if entry.note:
        out.append(_wrap("Note: " + entry.note.get(lang)))
    for key, advice in (("cause", entry.causes), ("fix", entry.fixes)):
        if advice:
            out.append(labels[key] + ":")
            for item in advice:
                suffix = f" {labels['inferred']}" if item.inferred else ""
                out.append(_wrap(item.text.get(lang) + suffix, bullet="  - "))
    if entry.related:
        out.append(f"{labels['related']}: {', '.join(entry.related)}")
    if entry.doc:
        out.append(f"{labels['doc']}: {entry.doc}")
    return "\n".join(out)


def _wrap(text: str, bullet: str = "") -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=bullet, subsequent_indent=" " * len(bullet)
    )
