"""Fixtures for the history tests: a history file path, and a fresh store on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.history import open_history


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


@pytest.fixture
def history(db_path: Path):
    """A fresh history on a real file: `history.record_upload(upload(), [...])`."""
    with open_history(db_path) as h:
        yield h
