"""Parsing: losslessness, header access, the MIME tree, decoding and defects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailproto.message import (
    Address,
    DefectKind,
    Message,
    Priority,
    decode_encoded_words,
    parse_address_list,
    parse_date,
)

MIXED = b"""\
From: Alice <alice@example.com>
To: bob@example.org
Subject: =?utf-8?B?w6l0w6k=?= report
Date: Mon, 2 Jan 2023 10:00:00 +0100
Message-ID: <m1@example.com>
X-Priority: 2 (High)
Keywords: one, two
Keywords: three
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is the preamble.
--outer
Content-Type: multipart/alternative; boundary="outer-inner"

--outer-inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 au lait=
 soft break
--outer-inner
Content-Type: text/html; charset=utf-8

<p>Caf\xc3\xa9</p>
--outer-inner--
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

JVBER i0xLjQK
!*!*!
--outer
Content-Type: message/rfc822

From: carol@example.net
Subject: inner

Inner body.
--outer--
The epilogue.
"""


def variants(raw: bytes) -> list[bytes]:
    """The message with LF, CRLF and mixed line endings."""
    lf = raw.replace(b"\r\n", b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    lines = lf.split(b"\n")
    mixed = (
        b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines[:-1]))
        + lines[-1]
    )
    return [lf, crlf, mixed]


@pytest.mark.parametrize("raw", variants(MIXED), ids=["lf", "crlf", "mixed"])
def test_mixed_message_any_line_endings(raw: bytes) -> None:
    msg = Message.parse(raw)
    assert msg.to_bytes() == raw
    assert msg.to_bytes() is raw  # no copy for an unmodified message
    assert msg.subject == "été report"
    assert msg.addresses("from") == [Address("Alice", "alice", "example.com")]
    assert msg.date == datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
    assert msg.message_id == "m1@example.com"
    assert msg.priority is Priority.HIGH
    assert msg.keywords == ["one", "two", "three"]
    assert msg.header_all("keywords") == ["one, two", "three"]
    types = [p.content_type for p in msg.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
        "message/rfc822",
        "text/plain",
    ]
    assert msg.preamble.rstrip() == b"This is the preamble."
    assert msg.epilogue.rstrip() == b"The epilogue."
    assert msg.text_body is not None
    assert msg.text_body.text() == "Café au lait soft break"
    assert msg.text_body.charset == "iso-8859-1"
    assert msg.html_body is not None
    assert msg.html_body.text().strip() == "<p>Café</p>"
    pdf, attached = msg.attachments
    assert pdf.filename == "report.pdf"
    assert pdf.decoded() == b"%PDF-1.4\n"
    assert any(d.kind is DefectKind.INVALID_BASE64 for d in msg.defects)
    inner = attached.message
    assert inner is not None
    assert inner.subject == "inner"
    assert inner.text_body is not None
    assert inner.text_body.text().rstrip() == "Inner body."
    summary = msg.summary()
    assert summary.has_attachments
    assert summary.subject == "été report"
    assert summary.preview == "Café au lait soft break"
    assert summary.size == len(raw)
    # Every part's bytes are a slice of the original.
    for part in msg.walk():
        assert raw[part.offset : part.end] == part.to_bytes()


def test_headers_keep_order_raw_bytes_and_decode_lazily() -> None:
    raw = b"Subject: a\r\n  folded =?utf-8?q?w=C3=B6rd?=\r\nX-A: 1\r\nx-a: 2\r\n\r\nbody"
    msg = Message.parse(raw)
    names = [h.name for h in msg.headers]
    assert names == ["Subject", "X-A", "x-a"]
    subject = msg.headers[0]
    assert subject.raw == b"Subject: a\r\n  folded =?utf-8?q?w=C3=B6rd?=\r\n"
    assert subject.value == "a  folded wörd"
    assert msg.header("X-A") == "1"
    assert msg.header_all("x-a") == ["1", "2"]
    assert msg.header("missing") is None
    assert msg.header_all("missing") == []
    assert "subject" in msg
    assert msg.body_offset == raw.index(b"body")


def test_utf8_headers_and_8bit_fallback() -> None:
    msg = Message.parse("Subject: Grüße\r\nFrom: Jörg <jörg@bücher.example>\r\n\r\n".encode())
    assert msg.subject == "Grüße"
    assert msg.addresses("from") == [Address("Jörg", "jörg", "bücher.example")]
    latin = Message.parse(b"Subject: caf\xe9\r\n\r\n")
    assert latin.subject == "café"
    assert [d.kind for d in latin.defects] == [DefectKind.NON_ASCII_HEADER]


def test_body_is_a_view_of_the_original_bytes() -> None:
    raw = b"Content-Type: application/octet-stream\r\n\r\n" + bytes(range(256)) * 10
    msg = Message.parse(raw)
    view = msg.raw_body
    assert isinstance(view, memoryview)
    assert view.obj is raw
    assert msg.decoded() == bytes(range(256)) * 10


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"Content-Type: multipart/mixed\r\n\r\nbody", DefectKind.MISSING_BOUNDARY_PARAMETER),
        (
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\nno delimiter here",
            DefectKind.BOUNDARY_NOT_FOUND,
        ),
        (
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nunclosed",
            DefectKind.MISSING_CLOSE_DELIMITER,
        ),
        (b"Subject: ok\r\nnot a header\r\nX: y\r\n\r\n", DefectKind.MALFORMED_HEADER_LINE),
        (b" continuation first\r\nX: y\r\n\r\n", DefectKind.FIRST_LINE_IS_CONTINUATION),
        (b"Subject: x\r\nbody without separator\r\n", DefectKind.MISSING_HEADER_BODY_SEPARATOR),
        (b"Date: not a date\r\n\r\n", DefectKind.INVALID_DATE),
        (b"Subject: =?utf-8?b?w6l0w6?= x\r\n\r\n", DefectKind.INVALID_ENCODED_WORD),
    ],
)
def test_defects_are_typed_and_positioned(raw: bytes, kind: DefectKind) -> None:
    msg = Message.parse(raw)
    msg.date  # noqa: B018 - reading the date records its defect
    kinds = [d.kind for d in msg.defects]
    assert kind in kinds
    assert all(0 <= d.offset <= len(raw) for d in msg.defects)
    assert msg.to_bytes() == raw


def test_part_without_headers_and_nested_prefix_boundaries() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n"
        b"--ab\r\nplain text without headers\r\n"
        b"--ab\r\nContent-Type: multipart/mixed; boundary=ab-cd\r\n\r\n"
        b"--ab-cd\r\n\r\ninner\r\n--ab-cd--\r\n"
        b"--ab--\r\n"
    )
    msg = Message.parse(raw)
    first, second = msg.parts
    assert first.headers == []
    assert first.decoded() == b"plain text without headers"
    assert [p.decoded() for p in second.parts] == [b"inner"]


def test_nesting_is_capped() -> None:
    depth = 100
    head = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(depth)
    )
    raw = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + head
    msg = Message.parse(raw)
    assert any(d.kind is DefectKind.NESTING_TOO_DEEP for d in msg.defects)
    assert msg.to_bytes() == raw


def test_digest_parts_default_to_message_rfc822() -> None:
    raw = (
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n"
        b"--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n--d--\r\n"
    )
    (part,) = Message.parse(raw).parts
    assert part.content_type == "message/rfc822"
    assert part.message is not None
    assert part.message.subject == "one"


def test_base64_encoded_attached_message() -> None:
    import base64

    inner = b"Subject: wrapped\r\n\r\nhello\r\n"
    raw = (
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(inner)
    )
    msg = Message.parse(raw)
    assert msg.message is not None
    assert msg.message.subject == "wrapped"


def test_text_charset_fallbacks_never_raise() -> None:
    raw = b"Content-Type: text/plain; charset=x-nonexistent\r\n\r\nna\xc3\xafve\r\n"
    assert Message.parse(raw).text() == "naïve\n"
    raw = b"Content-Type: text/plain; charset=us-ascii\r\n\r\ncaf\xe9"
    assert Message.parse(raw).text() == "café"
    raw = b"Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xe9"
    assert Message.parse(raw).text() == "caf\ufffd"


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # A character split across two encoded words.
        ("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "café"),
        # Missing base64 padding, lower-case encoding letter, language suffix.
        ("=?utf-8?b?w6l0w6k?=", "été"),
        ("=?UTF-8*fr?Q?=C3=A9t=C3=A9?=", "été"),
        # Glued to other text.
        ("Re:=?utf-8?q?caf=C3=A9?=", "Re:café"),
        # Spaces inside Q text.
        ("=?iso-8859-1?q?a b?=", "a b"),
        # Unknown charset falls back without raising.
        ("=?x-unknown?q?caf=C3=A9?=", "café"),
        ("=?ks_c_5601-1987?B?x9GxuQ==?=", "한국"),
        # Not an encoded word at all.
        ("=?broken", "=?broken"),
    ],
)
def test_malformed_encoded_words(encoded: str, decoded: str) -> None:
    assert decode_encoded_words(encoded) == decoded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 2 Jan 2023 10:00:00 +0100", datetime(2023, 1, 2, 9, 0, tzinfo=UTC)),
        ("2 Jan 2023 10:00 EST", datetime(2023, 1, 2, 15, 0, tzinfo=UTC)),
        ("Mon, 02 Jan 23 10:00:00 -0000", datetime(2023, 1, 2, 10, 0, tzinfo=UTC)),
        ("Mon, 2 Jan 123 10:00:00 +0000", datetime(2023, 1, 2, 10, 0, tzinfo=UTC)),
        ("Mon Jan  2 10:00:00 2023", datetime(2023, 1, 2, 10, 0, tzinfo=UTC)),
        ("2023-01-02T10:00:00+01:00", datetime(2023, 1, 2, 9, 0, tzinfo=UTC)),
        ("Monday, January 2, 2023 10:00:00 AM GMT+0100", datetime(2023, 1, 2, 9, tzinfo=UTC)),
        ("Mon, 2 Jan 2023 10.00.00 +0100", datetime(2023, 1, 2, 9, 0, tzinfo=UTC)),
        ("Mon, 2 Jan 2023 10:00:60 Z", datetime(2023, 1, 2, 10, 0, 59, tzinfo=UTC)),
        ("Mon, 31 Feb 2023 10:00:00 +0000", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@b", [Address("", "a", "b")]),
        ('"last, first" <a@b>', [Address("last, first", "a", "b")]),
        ("=?utf-8?q?J=C3=B6rg?= <j@b>", [Address("Jörg", "j", "b")]),
        ('"=?utf-8?q?J=C3=B6rg?=" <j@b>', [Address("Jörg", "j", "b")]),
        ('"john doe"@example.com', [Address("", "john doe", "example.com")]),
        ("user@[192.0.2.1]", [Address("", "user", "[192.0.2.1]")]),
        ("a@b (Comment Name)", [Address("", "a", "b")]),
        ("undisclosed-recipients:;", []),
        ("Name <a@b", [Address("Name", "a", "b")]),
        ("postmaster", [Address("", "postmaster", "")]),
        ("<a@b>, , <c@d>", [Address("", "a", "b"), Address("", "c", "d")]),
        ("", []),
    ],
)
def test_address_lists(text: str, expected: list[Address]) -> None:
    from mailproto.message._address_parse import flatten

    assert flatten(parse_address_list(text)) == expected


def test_priority_sources() -> None:
    def prio(field: bytes) -> Priority | None:
        return Message.parse(field + b"\r\n\r\n").priority

    assert prio(b"X-Priority: 1") is Priority.HIGHEST
    assert prio(b"X-Priority: 5 (Lowest)") is Priority.LOWEST
    assert prio(b"Importance: high") is Priority.HIGHEST
    assert prio(b"Importance: Low") is Priority.LOWEST
    assert prio(b"Priority: non-urgent") is Priority.LOWEST
    assert prio(b"X-Other: 1") is None


def test_summary_of_html_only_message() -> None:
    raw = (
        b"From: x@y\r\nContent-Type: text/html\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Hello&nbsp;there</p>"
        + b"<p>word</p>" * 100
        + b"</body></html>"
    )
    summary = Message.parse(raw).summary(preview_chars=20)
    assert summary.preview.startswith("Hello there word")
    assert len(summary.preview) <= 21
    assert summary.has_attachments is False
    assert summary.date is None


def test_text_after_a_delimiter_is_ignored_but_a_longer_boundary_is_not_a_delimiter() -> None:
    # RFC 2046 section 5.1.1: the boundary need only start the line; "--b-1" is another boundary.
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b ignored text\r\nContent-Type: multipart/mixed; boundary=b-1\r\n\r\n"
        b"--b-1\r\n\r\ninner\r\n--b-1--\r\n"
        b"--b--  trailing\r\nepilogue"
    )
    msg = Message.parse(raw)
    (outer,) = msg.parts
    assert [p.decoded() for p in outer.parts] == [b"inner"]
    assert msg.epilogue == b"epilogue"


def test_a_delimiter_right_after_part_headers_ends_them() -> None:
    # No empty line between a part's header and its first delimiter: the delimiter must not be
    # skipped as a junk header line even though a field follows it.
    raw = (
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: multipart/mixed; boundary=ab\r\nMIME-Version: 1.0\r\n"
        b"--ab\r\nContent-Type: text/plain\r\n\r\nx\r\n--ab--\r\n"
        b"--a--\r\n"
    )
    (inner,) = Message.parse(raw).parts
    assert [p.decoded() for p in inner.parts] == [b"x"]
    assert any(d.kind is DefectKind.MISSING_HEADER_BODY_SEPARATOR for d in inner.defects)


_NOT_BASE64 = b"This is plain text labelled as base64, with spaces and punctuation.\r\n"


@pytest.mark.parametrize(
    ("body", "decoded", "clean"),
    [
        (b"aGVsbG8=\r\n", b"hello", True),
        (b"aGVs\r\nbG8=", b"hello", True),
        (b"aGVsbG8", b"hello", False),  # missing padding
        (b"aGVsbG8gd29ybG*QgaGVsbG8gd29ybGQ=", b"hello world hello world", False),  # junk
        (_NOT_BASE64, _NOT_BASE64, False),  # plain text mislabelled
        (b"aGVsbG8= ignored", b"hello", False),  # junk after the padding
        (b"a", b"", False),
        (b"", b"", True),
    ],
)
def test_base64_bodies(body: bytes, decoded: bytes, clean: bool) -> None:
    msg = Message.parse(b"Content-Transfer-Encoding: base64\r\n\r\n" + body)
    assert msg.decoded() == decoded
    assert (DefectKind.INVALID_BASE64 not in [d.kind for d in msg.defects]) is clean


def test_a_fold_without_indent_continues_the_field() -> None:
    raw = (
        b"Received: from a (HELO b)\r\nby c with SMTP; 19 Nov 2014 08:46:08 -0000\r\n"
        b"Subject: s\r\n\r\nbody"
    )
    msg = Message.parse(raw)
    assert [h.name for h in msg.headers] == ["Received", "Subject"]
    assert msg.header("received") == "from a (HELO b) by c with SMTP; 19 Nov 2014 08:46:08 -0000"
    assert msg.received[0].by == "c"
    assert msg.subject == "s"
    assert msg.decoded() == b"body"
    assert [d.kind for d in msg.defects] == [DefectKind.MALFORMED_HEADER_LINE]


def test_a_delimiter_at_the_very_end_starts_no_part() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=1\n\n--1\nContent-Type: text/plain\n\nhi\n--1\n"
    msg = Message.parse(raw)
    assert [p.decoded() for p in msg.parts] == [b"hi"]
    assert DefectKind.MISSING_CLOSE_DELIMITER in [d.kind for d in msg.defects]


def test_every_codec_name_as_a_charset_never_raises() -> None:
    # Python knows codecs that are no text charsets (idna, punycode, base64, ...): declared in
    # mail, they must fall back, never raise.
    import encodings.aliases

    for name in sorted(set(encodings.aliases.aliases.values()) | {"idna", "punycode", "undefined"}):
        raw = (
            b"Subject: =?"
            + name.encode()
            + b"?b?/////w==?= =?"
            + name.encode()
            + b"?q?=FF=5C?=\r\n"
            b"Content-Type: text/plain; charset=" + name.encode() + b"\r\n\r\n\xff\xfe\\x\\N{"
        )
        msg = Message.parse(raw)
        assert isinstance(msg.subject, str)
        assert isinstance(msg.text(), str)
