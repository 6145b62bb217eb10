"""The real .evtx samples (tests/support/samples.py) are the originals PROVENANCE.md names."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.samples import RECORDS, provenance_sha256, sample_bytes


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_sample_is_the_original(name):
    digest = hashlib.sha256(sample_bytes(name)).hexdigest()
    assert provenance_sha256()[name] == digest
