"""A small TOML data file kept as marshal data is the file parsed afresh; an edit of
the file, or a damaged cache, is parsed again."""

from __future__ import annotations

import marshal
import shutil
import tomllib

import pytest

from bot.catalogue_cache import parsed_toml
from bot.hops import HopTableError, load_table, table_path


@pytest.fixture
def hops(tmp_path):
    path = tmp_path / "hops.toml"
    shutil.copyfile(table_path(), path)
    return path


def cache_of(path):
    return path.parent / "__pycache__" / f"{path.name}.marshal"


def test_kept_table_is_the_parsed_one(hops):
    expected = tomllib.loads(hops.read_text("utf-8"))
    assert parsed_toml(str(hops)) == expected
    assert cache_of(hops).is_file()
    assert parsed_toml(str(hops)) == expected  # from the cache
    assert load_table(str(hops)) == load_table()


def test_an_edited_file_is_parsed_again(hops):
    rows = load_table(str(hops))
    hops.write_text(hops.read_text("utf-8").replace('hop = "ca"', 'hop = "moon"', 1), "utf-8")
    with pytest.raises(HopTableError, match="hop must be one of"):
        load_table.__wrapped__(str(hops))  # (load_table itself remembers the first answer)
    assert rows and all(r.hop != "moon" for r in rows)


def test_a_damaged_cache_is_parsed_again(hops):
    expected = parsed_toml(str(hops))
    key = marshal.loads(cache_of(hops).read_bytes())[0]
    for damaged in (b"\x00garbage", marshal.dumps((key, "not a table")), marshal.dumps((key,)),
                    marshal.dumps(("another key", {"source": []}))):  # fmt: skip
        cache_of(hops).write_bytes(damaged)
        assert parsed_toml(str(hops)) == expected


def test_a_date_is_parsed_and_not_kept(tmp_path):
    path = tmp_path / "dated.toml"
    path.write_text("when = 2024-05-01\n", "utf-8")
    assert str(parsed_toml(str(path))["when"]) == "2024-05-01"
    assert not cache_of(path).exists()  # marshal cannot write a date: parsed every time
    assert str(parsed_toml(str(path))["when"]) == "2024-05-01"


def test_bad_toml_raises_what_tomllib_raises(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[source]\n", "utf-8")
    with pytest.raises(tomllib.TOMLDecodeError):
        parsed_toml(str(path))
