"""Header folding at 78 octets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto.errors import LocalProtocolError
from mailproto.message._fold import fold_header


def test_short_header_is_one_line() -> None:
    assert fold_header("Subject", "hello") == b"Subject: hello\r\n"


def test_unstructured_folds_at_the_last_space_that_fits() -> None:
    value = " ".join(["word"] * 20)
    assert fold_header("Subject", value) == (
        b"Subject: word word word word word word word word word word word word word word\r\n"
        b" word word word word word word\r\n"
    )


def test_structured_prefers_breaking_after_commas() -> None:
    value = ", ".join(f"Person Number {i} <p{i}@example.com>" for i in range(4))
    assert fold_header("To", value, structured=True) == (
        b"To: Person Number 0 <p0@example.com>, Person Number 1 <p1@example.com>,\r\n"
        b" Person Number 2 <p2@example.com>, Person Number 3 <p3@example.com>\r\n"
    )


def test_a_word_longer_than_the_width_stays_whole() -> None:
    long = "x" * 100
    assert fold_header("X-Long", f"a {long} b") == f"X-Long: a\r\n {long}\r\n b\r\n".encode()
    # Nothing folds at the space after the colon.
    assert fold_header("X-Long", long) == f"X-Long: {long}\r\n".encode()


def test_a_line_over_998_octets_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        fold_header("X-Long", "x" * 1000)


def test_bad_names_and_line_breaks_are_refused() -> None:
    with pytest.raises(LocalProtocolError):
        fold_header("Bad Name", "x")
    with pytest.raises(LocalProtocolError):
        fold_header("Subject", "a\r\nb")


def test_runs_of_white_space_move_whole_and_no_line_is_blank() -> None:
    value = "a" * 60 + "   " + "b" * 10
    assert (
        fold_header("Subject", value) == b"Subject: " + b"a" * 60 + b"\r\n   " + b"b" * 10 + b"\r\n"
    )


def test_utf8_is_measured_in_octets() -> None:
    value = " ".join(["ü" * 10] * 5)  # 20 octets per word
    for line in fold_header("Subject", value).split(b"\r\n"):
        assert len(line) <= 78


words = st.text(st.sampled_from('abcxyz,;<>@."é'), min_size=1, max_size=30)
separators = st.sampled_from([" ", "  ", "\t", ", "])


@given(st.lists(st.tuples(words, separators), min_size=1, max_size=30), st.booleans())
def test_folding_never_exceeds_78_where_a_fold_point_exists(
    pieces: list[tuple[str, str]], structured: bool
) -> None:
    value = "".join(w + s for w, s in pieces).rstrip(" \t,")
    folded = fold_header("X-Test", value, structured=structured)
    assert folded.endswith(b"\r\n")
    lines = folded[:-2].split(b"\r\n")
    # Unfolding gives back exactly the header line.
    assert b"".join(lines) == f"X-Test: {value}".encode()
    for line in lines[1:]:
        assert line[:1] in (b" ", b"\t")
        assert line.strip(b" \t")
    # Every word is at most 30 characters (60 octets), so every line fits.
    assert all(len(line) <= 78 for line in lines)


@given(
    st.lists(
        st.tuples(st.text(st.sampled_from("ab,;é"), min_size=1, max_size=120), separators),
        min_size=1,
        max_size=15,
    ),
    st.booleans(),
)
def test_a_long_line_only_where_no_fold_point_fits(
    pieces: list[tuple[str, str]], structured: bool
) -> None:
    value = "".join(w + s for w, s in pieces).rstrip(" \t,")
    lines = fold_header("X-Test", value, structured=structured)[:-2].split(b"\r\n")
    assert b"".join(lines) == f"X-Test: {value}".encode()
    for line in lines:
        if len(line) > 78:
            # No white space after the line's first word within the first 78 octets (after the
            # name on the first line, where the space after the colon is not a fold point).
            start = len(b"X-Test: ") if line.startswith(b"X-Test:") else 0
            body = line[start:].lstrip(b" \t")
            offset = len(line) - len(body)
            first_break = min(
                (i for i in (body.find(b" "), body.find(b"\t")) if i >= 0), default=-1
            )
            assert first_break < 0 or offset + first_break > 78


def test_lines_with_encoded_words_stay_within_76() -> None:
    from mailproto.message._encode import encode_unstructured

    value = encode_unstructured("Grüße " * 30, offset=9)
    lines = fold_header("Subject", value).split(b"\r\n")
    assert max(map(len, lines)) <= 76
    assert max(map(len, fold_header("Subject", "plain " * 30).split(b"\r\n"))) > 76
