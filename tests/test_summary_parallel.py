"""A large upload read by several processes gives the summary one pass gives.

Real worker processes (spawned), real .evtx files cut by chunks, real zips
cut by entries; the single-process summary of the same file is the oracle.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from bot import summary_parallel
from bot.knowledge import default_catalogue
from bot.logs import NotAnEventLog, open_log
from bot.logs.parts import _bounds, split
from bot.summary import summarize
from bot.summary_file import summarize_file
from bot.summary_parallel import summarize_parts
from tests.support.chain_logs import MSCEP, Member, Request, build_zip, iis_lines
from tests.support.connector_logs import LogBuilder, large_log
from tests.support.evtx_damage import CHUNK_HEADER_DAMAGE
from tests.support.samples import EVTX_DIR, sample

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SERVER = "NDES01.contoso.com"


def one_pass(path) -> dict:
    log = open_log(path)
    out = summarize(log, file=path.name, format=log.format).to_dict()
    out["problems"] = [p.to_dict() for p in log.problems]
    if log.format == "zip":
        out["files"] = [m.to_dict() for m in log.files]
        out["skipped"] = list(log.skipped)
    return out


def in_parts(path, processes: int = 2) -> tuple[dict, int]:
    parts = split(open_log(path), processes, min_bytes=0)
    assert parts is not None
    acc, said = summarize_parts(parts, default_catalogue())
    out = acc.result(file=path.name, format=open_log(path).format).to_dict()
    out["problems"] = [p.to_dict() for p in said.problems]
    if out["format"] == "zip":
        out["files"] = [m.to_dict() for m in said.files]
        out["skipped"] = list(said.skipped)
    return out, len(parts)


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("parallel") / "connector.evtx"
    large_log(path, 2_500_000, seed=11)
    return path


def test_a_log_cut_by_chunks_sums_up_as_one_pass(big_log):
    expected = one_pass(big_log)
    got, parts = in_parts(big_log)

    assert parts == 8  # 2 processes x 4 parts each
    assert got == expected
    assert got["records"] > 4000
    assert got["failures"]  # the comparison is about something


def test_a_failure_whose_device_succeeds_in_a_later_part_later_succeeded(tmp_path):
    b = LogBuilder(5)
    device = b.guid()
    b.current(1052, T0, SERVER, hresult="0x80094800", device=device)  # the first chunk
    for i in range(3000):  # filler: other devices' successes, many chunks
        b.current(1050, T0 + timedelta(seconds=i + 1), SERVER, device=b.guid(), thumbprint=b.thumbprint())
    b.current(1050, T0 + timedelta(hours=2), SERVER, device=device, thumbprint=b.thumbprint())
    path = tmp_path / "retried.evtx"
    b.write(path)
    got, parts = in_parts(path)

    assert parts > 2
    (failure,) = got["failures"]
    assert failure["later_succeeded"] == 1
    assert got == one_pass(path)


def test_summarize_file_with_processes_matches_one_process(big_log, monkeypatch):
    monkeypatch.setattr("bot.logs.parts.PARALLEL_FROM", 0)

    two = summarize_file(big_log, processes=2).to_dict()
    one = summarize_file(big_log, processes=1).to_dict()

    assert two == one


def _iis() -> bytes:
    requests = [Request(T0, MSCEP, 500, query="operation=GetCACert"), Request(T0, MSCEP, 200)]
    return "\r\n".join(iis_lines(requests)).encode()


def test_a_zip_cut_by_entries_sums_up_as_one_pass(tmp_path, big_log):
    app = sample("normal__evtxrs__Application_no_crc32.evtx").read_bytes()
    path = tmp_path / "diag.zip"
    build_zip(path, [
        ("NDES01/connector.evtx", big_log.read_bytes()),
        ("(43) Events Application/Events.evtx", app),
        ("W3SVC1\\u_ex240301.log", _iis()),
        ("(1) HKLM Crypto/export.reg", b"Windows Registry Editor Version 5.00\r\n"),
        Member("secret.evtx", app, encrypted=True),
        ("inner.zip", build_zip(None, [("Application.evtx", app)])),
        ("NDES02/connector.evtx", big_log.read_bytes()),
    ])  # fmt: skip

    expected = one_pass(path)
    got, parts = in_parts(path)

    assert parts >= 2
    assert got == expected
    assert [f["name"] for f in got["files"]] == [
        "NDES01/connector.evtx", "(43) Events Application/Events.evtx", "W3SVC1/u_ex240301.log",
        "inner.zip/Application.evtx", "NDES02/connector.evtx",
    ]  # fmt: skip
    assert {s["name"] for s in got["skipped"]} == {"(1) HKLM Crypto/export.reg", "secret.evtx"}


def test_a_group_first_seen_in_a_later_part_keeps_its_own_entry(tmp_path, big_log):
    """Application Error 1000 (w3wp crashed) shares its ID with the connector's 1000 (a
    success): a group a worker found keeps its entry by key, not by ID, after the pickle."""
    from tests.support.chain_events import ndes_records, write_records

    ndes = tmp_path / "ndes.evtx"
    write_records(ndes, ndes_records(), "evtx")
    path = tmp_path / "two.zip"
    build_zip(path, [("NDES01/connector.evtx", big_log.read_bytes()),
                     ("NDES01/Application.evtx", ndes.read_bytes())])  # fmt: skip

    got, parts = in_parts(path)

    assert parts == 2
    assert got == one_pass(path)
    (crash,) = [g for g in got["failures"] if g["source"] == "Application Error"]
    assert crash["name"] == default_catalogue().get("Application Error:1000").name


def test_a_zip_of_no_log_in_parts_says_so(tmp_path):
    path = tmp_path / "notes.zip"
    build_zip(path, [("a.txt", b"x" * 3000), ("b.reg", b"Windows Registry Editor Version 5.00\r\n" * 100)])
    parts = split(open_log(path), 2, min_bytes=0)
    _, said = summarize_parts(parts, default_catalogue())

    assert said.files == []
    assert [s["name"] for s in said.skipped] == ["a.txt", "b.reg"]


@pytest.mark.parametrize("name", sorted(p.name.removesuffix(".gz") for p in EVTX_DIR.glob("*.evtx*")
                                         if p.name.startswith(("dirty", "damaged"))))  # fmt: skip
def test_real_dirty_and_damaged_logs_in_parts_say_what_one_pass_says(name):
    path = sample(name)
    if split(open_log(path), 2, min_bytes=0) is None:
        return  # read whole, as one pass: nothing to compare
    got, _ = in_parts(path)

    assert got == one_pass(path)


@pytest.mark.parametrize(("what", "damage"), CHUNK_HEADER_DAMAGE)
def test_damaged_chunks_in_parts_say_what_one_pass_says(tmp_path, big_log, what, damage):
    path = tmp_path / "damaged.evtx"
    path.write_bytes(damage(big_log.read_bytes()))
    try:
        parts = split(open_log(path), 2, min_bytes=0)
    except NotAnEventLog:
        return
    if parts is not None:
        got, _ = in_parts(path)
        assert got == one_pass(path), what


def test_a_small_upload_is_not_cut(big_log):
    assert split(open_log(big_log), 2) is None  # under PARALLEL_FROM
    assert split(open_log(big_log), 1, min_bytes=0) is None  # one process


def test_a_dead_worker_leaves_its_part_to_this_process(big_log):
    expected = one_pass(big_log)
    summary_parallel._pool(summary_parallel.processes() - 1 or 1)
    pool = summary_parallel._POOL
    pool.submit(int).result()  # a worker is running
    for process in list(pool._processes.values()):
        process.kill()
        process.join()

    got, _ = in_parts(big_log)

    assert got == expected


def test_catalogue_values_survive_a_pickle():
    catalogue = default_catalogue()
    entry = catalogue.get("0x80094800")

    again = pickle.loads(pickle.dumps(entry))

    assert again == entry
    assert again.fixes[0].text.en == entry.fixes[0].text.en


@pytest.mark.parametrize(("chunks", "count", "processes"), [(762, 8, 2), (1000, 12, 3), (762, 16, 4)])
def test_parts_shrink_toward_where_the_processes_meet(chunks, count, processes):
    starts = _bounds(chunks, count, processes)
    sizes = [b - a for a, b in zip(starts, [*starts[1:], chunks], strict=False)]
    assert starts[0] == 0 and sum(sizes) == chunks and len(sizes) == count
    front = count // processes  # this process reads these from the front, the workers the rest from the back
    assert sizes[:front] == sorted(sizes[:front], reverse=True)
    assert sizes[front:] == sorted(sizes[front:])
    assert min(sizes) * 3 <= max(sizes)  # the last parts handed out are the small ones
    assert abs(sum(sizes[:front]) - chunks / processes) <= 1  # this process's share, if all run alike


@pytest.mark.parametrize(("chunks", "count"), [(2, 2), (3, 3), (5, 4), (9, 8)])
def test_too_few_chunks_to_shape_still_give_parts_of_at_least_one_chunk(chunks, count):
    starts = _bounds(chunks, count, 2)
    assert starts[0] == 0 and all(a < b for a, b in zip(starts, [*starts[1:], chunks], strict=False))
