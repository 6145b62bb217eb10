"""`intune-bot lookup 20502` starts fast: it loads only what answering a lookup needs.

Each module below costs the CLI's cold start milliseconds (issue 10 asks for at most
1.5x `python -c "import click, rapidfuzz"`), and none is needed to answer a lookup:
a module listed here creeping back onto the path fails this test, not just the bench.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

NOT_FOR_A_LOOKUP = (
    "dataclasses",  # each dataclass costs ~1 ms to define
    "pathlib",  # pulls in urllib.parse and ipaddress
    "tomllib",  # the catalogue comes from its checked cache
    "json",  # only for --json
    "bot.entry_schema",  # checking entries: only when the cache is stale
    "bot.hops",
    "bot.listing",
    "bot.history_words",
    "bot.history",
    "bot.logs",
    "bot.cli_history",
    "bot.playground",
    "sqlite_utils",
    "slack_bolt",
)

_RUN = """
import sys
from bot.cli import main
sys.argv = ["intune-bot", "lookup", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""


def _lookup(*args: str) -> tuple[str, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _RUN, *args], cwd=REPO, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    return result.stdout, set(result.stderr.splitlines()[-1].split())


def test_lookup_of_an_id_loads_nothing_it_does_not_need():
    _lookup("20502")  # the first run may (re)write the catalogue cache
    out, loaded = _lookup("20502")

    assert out.startswith("Event 20502 CRPVerifyMetric_Failure")
    assert sorted(loaded & set(NOT_FOR_A_LOOKUP)) == []


def test_lookup_of_a_question_loads_nothing_it_does_not_need():
    out, loaded = _lookup("why", "did", "PKCS", "issuance", "fail")

    assert out.strip()
    assert sorted(loaded & set(NOT_FOR_A_LOOKUP)) == []
