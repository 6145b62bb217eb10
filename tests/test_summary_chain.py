"""One summary across the chain's hops: the JSON contract (additive) and the terminal report."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from bot.cli import cli
from bot.hops import chain_steps
from bot.summary_file import summarize_file
from bot.textfmt import format_summary
from tests.support.chain_events import ca_records, chain_records, write_records
from tests.support.chain_logs import (
    MSCEP,
    VERIFY,
    Request,
    Trace,
    build_zip,
    iis_lines,
    write_iis,
    write_svclog,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _iis(tmp_path):
    return write_iis(tmp_path / "u_ex240301.log", iis_lines([
        Request(T0, MSCEP, 403),  # the healthy probe
        Request(T0, MSCEP, 200, query="operation=GetCACert&message=x"),
        Request(T0, VERIFY, 403, 16, 2148204809, method="POST", user_agent="NDES_Plugin"),
        Request(T0, VERIFY, 403, 16, 2148204809, method="POST", user_agent="NDES_Plugin"),
        Request(T0, MSCEP, 403, query="operation=PKIOperation&message=x"),  # a 403 to SCEP itself
        Request(T0, "/", 200),
    ]))  # fmt: skip


def test_iis_entries_in_the_json_contract(tmp_path):
    got = summarize_file(_iis(tmp_path)).to_dict()
    by_status = {g["status"]: g for g in got["failures"]}
    assert set(by_status) == {"403.16", "403.0"}
    g = by_status["403.16"]
    assert g["event_id"] is None
    assert g["hop"] == "iis"
    assert g["source"] == "IIS"
    assert (g["url"], g["win32"], g["count"], g["code"]) == (VERIFY, 2148204809, 2, "0x800B0109")
    assert by_status["403.0"]["url"] == MSCEP
    assert by_status["403.0"]["win32"] == 0
    assert got["hops"] == {"iis": {"records": 5, "failures": 3}}
    assert got["ignored"] == 1
    assert got["broken_hop"] == "iis"
    json.dumps(got)  # serializable as printed


def test_every_failure_names_hop_and_source(tmp_path):
    path = tmp_path / "chain.evtx"
    write_records(path, chain_records(), "evtx")
    got = summarize_file(path).to_dict()
    assert all(g["hop"] in ("device", "iis", "ndes", "connector", "ca") and g["source"] for g in got["failures"])
    assert all(isinstance(g["event_id"], str) and g["event_id"].isdigit() for g in got["failures"])
    # check first: the broken hop's (the device's) most frequent failure, not another hop's
    assert got["check_first"]["event_id"] in {"32", "307", "86", "11"}


def test_chain_steps_mark_the_first_broken_hop():
    steps = chain_steps({"iis": {"records": 3, "failures": 0}, "ndes": {"records": 2, "failures": 1},
                         "ca": {"records": 5, "failures": 4}})  # fmt: skip
    assert [(s["label"], s["seen"], s["failures"], s["broken"]) for s in steps] == [
        ("device", False, 0, False), ("IIS/NDES", True, 1, True),
        ("connector", False, 0, False), ("CA", True, 4, False)]  # fmt: skip


def test_terminal_report_shows_the_chain_and_each_hops_fix(tmp_path):
    path = tmp_path / "chain.evtx"
    write_records(path, chain_records(), "evtx")
    text = format_summary(summarize_file(path))
    assert "Chain: device [4 failed (BROKEN HERE)] → IIS/NDES [5 failed] → connector [no log] → CA [2 failed]" in text
    lines = text.splitlines()
    heads = [line.strip() for line in lines if line.startswith(" ") and line.strip().endswith(":") and len(line.strip()) < 12]
    assert heads[:4] == ["device:", "IIS:", "NDES:", "CA:"]
    assert any(line.strip().startswith("fix: ") for line in lines)


def test_a_connector_only_log_has_no_chain_line(tmp_path):
    from tests.support import connector_logs as logs

    path = tmp_path / "outage.evtx"
    logs.legacy_pkcs_ca_outage(path)
    assert "Chain:" not in format_summary(summarize_file(path))


def test_cli_summarizes_a_zip_of_every_hop(tmp_path):
    members = [("NDES1/u_ex240301.log", _iis(tmp_path).read_bytes())]
    svclog = write_svclog(tmp_path / "c.svclog", [Trace(T0, "IssuePfx - COMException (0x800706BA): CCertRequest::Submit: The RPC server is unavailable.", "Error")])
    members.append(("NDES1/Logs/NDESConnector_1.svclog", svclog.read_bytes()))
    write_records(tmp_path / "ca.evtx", ca_records(), "evtx")
    members.append(("CA01/Application.evtx", (tmp_path / "ca.evtx").read_bytes()))
    path = tmp_path / "everything.zip"
    build_zip(path, members)
    result = CliRunner().invoke(cli, ["summarize", str(path), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["format"] == "zip"
    assert [f["format"] for f in got["files"]] == ["iis", "svclog", "evtx"]
    assert list(got["hops"]) == ["iis", "connector", "ca"]
    assert got["broken_hop"] == "iis"
    connector = [g for g in got["failures"] if g["hop"] == "connector"]
    assert connector[0]["source"] == "NDESConnector"
    assert connector[0]["code"] == "0x800706BA"
    text = CliRunner().invoke(cli, ["summarize", str(path)]).output
    assert "IIS/NDES [3 failed (BROKEN HERE)]" in text
    assert "CA [2 failed]" in text


def test_iis_successes_count_under_iis_in_one_rate_with_its_failures(tmp_path):
    from datetime import timedelta

    from tests.support.chain_logs import Request, iis_lines, write_iis

    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    requests = [Request(t0 + timedelta(minutes=i), status=200 if i % 2 else 500) for i in range(6)]
    data = summarize_file(write_iis(tmp_path / "u_ex261120.log", iis_lines(requests))).to_dict()

    assert data["successes"] == {"IIS": 3}  # not under a made-up event "0"
    assert data["success_rates"] == [
        {"operation": "web", "succeeded": 3, "failed": 3, "retried": 0, "rate": 0.5}
    ]
