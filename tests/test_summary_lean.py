"""The fast path (successes counted from raw JSON, bot.summary_lean) says what decoding every record says.

summarize_file takes the fast path; summarize(open_log(...)) decodes every
record into an Event. Both read the same real files: logs written for every
hop, hostile strings, noise rules, the public samples, zips.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.logs import open_log
from bot.summary import Summarizer, summarize
from bot.summary_file import count_raw, summarize_file
from tests.support.chain_events import T0, chain_records, write_records
from tests.support.chain_logs import build_zip
from tests.support.connector_logs import (
    LogBuilder,
    hostile_strings,
    large_log,
    legacy_pkcs_ca_outage,
    new_connector_mixed,
    two_servers,
)
from tests.support.samples import RECORDS, sample


def decoded(path) -> dict:
    log = open_log(path)
    return summarize(log, file=path.name, format=log.format).to_dict() | _said(log)


def fast(path) -> dict:
    return summarize_file(path).to_dict()


def _said(log) -> dict:
    out = {"problems": [p.to_dict() for p in log.problems], "ignored": log.ignored,
           "notes": list(log.notes), "parser": getattr(log, "parser", None)}  # fmt: skip
    if log.format == "zip":
        out |= {"files": [m.to_dict() for m in log.files], "skipped": list(log.skipped)}
    return out


def absorbed(path) -> int:
    log = open_log(path)
    acc = Summarizer()
    count_raw(log, acc)
    decoded_events = sum(1 for _ in log)
    return log.records_seen - decoded_events


WRITERS = [legacy_pkcs_ca_outage, new_connector_mixed, two_servers, hostile_strings]


@pytest.mark.parametrize("write", WRITERS, ids=lambda w: w.__name__)
def test_connector_logs(tmp_path, write):
    path = tmp_path / "connector.evtx"
    write(path)

    assert fast(path) == decoded(path)


def test_a_large_log_is_mostly_counted_raw(tmp_path):
    path = tmp_path / "large.evtx"
    large_log(path, 1_500_000, seed=4)

    assert fast(path) == decoded(path)
    assert absorbed(path) > 0.8 * open_log(path).size / 600  # most of ~550-byte records


def test_every_hop_of_the_chain(tmp_path):
    path = tmp_path / "chain.evtx"
    write_records(path, chain_records(), "evtx")

    assert fast(path) == decoded(path)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_real_samples(name):
    assert fast(sample(name)) == decoded(sample(name))


def test_a_success_later_than_the_failure_of_its_device(tmp_path):
    b = LogBuilder(9)
    device = b.guid()
    for i in range(50):
        b.current(1050, T0 + timedelta(seconds=i), "NDES01.contoso.com", device=b.guid(), thumbprint=b.thumbprint())
    b.current(1052, T0 + timedelta(minutes=5), "NDES01.contoso.com", hresult="0x80094800", device=device)
    b.current(1050, T0 + timedelta(minutes=9), "NDES01.contoso.com", device=device.upper(), thumbprint=b.thumbprint())
    path = tmp_path / "retry.evtx"
    b.write(path)

    got = fast(path)

    assert got["failures"][0]["later_succeeded"] == 1
    assert got == decoded(path)


def test_a_zip_of_logs(tmp_path):
    a, b = tmp_path / "a.evtx", tmp_path / "b.evtx"
    new_connector_mixed(a)
    hostile_strings(b)
    path = tmp_path / "logs.zip"
    build_zip(path, [("NDES01/a.evtx", a.read_bytes()), ("NDES02\\b.evtx", b.read_bytes())])

    assert fast(path) == decoded(path)


def test_kept_events_are_all_decoded(tmp_path):
    path = tmp_path / "connector.evtx"
    new_connector_mixed(path)
    log = open_log(path)
    acc = Summarizer(keep_events=True)
    count_raw(log, acc)

    assert log.absorb is None
    assert len(summarize(log, acc=acc).events) == summarize_file(path, keep_events=True).connector_events
