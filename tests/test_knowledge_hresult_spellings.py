"""Issue 10 item 2: every HRESULT entry answers to both decimal spellings.

The catalogue types only the hex id; the signed (Int32, as .NET and event data
print it) and unsigned (UInt32, as IIS's sc-win32-status prints it) decimals
are derived. This checks the derivation for every hresult entry there is, so a
new entry whose id is mistyped or shadowed by another entry fails here.
"""

from __future__ import annotations

import pytest

from bot.knowledge import default_catalogue
from bot.search import lookup

HRESULTS = [e for e in default_catalogue().entries if e.kind == "hresult"]


def decimals(code: str) -> tuple[str, str]:
    value = int(code, 16)
    signed = value - (1 << 32) if value >= 1 << 31 else value
    return str(signed), str(value)


def test_there_are_hresult_entries_to_check():
    assert len(HRESULTS) >= 60


@pytest.mark.parametrize("entry", HRESULTS, ids=[e.id for e in HRESULTS])
def test_signed_and_unsigned_decimal_answer_the_entry(entry):
    for spelling in decimals(entry.id):
        best = lookup(spelling).matches[0]
        assert best.exact and best.entry.key == entry.key, f"{spelling} answers {best.entry.key}"


def test_decimal_spellings_of_a_known_code():
    # 0x800B0109 CERT_E_UNTRUSTEDROOT: IIS logs 2148204809, .NET prints -2146762487.
    assert decimals("0x800B0109") == ("-2146762487", "2148204809")
