"""Exports re-saved in another encoding still read (Notepad's "ANSI" is cp1252)."""

import pytest

from bot.summary_file import summarize_file
from tests.support.connector_logs import legacy_pkcs_ca_outage


@pytest.mark.parametrize("fmt", ["csv-fr", "csv", "txt-fr"])
def test_ansi_exports_read_like_the_original(tmp_path, fmt):
    original = tmp_path / f"original.{fmt}"
    truth = legacy_pkcs_ca_outage(original, fmt=fmt)
    raw = original.read_bytes()
    text = raw.decode("utf-16") if raw[:2] == b"\xff\xfe" else raw.decode("utf-8-sig")
    ansi = tmp_path / f"ansi.{fmt}"
    ansi.write_bytes(text.encode("cp1252", errors="replace"))
    summary = summarize_file(ansi)
    assert summary.records == truth.records
    assert [(g.event_id, g.code, g.count) for g in summary.failures] == [
        (g.event_id, g.code, g.count) for g in truth.failures
    ]
