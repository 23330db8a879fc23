"""The client's sequencing, release of queued bytes, reply parsing and refusals."""

from __future__ import annotations

import pytest

from mailproto import (
    NEED_DATA,
    ConnectionClosed,
    ErrorKind,
    LocalProtocolError,
    RemoteProtocolError,
    StartTLS,
)
from mailproto.smtp import (
    Auth,
    AuthResponse,
    Bdat,
    ClientState,
    Data,
    DataChunk,
    EndOfData,
    Hello,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Reset,
    SmtpClient,
    StartTLSCommand,
)

from ._dialogue import drain

EHLO_PIPELINING = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 CHUNKING\r\n"


def greeted(ehlo: bytes = EHLO_PIPELINING, **kwargs: object) -> SmtpClient:
    client = SmtpClient(**kwargs)  # type: ignore[arg-type]
    assert client.state is ClientState.GREETING
    client.send(Hello("EHLO", "client.example"))
    assert client.data_to_send() == b""  # nothing before the greeting
    client.receive_data(b"220 mx.example ESMTP\r\n")
    assert drain(client) == [Reply(220, ("mx.example ESMTP",))]
    assert client.data_to_send() == b"EHLO client.example\r\n"
    client.receive_data(ehlo)
    drain(client)
    assert client.state is ClientState.READY
    return client


def test_extensions_and_size() -> None:
    client = greeted()
    assert client.extensions == {"PIPELINING": "", "SIZE": "1000", "CHUNKING": ""}
    assert client.pipelining and client.max_message_size == 1000
    assert client.supports("chunking") and not client.supports("STARTTLS")


def test_legacy_auth_keyword() -> None:
    client = greeted(b"250-mx.example\r\n250-AUTH=LOGIN PLAIN\r\n250 8BITMIME\r\n")
    assert client.extensions == {"AUTH": "LOGIN PLAIN", "8BITMIME": ""}
    client = greeted(b"250-mx.example\r\n250-AUTH PLAIN\r\n250 AUTH=LOGIN\r\n")
    assert client.extensions == {"AUTH": "PLAIN"}


def test_helo_fallback() -> None:
    client = SmtpClient()
    client.send(Hello("EHLO", "client.example"))
    client.receive_data(b"220 old.example\r\n")
    drain(client)
    client.data_to_send()
    client.receive_data(b"500 Command unrecognized\r\n")
    assert drain(client) == []
    assert client.ehlo_reply == Reply(500, ("Command unrecognized",))
    assert client.data_to_send() == b"HELO client.example\r\n"
    client.receive_data(b"250 old.example\r\n")
    assert drain(client) == [Reply(250, ("old.example",))]
    assert client.extensions == {} and not client.pipelining
    client.send(MailFrom("a@b.c"))
    assert client.data_to_send() == b"MAIL FROM:<a@b.c>\r\n"


def test_without_pipelining_commands_wait_for_replies() -> None:
    client = greeted(b"250 mx.example\r\n")
    client.send(MailFrom("a@b.c"))
    client.send(RcptTo("d@e.f"))
    assert client.data_to_send() == b"MAIL FROM:<a@b.c>\r\n"
    client.receive_data(b"250 2.1.0 OK\r\n")
    assert drain(client) == [Reply(250, ("OK",), "2.1.0")]
    assert client.data_to_send() == b"RCPT TO:<d@e.f>\r\n"


def test_pipelining_disabled_by_option() -> None:
    client = greeted(pipelining=False)
    client.send(MailFrom("a@b.c"))
    client.send(RcptTo("d@e.f"))
    assert client.data_to_send() == b"MAIL FROM:<a@b.c>\r\n"


def test_data_refused_drops_queued_and_later_content() -> None:
    client = greeted()
    for event in (MailFrom("a@b.c"), RcptTo("d@e.f"), Data(), DataChunk(b"one\r\n")):
        client.send(event)
    assert client.data_to_send() == b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
    client.receive_data(b"250 OK\r\n550 no\r\n554 No valid recipients\r\n")
    assert [r.code for r in drain(client)] == [250, 550, 554]  # type: ignore[attr-defined]
    client.send(DataChunk(b"two\r\n"))
    client.send(EndOfData())
    client.send(Reset())
    assert client.data_to_send() == b"RSET\r\n"
    assert client.state is ClientState.READY


def test_after_a_refused_data_the_next_command_ends_the_message() -> None:
    client = greeted()
    for event in (MailFrom("a@b.c"), RcptTo("d@e.f"), Data()):
        client.send(event)
    client.data_to_send()
    client.receive_data(b"250 OK\r\n250 OK\r\n451 4.3.0 not now\r\n")
    drain(client)
    assert client.state is ClientState.DATA
    client.send(DataChunk(b"dropped\r\n"))
    client.send(Reset())
    assert client.data_to_send() == b"RSET\r\n"
    assert client.state is ClientState.READY


def test_data_is_dot_stuffed_and_released_after_354() -> None:
    client = greeted()
    for event in (MailFrom("a@b.c"), RcptTo("d@e.f"), Data(), DataChunk(b".hidden\n.\nend")):
        client.send(event)
    client.data_to_send()
    client.send(EndOfData())
    assert client.data_to_send() == b""
    client.receive_data(b"250 OK\r\n250 OK\r\n354 go\r\n")
    drain(client)
    assert client.data_to_send() == b"..hidden\r\n..\r\nend\r\n.\r\n"
    assert client.read_timeout == 600.0
    client.receive_data(b"250 queued\r\n")
    assert drain(client) == [Reply(250, ("queued",))]


def test_bdat_chunks_must_match_their_size() -> None:
    client = greeted()
    client.send(MailFrom("a@b.c"))
    client.send(RcptTo("d@e.f"))
    client.send(Bdat(5, last=True))
    with pytest.raises(LocalProtocolError):
        client.send(DataChunk(b"123456"))
    with pytest.raises(LocalProtocolError):
        client.send(Quit())  # in the middle of a chunk
    client.send(DataChunk(b"123"))
    client.send(DataChunk(b"45"))
    client.send(Quit())
    assert client.data_to_send() == (
        b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 5 LAST\r\n12345QUIT\r\n"
    )


def test_bdat_is_never_written_to_a_server_without_chunking() -> None:
    client = greeted(b"250 mx.example\r\n")
    client.send(MailFrom("a@b.c"))
    client.send(RcptTo("d@e.f"))
    with pytest.raises(LocalProtocolError):
        client.send(Bdat(4, last=True))
    # Sent before the EHLO reply was known: dropped when it turns out CHUNKING is missing.
    client = SmtpClient()
    for event in (Hello("EHLO", "c.example"), MailFrom("a@b.c"), RcptTo("d@e.f"), Bdat(8)):
        client.send(event)
    client.send(DataChunk(b"RSET\r\n"))
    client.receive_data(b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n")
    assert client.next_event() == Reply(220, ("mx",))
    assert client.next_event() == Reply(250, ("mx", "PIPELINING"))
    with pytest.raises(LocalProtocolError):
        client.next_event()
    assert client.next_event() is NEED_DATA
    client.send(DataChunk(b"QU"))  # the rest of the dropped chunk is dropped too
    assert client.data_to_send() == b"EHLO c.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n"


@pytest.mark.parametrize(
    "event",
    [
        RcptTo("a@b.c"),
        Data(),
        EndOfData(),
        DataChunk(b"x"),
        Reply(250),
        AuthResponse(b"x"),
        MailFrom("not an address"),
        MailFrom("a@b.c", {"BAD KEY": None}),
        MailFrom("a@b.c", {"SIZE": "has space"}),
        Hello("EHLO", "bad domain"),
        Noop("line\r\nbreak"),
        Hello("LHLO", "x.y"),
        Auth("bad mech!"),
    ],
)
def test_invalid_sends_raise_and_change_nothing(event: object) -> None:
    client = greeted()
    with pytest.raises(LocalProtocolError):
        client.send(event)  # type: ignore[arg-type]
    assert client.state is ClientState.READY
    assert client.data_to_send() == b""


def test_mail_before_hello_is_refused() -> None:
    client = SmtpClient()
    with pytest.raises(LocalProtocolError):
        client.send(MailFrom("a@b.c"))


def test_starttls_after_a_pipelined_burst_discards_exactly_what_follows_220() -> None:
    """Replies to pipelined RCPTs are taken from the buffer in bulk, but never past them."""
    client = greeted(b"250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
    client.send(MailFrom("a@example.org"))
    for name in ("b", "c", "d"):
        client.send(RcptTo(f"{name}@example.net"))
    client.send(Reset())
    client.send(StartTLSCommand())
    assert client.data_to_send().count(b"\r\n") == 6
    client.receive_data(
        b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n250-2.1.5 ok\r\n250 2.1.5 too\r\n250 2.1.5 ok\r\n"
        b"250 2.0.0 reset\r\n220 go\r\n250 injected\n250-x\r\n"
    )
    events = drain(client)
    assert [type(event) for event in events] == [Reply] * 6 + [StartTLS]
    assert events[2] == Reply(250, ("ok", "too"), "2.1.5")
    assert events[-1] == StartTLS(b"250 injected\n250-x\r\n")


def test_starttls_blocks_sends_and_discards_what_follows_220() -> None:
    client = greeted(b"250-mx.example\r\n250 STARTTLS\r\n")
    client.send(StartTLSCommand())
    with pytest.raises(LocalProtocolError):
        client.send(Noop())
    assert client.data_to_send() == b"STARTTLS\r\n"
    client.receive_data(b"220 go ahead\r\n250 injected\r\n")
    assert drain(client) == [Reply(220, ("go ahead",)), StartTLS(b"250 injected\r\n")]
    assert client.state is ClientState.STARTTLS
    client.tls_started()
    assert client.state is ClientState.HELLO and client.extensions == {}
    client.send(Hello("EHLO", "client.example"))
    assert client.data_to_send() == b"EHLO client.example\r\n"


def test_multiline_reply_with_enhanced_codes() -> None:
    client = greeted()
    client.send(Noop())
    client.receive_data(b"250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0\r\n")
    assert drain(client) == [Reply(250, ("first", "second", ""), "2.0.0")]


@pytest.mark.parametrize(
    "data",
    [
        b"25 short\r\n",
        b"abc text\r\n",
        b"250-one\r\n251 two\r\n",
        b"650 bad class\r\n",
        b"250_x\r\n",
    ],
)
def test_malformed_replies_are_fatal_remote_errors(data: bytes) -> None:
    client = greeted()
    client.send(Noop())
    client.receive_data(data)
    with pytest.raises(RemoteProtocolError) as info:
        drain(client)
    assert info.value.fatal


def test_unsolicited_reply_is_an_error_but_421_closes() -> None:
    client = greeted()
    client.receive_data(b"250 what?\r\n")
    with pytest.raises(RemoteProtocolError):
        drain(client)
    client = greeted()
    client.receive_data(b"421 4.3.2 shutting down\r\n")
    assert drain(client) == [Reply(421, ("shutting down",), "4.3.2")]
    assert client.should_close and client.state is ClientState.CLOSED


def test_eof_with_replies_outstanding() -> None:
    client = greeted()
    client.send(Noop())
    client.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.kind is ErrorKind.UNEXPECTED_EOF


def test_quit_then_close() -> None:
    client = greeted()
    client.send(Quit())
    client.receive_data(b"221 bye\r\n")
    assert drain(client) == [Reply(221, ("bye",))]
    assert client.should_close
    client.receive_data(b"")
    assert client.next_event() == ConnectionClosed()


def test_greeting_refused() -> None:
    client = SmtpClient()
    client.receive_data(b"554 no service\r\n")
    assert drain(client) == [Reply(554, ("no service",))]
    assert client.should_close


def test_manual_auth_exchange() -> None:
    client = greeted(b"250-mx.example\r\n250 AUTH LOGIN\r\n")
    client.send(Auth("LOGIN"))
    with pytest.raises(LocalProtocolError):
        client.send(AuthResponse(b"early"))
    assert client.data_to_send() == b"AUTH LOGIN\r\n"
    client.receive_data(b"334 VXNlcm5hbWU6\r\n")
    assert drain(client) == [Reply(334, ("VXNlcm5hbWU6",))]
    client.send(AuthResponse(b"tim"))
    assert client.data_to_send() == b"dGlt\r\n"
    client.receive_data(b"334 UGFzc3dvcmQ6\r\n")
    drain(client)
    client.send(AuthResponse(cancel=True))
    assert client.data_to_send() == b"*\r\n"
    client.receive_data(b"501 5.7.0 cancelled\r\n")
    assert drain(client) == [Reply(501, ("cancelled",), "5.7.0")]
    assert client.state is ClientState.READY


def test_read_timeouts_follow_rfc5321() -> None:
    client = SmtpClient()
    assert client.read_timeout == 300.0
    client = greeted()
    client.send(MailFrom("a@b.c"))
    assert client.read_timeout == 300.0
    client.send(RcptTo("a@b.c"))
    client.send(Data())
    client.receive_data(b"250 ok\r\n250 ok\r\n")
    drain(client)
    assert client.read_timeout == 120.0
    assert client.next_event() is NEED_DATA


def test_reply_lines_with_bare_lf_and_a_partial_line() -> None:
    client = greeted()
    client.send(Noop())
    client.send(Noop())
    client.receive_data(b"250 one\n250-two")
    assert drain(client) == [Reply(250, ("one",))]
    client.receive_data(b"\r\n250 three\r\n")
    assert drain(client) == [Reply(250, ("two", "three"))]


def test_starttls_discards_exactly_the_bytes_after_the_220() -> None:
    client = greeted(b"250-mx.example\r\n250 STARTTLS\r\n")
    client.send(StartTLSCommand())
    client.receive_data(b"220 go\r\n250 a\n250-b\r\n250 c")
    assert drain(client) == [Reply(220, ("go",)), StartTLS(b"250 a\n250-b\r\n250 c")]


def test_overlong_reply_line_is_fatal() -> None:
    client = SmtpClient(max_reply_line_length=20)
    client.receive_data(b"220 " + b"x" * 30 + b"\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.fatal and info.value.kind is ErrorKind.LINE_TOO_LONG
    client = SmtpClient(max_reply_line_length=20)
    client.receive_data(b"220 " + b"x" * 30)  # not even finished
    with pytest.raises(RemoteProtocolError):
        client.next_event()


def test_eof_in_the_middle_of_a_reply_line() -> None:
    client = greeted()
    client.send(Quit())
    client.receive_data(b"221 by")
    assert client.next_event() is NEED_DATA
    client.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.kind is ErrorKind.UNEXPECTED_EOF
