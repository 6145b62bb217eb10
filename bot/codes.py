"""Spellings of diagnostic codes and HRESULTs, reduced to one canonical form.

People and logs write the same code many ways: `0x410`, `0x00000410`,
`0X00000410`, `800706ba`, or a signed decimal such as `-2146875374`
(HRESULTs printed as Int32). The catalogue keys every code as `0x%08X`.
"""

from __future__ import annotations

import re

# The legacy page writes Unknown_Error as 0x0FFFFFFFF (nine digits, i.e.
# 0xFFFFFFFF) in one table and 0x0FFFFFFF in the other; which value the
# connector really writes is not documented, so both mean Unknown_Error.
UNKNOWN_ERROR = "0x0FFFFFFF"
_UNKNOWN_ERROR_VALUES = {0xFFFFFFFF, 0x0FFFFFFF}

# Hyphens and braces around a hex run mean a GUID, not a code.
HEX_CODE = re.compile(r"(?<![\w{-])(?:0[xX]([0-9a-fA-F]{1,9})|([0-9a-fA-F]{8})h?)(?![\w}-])")
# HRESULTs printed as Int32 (-2146875374) or UInt32 (2148204809, as IIS logs do).
SIGNED_DECIMAL = re.compile(r"(?<![\w-])-?(\d{9,10})(?!\w)")


def code_from_int(value: int) -> str | None:
    """Canonical code for an integer, wrapping negative Int32 HRESULTs."""
    if value < 0:
        value &= 0xFFFFFFFF
    if value > 0xFFFFFFFF:
        return None
    if value in _UNKNOWN_ERROR_VALUES:
        return UNKNOWN_ERROR
    return f"0x{value:08X}"


def win32_hresult(value: int) -> str | None:
    """A Win32 error as its HRESULT (HRESULT_FROM_WIN32: 1346 -> 0x80070542, WinHTTP's
    12175 -> 0x80072F8F); a value past 16 bits is already one (IIS logs HRESULTs in
    sc-win32-status unsigned: 2148204809 -> 0x800B0109). 0 is success: no code."""
    if value == 0:
        return None
    if 0 < value < 0x10000:
        value |= 0x80070000
    return code_from_int(value)


def canonical_code(text: str, *, typed: bool = False) -> str | None:
    """`0x410` -> `0x00000410`; None when `text` is not one code spelling.

    `typed=True` also reads what a person types but a log never means as a
    code: a failure HRESULT without 0x ("80070005") and an unsigned decimal
    one ("2148204809", as IIS logs print it). In log data such numbers are
    request IDs and counters.

    >>> canonical_code("0X00000410"), canonical_code("-2146875374")
    ('0x00000410', '0x80094812')
    """
    text = text.strip()
    if not text:
        return None
    m = HEX_CODE.fullmatch(text)
    if m:
        digits = m.group(1) or m.group(2)
        bare = m.group(2) and not text.lower().endswith("h")
        plain_digits = bare and not re.search(r"[a-fA-F]", digits)
        # Eight plain digits are a number, unless a person typed a failure
        # HRESULT without 0x (the high bit set, so it starts with 8).
        hresult_typed = typed and digits.startswith("8")
        if plain_digits and not hresult_typed:
            return None
        # Eight hex digits without 0x are a code only when they read as one: the
        # high bit set (HRESULT 80070005, NTSTATUS c0000374 as Application Error
        # logs it) or zero-padded (0FFFFFFF). Anything else ("device 4F2A9C01")
        # is an ID a log or a person quoted.
        if bare and digits[0] not in "089abcdefABCDEF":
            return None
        return code_from_int(int(digits, 16))
    if SIGNED_DECIMAL.fullmatch(text):
        value = int(text)
        # Only failure HRESULTs (high bit set) are codes; other big numbers are not.
        if value < 0 or (typed and value >= 0x80000000):
            return code_from_int(value)
    return None


def find_codes(text: str, *, typed: bool = False) -> list[str]:
    """Every code spelled in free text, canonical, in order, without repeats."""
    found: list[str] = []
    for m in HEX_CODE.finditer(text):
        code = canonical_code(m.group(0), typed=typed)
        if code and code not in found:
            found.append(code)
    for m in SIGNED_DECIMAL.finditer(text):
        code = canonical_code(m.group(0), typed=typed)
        if code and code not in found:
            found.append(code)
    return found
