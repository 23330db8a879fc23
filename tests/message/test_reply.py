"""Reply, reply-all and forward."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.message import Message
from mailproto.message._address import Address
from mailproto.message._reply import (
    base_subject,
    forward,
    forward_subject,
    quote_text,
    reply,
    reply_subject,
    trim_references,
)
from tests.message.test_compose import NOW, CountingRandom, stdlib_parse

ORIGINAL = Message.parse(
    b"From: Alice <alice@example.com>\r\n"
    b"To: me@example.org, Bob <bob@example.com>\r\n"
    b"Cc: carol@example.com, Me Too <ME@Example.org>, bob@EXAMPLE.com\r\n"
    b"Subject: Re: AW: [dev] Fwd: plans\r\n"
    b"Date: Sat, 21 Nov 2026 10:00:00 +0100\r\n"
    b"Message-ID: <m3@example.com>\r\n"
    b"References: <m1@example.com> <m2@example.com>\r\n"
    b"\r\n"
    b"Hi all,\r\n"
    b"\r\n"
    b"> earlier\r\n"
    b"the plan.\r\n"
)


def emails(items: list[Address]) -> list[str]:
    return [a.addr_spec for a in items]


@pytest.mark.parametrize(
    ("subject", "base"),
    [
        ("Re: Re: RE: Aw: Fwd: hello", "hello"),
        ("RE: FW: AW: WG: SV: VS: Antw: Odp: Rif: Réf : TR: Fwd: x", "x"),
        ("Re[2]: Re(3): x", "x"),
        ("回复\uff1aRe: 你好", "你好"),
        ("[dev] Re: [dev] Re: patch", "[dev] patch"),
        ("Re: [dev] patch", "[dev] patch"),
        ("[dev] patch", "[dev] patch"),
        (
            "Antwort: not a prefix without its colon form",
            "Antwort: not a prefix without its colon form",
        ),
        ("Return of the Re: prefix", "Return of the Re: prefix"),
        ("Re:", ""),
        ("", ""),
    ],
)
def test_base_subject(subject: str, base: str) -> None:
    assert base_subject(subject) == base


def test_one_prefix_is_kept() -> None:
    assert reply_subject("Re: Re: RE: Aw: Fwd: hello") == "Re: hello"
    assert forward_subject("Re: Fwd: hello") == "Fwd: hello"
    assert reply_subject(None) == "Re:"
    assert reply_subject(reply_subject(reply_subject("x"))) == "Re: x"


@given(st.text(max_size=40))
def test_prefixes_never_pile_up(subject: str) -> None:
    once = reply_subject(subject)
    assert reply_subject(once) == once
    assert reply_subject(forward_subject(once)) == once


def test_trim_references_keeps_the_root_and_the_newest() -> None:
    ids = [f"m{i}@x" for i in range(30)]
    assert trim_references(ids, 5) == ["m0@x", "m26@x", "m27@x", "m28@x", "m29@x"]
    assert trim_references(["a@x", "b@x", "a@x"]) == ["a@x", "b@x"]


def test_quote_text() -> None:
    assert quote_text("a\n\n> b\r\nc\n") == "> a\n>\n> > b\n> c\n"


def test_reply_goes_to_the_sender_with_threading_fields() -> None:
    builder = reply(ORIGINAL, from_="Me <me@example.org>", text="Sounds good.")
    assert emails(builder.to) == ["alice@example.com"]  # type: ignore[arg-type]
    assert builder.cc == []
    assert builder.subject == "Re: [dev] plans"
    assert builder.in_reply_to == ["m3@example.com"]
    assert builder.references == ["m1@example.com", "m2@example.com", "m3@example.com"]
    assert builder.text == (
        "Sounds good.\n\n"
        "On Sat, 21 Nov 2026 10:00:00 +0100, Alice wrote:\n"
        "> Hi all,\n"
        ">\n"
        "> > earlier\n"
        "> the plan.\n"
    )
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    assert b"In-Reply-To: <m3@example.com>\r\n" in data
    assert b"References: <m1@example.com> <m2@example.com> <m3@example.com>\r\n" in data
    parsed = Message.parse(data)
    assert parsed.in_reply_to == ["m3@example.com"]
    assert parsed.subject == "Re: [dev] plans"


def test_reply_all_leaves_out_my_addresses_and_repeats() -> None:
    builder = reply(
        ORIGINAL,
        from_="me@example.org",
        me=["me.too@example.org", "me@example.org"],
        reply_all=True,
    )
    # "Me Too <ME@Example.org>" is me@example.org in another case: one of mine.
    assert emails(builder.to) == ["alice@example.com", "bob@example.com"]  # type: ignore[arg-type]
    assert emails(builder.cc) == ["carol@example.com"]  # type: ignore[arg-type]


def test_reply_honours_reply_to_and_followup_to() -> None:
    raw = (
        b"From: Alice <alice@example.com>\r\n"
        b"Reply-To: list@example.com\r\n"
        b"Mail-Followup-To: list@example.com, alice@example.com\r\n"
        b"To: list@example.com\r\n"
        b"Subject: question\r\n"
        b"In-Reply-To: <parent@example.com>\r\n"
        b"Message-ID: <child@example.com>\r\n"
        b"\r\n"
        b"?\r\n"
    )
    original = Message.parse(raw)
    single = reply(original, from_="me@example.org")
    assert emails(single.to) == ["list@example.com"]  # type: ignore[arg-type]
    # Without References, a single In-Reply-To id starts them (RFC 5322 3.6.4).
    assert single.references == ["parent@example.com", "child@example.com"]
    everyone = reply(original, from_="me@example.org", reply_all=True)
    assert emails(everyone.to) == ["list@example.com", "alice@example.com"]  # type: ignore[arg-type]


def test_reply_to_my_own_message_goes_to_its_recipients() -> None:
    raw = b"From: me@example.org\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    builder = reply(Message.parse(raw), from_="me@example.org", quote=False, text="again")
    assert emails(builder.to) == ["bob@example.com"]  # type: ignore[arg-type]
    assert builder.text == "again"
    assert builder.in_reply_to == [] and builder.references == []


def test_forward_inline() -> None:
    builder = forward(ORIGINAL, from_="me@example.org", to="dave@example.com", text="FYI")
    assert builder.subject == "Fwd: [dev] plans"
    assert builder.text == (
        "FYI\n\n"
        "---------- Forwarded message ----------\n"
        "From: Alice <alice@example.com>\n"
        "Date: Sat, 21 Nov 2026 10:00:00 +0100\n"
        "Subject: Re: AW: [dev] Fwd: plans\n"
        "To: me@example.org, Bob <bob@example.com>\n"
        "Cc: carol@example.com, Me Too <ME@Example.org>, bob@EXAMPLE.com\n"
        "\n"
        "Hi all,\n\n> earlier\nthe plan.\n"
    )


def test_forward_inline_keeps_html_and_attachments() -> None:
    original = Message.parse(
        b"From: a@example.com\r\nSubject: pics\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b'--b\r\nContent-Type: multipart/alternative; boundary="c"\r\n\r\n'
        b"--c\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
        b"--c\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--c--\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=a.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
    )
    builder = forward(original, from_="me@example.org", to="x@example.com", text="see <this>")
    assert builder.html is not None
    assert builder.html.startswith("<p>see &lt;this&gt;</p><p>---------- Forwarded message")
    assert builder.html.endswith("<p>html</p>")
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    parsed = Message.parse(data)
    assert [(p.filename, p.content_type, p.decoded()) for p in parsed.attachments] == [
        ("a.png", "image/png", b"\x89PNG\r\n\x1a\n")
    ]
    stdlib_parse(data)


def test_forward_as_attachment_keeps_the_original() -> None:
    lf = ORIGINAL.to_bytes().replace(b"\r\n", b"\n")
    builder = forward(
        Message.parse(lf), from_="me@example.org", to="x@example.com", as_attachment=True
    )
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    assert ORIGINAL.to_bytes() in data  # CRLF again
    parsed = Message.parse(data)
    (att,) = parsed.attachments
    assert att.content_type == "message/rfc822"
    assert att.filename == "[dev] plans.eml"
    assert att.message is not None and att.message.subject == "Re: AW: [dev] Fwd: plans"
    std = email.message_from_bytes(data, policy=email.policy.default)
    inner = next(std.iter_attachments()).get_content()
    assert inner["Message-ID"] == "<m3@example.com>"


def test_forward_keeps_the_charset_of_attached_text() -> None:
    original = Message.parse(
        b"From: a@example.com\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Disposition: attachment; filename=notes.txt\r\n\r\ncaf\xe9\r\n--b--\r\n"
    )
    data = forward(original, from_="me@example.org", to="x@example.com").build(now=NOW).to_bytes()
    (att,) = Message.parse(data).attachments
    assert att.charset == "iso-8859-1"
    assert att.text() == "café"


def test_html_reply_cites_the_original() -> None:
    builder = reply(ORIGINAL, from_="me@example.org", text="ok", html="<p>ok</p>")
    assert builder.html == (
        "<p>ok</p><p>On Sat, 21 Nov 2026 10:00:00 +0100, Alice wrote:</p>"
        '<blockquote type="cite"><pre>Hi all,\n\n&gt; earlier\nthe plan.\n</pre></blockquote>'
    )
    assert reply(ORIGINAL, from_="me@example.org", html="<p>ok</p>", quote=False).html == (
        "<p>ok</p>"
    )


def test_reply_leaves_out_ids_that_cannot_be_written_again() -> None:
    original = Message.parse(
        b"From: a@example.com\r\nMessage-ID: <ok@example.com>\r\n"
        b"References: <good@example.com> <bad id@example.com> <caf\xc3\xa9@example.com>\r\n\r\n"
    )
    builder = reply(original, from_="me@example.org")
    assert "good@example.com" in builder.references
    assert builder.references[-1] == "ok@example.com"
    assert all(i.isascii() and " " not in i for i in builder.references)
    builder.build(now=NOW)
