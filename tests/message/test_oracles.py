"""Other projects' expected outputs as oracles (read from ``$MAILPROTO_CORPUS`` when set)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mailproto.message import Message, Part, parse_date

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


# mime4j's decoded-part files on which we deliberately differ, with the reason.
MIME4J_DEVIATIONS = {
    # A base64 body followed by junk ("XXXXXX--unique-boundary-2--" is no delimiter, as it does not
    # start a line): we decode the junk's alphabet characters too (two more bytes); mime4j stops.
    "frag_decoded.xml",
    "multi-frag_decoded.xml",
    # A header block with a line that is not a field followed by more fields: mime4j starts the
    # body at that line; we skip the line (recording a defect) and keep reading fields.
    "malformedHeaderStartsBody-nocrlfcrlf_decoded.xml",
    "basic-plain-with-bad-header-separator_decoded.xml",
    # No header at all and no empty line: mime4j reads the text as a (bogus) header with an empty
    # body; we read the first line as the body's start, as the standard library does.
    "malformedHeader-noheader_decoded.xml",
    "malformedHeaderStartsBody-noheader_decoded.xml",
    "hdr-fakeout_decoded.xml",
}


def _mime4j_compare(element: ET.Element, part: Part, folder: Path, errors: list[str]) -> None:
    body = next(
        (c for c in element if c.tag in ("multipart", "text-body", "binary-body", "message")),
        None,
    )
    if body is None:
        return
    if body.tag == "multipart":
        kids = [c for c in body if c.tag == "body-part"]
        if len(kids) != len(part.parts):
            errors.append(f"{len(kids)} parts expected, {len(part.parts)} found")
            return
        for kid, child in zip(kids, part.parts, strict=True):
            _mime4j_compare(kid, child, folder, errors)
    elif body.tag == "message":
        if part.message is None:
            errors.append(f"an attached message expected, {part.content_type} found")
        else:
            _mime4j_compare(body, part.message, folder, errors)
    else:
        expected = (folder / (body.get("name") or "")).read_bytes()
        got = part.decoded()
        if expected != got and expected.replace(b"\r\n", b"\n") != got.replace(b"\r\n", b"\n"):
            errors.append(f"{body.get('name')}: {expected[:40]!r} expected, {got[:40]!r} found")


def test_mime4j_decoded_parts(corpus: Path | None) -> None:
    """The part tree and every decoded leaf agree with the files mime4j's tests expect."""
    if corpus is None:
        pytest.skip("MAILPROTO_CORPUS is not set")
    checked = 0
    failures: list[str] = []
    for xml in sorted((corpus / "messages" / "mime4j").glob("*/*_decoded.xml")):
        source = xml.with_name(xml.name.replace("_decoded.xml", ".msg"))
        if xml.name in MIME4J_DEVIATIONS or not source.exists():
            continue
        errors: list[str] = []
        _mime4j_compare(
            ET.parse(xml).getroot(), Message.parse(source.read_bytes()), xml.parent, errors
        )
        failures.extend(f"{xml.name}: {e}" for e in errors)
        checked += 1
    assert checked >= 60
    assert failures == []
