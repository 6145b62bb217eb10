"""Read one `[[entry]]` table of knowledge/*.toml into an Entry, or say what is wrong.

The schema (what data helpers write; /work/notes/schema.md has the long form):

- every entry: kind, id, name, log, outcome, operation, description, doc;
- kind event: `provider` exactly as the log writes it; the key is (provider, id);
- kind code / hresult: id is canonical hex `0x%08X`; an hresult's decimal and
  Win32 spellings are derived (bot.codes), so an alias may not spell the code;
- kind http: id is the IIS status.substatus ("403.16"), optional `win32` and `urls`;
- kind symptom: a slug id and `patterns`, the message texts that identify it;
- `hop` (device, iis, ndes, connector, ca) where the source does not imply it;
- `note` is shown to users, `provenance` is for editors and never shown;
- every cause and fix has a public URL as its `source`.
"""

from __future__ import annotations

import re
from typing import Any

from bot.codes import canonical_code
from bot.entry import (
    GENERATIONS,
    HOPS,
    KINDS,
    OPERATIONS,
    OUTCOMES,
    PROVIDER_IIS,
    Advice,
    CatalogueError,
    Entry,
    Noise,
    Terms,
    Text,
    derived_hop,
)
from bot.normalize import fold

_IDS = {
    "event": (re.compile(r"[1-9][0-9]{0,4}"), "a decimal event ID such as 20502"),
    "code": (re.compile(r"0x[0-9A-F]{8}"), "0x%08X such as 0x00000410"),
    "hresult": (re.compile(r"0x[0-9A-F]{8}"), "0x%08X such as 0x80094800"),
    "http": (re.compile(r"[1-5][0-9]{2}\.[0-9]{1,3}"), "status.substatus such as 403.16"),
    "symptom": (re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*"), "a slug such as taken-under-submission"),
}
_URL = re.compile(r"https?://[^\s/]+\.[^\s/]+/\S*|https?://[^\s/]+\.[^\s/]+")
_MIN_PATTERN_WORDS = 3  # a shorter text ("access denied") identifies nothing

_REQUIRED = frozenset("kind id name log outcome operation description doc".split())
_OPTIONAL = frozenset(
    """provider generation other_wordings related causes fixes aliases note keywords
    fr_official name_fr noise hop patterns win32 urls provenance""".split()
)
_ADVICE_FIELDS = {"en", "fr", "source", "inferred", "provenance"}
_NOISE_FIELDS = {"pattern", "en", "fr", "source"}


def parse_entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: an entry must be a table")
    # Name the entry by what identifies it, so the message points at the right row.
    label = f"{where} ({raw.get('id', '?')} {raw.get('name', '?')})"
    missing = sorted(_REQUIRED - raw.keys())
    if missing:
        raise CatalogueError(f"{label}: missing field(s) {', '.join(missing)}")
    unknown = sorted(raw.keys() - _REQUIRED - _OPTIONAL)
    if unknown:
        raise CatalogueError(f"{label}: unknown field(s) {', '.join(unknown)}")

    kind = _choice(raw, "kind", KINDS, label)
    ident = _str(raw, "id", label)
    pattern, want = _IDS[kind]
    if not pattern.fullmatch(ident):
        raise CatalogueError(f"{label}: bad id {ident!r} for kind {kind}: want {want}")
    provider = _optional_str(raw, "provider", label)
    if kind == "event" and provider is None:
        raise CatalogueError(f"{label}: field provider must be a string for an event")
    if kind == "http":
        if provider not in (None, PROVIDER_IIS):
            raise CatalogueError(f"{label}: an http entry's provider is {PROVIDER_IIS!r}")
        provider = PROVIDER_IIS
    operation = _str(raw, "operation", label)
    if operation not in OPERATIONS:
        raise CatalogueError(f"{label}: unknown operation {operation!r} (see OPERATIONS)")
    generation = _choice(raw, "generation", GENERATIONS, label) if "generation" in raw else "any"
    hop = _choice(raw, "hop", HOPS, label) if "hop" in raw else None
    hop = hop or derived_hop(kind, generation, provider)
    if hop is None and kind != "hresult":
        raise CatalogueError(
            f"{label}: field hop is needed ({', '.join(HOPS)}): the source does not imply it"
        )
    fr_official = raw.get("fr_official", True)
    if not isinstance(fr_official, bool):
        raise CatalogueError(f"{label}: field fr_official must be true or false")
    patterns = _strings(raw, "patterns", label)
    if kind == "symptom" and not patterns:
        raise CatalogueError(f"{label}: a symptom needs patterns (the texts that identify it)")
    for text in patterns:
        if len(fold(text).split()) < _MIN_PATTERN_WORDS:
            raise CatalogueError(
                f"{label}: pattern {text!r} is too short to identify anything "
                f"(at least {_MIN_PATTERN_WORDS} words)"
            )
    win32 = raw.get("win32")
    if win32 is not None and (kind != "http" or not isinstance(win32, int) or win32 < 0):
        raise CatalogueError(f"{label}: win32 is a non-negative integer, for http entries only")
    urls = _strings(raw, "urls", label)
    if urls and kind != "http":
        raise CatalogueError(f"{label}: urls is for http entries only")
    if any(not u.startswith("/") for u in urls):
        raise CatalogueError(f"{label}: urls are URL paths such as /certsrv/mscep/mscep.dll")
    aliases = _strings(raw, "aliases", label)
    if kind == "hresult":
        for alias in aliases:
            if canonical_code(alias, typed=True) == ident:
                raise CatalogueError(
                    f"{label}: alias {alias!r} spells the entry's own code: "
                    "the decimal and Win32 spellings are derived automatically"
                )
    return Entry(
        kind=kind,
        id=ident,
        name=_str(raw, "name", label),
        generation=generation,
        provider=provider,
        log=_str(raw, "log", label),
        outcome=_choice(raw, "outcome", OUTCOMES, label),
        operation=operation,
        description=_text(raw["description"], f"{label}: description"),
        other_wordings=_strings(raw, "other_wordings", label),
        related=_strings(raw, "related", label),
        causes=_advice(raw, "causes", label),
        fixes=_advice(raw, "fixes", label),
        doc=_url(raw, "doc", label),
        aliases=aliases,
        note=_text(raw["note"], f"{label}: note") if "note" in raw else None,
        keywords=_terms(raw.get("keywords", {}), f"{label}: keywords"),
        fr_official=fr_official,
        name_fr=_optional_str(raw, "name_fr", label),
        noise=_noise(raw, label),
        hop=hop,
        patterns=patterns,
        win32=win32,
        urls=urls,
        provenance=_optional_str(raw, "provenance", label),
    )


def _str(raw: dict, key: str, label: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{label}: field {key} must be a non-empty string")
    return value


def _optional_str(raw: dict, key: str, label: str) -> str | None:
    return _str(raw, key, label) if key in raw else None


def _url(raw: dict, key: str, label: str) -> str:
    value = _str(raw, key, label)
    if not _URL.fullmatch(value):
        raise CatalogueError(
            f"{label}: field {key} must be one public URL (https://...), not {value!r}: "
            "put any remark in provenance"
        )
    return value


def _choice(raw: dict, key: str, allowed: tuple[str, ...], label: str) -> Any:
    value = _str(raw, key, label)
    if value not in allowed:
        raise CatalogueError(f"{label}: unknown {key} {value!r}: want one of {', '.join(allowed)}")
    return value


def _strings(raw: dict, key: str, label: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{label}: field {key} must be a list of non-empty strings")
    return tuple(value)


def _text(raw: Any, label: str) -> Text:
    if not isinstance(raw, dict) or set(raw) != {"en", "fr"}:
        raise CatalogueError(f"{label}: must be a table with exactly en and fr")
    if not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise CatalogueError(f"{label}: en and fr must be non-empty strings")
    return Text(en=raw["en"], fr=raw["fr"])


def _terms(raw: Any, label: str) -> Terms:
    if not isinstance(raw, dict) or not set(raw) <= {"en", "fr"}:
        raise CatalogueError(f"{label}: must be a table with en and/or fr lists")
    return Terms(en=_strings(raw, "en", label), fr=_strings(raw, "fr", label))


def _advice(raw: dict, key: str, label: str) -> tuple[Advice, ...]:
    items = raw.get(key, [])
    if not isinstance(items, list):
        raise CatalogueError(f"{label}: field {key} must be an array of tables")
    out = []
    for i, item in enumerate(items, 1):
        where = f"{label}: {key}[{i}]"
        if not isinstance(item, dict) or not {"en", "fr", "source"} <= item.keys():
            raise CatalogueError(f"{where}: needs en, fr and source")
        if not set(item) <= _ADVICE_FIELDS:
            raise CatalogueError(f"{where}: unknown field(s) {sorted(set(item) - _ADVICE_FIELDS)}")
        inferred = item.get("inferred", False)
        if not isinstance(inferred, bool):
            raise CatalogueError(f"{where}: inferred must be true or false")
        text = _text({"en": item["en"], "fr": item["fr"]}, where)
        out.append(
            Advice(
                text=text,
                source=_url(item, "source", where),
                inferred=inferred,
                provenance=_optional_str(item, "provenance", where),
            )
        )
    return tuple(out)


def _noise(raw: dict, label: str) -> tuple[Noise, ...]:
    items = raw.get("noise", [])
    if not isinstance(items, list):
        raise CatalogueError(f"{label}: field noise must be an array of tables")
    out = []
    for i, item in enumerate(items, 1):
        where = f"{label}: noise[{i}]"
        if not isinstance(item, dict) or set(item) - {"provenance"} != _NOISE_FIELDS:
            raise CatalogueError(f"{where}: needs exactly pattern, en, fr and source")
        reason = _text({"en": item["en"], "fr": item["fr"]}, where)
        out.append(Noise(_str(item, "pattern", where), reason, _url(item, "source", where)))
    return tuple(out)


def parse_synonym_group(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, dict) or "terms" not in raw or set(raw) - {"terms", "source"}:
        raise CatalogueError(f"{where}: a synonym group is a table of terms (and a source URL)")
    if "source" in raw:
        _url(raw, "source", where)  # checked, never shown: the page that equates the terms
    terms = _strings(raw, "terms", where)
    if len(terms) < 2:
        raise CatalogueError(f"{where} ({terms[0] if terms else '?'}): needs at least two terms")
    return terms
