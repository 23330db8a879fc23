"""Encoders for writing messages: RFC 2047 words, RFC 2231 parameters, transfer encodings."""

from __future__ import annotations

import base64
import binascii
import email
import email.header
import email.policy
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.errors import LocalProtocolError
from mailproto.message._encode import (
    choose_transfer_encoding,
    encode_base64,
    encode_param,
    encode_phrase,
    encode_quoted_printable,
    encode_transfer,
    encode_unstructured,
    encode_words,
)
from mailproto.message._fold import fold_header

# Text a header can hold: no control characters or surrogates, no line or paragraph separators;
# characters whose UTF-8 bytes hold 0x85 or 0xA0 (which a reader must not take for white space)
# made likely.
header_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")) | st.sampled_from(" \xa0àÅą…ठ"),
    max_size=120,
)


def test_the_first_encoded_word_fits_the_first_line() -> None:
    written = encode_unstructured("€" * 30, offset=len("Subject: "))
    lines = fold_header("Subject", written).split(b"\r\n")
    assert lines[0].startswith(b"Subject: =?utf-8?b?")
    assert all(len(line) <= 78 for line in lines)


def decode_with_stdlib(name: str, written: str) -> str:
    raw = fold_header(name, written) + b"\r\n"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.defects == []
    header = msg[name]
    assert header.defects == ()
    return str(header)


# ---------------------------------------------------------------------------------------------
# RFC 2047 encoded words


def test_encode_words_picks_q_for_mostly_ascii() -> None:
    # The name of RFC 2047 section 8's example, in UTF-8.
    assert encode_words("Keld Jørn Simonsen", phrase=True) == [
        "=?utf-8?q?Keld_J=C3=B8rn_Simonsen?="
    ]


def test_encode_words_picks_b_for_mostly_non_ascii() -> None:
    assert encode_words("Привет") == ["=?utf-8?b?0J/RgNC40LLQtdGC?="]


def test_encode_words_splits_at_75_without_splitting_characters() -> None:
    text = "€" * 40
    words = encode_words(text)
    assert len(words) > 1
    assert all(len(w) <= 75 for w in words)
    decoded = [email.header.decode_header(w)[0] for w in words]
    # Every word decodes on its own: no character is split between two words.
    assert "".join(bytes(d).decode("utf-8") for d, _ in decoded) == text


def test_q_words_in_a_phrase_use_only_the_phrase_characters() -> None:
    (word,) = encode_words("Professor Jérôme Smith, Junior", phrase=True)
    assert word == "=?utf-8?q?Professor_J=C3=A9r=C3=B4me_Smith=2C_Junior?="
    (word,) = encode_words("Professor Jérôme Smith, Junior")
    assert word == "=?utf-8?q?Professor_J=C3=A9r=C3=B4me_Smith,_Junior?="


def test_ascii_subject_is_left_alone() -> None:
    assert encode_unstructured("Re: [list] a (plain) subject; ok?") == (
        "Re: [list] a (plain) subject; ok?"
    )


def test_only_the_non_ascii_words_are_encoded() -> None:
    assert encode_unstructured("Hello Jürgen, how are you?") == (
        "Hello =?utf-8?q?J=C3=BCrgen,?= how are you?"
    )


def test_adjacent_non_ascii_words_share_one_encoded_run() -> None:
    # The space between the two words is inside the encoded text, since a reader drops white
    # space between adjacent encoded words (RFC 2047 6.2).
    assert encode_unstructured("café crème au lait") == "=?utf-8?b?Y2Fmw6kgY3LDqG1l?= au lait"


def test_text_that_looks_like_an_encoded_word_is_encoded() -> None:
    written = encode_unstructured("literally =?utf-8?q?x?= here")
    assert written == "literally =?utf-8?b?PT91dGYtOD9xP3g/PQ==?= here"
    assert decode_with_stdlib("Subject", written) == "literally =?utf-8?q?x?= here"


def test_utf8_headers_when_allowed() -> None:
    assert encode_unstructured("Grüße aus Köln", allow_utf8=True) == "Grüße aus Köln"


def test_line_breaks_are_refused() -> None:
    with pytest.raises(LocalProtocolError):
        encode_unstructured("evil\r\nBcc: victim@example.com")
    with pytest.raises(LocalProtocolError):
        encode_phrase("a\nb")


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("John Doe", "John Doe"),
        ("Doe, John", '"Doe, John"'),
        ('Say "hi"', '"Say \\"hi\\""'),
        ("", '""'),
        ("André Pirard", "=?utf-8?b?QW5kcsOp?= Pirard"),
        ("André Pirard-Lefèbvre", "=?utf-8?q?Andr=C3=A9_Pirard-Lef=C3=A8bvre?="),
        ("Pirard, André", "=?utf-8?q?Pirard=2C_Andr=C3=A9?="),
    ],
)
def test_encode_phrase(name: str, written: str) -> None:
    assert encode_phrase(name) == written


def test_encode_phrase_with_utf8() -> None:
    assert encode_phrase("André Pirard", allow_utf8=True) == "André Pirard"
    assert encode_phrase("Pirard, André", allow_utf8=True) == '"Pirard, André"'


@given(header_text.map(lambda t: " ".join(t.split())))
def test_unstructured_round_trips_through_the_stdlib(text: str) -> None:
    written = encode_unstructured(text)
    assert written.isascii()
    assert decode_with_stdlib("Subject", written) == text


@given(header_text)
def test_encoded_words_decode_back(text: str) -> None:
    words = encode_words(text)
    assert all(len(w) <= 75 for w in words)
    decoded = email.header.decode_header(" ".join(words)) if words else []
    assert b"".join(bytes(d) for d, _ in decoded).decode("utf-8") == text


# ---------------------------------------------------------------------------------------------
# RFC 2231 parameters


def test_ascii_parameters_are_tokens_or_quoted_strings() -> None:
    assert encode_param("filename", "report.pdf") == ["filename=report.pdf"]
    assert encode_param("filename", "my report.pdf") == ['filename="my report.pdf"']
    assert encode_param("title", 'a "b" \\c') == ['title="a \\"b\\" \\\\c"']


def test_rfc2231_extended_value() -> None:
    # RFC 2231 section 4's example, with a non-ASCII letter so that it needs the extended form.
    assert encode_param("title", "This is ***fün***") == [
        "title*=utf-8''This%20is%20%2A%2A%2Af%C3%BCn%2A%2A%2A"
    ]


def test_rfc2231_continuations_for_a_long_ascii_value() -> None:
    url = "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"
    assert encode_param("URL", url, width=40) == [
        'URL*0="ftp://cs.utk.edu/pub/moore/bul"',
        'URL*1="k-mailer/bulk-mailer.tar"',
    ]


def test_rfc2231_continuations_never_split_a_character() -> None:
    pieces = encode_param("filename", "ü" * 40 + ".txt")
    assert pieces[0].startswith("filename*0*=utf-8''%C3%BC")
    assert all(re.fullmatch(r"filename\*\d+\*=(utf-8'')?(%C3%BC)*[.a-z]*", p) for p in pieces)
    assert all(len(p) <= 76 for p in pieces)


def test_utf8_parameter_when_allowed() -> None:
    assert encode_param("filename", "Grüße.txt", allow_utf8=True) == ['filename="Grüße.txt"']


@given(header_text.filter(lambda t: t.strip() == t), st.booleans())
def test_parameters_round_trip_through_the_stdlib(name: str, long_prefix: bool) -> None:
    if long_prefix:
        name = "x" * 70 + name
    pieces = encode_param("filename", name)
    value = "attachment" + "".join("; " + p for p in pieces)
    raw = fold_header("Content-Disposition", value, structured=True) + b"\r\nbody\r\n"
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if name.startswith("<") and name.endswith(">"):
        # email.utils.unquote strips <...> as if it were quotes: filename="<x>" reads as "x".
        assert msg.get_filename() == name[1:-1]
    else:
        assert msg.get_filename() == name


# ---------------------------------------------------------------------------------------------
# Transfer encodings


def test_quoted_printable_exact() -> None:
    data = "Grüße = \r\ntab\t\r\n".encode()
    assert encode_quoted_printable(data) == b"Gr=C3=BC=C3=9Fe =3D=20\r\ntab=09\r\n"


def test_quoted_printable_soft_breaks_keep_escapes_whole() -> None:
    data = b"a" * 74 + "é".encode() + b"b" * 10 + b"\r\n"
    assert encode_quoted_printable(data) == (b"a" * 74 + b"=\r\n=C3=A9" + b"b" * 10 + b"\r\n")


def test_quoted_printable_without_a_final_line_break() -> None:
    assert encode_quoted_printable(b"no newline") == b"no newline=\r\n"
    assert binascii.a2b_qp(encode_quoted_printable(b"no newline")) == b"no newline"


@given(st.binary(max_size=600))
def test_quoted_printable_round_trips(data: bytes) -> None:
    encoded = encode_quoted_printable(data)
    lines = encoded.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 76 for line in lines)
    assert encoded.isascii()
    assert b"\r" not in encoded.replace(b"\r\n", b"") and b"\n" not in encoded.replace(b"\r\n", b"")
    # Bytes that end a line must not be white space (RFC 2045 6.7 rule 3).
    assert all(not line.endswith((b" ", b"\t")) for line in lines)
    assert binascii.a2b_qp(encoded.replace(b"\r\n", b"\n")) == data.replace(b"\r\n", b"\n")


@given(st.binary(max_size=500))
def test_base64_round_trips_in_76_character_lines(data: bytes) -> None:
    encoded = encode_base64(data)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert base64.b64decode(encoded.replace(b"\r\n", b"")) == data


@pytest.mark.parametrize(
    ("data", "text", "allow_8bit", "expected"),
    [
        (b"plain\r\ntext\r\n", True, False, "7bit"),
        (b"plain\r\ntext\r\n", False, False, "7bit"),
        ("d\u00e9j\u00e0 vu\r\n".encode(), True, True, "8bit"),
        ("mostly ascii with one \u00e9\r\n".encode(), True, False, "quoted-printable"),
        (
            "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440\r\n".encode(),
            True,
            False,
            "base64",
        ),
        (b"bare\nline feed", True, False, "quoted-printable"),
        (b"x" * 999 + b"\r\n", True, True, "quoted-printable"),
        (b"nul\0", False, True, "base64"),
        (bytes(range(256)), False, False, "base64"),
    ],
)
def test_choose_transfer_encoding(data: bytes, text: bool, allow_8bit: bool, expected: str) -> None:
    assert choose_transfer_encoding(data, text=text, allow_8bit=allow_8bit) == expected


def test_encode_transfer_leaves_7bit_alone() -> None:
    assert encode_transfer(b"abc\r\n", "7bit") == b"abc\r\n"
    assert encode_transfer(b"abc", "base64") == b"YWJj\r\n"


# ---------------------------------------------------------------------------------------------
# RFC 2047 section 8's example, written in UTF-8, and our own reader


def test_rfc2047_section8_example_headers() -> None:
    from mailproto.message._address import Address
    from mailproto.message._address_format import format_address

    assert format_address(Address("Keith Moore", "moore", "cs.utk.edu")) == (
        "Keith Moore <moore@cs.utk.edu>"
    )
    assert format_address(Address("Keld Jørn Simonsen", "keld", "dkuug.dk")) == (
        "Keld =?utf-8?b?SsO4cm4=?= Simonsen <keld@dkuug.dk>"
    )
    assert format_address(Address("André Pirard", "PIRARD", "vm1.ulg.ac.be")) == (
        "=?utf-8?b?QW5kcsOp?= Pirard <PIRARD@vm1.ulg.ac.be>"
    )
    subject = "If you can read this you understand the example."
    assert encode_unstructured(subject) == subject
    written = encode_unstructured("Wenn Sie das lesen können, verstehen Sie das Beispiel.")
    assert written == "Wenn Sie das lesen =?utf-8?q?k=C3=B6nnen,?= verstehen Sie das Beispiel."


def test_a_word_too_long_for_any_line_becomes_encoded_words() -> None:
    word = "x" * 2000
    folded = fold_header("Subject", encode_unstructured(word, offset=9))
    assert all(len(line) <= 78 for line in folded.split(b"\r\n"))
    assert decode_with_stdlib("Subject", encode_unstructured(word, offset=9)) == word


@given(header_text.map(lambda t: " ".join(t.split())), st.booleans())
def test_unstructured_round_trips_through_our_reader(text: str, allow_utf8: bool) -> None:
    from mailproto.message import Message

    raw = fold_header("Subject", encode_unstructured(text, allow_utf8=allow_utf8, offset=9))
    msg = Message.parse(raw + b"\r\n")
    assert msg.subject == text
    assert msg.defects == []


@given(header_text.filter(lambda t: t.strip() == t and t != ""), st.integers(0, 150))
def test_parameters_round_trip_through_our_reader(name: str, padding: int) -> None:
    from mailproto.message import Message

    name = "n" * padding + name
    value = "attachment" + "".join("; " + p for p in encode_param("filename", name))
    raw = (
        b"Content-Type: application/octet-stream\r\n"
        + fold_header("Content-Disposition", value, structured=True)
        + b"\r\nbody\r\n"
    )
    msg = Message.parse(raw)
    assert msg.filename == name
    assert msg.defects == []


def test_a_utf8_word_too_long_for_a_line_is_encoded_even_when_utf8_is_allowed() -> None:
    word = "ü" * 600  # 1200 octets
    written = encode_unstructured(word, allow_utf8=True, offset=9)
    assert written.startswith("=?utf-8?")
    assert max(map(len, fold_header("Subject", written).split(b"\r\n"))) <= 76
    assert encode_unstructured("ü" * 400, allow_utf8=True) == "ü" * 400
