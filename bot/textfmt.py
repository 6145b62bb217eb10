"""Render core results as plain text for the terminal (CLI and local mode).

Slack rendering lives in bot/slack/render/; both read the same core values.
"""

from __future__ import annotations

import textwrap

from bot.answer import Answer, Match, generation_ids, other_spellings, shared_label, shared_number
from bot.knowledge import Entry

# The summary's and the history's words (bot.hops, bot.history_words, bot.listing and
# the dataclasses and pathlib they pull in, ~5 ms) load in the functions that print
# them: `intune-bot lookup` only formats an answer.

WIDTH = 88

USAGE = """\
Ask about an Intune certificate connector event, diagnostic code or failure:
  20502  ndes 31  CA 22      an event ID (connector, NDES, CA, device, IIS)
  500  403.16                an IIS answer on the SCEP URLs
  0x410  0x800706BA          a diagnostic code or HRESULT, any spelling
  CRPVerifyMetric_Failure    an event or code name, typos welcome
  why did PKCS issuance fail a question, in English or French"""

_LABELS = {
    "en": {"cause": "Likely causes", "fix": "What to do", "related": "Related",
           "doc": "Docs", "also": "Other matches", "nearest": "Nearest known", "inferred": "(our inference)",
           "unknown": "{id} is not in the catalogue of certificate-chain events and codes.",
           "nothing": "The catalogue has nothing on that: no event, code or known symptom matches.",
           "closest": "Closest match (not exact):", "did_you_mean": "Did you mean {id}?",
           "generations": "legacy connector {legacy} · current connector {current}",
           "shared": "Also {id} from: {others}", "seen_in": "Seen in",
           "written": "Also written",
           "kinds": {"event": "Event", "code": "Diagnostic code", "hresult": "HRESULT",
                     "http": "IIS answer", "symptom": "Symptom"}},
    "fr": {"cause": "Causes probables", "fix": "Que faire", "related": "Voir aussi",
           "doc": "Documentation", "also": "Autres résultats", "nearest": "Les plus proches", "inferred": "(notre déduction)",
           "unknown": "{id} n'est pas dans le catalogue des événements et codes de la chaîne de certificats.",
           "nothing": "Le catalogue n'a rien à ce sujet : aucun événement, code ni symptôme connu ne correspond.",
           "closest": "Résultat le plus proche (pas exact) :", "did_you_mean": "Vouliez-vous dire {id} ?",
           "generations": "ancien connecteur {legacy} · connecteur actuel {current}",
           "shared": "Aussi {id} de : {others}", "seen_in": "Vu dans",
           "written": "Aussi écrit",
           "kinds": {"event": "Événement", "code": "Code de diagnostic", "hresult": "HRESULT",
                     "http": "Réponse IIS", "symptom": "Symptôme"}},
}  # fmt: skip


def title(entry: Entry, lang: str = "en") -> str:
    kind = _LABELS.get(lang, _LABELS["en"])["kinds"][entry.kind]
    if entry.kind == "symptom":  # its slug is for the catalogue, not for people
        return f"{kind}: {entry.name}"
    return f"{kind} {entry.id_and_name}"


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
        if answer.did_you_mean:
            lines.append(labels["did_you_mean"].format(id=answer.did_you_mean))
        elif not best.exact:
            lines.append(labels["closest"])
        lines.append(format_entry(best.entry, lang, match=best))
    if others:
        lines += ["", (labels["nearest"] if answer.unknown_id else labels["also"]) + ":"]
        lines += [f"  {title(m.entry, lang)}" for m in others]
    return "\n".join(lines)


def format_entry(entry: Entry, lang: str = "en", match: Match | None = None) -> str:
    labels = _LABELS.get(lang, _LABELS["en"])
    out = [title(entry, lang)]
    if match is not None and (ids := generation_ids(match)):
        out.append(labels["generations"].format(legacy=ids[0], current=ids[1]))
    out.append(_wrap(entry.description.get(lang)))
    if entry.log:
        out.append(_wrap(f"{labels['seen_in']}: {entry.seen_in}"))
    if spellings := other_spellings(entry):
        out.append(f"{labels['written']}: {' · '.join(spellings)}")
    if entry.note:
        out.append(_wrap("Note: " + entry.note.get(lang)))
    for key, advice in (("cause", entry.causes), ("fix", entry.fixes)):
        if advice:
            out.append(labels[key] + ":")
            for item in advice:
                suffix = f" {labels['inferred']}" if item.inferred else ""
                out.append(_wrap(item.text.get(lang) + suffix, bullet="  - "))
    related = match.related if match is not None else entry.related
    if related:
        out.append(f"{labels['related']}: {', '.join(related)}")
    if entry.doc:
        out.append(f"{labels['doc']}: {entry.doc}")
    if match is not None and match.shared:
        others = ", ".join(shared_label(e) for e in match.shared)
        out.append(labels["shared"].format(id=shared_number(entry), others=others))
    return "\n".join(out)



def _wrap(text: str, bullet: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=bullet, subsequent_indent=" " * len(bullet))


_SUMMARY_LABELS = {
    "en": {
        "records": "{n} records ({fmt}), {c} from the connector", "thousands": ",",
        "span": "From {first} to {last} (UTC)", "servers": "Servers",
        "damaged": "Warning: {n} part(s) of the file could not be read, so failures may be "
                   "missing: see \"Problems reading the file\" below.",
        "no_connector": "No Intune connector events in this file: was the right log exported? "
                        "(Microsoft Intune Connector, Microsoft-Intune-CertificateConnectors/"
                        "Admin or /Operational, or Application)",
        "no_failures": "No connector failures.", "mostly": "Mostly: {what} on {where}",
        "failures": "Failures", "warnings": "Warnings", "retries": "Retries (tried again)",
        "devices": "devices", "cas": "CAs", "templates": "templates",
        "device": "device", "ca": "CA", "template": "template", "more": "+{n} more",
        "later": "{n} later succeeded", "rates": "Success rate by operation",
        "ok_failed": "{ok} ok, {bad} failed", "check": "Check first",
        "noise": "Benign noise (not failures)", "problems": "Problems reading the file", "note": "Note",
        "cut": "…and {kinds} more kinds ({events} events) past the {kept} kinds kept: counted "
               "in the totals, not listed",
        "and_more": "…and {n} more", "with": "with", "unnamed": "an unnamed server",
        "chain": "Chain", "broken": "BROKEN HERE", "n_failed": "{n} failed", "ok": "ok",
        "no_log": "no log", "first_fix": "fix",
    },
    "fr": {
        "records": "{n} enregistrements ({fmt}), {c} du connecteur",
        "thousands": "\u202f",  # French groups digits with a narrow no-break space
        "span": "Du {first} au {last} (UTC)", "servers": "Serveurs",
        "damaged": "Attention : {n} partie(s) du fichier illisible(s), des échecs peuvent "
                   "manquer : voir « Problèmes de lecture » plus bas.",
        "no_connector": "Aucun événement du connecteur Intune dans ce fichier : le bon journal "
                        "a-t-il été exporté ? (Connecteur Microsoft Intune, "
                        "Microsoft-Intune-CertificateConnectors/Admin ou /Operational, ou "
                        "Application)",
        "no_failures": "Aucun échec du connecteur.", "mostly": "Surtout : {what} sur {where}",
        "failures": "Échecs", "warnings": "Avertissements", "retries": "Nouvelles tentatives",
        "devices": "appareils", "cas": "AC", "templates": "modèles",
        "device": "appareil", "ca": "AC", "template": "modèle", "more": "+{n} autres",
        "later": "{n} réussis ensuite", "rates": "Taux de réussite par opération",
        "ok_failed": "{ok} réussis, {bad} en échec", "check": "À vérifier d'abord",
        "noise": "Bruit sans gravité (pas des échecs)", "problems": "Problèmes de lecture", "note": "Remarque",
        "cut": "…et {kinds} autres types ({events} événements) au-delà des {kept} gardés : "
               "comptés dans les totaux, non listés",
        "and_more": "…et {n} de plus", "with": "avec", "unnamed": "un serveur sans nom",
        "chain": "Chaîne", "broken": "CASSÉE ICI", "n_failed": "{n} en échec", "ok": "ok",
        "no_log": "pas de journal", "first_fix": "correctif",
    },
}  # fmt: skip

SHOWN_FAILURES = 15
SHOWN_EXAMPLES = 3


def format_summary(summary, lang: str = "en") -> str:
    """A summary as a terminal report: verdict first, then the detail."""
    from bot.hops import HOP_LABELS

    t = _SUMMARY_LABELS.get(lang, _SUMMARY_LABELS["en"])
    d = summary.to_dict()
    out = [f"{d['file']}: " + t["records"].format(n=_n(d["records"], t), fmt=d["format"],
                                                   c=_n(d["connector_events"], t))]  # fmt: skip
    if d["first"]:
        out.append(t["span"].format(first=d["first"], last=d["last"]))
    if d["servers"]:
        out.append(f"{t['servers']}: " + ", ".join(d["servers"]))
    out += [f"{t['note']}: {note}" for note in d.get("notes") or ()]
    if d["problems"]:  # said first: a failure may be in what could not be read
        out.append(t["damaged"].format(n=len(d["problems"])))
    if d.get("hops") and (len(d["hops"]) > 1 or "connector" not in d["hops"]):
        out.append(f"{t['chain']}: " + _chain_line(d["hops"], t))
    if not d["connector_events"]:
        out.append(t["no_connector"])
    elif not d["failures"]:
        out.append(t["no_failures"])
    else:
        top = d["failures"][0]
        where = ", ".join(top["servers"]) or t["unnamed"]
        out.append(t["mostly"].format(what=_what(top, t), where=where))
        total = sum(g["count"] for g in d["failures"])
        total += (d.get("cut") or {}).get("failures", {}).get("events", 0)
        out += ["", f"{t['failures']}: {_n(total, t)}"]
        by_hop = len({g.get("hop") for g in d["failures"]}) > 1
        last_hop = None
        for g in _by_hop(d["failures"])[:SHOWN_FAILURES]:
            if by_hop and g.get("hop") != last_hop:
                last_hop = g.get("hop")
                out.append(f" {HOP_LABELS.get(last_hop, last_hop)}:")
            out.append("  " + _group_line(g, t))
            if by_hop and g.get("fix"):
                fix = g["fix"].get(lang) or g["fix"]["en"]
                out.append(_wrap(f"{t['first_fix']}: {fix}", bullet="      "))
            for key, one in (("devices", "device"), ("cas", "ca"), ("templates", "template")):
                found = g[key]
                if found["count"]:
                    shown = found["examples"][:SHOWN_EXAMPLES]
                    rest = found["count"] - len(shown)
                    more = f" ({t['more'].format(n=_n(rest, t))})" if rest > 0 else ""
                    noun = t[one] if found["count"] == 1 else t[key]
                    out.append(f"      {_n(found['count'], t)} {noun}: {', '.join(shown)}{more}")
        if len(d["failures"]) > SHOWN_FAILURES:
            out.append("  " + t["and_more"].format(n=len(d["failures"]) - SHOWN_FAILURES))
        if cut := (d.get("cut") or {}).get("failures"):
            out.append("  " + t["cut"].format(kinds=_n(cut["kinds"], t), events=_n(cut["events"], t),
                                              kept=_n(cut["kept"], t)))  # fmt: skip
    for key in ("warnings", "retries"):
        if d[key]:
            out += ["", f"{t[key]}:"] + ["  " + _group_line(g, t) for g in d[key][:10]]
    if d["success_rates"]:
        out += ["", f"{t['rates']}:"]
        from bot.operations import label

        named = [(label(r["operation"], lang), r) for r in d["success_rates"]]
        width = max(len(name) for name, _ in named)
        for name, r in named:
            counts = t["ok_failed"].format(ok=_n(r["succeeded"], t), bad=_n(r["failed"], t))
            out.append(f"  {name:<{width}}  {r['rate']:6.1%}  ({counts})")
    check = d["check_first"]
    if check and (check["fixes"] or check["causes"]):
        out += ["", f"{t['check']}:"]
        for fix in (check["fixes"] or check["causes"])[:4]:
            out.append(_wrap(fix[lang] if fix.get(lang) else fix["en"], bullet="  - "))
    if d["noise"]:
        out += ["", f"{t['noise']}:"]
        out += [f"  event {n['event_id']} x{n['count']}: {n['reason']}" for n in d["noise"]]
    if d["problems"]:
        out += ["", f"{t['problems']} ({len(d['problems'])}):"]
        out += [f"  {p['where']}: {p['reason']}" for p in d["problems"][:10]]
        if len(d["problems"]) > 10:
            out.append("  " + t["and_more"].format(n=len(d["problems"]) - 10))
    return "\n".join(out)


def _what(g: dict, t: dict) -> str:
    code = f" {t['with']} {g['code']} {g['code_name'] or ''}".rstrip() if g["code"] else ""
    ident = f"{g['event_id']} " if g.get("event_id") else ""  # IIS and trace lines have none
    return f"{_n(g['count'], t)} x {ident}{g['name']}{code}"


def _chain_line(hops: dict, t: dict) -> str:
    """device ok -> IIS/NDES 3 failed (BROKEN HERE) -> connector no log -> CA 2 failed"""
    from bot.hops import chain_steps

    parts = []
    for step in chain_steps(hops):
        if not step["seen"]:
            state = t["no_log"]
        elif step["failures"]:
            state = t["n_failed"].format(n=_n(step["failures"], t))
            state += f" ({t['broken']})" if step["broken"] else ""
        else:
            state = t["ok"]
        parts.append(f"{step['label']} [{state}]")
    return " → ".join(parts)


def _by_hop(groups: list[dict]) -> list[dict]:
    """Failures in chain order (device first), most frequent first within a hop."""
    from bot.hops import HOPS

    order = {h: i for i, h in enumerate(HOPS)}
    return sorted(groups, key=lambda g: order.get(g.get("hop"), len(order)))


def _n(n: int, t: dict) -> str:
    """A count with the language's digit grouping: 12,345 / 12 345."""
    return f"{n:,}".replace(",", t["thousands"])


def _group_line(g: dict, t: dict) -> str:
    when = g["first"] if g["first"] == g["last"] else f"{g['first']} .. {g['last']}"
    later = ", " + t["later"].format(n=g["later_succeeded"]) if g.get("later_succeeded") else ""
    return f"{_what(g, t)}  ({when}{later})"


# --- what the history says --------------------------------------------------------------


def format_known(places: list[dict]) -> str:
    """What the history knows about a question (`triage.what_history_knows`, as dicts)."""
    from bot.history_words import TERMINAL, failure, recent
    from bot.listing import no_incidents

    out: list[str] = []
    for place in places:
        server = place.get("server")
        where = "this thread's incidents" if place.get("where") == "thread" else server
        if not place.get("items"):
            out.append(no_incidents(server))
            continue
        out.append(f"What the history knows about {where}:")
        for item in place["items"]:
            inc = item["incident"]
            what = failure(inc.get("event_id"), inc.get("code"))
            out.append(
                f"  #{inc.get('id')} {what} on {TERMINAL.server(inc.get('server'))}, "
                f"{int(inc.get('count', 0)):,}x, "
                f"{TERMINAL.when(inc.get('first'))} -> {TERMINAL.when(inc.get('last'))} UTC, {inc.get('status')}"
            )
            if (item.get("recent") or {}).get("incidents"):
                out.append("    " + recent(item["recent"]))
    return "\n".join(out)
