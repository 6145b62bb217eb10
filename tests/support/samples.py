"""Test support for the log-reading tests: the real .evtx samples.

The samples are stored gzipped (1.4 MB instead of 21 MB) in tests/data/evtx
and unpacked once per session; tests/data/PROVENANCE.md says where each comes
from and gives the sha256 of the original, which tests/test_logs_helpers.py checks.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
EVTX_DIR = DATA / "evtx"

# file -> records that `evtx` reads with skip_errors=True (PROVENANCE.md, "evtx skip")
RECORDS = {
    "normal__plaso__System.evtx": 5009,
    "normal__evtxrs__security.evtx": 2261,
    "normal__evtxrs__Application_no_crc32.evtx": 17,
    "normal__evtxrs__sample-with-irregular-bool-values.evtx": 3028,
    "normal__evtxrs__2-system-Microsoft-Windows-LiveId_4Operational.evtx": 399,
    "normal__mitre__ID1151-Defender_health_status.evtx": 455,
    "normal__mitre__ID4688-5447-4950-Firewall_disabled_command.evtx": 998,
    "normal__mitre__ID33205-SQL_Server_failed_login_with_SA_wrong_password.evtx": 27,
    "normal__mitre__ID4885_4876_4877_5123_5124-ADCS_PKI_OCSP.evtx": 13,
    "normal__evtxrs__E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2_4Operational.evtx": 340,
    "dirty__evtxrs__system.evtx": 1881,
    "dirty__evtxrs__sysmon.evtx": 358,
    "dirty__mitre__ID4662-Domain_group_enumeration_CME.evtx": 80,
    "damaged__evtxrs__sample_with_a_bad_chunk_magic.evtx": 270,
    "damaged__evtxrs__sample-with-zero-data-size-event.evtx": 335,
    "damaged__evtxrs__2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS_4Operational.evtx": 1910,
    "damaged__plaso__System2.evtx": 194,
    "damaged__pyevtx__dns_log_malformed.evtx": 5,
}

# python-evtx 0.8.1 per PROVENANCE.md; we read chunks past the header's count,
# so on dirty logs our python reader gets more than that column says.
PYTHON_EVTX_CANNOT = {
    "normal__mitre__ID1151-Defender_health_status.evtx",
    "normal__evtxrs__E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2_4Operational.evtx",
}

_unpacked: dict[str, Path] = {}


@cache
def _tmp_root() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="intune-logs-samples-"))


def sample(name: str) -> Path:
    """Path to an unpacked copy of a real sample (unpacked once per session)."""
    if name not in _unpacked:
        target = _tmp_root() / name
        target.write_bytes(gzip.decompress((EVTX_DIR / f"{name}.gz").read_bytes()))
        _unpacked[name] = target
    return _unpacked[name]


def sample_bytes(name: str) -> bytes:
    return sample(name).read_bytes()


def provenance_sha256() -> dict[str, str]:
    text = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    return dict(re.findall(r"`([\w.%-]+\.evtx)`.*?`([0-9a-f]{64})`", text))
