"""What an event is about: device, user, CA, template, thumbprint, serial, code.

Field names of the legacy connector's EventData are not documented, so every
field is taken from a named data field when present and from labelled text in
the message otherwise ("Device ID: {…}", "CA Name = …").
"""

from __future__ import annotations

import functools
import re

from bot.codes import find_codes
from bot.logs import Event
from bot.normalize import fold, split_name, squash

GUID = r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"
_GUID = re.compile(GUID)
_THUMBPRINT = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])")

# Labels as they appear in messages ("Device ID: …", "CA Name = …"), folded to
# the field they fill. Order matters only for readability.
_LABELS = {
    "device": ["device id", "deviceid", "intune device id", "device"],
    "user": ["user id", "userid", "user"],
    "ca": ["ca name", "caname", "certification authority name", "certification authority",
           "certificate authority", "ca"],
    "template": ["certificate template name", "certificate template", "template name",
                 "templatename", "template"],
    "thumbprint": ["certificate thumbprint", "thumbprint"],
    "serial": ["certificate serial number", "serial number", "serialnumber", "serial"],
    "code": ["diagnostic code", "diagnosticcode", "hresult", "error code", "errorcode",
             "result code", "status code"],
}  # fmt: skip
_FIELD_OF_LABEL = {label: field for field, labels in _LABELS.items() for label in labels}
_LABEL_RE = re.compile(
    r"(?i)(?<![\w])("
    + "|".join(sorted((re.escape(k) for k in _FIELD_OF_LABEL), key=len, reverse=True))
    + r")\s*[:=]\s*"
)
# Other labels a message may carry; they end the value before them.
_ANY_LABEL = re.compile(r"(?:^|[\s;,|])([A-Z][A-Za-z ]{1,30}?)\s*[:=]\s")


def extract_fields(event: Event, thorough: bool = True) -> dict[str, str]:
    """device, user, ca, template, thumbprint, serial and code, where present.

    Named EventData fields win; labelled text in unnamed data or the rendered
    message fills the gaps; bare GUIDs, thumbprints and codes come last.
    `thorough=False` stops after the named fields once the device is known.
    """
    found: dict[str, str] = {}
    free_text: list[str] = []
    for name, value in event.data.items():
        if not value:
            continue
        field = _field_of_name(name)
        cleaned = _clean(field, value) if field and field not in found else None
        if cleaned:
            found[field] = cleaned
        else:
            free_text.append(value)  # unnamed data, other fields, or a label with no usable value
    if not thorough and "device" in found:
        return found
    if event.message:
        free_text.append(event.message)
    # Only texts that can hold a label or a code reach the memoized readers, so
    # unique IDs (request IDs, GUIDs) never push the repeated messages out.
    for text in free_text:
        if ":" in text or "=" in text:
            for field, cleaned in _labelled_clean(text):
                if field not in found:
                    found[field] = cleaned
    if not thorough:
        return found
    readings = [_read_free(text) for text in free_text]
    if "code" not in found:
        codes = [c for text_codes, _ in readings for c in text_codes]
        if codes:
            # A diagnostic code (0x4xx, 0x0) names the failure better than an HRESULT.
            found["code"] = next((c for c in codes if c.startswith("0x00000")), codes[0])
    if "thumbprint" not in found:
        thumbprint = next((t for _, t in readings if t), None)
        if thumbprint:
            found["thumbprint"] = thumbprint
    return found


def device_of(event: Event) -> str | None:
    """Just the device ID: what a success needs, as cheaply as it can be had.

    Events of one kind name their device field alike, so the field found for
    the first (provider, event ID) is tried first for the rest.
    """
    kind = (event.provider, event.event_id)
    name = _DEVICE_FIELD.get(kind)
    if name is not None:
        value = event.data.get(name)
        if value:
            bare = value.strip("{}")
            if len(bare) == 36 and bare[8] == bare[13] == bare[18] == bare[23] == "-":
                return bare.lower()
    for name, value in event.data.items():
        if value and _field_of_name(name) == "device":
            device = _clean("device", value)
            if device:
                if len(_DEVICE_FIELD) < 10_000:
                    _DEVICE_FIELD[kind] = name
                return device
    return extract_fields(event, thorough=False).get("device")


_DEVICE_FIELD: dict[tuple[str, int], str] = {}


def device_field(provider: str, event_id: int) -> str | None:
    """The EventData field device_of found the device in for this kind of event, once it has."""
    return _DEVICE_FIELD.get((provider, event_id))


# The same exception text comes back on every failure of one kind: read each
# distinct text once. Bounded, so a log of unique messages costs nothing extra.
@functools.lru_cache(maxsize=4096)
def _labelled_clean(text: str) -> tuple[tuple[str, str], ...]:
    pairs = ((field, _clean(field, value)) for field, value in _labelled(text))
    return tuple((field, cleaned) for field, cleaned in pairs if cleaned)


def _read_free(text: str) -> tuple[tuple[str, ...], str | None]:
    """The codes and the thumbprint in one free text (a thumbprint only in one of 40+ characters)."""
    if len(text) < 40:  # a request ID, a short value: cheap to scan, and not kept
        return (_codes_in(text) if not _is_guid(text) and _MAY_HOLD_CODE.search(text) else ()), None
    return _read_long(text)


# Both scans cost several microseconds on an exception message (the regexes start
# at every character), and each failure of a kind repeats the same message.
@functools.lru_cache(maxsize=4096)
def _read_long(text: str) -> tuple[tuple[str, ...], str | None]:
    codes = tuple(find_codes(text)) if _MAY_HOLD_CODE.search(text) else ()
    m = _THUMBPRINT.search(text)
    return codes, m.group(0).upper() if m else None


@functools.lru_cache(maxsize=4096)
def _codes_in(text: str) -> tuple[str, ...]:
    return tuple(find_codes(text))


def _is_guid(text: str) -> bool:
    bare = text.strip("{}")
    return len(bare) == 36 and bare[8] == bare[13] == bare[18] == bare[23] == "-"


# A code is written 0x…, as eight hex digits, or as a 9-10 digit decimal.
_MAY_HOLD_CODE = re.compile(r"0[xX]|[0-9a-fA-F]{8}|\d{9}")
_NAME_FIELDS: dict[str, str | None] = {}


def _field_of_name(name: str) -> str | None:
    """The field an EventData name fills, memoized: a log repeats a few names."""
    try:
        return _NAME_FIELDS[name]
    except KeyError:
        # Split at case changes ("IntuneDeviceId" -> "intune device id"), else squashed
        # ("HResult" -> "hresult", which the split makes "h result").
        field = _FIELD_OF_LABEL.get(fold(split_name(name))) or _FIELD_OF_LABEL.get(squash(name))
        if len(_NAME_FIELDS) < 10_000:  # a hostile file may invent names without end
            _NAME_FIELDS[name] = field
        return field


def _labelled(text: str):
    """(field, value) pairs from text such as 'Device ID: {…} CA Name: X\\nTemplate: Y'."""
    matches = list(_LABEL_RE.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end]
        other = _ANY_LABEL.search(value)
        if other:
            value = value[: other.start()]
        value = value.split("\n", 1)[0].strip(" \t\r;,.|")
        yield _FIELD_OF_LABEL[m.group(1).lower()], value


def _clean(field: str, value: str) -> str | None:
    value = value.strip()
    if field in ("device", "user"):
        bare = value.strip("{}")
        if len(bare) == 36 and bare[8] == bare[13] == bare[18] == bare[23] == "-":
            return bare.lower()  # the usual case, without a regex
        m = _GUID.search(value)
        return m.group(0).strip("{}").lower() if m else None
    if field == "code":
        codes = find_codes(value)
        return codes[0] if codes else None
    if field == "thumbprint":
        m = _THUMBPRINT.search(value.replace(" ", ""))
        return m.group(0).upper() if m else None
    return value[:200] or None

