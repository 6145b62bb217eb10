"""The timeline chart: a real PNG of the asked size, and the data behind it adds up.

Pixels are not compared (fonts and anti-aliasing differ between machines); the
numbers drawn are, against the fixture generator's ground truth.
"""

import io
import json
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.chart import MAX_BARS, OTHER, TOP, chart_data, needs_chart, series_key, timeline_chart
from bot.cli import cli
from bot.knowledge import default_catalogue
from bot.summary_file import summarize_file
from bot.summary_values import Group, Summary
from tests.support.connector_logs import (
    START,
    LogBuilder,
    hostile_strings,
    large_log,
    legacy_pkcs_ca_outage,
    new_connector_mixed,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first, right after the
    signature: length (4 bytes, 13), type b"IHDR", width and height (big-endian u32)."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    """36 hours of a legacy connector with a CA outage: hourly buckets, four failure groups."""
    path = tmp_path_factory.mktemp("chart") / "outage.evtx"
    truth = legacy_pkcs_ca_outage(path)
    return truth, summarize_file(path)


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """A month of new-connector traffic (small file, same span): daily buckets."""
    path = tmp_path_factory.mktemp("chart") / "month.evtx"
    truth = large_log(path, target_bytes=1_500_000, days=30)
    return truth, summarize_file(path)


@pytest.mark.parametrize("size", [(800, 400), (1200, 600), (640, 360), (801, 399)])
def test_png_has_the_requested_size(outage, tmp_path, size):
    out = tmp_path / "chart.png"
    timeline_chart(outage[1], out, width_px=size[0], height_px=size[1])
    assert png_size(out.read_bytes()) == size


def test_writes_to_a_file_object(outage):
    buf = io.BytesIO()
    timeline_chart(outage[1], buf)
    assert png_size(buf.getvalue()) == (800, 400)


@pytest.mark.parametrize("fixture", ["outage", "month"])
def test_series_add_up_to_each_failure_group(request, fixture):
    truth, summary = request.getfixturevalue(fixture)
    data = chart_data(summary)
    top, rest = summary.failures[:TOP], summary.failures[TOP:]
    for group in top:
        counts = data.series[series_key(group)]
        assert sum(counts) == group.count == truth.failure(group.event_id, group.code).count
    if rest:
        assert sum(data.series[OTHER]) == sum(g.count for g in rest)
    else:
        assert OTHER not in data.series
    assert list(data.series) == [series_key(g) for g in top] + ([OTHER] if rest else [])
    # Bucket by bucket, the stacked bars are the summary's own timeline.
    per_bucket = [sum(col) for col in zip(*data.series.values(), strict=True)]
    timeline = {p["t"]: p["failures"] for p in summary.timeline["points"]}
    for t, n in zip(data.times, per_bucket, strict=True):
        assert n == timeline.get(t.strftime("%Y-%m-%dT%H:%M:%SZ"), 0)


@pytest.mark.parametrize("fixture", ["outage", "month"])
def test_successes_add_up(request, fixture):
    truth, summary = request.getfixturevalue(fixture)
    data = chart_data(summary)
    assert len(data.successes) == len(data.times)
    catalogue = default_catalogue()
    # The fixture also counts "received" events (SCEP 4003) as successes; the summary does not.
    want = sum(n for eid, n in truth.successes.items() if catalogue.event(eid).outcome == "success")
    assert sum(data.successes) == sum(summary.successes.values()) == want


def test_other_gathers_what_is_past_the_top_five(tmp_path):
    new_connector_mixed(tmp_path / "mixed.evtx")  # nine failure groups
    summary = summarize_file(tmp_path / "mixed.evtx")
    data = timeline_chart(summary, tmp_path / "mixed.png")
    assert len(data.series) == TOP + 1
    assert data.labels[OTHER].startswith("other")
    assert sum(map(sum, data.series.values())) == sum(g.count for g in summary.failures)
    rest = summary.failures[TOP:]
    other = sum(g.count for g in rest)
    assert sum(data.series[OTHER]) == other
    assert data.labels[OTHER] == f"other\n({other:,} failures of {len(rest)} more kinds)"
    assert list(data.labels)[-1] == OTHER  # the legend lists it last


def test_hourly_buckets_for_a_day_and_a_half(outage):
    truth, summary = outage
    data = chart_data(summary)
    assert data.bucket == summary.timeline["bucket"] == "hour"
    check_times(data.times, timedelta(hours=1))
    # The outage: 24 failures of 20102/0x00000400 between 14:00 and 17:00 on day one.
    ca = data.series["20102 0x00000400"]
    busy = {t.hour for t, n in zip(data.times, ca, strict=True) if n}
    assert busy <= {14, 15, 16, 17}
    assert data.times[0] == START


def test_daily_buckets_past_three_days(month):
    truth, summary = month
    data = chart_data(summary)
    assert data.bucket == summary.timeline["bucket"] == "day"
    check_times(data.times, timedelta(days=1))
    assert all(t.hour == 0 for t in data.times)
    assert len(data.times) == (truth.last.date() - truth.first.date()).days + 1


def check_times(times, step):
    """UTC, sorted, one per bucket with no gaps (a quiet hour is a zero, not a jump)."""
    assert times
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert all(b - a == step for a, b in zip(times, times[1:], strict=False))


def test_needs_chart(outage, tmp_path):
    assert needs_chart(outage[1])
    hostile_strings(tmp_path / "short.evtx")  # failures within half an hour
    assert not needs_chart(summarize_file(tmp_path / "short.evtx"))


def test_hostile_strings_are_drawn_as_text(tmp_path):
    hostile_strings(tmp_path / "hostile.evtx")
    summary = summarize_file(tmp_path / "hostile.evtx")
    out = tmp_path / "hostile.png"
    data = timeline_chart(summary, out)
    assert png_size(out.read_bytes()) == (800, 400)
    assert sum(map(sum, data.series.values())) == 7


def test_names_that_would_break_matplotlib_math_or_layout(tmp_path):
    """Group names come from the log for unknown events (provider + ID), and file and
    server names are users' text: unbalanced `$` math, newlines, CJK, very long."""
    evil = "$\\frac{$ ^_^ $x^$\n\t<!channel> 日本語 " + "A" * 300
    group = Group(
        event_id="99", name=evil, code="0x80004005", code_name=None, outcome="failure",
        operation="pkcs", entry=None, code_entry=None, count=3,
    )  # fmt: skip
    group.hours[START] = 2
    group.hours[START + timedelta(hours=5)] = 1
    summary = Summary(
        file=evil + ".evtx", format="evtx", servers=[evil, "ndes-$1$.example"],
        first=START, last=START + timedelta(hours=5), failures=[group],
        timeline={"bucket": "hour", "points": [
            {"t": "2026-11-02T06:00:00Z", "failures": 2, "successes": 4},
            {"t": "2026-11-02T11:00:00Z", "failures": 1, "successes": 0},
        ]},
    )  # fmt: skip
    out = tmp_path / "evil.png"
    data = timeline_chart(summary, out)
    assert png_size(out.read_bytes()) == (800, 400)
    assert data.series == {"99 0x80004005": [2, 0, 0, 0, 0, 1]}
    assert data.successes == [4, 0, 0, 0, 0, 0]
    assert "\n" not in data.title
    assert len(data.title) < 100
    assert all(len(line) <= 30 for line in data.labels["99 0x80004005"].split("\n"))


def test_a_log_without_connector_events(tmp_path):
    b = LogBuilder(5)
    b.scm_7036(START, "NDES01.contoso.com", "Spooler", "running")
    b.msi_1033(START + timedelta(hours=3), "NDES01.contoso.com")  # (a w3wp.exe crash is an IIS-hop failure now)
    b.write(tmp_path / "quiet.evtx")
    summary = summarize_file(tmp_path / "quiet.evtx")
    assert not needs_chart(summary)
    out = tmp_path / "quiet.png"
    data = timeline_chart(summary, out)
    assert png_size(out.read_bytes()) == (800, 400)
    assert (data.times, data.series, data.successes) == ([], {}, [])


def test_an_empty_summary():
    data = timeline_chart(Summary(file="", format="evtx"), io.BytesIO())
    assert data.times == []
    assert data.series == {}


def test_a_single_failure(tmp_path):
    b = LogBuilder(6)
    b.legacy(20102, START + timedelta(minutes=17), "NDES01.contoso.com", "0x00000400",
             device=b.guid(), ca="CA01", template="T", thumbprint="")  # fmt: skip
    b.write(tmp_path / "one.evtx")
    summary = summarize_file(tmp_path / "one.evtx")
    assert not needs_chart(summary)  # one event spans no time
    out = tmp_path / "one.png"
    data = timeline_chart(summary, out)
    assert png_size(out.read_bytes()) == (800, 400)
    assert data.times == [datetime(2026, 11, 2, 6, tzinfo=UTC)]
    assert data.series == {"20102 0x00000400": [1]}
    assert data.successes == [0]


def test_summary_keeps_failures_per_hour(outage):
    """The summary's per-group hours are what the chart draws, and add up to the count."""
    for group in outage[1].failures:
        assert sum(group.hours.values()) == group.count
        assert all(t.minute == t.second == 0 and t.utcoffset() == timedelta(0) for t in group.hours)
        assert min(group.hours) <= group.first
        assert max(group.hours) <= group.last
        assert "hours" not in group.to_dict()  # the --json contract is unchanged


# ---------------------------------------------------------------- the CLI


def test_summarize_chart_option(outage, tmp_path):
    out = tmp_path / "timeline.png"
    log = outage[0].path
    result = CliRunner().invoke(cli, ["summarize", str(log), "--json", "--chart", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["file"] == log.name  # stdout is still only the JSON
    assert png_size(out.read_bytes()) == (800, 400)
    assert result.stderr == ""


def test_summarize_chart_says_when_there_is_little_to_see(tmp_path):
    hostile_strings(tmp_path / "short.evtx")
    out = tmp_path / "short.png"
    result = CliRunner().invoke(
        cli, ["summarize", str(tmp_path / "short.evtx"), "--chart", str(out)]
    )
    assert result.exit_code == 0
    assert "spans an hour or less" in result.stderr
    assert png_size(out.read_bytes()) == (800, 400)


def test_summarize_chart_to_a_missing_folder_fails_in_one_line(outage, tmp_path):
    out = tmp_path / "nope" / "timeline.png"
    result = CliRunner().invoke(cli, ["summarize", str(outage[0].path), "--chart", str(out)])
    assert result.exit_code != 0
    assert result.stderr.strip().count("\n") == 0
    assert "cannot write" in result.stderr


def test_the_cli_never_imports_matplotlib_unless_asked():
    code = (
        "import sys, bot.cli\n"
        "assert 'matplotlib' not in sys.modules, 'import bot.cli'\n"
        "try:\n"
        "    bot.cli.cli(['lookup', '20502'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "assert 'matplotlib' not in sys.modules, 'lookup'\n"
        "import bot.chart\n"
        "assert 'matplotlib' not in sys.modules, 'import bot.chart'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_a_log_stretched_over_decades_draws_few_bars_quickly(tmp_path):
    # One record with a reset clock (1970) next to today's: 20,000 daily buckets.
    from datetime import UTC, datetime

    from tests.support.evtx_writer import Record, write_evtx

    records = [
        Record(event_id=20102, time=datetime(year, 1, 1, tzinfo=UTC),
               provider="Microsoft Intune Connector", channel="Microsoft Intune Connector",
               computer="NDES01", level=2, data=[("DiagnosticCode", "0x00000400")])
        for year in (1970, 2026)
    ]  # fmt: skip
    write_evtx(tmp_path / "span.evtx", records)
    summary = summarize_file(tmp_path / "span.evtx")
    data = chart_data(summary)
    assert len(data.times) <= MAX_BARS
    assert data.span > 1
    assert sum(sum(v) for v in data.series.values()) == 2
    png = tmp_path / "span.png"
    timeline_chart(summary, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
