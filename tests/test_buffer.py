"""The shared receive buffer: lines, counted reads and dot-stuffed blocks."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailproto._buffer import BLOCK_END, BareLineEndings, ReceiveBuffer
from mailproto._dotstuff import DotStuffer, dot_stuff
from mailproto.errors import ErrorKind, RemoteProtocolError

# -- helpers ------------------------------------------------------------------------------------


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """Cut ``data`` at the given offsets (taken modulo its length, sorted, deduplicated)."""
    if not data:
        return [b""]
    points = sorted({c % len(data) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def read_lines(chunks: list[bytes], **kwargs: object) -> list[bytes | str]:
    """Feed chunks, collecting every line and every error kind in order."""
    buf = ReceiveBuffer(**kwargs)  # type: ignore[arg-type]
    out: list[bytes | str] = []
    for chunk in chunks:
        buf.feed(chunk)
        while True:
            try:
                line = buf.read_line()
            except RemoteProtocolError as err:
                out.append(err.kind.value)
                continue
            if line is None:
                break
            out.append(line)
    return out


def read_block(
    chunks: list[bytes], **kwargs: object
) -> tuple[bytes, str | None, ReceiveBuffer, int]:
    """Feed chunks into one block; return (data, error kind or None, buffer, chunk count)."""
    buf = ReceiveBuffer()
    buf.begin_block(**kwargs)  # type: ignore[arg-type]
    parts: list[bytes] = []
    for chunk in chunks:
        buf.feed(chunk)
        while buf.in_block:
            try:
                item = buf.read_block()
            except RemoteProtocolError as err:
                return b"".join(parts), err.kind.value, buf, len(parts)
            if item is None:
                break
            if item is BLOCK_END:
                return b"".join(parts), None, buf, len(parts)
            assert isinstance(item, bytes) and item
            parts.append(item)
    raise AssertionError("the block did not end")


# -- lines --------------------------------------------------------------------------------------


def test_lines_split_on_crlf_and_lf() -> None:
    assert read_lines([b"EHLO a\r\nNOOP\nQUIT\r\n"]) == [b"EHLO a", b"NOOP", b"QUIT"]


def test_strict_lines_keep_bare_lf_inside() -> None:
    assert read_lines([b"a\nb\r\nc\r\n"], lf_ends_line=False) == [b"a\nb", b"c"]


def test_incomplete_line_waits() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"NOO")
    assert buf.read_line() is None
    buf.feed(b"P\r")
    assert buf.read_line() is None
    buf.feed(b"\n")
    assert buf.read_line() == b"NOOP"
    assert len(buf) == 0


def test_over_long_line_is_reported_once_and_skipped() -> None:
    chunks = [b"ok\r\n", b"x" * 50, b"x" * 50, b"y\r\nnext\r\n"]
    assert read_lines(chunks, max_line_length=20, max_buffer_size=100) == [
        b"ok",
        "line-too-long",
        b"next",
    ]


def test_over_long_complete_line_is_reported() -> None:
    buf = ReceiveBuffer(max_line_length=5)
    buf.feed(b"123456\r\nabc\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        buf.read_line()
    assert info.value.kind is ErrorKind.LINE_TOO_LONG
    assert info.value.limit == 5
    assert not info.value.fatal
    assert buf.read_line() == b"abc"


def test_line_at_the_limit_is_accepted() -> None:
    buf = ReceiveBuffer(max_line_length=5)
    buf.feed(b"12345")
    assert buf.read_line() is None
    buf.feed(b"\r")
    assert buf.read_line() is None
    buf.feed(b"\n")
    assert buf.read_line() == b"12345"


def test_skipping_never_holds_the_long_line() -> None:
    buf = ReceiveBuffer(max_line_length=10, max_buffer_size=100)
    buf.feed(b"z" * 20)
    with pytest.raises(RemoteProtocolError):
        buf.read_line()
    for _ in range(1000):
        buf.feed(b"z" * 100)  # ten megabytes of one line would not fit: nothing is kept
        assert len(buf) == 0
    buf.feed(b"\r\nafter\r\n")
    assert buf.read_line() == b"after"


def test_buffer_cap_is_fatal() -> None:
    buf = ReceiveBuffer(max_line_length=10, max_buffer_size=32)
    buf.feed(b"a\r\n" * 10)
    with pytest.raises(RemoteProtocolError) as info:
        buf.feed(b"b" * 10)
    assert info.value.kind is ErrorKind.BUFFER_FULL and info.value.fatal


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        ReceiveBuffer(max_line_length=0)
    with pytest.raises(ValueError):
        ReceiveBuffer(max_line_length=100, max_buffer_size=10)


@given(
    lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
)
def test_any_chunking_gives_the_same_lines(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(line + b"\r\n" for line in lines)
    assert read_lines(split(data, cuts), max_line_length=64) == lines


@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 1000), max_size=20))
def test_arbitrary_bytes_give_lines_or_documented_errors(data: bytes, cuts: list[int]) -> None:
    whole = read_lines([data], max_line_length=16, max_buffer_size=400)
    assert read_lines(split(data, cuts), max_line_length=16, max_buffer_size=400) == whole


# -- lines in bulk ------------------------------------------------------------------------------


def _one_by_one(
    buf: ReceiveBuffer, max_count: int, prefix: bytes, through: re.Pattern[bytes] | None
) -> list[bytes | str]:
    """What read_lines(max_count, prefix, through=through) must match: read_line until it
    would stop."""
    out: list[bytes | str] = []
    while len(out) < max_count:
        if out and through is not None and through.match(out[-1]):  # type: ignore[arg-type]
            break
        ahead = buf.peek(len(buf))
        end = ahead.find(b"\n" if buf.lf_ends_line else b"\r\n")
        if end < 0:
            if not out:  # read_line may still refuse an over-long unfinished line
                try:
                    assert buf.read_line() is None
                except RemoteProtocolError as err:
                    out.append(err.kind.value)
            break
        line = ahead[:end]
        if buf.lf_ends_line and line.endswith(b"\r"):
            line = line[:-1]
        if not line.startswith(prefix) or (out and len(line) > buf.max_line_length):
            break
        try:
            taken = buf.read_line()
        except RemoteProtocolError as err:
            out.append(err.kind.value)
            break
        assert taken == line
        out.append(line)
    return out


def _in_bulk(
    buf: ReceiveBuffer, max_count: int, prefix: bytes, through: re.Pattern[bytes] | None
) -> list[bytes | str]:
    try:
        return list(buf.read_lines(max_count, prefix, through=through))
    except RemoteProtocolError as err:
        return [err.kind.value]


def test_read_lines_takes_a_burst() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"250-a\r\n250-b\n250 c\r\n251 d\r\npartial")
    assert buf.read_lines(10, b"250-") == [b"250-a", b"250-b"]
    assert buf.read_lines(1) == [b"250 c"]
    assert buf.read_lines(10, b"250") == []
    assert buf.read_lines(10) == [b"251 d"]
    assert buf.read_lines(10) == []
    assert buf.clear() == b"partial"


_NOT_A = re.compile(rb"(?!a)")  # read_lines(through=): any line not starting with "a" ends
_CR = re.compile(rb".*\r", re.DOTALL)  # a line with a CR left in it ends


def test_read_lines_through_the_end_of_a_response() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"250-a\r\n250-b\n250 c\r\n251 d\r\n")
    assert buf.read_lines(10, through=re.compile(rb"...(?!-)")) == [b"250-a", b"250-b", b"250 c"]
    assert buf.read_lines(10, through=re.compile(rb"...(?!-)")) == [b"251 d"]


def test_read_lines_stops_before_an_over_long_line() -> None:
    buf = ReceiveBuffer(max_line_length=5, max_buffer_size=100)
    buf.feed(b"ab\r\n123456\r\ncd\r\n")
    assert buf.read_lines(10) == [b"ab"]
    with pytest.raises(RemoteProtocolError) as info:
        buf.read_lines(10)
    assert info.value.kind is ErrorKind.LINE_TOO_LONG
    assert buf.read_lines(10) == [b"cd"]


def test_read_lines_leaves_exactly_the_rest_for_clear() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"220 go ahead\r\n250 injected\n\r\n")
    assert buf.read_lines(1) == [b"220 go ahead"]
    assert buf.clear() == b"250 injected\n\r\n"


@given(
    data=st.binary(max_size=200).map(lambda b: b.replace(b"\x00", b"\n")),
    cuts=st.lists(st.integers(0, 1000), max_size=10),
    steps=st.lists(
        st.tuples(
            st.integers(0, 6),
            st.sampled_from([b"", b"a", b"ab"]),
            st.sampled_from([None, _NOT_A, _CR]),
        ),
        max_size=12,
    ),
    lf_ends_line=st.booleans(),
)
def test_read_lines_is_read_line_repeated(
    data: bytes,
    cuts: list[int],
    steps: list[tuple[int, bytes, re.Pattern[bytes] | None]],
    lf_ends_line: bool,
) -> None:
    kwargs = {"max_line_length": 8, "max_buffer_size": 400, "lf_ends_line": lf_ends_line}
    bulk = ReceiveBuffer(**kwargs)  # type: ignore[arg-type]
    single = ReceiveBuffer(**kwargs)  # type: ignore[arg-type]
    steps = steps or [(3, b"", None)]
    for number, chunk in enumerate(split(data, cuts)):
        for buf in (bulk, single):
            buf.feed(chunk)
        for max_count, prefix, through in (
            steps[number % len(steps) :] + steps[: number % len(steps)]
        ):
            got = _in_bulk(bulk, max_count, prefix, through)
            assert got == _one_by_one(single, max_count, prefix, through)
            assert len(bulk) == len(single)
    assert bulk.clear() == single.clear()


# -- counted data -------------------------------------------------------------------------------


def test_read_exact_and_some() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"hello wor")
    assert buf.read_exact(11) is None
    assert buf.read_some(3) == b"hel"
    buf.feed(b"ld\r\nrest\r\n")
    assert buf.read_exact(8) == b"lo world"
    assert buf.read_line() == b""
    assert buf.read_line() == b"rest"
    assert buf.read_some(5) == b""


def test_literal_between_lines() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"A1 APPEND x {5}\r\nab\r\ncd\r\n")
    assert buf.read_line() == b"A1 APPEND x {5}"
    assert buf.read_exact(5) == b"ab\r\nc"
    assert buf.read_line() == b"d"


def test_clear_returns_what_was_pending() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"STARTTLS\r\nMAIL FROM:<evil@x>\r\n")
    assert buf.read_line() == b"STARTTLS"
    assert buf.clear() == b"MAIL FROM:<evil@x>\r\n"
    assert len(buf) == 0


def test_compaction_keeps_positions() -> None:
    buf = ReceiveBuffer(max_buffer_size=1 << 22)
    line = b"x" * 1000 + b"\r\n"
    buf.feed(line * 200)
    for _ in range(200):
        assert buf.read_line() == line[:-2]
    assert len(buf) == 0


# -- dot-stuffed blocks -------------------------------------------------------------------------


def test_rfc5321_transparency() -> None:
    # RFC 5321 section 4.5.2: a line starting with "." is sent with one more.
    data, error, buf, _ = read_block([b"line one\r\n..leading dot\r\n...two\r\n.\r\nNEXT\r\n"])
    assert data == b"line one\r\n.leading dot\r\n..two\r\n"
    assert error is None
    assert buf.read_line() == b"NEXT"


def test_empty_block() -> None:
    data, error, buf, chunks = read_block([b".\r\nQUIT\r\n"])
    assert (data, error, chunks) == (b"", None, 0)
    assert buf.read_line() == b"QUIT"


def test_block_of_one_stuffed_line() -> None:
    assert read_block([b"..\r\n.\r\n"])[:2] == (b".\r\n", None)


@pytest.mark.parametrize(
    "smuggled",
    [
        b"\n.\n",
        b"\n.\r\n",
        b"\r\n.\n",
        b"\r.\r",
        b"\r\n.\r",
    ],
)
def test_only_crlf_dot_crlf_ends_a_block(smuggled: bytes) -> None:
    # The SMTP-smuggling class: a sloppy end of data must not end the block.
    raw = b"Subject: hi\r\n\r\nbody" + smuggled + b"MAIL FROM:<x@y>\r\n.\r\n"
    data, error, buf, _ = read_block([raw], bare_line_endings=BareLineEndings.ACCEPT)
    assert error is None
    assert b"MAIL FROM:<x@y>" in data
    assert len(buf) == 0


def test_bare_line_endings_rejected_after_the_block_ends() -> None:
    raw = b"a\nb\r\n.\r\nQUIT\r\n"
    data, error, buf, _ = read_block([raw])
    assert error == "bare-line-ending"
    assert data == b"a\nb\r\n"  # nothing is hidden from the application
    assert not buf.in_block
    assert buf.read_line() == b"QUIT"


def test_bare_cr_rejected() -> None:
    assert read_block([b"a\rb\r\n.\r\n"])[1] == "bare-line-ending"


def test_bare_line_endings_normalized() -> None:
    data, error, _, _ = read_block(
        [b"a\nb\rc\r\n.\r\n"], bare_line_endings=BareLineEndings.NORMALIZE
    )
    assert (data, error) == (b"a\r\nb\r\nc\r\n", None)


def test_normalizing_does_not_create_a_line_start() -> None:
    # "x\n" then ".\r\n" must not be read as CRLF "." CRLF once the LF is normalised.
    payload = b"x" * 40 + b"\n"
    raw = payload + b".\r\nmore\r\n.\r\n"
    chunks = [raw[: len(payload)], raw[len(payload) :]]
    data, error, _, _ = read_block(chunks, bare_line_endings=BareLineEndings.NORMALIZE, min_chunk=1)
    assert error is None
    assert data == b"x" * 40 + b"\r\n.\r\nmore\r\n"


def test_block_size_limit_drains_then_reports() -> None:
    raw = b"x" * 100 + b"\r\n" + b"y" * 100 + b"\r\n.\r\nNOOP\r\n"
    _, error, buf, _ = read_block([raw], max_size=50)
    assert error == "too-big"
    assert buf.read_line() == b"NOOP"


def test_block_line_length_limit() -> None:
    ok = read_block([b"12345\r\n.\r\n"], max_line_length=5)
    assert ok[1] is None
    too_long = read_block([b"123\r\n123456\r\n.\r\n"], max_line_length=5)
    assert too_long[1] == "line-too-long"
    spanning = read_block([b"123", b"456\r\n.\r\n"], max_line_length=5, min_chunk=1)
    assert spanning[1] == "line-too-long"


def test_block_streams_in_chunks() -> None:
    body = (b"0123456789" * 10 + b"\r\n") * 1000
    stuffed = dot_stuff(body)
    data, error, _, count = read_block(
        [stuffed[i : i + 4096] for i in range(0, len(stuffed), 4096)], min_chunk=8192
    )
    assert (data, error) == (body, None)
    assert count > 5


@pytest.mark.parametrize("cut", range(1, 40))
@pytest.mark.parametrize("min_chunk", [1, 8, 1 << 14])
def test_stuffed_lines_are_unstuffed_wherever_the_chunks_end(cut: int, min_chunk: int) -> None:
    body = b"a" * 20 + b"\r\n..b\r\n..\r\nc\r\n"
    raw = body + b"..d\r\n.\r\n"
    data, error, buf, _ = read_block([raw[:cut], raw[cut:]], min_chunk=min_chunk)
    assert (data, error) == (body.replace(b"\n..", b"\n.") + b".d\r\n", None)
    assert len(buf) == 0


def test_read_block_outside_a_block_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        ReceiveBuffer().read_block()


message_bytes = st.lists(
    st.sampled_from([b".", b"..", b"\r\n", b"\r", b"\n", b"a", b"\r\n.", b"\r\n.\r\n", b" "]),
    max_size=40,
).map(b"".join)


@given(message=message_bytes, cuts=st.lists(st.integers(0, 10_000), max_size=30))
def test_stuff_then_read_is_identity_for_any_chunking(message: bytes, cuts: list[int]) -> None:
    crlf_message = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    stuffed = dot_stuff(crlf_message)
    data, error, buf, _ = read_block(split(stuffed, cuts), min_chunk=1)
    expected = (
        crlf_message
        if crlf_message.endswith(b"\r\n") or not crlf_message
        else (crlf_message + b"\r\n")
    )
    assert (data, error) == (expected, None)
    assert len(buf) == 0


@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 1000), max_size=20))
def test_arbitrary_block_bytes_same_for_any_chunking(data: bytes, cuts: list[int]) -> None:
    raw = data + b"\r\n.\r\n"

    def outcome(chunks: list[bytes]) -> tuple[bytes, str | None]:
        got, error, _, _ = read_block(chunks, min_chunk=1)
        return got, error

    assert outcome(split(raw, cuts)) == outcome([raw])


def unstuffed_model(raw: bytes) -> tuple[bytes, bytes]:
    """What a block holds and what follows it, the slow and obvious way (RFC 5321 4.5.2)."""
    if raw.startswith(b".\r\n"):
        return b"", raw[3:]
    end = raw.index(b"\r\n.\r\n")
    lines = raw[: end + 2].split(b"\r\n")  # every piece but the first follows a CRLF
    return b"\r\n".join(line[1:] if line[:1] == b"." else line for line in lines), raw[end + 5 :]


# Many stuffed lines, few, or none, so that each way read_block unstuffs is taken.
stuffed_bodies = st.lists(
    st.sampled_from([b"\r\n..", b"\r\n.x", b"\r\n", b"ab", b".", b"\n.", b"\r"]), max_size=60
).map(b"".join)


@given(body=stuffed_bodies, tail=st.sampled_from([b"", b"NOOP\r\n"]), cuts=st.lists(st.integers()))
def test_read_block_agrees_with_a_model(body: bytes, tail: bytes, cuts: list[int]) -> None:
    raw = body + b"\r\n.\r\n" + tail
    expected, rest = unstuffed_model(raw)
    data, error, buf, _ = read_block([raw], bare_line_endings=BareLineEndings.ACCEPT)
    assert (data, error, buf.peek(len(raw))) == (expected, None, rest)
    chunked = read_block(split(raw, cuts), bare_line_endings=BareLineEndings.ACCEPT, min_chunk=1)
    assert chunked[:2] == (expected, None)


@given(
    body=stuffed_bodies,
    tail=st.sampled_from([b"", b"NOOP\r\n"]),
    cut=st.integers(0, 400),
    policy=st.sampled_from(list(BareLineEndings)),
    max_size=st.none() | st.integers(0, 80),
)
def test_read_whole_block_agrees_with_read_block(
    body: bytes, tail: bytes, cut: int, policy: BareLineEndings, max_size: int | None
) -> None:
    raw = (body + b"\r\n.\r\n" + tail)[:cut] if cut < 300 else body + b"\r\n.\r\n" + tail
    buf = ReceiveBuffer()
    buf.feed(b"+OK\r\n" + raw)
    assert buf.read_line() == b"+OK"
    whole = buf.read_whole_block(bare_line_endings=policy, max_size=max_size)
    streamed = ReceiveBuffer()
    streamed.feed(raw)
    streamed.begin_block(bare_line_endings=policy, max_size=max_size)
    parts: list[bytes] = []
    outcome: object = None
    while outcome is None:
        try:
            item = streamed.read_block()
        except RemoteProtocolError as error:
            outcome = error.kind
            break
        if item is None:
            outcome = "incomplete"
        elif item is BLOCK_END:
            outcome = BLOCK_END
        else:
            parts.append(item)  # type: ignore[arg-type]
    if whole is None:
        # Nothing consumed; the block is incomplete or ends in an error, or has many dots.
        assert buf.peek(len(raw) + 1) == raw
        if outcome is BLOCK_END:  # then only because it has many stuffed lines
            content = raw[: raw.index(b"\r\n.\r\n") + 2].split(b"\r\n")
            assert sum(line[:1] == b"." for line in content) >= 8
    else:
        assert outcome is BLOCK_END
        assert whole == b"".join(parts)
        assert buf.peek(len(raw)) == streamed.peek(len(raw))


# -- the sending side ---------------------------------------------------------------------------


def test_dot_stuffer_across_chunks() -> None:
    stuffer = DotStuffer()
    out = (
        stuffer.stuff(b".a\r") + stuffer.stuff(b"\n.b\r\n") + stuffer.stuff(b"c") + stuffer.finish()
    )
    assert out == b"..a\r\n..b\r\nc\r\n.\r\n"


def test_dot_stuffer_normalizes_line_endings() -> None:
    assert dot_stuff(b"a\nb\rc") == b"a\r\nb\r\nc\r\n.\r\n"
    assert dot_stuff(b"a\n.b\n") == b"a\r\n..b\r\n.\r\n"


def test_dot_stuffer_keeps_bytes_when_asked() -> None:
    assert dot_stuff(b"a\nb\r\n", normalize_line_endings=False) == b"a\nb\r\n.\r\n"


def test_dot_stuffer_assuming_crlf_stuffs_after_every_lf() -> None:
    assert dot_stuff(b".a\r\n.b\n.c\r.d", assume_crlf=True) == b"..a\r\n..b\n..c\r.d\r\n.\r\n"


@given(message=message_bytes, cuts=st.lists(st.integers(0, 10_000), max_size=10))
def test_dot_stuffer_assuming_crlf_matches_the_default_on_crlf_data(
    message: bytes, cuts: list[int]
) -> None:
    crlf_message = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    stuffer = DotStuffer(assume_crlf=True)
    pieces = b"".join(stuffer.stuff(c) for c in split(crlf_message, cuts)) + stuffer.finish()
    assert pieces == dot_stuff(crlf_message)
    # Whatever the data, no LF "." CR LF sequence in the body can end it early.
    raw = b"".join(DotStuffer(assume_crlf=True).stuff(c) for c in split(message, cuts))
    assert b"\n.\r\n" not in raw and b"\n.\n" not in raw


def stuffed_model(message: bytes, mode: str) -> bytes:
    """The stuffed block, the slow and obvious way, for each DotStuffer mode."""
    if mode == "normalize":
        message = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    after = b"\r\n" if mode == "normalize" else b"\n"
    out = re.sub(re.escape(after) + rb"\.", after + b"..", message)
    out = b"." + out if out[:1] == b"." else out
    if out.endswith(b"\r"):
        out += b"\n"  # a CR at the very end is taken as the start of the final CRLF
    elif out and not out.endswith(b"\r\n"):
        out += b"\r\n"  # a bare LF too: a strict reader must see CRLF "." CRLF
    return out + b".\r\n"


@given(
    message=stuffed_bodies | message_bytes,
    mode=st.sampled_from(["normalize", "keep", "assume_crlf"]),
    cuts=st.lists(st.integers(0, 10_000), max_size=10),
)
def test_dot_stuffer_agrees_with_a_model(message: bytes, mode: str, cuts: list[int]) -> None:
    options = {
        "normalize": {},
        "keep": {"normalize_line_endings": False},
        "assume_crlf": {"assume_crlf": True},
    }[mode]
    stuffer = DotStuffer(**options)
    out = b"".join(stuffer.stuff(c) for c in split(message, cuts)) + stuffer.finish()
    assert out == stuffed_model(message, mode) == dot_stuff(message, **options)


def test_data_ending_in_a_bare_lf_still_ends_for_a_strict_reader() -> None:
    # assume_crlf is a promise about line endings; data that breaks it must not leave the
    # reader waiting for a terminator that never comes.
    for options in ({"assume_crlf": True}, {"normalize_line_endings": False}):
        stuffed = dot_stuff(b"a\n.b\n", **options)
        assert stuffed == b"a\n..b\n\r\n.\r\n"
        assert read_block([stuffed], bare_line_endings=BareLineEndings.ACCEPT)[:2] == (
            b"a\n..b\n\r\n",
            None,
        )


def test_dot_stuffer_empty_message() -> None:
    assert dot_stuff(b"") == b".\r\n"


@given(message=message_bytes, cuts=st.lists(st.integers(0, 10_000), max_size=10))
def test_dot_stuffer_chunking_is_invisible(message: bytes, cuts: list[int]) -> None:
    stuffer = DotStuffer()
    pieces = b"".join(stuffer.stuff(c) for c in split(message, cuts)) + stuffer.finish()
    assert pieces == dot_stuff(message)


# -- reads of different kinds interleaved -------------------------------------------------------


def _reference_line(data: bytes) -> tuple[bytes | None, bytes]:
    """What read_line should return for ``data`` (LF ends a line), and what remains."""
    newline = data.find(b"\n")
    if newline < 0:
        return None, data
    line = data[:newline]
    line = line[:-1] if line.endswith(b"\r") else line
    rest = data[newline + 1 :]
    return line, rest


@given(
    lines=st.lists(
        # Lines within the limit: skipping an over-long line is tested on its own above.
        st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"") + b"\r\n"),
        max_size=30,
    ),
    ops=st.lists(st.one_of(st.none(), st.integers(0, 50)), max_size=40),
    cuts=st.lists(st.integers(0, 5000), max_size=10),
)
def test_lines_and_counted_reads_interleave_like_a_simple_model(
    lines: list[bytes], ops: list[int | None], cuts: list[int]
) -> None:
    data = b"".join(lines)
    buf = ReceiveBuffer(max_line_length=30)
    model = b""
    got: list[object] = []
    expected: list[object] = []
    chunks = split(data, cuts)
    for index, op in enumerate(ops):
        if index < len(chunks):
            buf.feed(chunks[index])
            model += chunks[index]
        if op is None:
            got.append(buf.read_line())
            result, model = _reference_line(model)
            expected.append(result)
        elif len(model) >= op:
            got.append(buf.read_exact(op))
            expected.append(model[:op])
            model = model[op:]
        else:
            got.append(buf.read_exact(op))
            expected.append(None)
    assert got == expected
    assert buf.clear() == model


def test_clear_after_lines_split_ahead_returns_the_exact_bytes() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"220 ready\r\n250 injected\nX\r\n")
    assert buf.read_line() == b"220 ready"
    assert buf.clear() == b"250 injected\nX\r\n"


def test_block_after_a_line_in_the_same_read() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    assert buf.read_line() == b"DATA"
    buf.begin_block(min_chunk=1)
    assert buf.read_block() == b"Subject: x\r\n\r\nbody\r\n"
    assert buf.read_block() is BLOCK_END
    assert buf.read_line() == b"QUIT"


@given(
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=12),
    cuts=st.lists(st.integers(0, 1000), max_size=10),
    limit=st.integers(5, 30),
)
def test_block_line_length_check_carries_across_chunks(
    lengths: list[int], cuts: list[int], limit: int
) -> None:
    body = b"".join(b"x" * n + b"\r\n" for n in lengths)
    raw = body + b".\r\n"
    data, error, _, _ = read_block(split(raw, cuts), max_line_length=limit, min_chunk=1)
    assert data == body
    assert (error == "line-too-long") == (max(lengths) > limit)
