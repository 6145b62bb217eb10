"""Event log records of every hop of the chain, for tests (see bot/hops.py).

The texts follow the shape of the events Microsoft's troubleshooting articles
show (domain.md §3.4 and §4); the values are ours. Each record's `tag` is
(hop, outcome, code): the hop that should be blamed, or None for an unrelated
event that must never be a failure.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.evtx_writer import Record

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
DMEDP = "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider"
CERTENROLL = "Microsoft-Windows-CertificateServicesClient-CertEnroll"
CAPI2 = "Microsoft-Windows-CAPI2"
NDES = "Microsoft-Windows-NetworkDeviceEnrollmentService"
CA = "Microsoft-Windows-CertificationAuthority"
WAS = "Microsoft-Windows-WAS"
ASPNET = "ASP.NET 4.0.30319.0"
UNSUPPORTED = "The requested certificate template is not supported by this CA."


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def device_records(computer: str = "PC-0042") -> list[Record]:
    admin = "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider/Admin"
    return [
        Record(32, _at(1), DMEDP, admin, computer, level=2, data=[
            ("Message1", "ClientCertificateInstall"), ("Message2", "./Device/Vendor/MSFT/ClientCertificateInstall/SCEP/A1/Install/Enroll"),
            ("HRESULT", "0x80094800")],
            message=f"MDM ConfigurationManager: Command failure status. Result: ({UNSUPPORTED} (0x80094800)).",
            tag=("device", "failure", "0x80094800")),
        Record(307, _at(2), DMEDP, admin, computer, level=2, data=[("Message1", "SCEP: Failed to enroll: 0x80072ee2")],
               message="SCEP: Certificate enroll failed. Result: (The operation timed out (0x80072ee2)).",
               tag=("device", "failure", "0x80072EE2")),
        Record(36, _at(0), DMEDP, admin, computer, level=4, data=[("Message1", "SCEP: Certificate request generated successfully.")],
               message="SCEP: Certificate request generated successfully.", tag=("device", "info", None)),
        Record(86, _at(3), CERTENROLL, "Application", computer, level=2, data=[(None, "0x800706ba")],
               message="Certificate enrollment for Local system failed to contact the active directory (0x800706ba). The RPC server is unavailable.",
               tag=("device", "failure", "0x800706BA")),
        Record(11, _at(4), CAPI2, "Microsoft-Windows-CAPI2/Operational", computer, level=2,
               data=[("Result", "0x800b010a")],
               message="Build Chain: A certificate chain could not be built to a trusted root authority. 0x800b010a",
               tag=("device", "failure", "0x800B010A")),
    ]  # fmt: skip


def ndes_records(computer: str = "NDES1.contoso.com") -> list[Record]:
    return [
        # event 31 as Microsoft's sample: the reason text and the generic 0x80004005
        Record(31, _at(10), NDES, "Application", computer, level=2, eventdata_name="EVENT_MSCEP_FAIL_SUBMIT",
               data=[("ErrorCode", UNSUPPORTED), ("ErrorMessage", "0x80004005")],
               message=f"The Network Device Enrollment Service cannot submit the certificate request ({UNSUPPORTED}). 0x80004005",
               tag=("ndes", "failure", "0x80094800")),
        # ... and with the code first and its message beside it
        Record(31, _at(11), NDES, "Application", computer, level=2, eventdata_name="EVENT_MSCEP_FAIL_SUBMIT",
               data=[("ErrorCode", "0x800706ba"), ("ErrorMessage", "The RPC server is unavailable.")],
               message="The Network Device Enrollment Service cannot submit the certificate request (0x800706ba). The RPC server is unavailable.",
               tag=("ndes", "failure", "0x800706BA")),
        Record(1000, _at(12), "Application Error", "Application", computer, level=2, qualifiers=0,
               data=[(None, "w3wp.exe"), (None, "10.0.17763.1"), (None, "ntdll.dll"), (None, "0xc0000374")],
               message="Faulting application name: w3wp.exe, exception code: 0xc0000374",
               tag=("iis", "failure", "0xC0000374")),
        Record(1310, _at(13), ASPNET, "Application", computer, level=3, qualifiers=32768,
               data=[(None, "3007"), (None, "A compilation error has occurred.")],
               message="Event code: 3007 Event message: A compilation error has occurred.",
               tag=("iis", "failure", None)),
        Record(5009, _at(14), WAS, "System", computer, level=3, data=[("AppPoolID", "SCEP"), ("ProcessID", "4242"), ("ExitCode", "0x374")],
               message="A process serving application pool 'SCEP' terminated unexpectedly. The process id was '4242'. The process exit code was '0x374'.",
               tag=("iis", "failure", "0x00000374")),
        # unrelated: never failures
        Record(1000, _at(15), "Application Error", "Application", computer, level=2, qualifiers=0,
               data=[(None, "notepad.exe"), (None, "10.0.1"), (None, "ntdll.dll"), (None, "0xc0000005")],
               message="Faulting application name: notepad.exe, exception code: 0xc0000005", tag=(None, None, None)),
        Record(7031, _at(16), "Service Control Manager", "System", computer, level=2, qualifiers=49152,
               data=[("param1", "Print Spooler"), ("param2", "1")],
               message="The Print Spooler service terminated unexpectedly.", tag=(None, None, None)),
        Record(5186, _at(17), WAS, "System", computer, level=4, data=[("AppPoolID", "DefaultAppPool")],
               message="A worker process serving application pool 'DefaultAppPool' was shutdown.", tag=(None, None, None)),
    ]  # fmt: skip


def ca_records(computer: str = "CA01.contoso.com") -> list[Record]:
    return [
        Record(22, _at(20), CA, "Application", computer, level=2, data=[(None, "1234"), (None, "The RPC server is unavailable. 0x800706ba")],
               message="Active Directory Certificate Services could not process request 1234 due to an error: The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE).",
               tag=("ca", "failure", "0x800706BA")),
        # 53 is logged as a warning but is a denied request
        Record(53, _at(21), CA, "Application", computer, level=3, data=[(None, "1235"), (None, f"{UNSUPPORTED} 0x80094800")],
               message=f"Active Directory Certificate Services denied request 1235 because {UNSUPPORTED} 0x80094800 (-2146875392 CERTSRV_E_UNSUPPORTED_CERT_TYPE).",
               tag=("ca", "failure", "0x80094800")),
    ]  # fmt: skip


def chain_records() -> list[Record]:
    return sorted(device_records() + ndes_records() + ca_records(), key=lambda r: r.time)


def write_records(path, records: list[Record], fmt: str) -> None:
    """Write records in one of connector_logs.FORMATS (their tags are ours, not Facts)."""
    from tests.support.evtx_writer import write_events_text, write_events_xml, write_evtx

    if fmt == "evtx":
        write_evtx(path, records)
    elif fmt in ("xml", "wevtutil"):
        write_events_xml(path, records, rootless=fmt == "wevtutil")
    else:
        write_events_text(path, records, lang="fr" if fmt.endswith("-fr") else "en", tab=fmt.startswith("txt"))
