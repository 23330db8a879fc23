"""ENVELOPE and BODYSTRUCTURE for an IMAP server, with exact expected values."""

from __future__ import annotations

from mailproto.message import Message
from mailproto.message._imap import body_structure, envelope, imap_serialize, section_part

SIMPLE = (
    b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
    b"From: Terry Gray <gray@cac.washington.edu>\r\n"
    b"Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
    b"To: imap@cac.washington.edu\r\n"
    b"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
    b"Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    b"\r\n"
    b"line one\r\nline two\r\n"
)


def test_envelope_of_rfc3501_example() -> None:
    env = envelope(Message.parse(SIMPLE))
    gray = (("Terry Gray", None, "gray", "cac.washington.edu"),)
    assert env == (
        "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
        "IMAP4rev1 WG mtg summary and minutes",
        gray,
        gray,
        gray,
        ((None, None, "imap", "cac.washington.edu"),),
        (
            (None, None, "minutes", "CNRI.Reston.VA.US"),
            ("John Klensin", None, "KLENSIN", "MIT.EDU"),
        ),
        None,
        None,
        "<B27397-0100000@cac.washington.edu>",
    )
    assert imap_serialize(env).startswith(
        b'("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu"))'
    )


def test_body_of_a_text_message() -> None:
    msg = Message.parse(SIMPLE)
    assert body_structure(msg, extended=False) == (
        "TEXT",
        "PLAIN",
        ("CHARSET", "US-ASCII"),
        None,
        None,
        "7BIT",
        20,
        2,
    )
    assert (
        imap_serialize(body_structure(msg, extended=False))
        == b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 20 2)'
    )


def test_groups_and_non_ascii_names_in_the_envelope() -> None:
    msg = Message.parse("From: Zoë <z@example.com>\r\nTo: Team: a@x, b@y;, c@z\r\n\r\n".encode())
    env = envelope(msg)
    assert env[2] == (("=?utf-8?b?Wm/Dqw==?=", None, "z", "example.com"),)
    assert env[5] == (
        (None, None, "Team", None),
        (None, None, "a", "x"),
        (None, None, "b", "y"),
        (None, None, None, None),
        (None, None, "c", "z"),
    )


def test_bodystructure_of_multipart_with_attached_message() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: application/pdf; name=x.pdf\r\n"
        b"Content-Disposition: attachment; filename=x.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Subject: inner\r\n\r\nbody\r\n"
        b"--b--\r\n"
    )
    bs = body_structure(Message.parse(raw))
    assert imap_serialize(bs) == (
        b'(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 2 0 NIL NIL NIL NIL)'
        b'("APPLICATION" "PDF" ("NAME" "x.pdf") NIL NIL "BASE64" 4 NIL '
        b'("ATTACHMENT" ("FILENAME" "x.pdf")) NIL NIL)'
        b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 22 '
        b'(NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) '
        b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 0 NIL NIL NIL NIL) 2 '
        b"NIL NIL NIL NIL) "
        b'"MIXED" ("BOUNDARY" "b") NIL NIL NIL)'
    )


def test_serialize_uses_literals_where_needed() -> None:
    assert imap_serialize(('a"b', "line\r\nbreak", "é", 5, None)) == (
        b'("a\\"b" {11}\r\nline\r\nbreak {2}\r\n\xc3\xa9 5 NIL)'
    )


def _leaf(ctype: str, body: str) -> str:
    return f"Content-Type: {ctype}\r\n\r\n{body}\r\n"


def _multi(boundary: str, *parts: str) -> str:
    inner = "".join(f"--{boundary}\r\n{p}" for p in parts)
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}--{boundary}--\r\n"


def test_section_numbers_of_rfc3501_example() -> None:
    # The structure of the example in RFC 3501 section 6.4.5.
    inner3 = "Subject: three\r\n" + _multi(
        "c", _leaf("text/plain", "3.1"), _leaf("application/octet-stream", "3.2")
    )
    inner42 = "Subject: four-two\r\n" + _multi(
        "e",
        _leaf("text/plain", "4.2.1"),
        "Content-Type: multipart/alternative; boundary=f\r\n\r\n--f\r\n"
        + _leaf("text/plain", "4.2.2.1")
        + "--f\r\n"
        + _leaf("text/richtext", "4.2.2.2")
        + "--f--\r\n",
    )
    raw = _multi(
        "a",
        _leaf("text/plain", "1"),
        _leaf("application/octet-stream", "2"),
        "Content-Type: message/rfc822\r\n\r\n" + inner3,
        _multi("d", _leaf("image/gif", "4.1"), "Content-Type: message/rfc822\r\n\r\n" + inner42),
    )
    msg = Message.parse(raw.encode())
    expected = {
        (1,): "text/plain",
        (2,): "application/octet-stream",
        (3,): "message/rfc822",
        (3, 1): "text/plain",
        (3, 2): "application/octet-stream",
        (4,): "multipart/mixed",
        (4, 1): "image/gif",
        (4, 2): "message/rfc822",
        (4, 2, 1): "text/plain",
        (4, 2, 2): "multipart/alternative",
        (4, 2, 2, 1): "text/plain",
        (4, 2, 2, 2): "text/richtext",
    }
    for numbers, ctype in expected.items():
        part = section_part(msg, numbers)
        assert part is not None, numbers
        assert part.content_type == ctype, numbers
    leaf = section_part(msg, (4, 2, 2, 2))
    assert leaf is not None and leaf.decoded() == b"4.2.2.2"
    gif = section_part(msg, (4, 1))
    assert gif is not None and gif.raw_header == b"Content-Type: image/gif\r\n\r\n"
    assert section_part(msg, (5,)) is None
    assert section_part(msg, (1, 2)) is None
    assert section_part(msg, (0,)) is None
    single = Message.parse(b"Subject: x\r\n\r\nbody")
    assert section_part(single, (1,)) is single
    assert section_part(single, (2,)) is None
