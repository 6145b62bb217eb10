"""Small catalogue files written in a test: one entry's TOML, a folder of them, the error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.knowledge import CatalogueError, load_catalogue


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def entry_toml(**fields) -> str:
    base = {
        "kind": "event", "id": "20502", "name": "CRPVerifyMetric_Failure", "generation": "legacy",
        "provider": "Microsoft Intune Connector", "log": "Microsoft Intune Connector",
        "outcome": "failure", "operation": "scep_verify",
        "description": {"en": "Certificate Registration Point failed.", "fr": "Échec."},
        "doc": "https://example.invalid/doc",
    }  # fmt: skip
    base.update(fields)
    lines = ["[[entry]]"] + [f"{k} = {toml_value(v)}" for k, v in base.items() if v is not None]
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, *entries: str) -> Path:
    (folder / name).write_text("\n".join(entries), "utf-8")
    return folder


def load_error(folder: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(folder)
    return str(info.value)
