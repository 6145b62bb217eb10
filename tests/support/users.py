"""Running a command as a user without our file permissions (root reads and writes through them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def as_someone_else() -> list[str]:
    """A command prefix that runs as a user without write access to our files.

    Root writes through file permissions, so as root the read runs as "nobody";
    skipped where that user cannot run this Python (e.g. a venv under /root).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else []
    if not prefix or subprocess.run([*prefix, sys.executable, "-c", "import bot.cli"],
                                    capture_output=True, cwd="/").returncode:  # fmt: skip
        pytest.skip("no unprivileged user can run this Python here")
    return prefix
