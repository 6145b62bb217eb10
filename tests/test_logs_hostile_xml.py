"""XML that costs far more than its size: deep nesting, millions of non-event elements."""

from __future__ import annotations

from pathlib import Path

from bot.logs.xml_reader import MAX_DEPTH
from bot.summary_file import summarize_file

EXPORTS = Path(__file__).parent / "data" / "exports"
SAVED = (EXPORTS / "saved_events.xml").read_text(encoding="utf-8")  # Event Viewer's Save as XML
EVENTS = SAVED[SAVED.index("<Event ") : SAVED.rindex("</Events>")]
NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def test_nesting_deeper_than_any_export_is_one_problem_and_the_events_before_it_stand(tmp_path):
    n = 100_000
    deep = f"<Event xmlns='{NS}'><System>" + "<a>" * n + "</a>" * n + "</System></Event>"
    path = tmp_path / "deep.xml"
    path.write_text(f'<?xml version="1.0"?><Events>{EVENTS}{deep}</Events>', encoding="utf-8")

    data = summarize_file(path).to_dict()

    before = summarize_file(EXPORTS / "saved_events.xml").to_dict()["records"]
    assert data["records"] == before
    (problem,) = data["problems"]
    assert problem["reason"] == (
        f"its XML nests deeper than {MAX_DEPTH} elements, which event exports never do: "
        "reading stopped"
    )


def test_millions_of_elements_that_are_not_events_are_skipped_and_counted(tmp_path):
    junk = "<x/>" * 1_000_000
    path = tmp_path / "junk.xml"
    path.write_text(f'<?xml version="1.0"?><Events>{junk}{EVENTS}{junk}</Events>', encoding="utf-8")

    data = summarize_file(path).to_dict()

    assert data["records"] == summarize_file(EXPORTS / "saved_events.xml").to_dict()["records"]
    assert [p["reason"] for p in data["problems"]] == [
        "2,000,000 top-level XML elements are not <Event> elements: skipped"
    ]
