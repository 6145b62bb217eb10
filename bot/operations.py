"""What people call each operation of the catalogue (knowledge/chain/operations.toml).

Operation names (`pkcs_issue`, `web`) are the catalogue's internal vocabulary: they
key the success rates, and only their labels are shown.
"""

from __future__ import annotations

import functools
import os

from bot.catalogue_cache import parsed_toml
from bot.entry import OPERATIONS


def labels_path() -> str:
    from bot.knowledge import knowledge_dir

    return os.path.join(knowledge_dir(), "chain", "operations.toml")


@functools.lru_cache(maxsize=2)
def load_labels(path: str | None = None) -> dict[str, dict[str, str]]:
    """{operation: {lang: label}}; every operation has an English label."""
    data = parsed_toml(path or labels_path())
    labels = data.get("labels", {})
    unknown = set(labels) - OPERATIONS
    missing = OPERATIONS - set(labels)
    if unknown or missing or any(not v.get("en") for v in labels.values()):
        raise ValueError(
            f"operations.toml: every operation needs an English label "
            f"(unknown {sorted(unknown)}, missing {sorted(missing)})"
        )
    return labels


def label(operation: str, lang: str = "en") -> str:
    """How an operation is shown; the name itself when the catalogue has none for it."""
    names = load_labels().get(operation) or {}
    return names.get(lang) or names.get("en") or operation
