"""The examples in the reader's docstrings are run, so the documentation stays true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["_encoded_words", "_mime", "_dates", "_address_parse", "_message"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"mailproto.message.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
