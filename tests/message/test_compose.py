"""Building messages: exact bytes with an injected clock and random source, and round trips
through the stdlib's parser and our own."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.errors import LocalProtocolError
from mailproto.message import Message
from mailproto.message._address import Address, Group
from mailproto.message._address_format import format_address, format_address_list
from mailproto.message._compose import (
    MessageBuilder,
    compose,
    format_date,
    make_msgid,
    prepend_header,
    remove_header,
    set_header,
)

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone(timedelta(hours=-5)))


class CountingRandom:
    """A predictable stand-in for os.urandom: 00 01 02 ... across calls."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, k: int) -> bytes:
        out = bytes((self.n + i) % 256 for i in range(k))
        self.n += k
        return out


def stdlib_parse(data: bytes, utf8: bool = False) -> email.message.EmailMessage:
    """The stdlib's reading of *data*, checked to have no defects.

    The stdlib's bytes parser does not take RFC 6532 UTF-8 headers and its str parser mangles
    8bit bodies, so with *utf8* the headers are read from the str parser and the bodies from
    the bytes parser.
    """
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    heads = msg
    if utf8:
        text = data.decode("utf-8", "replace")  # 8bit bodies need not be UTF-8
        heads = email.message_from_string(text, policy=email.policy.default)
        assert isinstance(heads, email.message.EmailMessage)
    for part in msg.walk():
        assert part.defects == [], part.defects
    for part in heads.walk():
        for name, value in part.items():
            assert value.defects == (), (name, value.defects)
    if utf8:
        for name, value in heads.items():
            msg.replace_header(name, value)
    return msg


def check_lines(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        # A line over 78 octets is one word that has no fold point (UTF-8 with allow_utf8).
        if len(line) > 78:
            assert len(re.sub(rb"^[!-9;-~]+: ", b"", line).split()) == 1, line


def test_simple_message_exact_bytes() -> None:
    msg = compose(
        from_="Ann Example <ann@example.com>",
        to=["bob@example.org"],
        subject="Lunch?",
        text="Noon at the usual place?\n",
        now=NOW,
        random_bytes=CountingRandom(),
    )
    assert msg.to_bytes() == (
        b"Date: Sun, 22 Nov 2026 03:00:00 -0500\r\n"
        b"From: Ann Example <ann@example.com>\r\n"
        b"To: bob@example.org\r\n"
        b"Subject: Lunch?\r\n"
        b"Message-ID: <aaaqeayeaudaocajbifqydio@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n"
        b"\r\n"
        b"Noon at the usual place?\r\n"
    )
    assert msg.message_id == "<aaaqeayeaudaocajbifqydio@example.com>"
    assert msg.envelope_sender == "ann@example.com"
    assert msg.envelope_recipients == ("bob@example.org",)
    assert not msg.needs_smtputf8 and not msg.needs_8bitmime


def test_multipart_message_exact_bytes() -> None:
    builder = MessageBuilder(
        from_=Address("Jöhn", "john", "example.com"),
        to=["bob@example.org"],
        subject="Bericht für März",
        text="Anbei der Bericht.\n",
        html="<p>Anbei der <b>Bericht</b>.</p>",
    )
    builder.attach(b"%PDF-1.4\x00\xff", filename="Bericht März.pdf")
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    assert data == (
        b"Date: Sun, 22 Nov 2026 03:00:00 -0500\r\n"
        b"From: =?utf-8?b?SsO2aG4=?= <john@example.com>\r\n"
        b"To: bob@example.org\r\n"
        b"Subject: Bericht =?utf-8?b?ZsO8ciBNw6Ryeg==?=\r\n"
        b"Message-ID: <aaaqeayeaudaocajbifqydio@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="=_1b1c1d1e1f20212223242526"\r\n'
        b"\r\n"
        b"--=_1b1c1d1e1f20212223242526\r\n"
        b'Content-Type: multipart/alternative; boundary="=_0f101112131415161718191a"\r\n'
        b"\r\n"
        b"--=_0f101112131415161718191a\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n"
        b"\r\n"
        b"Anbei der Bericht.\r\n"
        b"\r\n"
        b"--=_0f101112131415161718191a\r\n"
        b"Content-Type: text/html; charset=us-ascii\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n"
        b"\r\n"
        b"<p>Anbei der <b>Bericht</b>.</p>\r\n"
        b"\r\n"
        b"--=_0f101112131415161718191a--\r\n"
        b"\r\n"
        b"--=_1b1c1d1e1f20212223242526\r\n"
        b"Content-Type: application/pdf; name*=utf-8''Bericht%20M%C3%A4rz.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''Bericht%20M%C3%A4rz.pdf\r\n"
        b"\r\n"
        b"JVBERi0xLjQA/w==\r\n"
        b"\r\n"
        b"--=_1b1c1d1e1f20212223242526--\r\n"
    )
    parsed = stdlib_parse(data)
    assert parsed["subject"] == "Bericht für März"
    (att,) = parsed.iter_attachments()
    assert att.get_filename() == "Bericht März.pdf"
    assert att.get_content() == b"%PDF-1.4\x00\xff"


def test_bcc_goes_only_into_the_envelope() -> None:
    msg = compose(
        from_="ann@example.com",
        to=["bob@example.org", "Carol <carol@example.net>"],
        cc=Group("Team", (Address("", "dave", "example.com"),)),
        bcc=["secret@example.com", "bob@example.org"],
        text="hi",
        now=NOW,
        random_bytes=CountingRandom(),
    )
    assert b"secret" not in msg.to_bytes()
    assert b"Bcc" not in msg.to_bytes()
    assert b"Cc: Team: dave@example.com;\r\n" in msg.to_bytes()
    assert msg.envelope_recipients == (
        "bob@example.org",
        "carol@example.net",
        "dave@example.com",
        "secret@example.com",
    )


def test_sender_is_the_envelope_sender() -> None:
    msg = compose(
        from_=["ann@example.com", "bob@example.com"],
        sender="secretary@example.com",
        to="x@example.org",
        text="",
        now=NOW,
        random_bytes=CountingRandom(),
    )
    assert msg.envelope_sender == "secretary@example.com"
    assert b"Sender: secretary@example.com\r\n" in msg.to_bytes()


def test_several_from_addresses_need_a_sender() -> None:
    with pytest.raises(LocalProtocolError):
        compose(from_=["a@example.com", "b@example.com"], now=NOW)
    with pytest.raises(LocalProtocolError):
        compose(to="a@example.com", now=NOW)


def test_references_keywords_and_extra_headers() -> None:
    msg = compose(
        from_="ann@example.com",
        to="bob@example.org",
        subject="x",
        in_reply_to=["<a@example.com>"],
        references=["root@example.com", "<a@example.com>"],
        keywords=["project", "Größe", "a, b"],
        headers=[("X-Mailer", "mailproto"), ("List-Id", "Ünicode list <list.example.com>")],
        message_id="fixed@example.com",
        date=datetime(2000, 1, 1, tzinfo=UTC),
        now=NOW,
        random_bytes=CountingRandom(),
    )
    data = msg.to_bytes()
    assert b"Date: Sat, 01 Jan 2000 00:00:00 +0000\r\n" in data
    assert b"Message-ID: <fixed@example.com>\r\n" in data
    assert b"In-Reply-To: <a@example.com>\r\n" in data
    assert b"References: <root@example.com> <a@example.com>\r\n" in data
    assert b'Keywords: project, =?utf-8?b?R3LDtsOfZQ==?= , "a, b"\r\n' in data
    assert b"X-Mailer: mailproto\r\n" in data
    parsed = stdlib_parse(data)
    assert parsed["List-Id"] == "Ünicode list <list.example.com>"
    ours = Message.parse(data)
    assert ours.keywords == ["project", "Größe", "a, b"]
    # The stdlib reads Keywords as unstructured text, so it shows the space we put after the
    # encoded word (RFC 2047 wants white space there in text).
    assert parsed["Keywords"] == 'project, Größe , "a, b"'
    assert ours.references == ["root@example.com", "a@example.com"]
    assert ours.in_reply_to == ["a@example.com"]


def test_managed_headers_cannot_be_added_as_extras() -> None:
    builder = MessageBuilder(from_="a@example.com")
    for name in ("Subject", "bcc", "Content-Type", "MIME-Version"):
        with pytest.raises(LocalProtocolError):
            builder.add_header(name, "x")
    with pytest.raises(LocalProtocolError):
        builder.add_header("X-Evil", "a\r\nBcc: b@example.com")


def test_utf8_headers_only_when_allowed() -> None:
    fields = {
        "from_": Address("Jöhn", "jöhn", "bücher.example"),
        "to": "bob@example.org",
        "subject": "Grüße",
        "text": "Grüße\n",
    }
    with pytest.raises(LocalProtocolError):
        compose(**fields, now=NOW, random_bytes=CountingRandom())
    msg = compose(**fields, now=NOW, random_bytes=CountingRandom(), allow_utf8=True)
    data = msg.to_bytes()
    assert "From: Jöhn <jöhn@bücher.example>\r\n".encode() in data
    assert "Subject: Grüße\r\n".encode() in data
    assert "@bücher.example>\r\n".encode() in data  # the Message-ID domain
    assert msg.needs_smtputf8
    assert msg.envelope_sender == "jöhn@bücher.example"


def test_idn_domains_become_a_labels() -> None:
    msg = compose(
        from_=Address("", "ann", "bücher.example"),
        to="bob@bücher.example",
        now=NOW,
        random_bytes=CountingRandom(),
    )
    assert b"From: ann@xn--bcher-kva.example\r\n" in msg.to_bytes()
    assert msg.envelope_recipients == ("bob@xn--bcher-kva.example",)
    assert not msg.needs_smtputf8


def test_8bit_only_when_allowed() -> None:
    fields = {"from_": "a@example.com", "to": "b@example.com", "text": "déjà vu, encore\n"}
    plain = compose(**fields, now=NOW, random_bytes=CountingRandom())
    assert b"Content-Transfer-Encoding: quoted-printable\r\n" in plain.to_bytes()
    assert b"d=C3=A9j=C3=A0 vu, encore\r\n" in plain.to_bytes()
    assert not plain.needs_8bitmime
    eight = compose(**fields, now=NOW, random_bytes=CountingRandom(), allow_8bit=True)
    assert b"Content-Transfer-Encoding: 8bit\r\n" in eight.to_bytes()
    assert "déjà vu".encode() in eight.to_bytes()
    assert eight.needs_8bitmime


def test_inline_images_go_into_multipart_related() -> None:
    builder = MessageBuilder(
        from_="a@example.com", to="b@example.com", html='<img src="cid:logo@example.com">'
    )
    builder.text = "see the logo"
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    builder.add_inline_image(png, content_type="image/png", content_id="logo@example.com")
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    parsed = stdlib_parse(data)
    types = [p.get_content_type() for p in parsed.walk()]
    assert types == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    image = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<logo@example.com>"
    assert image.get_content() == png
    related = next(p for p in parsed.walk() if p.get_content_type() == "multipart/related")
    assert related.get_param("type") == "text/html"


def test_message_attachment_stays_7bit() -> None:
    inner = compose(from_="a@example.com", to="b@example.com", text="inner", now=NOW)
    builder = MessageBuilder(from_="a@example.com", to="b@example.com", text="see attached")
    builder.attach(inner.to_bytes(), content_type="message/rfc822", filename="fwd.eml")
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    assert inner.to_bytes() in data
    parsed = stdlib_parse(data)
    att = next(parsed.iter_attachments())
    assert att.get_content_type() == "message/rfc822"
    assert att.get_content()["From"] == "a@example.com"


def test_boundary_is_never_in_the_content() -> None:
    # A random source that first returns the bytes whose boundary the content already holds.
    first = CountingRandom()
    first(15)  # the Message-ID
    clash = "--=_" + first(12).hex()
    builder = MessageBuilder(from_="a@example.com", to="b@example.com", text=clash)
    builder.attach(b"x", filename="x.bin")
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    boundary = stdlib_parse(data).get_boundary()
    assert boundary is not None and boundary != clash[2:]
    body = stdlib_parse(data).get_body(("plain",))
    assert body is not None
    assert body.get_content() == clash + "\r\n"


def test_format_date_and_msgid() -> None:
    assert format_date(NOW) == "Sun, 22 Nov 2026 03:00:00 -0500"
    with pytest.raises(LocalProtocolError):
        format_date(datetime(2026, 1, 1))
    assert make_msgid(lambda n: b"\xff" * n, "example.com") == (
        "<777777777777777777777777@example.com>"
    )


def test_format_address_forms() -> None:
    assert format_address(Address("", "john doe", "example.com")) == '"john doe"@example.com'
    assert format_address(Address("Doe, John", "john", "example.com")) == (
        '"Doe, John" <john@example.com>'
    )
    assert format_address_list([Group("Undisclosed recipients", ())]) == (
        "Undisclosed recipients:;"
    )


# ---------------------------------------------------------------------------------------------
# Changing fields of an existing message

ORIGINAL = (
    b"From: a@example.com\r\n"
    b"Subject: old\r\n"
    b"  and folded\r\n"
    b"X-Tag: 1\r\n"
    b"subject: duplicate\r\n"
    b"\r\n"
    b"Subject: not a header, the body\r\n"
)


def test_prepend_a_received_field_adds_only_its_bytes() -> None:
    value = "from mx.example.org by mx.example.com; Sun, 22 Nov 2026 03:00:00 +0000"
    out = prepend_header(ORIGINAL, "Received", value, encode=False)
    assert out == (
        b"Received: from mx.example.org by mx.example.com;\r\n"
        b" Sun, 22 Nov 2026 03:00:00 +0000\r\n" + ORIGINAL
    )
    assert Message.parse(out).received[0] is not None


def test_set_header_replaces_in_place_and_drops_duplicates() -> None:
    assert set_header(ORIGINAL, "Subject", "new") == (
        b"From: a@example.com\r\nSubject: new\r\nX-Tag: 1\r\n"
        b"\r\nSubject: not a header, the body\r\n"
    )


def test_set_header_adds_at_the_end_of_the_header_block() -> None:
    assert set_header(ORIGINAL, "X-New", "Grüße") == ORIGINAL.replace(
        b"\r\n\r\n", b"\r\nX-New: =?utf-8?b?R3LDvMOfZQ==?=\r\n\r\n", 1
    )


def test_remove_header_and_lf_messages() -> None:
    lf = ORIGINAL.replace(b"\r\n", b"\n")
    assert (
        remove_header(lf, "subject")
        == b"From: a@example.com\nX-Tag: 1\n\nSubject: not a header, the body\n"
    )
    assert prepend_header(lf, "X-A", "b") == b"X-A: b\n" + lf


# ---------------------------------------------------------------------------------------------
# Build, then parse: what was built comes back

# Runs of white space (any Unicode white space) become one space, as the writer collapses them in
# a phrase; characters whose UTF-8 bytes hold 0x85 or 0xA0 are made likely.
names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from(" \xa0àÅą…"),
    max_size=40,
).map(lambda t: " ".join(t.split()))
local_parts = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True).filter(
    lambda s: ".." not in s and not s.endswith(".")
)
domains = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|example)", fullmatch=True)
addresses = st.builds(Address, names, local_parts, domains)
bodies = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
    | st.sampled_from("\t\n"),
    max_size=300,
)
files = st.tuples(names.filter(bool), st.binary(max_size=300))


def expected_text(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


@given(
    from_=addresses,
    to=st.lists(addresses, min_size=1, max_size=4),
    subject=names,
    text=bodies,
    html=st.none() | bodies,
    attachments=st.lists(files, max_size=3),
    allow_utf8=st.booleans(),
    allow_8bit=st.booleans(),
)
def test_build_then_parse_gives_back_what_was_built(
    from_: Address,
    to: list[Address],
    subject: str,
    text: str,
    html: str | None,
    attachments: list[tuple[str, bytes]],
    allow_utf8: bool,
    allow_8bit: bool,
) -> None:
    builder = MessageBuilder(from_=from_, to=to, subject=subject, text=text, html=html)
    for filename, data in attachments:
        builder.attach(data, filename=filename)
    composed = builder.build(
        now=NOW, random_bytes=CountingRandom(), allow_utf8=allow_utf8, allow_8bit=allow_8bit
    )
    data = composed.to_bytes()
    check_lines(data)
    if not allow_utf8:
        assert data.split(b"\r\n\r\n", 1)[0].isascii()
    if not allow_8bit:
        assert data.isascii() or allow_utf8

    # The stdlib reads it without defects.
    std = stdlib_parse(data, utf8=allow_utf8)
    assert std["subject"] == subject
    # The stdlib keeps the white space between adjacent encoded words in a phrase, against
    # RFC 2047 6.2 ("=?utf-8?q?a?= =?utf-8?q?b?= <x@y>" gives "a b"), so spaces are not compared.
    assert [
        (a.display_name.replace(" ", ""), a.username, a.domain) for a in std["to"].addresses
    ] == [(a.display_name.replace(" ", ""), a.local_part, a.domain) for a in to]
    std_text = std.get_body(("plain",))
    assert std_text is not None
    assert std_text.get_content().replace("\r\n", "\n") == expected_text(text)
    std_files = [(p.get_filename(), p.get_content()) for p in std.iter_attachments()]
    # The stdlib passes a file name through email.utils.unquote, which strips <...> and "..."
    # as if they were quotes: filename="<x>" and filename="\"x\"" both read as "x".
    assert [(n, d) for n, d in std_files if n] == [
        (email.utils.unquote(n), d) for n, d in attachments if email.utils.unquote(n)
    ]

    # And so do we.
    msg = Message.parse(data)
    assert msg.to_bytes() == data
    assert msg.subject == subject
    assert msg.message_id == composed.message_id[1:-1]
    assert msg.date == NOW
    assert msg.addresses("from") == [from_]
    assert msg.addresses("to") == to
    assert msg.text_body is not None
    assert msg.text_body.text() == expected_text(text)
    if html is not None:
        assert msg.html_body is not None
        assert msg.html_body.text() == expected_text(html)
    assert [(p.filename, p.decoded()) for p in msg.attachments] == attachments
    assert msg.defects == []


def test_utf8_file_name_needs_smtputf8() -> None:
    builder = MessageBuilder(from_="a@example.com", to="b@example.com", text="x")
    builder.attach(b"data", filename="Grüße.txt")
    assert not builder.build(now=NOW).needs_smtputf8
    utf8 = builder.build(now=NOW, allow_utf8=True)
    assert 'filename="Grüße.txt"'.encode() in utf8.to_bytes()
    assert utf8.needs_smtputf8


@pytest.mark.parametrize(
    "address",
    [
        Address("", "a", ""),
        Address("", "a", "x> , evil@example.com"),
        Address("", "a", "a..b"),
        Address("", "a", "[bad[literal]"),
        Address("Bad\nName", "a", "example.com"),
        Address("", "a\r\n", "example.com"),
        Address("\ud800", "a", "example.com"),
    ],
)
def test_addresses_that_cannot_be_written_are_refused(address: Address) -> None:
    with pytest.raises(LocalProtocolError):
        compose(from_="a@example.com", to=address, now=NOW)


def test_groups_are_not_allowed_in_from() -> None:
    with pytest.raises(LocalProtocolError):
        compose(from_=Group("g", (Address("", "a", "example.com"),)), now=NOW)


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(LocalProtocolError):
        compose(from_="a@example.com", subject="\udc80", now=NOW)
    with pytest.raises(LocalProtocolError):
        compose(from_="a@example.com", text="\udc80", now=NOW)


def test_attachment_type_with_parameters() -> None:
    builder = MessageBuilder(from_="a@example.com", to="b@example.com", text="x")
    builder.attach(b"a,b\r\n", filename="x.csv", content_type="Text/CSV; header=present")
    data = builder.build(now=NOW, random_bytes=CountingRandom()).to_bytes()
    assert b"Content-Type: text/csv; name=x.csv; header=present\r\n" in data
    with pytest.raises(LocalProtocolError):
        builder.attach(b"", content_type="text")
        builder.build(now=NOW)


def test_no_sender_when_it_repeats_from() -> None:
    msg = compose(from_="a@example.com", sender="a@example.com", to="b@example.com", now=NOW)
    assert b"Sender:" not in msg.to_bytes()


def test_non_ascii_ids_need_smtputf8() -> None:
    fields = {"from_": "a@example.com", "references": ["ü@example.com"]}
    with pytest.raises(LocalProtocolError):
        compose(**fields, now=NOW)
    data = compose(**fields, now=NOW, allow_utf8=True).to_bytes()
    assert "References: <ü@example.com>\r\n".encode() in data


field_names = st.sampled_from(["Subject", "subject", "X-Tag", "Received", "To", "Comments"])
field_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@given(
    st.lists(st.tuples(field_names, field_values, st.booleans()), max_size=8),
    st.sampled_from([b"\r\n", b"\n"]),
    st.binary(max_size=40),
    field_names,
    names,
)
def test_changing_fields_touches_only_their_bytes(
    fields: list[tuple[str, str, bool]], newline: bytes, body: bytes, name: str, value: str
) -> None:
    lines = []
    for n, v, folded in fields:
        field = f"{n}: {v}".encode() + newline
        if folded:
            field += b"  continued" + newline
        lines.append(field)
    raw = b"".join(lines) + newline + body
    original = Message.parse(raw)
    others = [h.raw for h in original.headers if h.name.lower() != name.lower()]

    removed = remove_header(raw, name)
    assert (
        removed
        == b"".join(x for x in lines if not x.lower().startswith(name.lower().encode() + b":"))
        + newline
        + body
    )
    after = Message.parse(removed)
    assert [h.raw for h in after.headers] == others

    changed = Message.parse(set_header(raw, name, value))
    assert changed.header(name) == value
    assert [h.raw for h in changed.headers if h.name.lower() != name.lower()] == others
    assert changed.to_bytes().endswith(newline + body)

    top = prepend_header(raw, name, value)
    assert top.endswith(raw)
    assert Message.parse(top).headers[0].value == value


attachment_specs = st.one_of(
    st.tuples(st.just("application/octet-stream"), st.binary(max_size=200)),
    st.tuples(st.just("text/plain"), st.binary(max_size=200)),
    st.tuples(st.just("text/csv"), bodies),
    st.tuples(st.just("image/png"), st.binary(max_size=100)),
    st.tuples(st.just("message/rfc822"), st.just(b"")),
)


@given(
    from_=addresses,
    reply_to=st.lists(addresses, max_size=2),
    cc=st.lists(st.builds(Group, names, st.lists(addresses, max_size=2).map(tuple)), max_size=2),
    keywords=st.lists(names.filter(bool), max_size=3),
    extra=st.lists(st.tuples(st.sampled_from(["X-A", "X-Mailer", "List-Id"]), names), max_size=3),
    html=st.none() | bodies,
    specs=st.lists(st.tuples(attachment_specs, st.none() | names.filter(bool), st.booleans())),
    allow_utf8=st.booleans(),
    allow_8bit=st.booleans(),
)
def test_whatever_is_built_parses_cleanly(
    from_: Address,
    reply_to: list[Address],
    cc: list[Group],
    keywords: list[str],
    extra: list[tuple[str, str]],
    html: str | None,
    specs: list[tuple[tuple[str, bytes | str], str | None, bool]],
    allow_utf8: bool,
    allow_8bit: bool,
) -> None:
    builder = MessageBuilder(
        from_=from_,
        to="to@example.com",
        reply_to=reply_to,
        cc=cc,
        keywords=keywords,
        headers=extra,
        html=html,
        subject="s",
    )
    inner = compose(from_="a@example.com", text="inner\n", now=NOW, random_bytes=CountingRandom())
    for index, ((ctype, data), filename, inline) in enumerate(specs):
        if ctype == "message/rfc822":
            data = inner.to_bytes()
        cid = f"part{index}@example.com" if inline else None
        builder.attach(data, content_type=ctype, filename=filename, inline=inline, content_id=cid)
    data = builder.build(
        now=NOW, random_bytes=CountingRandom(), allow_utf8=allow_utf8, allow_8bit=allow_8bit
    ).to_bytes()
    check_lines(data)
    std = stdlib_parse(data, utf8=allow_utf8)
    assert len(list(std.walk())) >= 1 + len(specs)
    msg = Message.parse(data)
    assert msg.to_bytes() == data
    assert msg.addresses("from") == [from_]
    assert msg.addresses("reply-to") == reply_to
    assert msg.address_list("cc") == cc
    assert msg.keywords == keywords
    assert msg.defects == []
    found = {p.content_id: p.decoded() for p in msg.walk() if p.content_id}
    for index, ((ctype, payload), _, inline) in enumerate(specs):
        if inline and isinstance(payload, bytes) and ctype != "message/rfc822":
            assert found[f"part{index}@example.com"] == payload
