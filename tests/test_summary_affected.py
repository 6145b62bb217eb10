"""Who the failures hit is counted across every failure group, not the largest one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.slack import render
from bot.summary_file import summarize_file
from tests.support.evtx_writer import write_evtx
from tests.support.legacy_log import START, records
from tests.support.slack import texts


def device(n: int) -> str:
    return f"4f1c2d3e-aaaa-bbbb-cccc-{n:012d}"


def test_devices_failing_in_different_groups_are_all_counted(tmp_path):
    # 20502 with 0x00000410 on six devices, then with another code on six others:
    # two groups, each showing 5 example devices of its 6.
    first = [r for n in range(6) for r in records(1, device=device(n))]
    second = [
        replace(r, data=[(k, "0x00000403" if k == "Diagnostic Code" else v) for k, v in r.data])
        for n in range(6, 12)
        for r in records(1, device=device(n), start=START + timedelta(hours=1))
    ]
    path = tmp_path / "two-groups.evtx"
    write_evtx(path, [*first, *second])

    data = summarize_file(path).to_dict()

    assert [g["devices"]["count"] for g in data["failures"]] == [6, 6]
    assert data["affected"]["devices"] == 12
    assert data["affected"]["servers"] == 1
    (line,) = [t for t in texts([render.summary(data)]).splitlines() if "Devices (" in t]
    assert line.startswith("Devices (12): ")
