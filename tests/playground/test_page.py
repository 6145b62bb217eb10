"""The playground in a real Chromium: what a person does on the page, and what the real app answers."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from page_helpers import drop, summary_in_thread

from tests.support.connector_logs import hostile_strings, legacy_pkcs_ca_outage


def bot_articles(scope):
    return scope.locator("[role=article][data-user=UBOT]")


def test_intune_command_is_answered_privately_then_shared(page) -> None:
    page.get_by_label("Message", exact=True).fill("/intune 20502")
    page.keyboard.press("Enter")
    answer = bot_articles(page.locator("#messages")).first
    answer.wait_for()
    assert "Event 20502" in answer.inner_text()
    assert "Only visible to you" in answer.inner_text()
    assert page.get_by_label("Message", exact=True).input_value() == ""  # the composer cleared
    share = answer.get_by_role("button", name="Share in channel")
    assert share.evaluate("b => b.tagName") == "BUTTON"
    share.click()
    # The private copy goes (respond delete_original), a copy for everyone comes.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#messages [role=article]')].some("
        "a => a.innerText.includes('Event 20502') && !a.innerText.includes('Only visible to you'))"
        " && !document.querySelector('#messages .ephemeral')"
    )


def test_dropped_log_is_summarized_in_its_thread_with_chart_and_buttons(
    page, playground, tmp_path: Path
) -> None:
    log = tmp_path / "NDES01-connector.evtx"
    legacy_pkcs_ca_outage(log)
    drop(page, log)
    summary = summary_in_thread(page)
    text = summary.inner_text()
    assert "NDES01" in text
    assert "20102" in text
    assert summary.get_by_role("button", name="Similar incidents").is_visible()
    # The timeline PNG the app uploaded (files_upload_v2) is shown inline, and loads.
    chart = page.get_by_role("region", name="Thread").locator("img[alt*='Failures over time']")
    chart.wait_for()
    chart.evaluate("img => img.decode()")
    assert chart.evaluate("img => img.naturalWidth") > 300
    # Reactions on the shared file: eyes while reading, then the red circle for failures.
    shared = page.locator("#messages [role=article][data-user=U0PLAYER1]")
    shared.locator(".reaction[data-name=red_circle]").wait_for()
    assert shared.locator(".reaction[data-name=eyes]").count() == 0
    # "Reading…" was posted once and edited in place into the summary (chat.update).
    posts = [c for c in playground.fake.calls_to("chat.postMessage") if c.get("thread_ts")]
    updates = playground.fake.calls_to("chat.update")
    assert "Reading" in posts[0]["text"]
    assert {u["ts"] for u in updates} == {posts[0].reply["ts"]}
    assert summary.get_attribute("data-ts") == posts[0].reply["ts"]


def test_mark_resolved_opens_the_modal_and_resolves_in_the_history(
    page, playground, tmp_path: Path
) -> None:
    log = tmp_path / "NDES01-connector.evtx"
    legacy_pkcs_ca_outage(log)
    page.locator("input[type=file]#file").set_input_files(log)  # the file picker this time
    summary = summary_in_thread(page)
    summary.get_by_role("button", name="Mark resolved").click()
    dialog = page.get_by_role("dialog", name="Mark resolved")
    dialog.wait_for()
    dialog.get_by_label("What fixed it?").fill("Restarted the CA service")
    dialog.get_by_role("button", name="Resolve").click()
    dialog.wait_for(state="hidden")
    resolved = page.get_by_role("region", name="Thread").get_by_text(re.compile("Resolved by @you"))
    resolved.wait_for()
    assert "Restarted the CA service" in resolved.inner_text()
    with sqlite3.connect(playground.db_path) as db:
        rows = db.execute("SELECT status, resolved_by, note FROM incidents").fetchall()
    assert rows
    assert all(r == ("resolved", "U0PLAYER1", "Restarted the CA service") for r in rows)

    # The App Home tab lists the server, from the same history.
    page.get_by_role("button", name="intune-triage").click()
    home = page.get_by_role("region", name="Home")
    home.get_by_text("NDES01.contoso.com").first.wait_for()
    assert "Connector servers" in home.inner_text()


def test_hostile_text_stays_text(page, playground, tmp_path: Path) -> None:
    log = tmp_path / "hostile.evtx"
    hostile_strings(log)
    drop(page, log)
    summary_in_thread(page)
    page.get_by_label("Message", exact=True).fill(
        "@intune-triage <!channel> <script>window.pwned=1</script> <img src=x onerror=window.pwned=2>"
    )
    page.keyboard.press("Enter")
    page.locator("#messages [role=article][data-user=U0PLAYER1]").last.get_by_role(
        "button", name="1 reply"
    ).click()
    bot_articles(page.get_by_role("region", name="Thread")).first.wait_for()
    everything = page.locator("body").inner_text()
    assert "<!channel>" in everything  # the log's CA name, shown as the text it is
    assert "<script>" in everything
    # Nothing became markup: no broadcast mention from the bot, no element from the text.
    assert page.locator("[data-user=UBOT] .mention-broadcast").count() == 0
    assert (
        page.locator(
            ".messages script, .messages img[src=x], .thread script, .thread img[src=x]"
        ).count()
        == 0
    )
    assert page.evaluate("() => window.pwned") is None
    # A link the log tried to forge is text, not a link to evil.example.
    assert page.locator("a[href*='evil.example']").count() == 0
    # The person's own message shows what they typed, as text.
    mine = page.locator("#messages [role=article][data-user=U0PLAYER1]").last
    assert "<script>window.pwned=1</script>" in mine.inner_text()


def test_questions_in_the_apps_messages_tab_are_answered(page) -> None:
    page.get_by_role("button", name="intune-triage").click()
    page.get_by_role("tab", name="Messages").click()
    page.get_by_label("Message", exact=True).fill("why did PKCS issuance fail")
    page.keyboard.press("Enter")  # a DM: no mention needed (message.im)
    mine = page.locator("#messages [role=article][data-user=U0PLAYER1]").first
    mine.get_by_role("button", name="1 reply").click()
    answer = bot_articles(page.get_by_role("region", name="Thread")).first
    answer.wait_for()
    assert "PKCS" in answer.inner_text()


def test_a_mention_is_answered_in_its_thread(page) -> None:
    page.get_by_label("Message", exact=True).fill("@intune-triage what is 0x410")
    page.keyboard.press("Enter")
    mine = page.locator("#messages [role=article][data-user=U0PLAYER1]").first
    mine.get_by_role("button", name="1 reply").click()
    thread = page.get_by_role("region", name="Thread")
    answer = bot_articles(thread).first
    answer.wait_for()
    assert "0x00000410" in answer.inner_text()
    assert mine.locator(".mention-user").inner_text() == "@intune-triage"
    # Slash commands do not run in threads, in Slack and here.
    thread.get_by_label("Reply").fill("/intune 20502")
    thread.get_by_label("Reply").press("Enter")
    thread.get_by_text("is not supported in threads").wait_for()
