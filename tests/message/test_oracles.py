"""Other projects' expected outputs as oracles (read from ``$MAILPROTO_CORPUS`` when set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailproto.message import parse_date

# Date vectors of stalwart-mail-parser on which we deliberately differ, with the reason.
DATE_DEVIATIONS = {
    # Not a date at all; stalwart reads numbers positionally and invents one. We return None.
    " 4 8 15 16 23 42, 4 8 15 16 23 42, 4 8 15 16 23 42, ",
    # An unbalanced comment before the time; stalwart rejects the whole date, we drop the
    # comment and read the rest, as we do for every other comment.
    "Tue, 1 Jul 2003 ((invalid)\ncomment) 10:52:37 +0200",
}


def test_stalwart_date_vectors(corpus: Path | None) -> None:
    if corpus is None:
        pytest.skip("MAILPROTO_CORPUS is not set")
    path = corpus / "messages" / "stalwart-mail-parser" / "date.json"
    vectors = json.loads(path.read_text(encoding="utf-8"))
    assert len(vectors) >= 30
    checked = 0
    for vector in vectors:
        text, expected = vector["header"], vector["expected"]
        if text in DATE_DEVIATIONS:
            continue
        got = parse_date(text)
        if not isinstance(expected, dict):
            assert got is None, text
            continue
        assert got is not None, text
        offset = got.utcoffset()
        assert offset is not None
        sign = -1 if expected["tz_before_gmt"] else 1
        assert (
            got.year,
            got.month,
            got.day,
            got.hour,
            got.minute,
            got.second,
            int(offset.total_seconds()) // 60,
        ) == (
            expected["year"],
            expected["month"],
            expected["day"],
            expected["hour"],
            expected["minute"],
            expected["second"],
            sign * (expected["tz_hour"] * 60 + expected["tz_minute"]),
        ), text
        checked += 1
    assert checked >= 30
