"""The entry schema of issue 10: entries keyed by source and ID, IIS answers,
code-less symptoms, user notes apart from editors' provenance, public sources."""

import pytest

from bot.knowledge import CatalogueError, default_catalogue, load_catalogue
from tests.support.catalogue import entry_toml, load_error, write

URL = "https://learn.microsoft.com/troubleshoot/mem/intune/certificates/troubleshoot-scep-certificate-device-to-ndes"
APP_ERROR = {
    "id": "1000", "provider": "Application Error", "hop": "iis", "name": "w3wp.exe crash",
    "generation": None, "log": "Application", "operation": "web",
    "patterns": ["Faulting application name: w3wp.exe"],
}  # fmt: skip
CONNECTOR_1000 = {
    "id": "1000", "provider": "Microsoft-Intune-CertificateConnectors", "generation": "current",
    "name": "PkcsRequestSuccess", "outcome": "success", "operation": "pkcs_request",
}  # fmt: skip
HTTP_403_16 = {
    "kind": "http", "id": "403.16", "provider": None, "generation": None, "hop": "iis",
    "name": "403.16 Client certificate untrusted", "log": "u_ex*.log", "operation": "web",
    "urls": ["/certsrv/mscep/mscep.dll"],
}  # fmt: skip
SYMPTOM = {
    "kind": "symptom", "id": "taken-under-submission", "provider": None, "generation": None,
    "hop": "ca", "name": "Request pending", "log": "CA console", "operation": "ca",
    "patterns": ["Taken Under Submission"],
}  # fmt: skip


def test_two_sources_may_share_an_event_id(tmp_path):
    catalogue = load_catalogue(
        write(tmp_path, "a.toml", entry_toml(**CONNECTOR_1000), entry_toml(**APP_ERROR))
    )
    assert catalogue.get("1000").name == "PkcsRequestSuccess"  # a plain ID: the first
    crash = catalogue.get("Application Error:1000")
    assert crash.name == "w3wp.exe crash"
    assert crash.hop == "iis"
    assert crash.generation == "any"
    assert catalogue.event(1000, "Application Error") is crash
    assert catalogue.event(1000, "current").name == "PkcsRequestSuccess"
    assert [e.key for e in catalogue.with_id("1000")] == [
        "Microsoft-Intune-CertificateConnectors:1000",
        "Application Error:1000",
    ]


def test_related_may_name_an_entry_by_key(tmp_path):
    first = entry_toml(**CONNECTOR_1000, related=["Application Error:1000", "IIS:403.16"])
    catalogue = load_catalogue(
        write(tmp_path, "a.toml", first, entry_toml(**APP_ERROR), entry_toml(**HTTP_403_16))
    )
    assert [e.name for e in catalogue.related(catalogue.get("1000"))] == [
        "w3wp.exe crash",
        "403.16 Client certificate untrusted",
    ]


def test_http_variants_are_keyed_by_status_and_win32(tmp_path):
    plain = {**HTTP_403_16, "id": "500.0", "name": "500.0 Internal server error", "urls": []}
    variant = {**plain, "name": "500.0 account locked out", "win32": 1909}
    catalogue = load_catalogue(write(tmp_path, "a.toml", entry_toml(**plain), entry_toml(**variant)))
    assert catalogue.get("IIS:500.0").name == "500.0 Internal server error"
    assert catalogue.get("IIS:500.0:1909").win32 == 1909
    assert catalogue.get("IIS:500.0").json_type == "code"


def test_symptom_has_a_slug_patterns_and_its_own_json_type(tmp_path):
    catalogue = load_catalogue(write(tmp_path, "a.toml", entry_toml(**SYMPTOM)))
    entry = catalogue.get("symptom:taken-under-submission")
    assert entry.patterns == ("Taken Under Submission",)
    assert entry.json_type == "symptom"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({**SYMPTOM, "patterns": None}, "a symptom needs patterns"),
        ({**SYMPTOM, "id": "Taken Under"}, "bad id 'Taken Under' for kind symptom"),
        ({**SYMPTOM, "patterns": ["access denied"]}, "is too short to identify anything"),
        ({**HTTP_403_16, "id": "403"}, "bad id '403' for kind http"),
        ({**HTTP_403_16, "urls": ["mscep.dll"]}, "urls are URL paths"),
        ({**HTTP_403_16, "win32": "1346"}, "win32 is a non-negative integer"),
        ({**APP_ERROR, "hop": None}, "field hop is needed"),
        ({**APP_ERROR, "hop": "server"}, "unknown hop 'server'"),
        ({"urls": ["/x"]}, "urls is for http entries only"),
        ({"doc": "troubleshoot-pkcs-certificate-profiles.md"}, "must be one public URL"),
        (
            {"kind": "hresult", "id": "0x80094812", "aliases": ["-2146875374"]},
            "derived automatically",
        ),
        (
            {"kind": "hresult", "id": "0x800706BA", "aliases": ["2147944122"]},
            "derived automatically",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_new_field_is_refused(tmp_path, fields, problem):
    message = load_error(write(tmp_path, "bad.toml", entry_toml(**fields)))
    assert "bad.toml" in message
    assert problem in message


def test_a_source_is_a_public_url_and_remarks_go_to_provenance(tmp_path):
    bad = entry_toml() + '[[entry.fixes]]\nen = "x"\nfr = "y"\nsource = "domain.md §4.1"\n'
    assert "must be one public URL" in load_error(write(tmp_path, "bad.toml", bad))
    good = entry_toml() + (
        f'[[entry.fixes]]\nen = "x"\nfr = "y"\nsource = "{URL}"\nprovenance = "Cause 4"\n'
    )
    fix = load_catalogue(write(tmp_path, "bad.toml", good)).get("20502").fixes[0]
    assert fix.source == URL
    assert fix.provenance == "Cause 4"


def test_two_entries_cannot_share_a_pattern(tmp_path):
    other = {**SYMPTOM, "id": "pending-request", "name": "Another pending"}
    message = load_error(write(tmp_path, "a.toml", entry_toml(**SYMPTOM), entry_toml(**other)))
    assert "pattern 'Taken Under Submission' is already a pattern of taken-under-submission" in (
        message
    )


def test_names_collide_under_the_one_normalizer(tmp_path):
    # Accents and punctuation are ignored by search, so the loader must refuse them too.
    first = entry_toml(**SYMPTOM, aliases=["Échec d'émission"])
    other = {**SYMPTOM, "id": "other", "name": "Other", "patterns": ["something else entirely"]}
    second = entry_toml(**other, aliases=["echec-d-emission"])
    with pytest.raises(CatalogueError, match="alias collides"):
        load_catalogue(write(tmp_path, "a.toml", first, second))


def test_every_shipped_source_and_doc_is_a_public_url():
    for e in default_catalogue().entries:
        assert e.doc.startswith("https://"), e.key
        for advice in (*e.causes, *e.fixes):
            assert advice.source.startswith("https://"), e.key
            assert " " not in advice.source, e.key


def test_every_shipped_entry_names_its_hop_or_crosses_hops():
    for e in default_catalogue().entries:
        assert e.hop in ("device", "iis", "ndes", "connector", "ca") or e.kind == "hresult", e.key


def test_a_checked_catalogue_is_not_checked_again_until_its_files_change(tmp_path, monkeypatch):
    import bot.entry_schema

    write(tmp_path, "a.toml", entry_toml(**SYMPTOM))
    first = load_catalogue(tmp_path)

    def no_checking(raw, where):
        raise AssertionError("checked again although neither the files nor the code changed")

    monkeypatch.setattr(bot.entry_schema, "parse_entry", no_checking)
    assert load_catalogue(tmp_path) == first  # rebuilt from the cache, equal in every field
    write(tmp_path, "a.toml", entry_toml(**{**SYMPTOM, "name": "Renamed"}))
    with pytest.raises(AssertionError, match="checked again"):
        load_catalogue(tmp_path)  # an edit is checked
