"""Shared test configuration: hypothesis profiles and the optional real-world corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "ci" is deterministic and bounded so CI runs are reproducible and quick; "dev" explores more.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def corpus_root() -> Path | None:
    """The real-world corpus named by ``MAILPROTO_CORPUS``, if it is set and exists."""
    value = os.environ.get("MAILPROTO_CORPUS")
    if not value:
        return None
    path = Path(value)
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path | None:
    """The corpus directory, or ``None`` when the tests run without it."""
    return corpus_root()
