"""Regression tests for reader bugs found by writing messages and reading them back: UTF-8
bytes read as white space, false address defects, Keywords split inside quotes, encoded words
before a special in structured fields, and line breaks in decoded values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.errors import LocalProtocolError
from mailproto.message import (
    Address,
    DefectKind,
    Group,
    Message,
    decode_encoded_words,
    parse_address_list,
)
from mailproto.message._address_format import format_address
from mailproto.message._address_parse import parse_address_list_ex, parse_phrase_list


def parse_headers(*lines: bytes) -> Message:
    return Message.parse(b"\r\n".join(lines) + b"\r\n\r\nbody\r\n")


# ---------------------------------------------------------------------------------------------
# 1. UTF-8 display names whose bytes include 0x85 or 0xA0 ("à" is C3 A0, "Å" C3 85, "ą" C4 85)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Voilà Bob <b@a.com>", [Address("Voilà Bob", "b", "a.com")]),
        ("Åsa ą <c@a.com>", [Address("Åsa ą", "c", "a.com")]),
        ("à<b@a.com>", [Address("à", "b", "a.com")]),
        (
            '"Voilà, Åsa" <b@a.com>, Voilà Bob <c@a.com>',
            [Address("Voilà, Åsa", "b", "a.com"), Address("Voilà Bob", "c", "a.com")],
        ),
        ("Voilà (Åsa) <b@a.com>", [Address("Voilà", "b", "a.com")]),
        ("b@à.com", [Address("", "b", "à.com")]),
        ("à@a.com, Å@a.com", [Address("", "à", "a.com"), Address("", "Å", "a.com")]),
    ],
)
def test_utf8_bytes_85_and_a0_are_not_white_space(field: str, expected: list[Address]) -> None:
    msg = parse_headers(b"To: " + field.encode())
    assert msg.addresses("to") == expected
    assert msg.defects == []
    # The same text through the str API agrees.
    assert parse_address_list(field) == expected


def test_nbsp_in_a_display_name_is_kept() -> None:
    # U+00A0 is not white space to RFC 5322, so it stays inside the word.
    msg = parse_headers("To: a\u00a0b <b@a.com>".encode())
    assert msg.addresses("to") == [Address("a\u00a0b", "b", "a.com")]


def test_utf8_subject_with_a0_byte_next_to_an_encoded_word() -> None:
    msg = parse_headers("Subject: Voilà =?utf-8?q?Bob?= à".encode())
    assert msg.subject == "Voilà Bob à"
    assert msg.defects == []


# ---------------------------------------------------------------------------------------------
# 2. No false "display name without angle brackets" after a quoted or encoded display name


@pytest.mark.parametrize("name", ['"["', '":"', '"x"', "=?utf-8?q?x?="])
def test_bare_address_after_a_named_one_is_not_a_display_name(name: str) -> None:
    text = f"{name} <0@a.com>, 0@a.com"
    display = name.strip('"') if name.startswith('"') else "x"
    expected = [Address(display, "0", "a.com"), Address("", "0", "a.com")]
    assert parse_address_list_ex(text) == (expected, [])
    msg = parse_headers(b"To: " + text.encode())
    assert msg.addresses("to") == expected
    assert msg.defects == []


def test_display_name_without_angle_brackets_is_still_reported() -> None:
    assert parse_address_list_ex('"x" <a@b.com>, Big Bug bb@bug.com') == (
        [Address("x", "a", "b.com"), Address("Big Bug", "bb", "bug.com")],
        ["display name without angle brackets"],
    )


# ---------------------------------------------------------------------------------------------
# 3. Keywords: commas inside quoted strings and comments do not separate


def test_keywords_keep_commas_inside_quoted_phrases() -> None:
    msg = parse_headers(b'Keywords: "a, b", c')
    assert msg.keywords == ["a, b", "c"]
    assert msg.defects == []


def test_keywords_from_every_field_decoded() -> None:
    msg = parse_headers(
        b'Keywords: project, =?utf-8?b?R3LDtsOfZQ==?= , "a, b"',
        b"Keywords: x (a comment, with a comma), ,  y  z ,",
        'Keywords: Voilà, "quoted \\" pair"'.encode(),
    )
    assert msg.keywords == ["project", "Größe", "a, b", "x", "y z", "Voilà", 'quoted " pair']
    assert msg.defects == []


def test_parse_phrase_list() -> None:
    assert parse_phrase_list("") == []
    assert parse_phrase_list('"a, b",c') == ["a, b", "c"]
    assert parse_phrase_list("a\r\n b, c") == ["a b", "c"]


# ---------------------------------------------------------------------------------------------
# 4. An encoded word right before a special in a structured field is no defect


def test_encoded_word_before_a_comma_in_keywords() -> None:
    msg = parse_headers(b"Keywords: =?utf-8?q?Gr=C3=B6=C3=9Fe?=, c,=?utf-8?q?d?=;x")
    assert msg.keywords == ["Größe", "c", "d;x"]
    assert msg.defects == []


def test_encoded_word_before_specials_in_address_lists() -> None:
    msg = parse_headers(
        b"To: =?utf-8?q?Bob?=<b@a.com>, =?utf-8?q?Team?=: c@a.com;",
        b"Cc: =?utf-8?q?Al?=(comment) <d@a.com>",
    )
    assert msg.address_list("to") == [
        Address("Bob", "b", "a.com"),
        Group("Team", (Address("", "c", "a.com"),)),
    ]
    assert msg.addresses("cc") == [Address("Al", "d", "a.com")]
    assert msg.header("to") == "Bob<b@a.com>, Team: c@a.com;"
    assert msg.defects == []


def test_encoded_word_before_a_comma_in_an_address_list() -> None:
    # The member is a phrase without an address (that is reported), but the encoded word is fine.
    msg = parse_headers(b"To: =?utf-8?q?x?=, b@a.com")
    assert msg.header("to") == "x, b@a.com"
    assert msg.defects == []
    assert msg.addresses("to") == [Address("", "=?utf-8?q?x?=", ""), Address("", "b", "a.com")]
    assert [(d.kind, d.detail) for d in msg.defects] == [
        (DefectKind.INVALID_ADDRESS, "To: address without a domain: '=?utf-8?q?x?='")
    ]


def test_encoded_word_before_a_comma_in_unstructured_text_is_still_reported() -> None:
    msg = parse_headers(b"Subject: =?utf-8?q?x?=, y")
    assert msg.subject == "x, y"
    assert [(d.kind, d.detail) for d in msg.defects] == [
        (DefectKind.INVALID_ENCODED_WORD, "Subject: encoded word not followed by white space")
    ]


# ---------------------------------------------------------------------------------------------
# 5. No CR or LF in display names and decoded header values


def test_line_breaks_decoded_from_encoded_words_become_spaces() -> None:
    msg = parse_headers(
        b"Subject: =?utf-8?q?a=0D=0Ab?= =?utf-8?b?Yw1kCmU=?=",
        b"To: =?utf-8?q?A=0D=0AB?= <c@d.com>",
        b'Cc: "=?utf-8?q?C=0AD?=" <e@d.com>',
        b"Keywords: =?utf-8?q?k=0D=0Al?=",
    )
    assert msg.subject == "a bc d e"
    assert msg.addresses("to") == [Address("A B", "c", "d.com")]
    assert msg.addresses("cc") == [Address("C D", "e", "d.com")]
    assert msg.keywords == ["k l"]
    assert msg.header("to") == "A B <c@d.com>"


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_folded_display_names_come_back_unfolded(eol: bytes) -> None:
    raw = eol.join(
        [
            b'To: "Bob' + eol + b' Smith" <a@b.com>,',
            b"\tCarol" + eol + b"  Jones <c@b.com>",
            b"Subject: =?utf-8?q?x?=" + eol + b" y",
            b"",
            b"",
        ]
    )
    msg = Message.parse(raw)
    assert msg.addresses("to") == [
        Address("Bob Smith", "a", "b.com"),
        Address("Carol Jones", "c", "b.com"),
    ]
    assert msg.subject == "x y"
    assert msg.to_bytes() == raw


def test_str_api_unfolds_too() -> None:
    assert parse_address_list('"Bob\r\n Smith" <a@b.com>, Al\n\tJo <c@b.com>') == [
        Address("Bob Smith", "a", "b.com"),
        Address("Al Jo", "c", "b.com"),
    ]
    assert parse_address_list('"Bob\rSmith" <a@b.com>') == [Address("Bob Smith", "a", "b.com")]


# ---------------------------------------------------------------------------------------------
# IDN domains are kept as written, without defects


@pytest.mark.parametrize(
    "domain", ["xn--bcher-kva.example", "bücher.example", "пример.рф", "xn--e1afmkfd.xn--p1ai"]
)
def test_idn_domains_without_defects(domain: str) -> None:
    text = f"Bücher <info@{domain}>, info@{domain}"
    expected = [Address("Bücher", "info", domain), Address("", "info", domain)]
    assert parse_address_list_ex(text) == (expected, [])
    msg = parse_headers(b"To: " + text.encode())
    assert msg.addresses("to") == expected
    assert msg.defects == []


# ---------------------------------------------------------------------------------------------
# The writer's format_address read back by the reader gives the same Address

# Any text but surrogates and line breaks, with the characters above made likely; runs of white
# space are one space, as the writer collapses them where it encodes a phrase.
_chars = st.characters(codec="utf-8", exclude_characters="\r\n") | st.sampled_from(
    'àÅą…\xa0\x85 "\\,()<>@:;=?.'
)
_names = st.text(_chars, max_size=30).map(lambda t: " ".join(t.split()))
_local_parts = st.text(_chars, min_size=1, max_size=20)
_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True) | st.sampled_from(
    ["bücher", "xn--bcher-kva", "пример", "xn--e1afmkfd", "例え"]
)
_domains = st.lists(_labels, min_size=1, max_size=3).map(".".join) | st.sampled_from(
    ["[127.0.0.1]", "[IPv6:::1]"]
)


@given(name=_names, local=_local_parts, domain=_domains, allow_utf8=st.booleans())
def test_format_address_then_parse_gives_the_same_address(
    name: str, local: str, domain: str, allow_utf8: bool
) -> None:
    address = Address(name, local, domain)
    if not allow_utf8 and not local.isascii():
        # A UTF-8 local part has no form without SMTPUTF8.
        with pytest.raises(LocalProtocolError):
            format_address(address, allow_utf8=allow_utf8)
        return
    written = format_address(address, allow_utf8=allow_utf8)
    assert "\r" not in written and "\n" not in written
    if not allow_utf8:
        # Without SMTPUTF8 a UTF-8 domain is written as its A-labels.
        assert written.isascii()
        address = Address(name, local, domain.encode("idna").decode("ascii"))
    msg = Message.parse(b"To: " + written.encode() + b"\r\n\r\n")
    assert msg.addresses("to") == [address]
    assert msg.defects == []
    assert parse_address_list(written) == [address]


def test_rfc2231_parameters_decoded_without_line_breaks() -> None:
    msg = parse_headers(
        b"Content-Type: text/plain; name*=utf-8''a%0D%0Ab",
        b"Content-Disposition: attachment; filename*0*=utf-8''x%0A; filename*1=\"y\"",
    )
    assert msg.params == {"name": "a b"}
    assert msg.filename == "x y"


def test_decode_encoded_words_unfolds() -> None:
    assert decode_encoded_words("a\r\n =?utf-8?q?b=0A?=\n\tc") == "a b \tc"
    assert decode_encoded_words("a\rb") == "a b"


_field_names = st.sampled_from(
    [b"To: ", b"Cc: ", b"Subject: ", b"Keywords: ", b"Content-Type: text/plain; name*=utf-8''"]
)
_pieces = st.sampled_from(
    [
        b" ",
        b"\t",
        b"\r\n",
        b"\n",
        b"\r",
        b"\r\n ",
        b"=?utf-8?q?a=0D=0Ab?=",
        b"=?utf-8?b?DQo=?=",
        b"%0D%0A",
        b'"',
        b"\\",
        b",",
        b":",
        b";",
        b"(",
        b")",
        b"<a@b.com>",
        b"@",
        b"\xc3\xa0",
        b"\xc3\x85",
        b"x",
    ]
)
_fields = st.tuples(_field_names, st.lists(_pieces, max_size=12)).map(
    lambda f: f[0] + b"".join(f[1]) + b"\r\n"
)


@given(st.lists(_fields, max_size=5))
def test_decoded_values_never_hold_line_breaks(fields: list[bytes]) -> None:
    msg = Message.parse(b"".join(fields))
    values: list[str] = [h.value for h in msg.headers]
    for name in ("to", "cc"):
        for a in msg.addresses(name):
            values += [a.display_name, a.local_part, a.domain]
    values += msg.keywords
    values += msg.params.values()
    for value in values:
        assert "\r" not in value and "\n" not in value, value
