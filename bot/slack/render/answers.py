"""Lookup answers: an event, code or HRESULT in full, the nearest matches, the help text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.answer import Answer, Match, generation_ids, other_spellings, shared_label, shared_number
from bot.knowledge import Advice, Entry
from bot.slack.render.actions import share_button
from bot.slack.render.blocks import Message, code, context, escape, list_section, message, section
from bot.slack.render.blocks import url as _url

KINDS = {"event": "Event", "code": "Diagnostic code", "hresult": "HRESULT", "http": "IIS answer",
         "symptom": "Symptom"}  # fmt: skip
KINDS_FR = {"event": "Événement", "code": "Code de diagnostic", "hresult": "HRESULT",
            "http": "Réponse IIS", "symptom": "Symptôme"}  # fmt: skip
LABELS = {
    "en": {"cause": "Likely cause", "fix": "What to do", "related": "Related",
           "doc": "Documentation", "also": "Other matches", "inferred": "_(our inference)_",
           "unknown": "{id} is not in the catalogue of certificate-chain events and codes.",
           "nearest": "Nearest entries",
           "nothing": "The catalogue has nothing on “{q}”: no event, code or known symptom matches.",
           "closest": "Closest match (not exact):", "did_you_mean": "Did you mean {id}?",
           "generations": "legacy connector {legacy} · current connector {current}",
           "shared": "Also {id} from: {others}", "seen_in": "Seen in",
           "written": "Also written", "share": "Share in channel"},
    "fr": {"cause": "Cause probable", "fix": "Que faire", "related": "Voir aussi",
           "doc": "Documentation", "also": "Autres résultats", "inferred": "_(notre déduction)_",
           "unknown": "{id} n'est pas dans le catalogue des événements et codes de la chaîne de certificats.",
           "nearest": "Entrées les plus proches",
           "nothing": "Le catalogue n'a rien sur « {q} » : aucun événement, code ni symptôme connu.",
           "closest": "Résultat le plus proche (pas exact) :",
           "did_you_mean": "Vouliez-vous dire {id} ?",
           "generations": "ancien connecteur {legacy} · connecteur actuel {current}",
           "shared": "Aussi {id} de : {others}", "seen_in": "Vu dans",
           "written": "Aussi écrit", "share": "Partager dans le canal"},
}  # fmt: skip

HELP = """\
*Intune certificate connector triage*
• `/intune 20502` an event ID · `/intune 0x410` a diagnostic code or HRESULT, any spelling · `/intune 20502 0x410` several at once
• `/intune crpverify faliure` an event or code name, typos welcome
• `/intune why did PKCS issuance fail` a question, in English or French
• `/intune history [SERVER]` what the history store knows · `/intune servers` the connector servers seen
• Drop an event log export (`.evtx`, or Event Viewer XML / CSV / TXT) in a channel I am in, \
or in a DM: I answer in its thread with a failure summary.
• In a thread, mention me (`@intune-triage 20502`): Slack does not run slash commands in threads."""


def title(entry: Entry, lang: str = "en") -> str:
    kinds = KINDS_FR if lang == "fr" else KINDS
    if entry.kind == "symptom":  # its slug is for the catalogue, not for people
        return f"{kinds['symptom']}: {escape(entry.name)}"
    return f"{kinds.get(entry.kind, entry.kind)} {escape(entry.id_and_name)}"


def help_message() -> Message:
    return message("Intune connector triage: usage", [section(HELP)])


def answer(answer: Answer, lang: str = "en", *, share: bool = True) -> Message:
    """The best match in full, then the next few; unknown IDs say so and list the nearest."""
    labels = LABELS.get(lang, LABELS["en"])
    if answer.is_help:
        return help_message()
    blocks: list[dict] = []
    lead: list[str] = []
    if answer.unknown_id:
        lead.append(labels["unknown"].format(id=code(answer.unknown_id)))
    if not answer.matches:
        lead.append(labels["nothing"].format(q=escape(answer.query.strip()[:200])))
        blocks.append(section("\n".join(lead)))
        blocks.append(context("Try `/intune help`, or ask the team that runs the connector."))
        return message(" ".join(lead), blocks)
    best, others = answer.matches[0], list(answer.matches[1:])
    if answer.unknown_id and not best.exact:
        blocks.append(section("\n".join(lead)))
        others, fallback = list(answer.matches), " ".join(lead)
        also = labels["nearest"]
    else:
        marker = ""  # the notification says "closest" too, not only the blocks
        if answer.did_you_mean:
            lead.append(labels["did_you_mean"].format(id=code(answer.did_you_mean)))
            marker = labels["did_you_mean"].format(id=answer.did_you_mean) + " "
        elif not best.exact:
            lead.append(f"*{labels['closest']}*")
            marker = labels["closest"] + " "
        if lead:
            blocks.append(section("\n".join(lead)))
        blocks += entry_blocks(best.entry, lang, labels, best)
        fallback = f"{marker}{title(best.entry, lang)}: {escape(best.entry.description.get(lang))}"
        also = labels["also"]
    if others:
        blocks.append(list_section(f"*{also}*", [_match_line(m, lang) for m in others]))
    if share:
        blocks.append(share_button(answer.query, lang, labels["share"]))
    return message(fallback, blocks)


def answers(found: Sequence[Answer], query: str, lang: str = "en", *, share: bool = True) -> Message:
    """Several IDs asked in one line: each answer in turn, then one share button for the line."""
    blocks: list[dict] = []
    fallbacks = []
    for one in found:
        msg = answer(one, lang, share=False)
        if blocks:
            blocks.append({"type": "divider"})
        blocks += msg["blocks"]
        fallbacks.append(msg["text"])
    tail = [share_button(query, lang, LABELS.get(lang, LABELS["en"])["share"])] if share else []
    return message(" · ".join(fallbacks), blocks, tail=tail)


def entry_blocks(
    entry: Entry, lang: str, labels: Mapping[str, str], match: Match | None = None
) -> list[dict]:
    head = f"*{title(entry, lang)}*"
    if match is not None and (ids := generation_ids(match)):
        head += "\n" + labels["generations"].format(legacy=ids[0], current=ids[1])
    head += f"\n{escape(entry.description.get(lang))}"
    if entry.log:
        head += f"\n{labels['seen_in']}: {escape(entry.seen_in)}"
    if spellings := other_spellings(entry):
        head += f"\n{labels['written']}: " + " · ".join(code(s) for s in spellings)
    if entry.note:
        head += f"\n_{escape(entry.note.get(lang))}_"
    blocks = [section(head)]
    if entry.causes:
        lines = [_advice(a, lang, labels) for a in entry.causes]
        blocks.append(list_section(f"*{labels['cause']}*", ["• " + x for x in lines]))
    if entry.fixes:
        lines = [f"{i}. {_advice(a, lang, labels)}" for i, a in enumerate(entry.fixes, 1)]
        blocks.append(list_section(f"*{labels['fix']}*", lines))
    tail = []
    related = match.related if match is not None else entry.related
    if related:
        tail.append(f"{labels['related']}: " + ", ".join(code(r) for r in related))
    if entry.doc:
        tail.append(f"<{_url(entry.doc)}|{labels['doc']}>")
    if match is not None and match.shared:
        others = ", ".join(escape(shared_label(e)) for e in match.shared)
        tail.append(labels["shared"].format(id=shared_number(entry), others=others))
    if tail:
        blocks.append(context(" · ".join(tail)))
    return blocks


def _match_line(m: Match, lang: str) -> str:
    return f"• {title(m.entry, lang)}"


def _advice(a: Advice, lang: str, labels: Mapping[str, str]) -> str:
    text = escape(a.text.get(lang))
    return f"{text} {labels['inferred']}" if a.inferred else text
