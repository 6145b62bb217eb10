"""Every topic issue 10 (items 1-3) names, and the catalogue entry that answers it.

The table is copied from the issue's text, not from knowledge/, so deleting or
re-keying an entry the issue asks for fails here. Topics with no public text
to build an entry from are listed in KNOWN_GAPS with the reason; once one gets
an entry it must move to TOPICS (the gap test fails until it does).

`python -m pytest tests/test_issue10_topics.py -q` is the check; running the
module as a script prints the table (topic -> entry) for the closing note.
"""

from __future__ import annotations

import pytest

from bot.knowledge import default_catalogue
from bot.search import lookup

NDES = "Microsoft-Windows-NetworkDeviceEnrollmentService"
CA = "Microsoft-Windows-CertificationAuthority"
DMEDP = "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider"
CERTENROLL = "Microsoft-Windows-CertificateServicesClient-CertEnroll"

# (item, topic as the issue words it, reference of the answering entry)
TOPICS = [
    # Item 1: entries keyed by source and ID, along the whole chain.
    ("1", "legacy connector event answered with its current twin (20102)", "20102"),
    ("1", "current connector twin of 20102 (1052)", "1052"),
    *[
        ("1", f"NDES message-table event {n}", f"{NDES}:{n}")
        for n in (1, 2, 3, 4, 6, 7, 10, 16, 17, 18, 28, 29, 31)
    ],
    ("1", "CA event 22", f"{CA}:22"),
    ("1", "CA event 53", f"{CA}:53"),
    ("1", "device DMEDP/Admin event 32", f"{DMEDP}:32"),
    ("1", "device DMEDP/Admin event 307", f"{DMEDP}:307"),
    ("1", "device CertEnroll event 86", f"{CERTENROLL}:86"),
    ("1", "device CertEnroll event 87", f"{CERTENROLL}:87"),
    ("1", "IIS 403.0 on mscep.dll is healthy", "IIS:403.0"),
    ("1", "IIS 403.16", "IIS:403.16"),
    ("1", "IIS 500", "IIS:500.0"),
    ("1", "IIS 500 with win32 1346", "IIS:500.0:1346"),
    ("1", "IIS 503", "IIS:503.0"),
    ("1", "IIS 414", "IIS:414.0"),
    ("1", "WinHTTP 12175", "0x80072F8F"),
    ("1", "Application Error 1000 for w3wp.exe", "Application Error:1000"),
    ("1", "ASP.NET 1310", "ASP.NET 4.0.30319.0:1310"),
    ("1", "WAS 5009", "Microsoft-Windows-WAS:5009"),
    (
        "1",
        "iOS: The Registration Authority's response is invalid",
        "symptom:ios-registration-authority-response-invalid",
    ),
    ("1", "Android device certificate messages", "symptom:android-device-certificate-no-san"),
    # The opening examples.
    ("1", "NDESPlugin.log Error 12175", "symptom:ndesplugin-ssl-certificate-name-mismatch"),
    ("1", "event 31 text: the public key does not meet the minimum size", "0x80094811"),
    (
        "1",
        "SCEP: Certificate enroll failed. Result: (The hash value is not correct.)",
        "0x80091007",
    ),
    ("1", "0x80092013", "0x80092013"),
    ("1", "410 -> did you mean 0x00000410", "0x00000410"),
    # Item 2 is counted by family below (test_hresult_families).
    # Item 3: symptoms with no code.
    ("3", "requests left pending: Taken Under Submission", "symptom:taken-under-submission"),
    (
        "3",
        "PKCS profiles stuck in Pending (PfxRequest folders)",
        "symptom:pkcs-profile-stuck-pending",
    ),
    (
        "3",
        "expired policy-module client-auth certificate (NDESCertThumbprint)",
        "symptom:ndes-policy-module-certificate-expired",
    ),
    ("3", "expired or renewed RA certificates", "symptom:ndes-ra-certificates-expired"),
    ("3", "private-key read rights", "symptom:ndes-ra-private-key-read"),
    ("3", "connector version out of support", "symptom:connector-version-unsupported"),
    ("3", "KB5014754 strong mapping (SID)", "symptom:kb5014754-strong-mapping"),
    (
        "3",
        "Validate-NDESConfiguration's false 'not installed'",
        "symptom:validate-ndesconfiguration-not-installed",
    ),
    ("3", "CRP logs are missing after the upgrade", "symptom:crp-logs-missing"),
    (
        "3",
        "Default Web Site renamed (0x80070002)",
        "symptom:connector-setup-wizard-ended-prematurely",
    ),
    ("3", "0x80090014 and the v2 template", "symptom:ndes-certificate-not-installed-0x80090014"),
    ("3", "0x80004003 no licence", "symptom:connector-signin-no-intune-licence"),
    ("3", "IE Enhanced Security", "symptom:ie-enhanced-security-configuration"),
    ("3", "run the installer as administrator", "symptom:installer-not-run-as-administrator"),
    ("3", "PFX import: (400) Bad Request", "symptom:pfx-import-bad-request"),
    ("3", "PFX import: 0x8010002c", "0x8010002C"),
]

# The closing note's leftovers (closing.md, issue 10 "Left"), copied from it:
# the HTTP_E_STATUS codes a Windows device logs for SCEP, and the connector's
# early-2022 wordings of 4006 and 4008.
LEFTOVER_CODES = {
    "0x80190190": "HTTP_E_STATUS_BAD_REQUEST",
    "0x80190193": "HTTP_E_STATUS_FORBIDDEN",
    "0x80190194": "HTTP_E_STATUS_NOT_FOUND",
    "0x801901F4": "HTTP_E_STATUS_SERVER_ERROR",
    "0x801901F7": "HTTP_E_STATUS_SERVICE_UNAVAIL",
}
EARLY_WORDINGS = {
    "4006": "Successfully issued certificate for request.",
    "4008": "Successfully notified Intune of request.",
}

# Topics admins ask about that a review of issue 10 found without an entry
# (coordinator's list, 2026-12-03), and the entry that now answers each.
REVIEW_TOPICS = [
    ("connector proxy needs the http(s) scheme", "symptom:connector-proxy-misconfigured"),
    ("PKCS profile stuck in Pending", "symptom:pkcs-profile-stuck-pending"),
    ("SCEP profile stuck in Pending", "symptom:scep-profile-stuck-pending"),
    (
        "certificate connector on the same server as the Intune Connector for Active Directory",
        "symptom:certificate-connector-with-ad-connector",
    ),
    (
        "connector or NDES on the CA, NDES on a domain controller",
        "symptom:ndes-connector-on-unsupported-server",
    ),
    ("Validate-NDESConfiguration won't run", "symptom:validate-ndesconfiguration-wont-run"),
    (
        "Validate-NDESConfiguration false errors on the current connector",
        "symptom:validate-ndesconfiguration-not-installed",
    ),
    ("connector service does not start", "symptom:connector-service-does-not-start"),
    ("service logon failure (Win32 1069)", "0x8007042D"),
    (
        "Validate-NDESConfiguration: NDES service account rights, SPN, pool identity",
        "symptom:ndes-service-account-not-set-up",
    ),
    ("Validate-NDESConfiguration: RA certificates not present", "symptom:ndes-ra-certificates-missing"),
    ("connector cannot reach Intune: socket timeout (WSAETIMEDOUT)", "0x8007274C"),
    ("NDES server already used by another MDM", "symptom:ndes-shared-with-another-mdm"),
    ("connector install and .NET Framework 4.7.2", "symptom:connector-install-dotnet-framework"),
    (
        "NDES server cannot request its client/server authentication certificate",
        "symptom:ndes-server-certificate-cannot-be-requested",
    ),
    ("imported PFX certificate not listed or not deployed", "symptom:pfx-imported-certificate-not-deployed"),
    (
        "iOS/macOS SCEP certificate expired without renewal",
        "symptom:apple-scep-certificate-expired-not-renewed",
    ),
    ("device event 306: the SCEP profile arrived (0x2ab0003)", f"{DMEDP}:306"),
    ("SCEP fails from the internet: NDES not published", "symptom:ndes-not-published-externally"),
    ("Validate-NDESConfiguration: NDES role installed but not configured", "symptom:ndes-role-not-configured"),
    ("Validate-NDESConfiguration: the certificate bound in IIS is not valid", "symptom:ndes-iis-certificate-not-valid"),
]

# Named by the issue, but no stored public source gives the text or a cause.
KNOWN_GAPS = {
    f"{NDES}:8": "NDES event 8: its message text is in no readable public source (gradenegger's overview is cut there)",
    f"{NDES}:9": "NDES event 9: same",
    f"{NDES}:19": "NDES event 19: same (the per-event page is cut before its text)",
    f"{NDES}:30": "NDES event 30: same",
}

# Item 2: "every CERTSRV_E_*, CRYPT_E_*, CERT_E_*, TRUST_E_*, NTE_*, SCARD_E_* and
# Win32/WinHTTP code ... (at least 60 in all)".
HRESULT_FAMILIES = (
    "CERTSRV_E_",
    "CRYPT_E_",
    "CERT_E_",
    "TRUST_E_",
    "NTE_",
    "SCARD_E_",
    "ERROR_WINHTTP_",
    "ERROR_",
)


@pytest.mark.parametrize(("item", "topic", "ref"), TOPICS, ids=[t[1] for t in TOPICS])
def test_topic_has_an_entry(item, topic, ref):
    entry = default_catalogue().get(ref)
    assert entry is not None, f"issue 10 item {item}: no entry answers {topic!r} ({ref})"
    assert entry.causes or entry.outcome != "failure", f"{ref} answers {topic!r} without a cause"


@pytest.mark.parametrize("ref", sorted(KNOWN_GAPS))
def test_known_gap_is_still_a_gap(ref):
    assert default_catalogue().get(ref) is None, (
        f"{ref} has an entry now: move it from KNOWN_GAPS to TOPICS"
    )


@pytest.mark.parametrize(("topic", "ref"), REVIEW_TOPICS, ids=[t[0] for t in REVIEW_TOPICS])
def test_review_topic_has_an_answer_with_sources(topic, ref):
    entry = default_catalogue().get(ref)
    assert entry is not None, f"no entry answers {topic!r} ({ref})"
    assert entry.fixes, f"{ref} answers {topic!r} without a fix"
    assert entry.causes or entry.outcome != "failure", f"{ref} answers {topic!r} without a cause"
    assert entry.doc.startswith("https://")
    assert all(a.source.startswith("https://") for a in (*entry.causes, *entry.fixes))


@pytest.mark.parametrize("ref", [ref for _, ref in REVIEW_TOPICS])
def test_review_topic_entry_is_found_by_its_own_names_and_texts(ref):
    # Its data, not a phrasing: every alias and pattern asked alone answers it exactly.
    entry = default_catalogue().get(ref)
    for text in (entry.name, *entry.aliases, *entry.patterns):
        best = lookup(text).matches[0]
        assert best.exact and best.entry.key == entry.key, f"{text!r} answers {best.entry.key}"


def test_hresult_families():
    names = [e.name for e in default_catalogue().entries if e.kind == "hresult"]
    assert len(names) >= 60
    for prefix in HRESULT_FAMILIES:
        assert any(n.startswith(prefix) for n in names), f"no {prefix}* HRESULT"


@pytest.mark.parametrize(("code", "name"), sorted(LEFTOVER_CODES.items()))
def test_http_status_hresult_is_named(code, name):
    entry = default_catalogue().get(code)
    assert entry is not None, f"{code} ({name}) has no entry"
    assert entry.kind == "hresult"
    assert entry.name == name


@pytest.mark.parametrize(("event_id", "wording"), sorted(EARLY_WORDINGS.items()))
def test_early_connector_wording_is_kept(event_id, wording):
    entry = default_catalogue().event(event_id, "current")
    assert wording in entry.other_wordings


if __name__ == "__main__":
    catalogue = default_catalogue()
    for item, topic, ref in TOPICS:
        entry = catalogue.get(ref)
        print(f"{item}  {topic:<72} {entry.key if entry else 'MISSING'}")
    for topic, ref in REVIEW_TOPICS:
        entry = catalogue.get(ref)
        print(f"r  {topic:<72} {entry.key if entry else 'MISSING'}")
    for ref, why in KNOWN_GAPS.items():
        print(f"-  {ref:<72} GAP: {why}")
