"""Finding the outside programs that interop tests talk to."""

from __future__ import annotations

import os
import shutil

import pytest


def require_program(name: str, *candidates: str) -> str:
    """Return the path of program ``name`` (or the first of ``candidates`` found).

    Under CI (``CI`` set), a missing program fails the test: CI installs every program the
    interop tests need, so its absence is a broken build, not a reason to skip. Elsewhere the
    test is skipped with a message naming the program.
    """
    for candidate in (name, *candidates):
        path = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
        if path:
            return path
    message = f"program {name!r} is not installed (see .ci/apt-packages.txt)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
