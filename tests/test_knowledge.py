"""The reviewed catalogue: every seed row verbatim, every entry well formed, every load-time rule.

The seed rows below are copied from the sources (English: domain.md §1.3-1.4;
French: reference/000_6f39a0d66d50db96.txt), not from knowledge/, so a bad
edit to the data cannot also fix the test.
"""

import marshal
import os
import re
import shutil
import tomllib
from collections import Counter

import pytest

from bot.codes import canonical_code
from bot.knowledge import (
    OPERATIONS,
    PROVIDER_CA,
    PROVIDER_CURRENT,
    PROVIDER_NDES,
    Catalogue,
    default_catalogue,
    knowledge_dir,
    load_catalogue,
)
from tests.support.catalogue import entry_toml, load_error, write

# domain.md §1.3: MicrosoftDocs/IntuneDocs@58f4af24e, troubleshoot-certificate-connector-events.md,
# upstream order (10302 before 10301): (event ID, name, description, related diagnostic codes).
SEED_EVENTS_EN = [
    ("10010", "StartedConnectorService", "Connector service started", "0x00000000, 0x0FFFFFFF"),
    ("10020", "StoppedConnectorService", "Connector service stopped", "0x00000000, 0x0FFFFFFF"),
    (
        "10100",
        "CertificateRenewal_Success",
        "Connector enrollment certificate successfully renewed",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "10102",
        "CertificateRenewal_Failure",
        "Connector enrollment certificate failed to renew. Reinstall the connector.",
        "0x00000000, 0x00000405, 0x0FFFFFFF",
    ),
    (
        "10302",
        "RetrieveCertificate_Error",
        "Failed to retrieve the connector enrollment certificate from the registry. Review event details for the certificate thumbprint related to this event.",
        "0x00000000, 0x00000404, 0x0FFFFFFF",
    ),
    (
        "10301",
        "RetrieveCertificate_Warning",
        "Check diagnostic information in event details.",
        "0x00000000, 0x00000403, 0x0FFFFFFF",
    ),
    (
        "20100",
        "PkcsCertIssue_Success",
        "Successfully issued a PKCS certificate. Review event details for the device ID, user ID, CA name, certificate template name, and certificate thumbprint related to this event.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20102",
        "PkcsCertIssue_Failure",
        "Failed to issue a PKCS certificate. Review event details for the device ID, user ID, CA name, certificate template name, and certificate thumbprint related to this event.",
        "0x00000000, 0x00000400, 0x00000401, 0x0FFFFFFF",
    ),
    (
        "20200",
        "RevokeCert_Success",
        "Successfully revoked the certificate. Review event details for the device ID, user ID, CA name, and certificate serial number related to this event.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20202",
        "RevokeCert_Failure",
        "Failed to revoke the certificate. Review event details for the device ID, user ID, CA name, and certificate serial number related to this event. For additional information, see the NDES SVC Logs.",
        "0x00000000, 0x00000402, 0x0FFFFFFF",
    ),
    (
        "20300",
        "Upload_Success",
        "Successfully uploaded the certificate’s request or revocation data. Review the event details for the upload details.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20302",
        "Upload_Failure",
        "Failed to upload the certificate’s request or revocation data. Review the event details > Upload State to determine the point of failure.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20400",
        "Download_Success",
        "Successfully downloaded request to sign a certificate, download a client certificate, or revoke a certificate. Review the event details for the download details.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20402",
        "Download_Failure",
        "Failed to download request to sign a certificate, download client certificate, or revoke a certificate. Review the event details for the download details.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20500",
        "CRPVerifyMetric_Success",
        "Certificate Registration Point successfully verified a client challenge",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20501",
        "CRPVerifyMetric_Warning",
        "Certificate Registration Point completed but rejected the request. See diagnostic code and message for more details.",
        "0x00000000, 0x00000411, 0x0FFFFFFF",
    ),
    (
        "20502",
        "CRPVerifyMetric_Failure",
        "Certificate Registration Point failed to verify a client challenge. See diagnostic code and message for more details. See event message details for the Device ID corresponding to the challenge.",
        "0x00000000, 0x00000408, 0x00000409, 0x00000410, 0x0FFFFFFF",
    ),
    (
        "20600",
        "CRPNotifyMetric_Success",
        "Certificate Registration Point successfully finished notify process and has sent the certificate to the client device.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20602",
        "CRPNotifyMetric_Failure",
        "Certificate Registration Point failed to finish notify process. See the event message details for information on the request. Verify connection between the NDES server and the CA.",
        "0x00000000, 0x0FFFFFFF",
    ),
]
# reference/000_6f39a0d66d50db96.txt: Microsoft/IntuneDocs.fr-fr@2e07c82b, same page in French.
SEED_EVENTS_FR = [
    ("10010", "StartedConnectorService", "Service du connecteur démarré", "0x00000000, 0x0FFFFFFF"),
    ("10020", "StoppedConnectorService", "Service du connecteur arrêté", "0x00000000, 0x0FFFFFFF"),
    (
        "10100",
        "CertificateRenewal_Success",
        "Certificat d’inscription du connecteur correctement renouvelé",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "10102",
        "CertificateRenewal_Failure",
        "Échec du renouvellement du certificat d’inscription du connecteur. Réinstallez le connecteur.",
        "0x00000000, 0x00000405, 0x0FFFFFFF",
    ),
    (
        "10302",
        "RetrieveCertificate_Error",
        "Impossible de récupérer le certificat d’inscription du connecteur à partir du Registre. Consultez les détails de l’événement pour connaître l’empreinte numérique de certificat liée à cet événement.",
        "0x00000000, 0x00000404, 0x0FFFFFFF",
    ),
    (
        "10301",
        "RetrieveCertificate_Warning",
        "Vérifiez les informations de diagnostic dans les détails de l’événement.",
        "0x00000000, 0x00000403, 0x0FFFFFFF",
    ),
    (
        "20100",
        "PkcsCertIssue_Success",
        "Certificat PKCS correctement émis. Consultez les détails de l’événement pour connaître l’ID d’appareil, l’ID d’utilisateur, le nom de l’autorité de certification, le nom du modèle de certificat et l’empreinte numérique de certificat associés à cet événement.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20102",
        "PkcsCertIssue_Failure",
        "Échec de l’émission d’un certificat PKCS. Consultez les détails de l’événement pour connaître l’ID d’appareil, l’ID d’utilisateur, le nom de l’autorité de certification, le nom du modèle de certificat et l’empreinte numérique de certificat associés à cet événement.",
        "0x00000000, 0x00000400, 0x00000401, 0x0FFFFFFF",
    ),
    (
        "20200",
        "RevokeCert_Success",
        "Certificat correctement révoqué. Consultez les détails de l’événement pour connaître l’ID d’appareil, l’ID d’utilisateur, le nom de l’autorité de certification et le numéro de série du certificat associés à cet événement.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20202",
        "RevokeCert_Failure",
        "Échec de la révocation du certificat. Consultez les détails de l’événement pour connaître l’ID d’appareil, l’ID d’utilisateur, le nom de l’autorité de certification et le numéro de série du certificat associés à cet événement. Pour plus d’informations, consultez les journaux SVC NDES.",
        "0x00000000, 0x00000402, 0x0FFFFFFF",
    ),
    (
        "20300",
        "Upload_Success",
        "Données de demande ou de révocation du certificat correctement chargées. Consultez les détails de l’événement pour connaître les informations relatives au chargement.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20302",
        "Upload_Failure",
        "Échec du chargement des données de demande ou de révocation du certificat. Consultez les détails de l’événement > État de chargement pour déterminer le point de défaillance.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20400",
        "Download_Success",
        "Demande de signature d’un certificat, de téléchargement d’un certificat client ou de révocation d’un certificat correctement téléchargée. Consultez les détails de l’événement pour connaître les informations relatives au téléchargement.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20402",
        "Download_Failure",
        "Échec du téléchargement de la demande de signature d’un certificat, de téléchargement d’un certificat client ou de révocation d’un certificat. Consultez les détails de l’événement pour connaître les informations relatives au téléchargement.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20500",
        "CRPVerifyMetric_Success",
        "Demande d’accès client correctement vérifiée par le point d’enregistrement de certificat",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20501",
        "CRPVerifyMetric_Warning",
        "Demande exécutée mais rejetée par le point d’enregistrement de certificat. Pour plus d’informations, consultez le code de diagnostic et le message.",
        "0x00000000, 0x00000411, 0x0FFFFFFF",
    ),
    (
        "20502",
        "CRPVerifyMetric_Failure",
        "Échec de la vérification d’une demande d’accès client par le point d’enregistrement de certificat. Pour plus d’informations, consultez le code de diagnostic et le message. Consultez les détails du message d’événement pour connaître l’ID d’appareil correspondant à la demande.",
        "0x00000000, 0x00000408, 0x00000409, 0x00000410, 0x0FFFFFFF",
    ),
    (
        "20600",
        "CRPNotifyMetric_Success",
        "Le point d’enregistrement de certificat a correctement terminé le processus de notification et a envoyé le certificat à l’appareil client.",
        "0x00000000, 0x0FFFFFFF",
    ),
    (
        "20602",
        "CRPNotifyMetric_Failure",
        "Le point d’enregistrement de certificat n’a pas pu terminer le processus de notification. Consultez les détails du message d’événement pour obtenir des informations sur la demande. Vérifiez la connexion entre le serveur NDES et l’autorité de certification.",
        "0x00000000, 0x0FFFFFFF",
    ),
]
# domain.md §1.4, as printed: Unknown_Error is written 0x0FFFFFFFF (nine digits) upstream.
SEED_CODES_EN = [
    ("0x00000000", "Success", "Success"),
    (
        "0x00000400",
        "PKCS_Issue_CA_Unavailable",
        "Certification authority is not valid or is unreachable. Verify that the certification authority is available, and that your server can communicate with it.",
    ),
    (
        "0x00000401",
        "Symantec_ClientAuthCertNotFound",
        "Symantec Client Auth certificate was not found in the local cert store. See the article [Install the Symantec registration authorization certificate](certificates-digicert-configure.md#install-the-digicert-ra-certificate) for more information.",
    ),
    (
        "0x00000402",
        "RevokeCert_AccessDenied",
        "The specified account does not have permissions to revoke a certificate from CA. See CA Name field in the event message details to determine the issuing CA.",
    ),
    (
        "0x00000403",
        "CertThumbprint_NotFound",
        "Could not find a certificate that matched your input. Enroll the certificate connector and try again.",
    ),
    (
        "0x00000404",
        "Certificate_NotFound",
        "Could not find a certificate that matched the input supplied. Re-enroll the certificate connector and try again.",
    ),
    (
        "0x00000405",
        "Certificate_Expired",
        "A certificate expired. Re-enroll the certificate connector to renew the certificate and try again.",
    ),
    (
        "0x00000408",
        "CRPSCEPCert_NotFound",
        "CRP Encryption certificate could not be found. Verify that NDES and the Intune Connector is setup correctly.",
    ),
    (
        "0x00000409",
        "CRPSCEPSigningCert_NotFound",
        "Signing certificate could not be retrieved. Verify the Intune Connector Service is configured correctly, and the Intune Connector Service is running. Verify also that the certificate download events were successful.",
    ),
    (
        "0x00000410",
        "CRPSCEPDeserialize_Failed",
        "Failed to deserialize SCEP challenge request. Verify the NDES and Intune Connector is setup correctly.",
    ),
    (
        "0x00000411",
        "CRPSCEPChallenge_Expired",
        "Request denied due to expired certificate challenge. The client device can retry after obtaining a new challenge from the management server.",
    ),
    (
        "0x0FFFFFFFF",
        "Unknown_Error",
        "We are unable to complete your request because a server-side error occurred. Please try again.",
    ),
]
# The French table names 0x00000000 "Opération réussie" where English says "Success".
SEED_CODES_FR = [
    ("0x00000000", "Opération réussie", "Opération réussie"),
    (
        "0x00000400",
        "PKCS_Issue_CA_Unavailable",
        "L’autorité de certification n’est pas valide ou est inaccessible. Vérifiez que l’autorité de certification est disponible et que votre serveur peut communiquer avec elle.",
    ),
    (
        "0x00000401",
        "Symantec_ClientAuthCertNotFound",
        "Le certificat d’authentification client Symantec est introuvable dans le magasin de certificats local. Pour plus d’informations, consultez [Installer le certificat d’autorisation d’inscription Symantec](certificates-digicert-configure.md#install-the-digicert-ra-certificate).",
    ),
    (
        "0x00000402",
        "RevokeCert_AccessDenied",
        "Le compte spécifié ne dispose pas d’autorisations pour révoquer un certificat d’une autorité de certification. Pour déterminer l’autorité de certification émettrice, consultez le champ Nom de l’autorité de certification dans les détails du message d’événement.",
    ),
    (
        "0x00000403",
        "CertThumbprint_NotFound",
        "Impossible de trouver un certificat correspondant à votre entrée. Inscrivez le connecteur de certificat, puis réessayez.",
    ),
    (
        "0x00000404",
        "Certificate_NotFound",
        "Impossible de trouver un certificat correspondant à l’entrée fournie. Réinscrivez le connecteur de certificat, puis réessayez.",
    ),
    (
        "0x00000405",
        "Certificate_Expired",
        "Un certificat a expiré. Réinscrivez le connecteur de certificat pour renouveler le certificat, puis réessayez.",
    ),
    (
        "0x00000408",
        "CRPSCEPCert_NotFound",
        "Certificat de chiffrement NDES introuvable. Vérifiez que le connecteur NDES et Intune sont configurés correctement.",
    ),
    (
        "0x00000409",
        "CRPSCEPSigningCert_NotFound",
        "Impossible de récupérer le certificat de signature. Vérifiez que le service du connecteur Intune est configuré correctement et qu’il est en cours d’exécution. Vérifiez également que les événements de téléchargement de certificat ont réussi.",
    ),
    (
        "0x00000410",
        "CRPSCEPDeserialize_Failed",
        "Échec de la désérialisation de la demande de challenge SCEP. Vérifiez que le connecteur NDES et Intune sont configurés correctement.",
    ),
    (
        "0x00000411",
        "CRPSCEPChallenge_Expired",
        "Demande refusée en raison de l’expiration de la demande d’accès au certificat. L’appareil client peut réessayer après avoir obtenu une nouvelle demande d’accès à partir du serveur d’administration.",
    ),
    (
        "0x0FFFFFFFF",
        "Unknown_Error",
        "Nous ne pouvons pas traiter votre demande, car une erreur côté serveur s’est produite. Recommencez.",
    ),
]

CATALOGUE = load_catalogue()
ENTRIES = CATALOGUE.entries

# Steps of one operation: success, retry and failure must share `operation`,
# or the summary's per-operation success rate splits in two.
TWINS = [
    ("10010", "10020"), ("10100", "10102"), ("10302", "10301"), ("20100", "20102"),
    ("20200", "20202"), ("20300", "20302"), ("20400", "20402"),
    ("20500", "20501", "20502"), ("20600", "20602"),
    ("1000", "1001"), ("1200", "1201"), ("1002", "1003", "1020", "1032"), ("1050", "1051", "1052"),
    ("1100", "1101", "1102"), ("1202", "1203", "1220"), ("1250", "1253"), ("1251", "1252"),
    ("1300", "1301", "1302"), ("2000", "2001"), ("2202", "2203", "2020"),
    ("2050", "2051", "2052"), ("2100", "2101", "2102"), ("3000", "3001"),
    ("3002", "3003", "3020"), ("3050", "3051", "3052", "3032"), ("3100", "3101", "3102"),
    ("4000", "4001", "4002"), ("4004", "4005"), ("4006", "4007"), ("4008", "4009", "4010"),
]  # fmt: skip

# domain.md §2.3 and "Facts" 8: the new connector's documented failures and retries.
CURRENT_FAILURES = {"1001", "1201", "2001", "3001", "4001", "4002", "1003", "1052", "1101", "1203",
                    "1252", "1253", "1301", "2203", "2052", "2101", "3003", "3051", "3101", "4005",
                    "4007", "4010"}  # fmt: skip
CURRENT_RETRIES = {"1051", "2051", "3052", "4009"}


def codes_of(cell: str) -> list[str]:
    return [c.strip() for c in cell.split(",")]


# --- the seed: all 19 events and 12 codes, English and French, verbatim ---------


@pytest.mark.parametrize(
    ("en", "fr"),
    [pytest.param(en, fr, id=en[0]) for en, fr in zip(SEED_EVENTS_EN, SEED_EVENTS_FR, strict=True)],
)
def test_seed_event_is_present_verbatim(en, fr):
    entry = CATALOGUE.get(en[0])
    assert entry is not None, f"event {en[0]} missing"
    assert (entry.kind, entry.generation) == ("event", "legacy")
    assert entry.name == en[1] == fr[1]
    assert entry.description.en == en[2]
    assert entry.description.fr == fr[2]
    assert entry.fr_official
    # The page's "Related Diagnostic Codes" come first, in its order.
    assert list(entry.related[: len(codes_of(en[3]))]) == codes_of(en[3]) == codes_of(fr[3])


@pytest.mark.parametrize(
    ("en", "fr"),
    [pytest.param(en, fr, id=en[0]) for en, fr in zip(SEED_CODES_EN, SEED_CODES_FR, strict=True)],
)
def test_seed_code_is_present_verbatim(en, fr):
    entry = CATALOGUE.get(canonical_code(en[0]))
    assert entry is not None, f"code {en[0]} missing"
    assert (entry.kind, entry.generation) == ("code", "legacy")
    assert entry.name == en[1]
    # French names the same code differently only for 0x0; name_fr keeps it.
    assert (entry.name_fr or entry.name) == fr[1]
    assert entry.description.en == en[2]
    assert entry.description.fr == fr[2]
    if en[0] != entry.id:  # the table's own spelling must still find it
        assert en[0] in entry.aliases


def test_success_code_keeps_both_official_names():
    entry = CATALOGUE.get("0x00000000")
    assert (entry.name, entry.name_fr) == ("Success", "Opération réussie")
    assert "Opération réussie" in entry.aliases


def test_legacy_events_keep_upstream_order():
    legacy = [e.id for e in ENTRIES if e.kind == "event" and e.generation == "legacy"]
    assert legacy == [row[0] for row in SEED_EVENTS_EN]
    assert legacy.index("10302") < legacy.index("10301")


def test_codes_keep_upstream_order():
    codes = [e.id for e in ENTRIES if e.kind == "code"]
    assert codes == [canonical_code(row[0]) for row in SEED_CODES_EN]


def test_catalogue_counts():
    counts = Counter((e.kind, e.generation) for e in ENTRIES)
    assert counts[("event", "legacy")] == 19
    assert counts[("code", "legacy")] == 12
    assert counts[("event", "current")] == 58  # every row of domain.md §2.3
    assert counts[("event", "windows")] >= 2  # NDES and CA events (31, 128, ...)
    assert counts[("hresult", "any")] >= 10


def test_current_connector_failures_and_retries_match_the_documentation():
    current = {e.id: e for e in ENTRIES if e.generation == "current"}
    assert {i for i, e in current.items() if e.outcome == "failure"} == CURRENT_FAILURES
    assert {i for i, e in current.items() if e.outcome == "retry"} == CURRENT_RETRIES


@pytest.mark.parametrize(
    "code",
    ["0x800706BA", "0x80094800", "0x80094012", "0x80094812", "0x80070057", "0x80070005",
     "0x800B0109", "0x80094015", "0x8009310B", "0x80004005"],
)  # fmt: skip
def test_documented_hresults_are_present(code):
    assert CATALOGUE.get(code).kind == "hresult"


# --- every entry -------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_entry_is_well_formed(entry):
    assert entry.description.en.strip()
    assert entry.description.fr.strip()
    assert entry.doc.startswith("https://")
    assert entry.operation in OPERATIONS
    if entry.kind == "event":
        assert entry.provider
        assert entry.log
        assert entry.id.isdigit()
        assert not entry.id.startswith("0")
    elif entry.kind == "http":  # an IIS answer: status.substatus on the NDES web stack
        assert re.fullmatch(r"[1-5]\d\d\.\d+", entry.id)
        assert entry.hop == "iis"
    elif entry.kind == "symptom":  # no code: a slug, and the texts that identify it
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.id)
        assert entry.patterns
    else:
        assert canonical_code(entry.id) == entry.id
    for advice in entry.causes + entry.fixes:
        assert advice.source.strip()
        assert advice.text.en.strip()
        assert advice.text.fr.strip()
    for ref in entry.related:
        assert CATALOGUE.get(ref) is not None
    # Microsoft translated only the legacy page (and the 0x800706BA article title).
    if entry.generation == "legacy":
        assert entry.fr_official


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.outcome in ("failure", "retry")], ids=lambda e: e.id
)
def test_failure_has_a_cause_and_a_fix(entry):
    assert entry.causes, "no likely cause"
    assert entry.fixes, "no fix step"


@pytest.mark.parametrize("group", TWINS, ids=lambda g: "/".join(g))
def test_twins_share_their_operation(group):
    operations = {CATALOGUE.get(i).operation for i in group}
    assert len(operations) == 1, operations


@pytest.mark.parametrize("group", TWINS, ids=lambda g: "/".join(g))
def test_twins_share_their_generation(group):
    assert len({CATALOGUE.get(i).generation for i in group}) == 1


def test_keywords_exist_in_both_languages_for_failures():
    for e in ENTRIES:
        if e.outcome == "failure":
            assert e.keywords.en, e.id
            assert e.keywords.fr, e.id


def test_names_and_aliases_point_at_one_entry():
    seen: dict[str, str] = {}
    for e in ENTRIES:
        for name in {n.casefold().replace("_", "").replace(" ", "") for n in (e.name, *e.aliases)}:
            assert seen.setdefault(name, e.id) == e.id, name


# --- quirks ------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["0x0FFFFFFFF", "0xFFFFFFF", "0x0FFFFFFF"])
def test_unknown_error_spellings_all_find_it(spelling):
    entry = CATALOGUE.get("0x0FFFFFFF")
    assert entry.name == "Unknown_Error"
    assert spelling == entry.id or spelling in entry.aliases
    assert canonical_code(spelling) == entry.id


def test_symantec_code_says_digicert():
    entry = CATALOGUE.get("0x00000401")
    assert entry.name == "Symantec_ClientAuthCertNotFound"
    assert "DigiCert" in entry.note.en
    assert "DigiCert" in entry.note.fr


def test_french_mistranslation_of_0x408_is_noted():
    note = CATALOGUE.get("0x00000408").note
    assert "NDES" in note.en
    assert "CRP" in note.en


def test_upload_download_swap_history_is_noted():
    for event_id in ("20300", "20302", "20400", "20402"):
        assert "2018" in CATALOGUE.get(event_id).note.en


def test_new_connector_typo_is_kept_with_an_alias():
    entry = CATALOGUE.get("4000")
    assert entry.name == "ScrepRequestSuccess"
    assert "ScepRequestSuccess" in entry.aliases


def test_both_wordings_of_new_connector_events():
    assert CATALOGUE.get("4005").description.en == "Failed to verify a SCEP request with Intune."
    assert CATALOGUE.get("4005").other_wordings == ("Verification of request failed.",)
    assert not CATALOGUE.get("4005").fr_official


def test_install_time_event_1000_is_marked_noise():
    entry = CATALOGUE.event(1000, "current")
    text = "The description for Event ID 1000 from source Microsoft-Intune-CertificateConnectors cannot be found."
    assert entry.noise_reason(text) is not None
    assert entry.noise_reason("Successfully uploaded a PKCS Request to Intune.") is None


def test_validate_ndes_url_hresult_is_marked_noise():
    entry = CATALOGUE.get("0x8009310B")
    assert entry.noise_reason("... PKCS7 message (0x8009310b).  ASN1 bad tag value met.")
    assert "Validate-NDESUrl" in entry.noise[0].reason.en


# --- lookups -----------------------------------------------------------------------


def test_event_lookup_by_family_or_provider():
    assert CATALOGUE.event(20502).name == "CRPVerifyMetric_Failure"
    assert CATALOGUE.event(20502, "legacy").name == "CRPVerifyMetric_Failure"
    assert CATALOGUE.event(20502, "current") is None
    assert CATALOGUE.event(1052, PROVIDER_CURRENT).name == "PkcsIssuedFailure"
    assert CATALOGUE.event("1052", "current").name == "PkcsIssuedFailure"
    assert CATALOGUE.event(31, "ndes").name == "EVENT_MSCEP_FAIL_SUBMIT"
    assert CATALOGUE.event(31, PROVIDER_NDES.lower()) is not None
    assert CATALOGUE.event(128, PROVIDER_CA).provider == PROVIDER_CA
    # DCOM writes its own event 10010: another provider is not the connector.
    assert CATALOGUE.event(10010, "Microsoft-Windows-DistributedCOM") is None
    assert CATALOGUE.event(20503) is None


def test_get_is_by_canonical_id_only():
    assert CATALOGUE.get("0x00000410").name == "CRPSCEPDeserialize_Failed"
    assert CATALOGUE.get("0x410") is None
    assert CATALOGUE.get("20502").kind == "event"


def test_events_and_codes_partition_the_catalogue():
    others = [e for e in ENTRIES if e.kind in ("http", "symptom")]  # IIS answers, symptoms
    assert len(CATALOGUE.events()) + len(CATALOGUE.codes()) + len(others) == len(ENTRIES)
    assert all(e.kind == "event" for e in CATALOGUE.events())
    assert {e.kind for e in CATALOGUE.codes()} == {"code", "hresult"}


def test_related_resolves_entries():
    names = [e.name for e in CATALOGUE.related(CATALOGUE.get("20502"))]
    assert names[:2] == ["Success", "CRPSCEPCert_NotFound"]


def test_synonyms_join_english_and_french():
    groups = [set(g) for g in CATALOGUE.synonyms]
    assert any(
        {"NDES connector", "Intune Certificate Connector", "connecteur Intune"} <= g for g in groups
    )
    assert any({"certification authority", "autorité de certification", "AC"} <= g for g in groups)


def test_default_catalogue_is_loaded_once():
    assert default_catalogue() is default_catalogue()
    assert len(default_catalogue().entries) == len(ENTRIES)


def test_catalogue_folder_defaults_to_the_source_tree():
    assert (knowledge_dir() / "legacy_events.toml").is_file()


# --- load-time validation: each rule names the file, the entry and the problem -----


def test_minimal_valid_entry_loads(tmp_path):
    catalogue = load_catalogue(write(tmp_path, "ok.toml", entry_toml()))
    assert isinstance(catalogue, Catalogue)
    assert catalogue.get("20502").causes == ()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"doc": None}, "missing field(s) doc"),
        ({"outcome": None, "operation": None}, "missing field(s) operation, outcome"),
        ({"name": 5}, "field name must be a non-empty string"),
        ({"log": ""}, "field log must be a non-empty string"),
        ({"related": "0x00000000"}, "field related must be a list"),
        ({"aliases": [1]}, "field aliases must be a list"),
        ({"kind": "metric"}, "unknown kind 'metric'"),
        ({"outcome": "broken"}, "unknown outcome 'broken'"),
        ({"generation": "v3"}, "unknown generation 'v3'"),
        ({"operation": "pkcs issue"}, "unknown operation 'pkcs issue'"),
        ({"id": "020502"}, "bad id '020502'"),
        ({"id": "0x410", "kind": "code"}, "bad id '0x410'"),
        ({"id": "0X00000410", "kind": "code"}, "bad id '0X00000410'"),
        ({"id": "0x0000041a", "kind": "code"}, "bad id '0x0000041a'"),
        ({"id": 20502}, "field id must be a non-empty string"),
        ({"provider": None}, "provider must be a string for an event"),
        (
            {"description": {"en": "only English"}},
            "description: must be a table with exactly en and fr",
        ),
        ({"note": {"en": "x", "fr": ""}}, "note: en and fr must be non-empty strings"),
        ({"fr_official": "no"}, "fr_official must be true or false"),
        ({"descripton": {"en": "x", "fr": "y"}}, "unknown field(s) descripton"),
        ({"related": ["0x00000999"]}, "related '0x00000999' is not an id"),
        ({"related": ["20502"]}, "related lists itself"),
        ({"keywords": {"de": ["x"]}}, "keywords: must be a table with en and/or fr"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_entry_is_refused_with_file_entry_and_problem(tmp_path, fields, problem):
    message = load_error(write(tmp_path, "bad.toml", entry_toml(**fields)))
    assert "bad.toml" in message
    assert str(fields.get("id", "20502")) in message  # the entry, by its id
    assert problem in message


def test_bad_advice_is_refused(tmp_path):
    text = entry_toml() + '[[entry.causes]]\nen = "x"\nfr = "y"\n'
    message = load_error(write(tmp_path, "bad.toml", text))
    assert "bad.toml" in message
    assert "20502" in message
    assert "causes[1]: needs en, fr and source" in message


def test_advice_inferred_must_be_boolean(tmp_path):
    text = entry_toml() + '[[entry.fixes]]\nen = "x"\nfr = "y"\nsource = "s"\ninferred = "yes"\n'
    assert "fixes[1]: inferred must be true or false" in load_error(
        write(tmp_path, "bad.toml", text)
    )


def test_bad_noise_is_refused(tmp_path):
    text = entry_toml() + '[[entry.noise]]\npattern = "x"\nen = "y"\n'
    assert "noise[1]: needs exactly pattern, en, fr and source" in load_error(
        write(tmp_path, "bad.toml", text)
    )


def test_duplicate_id_names_both_files(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    write(tmp_path, "b.toml", entry_toml(name="Other"))
    message = load_error(tmp_path)
    assert "b.toml" in message
    assert "a.toml" in message
    assert "20502" in message
    assert "duplicate id" in message


def test_duplicate_name_is_refused(tmp_path):
    write(tmp_path, "a.toml", entry_toml(), entry_toml(id="20503", name="crpverifymetric failure"))
    message = load_error(tmp_path)
    assert "a.toml" in message
    assert "20503" in message
    assert "duplicate name" in message


def test_alias_colliding_with_another_name_is_refused(tmp_path):
    write(tmp_path, "a.toml", entry_toml(), entry_toml(id="20500", name="CRPVerifyMetric_Success",
                                                       aliases=["CRPVerifyMetric_Failure"]))  # fmt: skip
    message = load_error(tmp_path)
    assert "20500" in message
    assert "alias collides" in message
    assert "CRPVerifyMetric_Failure" in message


def test_alias_spelling_another_entrys_code_is_refused(tmp_path):
    code = entry_toml(kind="code", id="0x00000410", name="CRPSCEPDeserialize_Failed", provider=None)
    other = entry_toml(kind="code", id="0x00000411", name="CRPSCEPChallenge_Expired", provider=None,
                       aliases=["0x410"])  # fmt: skip
    message = load_error(write(tmp_path, "codes.toml", code, other))
    assert "codes.toml" in message
    assert "0x00000411" in message
    assert "'0x410'" in message


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "broken.toml").write_text('[[entry]]\nid = "20502\n', "utf-8")
    message = load_error(tmp_path)
    assert message.startswith("broken.toml: not valid TOML")


def test_unknown_top_level_table_is_refused(tmp_path):
    (tmp_path / "odd.toml").write_text('[[entries]]\nid = "1"\n', "utf-8")
    assert "odd.toml: unknown top-level key(s) ['entries']" in load_error(tmp_path)


def test_synonym_term_in_two_groups_is_refused(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    (tmp_path / "synonyms.toml").write_text(
        '[[synonym]]\nterms = ["CA", "AC"]\n[[synonym]]\nterms = ["ac", "air conditioning"]\n',
        "utf-8",
    )
    message = load_error(tmp_path)
    assert "synonyms.toml" in message
    assert "'ac'" in message
    assert "already in group 'CA'" in message


def test_synonym_group_needs_two_terms(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    (tmp_path / "synonyms.toml").write_text('[[synonym]]\nterms = ["alone"]\n', "utf-8")
    assert "synonym #1 (alone): needs at least two terms" in load_error(tmp_path)


def test_empty_folder_is_refused(tmp_path):
    assert "no *.toml" in load_error(tmp_path)


# --- the parse cache ------------------------------------------------------------------


def test_cache_is_used_and_sees_every_edit(tmp_path, monkeypatch):
    folder = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    first = load_catalogue(folder)
    assert (folder / "__pycache__" / "catalogue.marshal").is_file()

    def no_parsing(text):
        raise AssertionError("parsed TOML although the cache was fresh")

    monkeypatch.setattr(tomllib, "loads", no_parsing)
    assert load_catalogue(folder) == first
    monkeypatch.undo()
    legacy = folder / "legacy_events.toml"
    edited = legacy.read_text("utf-8").replace('"Connector service started"', '"Edited"', 1)
    legacy.write_text(edited, "utf-8")
    assert load_catalogue(folder).get("10010").description.en == "Edited"


def test_damaged_cache_is_ignored(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "catalogue.marshal").write_text("{not json", "utf-8")
    assert load_catalogue(tmp_path).get("20502") is not None


def _damaged(good: bytes):
    key = marshal.loads(good)[0]
    yield good[: len(good) // 2]  # cut short
    yield marshal.dumps((key, (("event", "20502"),), ()))  # the right key, entries too short
    yield marshal.dumps((key, "not entries", ()))
    yield marshal.dumps((key,))


def test_cache_of_the_right_key_but_damaged_is_parsed_again(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    fresh = load_catalogue(tmp_path)
    cache = tmp_path / "__pycache__" / "catalogue.marshal"
    good = cache.read_bytes()
    for damaged in _damaged(good):
        cache.write_bytes(damaged)
        assert load_catalogue(tmp_path) == fresh
    assert marshal.loads(cache.read_bytes()) == marshal.loads(good)  # and rewritten whole


def test_cache_never_hides_a_bad_edit(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    load_catalogue(tmp_path)
    write(tmp_path, "a.toml", entry_toml(outcome="broken"))
    assert "unknown outcome" in load_error(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_folder_still_loads(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    tmp_path.chmod(0o555)
    try:
        assert load_catalogue(tmp_path).get("20502") is not None
    finally:
        tmp_path.chmod(0o755)
