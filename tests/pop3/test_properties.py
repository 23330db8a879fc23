"""Hypothesis properties: round trips, any chunking, arbitrary bytes."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailproto import NEED_DATA, RemoteProtocolError
from mailproto.connection import Event
from mailproto.pop3 import (
    Capa,
    Capabilities,
    Capability,
    Command,
    Dele,
    Err,
    Greeting,
    Lang,
    LangListing,
    List,
    MessageData,
    MessageEnd,
    MessageStart,
    Noop,
    Ok,
    Pass,
    POP3Client,
    POP3Server,
    Quit,
    Reply,
    Retr,
    RetrieveMessage,
    Rset,
    ScanLine,
    ScanListing,
    Stat,
    StatReply,
    Top,
    Uidl,
    UidLine,
    UidListing,
    User,
)
from mailproto.pop3._parse import parse_command
from mailproto.pop3._serialize import serialize_command, serialize_reply
from mailproto.sasl import PasswordAuthenticator, Secret
from mailproto.testing import pop3_commands

from ._helpers import Mailbox, client_events, merge_data, pump_server

numbers = st.integers(min_value=1, max_value=10**9)
tokens = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40).filter(
    lambda t: t == t.strip() and "[" not in t[:1] and "<" not in t and ">" not in t
)
uids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=70)

commands = pop3_commands()


@given(commands)
def test_command_round_trip(command: Command) -> None:
    line = serialize_command(command)
    assert line.endswith(b"\r\n") and b"\r\n" not in line[:-2]
    assert parse_command(line[:-2]) == command


@given(commands, st.sampled_from([b"", b" ", b"  "]))
def test_keywords_are_case_insensitive(command: Command, extra: bytes) -> None:
    line = serialize_command(command)[:-2]
    keyword, space, rest = line.partition(b" ")
    assert parse_command(keyword.lower() + space + rest) == command


# (command the client sent, reply the server gives)
replies = st.one_of(
    st.tuples(st.just(Noop()), st.builds(Ok, texts, st.none() | st.sampled_from(["IN-USE"]))),
    st.tuples(st.just(Noop()), st.builds(Err, texts, st.none() | st.just("SYS/TEMP"))),
    st.tuples(
        st.just(Stat()),
        st.builds(StatReply, st.integers(0, 10**6), st.integers(0, 10**12)),
    ),
    st.tuples(st.just(List(1)), st.builds(ScanLine, numbers, st.integers(0, 10**9))),
    st.tuples(st.just(Uidl(1)), st.builds(UidLine, numbers, uids)),
    st.tuples(
        st.just(List()),
        st.builds(
            ScanListing,
            st.lists(st.tuples(numbers, st.integers(0, 10**9)), max_size=20).map(tuple),
            texts,
        ),
    ),
    st.tuples(
        st.just(Uidl()),
        st.builds(UidListing, st.lists(st.tuples(numbers, uids), max_size=20).map(tuple), texts),
    ),
    st.tuples(
        st.just(Capa()),
        st.builds(
            Capabilities,
            st.lists(
                st.builds(
                    Capability, tokens.map(str.upper), st.lists(tokens, max_size=3).map(tuple)
                ),
                max_size=10,
            ).map(tuple),
            texts,
        ),
    ),
    st.tuples(
        st.just(Lang()),
        st.builds(
            LangListing,
            st.lists(st.tuples(tokens, texts), max_size=5).map(tuple),
            texts,
        ),
    ),
)


@given(replies)
def test_reply_round_trip(pair: tuple[Command, Reply]) -> None:
    command, reply = pair
    client = POP3Client()
    client_events(client, b"+OK hi\r\n")
    client._state = client._state.TRANSACTION  # answers are parsed the same in every state
    client.send(command)
    client.data_to_send()
    assert client_events(client, serialize_reply(reply)) == [reply]


@given(texts, st.none() | st.from_regex(r"<[a-z0-9.]{1,20}@[a-z]{1,10}>", fullmatch=True))
def test_greeting_round_trip(text: str, timestamp: str | None) -> None:
    greeting = Greeting(text, timestamp)
    client = POP3Client()
    assert client_events(client, serialize_reply(greeting)) == [greeting]


def expected_download(message: bytes) -> bytes:
    normal = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    if normal and not normal.endswith(b"\r\n"):
        normal += b"\r\n"
    return normal


def session_commands(count: int) -> list[Command]:
    commands: list[Command] = [Capa(), User("u"), Pass(Secret("p")), Stat(), List(), Uidl()]
    for n in range(1, count + 1):
        commands += [Retr(n), Top(n, 1)]
    return [*commands, Dele(1), Rset(), Quit()]


def session(messages: list[bytes], chunk: int) -> tuple[bytes, bytes, Mailbox]:
    """A scripted session; returns (client bytes, server bytes, mailbox)."""
    mailbox = Mailbox(messages, chunk=chunk)
    server = POP3Server(authenticator=PasswordAuthenticator({"u": "p"}))
    client_bytes = b"CAPA\r\nUSER u\r\nPASS p\r\nSTAT\r\nLIST\r\nUIDL\r\n"
    client_bytes += b"".join(
        b"RETR %d\r\nTOP %d 1\r\n" % (n, n) for n in range(1, len(messages) + 1)
    )
    client_bytes += b"DELE 1\r\nRSET\r\nQUIT\r\n"
    out = server.data_to_send() + pump_server(server, client_bytes, mailbox.answer)
    return client_bytes, out, mailbox


message_bytes = st.lists(
    st.sampled_from([b"a", b"b", b".", b"\r", b"\n", b"\r\n", b"\r\n.", b"\r\n.\r\n", b"..", b" "]),
    max_size=40,
).map(b"".join)


@settings(max_examples=40)
@given(st.lists(message_bytes, min_size=1, max_size=3), st.integers(1, 7), st.data())
def test_any_chunking_gives_the_same_events(
    messages: list[bytes], chunk: int, data: st.DataObject
) -> None:
    client_bytes, server_bytes, _ = session(messages, chunk)
    # the server writes the same bytes however the client's bytes are split
    cuts = sorted(data.draw(st.lists(st.integers(0, len(client_bytes)), max_size=10)))
    mailbox = Mailbox(messages)
    server = POP3Server(authenticator=PasswordAuthenticator({"u": "p"}))
    out = server.data_to_send()
    for start, end in zip([0, *cuts], [*cuts, len(client_bytes)], strict=True):
        if end > start:
            out += pump_server(server, client_bytes[start:end], mailbox.answer)
    assert out == server_bytes

    # the client gives the same events however the server's bytes are split
    def run(pieces: list[bytes]) -> list[Event]:
        client = POP3Client(pipelining=True)
        events = client_events(client, pieces[0])
        for cmd in session_commands(len(messages)):
            client.send(cmd)
        assert client.data_to_send() == client_bytes
        for piece in pieces[1:]:
            events += client_events(client, piece)
        return merge_data(events)

    whole = run(
        [
            server_bytes[: server_bytes.index(b"\n") + 1],
            server_bytes[server_bytes.index(b"\n") + 1 :],
        ]
    )
    retrieved = [e.data for e in whole if isinstance(e, MessageData)]
    expected = [part for message in messages for part in (expected_download(message), None) if part]
    # RETR gives the whole normalised message (TOP pieces are checked in the server tests)
    assert all(any(r == exp for r in retrieved) for exp in expected)
    cuts = sorted(data.draw(st.lists(st.integers(1, len(server_bytes)), max_size=10)))
    greeting_end = server_bytes.index(b"\n") + 1
    pieces = [server_bytes[:greeting_end]]
    bounds = [greeting_end, *[c for c in cuts if c > greeting_end], len(server_bytes)]
    pieces += [server_bytes[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    assert run(pieces) == whole


def _serve_retr(message: bytes, crlf_messages: bool, whole: bool) -> bytes:
    """The server's bytes for a login and one RETR, answered by send_message or three sends."""

    def answer(server: POP3Server, event: Event) -> None:
        if isinstance(event, RetrieveMessage) and whole:
            server.send_message(message)
        elif isinstance(event, RetrieveMessage):
            server.send(MessageStart())
            server.send(MessageData(message))
            server.send(MessageEnd())
        else:
            Mailbox([message]).answer(server, event)

    server = POP3Server(
        authenticator=PasswordAuthenticator({"u": "p"}), crlf_messages=crlf_messages
    )
    return pump_server(server, b"USER u\r\nPASS p\r\nRETR 1\r\nRETR 1\r\n", answer)


@given(message_bytes | st.binary(max_size=60), st.booleans())
def test_send_message_writes_what_three_sends_write(message: bytes, crlf_messages: bool) -> None:
    # send_message takes a shorter path for a RETR; the bytes must not differ.
    assert _serve_retr(message, crlf_messages, True) == _serve_retr(message, crlf_messages, False)


@given(message_bytes, st.integers(1, 9))
def test_message_round_trip(message: bytes, chunk: int) -> None:
    _, server_bytes, _ = session([message], chunk)
    client = POP3Client(pipelining=True)
    client_events(client, server_bytes[: server_bytes.index(b"\n") + 1])
    for cmd in session_commands(1):
        client.send(cmd)
    events = merge_data(client_events(client, server_bytes[server_bytes.index(b"\n") + 1 :]))
    data = [e.data for e in events if isinstance(e, MessageData)]
    assert (data[0] if data else b"") == expected_download(message)


@settings(max_examples=100)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_arbitrary_bytes_to_the_server(data: bytes, step: int) -> None:
    server = POP3Server(authenticator=PasswordAuthenticator({"u": "p"}), max_line_length=64)
    mailbox = Mailbox([b"x\r\n"])
    for start in range(0, len(data), step):
        try:
            server.receive_data(data[start : start + step])
        except RemoteProtocolError:
            return
        while not server.should_close:
            try:
                event = server.next_event()
            except RemoteProtocolError as error:
                assert isinstance(error.reply, Err)
                server.send(error.reply)
                continue
            if event is NEED_DATA:
                break
            mailbox.answer(server, event)


@settings(max_examples=100)
@given(st.binary(max_size=300), st.integers(1, 50))
def test_arbitrary_bytes_to_the_client(data: bytes, step: int) -> None:
    client = POP3Client(pipelining=True)
    client_events(client, b"+OK\r\n")
    for cmd in [Capa(), User("u"), Pass(Secret("p")), Stat(), List(), Uidl(), Retr(1), Noop()]:
        client.send(cmd)
    for start in range(0, len(data), step):
        try:
            client.receive_data(data[start : start + step])
            while client.next_event() is not NEED_DATA:
                pass
        except RemoteProtocolError as error:
            if error.fatal:
                return


transaction_commands = st.lists(
    st.one_of(
        st.builds(Dele, st.integers(1, 6)),
        st.builds(Retr, st.integers(1, 6)),
        st.builds(List, st.none() | st.integers(1, 6)),
        st.builds(Uidl, st.none() | st.integers(1, 6)),
        st.builds(Top, st.integers(1, 6), st.integers(0, 3)),
        st.sampled_from([Stat(), Rset(), Noop()]),
    ),
    max_size=25,
)


@settings(max_examples=60)
@given(
    st.lists(message_bytes.map(lambda m: b"H: x\r\n\r\n" + m), min_size=1, max_size=5),
    transaction_commands,
)
def test_server_agrees_with_a_model_maildrop(
    messages: list[bytes], commands: list[Command]
) -> None:
    """Random TRANSACTION commands: every answer is what a model of the maildrop predicts."""
    mailbox = Mailbox(messages)
    server = POP3Server(authenticator=PasswordAuthenticator({"u": "p"}))
    client = POP3Client(pipelining=True)
    client_events(client, server.data_to_send())
    client.send(User("u"))
    client.send(Pass(Secret("p")))
    client_events(client, pump_server(server, client.data_to_send(), mailbox.answer))
    deleted: set[int] = set()
    sizes = {n: len(m) for n, m in enumerate(messages, 1)}
    for command in commands:
        client.send(command)
        events = merge_data(
            client_events(client, pump_server(server, client.data_to_send(), mailbox.answer))
        )
        msg = getattr(command, "msg", None)
        if msg is not None and (msg not in sizes or msg in deleted):
            assert events == [Err(events[0].text)] and isinstance(events[0], Err)  # type: ignore[attr-defined]
            continue
        live = [n for n in sizes if n not in deleted]
        match command:
            case Dele(n):
                deleted.add(n)
                assert events == [Ok(f"message {n} deleted")]
            case Rset():
                deleted.clear()
                assert isinstance(events[0], Ok)
            case Stat():
                assert events == [StatReply(len(live), sum(sizes[n] for n in live))]
            case List(None):
                assert events[0].entries == tuple((n, sizes[n]) for n in live)  # type: ignore[attr-defined]
            case List(n):
                assert events == [ScanLine(n, sizes[n])]  # type: ignore[arg-type]
            case Uidl(None):
                assert events[0].entries == tuple((n, f"uid{n - 1}") for n in live)  # type: ignore[attr-defined]
            case Uidl(n):
                assert events == [UidLine(n, f"uid{n - 1}")]  # type: ignore[arg-type,operator]
            case Retr(n):
                assert events[1] == MessageData(expected_download(messages[n - 1]))
            case Top(n, lines):
                head, _, body = expected_download(messages[n - 1]).partition(b"\r\n\r\n")
                kept = b"".join(line + b"\r\n" for line in body.split(b"\r\n")[:-1][:lines])
                assert events[1] == MessageData(head + b"\r\n\r\n" + kept)
            case Noop():
                assert events == [Ok()]
    client.send(Quit())
    client_events(client, pump_server(server, client.data_to_send(), mailbox.answer))
    assert sorted(mailbox.deleted) == sorted(deleted)
