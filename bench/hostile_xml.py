"""XML that costs far more than its size: peak memory and time of `intune-bot summarize`.

Each case is a real process (`python -m bot summarize FILE --json`), so its peak RSS is
its own. Cases (issue: 14 MB of nested elements took 555 MB; 196 MB of empty
elements took 81 s and said nothing):
- nested: one event whose System element nests 2,000,000 levels (13 MB);
- empty: 20 MB of empty top-level elements that are not events (5,000,000 of them).

    .venv/bin/python bench/hostile_xml.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def cases(folder: Path) -> dict[str, Path]:
    n = 2_000_000
    nested = folder / "nested.xml"
    nested.write_text(f'<?xml version="1.0"?><Events><Event xmlns="{NS}"><System>'
                      + "<a>" * n + "</a>" * n + "</System></Event></Events>")  # fmt: skip
    empty = folder / "empty.xml"
    empty.write_text('<?xml version="1.0"?><Events>' + "<x/>" * 5_000_000 + "</Events>")
    return {"nested": nested, "empty": empty}


def run(path: Path) -> tuple[float, float, list[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bot", "summarize", str(path), "--json"],
                          cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    seconds = time.monotonic() - start
    # ru_maxrss of children is the largest child so far: run the cases smallest first.
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    problems = [p["reason"] for p in json.loads(done.stdout)["problems"]]
    return peak, seconds, problems


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in cases(Path(tmp)).items():
            peak, seconds, problems = run(path)
            size = path.stat().st_size / 2**20
            print(f"{name:7} {size:5.1f} MB: peak RSS {peak:4.0f} MB, {seconds:5.1f} s; {problems}")


if __name__ == "__main__":
    main()
