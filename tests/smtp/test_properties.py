"""Hypothesis properties: round trips, chunking invariance, and no undocumented exceptions."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto import (
    NEED_DATA,
    ErrorKind,
    Event,
    LocalProtocolError,
    RemoteProtocolError,
    StartTLS,
)
from mailproto.smtp import (
    Bdat,
    Data,
    DataChunk,
    EndOfData,
    Hello,
    MailFrom,
    MessageComplete,
    Noop,
    Quit,
    RcptTo,
    Reply,
    SmtpClient,
    SmtpServer,
    Verify,
    parse_command,
    serialize_command,
    serialize_reply,
)
from mailproto.smtp._parse import build_reply, parse_reply_line
from mailproto.testing import smtp_commands, smtp_replies

from ._dialogue import run_server, transcript
from .test_rfc_dialogues import D1, _server

keyword = st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,8}", fullmatch=True)
value = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="="),
    min_size=1,
    max_size=10,
)
params = st.dictionaries(keyword, st.one_of(st.none(), value), max_size=4)
commands = smtp_commands()
replies = smtp_replies


@given(commands)
def test_commands_round_trip(command: Event) -> None:
    line = serialize_command(command)  # type: ignore[arg-type]
    assert line.endswith(b"\r\n") and line.count(b"\r\n") == 1
    assert parse_command(line[:-2]) == command


@given(replies())
def test_replies_round_trip(reply: Reply) -> None:
    data = serialize_reply(reply)
    parsed = [parse_reply_line(line) for line in data.split(b"\r\n")[:-1]]
    assert [last for _, last, _ in parsed] == [False] * (len(parsed) - 1) + [True]
    texts = [text for _, _, text in parsed]
    assert build_reply(parsed[0][0], texts) == reply


@given(replies())
def test_client_parses_what_the_server_writes(reply: Reply) -> None:
    client = SmtpClient()
    client.receive_data(serialize_reply(reply))
    assert client.next_event() == reply


def _merge_chunks(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        if isinstance(event, DataChunk) and out and isinstance(out[-1], DataChunk):
            out[-1] = DataChunk(out[-1].data + event.data)
        else:
            out.append(event)
    return out


@given(st.lists(st.integers(1, 400), min_size=1, max_size=30))
def test_any_chunking_of_a_dialogue_gives_the_same_events(cuts: list[int]) -> None:
    steps = transcript(D1)
    whole = _merge_chunks(run_server(_server(), steps))
    # Re-feed the client's bytes cut at the drawn sizes (cycled).
    client_bytes = b"".join(s.data for s in steps if s.side == "C")
    server = _server()
    from ._dialogue import replies_of

    answers = [r for s in steps if s.side == "S" for r in replies_of(s.data)]
    events: list[Event] = []
    pos = 0
    i = 0

    def serve() -> None:
        while True:
            event = server.next_event()
            if event is NEED_DATA:
                return
            events.append(event)  # type: ignore[arg-type]
            if server.awaiting_reply:
                server.send(answers.pop(0))

    serve()
    while pos < len(client_bytes):
        size = cuts[i % len(cuts)]
        i += 1
        server.receive_data(client_bytes[pos : pos + size])
        pos += size
        serve()
    assert _merge_chunks(events) == whole
    assert server.data_to_send() == b"".join(s.data for s in steps if s.side == "S")


@settings(max_examples=150)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_arbitrary_bytes_to_the_server_raise_only_remote_errors(data: bytes, size: int) -> None:
    server = SmtpServer(max_bad_commands=1000, max_command_length=64, max_auth_line_length=64)
    server.next_event()
    server.accept()
    for start in range(0, len(data), size):
        server.receive_data(data[start : start + size])
        for _ in range(1000):
            try:
                event = server.next_event()
            except RemoteProtocolError as exc:
                if exc.fatal:
                    return
                server.send(exc.reply)  # type: ignore[arg-type]
                continue
            if event is NEED_DATA or server.should_close:
                break
            if server.awaiting_reply:
                server.accept()
        if server.should_close:
            return


@settings(max_examples=150)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_arbitrary_bytes_to_the_client_raise_only_remote_errors(data: bytes, size: int) -> None:
    client = SmtpClient()
    client.send(Hello("EHLO", "x.example"))
    client.send(MailFrom("a@b.c"))
    try:
        for start in range(0, len(data), size):
            client.receive_data(data[start : start + size])
            while client.next_event() is not NEED_DATA:
                pass
    except RemoteProtocolError:
        pass


bodies = st.lists(
    st.one_of(st.binary(max_size=40), st.sampled_from([b".", b"\r\n.", b"\r\n", b"\n.\n", b"\r"])),
    max_size=12,
)


def _transfer(events: list[Event], server: SmtpServer, client: SmtpClient) -> list[Event]:
    """Run client and server against each other, accepting everything."""
    got: list[Event] = []
    for event in events:
        client.send(event)
    for _ in range(200):
        out = client.data_to_send()
        if out:
            server.receive_data(out)
        while True:
            try:
                event = server.next_event()
            except RemoteProtocolError as exc:
                server.send(exc.reply)  # type: ignore[arg-type]
                continue
            if event is NEED_DATA:
                break
            got.append(event)  # type: ignore[arg-type]
            if server.awaiting_reply:
                server.accept()
        back = server.data_to_send()
        if back:
            client.receive_data(back)
        while client.next_event() is not NEED_DATA:
            pass
        if not out and not back:
            break
    return got


@given(bodies, st.booleans())
def test_data_content_arrives_with_line_endings_normalised(parts: list[bytes], pipe: bool) -> None:
    server = SmtpServer(max_text_line_length=None)
    server.next_event()
    server.accept()
    client = SmtpClient(pipelining=pipe)
    message = [Hello("EHLO", "c.example"), MailFrom("a@b.c"), RcptTo("d@e.f"), Data()]
    message += [DataChunk(p) for p in parts] + [EndOfData(), Quit()]
    got = _transfer(message, server, client)
    body = b"".join(e.data for e in got if isinstance(e, DataChunk))
    expected = re.sub(rb"\r\n|\r|\n", b"\r\n", b"".join(parts))
    if expected and not expected.endswith(b"\r\n"):
        expected += b"\r\n"
    assert body == expected
    assert [e.size for e in got if isinstance(e, MessageComplete)] == [len(expected)]
    assert got[-1] == Quit()


@given(bodies.map(b"".join), st.integers(1, 64))
def test_bdat_content_arrives_unchanged(body: bytes, chunk: int) -> None:
    server = SmtpServer()
    server.next_event()
    server.accept()
    client = SmtpClient()
    message: list[Event] = [Hello("EHLO", "c.example"), MailFrom("a@b.c"), RcptTo("d@e.f")]
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    for piece in pieces:
        message += [Bdat(len(piece)), DataChunk(piece)]
    message += [Bdat(0, last=True), Quit()]
    got = _transfer(message, server, client)
    assert b"".join(e.data for e in got if isinstance(e, DataChunk)) == body
    assert [e.size for e in got if isinstance(e, MessageComplete)] == [len(body)]


@given(st.text(max_size=20), params)
def test_serializing_never_lets_bad_text_through(text: str, extra: dict[str, str | None]) -> None:
    for event in (
        MailFrom(text, extra),
        RcptTo(text),
        Verify(text),
        Noop(text),
        Hello("EHLO", text),
    ):
        try:
            line = serialize_command(event)
        except LocalProtocolError:
            continue
        assert line.count(b"\r") == 1 and line.count(b"\n") == 1
        assert parse_command(line[:-2]) == event


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=12),
    st.integers(1, 64),
    st.integers(5, 30),
)
def test_long_content_lines_are_found_across_any_chunking(
    lengths: list[int], size: int, limit: int
) -> None:
    body = b"".join(b"x" * n + b"\r\n" for n in lengths)
    server = SmtpServer(max_text_line_length=limit)
    server.next_event()
    server.accept()
    server.receive_data(b"EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n")
    for _ in range(4):
        server.next_event()
        server.accept()
    data = body.replace(b"\r\n.", b"\r\n..") + b".\r\n"
    failed = False
    for start in range(0, len(data), size):
        server.receive_data(data[start : start + size])
        while True:
            try:
                event = server.next_event()
            except RemoteProtocolError as exc:
                assert exc.kind is ErrorKind.LINE_TOO_LONG
                failed = True
                break
            if event is NEED_DATA or isinstance(event, MessageComplete):
                break
    assert failed == (max(lengths) > limit)


@given(
    st.lists(replies().filter(lambda r: r.is_positive), min_size=1, max_size=8),
    st.lists(st.integers(1, 30), min_size=1),
)
def test_any_chunking_of_replies_gives_the_same_replies(
    answers: list[Reply], cuts: list[int]
) -> None:
    data = b"".join(serialize_reply(r) for r in answers)
    client = SmtpClient(pipelining=False)
    for _ in answers[1:]:
        client.send(Noop())
    got: list[Event] = []
    pos, i = 0, 0
    while pos < len(data):
        size = cuts[i % len(cuts)]
        i += 1
        client.receive_data(data[pos : pos + size])
        pos += size
        while (event := client.next_event()) is not NEED_DATA:
            got.append(event)  # type: ignore[arg-type]
    assert got == answers


_VOCABULARY = [
    b"EHLO c.example\r\n",
    b"HELO c.example\r\n",
    b"MAIL FROM:<a@b.c>\r\n",
    b"MAIL FROM:<a@b.c> BODY=BINARYMIME SIZE=10\r\n",
    b"RCPT TO:<d@e.f>\r\n",
    b"RCPT TO:<d@e.f> NOTIFY=NEVER\r\n",
    b"DATA\r\n",
    b"BDAT 5\r\n",
    b"BDAT 3 LAST\r\n",
    b"BDAT 0 LAST\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"STARTTLS\r\n",
    b"AUTH PLAIN\r\n",
    b"AUTH LOGIN dGlt\r\n",
    b"*\r\n",
    b"dGFuc3RhYWY=\r\n",
    b".\r\n",
    b"..\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b"x" * 30,
    b"QUIT\r\n",
]


@settings(max_examples=150)
@given(
    st.lists(st.one_of(st.sampled_from(_VOCABULARY), st.binary(max_size=12)), max_size=40),
    st.integers(1, 64),
)
def test_command_soup_raises_only_remote_errors(tokens: list[bytes], size: int) -> None:
    """Plausible commands in any order reach every state (DATA, BDAT, AUTH, TLS)."""
    from mailproto.sasl import PasswordAuthenticator

    server = SmtpServer(
        starttls=True,
        tls_active=False,
        auth_requires_tls=False,
        authenticator=PasswordAuthenticator({"tim": "tanstaaf"}),
        max_bad_commands=1000,
        max_command_length=64,
        max_auth_line_length=64,
        max_message_size=100,
    )
    server.next_event()
    server.accept()
    data = b"".join(tokens)
    for start in range(0, len(data), size):
        try:
            server.receive_data(data[start : start + size])
        except LocalProtocolError:
            return  # plaintext while the TLS upgrade is pending: the driver's business
        for _ in range(1000):
            try:
                event = server.next_event()
            except RemoteProtocolError as exc:
                if exc.fatal:
                    return
                server.send(exc.reply)  # type: ignore[arg-type]
                while server.awaiting_reply:
                    server.send(exc.reply)  # type: ignore[arg-type]
                continue
            if event is NEED_DATA or server.should_close:
                break
            if isinstance(event, StartTLS):
                server.tls_started()
            while server.awaiting_reply:
                server.accept()
        if server.should_close:
            return


_TEXT_PIECES = st.sampled_from(
    ["2.0.0", "2.0.0 ", "5.1.1 ", "2.1.5 ok", "ok", "", " ", "é", "250-", "\udcff", "4.2.0 x"]
)


@settings(max_examples=300)
@given(
    code=st.sampled_from([250, 251, 450, 550]),
    texts=st.lists(st.lists(_TEXT_PIECES, max_size=3).map("".join), min_size=1, max_size=6),
)
def test_reply_from_lines_is_build_reply_over_the_texts(code: int, texts: list[str]) -> None:
    """Assembling a reply from its raw lines in one go gives what parsing line by line does."""
    from mailproto.smtp._parse import build_reply, quick_reply, reply_from_lines

    raw = [
        (b"%d%s" % (code, b"-" if i < len(texts) - 1 else b" "))
        + text.encode("utf-8", "surrogateescape")
        for i, text in enumerate(texts)
    ]
    if texts[-1] == "":
        raw[-1] = raw[-1][:3]  # the bare "NNN" form of a last line
    assert reply_from_lines(code, raw) == build_reply(code, texts)
    quick = quick_reply(code, raw)
    assert quick is None or quick == build_reply(code, texts)


_REPLY_LINES = [
    b"250-2.1.5 ok\r\n",
    b"250 2.1.5 ok\r\n",
    b"250-x\r\n",
    b"250 x\n",
    b"250\r\n",
    b"250-\r\n",
    b"251-2.1.5 forward\r\n",
    b"251 2.1.5 forward\r\n",
    b"550 5.1.1 no such user\r\n",
    b"550-5.1.1 no\r\n",
    b"421 4.3.0 bye\r\n",
    b"220 go\r\n",
    b"25\r\n",
    b"250_x\r\n",
    b"\r\n",
    b"250-caf\xc3\xa9 \xff\r\n",
]


def _pipelined_rcpt_client(count: int) -> SmtpClient:
    client = SmtpClient(max_reply_lines=4)
    client.receive_data(b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n")
    client.send(Hello("EHLO", "c.example"))
    assert isinstance(client.next_event(), Reply)
    assert isinstance(client.next_event(), Reply)
    client.send(MailFrom("a@example.org"))
    for i in range(count):
        client.send(RcptTo(f"u{i}@example.net"))
    client.data_to_send()
    return client


def _outcome(client: SmtpClient, pieces: list[bytes]) -> list[object]:
    out: list[object] = []
    try:
        for piece in filter(None, pieces):  # an empty piece would mean end of file
            client.receive_data(piece)
            while (event := client.next_event()) is not NEED_DATA:
                out.append(event)
    except RemoteProtocolError as exc:
        out.append((str(exc), exc.kind, exc.fatal))
    return out


@settings(max_examples=200)
@given(
    st.lists(st.sampled_from(_REPLY_LINES), max_size=14),
    st.integers(0, 8),
    st.booleans(),
)
def test_replies_taken_in_bulk_are_the_replies_taken_a_byte_at_a_time(
    lines: list[bytes], rcpts: int, pipelined: bool
) -> None:
    """Whole bursts of replies (read in bulk) and single bytes (read line by line) agree on
    every reply, every error and where it is raised."""
    data = b"".join(lines)

    def fresh() -> SmtpClient:
        if pipelined:
            return _pipelined_rcpt_client(rcpts)
        client = SmtpClient(pipelining=False, max_reply_lines=4)
        for _ in range(rcpts):
            client.send(Noop())
        return client

    whole = _outcome(fresh(), [data])
    single = _outcome(fresh(), [data[i : i + 1] for i in range(len(data))])
    assert whole == single


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_REPLY_LINES), min_size=2, max_size=6))
def test_quick_reply_refuses_lines_that_do_not_continue_the_reply(lines: list[bytes]) -> None:
    """quick_reply checks every line but the last, so the client may call it unchecked."""
    from mailproto.smtp._parse import quick_reply

    raw = [line.rstrip(b"\r\n") for line in lines]
    code = int(raw[0][:3]) if raw[0][:3].isdigit() else 250
    if quick_reply(code, raw) is not None:
        assert all(line.startswith(raw[0][:4]) for line in raw[:-1])
        assert raw[0][3:4] == b"-"
