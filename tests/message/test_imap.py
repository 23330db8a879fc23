"""ENVELOPE and BODYSTRUCTURE for an IMAP server, with exact expected values."""

from __future__ import annotations

from mailproto.message import Message
from mailproto.message._imap import body_structure, envelope, imap_serialize

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
