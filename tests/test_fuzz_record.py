"""Heavily damaged real logs through `summarize --record`: a summary or one line, never a traceback.

Seeded bit flips (10, 100 or 1,000 a file) of real public event logs and of the shipped
connector sample, each summarized and recorded into one real SQLite history. Whatever
damage does to a record's fields (a Computer that became a number, a Provider that
became text), it is a problem of that record, not of the file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from tests.support.samples import sample

REPO = Path(__file__).resolve().parents[1]
SOURCES = (
    "normal__evtxrs__2-system-Microsoft-Windows-LiveId_4Operational.evtx",  # found the int Channel
    "normal__evtxrs__Application_no_crc32.evtx",
    "normal__mitre__ID4885_4876_4877_5123_5124-ADCS_PKI_OCSP.evtx",
    "normal__evtxrs__E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2_4Operational.evtx",
)
MUTANTS = 400


def mutants(tmp_path: Path):
    rng = random.Random(7)
    originals = [REPO / "samples" / "connector.evtx", *(sample(name) for name in SOURCES)]
    for i in range(MUTANTS):
        data = bytearray(originals[i % len(originals)].read_bytes())
        for _ in range(rng.choice((10, 100, 1000))):
            at = rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
        path = tmp_path / f"mutant-{i}.evtx"
        path.write_bytes(bytes(data))
        yield path


def test_mutated_real_logs_never_raise_through_summarize_record(tmp_path):
    db = tmp_path / "history.db"
    runner = CliRunner()
    outcomes = {"summarized": 0, "refused": 0}
    for path in mutants(tmp_path):
        # catch_exceptions=False: any exception, anywhere, fails the test with its traceback.
        result = runner.invoke(cli, ["summarize", str(path), "--record", "--json", "--db", str(db)],
                               catch_exceptions=False)  # fmt: skip
        assert result.exit_code in (0, 1), (path.name, result.output)
        if result.exit_code == 0:
            data = json.loads(result.stdout)
            assert all(isinstance(s, str) for s in data["servers"]), path.name
            outcomes["summarized"] += 1
        else:
            (line,) = result.stderr.strip().splitlines()  # one line, saying why
            assert line.startswith("Error: "), path.name
            outcomes["refused"] += 1
        path.unlink()
    print(outcomes)  # pytest -s shows the corpus outcome
    assert outcomes["summarized"] > MUTANTS // 2  # most damaged logs still give a summary
    servers = runner.invoke(cli, ["servers", "--json", "--db", str(db)], catch_exceptions=False)
    assert all(isinstance(s["name"], str) for s in json.loads(servers.stdout)["servers"])
