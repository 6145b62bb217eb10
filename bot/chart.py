"""A timeline picture of a summary: failures over time by event, successes for contrast.

`chart_data(summary)` is the pure part (what the picture shows, for tests and
for anyone who wants to draw it differently); `timeline_chart()` draws it as a
PNG sized for Slack's preview (~800x400 px). matplotlib is imported inside
`timeline_chart` only, so `intune-bot lookup` and the CLI's start never pay
for it (about half a second), and it draws through the object API with the
Agg canvas: headless, and no pyplot global state shared between threads.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bot.summary_values import Group, Summary

TOP = 5  # failure series drawn one by one; the rest are summed as "other"
OTHER = "other"
# Okabe-Ito colours: told apart by colour-blind readers too. Vermillion for the
# most frequent failure; grey is kept for successes and "other".
COLOURS = ["#D55E00", "#0072B2", "#E69F00", "#CC79A7", "#009E73"]
OTHER_COLOUR = "#666666"
SUCCESS_COLOUR = "#B8B8B8"
LABEL_CHARS = 30  # legend lines longer than this are cut: the legend must not eat the plot


@dataclass
class ChartData:
    """The numbers behind the picture: one count per bucket for each series."""

    bucket: str  # "hour" or "day", the rule of Summary.timeline
    times: list[datetime] = field(default_factory=list)  # bucket starts, UTC, sorted, no gaps
    span: int = 1  # buckets per bar: >1 only when a long log would need over MAX_BARS bars
    series: dict[str, list[int]] = field(default_factory=dict)  # "20102 0x00000400" -> counts
    labels: dict[str, str] = field(default_factory=dict)  # series -> legend text
    successes: list[int] = field(default_factory=list)
    title: str = ""


MAX_BARS = 400  # beyond this a bar is under 2 px wide at 800 px, and drawing takes seconds


def series_key(group: Group) -> str:
    """A failure group's series name: event ID and code, as people search for them."""
    return f"{group.event_id} {group.code}" if group.code else group.event_id


def needs_chart(summary: Summary) -> bool:
    """Worth a picture: failures spread over more than an hour (less is one bar)."""
    if not summary.failures or summary.first is None or summary.last is None:
        return False
    return summary.last - summary.first > timedelta(hours=1)


FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}  # what a chart file may be


def format_for(path: str | Path) -> str:
    """The image format a chart file's suffix names; ValueError (one line) for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        named = f"'{suffix}'" if suffix else "no suffix"
        raise ValueError(f"{Path(path).name} has {named}: name the chart .png, .svg or .pdf")
    return FORMATS[suffix]


def _bucket_start(t: datetime, bucket: str) -> datetime:
    t = t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return t.replace(hour=0) if bucket == "day" else t


def chart_data(summary: Summary, *, top: int = TOP) -> ChartData:
    """Per-bucket counts of the `top` most frequent failures, the rest, and successes."""
    bucket = summary.timeline.get("bucket", "hour")
    step = timedelta(days=1) if bucket == "day" else timedelta(hours=1)
    # Successes per bucket come from the timeline, which already uses this bucket.
    ok: Counter = Counter()
    for p in summary.timeline.get("points", []):
        ok[_bucket_start(datetime.fromisoformat(p["t"]), bucket)] += p["successes"]
    per_series: dict[str, Counter] = {}
    labels: dict[str, str] = {}
    for i, group in enumerate(summary.failures):
        key = series_key(group) if i < top else OTHER
        counts = per_series.setdefault(key, Counter())
        for hour, n in group.hours.items():
            counts[_bucket_start(hour, bucket)] += n
    for group in summary.failures[:top]:
        labels[series_key(group)] = _label(group)
    if rest := summary.failures[top:]:
        labels[OTHER] = _other_label(sum(g.count for g in rest), len(rest))
    seen = set(ok).union(*per_series.values())
    times: list[datetime] = []
    if seen:  # every bucket from the first to the last, so gaps show as gaps
        t, last = min(seen), max(seen)
        while t <= last:
            times.append(t)
            t += step
    series = {k: [c.get(t, 0) for t in times] for k, c in per_series.items()}
    successes = [ok.get(t, 0) for t in times]
    # A stray timestamp (a clock reset to 1970) can stretch a log over decades:
    # draw at most MAX_BARS bars, each summing `span` buckets, not 20,000 of them.
    span = -(-len(times) // MAX_BARS) if len(times) > MAX_BARS else 1
    if span > 1:
        times = times[::span]
        series = {k: _sums(v, span) for k, v in series.items()}
        successes = _sums(successes, span)
    return ChartData(
        bucket=bucket,
        times=times,
        span=span,
        series=series,
        labels=labels,
        successes=successes,
        title=_title(summary),
    )


def _sums(values: list[int], n: int) -> list[int]:
    return [sum(values[i : i + n]) for i in range(0, len(values), n)]


def _clean(text: str) -> str:
    """Log text on one line (a newline or tab from a log would break the layout)."""
    return " ".join(str(text).split())


def _cut(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _label(group: Group) -> str:
    # Two short lines: the ID and code people search for, then the code's (or event's) name.
    first = _clean(series_key(group))
    second = _clean(group.code_name or group.name)
    return f"{_cut(first)}\n{_cut(second)}"


def _other_label(failures: int, kinds: int) -> str:
    """The "other" series counts failures (events), and says of how many kinds."""
    return (
        f"other\n({failures:,} failure{'s' if failures != 1 else ''} of "
        f"{kinds} more kind{'s' if kinds != 1 else ''})"
    )


def _title(summary: Summary) -> str:
    servers = summary.servers
    where = ", ".join(servers[:2]) + (f" +{len(servers) - 2} more" if len(servers) > 2 else "")
    # ~70 characters fit across 800 px in the bold title font.
    name = _cut(_clean(summary.file or "event log"), 30)
    return f"{name} — {_cut(_clean(where), 38)}" if where else name


def _locator(mdates, unit: str, buckets: int):
    """At most ~6 ticks, on round hours (1, 2, 3, 6, 12) or days (1, 2, 7, 14)."""
    if unit == "day":
        every = next((n for n in (1, 2, 7, 14) if buckets / n <= 6), 28)
        return mdates.DayLocator(interval=every, tz=UTC)
    every = next((n for n in (1, 2, 3, 6, 12) if max(buckets, 4) / n <= 6), 24)
    return mdates.HourLocator(byhour=range(0, 24, every), tz=UTC)


def _fit(text, max_px: float) -> None:
    """Shorten a text artist until it fits: character counts alone cannot tell a wide
    script or a run of capitals from narrow letters."""
    renderer = text.figure.canvas.get_renderer()
    content = text.get_text()
    while text.get_window_extent(renderer).width > max_px and len(content) > 12:
        content = content[: int(len(content) * 0.9)]
        text.set_text(content.rstrip() + "…")


def timeline_chart(
    summary: Summary,
    path_or_file: str | Path | BinaryIO,
    *,
    width_px: int = 800,
    height_px: int = 400,
    top: int = TOP,
    image_format: str = "png",
) -> ChartData:
    """Draw failures per hour (or day) by event over successes; write a PNG; return the data.

    `image_format` is one of FORMATS (`format_for(path)` picks it from a file name).

    Always writes a picture, even with no failures (it then says so): a caller
    that asked for a chart gets one. Use `needs_chart` to decide whether to ask.
    """
    data = chart_data(summary, top=top)
    with warnings.catch_warnings():
        # A server or file name in a script the font lacks draws as boxes; that is
        # not worth a warning per glyph (and tests turn warnings into errors).
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        _draw(summary, data, path_or_file, width_px, height_px, image_format)
    return data


def _draw(summary: Summary, data: ChartData, path_or_file, width_px: int, height_px: int,
          image_format: str = "png") -> None:  # fmt: skip
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06, hspace=0.02, wspace=0.01)
    # Failures on top with their own scale (successes often outnumber them 10 to 1),
    # successes in a small panel below on the same time axis.
    # The legend gets a column of its own (~210 px) spanning both panels: it never
    # covers a bar, and the layout engine keeps it clear of the title.
    axes = fig.subplot_mosaic(
        [["fails", "legend"], ["oks", "legend"]],
        height_ratios=[3, 1],
        width_ratios=[max(width_px - 300, 200), 210],
    )
    fails, oks, side = axes["fails"], axes["oks"], axes["legend"]
    oks.sharex(fails)
    fails.tick_params(labelbottom=False)  # one row of times, under the bottom panel
    side.axis("off")
    # parse_math=False wherever log text is drawn: a `$...$` in a file or server
    # name is text, not matplotlib math (which can fail to parse and abort the draw).
    title = fig.suptitle(data.title, fontsize=13, fontweight="bold", parse_math=False)
    _fit(title, width_px - 16)

    total_fail = sum(g.count for g in summary.failures)
    total_ok = sum(data.successes)
    unit = data.bucket
    step = (timedelta(days=1) if unit == "day" else timedelta(hours=1)) * data.span
    if data.times:
        # Bars start at the bucket's start: a bar covers the hour (or day) it counts.
        x = data.times
        width = step * 0.85
        bottom = [0] * len(data.times)
        colours = iter(COLOURS)
        for key, counts in data.series.items():
            colour = OTHER_COLOUR if key == OTHER else next(colours)
            fails.bar(x, counts, width=width, bottom=bottom, align="edge", color=colour,
                      label=data.labels[key], linewidth=0)  # fmt: skip
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        oks.bar(x, data.successes, width=width, align="edge", color=SUCCESS_COLOUR, linewidth=0)
        fails.set_ylim(0, max(max(bottom), 1) * 1.12)  # headroom: the tallest bar stays inside
        # At least four buckets wide, so one bar does not fill the picture.
        pad = step * max(0.5, (4 - len(x)) / 2)
        fails.set_xlim(x[0] - pad, x[-1] + step + pad)
        # Days read inclusive ("to 29 Nov" = through the 29th), hours as clock times.
        start, end = x[0], x[-1] + step - timedelta(days=1) if unit == "day" else x[-1] + step
        fmt = "%Y-%m-%d" if unit == "day" else "%Y-%m-%d %H:%M"
        oks.set_xlabel(f"UTC, {start:{fmt}} to {end:{fmt}}", fontsize=11)
    else:
        oks.set_xlabel("UTC", fontsize=11)
    if not total_fail:
        empty = "no connector failures" if summary.connector_events else "no connector events"
        fails.text(0.5, 0.5, empty, transform=fails.transAxes,
                   ha="center", va="center", fontsize=14, color="#333333")  # fmt: skip
    if not total_ok:
        oks.text(0.5, 0.5, "no successes", transform=oks.transAxes,
                 ha="center", va="center", fontsize=11, color="#333333")  # fmt: skip

    fails.set_title(f"{total_fail:,} failures by event, {total_ok:,} successes", loc="left",
                    fontsize=11, color="#333333")  # fmt: skip
    per = unit if data.span == 1 else f"{data.span} {unit}s"
    fails.set_ylabel(f"failures / {per}", fontsize=11)
    oks.set_ylabel(f"successes\n/ {per}", fontsize=10, color="#555555")
    for ax in (fails, oks):
        ax.tick_params(labelsize=11)
        ax.spines[["top", "right"]].set_visible(False)
        ax.yaxis.get_major_locator().set_params(integer=True, nbins=4)
        if not data.times:  # nothing to put on a scale: no ticks rather than made-up ones
            ax.set_xticks([])
            ax.set_yticks([])
    fails.grid(axis="y", color="#E5E5E5", linewidth=0.8)
    fails.set_axisbelow(True)
    oks.yaxis.get_major_locator().set_params(nbins=2)

    # Times in UTC whatever the machine's zone: few ticks, on whole hours or days,
    # the date only where it changes (the label below gives the full range).
    if data.times:
        locator = (
            _locator(mdates, unit, len(data.times)) if data.span == 1
            else mdates.AutoDateLocator(tz=UTC, maxticks=6)
        )  # fmt: skip
        oks.xaxis.set_major_locator(locator)
        oks.xaxis.set_major_formatter(
            # "07 Nov" for days (a bare "07" reads as an hour); "06:00", "Nov-03" for hours.
            mdates.DateFormatter("%d %b", tz=UTC) if unit == "day" and data.span == 1
            else mdates.ConciseDateFormatter(locator, tz=UTC, show_offset=False)
        )  # fmt: skip

    if data.series:
        handles, labels = fails.get_legend_handles_labels()
        legend = side.legend(handles, labels, loc="upper left", bbox_to_anchor=(0, 1.0),
                             fontsize=9.5, frameon=False, labelspacing=0.7, handlelength=1.2,
                             borderaxespad=0)  # fmt: skip
        for text in legend.get_texts():
            text.set_parse_math(False)
    fig.savefig(path_or_file, format=image_format, dpi=dpi)
