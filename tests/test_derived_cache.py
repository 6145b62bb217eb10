"""The free-text index kept beside the catalogue's cache is the index built afresh,
and a damaged or stale one is built again."""

from __future__ import annotations

import marshal
import shutil

import pytest

from bot.knowledge import Catalogue, knowledge_dir, load_catalogue
from bot.text_index import TextIndex


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def fresh(catalogue) -> TextIndex:
    """The same catalogue built directly: it has no cache, so its index is built."""
    return TextIndex(Catalogue(catalogue.entries, catalogue.synonyms))


def test_kept_index_is_the_built_one(folder):
    built = TextIndex(load_catalogue(folder))
    assert built.docs == fresh(built.catalogue).docs  # (the first one wrote the cache)
    cache = folder / "__pycache__" / "text_index.marshal"
    assert cache.is_file()

    kept = TextIndex(load_catalogue(folder))

    assert kept.docs == built.docs and kept.phrases == built.phrases
    assert [list(d) for d in kept.docs] == [list(d) for d in built.docs]  # same order too
    assert kept.postings == built.postings


def test_damaged_index_is_built_again(folder):
    catalogue = load_catalogue(folder)
    expected = fresh(catalogue).docs
    assert TextIndex(catalogue).docs == expected  # and writes the cache
    cache = folder / "__pycache__" / "text_index.marshal"
    key = marshal.loads(cache.read_bytes())[0]
    for damaged in (b"\x00garbage", marshal.dumps((key, ((), ({"x"},)))),
                    marshal.dumps((key, "not an index"))):  # fmt: skip
        cache.write_bytes(damaged)
        assert TextIndex(load_catalogue(folder)).docs == expected


def test_an_edited_entry_is_seen_in_free_text(folder):
    assert "zebraquux" not in TextIndex(load_catalogue(folder)).idf  # cached now
    legacy = folder / "legacy_events.toml"
    edited = legacy.read_text("utf-8").replace('"Connector service started"', '"zebraquux"', 1)
    legacy.write_text(edited, "utf-8")

    assert "zebraquux" in TextIndex(load_catalogue(folder)).idf
