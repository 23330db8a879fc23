"""The server connection: bad input, limits, state rules, SASL, TOP, pipelining."""

from __future__ import annotations

import pytest

from mailproto import (
    NEED_DATA,
    ConnectionClosed,
    ErrorKind,
    LocalProtocolError,
    RemoteProtocolError,
)
from mailproto.pop3 import (
    Err,
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    OpenMaildrop,
    POP3Server,
    RetrieveMessage,
    State,
)
from mailproto.sasl import PasswordAuthenticator, client_mechanism, decode_sasl, encode_sasl

from ._helpers import Mailbox, pump_server

MESSAGES = [
    b"Subject: a\r\nFrom: x@example.org\r\n\r\nline 1\r\nline 2\r\n.line 3\r\nline 4\r\n",
    b"Subject: b\r\n\r\nbody\r\n",
]


def new_server(**kwargs: object) -> POP3Server:
    server = POP3Server(
        authenticator=PasswordAuthenticator({"tim": "secret", "ünï": "pässword"}),
        **kwargs,  # type: ignore[arg-type]
    )
    server.data_to_send()
    return server


def logged_in(mailbox: Mailbox | None = None, **kwargs: object) -> tuple[POP3Server, Mailbox]:
    mailbox = mailbox or Mailbox(MESSAGES)
    server = new_server(**kwargs)
    out = pump_server(server, b"USER tim\r\nPASS secret\r\n", mailbox.answer)
    assert out.endswith(b"+OK tim's maildrop has 2 messages (88 octets)\r\n")
    assert server.state is State.TRANSACTION
    return server, mailbox


def errors_for(server: POP3Server, data: bytes, mailbox: Mailbox) -> list[RemoteProtocolError]:
    errors: list[RemoteProtocolError] = []
    pump_server(server, data, mailbox.answer, errors)
    return errors


@pytest.mark.parametrize(
    ("line", "reply", "kind"),
    [
        (b"FROB\r\n", b"-ERR unknown command\r\n", ErrorKind.UNKNOWN_COMMAND),
        (b"\xff\xfe\r\n", b"-ERR unknown command\r\n", ErrorKind.UNKNOWN_COMMAND),
        (b"\r\n", b"-ERR unknown command\r\n", ErrorKind.UNKNOWN_COMMAND),
        (b"RETR\r\n", b"-ERR RETR takes 1 argument\r\n", ErrorKind.BAD_PARAMETER),
        (b"RETR x\r\n", b"-ERR invalid message number\r\n", ErrorKind.BAD_PARAMETER),
        (b"RETR 0\r\n", b"-ERR invalid message number\r\n", ErrorKind.BAD_PARAMETER),
        (b"RETR -1\r\n", b"-ERR invalid message number\r\n", ErrorKind.BAD_PARAMETER),
        (b"RETR 99999999999\r\n", b"-ERR invalid message number\r\n", ErrorKind.BAD_PARAMETER),
        (b"RETR 3\r\n", b"-ERR no such message\r\n", ErrorKind.BAD_PARAMETER),
        (b"TOP 1\r\n", b"-ERR TOP takes 2 arguments\r\n", ErrorKind.BAD_PARAMETER),
        (b"TOP 1 -2\r\n", b"-ERR invalid line count\r\n", ErrorKind.BAD_PARAMETER),
        (b"LIST 1 2\r\n", b"-ERR LIST takes 0 to 1 arguments\r\n", ErrorKind.BAD_PARAMETER),
        (b"STAT 1\r\n", b"-ERR STAT takes 0 arguments\r\n", ErrorKind.BAD_PARAMETER),
        (b"USER tim\r\n", b"-ERR USER not allowed now\r\n", ErrorKind.BAD_SEQUENCE),
        (b"STLS\r\n", b"-ERR STLS not allowed now\r\n", ErrorKind.BAD_SEQUENCE),
    ],
)
def test_bad_commands_in_transaction(line: bytes, reply: bytes, kind: ErrorKind) -> None:
    server, mailbox = logged_in()
    errors = errors_for(server, line, mailbox)
    assert [e.kind for e in errors] == [kind]
    assert not errors[0].fatal
    server.receive_data(b"NOOP\r\n")
    # The reply was sent by the helper; check the bytes by replaying on a fresh server.
    server2, mailbox2 = logged_in()
    assert pump_server(server2, line + b"STAT\r\n", mailbox2.answer) == reply + b"+OK 2 88\r\n"


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (b"STAT\r\n", b"-ERR STAT not allowed now\r\n"),
        (b"RETR 1\r\n", b"-ERR RETR not allowed now\r\n"),
        (b"PASS secret\r\n", b"-ERR send USER first\r\n"),
        (b"APOP tim 0123456789abcdef0123456789abcdef\r\n", b"-ERR APOP not supported\r\n"),
        (b"APOP tim nothex\r\n", b"-ERR invalid APOP digest\r\n"),
        (b"AUTH FOOBAR\r\n", b"-ERR unsupported authentication mechanism\r\n"),
        (b"AUTH PLAIN !!!\r\n", b"-ERR invalid base64 in initial response\r\n"),
        (b"USER\r\n", b"-ERR USER takes 1 argument\r\n"),
        (b"USER \xc3\xbc\r\n", b"-ERR user name must be ASCII (send UTF8 first for UTF-8)\r\n"),
        (b"LANG\r\n", b"-ERR unknown command\r\n"),
        (b"STLS\r\n", b"-ERR STLS not available\r\n"),
    ],
)
def test_bad_commands_in_authorization(line: bytes, reply: bytes) -> None:
    server = new_server()
    out = pump_server(server, line + b"CAPA\r\n", Mailbox([]).answer)
    assert out.startswith(reply + b"+OK Capability list follows\r\n")
    assert server.state is State.AUTHORIZATION


def test_failed_logins_close_the_session() -> None:
    server = new_server(max_failed_logins=2)
    errors: list[RemoteProtocolError] = []
    out = pump_server(server, b"USER tim\r\nPASS wrong\r\n", Mailbox([]).answer, errors)
    assert out == b"+OK send PASS\r\n-ERR [AUTH] authentication failed\r\n"
    assert errors[0].kind is ErrorKind.AUTHENTICATION and not errors[0].fatal
    out = pump_server(server, b"USER tim\r\nPASS again\r\nUSER tim\r\n", Mailbox([]).answer, errors)
    assert out == b"+OK send PASS\r\n-ERR [AUTH] too many failed logins, closing\r\n"
    assert errors[1].fatal
    assert server.should_close and server.state is State.CLOSED


def test_too_many_bad_commands_close_the_session() -> None:
    server = new_server(max_errors=3)
    errors: list[RemoteProtocolError] = []
    out = pump_server(server, b"X\r\nY\r\nZ\r\nCAPA\r\n", Mailbox([]).answer, errors)
    assert out == (
        b"-ERR unknown command\r\n-ERR unknown command\r\n-ERR too many bad commands, closing\r\n"
    )
    assert errors[-1].kind is ErrorKind.TOO_MANY_ERRORS and errors[-1].fatal
    assert server.should_close


def test_long_line_is_answered_and_skipped() -> None:
    server = new_server(max_line_length=50)
    errors: list[RemoteProtocolError] = []
    out = pump_server(server, b"USER " + b"a" * 100, Mailbox([]).answer, errors)
    assert out == b"-ERR line too long\r\n"
    out = pump_server(server, b"aaaa\r\nCAPA\r\n", Mailbox([]).answer, errors)
    assert out.startswith(b"+OK Capability list follows\r\n")
    assert [e.kind for e in errors] == [ErrorKind.LINE_TOO_LONG]


def test_dropped_connection_deletes_nothing() -> None:
    server, mailbox = logged_in()
    pump_server(server, b"DELE 1\r\n", mailbox.answer)
    server.receive_data(b"")
    assert server.next_event() == ConnectionClosed()
    assert mailbox.deleted == []
    assert server.should_close


def test_rset_undoes_deletions_and_quit_deletes() -> None:
    server, mailbox = logged_in()
    out = pump_server(
        server, b"DELE 1\r\nSTAT\r\nLIST\r\nRSET\r\nDELE 2\r\nQUIT\r\n", mailbox.answer
    )
    assert out == (
        b"+OK message 1 deleted\r\n+OK 1 20\r\n+OK 1 message (20 octets)\r\n2 20\r\n.\r\n"
        b"+OK maildrop has 2 messages (88 octets)\r\n+OK message 2 deleted\r\n"
        b"+OK POP3 server signing off\r\n"
    )
    assert mailbox.deleted == [2]
    assert server.state is State.CLOSED


def test_commands_after_quit_are_ignored() -> None:
    server, mailbox = logged_in()
    out = pump_server(server, b"QUIT\r\nSTAT\r\n", mailbox.answer)
    assert out == b"+OK POP3 server signing off\r\n"
    assert server.next_event() is NEED_DATA


@pytest.mark.parametrize("chunk", [1, 3, 7, 1000])
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (0, b"Subject: a\r\nFrom: x@example.org\r\n\r\n"),
        (1, b"Subject: a\r\nFrom: x@example.org\r\n\r\nline 1\r\n"),
        (3, b"Subject: a\r\nFrom: x@example.org\r\n\r\nline 1\r\nline 2\r\n..line 3\r\n"),
        (
            99,
            b"Subject: a\r\nFrom: x@example.org\r\n\r\nline 1\r\nline 2\r\n..line 3\r\nline 4\r\n",
        ),
    ],
)
def test_top_cuts_the_body(chunk: int, lines: int, expected: bytes) -> None:
    server, mailbox = logged_in(Mailbox(MESSAGES, chunk=chunk))
    out = pump_server(server, b"TOP 1 %d\r\n" % lines, mailbox.answer)
    assert out == b"+OK\r\n" + expected + b".\r\n"


def test_top_with_bare_lf_message() -> None:
    mailbox = Mailbox([b"Subject: a\n\nline 1\nline 2\n", b"x"], chunk=2)
    server = new_server()
    pump_server(server, b"USER tim\r\nPASS secret\r\n", mailbox.answer)
    out = pump_server(server, b"TOP 1 1\r\nRETR 2\r\n", mailbox.answer)
    assert out == b"+OK\r\nSubject: a\r\n\r\nline 1\r\n.\r\n+OK 1 octets\r\nx\r\n.\r\n"


def test_top_counts_a_bare_cr_as_a_line_end() -> None:
    mailbox = Mailbox([b"H: x\r\n\r\n\ra\rb", b"H: x\r\n\r\nc\r"], chunk=1)
    server = new_server()
    pump_server(server, b"USER tim\r\nPASS secret\r\n", mailbox.answer)
    out = pump_server(server, b"TOP 1 1\r\nTOP 2 1\r\n", mailbox.answer)
    assert out == b"+OK\r\nH: x\r\n\r\n\r\n.\r\n+OK\r\nH: x\r\n\r\nc\r\n.\r\n"


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_crlf_messages_sends_the_same_bytes_for_crlf_data(chunk: int) -> None:
    answers = []
    for crlf_messages in (False, True):
        mailbox = Mailbox(MESSAGES, chunk=chunk)
        server = new_server(crlf_messages=crlf_messages)
        pump_server(server, b"USER tim\r\nPASS secret\r\n", mailbox.answer)
        answers.append(pump_server(server, b"RETR 1\r\nTOP 1 1\r\nRETR 2\r\n", mailbox.answer))
    assert answers[0] == answers[1]
    assert b"\r\n..line 3\r\n" in answers[1]


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_crlf_messages_broken_promise_cannot_end_the_answer(chunk: int) -> None:
    mailbox = Mailbox([b"a\n.\r\nb\r.\r\nc\n.", b"x"], chunk=chunk)
    server = new_server(crlf_messages=True)
    pump_server(server, b"USER tim\r\nPASS secret\r\n", mailbox.answer)
    out = pump_server(server, b"RETR 1\r\nRETR 2\r\n", mailbox.answer)
    assert out == (b"+OK 13 octets\r\na\n..\r\nb\r.\r\nc\n..\r\n.\r\n+OK 1 octets\r\nx\r\n.\r\n")


def test_pipelined_commands_are_answered_in_order() -> None:
    server, mailbox = logged_in()
    out = pump_server(server, b"STAT\r\nRETR 2\r\nNOOP\r\nUIDL 1\r\n", mailbox.answer)
    assert out == (
        b"+OK 2 88\r\n+OK 20 octets\r\nSubject: b\r\n\r\nbody\r\n.\r\n+OK\r\n+OK 1 uid0\r\n"
    )


def test_local_protocol_errors_change_nothing() -> None:
    server = new_server()
    with pytest.raises(LocalProtocolError):
        server.send(Ok())
    server.receive_data(b"USER tim\r\nPASS secret\r\n")
    event = server.next_event()
    assert event == OpenMaildrop("tim", "USER")
    with pytest.raises(LocalProtocolError):
        server.next_event()  # the login must be answered first
    with pytest.raises(LocalProtocolError):
        server.send(MessageStart())
    with pytest.raises(LocalProtocolError):
        server.send(Maildrop((1, 2), ("a",)))
    with pytest.raises(LocalProtocolError):
        server.send(Maildrop((1,)))  # UIDL offered: uids needed
    assert server.state is State.AUTHORIZATION
    server.send(Maildrop((5,), ("a",)))
    assert server.state is State.TRANSACTION
    server.receive_data(b"RETR 1\r\n")
    assert server.next_event() == RetrieveMessage(1, 5, "a", None)
    with pytest.raises(LocalProtocolError):
        server.send(MessageData(b"x"))
    server.send(MessageStart())
    with pytest.raises(LocalProtocolError):
        server.send(Ok())
    server.send(MessageData(b"hello"))
    server.send(MessageEnd())
    assert server.data_to_send().endswith(b"+OK 5 octets\r\nhello\r\n.\r\n")


def test_error_reply_must_be_err() -> None:
    server = new_server()
    server.receive_data(b"BOGUS\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    with pytest.raises(LocalProtocolError):
        server.send(Ok())
    server.send(Err("I do not know that one", "SYS/PERM"))
    assert server.data_to_send() == b"-ERR [SYS/PERM] I do not know that one\r\n"
    assert info.value.reply == Err("unknown command")


def test_err_answer_to_retrieve_and_update() -> None:
    server, _ = logged_in()
    server.receive_data(b"RETR 1\r\n")
    assert isinstance(server.next_event(), RetrieveMessage)
    server.send(Err("message is gone", "SYS/TEMP"))
    server.receive_data(b"QUIT\r\n")
    server.next_event()
    server.send(Err("some deleted messages not removed", "SYS/TEMP"))
    assert server.data_to_send() == (
        b"-ERR [SYS/TEMP] message is gone\r\n-ERR [SYS/TEMP] some deleted messages not removed\r\n"
    )
    assert server.should_close


def test_utf8_allows_utf8_user_names() -> None:
    server = new_server()
    mailbox = Mailbox([])
    out = pump_server(server, "UTF8\r\nUSER ünï\r\nPASS pässword\r\n".encode(), mailbox.answer)
    assert (
        out
        == "+OK UTF8 enabled\r\n+OK send PASS\r\n"
        "+OK ünï's maildrop has 0 messages (0 octets)\r\n".encode()
    )
    assert server.utf8 and mailbox.opened == [OpenMaildrop("ünï", "USER")]


def test_capabilities_follow_state_and_tls() -> None:
    server = new_server(tls_available=True, plaintext_without_tls=False, implementation="x")
    names = [c.name for c in server.capabilities().capabilities]
    assert "USER" not in names and "STLS" in names
    assert "PLAIN" not in server.capabilities().args("SASL")
    out = pump_server(server, b"USER tim\r\nAUTH PLAIN\r\n", Mailbox([]).answer)
    assert out == b"-ERR [AUTH] use STLS first\r\n-ERR unsupported authentication mechanism\r\n"
    server.receive_data(b"STLS\r\n")
    server.next_event()
    server.tls_started()
    caps = server.capabilities()
    assert caps.has("USER") and not caps.has("STLS") and "PLAIN" in caps.args("SASL")
    server2, _ = logged_in()
    caps2 = server2.capabilities()
    assert not caps2.has("SASL") and caps2.has("UIDL") and caps2.has("PIPELINING")


@pytest.mark.parametrize(
    "mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"]
)
def test_sasl_mechanisms(mechanism: str) -> None:
    server = new_server()
    client_mech = client_mechanism(mechanism, username="tim", password="secret")
    initial = client_mech.initial_response()
    line = b"AUTH " + mechanism.encode()
    if initial is not None:
        line += b" " + encode_sasl(initial, initial=True)
    server.receive_data(line + b"\r\n")
    event = None
    for _ in range(10):
        event = server.next_event()
        if event is not NEED_DATA:
            break
        out = server.data_to_send()
        assert out.startswith(b"+ ")
        challenge = decode_sasl(out[2:-2])
        if client_mech.complete:
            client_mech.verify(challenge)
            server.receive_data(b"\r\n")
        else:
            response = client_mech.respond(challenge)
            server.receive_data(encode_sasl(response) + b"\r\n")
    assert event == OpenMaildrop("tim", "AUTH")


def test_sasl_failure_and_cancel() -> None:
    server = new_server()
    bad = encode_sasl(b"\x00tim\x00wrong", initial=True)
    errors: list[RemoteProtocolError] = []
    out = pump_server(server, b"AUTH PLAIN " + bad + b"\r\n", Mailbox([]).answer, errors)
    assert out == b"-ERR [AUTH] authentication failed\r\n"
    out = pump_server(server, b"AUTH LOGIN\r\n*\r\n", Mailbox([]).answer, errors)
    assert out.endswith(b"-ERR authentication cancelled\r\n")
    out = pump_server(server, b"AUTH LOGIN\r\n!!\r\nCAPA\r\n", Mailbox([]).answer, errors)
    assert b"-ERR [AUTH] authentication failed\r\n+OK Capability" in out
    assert server.state is State.AUTHORIZATION


def test_apop_wrong_digest() -> None:
    server = new_server(apop_timestamp="<1.2@host>")
    errors: list[RemoteProtocolError] = []
    out = pump_server(
        server, b"APOP tim 0123456789abcdef0123456789abcdef\r\n", Mailbox([]).answer, errors
    )
    assert out == b"-ERR [AUTH] authentication failed\r\n"
    out = pump_server(
        server, b"APOP nobody 0123456789abcdef0123456789abcdef\r\n", Mailbox([]).answer, errors
    )
    assert out == b"-ERR [AUTH] authentication failed\r\n"


def test_eof_mid_line_is_an_error() -> None:
    server = new_server()
    server.receive_data(b"USE")
    server.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.kind is ErrorKind.UNEXPECTED_EOF


def test_application_checks_user_pass_without_authenticator() -> None:
    server = POP3Server(max_failed_logins=2)
    server.data_to_send()
    assert not server.capabilities().has("SASL")

    def answer(srv: POP3Server, event: object) -> None:
        assert isinstance(event, OpenMaildrop) and event.mechanism == "USER"
        assert not event.verified and repr(event.password) == "Secret('***')"
        if event.check_password("secret"):
            srv.send(Maildrop((), ()))
        else:
            srv.send(Err("wrong password", "AUTH"))

    out = pump_server(server, b"USER tim\r\nPASS nope\r\n", answer)
    assert out == b"+OK send PASS\r\n-ERR [AUTH] wrong password\r\n"
    assert not server.should_close
    out = pump_server(server, b"USER tim\r\nPASS secret\r\n", answer)
    assert out.endswith(b"+OK tim's maildrop has 0 messages (0 octets)\r\n")
    assert server.state is State.TRANSACTION
    # a second failure closes a session whose limit is two
    server = POP3Server(max_failed_logins=2)
    pump_server(server, b"USER a\r\nPASS b\r\nUSER a\r\nPASS b\r\n", answer)
    assert server.should_close


def test_too_much_unread_input_is_answered_then_closed() -> None:
    server = POP3Server(max_buffer_size=20_000)
    server.data_to_send()
    with pytest.raises(RemoteProtocolError) as caught:
        server.receive_data(b"NOOP\r\n" * 5000)  # a client that never reads the answers
    error = caught.value
    assert error.kind is ErrorKind.BUFFER_FULL and error.fatal
    assert error.reply == Err("too much unread input, closing", "SYS/TEMP")
    server.send(error.reply)
    assert server.data_to_send() == b"-ERR [SYS/TEMP] too much unread input, closing\r\n"
    assert server.should_close and server.state is State.CLOSED
