"""Realistic Intune certificate connector logs with known ground truth.

No public export of connector logs exists (../shared/reference/evtx.md §1.2), so
these fixtures are built from what the docs say events contain (domain.md §1–§3).
What is NOT documented, and therefore guessed here: the legacy connector's
provider name and EventData field names (so three shapes are offered: named
fields, a second naming, and message-only text), the new connector's field names
and provider GUID, the NDES URL-test event's ID, and how the "cannot be found"
install event looks inside an .evtx.

Every record carries a `Fact` (what this module knows about it) in `Record.tag`;
`Truth` adds up the facts of the records actually written, so a summary can be
checked against exact numbers. Times are UTC; IDs and GUIDs come from a seeded RNG.

    truth = legacy_pkcs_ca_outage(tmp_path / "a.evtx")
    truth.failure("20102", "0x00000400").count   # -> 24
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.evtx_writer import Record, write_events_text, write_events_xml, write_evtx

LEGACY, CURRENT, NDES, CA = "legacy", "current", "ndes", "ca"

LEGACY_PROVIDER = "Microsoft Intune Connector"  # unverified; NDESConnector is the other candidate
LEGACY_CHANNEL = "Microsoft Intune Connector"
CURRENT_PROVIDER = "Microsoft-Intune-CertificateConnectors"
ADMIN = "Microsoft-Intune-CertificateConnectors/Admin"
OPERATIONAL = "Microsoft-Intune-CertificateConnectors/Operational"
NDES_PROVIDER = "Microsoft-Windows-NetworkDeviceEnrollmentService"
CA_PROVIDER = "Microsoft-Windows-CertificationAuthority"


def eventsource_guid(name: str) -> str:
    """The GUID .NET EventSource derives from a provider name (the connector is .NET;
    whether it uses EventSource is unverified, but a derived GUID looks like the real thing)."""
    ns = bytes.fromhex("482C2DB2C39047C887F81A15BFC130FB")
    b = bytearray(hashlib.sha1(ns + name.upper().encode("utf-16-be")).digest()[:16])
    b[7] = (b[7] & 0x0F) | 0x50
    return "{" + str(uuid.UUID(bytes_le=bytes(b))) + "}"


CURRENT_GUID = eventsource_guid(CURRENT_PROVIDER)
NDES_GUID = "{7ec7c5a0-7a4e-4d9f-8b2a-3c5d0f6e1a42}"  # made up: the real one is not documented
CA_GUID = "{6a71d062-9afe-4f35-ad08-52134f85dfb9}"  # made up

# Event ID -> (name, outcome, operation), from domain.md §1.3 and §2.3. Outcomes are
# the docs' (or, where the docs give none, inferred from the event name).
LEGACY_EVENTS = {
    10010: ("StartedConnectorService", "info", "service"),
    10020: ("StoppedConnectorService", "info", "service"),
    10100: ("CertificateRenewal_Success", "success", "enrollment_certificate"),
    10102: ("CertificateRenewal_Failure", "failure", "enrollment_certificate"),
    10301: ("RetrieveCertificate_Warning", "warning", "retrieve_certificate"),
    10302: ("RetrieveCertificate_Error", "failure", "retrieve_certificate"),
    20100: ("PkcsCertIssue_Success", "success", "pkcs_issue"),
    20102: ("PkcsCertIssue_Failure", "failure", "pkcs_issue"),
    20200: ("RevokeCert_Success", "success", "revoke"),
    20202: ("RevokeCert_Failure", "failure", "revoke"),
    20300: ("Upload_Success", "success", "upload"),
    20302: ("Upload_Failure", "failure", "upload"),
    20400: ("Download_Success", "success", "download"),
    20402: ("Download_Failure", "failure", "download"),
    20500: ("CRPVerifyMetric_Success", "success", "scep_verify"),
    20501: ("CRPVerifyMetric_Warning", "warning", "scep_verify"),
    20502: ("CRPVerifyMetric_Failure", "failure", "scep_verify"),
    20600: ("CRPNotifyMetric_Success", "success", "scep_notify"),
    20602: ("CRPNotifyMetric_Failure", "failure", "scep_notify"),
}
LEGACY_TEXT = {
    10010: "Connector service started",
    10020: "Connector service stopped",
    10100: "Connector enrollment certificate successfully renewed",
    10102: "Connector enrollment certificate failed to renew. Reinstall the connector.",
    10301: "Check diagnostic information in event details.",
    10302: "Failed to retrieve the connector enrollment certificate from the registry.",
    20100: "Successfully issued a PKCS certificate.",
    20102: "Failed to issue a PKCS certificate.",
    20200: "Successfully revoked the certificate.",
    20202: "Failed to revoke the certificate.",
    20300: "Successfully uploaded the certificate's request or revocation data.",
    20302: "Failed to upload the certificate's request or revocation data.",
    20400: "Successfully downloaded request to sign a certificate, download a client certificate, or revoke a certificate.",
    20402: "Failed to download request to sign a certificate, download client certificate, or revoke a certificate.",
    20500: "Certificate Registration Point successfully verified a client challenge",
    20501: "Certificate Registration Point completed but rejected the request.",
    20502: "Certificate Registration Point failed to verify a client challenge.",
    20600: "Certificate Registration Point successfully finished notify process and has sent the certificate to the client device.",
    20602: "Certificate Registration Point failed to finish notify process.",
}  # fmt: skip
DIAGNOSTIC_MESSAGES = {
    "0x00000000": "Success",
    "0x00000400": "Certification authority is not valid or is unreachable. Verify that the certification authority is available, and that your server can communicate with it.",
    "0x00000401": "Symantec Client Auth certificate was not found in the local cert store.",
    "0x00000402": "The specified account does not have permissions to revoke a certificate from CA. See CA Name field in the event message details to determine the issuing CA.",
    "0x00000403": "Could not find a certificate that matched your input. Enroll the certificate connector and try again.",
    "0x00000404": "Could not find a certificate that matched the input supplied. Re-enroll the certificate connector and try again.",
    "0x00000405": "A certificate expired. Re-enroll the certificate connector to renew the certificate and try again.",
    "0x00000408": "CRP Encryption certificate could not be found. Verify that NDES and the Intune Connector is setup correctly.",
    "0x00000409": "Signing certificate could not be retrieved. Verify the Intune Connector Service is configured correctly, and the Intune Connector Service is running.",
    "0x00000410": "Failed to deserialize SCEP challenge request. Verify the NDES and Intune Connector is setup correctly.",
    "0x00000411": "Request denied due to expired certificate challenge. The client device can retry after obtaining a new challenge from the management server.",
    "0x0FFFFFFF": "We are unable to complete your request because a server-side error occurred. Please try again.",
}  # fmt: skip

CURRENT_EVENTS = {
    2: ("GeneralException", "failure", "general", ADMIN),  # secondary source (support wiki)
    1000: ("PkcsRequestSuccess", "success", "pkcs_request", ADMIN),
    1001: ("PkcsRequestFailure", "failure", "pkcs_request", ADMIN),
    1050: ("PkcsIssuedSuccess", "success", "pkcs_issue", OPERATIONAL),
    1051: ("PkcsIssuedFailedAttempt", "retry", "pkcs_issue", OPERATIONAL),
    1052: ("PkcsIssuedFailure", "failure", "pkcs_issue", OPERATIONAL),
    1100: ("PkcsUploadSuccess", "success", "pkcs_upload", OPERATIONAL),
    1101: ("PkcsUploadFailure", "failure", "pkcs_upload", OPERATIONAL),
    3050: ("RevokeSuccess", "success", "revoke", OPERATIONAL),
    3051: ("RevokeFailure", "failure", "revoke", OPERATIONAL),
    3052: ("RevokeFailedAttempt", "retry", "revoke", OPERATIONAL),
    4000: ("ScepRequestSuccess", "success", "scep_request", ADMIN),
    4001: ("ScepRequestIssuedFailure", "failure", "scep_request", ADMIN),
    4002: ("ScepRequestUploadFailure", "failure", "scep_request", ADMIN),
    4003: ("ScepRequestReceived", "success", "scep_receive", OPERATIONAL),
    4004: ("ScepVerifySuccess", "success", "scep_verify", OPERATIONAL),
    4005: ("ScepVerifyFailure", "failure", "scep_verify", OPERATIONAL),
    4006: ("ScepIssuedSuccess", "success", "scep_issue", OPERATIONAL),
    4007: ("ScepIssuedFailure", "failure", "scep_issue", OPERATIONAL),
    4008: ("ScepNotifySuccess", "success", "scep_notify", OPERATIONAL),
    4009: ("ScepNotifyAttemptFailed", "retry", "scep_notify", OPERATIONAL),
    4010: ("ScepNotifySaveToDiskFailed", "failure", "scep_notify", OPERATIONAL),
}

# Exception text as .NET prints it, with the HRESULT it carries (domain.md §3.4, §4.5).
EXCEPTIONS = {
    "0x800706BA": "System.Runtime.InteropServices.COMException (0x800706BA): CCertRequest::Submit: The RPC server is unavailable. 0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE)",
    "0x80094800": "System.Runtime.InteropServices.COMException (0x80094800): The requested certificate template is not supported by this CA. (Exception from HRESULT: 0x80094800)",
    "0x80094012": "System.Runtime.InteropServices.COMException (0x80094012): The permissions on the certificate template do not allow the current user to enroll for this type of certificate. (Exception from HRESULT: 0x80094012) Denied by Policy Module",
    "0x80070057": "System.ArgumentException: CCertRequest::Submit: The parameter is incorrect. 0x80070057 (WIN32: 87 ERROR_INVALID_PARAMETER)",
    "0x80070005": "System.UnauthorizedAccessException: Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))",
}  # fmt: skip
NULL_REFERENCE = (
    "System.NullReferenceException: Object reference not set to an instance of an object.\r\n"
    "   at Microsoft.Intune.Connectors.Pkcs.PkcsRequestProcessor.ProcessRequest(PkcsRequest request)"
)

# Legacy EventData naming variants (all guesses; see the module docstring).
NAMED = {
    "device": "DeviceId", "user": "UserId", "ca": "CAName", "template": "TemplateName",
    "thumbprint": "Thumbprint", "serial": "SerialNumber", "upload": "UploadState",
    "code": "DiagnosticCode", "message": "DiagnosticMessage",
}  # fmt: skip
SPACED = {
    "device": "Device ID", "user": "User ID", "ca": "CA Name", "template": "Certificate Template",
    "thumbprint": "Certificate Thumbprint", "serial": "Serial Number", "upload": "Upload State",
    "code": "Diagnostic Code", "message": "Diagnostic Message",
}  # fmt: skip
LEGACY_SHAPES = ("named", "spaced", "message", "lines", "mixed")
# New connector field names (guesses, one naming).
CURRENT_FIELDS = {
    "device": "DeviceId", "user": "UserId", "request": "RequestId", "ca": "CertificationAuthority",
    "template": "TemplateName", "thumbprint": "Thumbprint", "policy": "PolicyId",
    "transaction": "TransactionId", "exception": "ExceptionMessage",
}  # fmt: skip


# ---------------------------------------------------------------- facts and truth


@dataclass(frozen=True)
class Fact:
    """What the fixture knows about one record; `family` None means not a connector source."""

    family: str | None
    outcome: str  # success | failure | warning | retry | info | noise | other
    operation: str | None = None
    code: str | None = None  # canonical 0x%08X: diagnostic code (legacy) or HRESULT
    device: str | None = None  # lower-case GUID, no braces
    user: str | None = None
    ca: str | None = None
    template: str | None = None
    thumbprint: str | None = None
    serial: str | None = None


def _empty_counter() -> Counter:
    return Counter()


@dataclass
class Group:
    """All failures (or warnings, or retries) with one event ID and code."""

    event_id: str
    code: str | None
    outcome: str
    family: str
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    later_succeeded: int = 0  # events whose device later succeeded at the same operation there
    servers: Counter = field(default_factory=_empty_counter)
    devices: Counter = field(default_factory=_empty_counter)
    users: Counter = field(default_factory=_empty_counter)
    cas: Counter = field(default_factory=_empty_counter)
    templates: Counter = field(default_factory=_empty_counter)

    def to_dict(self) -> dict:
        return {
            "event_id": self.event_id,
            "code": self.code,
            "count": self.count,
            "first": iso(self.first),
            "last": iso(self.last),
            "later_succeeded": self.later_succeeded,
            "servers": dict(self.servers),
            "devices": len(self.devices),
            "users": len(self.users),
            "cas": sorted(self.cas),
            "templates": sorted(self.templates),
        }


def iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None


@dataclass
class Truth:
    """Ground truth of one written log. Event IDs are strings, as in `summarize --json`."""

    path: Path | None = None
    records: int = 0  # every record, connector or not
    event_ids: Counter = field(default_factory=_empty_counter)  # int event ID -> records
    first: datetime | None = None
    last: datetime | None = None
    connector_events: int = 0  # from connector, NDES and CA sources, noise included
    groups: dict[tuple[str, str, str | None], Group] = field(default_factory=dict)
    successes: Counter = field(default_factory=_empty_counter)  # "1050" -> n
    info: Counter = field(default_factory=_empty_counter)
    noise: Counter = field(default_factory=_empty_counter)
    per_server: dict[str, Truth] = field(default_factory=dict)  # same numbers, one server
    _pending: list = field(default_factory=list, repr=False)
    _last_ok: dict = field(default_factory=dict, repr=False)

    def add(self, rec: Record, *, top: bool = True) -> None:
        fact: Fact = rec.tag or Fact(None, "other")
        t = rec.time
        self.records += 1
        self.event_ids[rec.event_id] += 1
        self.first = t if self.first is None else min(self.first, t)
        self.last = t if self.last is None else max(self.last, t)
        if top:
            server = self.per_server.get(rec.computer)
            if server is None:
                server = self.per_server[rec.computer] = Truth()
            server.add(rec, top=False)
        if fact.family is None:
            return
        self.connector_events += 1
        eid = str(rec.event_id)
        key = (rec.computer, fact.operation, fact.device) if fact.device else None
        if fact.outcome == "success":
            self.successes[eid] += 1
            if key and t > self._last_ok.get(key, t - timedelta(1)):
                self._last_ok[key] = t
        elif fact.outcome in ("info", "noise"):
            (self.info if fact.outcome == "info" else self.noise)[eid] += 1
        else:
            g = self.groups.get((fact.outcome, eid, fact.code))
            if g is None:
                g = self.groups[(fact.outcome, eid, fact.code)] = Group(
                    eid, fact.code, fact.outcome, fact.family
                )
            g.count += 1
            g.first = t if g.first is None else min(g.first, t)
            g.last = t if g.last is None else max(g.last, t)
            g.servers[rec.computer] += 1
            for counter, v in ((g.devices, fact.device), (g.users, fact.user),
                               (g.cas, fact.ca), (g.templates, fact.template)):  # fmt: skip
                if v:
                    counter[v] += 1
            if key:
                self._pending.append((g, key, t))

    def finish(self) -> Truth:
        """Settle "later succeeded" once every record is in (success may come after failure)."""
        for g, key, t in self._pending:
            if key in self._last_ok and self._last_ok[key] > t:
                g.later_succeeded += 1
        self._pending.clear()
        for s in self.per_server.values():
            s.finish()
        return self

    # ------------------------------------------------------------ views

    def _of(self, outcome: str) -> list[Group]:
        gs = [g for g in self.groups.values() if g.outcome == outcome]
        return sorted(gs, key=lambda g: (-g.count, g.event_id, g.code or ""))

    @property
    def failures(self) -> list[Group]:
        """Most frequent first (ties: event ID, then code), as the summary orders them."""
        return self._of("failure")

    @property
    def warnings(self) -> list[Group]:
        return self._of("warning")

    @property
    def retries(self) -> list[Group]:
        return self._of("retry")

    @property
    def servers(self) -> list[str]:
        """Computers that wrote connector (or NDES / CA) events."""
        return sorted(s for s, t in self.per_server.items() if t.connector_events)

    def failure(self, event_id: str | int, code: str | None = None) -> Group:
        return self.groups[("failure", str(event_id), code)]

    def warning(self, event_id: str | int, code: str | None = None) -> Group:
        return self.groups[("warning", str(event_id), code)]

    def retry(self, event_id: str | int, code: str | None = None) -> Group:
        return self.groups[("retry", str(event_id), code)]

    def to_dict(self) -> dict:
        """Shaped like `intune-bot summarize --json`, for side-by-side comparison."""
        return {
            "servers": self.servers,
            "records": self.records,
            "connector_events": self.connector_events,
            "first": iso(self.first),
            "last": iso(self.last),
            "failures": [g.to_dict() for g in self.failures],
            "warnings": [g.to_dict() for g in self.warnings],
            "retries": [g.to_dict() for g in self.retries],
            "successes": dict(self.successes.most_common()),
            "noise": dict(self.noise),
            "info": dict(self.info),
        }


# ---------------------------------------------------------------- records


class LogBuilder:
    """Makes connector, NDES, CA and unrelated records; `write()` puts them in a file.

    Every maker returns the Record (so a generator can stream them) and `add`s it
    unless told not to. Record IDs are assigned in time order when writing.
    """

    def __init__(self, seed: int = 1, *, legacy_provider: str = LEGACY_PROVIDER):
        self.rng = random.Random(seed)
        self.legacy_provider = legacy_provider
        self.records: list[Record] = []
        self._pids: dict[str, int] = {}
        self._mixed = 0

    # ---- random identities
    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def thumbprint(self) -> str:
        return f"{self.rng.getrandbits(160):040X}"

    def serial(self) -> str:
        return f"61{self.rng.getrandbits(136):034x}"  # AD CS serials: 36 hex digits

    def _pid(self, server: str, provider: str) -> int:
        return self._pids.setdefault(server + provider, 400 + self.rng.randrange(9000) * 4)

    def _rec(self, store: bool, **kw) -> Record:
        r = Record(**kw)
        if store:
            self.records.append(r)
        return r

    # ---- legacy connector
    def legacy(
        self,
        event_id: int,
        t: datetime,
        server: str,
        code: str = "0x00000000",
        *,
        shape: str = "named",
        device: str | None = None,
        user: str | None = None,
        ca: str | None = None,
        template: str | None = None,
        thumbprint: str | None = None,
        serial: str | None = None,
        upload_state: str | None = None,
        store: bool = True,
    ) -> Record:
        """A legacy event. Fields left None are not written; "" writes an empty field."""
        name, outcome, op = LEGACY_EVENTS[event_id]
        if shape == "mixed":  # rotate, not random: the RNG sequence must not depend on shape
            self._mixed += 1
            shape = LEGACY_SHAPES[self._mixed % 4]
        fields = [("device", device), ("user", user), ("ca", ca), ("template", template),
                  ("thumbprint", thumbprint), ("serial", serial), ("upload", upload_state),
                  ("code", code), ("message", DIAGNOSTIC_MESSAGES.get(code, ""))]  # fmt: skip
        fields = [(k, v) for k, v in fields if v is not None]
        sep = "\r\n" if shape == "lines" else " "
        text = sep.join([LEGACY_TEXT[event_id]] + [f"{SPACED[k]}: {v}" for k, v in fields])
        if shape in ("message", "lines"):
            data = [(None, text)]
        else:
            names = NAMED if shape == "named" else SPACED
            data = [(names[k], v) for k, v in fields]
        level = {"failure": 2, "warning": 3}.get(outcome, 4)
        fact = Fact(LEGACY, outcome, op, code, device, user, ca or None, template or None,
                    thumbprint or None, serial)  # fmt: skip
        return self._rec(
            store, event_id=event_id, time=t, provider=self.legacy_provider,
            channel=LEGACY_CHANNEL, computer=server, data=data, level=level, qualifiers=0,
            message=text, tag=fact, process_id=self._pid(server, "legacy"),
        )  # fmt: skip

    # ---- new connector
    def current(
        self,
        event_id: int,
        t: datetime,
        server: str,
        *,
        hresult: str | None = None,
        exception: str | None = None,
        device: str | None = None,
        user: str | None = None,
        request: str | None = None,
        ca: str | None = None,
        template: str | None = None,
        thumbprint: str | None = None,
        policy: str | None = None,
        transaction: str | None = None,
        store: bool = True,
    ) -> Record:
        """A new-connector event; `hresult` picks the exception text unless one is given."""
        name, outcome, op, channel = CURRENT_EVENTS[event_id]
        if exception is None and hresult is not None:
            exception = EXCEPTIONS[hresult]
        values = {"device": device, "user": user, "request": request, "ca": ca,
                  "template": template, "thumbprint": thumbprint, "policy": policy,
                  "transaction": transaction, "exception": exception}  # fmt: skip
        data = [(CURRENT_FIELDS[k], v) for k, v in values.items() if v is not None]
        level = {"failure": 2, "retry": 3}.get(outcome, 4)
        task = {"pkcs": 1, "revoke": 3, "scep": 4}.get(op.split("_")[0], 0)
        message = CURRENT_TEXT.get(event_id, name) + (f" {exception}" if exception else "")
        fact = Fact(CURRENT, outcome, op, hresult, device, user, ca, template, thumbprint)
        return self._rec(
            store, event_id=event_id, time=t, provider=CURRENT_PROVIDER, channel=channel,
            computer=server, data=data, level=level, task=task, provider_guid=CURRENT_GUID,
            keywords=0x4000000000000000 if channel == ADMIN else 0x2000000000000000,
            process_id=self._pid(server, "current"), thread_id=self.rng.randrange(1, 9000),
            user_sid="S-1-5-18", message=message, tag=fact,
        )  # fmt: skip

    def install_noise(self, t: datetime, server: str, *, store: bool = True) -> Record:
        """Event 1000 while the connector installs: benign (domain.md §2.2). Inside an .evtx
        its content is unverified; the doc shows only Event Viewer's rendering, which is put
        in the data too so that every format carries the "cannot be found" text."""
        text = (
            "The description for Event ID 1000 from source Microsoft-Intune-CertificateConnectors "
            "cannot be found. Either the component that raises this event is not installed on "
            "your local computer or the installation is corrupted."
        )
        return self._rec(
            store, event_id=1000, time=t, provider=CURRENT_PROVIDER, channel=ADMIN,
            computer=server, data=[(None, text)], provider_guid=CURRENT_GUID, message=text,
            keywords=0x4000000000000000, tag=Fact(CURRENT, "noise", "pkcs_request"),
        )  # fmt: skip

    # ---- NDES and CA, in the Application log
    def ndes_31(self, t: datetime, server: str, *, store: bool = True) -> Record:
        """Verbatim shape of domain.md §3.4: ErrorCode holds the text, ErrorMessage the HRESULT."""
        text = "The requested certificate template is not supported by this CA."
        return self._rec(
            store, event_id=31, time=t, provider=NDES_PROVIDER, channel="Application",
            computer=server, provider_guid=NDES_GUID, level=2, eventdata_name="EVENT_MSCEP_FAIL_SUBMIT",
            data=[("ErrorCode", text), ("ErrorMessage", "0x80004005")],
            message=f"The Network Device Enrollment Service cannot submit the certificate request ({text}). 0x80004005",
            # the generic 0x80004005 gives way to the code of the message (CERTSRV_E_UNSUPPORTED_CERT_TYPE)
            tag=Fact(NDES, "failure", "ndes_submit", "0x80094800"),
        )  # fmt: skip

    def ndes_url_test_noise(self, t: datetime, server: str, *, store: bool = True) -> Record:
        """The NDES error Validate-NDESUrl.ps1 causes: benign. Event ID 10 is a guess."""
        text = (
            "The Network Device Enrollment Service cannot retrieve required information, such as "
            "the transaction ID, message type, or signing certificate, from the client's PKCS7 "
            "message. ASN1 bad tag value met."
        )
        return self._rec(
            store, event_id=10, time=t, provider=NDES_PROVIDER, channel="Application",
            computer=server, provider_guid=NDES_GUID, level=2,
            eventdata_name="EVENT_MSCEP_FAIL_PKCS7", data=[("ErrorCode", text), ("ErrorMessage", "0x8009310b")],
            message=f"{text} (0x8009310b)", tag=Fact(NDES, "noise", "ndes_request", "0x8009310B"),
        )  # fmt: skip

    def ca_128(self, t: datetime, server: str, request_id: int, *, store: bool = True) -> Record:
        text = (
            f"An Authority Key Identifier was passed as part of the certificate request {request_id}. "
            "This feature has not been enabled. To enable specifying a CA key for certificate "
            'signing, run: "certutil -setreg ca\\UseDefinedCACertInRequest 1" and then restart the service.'
        )
        return self._rec(
            store, event_id=128, time=t, provider=CA_PROVIDER, channel="Application",
            computer=server, provider_guid=CA_GUID, level=3, data=[(None, str(request_id))],
            message=text, tag=Fact(CA, "warning", "ca_request"),
        )  # fmt: skip

    # ---- unrelated events the same exports contain
    def scm_7036(
        self, t: datetime, server: str, service: str, state: str, *, store: bool = True
    ) -> Record:
        return self._rec(
            store, event_id=7036, time=t, provider="Service Control Manager", channel="System",
            computer=server, provider_guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}",
            qualifiers=16384, data=[("param1", service), ("param2", state)],
            message=f"The {service} service entered the {state} state.", tag=Fact(None, "other"),
        )  # fmt: skip

    def app_error_1000(self, t: datetime, server: str, *, store: bool = True) -> Record:
        """ "Application Error" 1000: same ID as the connector's PkcsRequestSuccess, other source.

        A w3wp.exe crash is the NDES server's web stack failing: an IIS-hop failure.
        """
        return self._rec(
            store, event_id=1000, time=t, provider="Application Error", channel="Application",
            computer=server, level=2, qualifiers=0,
            data=[(None, "w3wp.exe"), (None, "10.0.17763.1"), (None, "ntdll.dll"), (None, "c0000374")],
            message="Faulting application name: w3wp.exe, version: 10.0.17763.1, faulting module name: "
                    "ntdll.dll, exception code: 0xc0000374",
            tag=Fact("iis", "failure", "iis", "0xC0000374"),
        )  # fmt: skip

    def msi_1033(self, t: datetime, server: str, *, store: bool = True) -> Record:
        return self._rec(
            store, event_id=1033, time=t, provider="MsiInstaller", channel="Application",
            computer=server, qualifiers=0,
            data=[(None, "Certificate Connector for Microsoft Intune"), (None, "6.2301.1.0"), (None, "1033"), (None, "0")],
            message="Windows Installer installed the product. Product Name: Certificate Connector for Microsoft Intune.",
            tag=Fact(None, "other"),
        )  # fmt: skip

    # ---- output
    def write(self, path: str | Path, fmt: str = "evtx", **opts) -> Truth:
        recs = sorted(self.records, key=lambda r: r.time)
        for i, r in enumerate(recs, opts.pop("first_record_id", 1)):
            r.record_id = i
        return write_log(path, recs, fmt, **opts)


CURRENT_TEXT = {
    2: "An unexpected error occurred.",
    1000: "Successfully uploaded a PKCS Request to Intune.",
    1001: "Failed to fulfill or upload a PKCS Request to Intune.",
    1050: "Successfully issued a PKCS certificate.",
    1051: "Failed to issue a PKCS certificate, will try again.",
    1052: "Failed to issue a PKCS certificate.",
    4000: "Successfully processed a SCEP request and notified Intune.",
    4001: "Failed to process a SCEP request and notified Intune.",
    4003: "Successfully received a SCEP request from a device.",
    4004: "Successfully verified a SCEP request with Intune.",
    4005: "Failed to verify a SCEP request with Intune.",
    4006: "Successfully issued certificate for a SCEP request.",
    4008: "Successfully notified Intune of the result for a SCEP request.",
}

FORMATS = ("evtx", "xml", "wevtutil", "csv", "txt", "csv-fr", "txt-fr")


def write_log(path: str | Path, records: Iterable[Record], fmt: str = "evtx", **opts) -> Truth:
    """Write records as .evtx, Event Viewer "Save as XML" ("xml"), `wevtutil qe /f:xml`
    ("wevtutil") or Event Viewer CSV / tab-delimited TXT ("csv", "txt", "-fr" for French
    headers), and return the truth of what was written. The exports take newest_first=True
    (Event Viewer's display order); .evtx takes write_evtx's options (dirty, max_bytes...).
    CSV and TXT carry no computer name and whole seconds only: compare accordingly."""
    truth = Truth(path=Path(path))
    if fmt == "evtx":
        write_evtx(path, records, on_write=truth.add, **opts)
    elif fmt in FORMATS:
        recs = list(records)
        if opts.pop("newest_first", False):
            recs.reverse()
        for r in recs:
            truth.add(r)
        if fmt in ("xml", "wevtutil"):
            write_events_xml(path, recs, rootless=fmt == "wevtutil", **opts)
        else:
            lang = "fr" if fmt.endswith("-fr") else "en"
            write_events_text(path, recs, lang=lang, tab=fmt.startswith("txt"), **opts)
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")
    return truth.finish()


# ---------------------------------------------------------------- scenarios

CA01 = "CA01.contoso.com\\Contoso Issuing CA"
CA02 = "CA02.contoso.com\\Contoso Issuing CA 2"
PKCS_TEMPLATE = "IntunePKCS"
WIFI_TEMPLATE = "IntunePKCS-WiFi"
SCEP_TEMPLATE = "IntuneSCEP"
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def legacy_pkcs_ca_outage(
    path: str | Path,
    *,
    shape: str = "named",
    provider: str = LEGACY_PROVIDER,
    fmt: str = "evtx",
    seed: int = 1,
    server: str = "NDES01.contoso.com",
    **opts,
) -> Truth:
    """A legacy connector over 36 hours; the CA is unreachable from 14:00 to 17:00 on day one.

    Known numbers: 20102/0x00000400 x24 (12 devices, 2 templates, CA01; 16 of them later
    succeeded), 20102/0x0FFFFFFF x3 (never succeeded), 20202/0x00000402 x1,
    20502/0x00000410 x2, 10301/0x00000403 x1 (warning), 20501/0x00000411 x1 (warning);
    successes 20100 x68, 20200 x2, 20500 x5, 20600 x5, 20300 x4; info 10010 x1.
    """
    b = LogBuilder(seed, legacy_provider=provider)
    L = b.legacy

    def at(hours: float) -> datetime:
        return START + timedelta(hours=hours, seconds=b.rng.randrange(600))

    L(10010, START, server, shape=shape)
    for i in range(60):  # steady issuance over the span, outside the outage
        h = 0.5 * i if 0.5 * i < 8 else 11 + 0.4 * (i - 16)
        L(20100, at(h), server, shape=shape, device=b.guid(), user=b.guid(), ca=CA01,
          template=PKCS_TEMPLATE, thumbprint=b.thumbprint())  # fmt: skip
    outage = [(b.guid(), b.guid(), (PKCS_TEMPLATE, WIFI_TEMPLATE)[i % 2]) for i in range(12)]
    for i, (dev, usr, tpl) in enumerate(outage):
        for attempt in range(2):
            L(20102, at(8 + i * 0.17 + attempt * 0.7), server, "0x00000400", shape=shape,
              device=dev, user=usr, ca=CA01, template=tpl, thumbprint="")  # fmt: skip
        if i < 8:  # after the CA is back, 8 of the 12 devices get their certificate
            L(20100, at(11.5 + i * 0.1), server, shape=shape, device=dev, user=usr, ca=CA01,
              template=tpl, thumbprint=b.thumbprint())  # fmt: skip
    for i in range(3):
        L(20102, at(20 + i), server, "0x0FFFFFFF", shape=shape, device=b.guid(), user=b.guid(),
          ca=CA02, template=PKCS_TEMPLATE, thumbprint="")  # fmt: skip
    for i in range(2):
        L(20200, at(4 + i), server, shape=shape, device=b.guid(), user=b.guid(), ca=CA01,
          serial=b.serial())  # fmt: skip
    L(20202, at(6), server, "0x00000402", shape=shape, device=b.guid(), user=b.guid(), ca=CA01,
      serial=b.serial())  # fmt: skip
    for i in range(5):
        dev = b.guid()
        L(20500, at(1 + i * 5), server, shape=shape, device=dev)
        L(20600, at(1.1 + i * 5), server, shape=shape, device=dev)
    for i in range(2):
        L(20502, at(22 + i), server, "0x00000410", shape=shape, device=b.guid())
    L(20501, at(24), server, "0x00000411", shape=shape, device=b.guid())
    L(10301, at(30), server, "0x00000403", shape=shape, thumbprint=b.thumbprint())
    for i in range(4):
        L(20300, at(2 + i * 8), server, shape=shape, upload_state="Completed")
    return b.write(path, fmt, **opts)


def _pkcs_chains(b: LogBuilder, server: str, t0: datetime, *, ok: int, retried: int,
                 failed: dict[str, int], ca: str = CA01) -> None:  # fmt: skip
    """PKCS requests on the new connector, one device each: `ok` clean, `retried` failing
    once (0x800706BA) then succeeding, and per HRESULT in `failed` that many that never do
    (two 1051 attempts before the 1052 for the RPC outage, then the Admin 1001)."""
    C = b.current
    t = t0

    def step(minutes: float) -> datetime:
        nonlocal t
        t += timedelta(minutes=minutes, seconds=b.rng.randrange(60))
        return t

    def ids() -> dict:
        return {"device": b.guid(), "user": b.guid(), "request": str(b.rng.randrange(10**6, 10**7)),
                "ca": ca, "template": PKCS_TEMPLATE}  # fmt: skip

    for _ in range(ok):
        r = ids()
        C(1050, step(7), server, thumbprint=b.thumbprint(), **r)
        C(1000, step(0.1), server, **r)
    for _ in range(retried):
        r = ids()
        C(1051, step(7), server, hresult="0x800706BA", **r)
        C(1050, step(5), server, thumbprint=b.thumbprint(), **r)
        C(1000, step(0.1), server, **r)
    for hresult, n in failed.items():
        for _ in range(n):
            r = ids()
            if hresult == "0x800706BA":
                C(1051, step(7), server, hresult=hresult, **r)
                C(1051, step(5), server, hresult=hresult, **r)
            C(1052, step(5), server, hresult=hresult, **r)
            C(1001, step(0.1), server, hresult=hresult, **r)


def _scep(b: LogBuilder, server: str, t0: datetime, *, ok: int, verify_failed: int) -> None:
    t = t0
    for i in range(ok + verify_failed):
        dev, pol, tx = b.guid(), b.guid(), f"{b.rng.getrandbits(128):032x}"
        ids = {"device": dev, "policy": pol, "transaction": tx, "template": SCEP_TEMPLATE}
        t += timedelta(minutes=11, seconds=b.rng.randrange(60))
        b.current(4003, t, server, **ids)
        if i < ok:
            b.current(4004, t + timedelta(seconds=2), server, **ids)
            b.current(4006, t + timedelta(seconds=4), server, thumbprint=b.thumbprint(), **ids)
            b.current(4008, t + timedelta(seconds=5), server, **ids)
            b.current(4000, t + timedelta(seconds=6), server, **ids)
        else:
            # No HRESULT: the challenge simply did not validate.
            b.current(4005, t + timedelta(seconds=2), server,
                      exception="Challenge validation failed: the challenge has expired.", **ids)  # fmt: skip


def new_connector_mixed(path: str | Path, *, fmt: str = "evtx", seed: int = 2,
                        server: str = "NDES02.contoso.com", **opts) -> Truth:  # fmt: skip
    """The new connector's Admin + Operational events, with NDES, CA and unrelated noise
    from the Application and System logs, over six hours.

    Known numbers: 1052 and 1001 per HRESULT: 0x800706BA x3, 0x80094800 x2, 0x80094012 x1;
    1051/0x800706BA x10 retries, of which 4 later succeeded; 4005 (no code) x2;
    2 (NullReferenceException, no code) x1; NDES 31/0x80094800 x2; CA 128 warning x1;
    successes 1050 x16, 1000 x16, 4003 x8, 4004/4006/4008/4000 x6; noise: 1000 x1
    (install), 10 x1 (NDES URL test); IIS hop: "Application Error" 1000 (w3wp.exe) x1;
    unrelated: 7036 x3, MsiInstaller 1033 x1.
    """
    b = LogBuilder(seed)
    t = START
    b.msi_1033(t, server)
    b.install_noise(t + timedelta(seconds=20), server)
    b.scm_7036(t + timedelta(seconds=30), server, "PFXCertificateConnectorSvc", "running")
    b.scm_7036(t + timedelta(seconds=31), server, "PkiCreateConnectorSvc", "running")
    _pkcs_chains(b, server, t + timedelta(minutes=5), ok=12, retried=4,
                 failed={"0x800706BA": 3, "0x80094800": 2, "0x80094012": 1})  # fmt: skip
    _scep(b, server, t + timedelta(minutes=3), ok=6, verify_failed=2)
    b.current(2, t + timedelta(hours=2, minutes=13), server, exception=NULL_REFERENCE)
    b.ndes_31(t + timedelta(hours=1, minutes=2), server)
    b.ndes_31(t + timedelta(hours=3, minutes=40), server)
    b.ndes_url_test_noise(t + timedelta(hours=4), server)
    b.ca_128(t + timedelta(hours=4, minutes=30), server, 2268)
    b.app_error_1000(t + timedelta(hours=5), server)
    b.scm_7036(t + timedelta(hours=5, minutes=30), server, "AzureADConnectAgentUpdater", "stopped")
    return b.write(path, fmt, **opts)


def two_servers(path: str | Path, *, fmt: str = "evtx", seed: int = 3, **opts) -> Truth:
    """One export holding two connector servers (a merged or forwarded log): NDES01 runs the
    legacy connector (named fields), NDES02 the new one. NDES event 31 occurs on both,
    so its group spans two servers.

    Known numbers: NDES01: 20100 x10, 20102/0x00000400 x5 (CA02), 20502/0x00000409 x2,
    31 x1; NDES02: 1050 x10 (8 clean + 2 retried), 1051/0x800706BA x6 (2 later succeeded),
    1052 and 1001/0x800706BA x2, 31 x2; 7036 x1 on each.
    """
    b = LogBuilder(seed)
    s1, s2 = "NDES01.contoso.com", "NDES02.contoso.com"
    t = START
    for i in range(10):
        b.legacy(20100, t + timedelta(minutes=9 * i), s1, device=b.guid(), user=b.guid(), ca=CA02,
                 template=PKCS_TEMPLATE, thumbprint=b.thumbprint())  # fmt: skip
    for i in range(5):
        b.legacy(20102, t + timedelta(minutes=95 + 3 * i), s1, "0x00000400", device=b.guid(),
                 user=b.guid(), ca=CA02, template=WIFI_TEMPLATE, thumbprint="")  # fmt: skip
    for i in range(2):
        b.legacy(20502, t + timedelta(minutes=40 + 30 * i), s1, "0x00000409", device=b.guid())
    _pkcs_chains(b, s2, t + timedelta(minutes=2), ok=8, retried=2, failed={"0x800706BA": 2})
    b.ndes_31(t + timedelta(minutes=50), s1)
    b.ndes_31(t + timedelta(minutes=70), s2)
    b.ndes_31(t + timedelta(minutes=71), s2)
    b.scm_7036(t + timedelta(minutes=1), s1, "Intune Connector Service", "running")
    b.scm_7036(t + timedelta(minutes=1), s2, "PFXCertificateConnectorSvc", "running")
    return b.write(path, fmt, **opts)


HOSTILE_CA = "CA01.contoso.com\\Contoso <!channel> Issuing CA & \"Root\" 'R1'"
HOSTILE_TEMPLATE = "<@U024BE7LH> <http://evil.example/login|Click here> *bold* `code`"
NON_LATIN_CA = "ca-zürich.contoso.ch\\Zürich Straße CA 日本語"
HOSTILE_EXCEPTION = (
    "System.Runtime.InteropServices.COMException (0x800706BA): <!here> <!subteam^S123|@team> "
    "&amp; &lt;script&gt; ```block``` ~strike~ 🔐 0x800706ba"
)


def hostile_strings(path: str | Path, *, fmt: str = "evtx", seed: int = 4, **opts) -> Truth:
    """Values that must stay data all the way to Slack: mentions, links, markup, entities,
    quotes, and non-Latin text, in named fields and in message-only legacy text.

    Known numbers: 1052/0x800706BA x3 (CA HOSTILE_CA, template HOSTILE_TEMPLATE),
    20102/0x00000400 x4 (CA NON_LATIN_CA: 2 named, 2 message-only), 1050 x2, 20100 x1.
    """
    b = LogBuilder(seed)
    s1, s2 = "ndes-zurich.contoso.ch", "NDES-TOKYO.contoso.co.jp"
    t = START
    for i in range(3):
        b.current(1052, t + timedelta(minutes=i), s1, hresult="0x800706BA", device=b.guid(),
                  user=b.guid(), request=str(100 + i), ca=HOSTILE_CA, template=HOSTILE_TEMPLATE,
                  exception=HOSTILE_EXCEPTION)  # fmt: skip
    for i in range(2):
        b.current(1050, t + timedelta(minutes=10 + i), s1, device=b.guid(), user=b.guid(),
                  request=str(200 + i), ca=HOSTILE_CA, template=HOSTILE_TEMPLATE,
                  thumbprint=b.thumbprint())  # fmt: skip
    for i in range(4):
        b.legacy(20102, t + timedelta(minutes=20 + i), s2, "0x00000400",
                 shape="named" if i < 2 else "message", device=b.guid(), user=b.guid(),
                 ca=NON_LATIN_CA, template="テンプレート <b>&</b>", thumbprint="")  # fmt: skip
    b.legacy(20100, t + timedelta(minutes=30), s2, device=b.guid(), user=b.guid(), ca=NON_LATIN_CA,
             template="Zürich-PKCS", thumbprint=b.thumbprint())  # fmt: skip
    return b.write(path, fmt, **opts)


def large_log(
    path: str | Path,
    target_bytes: int = 50_000_000,
    *,
    seed: int = 7,
    servers: int = 1,
    days: int = 30,
    fmt: str = "evtx",
) -> Truth:
    """A big new-connector log for benchmarks, streamed (memory does not grow with size):
    mostly successful PKCS and SCEP traffic over `days` days, with
    RPC outages, template errors, retries and unrelated noise. The file stops just under
    `target_bytes` (evtx); the truth covers exactly the records written. One server by
    default, as a real log file is; more servers mean more templates per chunk (Computer
    is literal text in a template), so fewer records per MB."""
    span = timedelta(days=days)
    # ~550 bytes per record on disk (one server); plan more than fits, max_bytes cuts the rest.
    n_records = max(100, target_bytes // 500)
    names = [f"NDES{i + 1:02d}.contoso.com" for i in range(servers)]
    b = LogBuilder(seed)
    step = span / n_records

    def gen() -> Iterator[Record]:
        rng = b.rng
        t = START
        rid = 0
        while rid < n_records:
            server = names[rng.randrange(servers)]
            roll = rng.random()
            burst: list[Record] = []
            ids = {"device": b.guid(), "user": b.guid(), "request": str(rng.randrange(10**7)),
                   "ca": (CA01, CA02)[rng.random() < 0.2], "template": PKCS_TEMPLATE}  # fmt: skip
            if roll < 0.55:
                burst += [b.current(1050, t, server, thumbprint=b.thumbprint(), store=False, **ids),
                          b.current(1000, t, server, store=False, **ids)]  # fmt: skip
            elif roll < 0.63:
                burst += [b.current(1051, t, server, hresult="0x800706BA", store=False, **ids),
                          b.current(1050, t + step, server, thumbprint=b.thumbprint(), store=False, **ids),
                          b.current(1000, t + step, server, store=False, **ids)]  # fmt: skip
            elif roll < 0.70:
                h = ("0x800706BA", "0x80094800", "0x80094012", "0x80070057")[rng.randrange(4)]
                burst += [b.current(1052, t, server, hresult=h, store=False, **ids),
                          b.current(1001, t, server, hresult=h, store=False, **ids)]  # fmt: skip
            elif roll < 0.92:
                s = {"device": ids["device"], "policy": b.guid(), "template": SCEP_TEMPLATE,
                     "transaction": f"{rng.getrandbits(128):032x}"}  # fmt: skip
                burst.append(b.current(4003, t, server, store=False, **s))
                if rng.random() < 0.9:
                    burst += [
                        b.current(e, t, server, store=False, **s) for e in (4004, 4006, 4008, 4000)
                    ]
                else:
                    burst.append(
                        b.current(
                            4005,
                            t,
                            server,
                            exception="Challenge validation failed.",
                            store=False,
                            **s,
                        )
                    )
            elif roll < 0.96:
                burst.append(b.ndes_31(t, server, store=False))
            else:
                burst.append(
                    b.scm_7036(t, server, "PFXCertificateConnectorSvc", "running", store=False)
                )
            for r in burst:
                rid += 1
                r.record_id = rid
                yield r
            t += step * len(burst)

    truth = Truth(path=Path(path))
    if fmt == "evtx":
        write_evtx(path, gen(), max_bytes=target_bytes, on_write=truth.add)
    else:
        # XML exports are for format tests; cap by record count instead of bytes.
        recs = gen()
        write_events_xml(path, (truth.add(r) or r for r in recs), rootless=fmt == "wevtutil")
    return truth.finish()


SCENARIOS = {
    "legacy_pkcs_ca_outage": legacy_pkcs_ca_outage,
    "new_connector_mixed": new_connector_mixed,
    "two_servers": two_servers,
    "hostile_strings": hostile_strings,
}
