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
           "doc": "Docs", "also": "Other matches", "nearest": "Nearest known", "inferred": "(our inference)",
           "unknown": "{id} is not in the catalogue of Intune connector events and codes.",
           "nothing": "No event or code matches that.",
           "kinds": {"event": "Event", "code": "Diagnostic code", "hresult": "HRESULT"}},
    "fr": {"cause": "Causes probables", "fix": "Que faire", "related": "Voir aussi",
           "doc": "Documentation", "also": "Autres résultats", "nearest": "Les plus proches", "inferred": "(notre déduction)",
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
        lines += ["", (labels["nearest"] if answer.unknown_id else labels["also"]) + ":"]
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
    return textwrap.fill(text, WIDTH, initial_indent=bullet, subsequent_indent=" " * len(bullet))


def format_summary(summary, lang: str = "en") -> str:
    """A summary as a terminal report: verdict first, then the detail."""
    d = summary.to_dict()
    out = [f"{d['file']}: {d['records']:,} records ({d['format']}), "
           f"{d['connector_events']:,} from the connector"]  # fmt: skip
    if d["first"]:
        out.append(f"From {d['first']} to {d['last']}")
    if d["servers"]:
        out.append("Servers: " + ", ".join(d["servers"]))
    if not d["failures"]:
        out.append("No connector failures.")
    else:
        top = d["failures"][0]
        code = f" with {top['code']} {top['code_name'] or ''}".rstrip() if top["code"] else ""
        where = ", ".join(top["servers"]) or "an unnamed server"
        out.append(f"Mostly: {top['count']} x {top['event_id']} {top['name']}{code} on {where}")
        total = sum(g["count"] for g in d["failures"])
        out += ["", f"Failures: {total:,}"]
        for g in d["failures"][:15]:
            out.append("  " + _group_line(g))
            for label, key in (("devices", "devices"), ("CAs", "cas"), ("templates", "templates")):
                if g[key]["count"]:
                    examples = ", ".join(g[key]["examples"][:3])
                    out.append(f"      {g[key]['count']} {label}: {examples}")
        if len(d["failures"]) > 15:
            out.append(f"  …and {len(d['failures']) - 15} more")
    for title_, key in (("Warnings", "warnings"), ("Retries", "retries")):
        if d[key]:
            out += ["", f"{title_}:"] + ["  " + _group_line(g) for g in d[key][:10]]
    if d["success_rates"]:
        out += ["", "Success rate by operation:"]
        for r in d["success_rates"]:
            out.append(f"  {r['operation']:<24} {r['rate']:6.1%}  "
                       f"({r['succeeded']} ok, {r['failed']} failed)")  # fmt: skip
    check = d["check_first"]
    if check:
        out += ["", "Check first:"]
        for fix in (check["fixes"] or check["causes"])[:4]:
            out.append(_wrap(fix[lang] if fix.get(lang) else fix["en"], bullet="  - "))
    if d["noise"]:
        out += ["", "Benign noise (not failures):"]
        out += [f"  event {n['event_id']} x{n['count']}: {n['reason']}" for n in d["noise"]]
    if d["problems"]:
        out += ["", f"Problems reading the file ({len(d['problems'])}):"]
        out += [f"  {p['where']}: {p['reason']}" for p in d["problems"][:10]]
    return "\n".join(out)


def _group_line(g: dict) -> str:
    code = f" {g['code']}" + (f" {g['code_name']}" if g["code_name"] else "") if g["code"] else ""
    when = g["first"] if g["first"] == g["last"] else f"{g['first']} .. {g['last']}"
    later = f", {g['later_succeeded']} later succeeded" if g.get("later_succeeded") else ""
    return f"{g['count']:>6} x {g['event_id']} {g['name']}{code}  ({when}{later})"
