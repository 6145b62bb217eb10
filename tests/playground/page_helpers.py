"""What the page tests do often: drop a file as a person would, find the summary in its thread.

(A module of its own, not conftest: several test folders have a conftest.py, and
`from conftest import …` would find whichever was imported last.)
"""

from __future__ import annotations

import base64
from pathlib import Path


def drop(page, path: Path, selector: str = "#main") -> None:
    """Drag a file onto the page as a person would: dragover then drop, with a real File."""
    data = base64.b64encode(path.read_bytes()).decode()
    page.evaluate(
        """([selector, name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: "application/octet-stream"}));
            const target = document.querySelector(selector);
            for (const type of ["dragenter", "dragover", "drop"]) {
                target.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
            }
        }""",
        [selector, path.name, data],
    )


def summary_in_thread(page):
    """The bot's recorded summary in the open thread panel (it has the Mark resolved button)."""
    thread = page.get_by_role("region", name="Thread")
    article = thread.get_by_role("article").filter(
        has=page.get_by_role("button", name="Mark resolved")
    )
    article.wait_for()
    return article
