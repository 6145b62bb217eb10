"""How the free-text lookup reads words: stems, negations, synonym terms, typos."""

from __future__ import annotations

from bot.catalogue_index import index_for
from bot.knowledge import default_catalogue, load_catalogue
from bot.search import lookup
from bot.words import NOT, stems
from tests.support.catalogue import entry_toml, load_error, write


def test_negations_are_one_not_and_stop_words_go():
    assert stems("can't reach the CA") == [NOT, "reach", "ca"]
    assert stems("le service ne démarre pas") == ["servic", NOT, "demarr"]


def _two_versions(tmp_path, synonyms: str):
    old = entry_toml(id="20600", name="ConnectorVersion_Unsupported", operation="general",
                     description={"en": "Connector version unsupported.", "fr": "Version."})
    new = entry_toml(id="20601", name="ConnectorVersion_Current", operation="general",
                     outcome="info",
                     description={"en": "The connector version is supported.", "fr": "Version."})
    write(tmp_path, "events.toml", old, new)
    (tmp_path / "paraphrases.toml").write_text(synonyms, "utf-8")
    return load_catalogue(tmp_path)


def test_a_synonym_term_with_stop_words_in_it_is_met(tmp_path):
    # "no longer supported" is read as the question is: "no" is a stop word.
    catalogue = _two_versions(tmp_path, '[[synonym]]\nterms = ["unsupported", "no longer supported"]\n'
                              'source = "https://learn.microsoft.com/lifecycle/faq/general-lifecycle"\n')
    answer = lookup("my connector is no longer supported", catalogue=catalogue)
    assert answer.best is not None
    assert answer.best.entry.id == "20600"


def test_a_synonym_group_source_must_be_a_public_url(tmp_path):
    write(tmp_path, "a.toml", entry_toml())
    (tmp_path / "synonyms.toml").write_text(
        '[[synonym]]\nterms = ["reboot", "restart"]\nsource = "the style guide"\n', "utf-8"
    )
    message = load_error(tmp_path)
    assert "synonym #1" in message
    assert "must be one public URL" in message


def test_a_typo_is_corrected_only_into_a_word_that_starts_alike():
    text = index_for(default_catalogue()).text
    # "prevents" is no typo of the French "peuvent", though the two are close.
    assert "peuvent" not in text.concepts("IE prevents the connector", correct_typos=True)
    assert "enrollment" in text.concepts("enrolment", correct_typos=True)


def test_french_registre_is_not_english_registration():
    assert stems("registre") != stems("registration")
    assert stems("registration authority") == stems("registrations authority")


def test_an_entry_about_one_platform_weighs_less_for_a_question_about_another():
    def score(platform: str) -> float:
        answer = lookup(f"{platform}: the SCEP certificate expired on the device and was never renewed")
        found = {m.entry.key: m.score for m in answer.matches}
        return found.get("symptom:apple-scep-certificate-expired-not-renewed", 0.0)

    assert score("iPhone") > 65.0
    assert score("Android phones") < score("iPhone") - 5.0


def test_certificate_services_names_the_ca_hop_not_the_connector():
    from bot.words import HOP_CONCEPTS

    text = index_for(default_catalogue()).text
    for name in ("Certificate Services", "Active Directory Certificate Services", "AD CS", "certsvc"):
        assert [HOP_CONCEPTS.get(c) for c in text.concepts(name)] == ["ca"], name
