"""Block Kit rendering: escaping and Slack's limits, from plain core values (no logs parsed)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.search import lookup
from bot.slack import render
from tests.support.slack import texts

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<http://evil.example|your bank>",
]


def shown(msg: dict) -> str:
    return msg["text"] + json.dumps(msg["blocks"], ensure_ascii=False)


def valid(msg: dict) -> None:
    """Slack's own limits, as slack_sdk's models check them."""
    assert msg["text"]
    assert len(msg["blocks"]) <= render.MAX_BLOCKS
    for block in msg["blocks"]:
        Block.parse(block).validate_json()
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= render.MAX_SECTION


def failure(i: int, text: str = "") -> dict:
    return {"event_id": str(20000 + i), "name": f"Failure{i}{text}", "code": f"0x{i:08X}",
            "count": 1000 - i, "first": "2026-11-20T10:00:00Z", "last": "2026-11-21T11:00:00Z",
            "servers": {f"NDES{i}{text}": 3}, "devices": {"count": 1, "examples": [f"dev-{i}{text}"]},
            "users": {"count": 0, "examples": []}, "cas": {"count": 1, "examples": [f"CA{text}"]},
            "templates": {"count": 1, "examples": [f"Tpl{text}"]}}  # fmt: skip


def summary(failures: list[dict], **extra) -> dict:
    return {"file": "connector.evtx", "format": "evtx", "servers": ["NDES01"], "records": 5000,
            "connector_events": 4000, "first": "2026-11-20T10:00:00Z", "last": "2026-11-21T11:00:00Z",
            "failures": failures, "warnings": [], "successes": {"20501": 10},
            "success_rates": [{"operation": "pkcs_issue", "succeeded": 10, "failed": 5, "retried": 0, "rate": 0.6667}],
            "check_first": None, "problems": [], **extra}  # fmt: skip


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escape_makes_mentions_and_links_inert(hostile):
    out = render.escape(hostile)
    assert "<" not in out
    assert ">" not in out
    assert render.escape("a & b") == "a &amp; b"
    assert render.escape('it\'s "fine"') == 'it\'s "fine"'  # not html.escape: quotes stay


@given(st.text())
def test_escape_never_leaves_a_control_character(text):
    out = render.escape(text)
    assert "<" not in out
    assert ">" not in out
    assert out.replace("&amp;", "").count("&") == out.count("&lt;") + out.count("&gt;")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_log_content_in_a_summary_is_escaped(hostile):
    data = summary([failure(1, hostile)], file=f"{hostile}.evtx", servers=[hostile],
                   problems=[{"where": hostile, "reason": hostile}],
                   check_first={"causes": [{"en": hostile, "fr": hostile}], "fixes": [{"en": hostile, "fr": hostile}]})  # fmt: skip
    msg = render.summary(data, {"new": [{"server": hostile, "event_id": "20502", "code": hostile}]})
    assert hostile not in shown(msg)
    valid(msg)


def test_many_failures_fit_slack_limits_and_say_how_many_more():
    msg = render.summary(summary([failure(i, "x" * 60) for i in range(400)]))
    valid(msg)
    text = shown(msg)
    assert "…and " in text
    assert " more" in text
    assert "*1,000* × 20000" in text  # the most frequent first


def test_too_many_blocks_are_cut_at_fifty_with_a_count():
    blocks = [render.section(f"line {i}") for i in range(80)]
    msg = render.message("x", blocks)
    assert len(msg["blocks"]) == 50
    assert "…and 31 more" in json.dumps(msg["blocks"][-1], ensure_ascii=False)


def test_summary_leads_with_the_dominant_failure_and_what_to_check():
    data = summary([failure(1), failure(2)], check_first={
        "event_id": "20001", "name": "Failure1", "code": "0x00000001",
        "causes": [{"en": "The CA is offline", "fr": "L'AC est hors ligne", "inferred": False}],
        "fixes": [{"en": "Start the CA service", "fr": "Démarrer le service", "inferred": True}],
        "doc": "https://learn.microsoft.com/x"})  # fmt: skip
    msg = render.summary(data)
    text = shown(msg)
    assert "Most frequent: *20001 Failure1 (0x00000001)*" in text
    assert text.index("Most frequent") < text.index("Check first") < text.index("*Failures*")
    assert "Start the CA service" in text
    assert "PKCS issuance: 67%" in text  # the operation as people name it, not pkcs_issue
    valid(msg)


def test_answer_for_20502_is_valid_block_kit_with_a_share_button():
    msg = render.answer(lookup("20502"))
    valid(msg)
    assert msg["blocks"][-1]["elements"][0]["action_id"] == render.SHARE_ACTION


def test_answer_for_nonsense_says_nothing_matches():
    msg = render.answer(lookup("zzqxv wobble"))
    valid(msg)
    assert "The catalogue has nothing on" in msg["text"]


@given(st.text(max_size=300))
def test_any_question_renders_valid_block_kit_that_pings_no_one(text):
    msg = render.answer(lookup(text))
    valid(msg)
    shown = texts([msg])  # what Slack shows (a button's value is never parsed)
    assert "<!" not in shown
    assert "<@" not in shown


def test_an_iis_log_names_no_server_and_the_summary_shows_none(tmp_path):
    from datetime import UTC, datetime, timedelta

    from bot.summary_file import summarize_file
    from tests.support.chain_logs import Request, iis_lines, write_iis

    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    log = write_iis(tmp_path / "u_ex261120.log",
                    iis_lines([Request(t0 + timedelta(minutes=i), status=500) for i in range(4)]))  # fmt: skip
    data = summarize_file(log).to_dict()

    text = shown(render.summary(data))

    assert data["failures"]
    assert "``" not in text
    assert "Servers (" not in text
