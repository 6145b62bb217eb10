"""Block Kit and mrkdwn as the page draws them: what the app posts through the fake Web API."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
from matplotlib import image as mpimg
from slack_sdk import WebClient

from bot.playground.workspace import CHANNEL
from bot.slack.fake_api import TOKEN

PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e1a13e0000000049454e44ae426082"
)).decode()  # fmt: skip

MRKDWN = "\n".join([
    "*bold* _italic_ ~gone~ `inline code` *_both_*",
    "• first item",
    "• second item with <https://learn.microsoft.com/intune|a link>",
    "&gt; a quote",
    "<@U0PLAYER1> <#C0HELPDESK> <!here> &lt;!channel&gt; a &amp; b",
    "```",
    "Get-Service PKIConnector  *not bold*",
    "```",
])  # fmt: skip


def post(playground, **message) -> str:
    client = WebClient(token=TOKEN, base_url=playground.fake.api_url)
    return client.chat_postMessage(channel=CHANNEL["id"], **message)["ts"]


def test_every_block_type_is_drawn(page, playground) -> None:
    ts = post(playground, text="fallback", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "Header :warning:"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": MRKDWN}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Server*\nNDES01"},
                                       {"type": "plain_text", "text": "*not bold*"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "context `code`"}]},
        {"type": "image", "image_url": f"data:image/png;base64,{PIXEL}", "alt_text": "a pixel",
         "title": {"type": "plain_text", "text": "Pixel"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "a1", "value": "1", "style": "primary",
             "text": {"type": "plain_text", "text": "Go"}},
            {"type": "button", "action_id": "a2", "value": "2", "style": "danger",
             "text": {"type": "plain_text", "text": "Stop"}}]},
    ])  # fmt: skip
    msg = page.locator(f"[role=article][data-ts='{ts}']")
    msg.wait_for()
    assert msg.get_by_role("heading", name="Header").inner_text().startswith("Header ⚠️")
    assert msg.locator("strong").first.inner_text() == "bold"
    assert msg.locator("em").first.inner_text() == "italic"
    assert msg.locator("del").inner_text() == "gone"
    assert msg.locator("strong > em, em > strong").inner_text() == "both"
    assert msg.locator("code.code").first.inner_text() == "inline code"
    assert msg.locator(".line.li").count() == 2
    link = msg.get_by_role("link", name="a link")
    assert link.get_attribute("href") == "https://learn.microsoft.com/intune"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert msg.locator(".line.quote").inner_text() == "a quote"
    assert msg.locator(".mention-user").inner_text() == "@you"
    assert msg.locator(".mention-channel").inner_text() == "#helpdesk"
    assert msg.locator(".mention-broadcast").inner_text() == "@here"  # real markup: a mention
    assert "<!channel> a & b" in msg.inner_text()  # escaped: shown as the text it is
    assert (
        msg.locator("pre.code-block").inner_text().strip() == "Get-Service PKIConnector  *not bold*"
    )
    fields = msg.locator(".bk-fields .bk-field")
    assert fields.count() == 2
    assert fields.nth(1).inner_text() == "*not bold*"
    assert msg.locator("hr.bk-divider").count() == 1
    assert msg.locator(".bk-context code").inner_text() == "code"
    image = msg.get_by_role("img", name="a pixel")
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 1
    go = msg.get_by_role("button", name="Go")
    assert "bk-primary" in go.get_attribute("class")
    assert "bk-danger" in msg.get_by_role("button", name="Stop").get_attribute("class")
    assert "fallback" not in msg.inner_text()  # blocks win over the fallback text


def test_chat_update_edits_the_message_in_place(page, playground) -> None:
    ts = post(playground, text=":hourglass_flowing_sand: Reading `x.evtx`…")
    msg = page.locator(f"[role=article][data-ts='{ts}']")
    msg.get_by_text("Reading").wait_for()
    count = page.locator("[role=article]").count()
    WebClient(token=TOKEN, base_url=playground.fake.api_url).chat_update(
        channel=CHANNEL["id"], ts=ts, text="*Done*: 3 failures"
    )
    msg.get_by_text("3 failures").wait_for()
    assert page.locator("[role=article]").count() == count
    assert "Reading" not in msg.inner_text()


def test_the_page_is_not_blank(page, playground, tmp_path) -> None:
    """A screenshot after a real answer: it must show a drawn channel, not an empty page."""
    page.get_by_label("Message", exact=True).fill("/intune 0x410")
    page.keyboard.press("Enter")
    page.locator("[role=article][data-user=UBOT]").first.wait_for()
    shot = Path(os.environ.get("PLAYGROUND_SHOT") or tmp_path / "playground.png")
    page.screenshot(path=str(shot))
    pixels = mpimg.imread(io.BytesIO(shot.read_bytes()), format="png")[..., :3]
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    background = (pixels > 0.97).all(axis=-1).mean()
    assert colours > 200, f"{colours} colours: the page looks blank ({shot})"
    assert 0.2 < background < 0.95, f"{background:.0%} white: the page looks blank ({shot})"
    # The message list itself has content: dark text pixels where the answer is.
    box = page.locator("#messages").bounding_box()
    y0, y1 = int(box["y"]), int(box["y"] + box["height"])
    x0, x1 = int(box["x"]), int(box["x"] + box["width"])
    ink = (pixels[y0:y1, x0:x1] < 0.4).all(axis=-1).mean()
    assert ink > 0.003, f"the message list has almost no text ({ink:.2%})"
