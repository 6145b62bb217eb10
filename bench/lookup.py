"""Lookup latency: in-process p50/p99 over the test queries, and CLI cold start.

    .venv/bin/python bench/lookup.py

Prints figures; asserts nothing (goals: p99 < 1 ms in-process; CLI cold start
within 1.5x of `python -c "import click, rapidfuzz"`, measured in the same run).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search import lookup  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def in_process(rounds: int = 20) -> None:
    queries = tomllib.loads((ROOT / "tests" / "lookup_queries.toml").read_text("utf-8"))["q"]
    texts = [q["text"] for q in queries]
    lookup("warm up the index")
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            lookup(text)
            samples.append((time.perf_counter() - start) * 1000)
    print(f"in-process lookup over {len(texts)} queries x {rounds}: "
          f"p50 {percentile(samples, 50):.3f} ms, p99 {percentile(samples, 99):.3f} ms, "
          f"max {max(samples):.3f} ms")  # fmt: skip


def wall(cmd: list[str], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cold_start() -> None:
    py = sys.executable
    floor = wall([py, "-c", "import click, rapidfuzz"])
    cli = wall([py, "-m", "bot", "lookup", "20502"])
    script = Path(py).parent / "intune-bot"
    entry = wall([str(script), "lookup", "20502"]) if script.exists() else float("nan")
    print(f"floor `python -c 'import click, rapidfuzz'`: {floor:.0f} ms (median of 15)")
    print(f"`python -m bot lookup 20502`: {cli:.0f} ms ({cli / floor:.2f}x floor)")
    print(f"`intune-bot lookup 20502`: {entry:.0f} ms ({entry / floor:.2f}x floor)")


if __name__ == "__main__":
    in_process()
    cold_start()
