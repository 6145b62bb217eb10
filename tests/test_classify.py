import re
from datetime import UTC, datetime

import pytest

from bot.classify import classify
from bot.event_fields import extract_fields
from bot.knowledge import default_catalogue
from tests.support.history import raw_event

T = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
DEVICE = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
USER = "9b2a3c1d-0000-4a4b-8c8d-1234567890ab"
THUMB = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"


def event(event_id, data=None, message=None, provider="Microsoft Intune Connector",
          channel="Microsoft Intune Connector", level=2):  # fmt: skip
    """A legacy connector event at T (the tests' factory, with this file's defaults)."""
    return raw_event(event_id, data, message=message, time=T, provider=provider,
                     channel=channel, level=level)  # fmt: skip


def test_named_fields_are_read_whatever_their_spelling():
    e = event(20102, {
        "DeviceId": DEVICE, "User ID": USER, "CAName": "ca01.contoso.com\\Contoso Issuing CA",
        "TemplateName": "IntuneUserPKCS", "Thumbprint": THUMB.lower(),
        "DiagnosticCode": "0x00000400", "DiagnosticMessage": "Certification authority is not valid",
    })  # fmt: skip
    ce = classify(e, default_catalogue())
    assert ce.entry.name == "PkcsCertIssue_Failure"
    assert ce.outcome == "failure"
    assert ce.operation
    assert ce.code == "0x00000400"
    assert ce.device_id == DEVICE
    assert ce.user_id == USER
    assert ce.ca == "ca01.contoso.com\\Contoso Issuing CA"
    assert ce.template == "IntuneUserPKCS"
    assert ce.thumbprint == THUMB


def test_message_only_events_are_parsed_from_their_text():
    text = (
        f"Failed to issue a PKCS certificate. Device ID: {{{DEVICE.upper()}}} User ID: {USER}\n"
        "CA Name: ca01.contoso.com\\Contoso Issuing CA\nCertificate Template: IntuneUserPKCS\n"
        f"Thumbprint: {THUMB} Diagnostic Code: 0x00000400 Diagnostic Message: The CA is unreachable."
    )
    ce = classify(event(20102, {"Data1": text}), default_catalogue())
    assert ce.code == "0x00000400"
    assert ce.device_id == DEVICE
    assert ce.user_id == USER
    assert ce.ca == "ca01.contoso.com\\Contoso Issuing CA"
    assert ce.template == "IntuneUserPKCS"
    assert ce.thumbprint == THUMB


def test_new_connector_hresult_is_the_code():
    e = event(1052, {"DeviceId": DEVICE, "ExceptionMessage":
                     "CCertRequest::Submit: The RPC server is unavailable. 0x800706ba"},
              provider="Microsoft-Intune-CertificateConnectors",
              channel="Microsoft-Intune-CertificateConnectors/Operational")  # fmt: skip
    ce = classify(e, default_catalogue())
    assert ce.entry.name == "PkcsIssuedFailure"
    assert ce.code == "0x800706BA"
    assert ce.family == "current"


def test_ndes_event_31_with_inverted_field_names():
    # Microsoft's own sample puts the text in ErrorCode and the HRESULT in ErrorMessage.
    e = event(31, {"ErrorCode": "The requested certificate template is not supported by this CA.",
                   "ErrorMessage": "0x80004005"},
              provider="Microsoft-Windows-NetworkDeviceEnrollmentService", channel="Application")  # fmt: skip
    ce = classify(e, default_catalogue())
    # The generic 0x80004005 gives way to the code of the message beside it (issue 11 item 1).
    assert ce.code == "0x80094800"
    assert ce.outcome == "failure"
    assert ce.hop == "ndes"


def test_validate_ndes_url_noise_is_not_a_failure():
    e = event(32, {"Data1": "The Network Device Enrollment Service cannot retrieve required "
                   "information (0x8009310b). ASN1 bad tag value met."},
              provider="Microsoft-Windows-NetworkDeviceEnrollmentService", channel="Application")  # fmt: skip
    assert classify(e, default_catalogue()).outcome == "noise"


def test_install_time_event_1000_is_noise():
    e = event(1000, message="The description for Event ID 1000 from source "
              "Microsoft-Intune-CertificateConnectors cannot be found.",
              provider="Microsoft-Intune-CertificateConnectors",
              channel="Microsoft-Intune-CertificateConnectors/Admin", level=4)  # fmt: skip
    assert classify(e, default_catalogue()).outcome == "noise"


def test_other_sources_are_not_connector_events():
    e = event(
        7036, {"param1": "Print Spooler"}, provider="Service Control Manager", channel="System"
    )
    assert classify(e, default_catalogue()) is None


@pytest.mark.parametrize("hostile", ["<!channel>", "<@U123>", "<http://x|y>", "a" * 10_000])
def test_hostile_values_do_not_break_extraction(hostile):
    fields = extract_fields(event(20102, {"CAName": hostile, "Data2": f"Device ID: {hostile}"}))
    assert fields.get("ca", "")[:200] == hostile[:200]
    assert "device" not in fields


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_names = st.sampled_from(["DeviceId", "CA Name", "Data1", "ErrorCode", "ExceptionMessage",
                          "Template", "Thumbprint", "x"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_names, st.text(max_size=300), max_size=6), st.none() | st.text(max_size=500))
def test_classify_never_raises_on_any_event_data(data, message):
    e = event(20102, data, message=message)
    ce = classify(e, default_catalogue())
    assert ce.outcome == "failure"
    assert ce.code is None or re.fullmatch(r"0x[0-9A-F]{8}", ce.code, re.I)
    assert ce.device_id is None or len(ce.device_id) == 36


def test_numbers_in_log_data_are_not_taken_for_codes():
    # "80070005" typed in /intune is an HRESULT; a request ID in a log is not.
    e = event(1052, {"DeviceId": DEVICE, "RequestId": "81234567", "Count": "2500000000"},
              provider="Microsoft-Intune-CertificateConnectors",
              channel="Microsoft-Intune-CertificateConnectors/Operational")  # fmt: skip
    assert classify(e, default_catalogue()).code is None


def test_a_win32_error_is_its_hresult_wherever_it_is_read():
    from bot.codes import win32_hresult
    from bot.symptoms import trace_codes, win32_code

    assert win32_hresult(1346) == "0x80070542"  # HRESULT_FROM_WIN32
    assert win32_hresult(12175) == "0x80072F8F"  # WinHTTP
    assert win32_hresult(2148204809) == "0x800B0109"  # IIS logs HRESULTs unsigned
    assert win32_hresult(0) is None  # success
    assert win32_code("1346") == "0x80070542"
    assert win32_code("99999999999") is None  # past 32 bits: damage, not a code
    assert trace_codes("Failed to send http request. Error 12175") == ["0x80072F8F"]


def test_the_specific_code_of_a_message_is_memoized_within_bounds(monkeypatch):
    from bot import symptoms
    from bot.knowledge import load_catalogue

    catalogue = load_catalogue()  # its own memo, not the shared catalogue's
    reason = catalogue.get("0x80094800").description.en
    text = f"Denied: {reason} (ref 1234)"
    assert symptoms.specific_code(["0x80004005"], [text], catalogue) == "0x80094800"
    assert symptoms.specific_code(["0x80004005"], [text], catalogue) == "0x80094800"  # from the memo
    assert symptoms.specific_code(["0x80004005"], ["no reason given"], catalogue) == "0x80004005"
    monkeypatch.setattr(symptoms, "MEMO_TEXTS", 5)
    for i in range(20):
        symptoms.specific_code(["0x80004005"], [f"invented message {i}"], catalogue)
    assert len(vars(catalogue)["_code_of_message"]) == 5
    assert symptoms.specific_code(["0x80004005"], [f"{text} again"], catalogue) == "0x80094800"  # past the bound
