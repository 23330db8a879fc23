"""Structured fields: message ids, Received, parameters, bodies and attachments, summaries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailproto.message import Header, Message, parse_content_type, parse_msg_ids, parse_received


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("<a@b>", ["a@b"]),
        ("<a@b> <c@d>\r\n <e@f>", ["a@b", "c@d", "e@f"]),
        ("<a@b>,<c@d>", ["a@b", "c@d"]),
        ("Your message of <a@b> (sent yesterday)", ["a@b"]),
        ("a@b", ["a@b"]),
        ("<a @ b>", ["a@b"]),
        ("no ids here", []),
        ("", []),
    ],
)
def test_msg_ids(text: str, ids: list[str]) -> None:
    assert parse_msg_ids(text) == ids


def test_message_id_fields() -> None:
    msg = Message.parse(
        b"Message-ID: <x@y>\r\nIn-Reply-To: <p@q>\r\nReferences: <r@s>\r\n <p@q>\r\n\r\n"
    )
    assert msg.message_id == "x@y"
    assert msg.in_reply_to == ["p@q"]
    assert msg.references == ["r@s", "p@q"]
    bare = Message.parse(b"Subject: x\r\n\r\n")
    assert (bare.message_id, bare.in_reply_to, bare.references) == (None, [], [])


def test_received_with_comments_and_ipv6() -> None:
    r = parse_received(
        "from mail.example.org (mail.example.org [IPv6:2001:db8::1]) "
        "by mx.example.com (Postfix) with ESMTPS id 4Abc123 "
        "for <user@example.com>; Tue, 3 Jan 2023 04:05:06 +0000 (UTC)"
    )
    assert (r.from_, r.by, r.with_, r.id, r.for_) == (
        "mail.example.org",
        "mx.example.com",
        "ESMTPS",
        "4Abc123",
        "<user@example.com>",
    )
    assert r.comments == ("mail.example.org [IPv6:2001:db8::1]", "Postfix")
    assert r.date == datetime(2023, 1, 3, 4, 5, 6, tzinfo=UTC)


def test_received_without_date_or_clauses() -> None:
    r = parse_received("garbage")
    assert (r.from_, r.by, r.date) == (None, None, None)
    assert r.raw == "garbage"


def test_received_order_is_top_first() -> None:
    msg = Message.parse(
        b"Received: by b.example; Tue, 3 Jan 2023 04:05:07 +0000\r\n"
        b"Received: by a.example; Tue, 3 Jan 2023 04:05:06 +0000\r\n\r\n"
    )
    assert [r.by for r in msg.received] == ["b.example", "a.example"]


def test_parameters_quoted_comments_and_encoded_words() -> None:
    msg = Message.parse(
        b'Content-Type: application/octet-stream; name="=?utf-8?q?r=C3=A9sum=C3=A9?=.pdf"\r\n'
        b'Content-Disposition: attachment (comment); filename="a \\"b\\".pdf"; size=10\r\n'
        b"Content-ID: <cid123@example>\r\n"
        b"\r\nx"
    )
    assert msg.params["name"] == "résumé.pdf"
    assert msg.disposition == "attachment"
    assert msg.disposition_params == {"filename": 'a "b".pdf', "size": "10"}
    assert msg.filename == 'a "b".pdf'
    assert msg.content_id == "cid123@example"
    assert msg.is_attachment


def test_invalid_content_type_counts_as_text_plain() -> None:
    msg = Message.parse(b"Content-Type: garbage\r\n\r\nhello")
    assert msg.content_type == "text/plain"
    assert msg.text_body is msg
    assert any(d.kind.value == "invalid-content-type" for d in msg.defects)


def test_related_html_with_inline_image() -> None:
    raw = (
        b"Content-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/html\r\n\r\n<img src=cid:i1>\r\n"
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <i1>\r\n"
        b"Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n"
        b"--r--\r\n"
    )
    msg = Message.parse(raw)
    assert msg.text_body is None
    assert msg.html_body is not None
    assert msg.html_body.text() == "<img src=cid:i1>"
    (image,) = msg.attachments
    assert image.content_id == "i1"
    assert image.decoded() == b"\x89PNG"
    assert not image.is_attachment
    assert msg.summary().has_attachments is False


def test_alternative_prefers_the_last_fitting_part() -> None:
    raw = (
        b"Content-Type: multipart/alternative; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
        b"--a\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n"
        b"--a--\r\n"
    )
    msg = Message.parse(raw)
    assert msg.text_body is not None and msg.text_body.text() == "plain"
    assert msg.html_body is not None and msg.html_body.text() == "<b>html</b>"
    assert msg.attachments == []


def test_attached_text_file_is_not_the_body() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
        b"--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt"
        b"\r\n\r\nfile\r\n"
        b"--m\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--m--\r\n"
    )
    msg = Message.parse(raw)
    assert msg.text_body is not None and msg.text_body.text() == "body"
    assert [a.filename for a in msg.attachments] == ["a.txt"]


def test_summary_fields() -> None:
    raw = (
        b"From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\r\n"
        b"To: a@x, Team: b@y;\r\nCc: c@z\r\n"
        b"Subject: Hello\r\nDate: Tue, 3 Jan 2023 04:05:06 +0000\r\n"
        b"Importance: high\r\n\r\n"
        b"> quoted line\r\nFirst   words\r\nof the   body.\r\n"
    )
    s = Message.parse(raw).summary()
    assert s.from_ is not None and s.from_.display_name == "Zoë"
    assert [a.local_part for a in s.to] == ["a", "b"]
    assert [a.local_part for a in s.cc] == ["c"]
    assert s.subject == "Hello"
    assert s.date == datetime(2023, 1, 3, 4, 5, 6, tzinfo=UTC)
    assert s.size == len(raw)
    assert s.priority is not None and s.priority.name == "HIGHEST"
    assert s.preview == "First words of the body."


def test_quoted_printable_and_uuencode_bodies() -> None:
    qp = Message.parse(
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =3D done=\r\n"
    )
    assert qp.decoded() == b"softbreak = done"
    uu = Message.parse(
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 a.txt\r\n#86)C\r\n`\r\nend\r\n"
    )
    assert uu.decoded() == b"abc"


def test_rfc2231_sections_out_of_order_with_a_late_charset() -> None:
    # Seen in real mail: sections out of order, and a charset on a later section.
    ctype, params, problems = parse_content_type(
        'image/gif; name*1="about "; name*0="Book ";\r\n'
        "              name*2*=utf-8''%e2%98%95 tables.gif"
    )
    assert ctype == "image/gif"
    assert params == {"name": "Book about \u2615 tables.gif"}
    assert problems == ["charset in section 2 of parameter 'name'"]


def test_absurd_numbers_never_raise() -> None:
    # int() refuses strings of more than 4300 digits; section numbers and dates must not reach it.
    digits = "9" * 5000
    _, params, _ = parse_content_type(f"text/plain; name*{digits}=x; a*0=b")
    assert params["a"] == "b"
    msg = Message.parse(f"Date: {digits} Jan {digits} {digits}:{digits}\r\n\r\n".encode())
    assert msg.date is None


def test_html_without_charset_uses_its_meta_charset() -> None:
    raw = (
        b"Content-Type: text/html\r\n\r\n"
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
        b"</head><body>\xd0\xd2\xc9\xd7\xc5\xd4</body></html>"
    )
    assert Message.parse(raw).text().endswith("<body>привет</body></html>")


def test_header_objects() -> None:
    h = Header.from_bytes(b"Subject: =?utf-8?q?caf=C3=A9?=\r\n  au lait\r\n")
    assert (h.name, h.value, h.offset, h.end) == ("Subject", "café  au lait", 0, 43)
    assert h.raw_value == b" =?utf-8?q?caf=C3=A9?=\r\n  au lait\r\n"
    assert h.unfolded == "=?utf-8?q?caf=C3=A9?=  au lait"
    assert h.defects == []
    junk = Header.from_bytes(b"no colon here\r\n")
    assert junk.name == ""
    msg = Message.parse(b"X-A: 1\r\nx-a: 2\r\n\r\n")
    assert [f.value for f in msg.header_fields("X-A")] == ["1", "2"]
    assert msg.raw_header == b"X-A: 1\r\nx-a: 2\r\n\r\n"


def test_format_flowed_text() -> None:
    raw = (
        b"Content-Type: text/plain; charset=us-ascii; format=flowed\r\n\r\n"
        b"This is a long \r\nparagraph wrapped \r\nby the sender.\r\n"
        b"> quoted and \r\n> wrapped\r\n"
        b" >not a quote, space-stuffed\r\n"
        b"-- \r\nsignature\r\n"
    )
    part = Message.parse(raw)
    assert part.text(unflow=True) == (
        "This is a long paragraph wrapped by the sender.\n"
        "> quoted and wrapped\n"
        ">not a quote, space-stuffed\n"
        "-- \n"
        "signature\n"
    )
    assert part.text().startswith("This is a long \nparagraph")
    delsp = Message.parse(
        b"Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\nJapa \r\nnese\r\n"
    )
    assert delsp.text(unflow=True) == "Japanese\n"
