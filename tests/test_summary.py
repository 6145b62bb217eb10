"""Summaries are right on the numbers: compared with the fixtures' ground truth."""

import json
import subprocess
import sys

import pytest

from bot.knowledge import default_catalogue
from bot.logs import NotAnEventLog
from bot.summary_file import summarize_file
from tests.support import connector_logs as logs

FORMATS = ["evtx", "xml", "wevtutil", "csv", "txt", "csv-fr", "txt-fr"]
# Event Viewer's CSV/TXT exports keep only the rendered message: no computer
# column and no EventData, so servers and per-device detail exist only in the
# .evtx and XML exports.
STRUCTURED = {"evtx", "xml", "wevtutil"}


def key(group):
    return (group["event_id"], group["code"])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", sorted(logs.SCENARIOS))
def test_summary_matches_ground_truth(tmp_path, scenario, fmt):
    path = tmp_path / f"{scenario}.{fmt}"
    truth = logs.SCENARIOS[scenario](path, fmt=fmt).to_dict()
    got = summarize_file(path).to_dict()

    assert got["records"] == truth["records"]
    assert got["connector_events"] == truth["connector_events"]
    assert (got["first"], got["last"]) == (truth["first"], truth["last"])
    catalogue = default_catalogue()
    expected_successes = {
        eid: n for eid, n in truth["successes"].items()
        if catalogue.event(eid).outcome == "success"  # the fixture also counts "received" events
    }  # fmt: skip
    assert got["successes"] == expected_successes
    if fmt in STRUCTURED:
        assert got["servers"] == truth["servers"]
    for kind in ("failures", "warnings", "retries"):
        expected = {key(g): g for g in truth[kind]}
        actual = {key(g): g for g in got[kind]}
        assert actual.keys() == expected.keys(), kind
        for k, want in expected.items():
            have = actual[k]
            assert (have["count"], have["first"], have["last"]) == (
                want["count"], want["first"], want["last"],
            ), (kind, k)  # fmt: skip
            if fmt in STRUCTURED:
                assert have["later_succeeded"] == want["later_succeeded"], (kind, k)
                assert have["devices"]["count"] == want["devices"], (kind, k)
                assert sorted(have["cas"]["examples"]) == sorted(want["cas"]), (kind, k)
                assert sorted(have["templates"]["examples"]) == sorted(want["templates"]), (kind, k)
                assert have["servers"] == dict(want["servers"]), (kind, k)
    counts = [g["count"] for g in got["failures"]]
    assert counts == sorted(counts, reverse=True), "most frequent first"


def test_summary_names_the_dominant_failure_and_what_to_check(tmp_path):
    path = tmp_path / "outage.evtx"
    logs.legacy_pkcs_ca_outage(path)
    got = summarize_file(path).to_dict()
    check = got["check_first"]
    assert (check["event_id"], check["code"]) == ("20102", "0x00000400")
    assert check["code_name"] == "PKCS_Issue_CA_Unavailable"
    entry = default_catalogue().get("0x00000400")
    assert check["fixes"][0]["en"] == entry.fixes[0].text.en
    rates = {r["operation"]: r for r in got["success_rates"]}
    issue = rates["pkcs_issue"]
    assert issue["rate"] == round(issue["succeeded"] / (issue["succeeded"] + issue["failed"]), 4)


def test_benign_noise_is_not_a_failure(tmp_path):
    path = tmp_path / "mixed.evtx"
    truth = logs.new_connector_mixed(path).to_dict()
    got = summarize_file(path).to_dict()
    noise = {n["event_id"]: n["count"] for n in got["noise"]}
    assert noise == truth["noise"]
    # By source too: the w3wp.exe crash (Application Error 1000) is a failure, the connector's 1000 noise.
    failing = {g["event_id"] for g in got["failures"] if g["source"].startswith("Microsoft-Intune")}
    assert not failing & set(noise)


def test_timeline_counts_add_up(tmp_path):
    path = tmp_path / "outage.evtx"
    logs.legacy_pkcs_ca_outage(path)
    got = summarize_file(path).to_dict()
    points = got["timeline"]["points"]
    assert got["timeline"]["bucket"] == "hour"
    assert sum(p["failures"] for p in points) == sum(g["count"] for g in got["failures"])
    assert sum(p["successes"] for p in points) == sum(got["successes"].values())
    assert [p["t"] for p in points] == sorted(p["t"] for p in points)


def test_summarize_json_contract_from_the_cli(tmp_path):
    path = tmp_path / "two.evtx"
    logs.two_servers(path)
    out = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", str(path), "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    for field in ("file", "format", "servers", "records", "connector_events", "first", "last",
                  "failures", "warnings", "successes", "problems"):  # fmt: skip
        assert field in data
    assert data["file"] == "two.evtx"
    assert data["format"] == "evtx"
    assert data["first"].endswith("Z")
    assert data["last"].endswith("Z")
    for group in data["failures"] + data["warnings"]:
        assert {"event_id", "name", "code", "count", "first", "last"} <= set(group)
        assert isinstance(group["event_id"], str)


def test_summarize_refuses_what_is_not_a_log(tmp_path):
    path = tmp_path / "report.evtx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(NotAnEventLog) as err:
        summarize_file(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("shape", ["named", "spaced", "message", "lines", "mixed"])
@pytest.mark.parametrize("provider", ["Microsoft Intune Connector", "NDESConnector"])
def test_legacy_event_shapes_give_the_same_summary(tmp_path, shape, provider):
    # The legacy connector's field names are undocumented: named fields, spaced
    # names, or everything in one message must all summarize alike.
    path = tmp_path / f"{shape}.evtx"
    truth = logs.legacy_pkcs_ca_outage(path, shape=shape, provider=provider).to_dict()
    got = summarize_file(path).to_dict()
    expected = {key(g): g for g in truth["failures"]}
    actual = {key(g): g for g in got["failures"]}
    assert actual.keys() == expected.keys()
    for k, want in expected.items():
        have = actual[k]
        assert have["count"] == want["count"]
        assert have["devices"]["count"] == want["devices"]
        assert sorted(have["cas"]["examples"]) == sorted(want["cas"])
        assert sorted(have["templates"]["examples"]) == sorted(want["templates"])
        assert have["later_succeeded"] == want["later_succeeded"]
