"""Hypothesis properties of the reader: it never raises, keeps every byte, and does not depend on
the line-ending convention."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailproto.message import (
    Message,
    body_structure,
    decode_encoded_words,
    envelope,
    imap_serialize,
    parse_address_list,
    parse_content_type,
    parse_date,
)


def touch_everything(msg: Message) -> None:
    """Read every accessor of the message and all its parts; none may raise."""
    for name in ("from", "to", "cc", "sender", "reply-to"):
        msg.address_list(name)
        msg.addresses(name)
    for h in msg.headers:
        assert isinstance(h.value, str)
        assert h.raw == msg.to_bytes()[h.offset : h.end]
    _ = (
        msg.date,
        msg.subject,
        msg.message_id,
        msg.in_reply_to,
        msg.references,
        msg.received,
        msg.keywords,
        msg.priority,
        msg.text_body,
        msg.html_body,
        msg.attachments,
    )
    for part in msg.walk():
        _ = (part.content_type, part.params, part.charset, part.filename, part.disposition)
        _ = (part.content_id, part.preamble, part.epilogue)
        assert isinstance(part.decoded(), bytes)
        assert isinstance(part.text(), str)
        assert isinstance(part.text(unflow=True), str)
    msg.summary()
    assert imap_serialize(envelope(msg)).startswith(b"(")
    assert imap_serialize(body_structure(msg)).startswith(b"(")
    for d in msg.defects:
        assert 0 <= d.offset <= max(len(msg.to_bytes()), d.offset)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_and_round_trip(raw: bytes) -> None:
    msg = Message.parse(raw)
    assert msg.to_bytes() == raw
    touch_everything(msg)


_names = st.sampled_from(
    [
        b"From",
        b"To",
        b"Cc",
        b"Subject",
        b"Date",
        b"Content-Type",
        b"Message-ID",
        b"X-Y",
        b"bad name",
    ]
)
_values = st.one_of(
    st.sampled_from(
        [
            b"multipart/mixed; boundary=b",
            b'multipart/alternative; boundary="b2"',
            b"message/rfc822",
            b"text/plain; charset*=utf-8''%C3%A9",
            b"=?utf-8?q?caf=C3=A9?= <a@b>",
            b'g: a@b, "q\\"" <c@d>;',
            b"Mon, 2 Jan 2023 10:00:00 +0100",
            b"base64",
            b"quoted-printable",
            b"x-uuencode",
            b"text/plain; charset=idna",
            b"text/plain; charset=utf-16",
            b"=?utf-16?b?/w==?= =?punycode?q?=FF?= =?x?b?#?=",
            b"attachment; filename*0*=utf-8''%E2%98; filename*1*=%95; filename*1=x",
            b"multipart/digest; boundary=b",
            b"message/global",
            b'<a@b> <c@d> (x) "q" [d] @ : ; ,',
        ]
    ),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
)
_line = st.one_of(
    st.tuples(_names, _values).map(lambda nv: nv[0] + b": " + nv[1]),
    st.sampled_from(
        [
            b"--b",
            b"--b--",
            b"--b2",
            b"--b2--",
            b"",
            b" folded",
            b"body text",
            b"begin 644 x",
            b"#86)C",
        ]
    ),
    st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
)


@given(st.lists(_line, max_size=40), st.sampled_from([b"\r\n", b"\n"]))
def test_message_shaped_input(lines: list[bytes], newline: bytes) -> None:
    raw = newline.join(lines)
    msg = Message.parse(raw)
    assert msg.to_bytes() == raw
    touch_everything(msg)


@given(st.lists(_line, max_size=40))
def test_line_endings_do_not_change_what_is_read(lines: list[bytes]) -> None:
    lf = Message.parse(b"\n".join(lines) + b"\n")
    crlf = Message.parse(b"\r\n".join(lines) + b"\r\n")
    assert [p.content_type for p in lf.walk()] == [p.content_type for p in crlf.walk()]
    assert [(h.name, h.value) for h in lf.headers] == [(h.name, h.value) for h in crlf.headers]
    assert lf.subject == crlf.subject
    assert lf.addresses("from") == crlf.addresses("from")
    assert lf.date == crlf.date
    for a, b in zip(lf.walk(), crlf.walk(), strict=True):
        # In UTF-16, UTF-32 and UTF-7 the line-ending bytes are not line endings.
        if not a.parts and not (a.charset or "").startswith(("utf-16", "utf-32", "utf-7")):
            assert a.text() == b.text()


@given(st.text(max_size=200))
def test_structured_parsers_never_raise(text: str) -> None:
    parse_address_list(text)
    parse_date(text)
    decode_encoded_words(text)
    parse_content_type(text)


@given(st.lists(_line, max_size=30), st.binary(max_size=20), st.binary(max_size=20))
def test_a_message_inside_a_larger_buffer_reads_the_same(
    lines: list[bytes], prefix: bytes, suffix: bytes
) -> None:
    """Parts are offsets into one buffer: a message framed inside a larger one (as an attached
    message is) reads exactly as the same bytes on their own."""
    raw = b"\r\n".join(lines)
    alone = Message.parse(raw)
    framed = Message(prefix + raw + suffix, len(prefix), len(prefix) + len(raw))
    assert framed.to_bytes() == raw
    assert [(h.name, h.value) for h in framed.headers] == [(h.name, h.value) for h in alone.headers]
    a_parts, f_parts = list(alone.walk()), list(framed.walk())
    assert [p.content_type for p in a_parts] == [p.content_type for p in f_parts]
    for a, f in zip(a_parts, f_parts, strict=True):
        assert a.to_bytes() == f.to_bytes()
        assert a.decoded() == f.decoded()
    assert [(d.kind, d.offset) for d in alone.defects] == [
        (d.kind, d.offset - len(prefix)) for d in framed.defects
    ]
