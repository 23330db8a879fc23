"""The client connection: holding and pipelining commands, broken servers, message framing."""

from __future__ import annotations

import pytest

from mailproto import (
    ConnectionClosed,
    ErrorKind,
    LocalProtocolError,
    RemoteProtocolError,
)
from mailproto._buffer import BareLineEndings
from mailproto.pop3 import (
    Auth,
    AuthCancel,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capability,
    Dele,
    Err,
    Greeting,
    List,
    MessageData,
    MessageEnd,
    MessageStart,
    Noop,
    Ok,
    Pass,
    POP3Client,
    Quit,
    Retr,
    ScanListing,
    Stat,
    State,
    StatReply,
    Stls,
    Uidl,
    User,
)
from mailproto.sasl import Secret

from ._helpers import client_events, merge_data


def ready(**kwargs: object) -> POP3Client:
    client = POP3Client(**kwargs)  # type: ignore[arg-type]
    assert client_events(client, b"+OK hello\r\n") == [Greeting("hello")]
    return client


def in_transaction(**kwargs: object) -> POP3Client:
    client = ready(**kwargs)
    client.send(User("u"))
    client_events(client, b"+OK\r\n")
    client.send(Pass(Secret("p")))
    client_events(client, b"+OK\r\n")
    client.data_to_send()
    assert client.state is State.TRANSACTION
    return client


def test_commands_wait_for_answers_without_pipelining() -> None:
    client = in_transaction()
    client.send(Stat())
    client.send(Noop())
    client.send(Dele(1))
    assert client.data_to_send() == b"STAT\r\n"
    assert client.outstanding == 3
    assert client_events(client, b"+OK 1 5\r\n") == [StatReply(1, 5)]
    assert client.data_to_send() == b"NOOP\r\n"
    assert client_events(client, b"+OK\r\n") == [Ok()]
    assert client.data_to_send() == b"DELE 1\r\n"


def test_commands_are_pipelined_when_offered() -> None:
    client = in_transaction()
    client.send(Capa())
    client_events(client, b"+OK\r\nPIPELINING\r\nUIDL\r\n.\r\n")
    assert client.pipelining
    client.data_to_send()
    client.send(Stat())
    client.send(Retr(1))
    client.send(Noop())
    assert client.data_to_send() == b"STAT\r\nRETR 1\r\nNOOP\r\n"
    events = client_events(client, b"+OK 1 5\r\n+OK\r\nhello\r\n.\r\n+OK\r\n")
    assert events == [
        StatReply(1, 5),
        MessageStart(),
        MessageData(b"hello\r\n"),
        MessageEnd(),
        Ok(),
    ]


def test_login_pipelining_allows_transaction_commands() -> None:
    client = ready(pipelining=True)
    client.send(User("u"))
    client.send(Pass(Secret("p")))
    client.send(Stat())
    assert client.data_to_send() == b"USER u\r\nPASS p\r\nSTAT\r\n"
    assert client_events(client, b"+OK\r\n+OK\r\n+OK 0 0\r\n") == [Ok(), Ok(), StatReply(0, 0)]


@pytest.mark.parametrize("barrier", [Stls(), Auth("PLAIN"), Quit()])
def test_barriers(barrier: object) -> None:
    client = ready(pipelining=True)
    client.send(barrier)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        client.send(Capa())


def test_state_rules() -> None:
    client = POP3Client()
    with pytest.raises(LocalProtocolError):
        client.send(User("u"))  # before the greeting
    client_events(client, b"+OK\r\n")
    with pytest.raises(LocalProtocolError):
        client.send(Retr(1))
    with pytest.raises(LocalProtocolError):
        client.send(AuthResponse(b"x"))
    with pytest.raises(LocalProtocolError):
        client.send(User("two words"))
    with pytest.raises(LocalProtocolError):
        client.send(Retr(0))
    with pytest.raises(LocalProtocolError):
        client.send(Pass(Secret("a\r\nDELE 1")))
    with pytest.raises(LocalProtocolError):
        client.send(Ok())  # type: ignore[arg-type]
    assert client.data_to_send() == b""
    assert client.outstanding == 0


def test_auth_exchange_and_cancel() -> None:
    client = ready()
    client.send(Auth("LOGIN"))
    assert client.data_to_send() == b"AUTH LOGIN\r\n"
    assert client_events(client, b"+ VXNlcm5hbWU6\r\n") == [AuthChallenge(b"Username:")]
    client.send(AuthCancel())
    assert client.data_to_send() == b"*\r\n"
    with pytest.raises(LocalProtocolError):
        client.send(AuthResponse(b"again"))
    assert client_events(client, b"-ERR cancelled\r\n") == [Err("cancelled")]
    assert client.state is State.AUTHORIZATION
    client.send(Capa())
    assert client.data_to_send() == b"CAPA\r\n"


def test_message_framing_accepts_bare_lf_and_only_crlf_dot_crlf_ends() -> None:
    client = in_transaction()
    client.send(Retr(1))
    body = b"a\nb\n.\nc\r\n..d\r\n"
    events = merge_data(client_events(client, b"+OK\r\n" + body + b".\r\n"))
    assert events == [MessageStart(), MessageData(b"a\nb\n.\nc\r\n.d\r\n"), MessageEnd()]


def test_bare_lf_can_be_rejected() -> None:
    client = in_transaction(bare_line_endings=BareLineEndings.REJECT)
    client.send(Retr(1))
    client.send(Noop())
    client.receive_data(b"+OK\r\na\nb\r\n.\r\n+OK\r\n")
    assert client.next_event() == MessageStart()
    assert client.next_event() == MessageData(b"a\nb\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.kind is ErrorKind.BARE_LINE_ENDING
    assert client.next_event() == Ok()  # the answer to NOOP, written after RETR's answer
    assert client.data_to_send().endswith(b"NOOP\r\n")


def test_message_size_limit() -> None:
    client = in_transaction(max_message_size=10)
    client.send(Retr(1))
    client.receive_data(b"+OK\r\n" + b"x" * 50 + b"\r\n.\r\n")
    assert client.next_event() == MessageStart()
    with pytest.raises(RemoteProtocolError) as info:
        while True:
            client.next_event()
    assert info.value.kind is ErrorKind.TOO_BIG


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (Stat(), b"+OK lots\r\n"),
        (Stat(), b"hello\r\n"),
        (Stat(), b"+OKAY\r\n"),
        (List(1), b"+OK 1\r\n"),
        (Uidl(1), b"+OK 1 \x01\x02\r\n"),
        (List(), b"+OK\r\n1 x\r\n.\r\n"),
        (Uidl(), b"+OK\r\n1\r\n.\r\n"),
    ],
)
def test_broken_server_answers(command: object, answer: bytes) -> None:
    client = in_transaction()
    client.send(command)  # type: ignore[arg-type]
    client.send(Noop())
    with pytest.raises(RemoteProtocolError):
        client_events(client, answer)
    # the session is still in step: the next answer belongs to NOOP
    assert client.data_to_send().endswith(b"NOOP\r\n")
    assert client_events(client, b"+OK\r\n") == [Ok()]


def test_listing_with_dot_stuffed_line() -> None:
    client = in_transaction()
    client.send(Capa())
    events = client_events(client, b"+OK\r\n..X-DOT a\r\nTOP\r\n.\r\n")
    assert events[0].capabilities == (  # type: ignore[attr-defined]
        Capability(".X-DOT", ("a",)),
        Capability("TOP"),
    )


def test_listing_limit() -> None:
    client = in_transaction(max_listing_entries=2)
    client.send(List())
    with pytest.raises(RemoteProtocolError) as info:
        client_events(client, b"+OK\r\n1 1\r\n2 2\r\n3 3\r\n.\r\n")
    assert info.value.kind is ErrorKind.TOO_BIG
    client.send(List())
    assert client_events(client, b"+OK\r\n1 1\r\n.\r\n") == [ScanListing(((1, 1),))]


def test_unsolicited_line_and_eof() -> None:
    client = in_transaction()
    with pytest.raises(RemoteProtocolError):
        client_events(client, b"-ERR autologout\r\n")
    client = in_transaction()
    client.send(Retr(1))
    client.receive_data(b"+OK\r\npartial")
    client.receive_data(b"")
    assert client.next_event() == MessageStart()
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.kind is ErrorKind.UNEXPECTED_EOF
    client = in_transaction()
    client.receive_data(b"")
    assert client.next_event() == ConnectionClosed()


def test_error_greeting_closes() -> None:
    client = POP3Client()
    assert client_events(client, b"-ERR [SYS/TEMP] try later\r\n") == [Err("try later", "SYS/TEMP")]
    assert client.should_close


def test_stls_forgets_capabilities() -> None:
    client = ready()
    client.send(Capa())
    client_events(client, b"+OK\r\nSTLS\r\n.\r\n")
    assert client.capabilities is not None
    client.send(Stls())
    client.receive_data(b"+OK go\r\ninjected")
    assert client.next_event() == Ok("go")
    event = client.next_event()
    assert event.discarded == b"injected"  # type: ignore[union-attr]
    assert client.capabilities is None
    with pytest.raises(LocalProtocolError):
        client.receive_data(b"more plaintext")


def test_overlong_status_line_counts_as_the_answer() -> None:
    client = in_transaction(max_line_length=100)
    client.send(Stat())
    client.send(Noop())
    with pytest.raises(RemoteProtocolError) as info:
        client_events(client, b"+OK " + b"9" * 300 + b"\r\n")
    assert info.value.kind is ErrorKind.LINE_TOO_LONG
    assert client.data_to_send().endswith(b"NOOP\r\n")
    assert client_events(client, b"+OK\r\n") == [Ok()]
