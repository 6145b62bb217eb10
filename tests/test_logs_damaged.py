"""Damaged .evtx files: read what can be read, list what could not, never crash or hang.

The property that matters for a triage bot: an event that differs from the
original file is never handed over silently — either it comes with a problem
(bad checksum, truncation...) or it is not handed over at all.
"""

from __future__ import annotations

import random

import pytest

from bot.logs import open_log
from tests.support.evtx_damage import CHUNK, CHUNK_HEADER_DAMAGE, HEADER
from tests.support.samples import sample, sample_bytes

PRISTINE = "normal__plaso__System.evtx"  # 27 chunks, 5009 records, all CRCs valid
SMALL = "normal__mitre__ID4688-5447-4950-Firewall_disabled_command.evtx"  # 43 chunks, 998 records


def read(path, parser="rust", **limits):
    # How long these reads take is a bench figure (bench/damaged.py): a wall
    # clock asserted here fails on a loaded machine, not on a slow reader.
    log = open_log(path, parser, **limits)
    return log, list(log)


@pytest.fixture(scope="module")
def pristine():
    return {e.record_id: e for e in open_log(sample(PRISTINE))}


# ------------------------------------------------------------ real damaged samples


def test_bad_chunk_magic_sample():
    log, events = read(sample("damaged__evtxrs__sample_with_a_bad_chunk_magic.evtx"))
    assert len(events) == 270
    wheres = [p.where for p in log.problems]
    assert "chunk 6 (offset 0x61000)" in wheres
    assert "chunk 10 (offset 0xa1000)" in wheres
    (crc,) = [p for p in log.problems if p.where == "checksums"]
    assert crc.reason.startswith("141 events come from chunks with bad checksums and may be altered")
    assert "chunk 0 " in crc.reason
    assert "chunk 7 " in crc.reason
    assert "chunk 9 " in crc.reason


def test_zero_data_size_sample():
    log, events = read(sample("damaged__evtxrs__sample-with-zero-data-size-event.evtx"))
    assert len(events) == 335
    assert any("data size" in p.reason for p in log.problems)
    assert any(p.where == "checksums" and p.reason.startswith("2 events") for p in log.problems)


def test_vss_carved_sample():
    log, events = read(sample("damaged__evtxrs__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS_4Operational.evtx"))
    assert len(events) == 1910
    assert any(p.where.startswith("record 6335011") for p in log.problems)
    assert any(p.where == "checksums" and p.reason.startswith("191 events") for p in log.problems)


def test_truncated_sample_says_where_it_was_cut():
    log, events = read(sample("damaged__plaso__System2.evtx"))
    assert len(events) == 194
    (p,) = log.problems
    assert p.where == "chunk 2 (offset 0x21000)"
    assert "cut off at byte 200,000" in p.reason
    assert "after record 194" in p.reason


def test_malformed_strings_sample_reads_fully_with_rust_and_partly_with_python():
    _, events = read(sample("damaged__pyevtx__dns_log_malformed.evtx"))
    assert len(events) == 5
    log, events = read(sample("damaged__pyevtx__dns_log_malformed.evtx"), "python")
    assert len(events) == 1
    assert len(log.problems) == 4
    assert all("UnicodeDecodeError" in p.reason for p in log.problems)


@pytest.mark.parametrize("name", ["dirty__evtxrs__sysmon.evtx", "dirty__evtxrs__system.evtx"])
def test_dirty_logs_read_past_the_stale_header_count_without_problems(name):
    for parser in ("rust", "python") if "sysmon" in name else ("rust",):
        log, events = read(sample(name), parser)
        assert len(events) == {"dirty__evtxrs__sysmon.evtx": 358, "dirty__evtxrs__system.evtx": 1881}[name]
        assert log.problems == []


# ------------------------------------------------------------ truncations


CUTS = [1, 8, 127, 4095, 4096, 4096 + 100, 4096 + 511, 4096 + 512, 4096 + 40_000, HEADER + CHUNK,
        HEADER + CHUNK + 1, HEADER + 3 * CHUNK - 1, HEADER + 5 * CHUNK + 7_777, HEADER + 10 * CHUNK,
        HEADER + 13 * CHUNK + 65_000, HEADER + 20 * CHUNK + 300, HEADER + 26 * CHUNK + 12_345, 2_166_784 - 1]  # fmt: skip


@pytest.mark.parametrize("cut", CUTS)
def test_truncated_copies_yield_a_subset_and_say_so(tmp_path, pristine, cut):
    path = tmp_path / "cut.evtx"
    path.write_bytes(sample_bytes(PRISTINE)[:cut])
    if cut < 8:
        with pytest.raises(Exception, match="too short|cut off"):
            open_log(path)
        return
    log, events = read(path)
    assert log.problems, "a truncated file must say so"
    for e in events:
        assert pristine[e.record_id] == e
    whole_chunks = max(0, (cut - HEADER) // CHUNK)
    assert len({e.record_id for e in events}) == len(events)
    if whole_chunks == 0:
        assert events == []
    assert any("cut off" in p.reason or "end of the file is missing" in p.reason for p in log.problems)


# ------------------------------------------------------------ bit flips


def flipped(data: bytes, seed: int, flips: int, lo: int = 0) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(data)
    for _ in range(flips):
        at = rng.randrange(lo, len(buf))
        buf[at] ^= 1 << rng.randrange(8)
    return bytes(buf)


@pytest.mark.parametrize("seed", range(24))
def test_bit_flips_never_alter_events_silently(tmp_path, pristine, seed):
    flips = [1, 2, 4, 16, 64, 256][seed % 6]
    path = tmp_path / "flip.evtx"
    path.write_bytes(flipped(sample_bytes(PRISTINE), seed, flips, lo=HEADER))
    log, events = read(path)
    changed = [e for e in events if pristine.get(e.record_id) != e]
    if changed:
        assert any(p.where == "checksums" for p in log.problems), changed[:2]
    assert len(events) <= 5009 + 50  # no runaway duplicates


@pytest.mark.parametrize("seed", range(6))
def test_bit_flips_with_the_python_reader_never_crash(tmp_path, seed):
    path = tmp_path / "flip.evtx"
    path.write_bytes(flipped(sample_bytes("normal__mitre__ID33205-SQL_Server_failed_login_with_SA_wrong_password.evtx"), seed, 8 * (seed + 1)))
    log, events = read(path, "python")
    assert len(events) <= 27 + 5


# ------------------------------------------------------------ chunk header damage


PYTHON_TOO = {"zeroed chunk magic", "free space 0xFFFFFFFF", "first record size 0xFFFFFFF0"}


@pytest.mark.parametrize(("what", "mutate"), CHUNK_HEADER_DAMAGE)
def test_chunk_header_damage(tmp_path, pristine, what, mutate):
    path = tmp_path / "bad.evtx"
    path.write_bytes(mutate(sample_bytes(PRISTINE)))
    log, events = read(path)
    assert log.problems, what
    changed = [e for e in events if pristine.get(e.record_id) != e]
    if changed:
        assert any(p.where == "checksums" for p in log.problems)
    # everything outside the damaged chunk is still there
    assert len(events) >= 5009 - 250
    if what in PYTHON_TOO:  # python-evtx reads ~300 records/s: a few cases, stop past chunk 3
        read(path, "python", max_records=1024)


def test_time_budget_stops_iteration(tmp_path):
    log = open_log(sample(PRISTINE), time_budget=0)
    assert list(log) == []  # the reader checks the clock before each batch
    assert log.problems[-1].reason.startswith("stopped after 0 s")
    assert not log.complete


def test_record_budget_stops_iteration():
    log = open_log(sample(PRISTINE), max_records=2048)
    assert len(list(log)) == 2048
    assert "stopped after 2048 records" in log.problems[-1].reason


def test_problems_are_reset_when_read_again():
    log = open_log(sample("damaged__plaso__System2.evtx"))
    list(log)
    list(log)
    assert len(log.problems) == 1


def test_warnings_do_not_leak_into_the_caller():
    # pytest turns warnings into errors here: the evtx RuntimeWarnings must be captured
    log = open_log(sample("damaged__evtxrs__sample_with_a_bad_chunk_magic.evtx"))
    assert sum(1 for _ in log) == 270


def test_a_flood_of_bad_rows_is_listed_briefly_and_stopped_in_time(tmp_path):
    path = tmp_path / "bad.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("Level,Date and Time,Source,Event ID,Task Category\n")
        f.writelines("Error,not a date,Src,1,None,x\n" for _ in range(5000))
    log = open_log(path)
    assert list(log) == []
    assert len(log.problems) == 201
    assert log.problems[-1].reason == "4800 more problems like the ones above"
    log = open_log(path, time_budget=0)
    assert list(log) == []
    assert [p.reason for p in log.problems] == ["stopped after 0 s: the file takes too long to read"]
