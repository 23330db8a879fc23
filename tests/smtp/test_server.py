"""The server's handling of sequence errors, bad input, limits and extensions."""

from __future__ import annotations

import base64

import pytest

from mailproto import (
    NEED_DATA,
    ConnectionClosed,
    ErrorKind,
    LocalProtocolError,
    RemoteProtocolError,
    StartTLS,
)
from mailproto._buffer import BareLineEndings
from mailproto.proxy import ProxyInfo
from mailproto.sasl import PasswordAuthenticator
from mailproto.smtp import (
    AuthResult,
    Bdat,
    Connected,
    Data,
    DataChunk,
    Hello,
    MailFrom,
    MessageComplete,
    Noop,
    Quit,
    RcptTo,
    Reply,
    ServerState,
    SmtpServer,
)


def greeted(**kwargs: object) -> SmtpServer:
    server = SmtpServer(hostname="mx.example", **kwargs)  # type: ignore[arg-type]
    assert server.next_event() == Connected()
    server.accept()
    assert server.data_to_send() == b"220 mx.example ESMTP ready\r\n"
    return server


def ready(**kwargs: object) -> SmtpServer:
    server = greeted(**kwargs)
    server.receive_data(b"EHLO client.example\r\n")
    assert server.next_event() == Hello("EHLO", "client.example")
    server.accept()
    server.data_to_send()
    return server


def in_rcpt(**kwargs: object) -> SmtpServer:
    server = ready(**kwargs)
    server.receive_data(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n")
    for _ in range(2):
        server.next_event()
        server.accept()
    server.data_to_send()
    return server


def error_of(server: SmtpServer, data: bytes) -> RemoteProtocolError:
    if data:
        server.receive_data(data)
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert server.awaiting_reply
    assert info.value.reply is not None
    server.send(info.value.reply)  # type: ignore[arg-type]
    return info.value


def test_ehlo_reply_lists_the_extensions() -> None:
    server = greeted()
    server.receive_data(b"EHLO client.example\r\n")
    server.next_event()
    server.accept()
    assert server.data_to_send() == (
        b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n"
        b"250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250-CHUNKING\r\n"
        b"250 BINARYMIME\r\n"
    )


def test_helo_gets_a_single_line() -> None:
    server = greeted()
    server.receive_data(b"HELO client.example\r\n")
    assert server.next_event() == Hello("HELO", "client.example")
    server.accept()
    assert server.data_to_send() == b"250 mx.example\r\n"


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"MAIL FROM:<a@b.c>\r\n", b"503 5.5.1 Send EHLO/HELO first\r\n"),
        (b"RCPT TO:<a@b.c>\r\n", b"503 5.5.1 Send EHLO/HELO first\r\n"),
        (b"DATA\r\n", b"503 5.5.1 Send EHLO/HELO first\r\n"),
        (b"FOO bar\r\n", b"500 5.5.2 Syntax error, command unrecognized\r\n"),
        (b"TURN\r\n", b"502 5.5.1 Command not implemented\r\n"),
        (b"EHLO\r\n", b"501 5.5.4 Syntax: EHLO hostname\r\n"),
        (b"QUIT now\r\n", b"501 5.5.4 Syntax: QUIT\r\n"),
        (b"VRFY\r\n", b"501 5.5.4 Syntax: VRFY string\r\n"),
        (b"EHLO \xff\xfe\r\n", b"500 5.5.2 Syntax error, invalid characters\r\n"),
        (b"STARTTLS\r\n", b"502 5.5.1 Command not implemented\r\n"),
        (b"AUTH PLAIN\r\n", b"502 5.5.1 Command not implemented\r\n"),
        (b"LHLO x\r\n", b"500 5.5.1 Syntax error, command unrecognized\r\n"),
    ],
)
def test_bad_commands_before_hello(command: bytes, reply: bytes) -> None:
    server = greeted()
    error_of(server, command)
    assert server.data_to_send() == reply
    # ... and the server is still usable.
    server.receive_data(b"NOOP\r\n")
    assert server.next_event() == Noop()
    assert server.data_to_send() == b"250 2.0.0 OK\r\n"


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"RCPT TO:<a@b.c>\r\n", b"503 5.5.1 Need MAIL command\r\n"),
        (b"DATA\r\n", b"503 5.5.1 Bad sequence of commands\r\n"),
        (b"MAIL FROM:a@b.c\r\n", b"501 5.5.4 Syntax error in MAIL address\r\n"),
        (b"MAIL FROM:<a@b.c> FOO=1\r\n", b"555 5.5.4 MAIL parameter FOO not recognized\r\n"),
        (b"MAIL FROM:<a@b.c> SIZE=x\r\n", b"501 5.5.4 Syntax error in parameters\r\n"),
        (
            b"MAIL FROM:<a@b.c> SIZE=99999999999\r\n",
            b"552 5.3.4 Message size exceeds fixed limit\r\n",
        ),
        (b"MAIL FROM:<a@b.c> BODY=9BIT\r\n", b"501 5.5.4 Syntax error in parameters\r\n"),
        (b"MAIL FROM:<a@b.c> RET=ALL\r\n", b"501 5.5.4 Syntax error in parameters\r\n"),
        (b"MAIL FROM:<a@b.c> ENVID=a+zz\r\n", b"501 5.5.4 Syntax error in parameters\r\n"),
        (
            b"MAIL FROM:<a@b.c> REQUIRETLS\r\n",
            b"555 5.5.4 MAIL parameter REQUIRETLS not recognized\r\n",
        ),
        (b"MAIL FROM:<a@b.c> ==\r\n", b"501 5.5.4 Syntax error in parameters\r\n"),
        (
            "MAIL FROM:<j\u00f6rg@b.c>\r\n".encode(),
            b"553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n",
        ),
        (b"MAIL FROM:<a@@b.c>\r\n", b"501 5.5.4 Syntax error in MAIL address\r\n"),
    ],
)
def test_bad_mail_commands(command: bytes, reply: bytes) -> None:
    server = ready()
    error_of(server, command)
    assert server.data_to_send() == reply
    assert server.state is ServerState.READY
    server.receive_data(b"MAIL FROM:<>\r\n")
    assert server.next_event() == MailFrom("")


def test_bdat_out_of_sequence_is_read_then_refused() -> None:
    server = ready()
    server.receive_data(b"BDAT 10\r\n0123456789NOOP\r\n")
    assert server.next_event() == Bdat(10)
    err = error_of(server, b"")
    assert err.kind is ErrorKind.BAD_SEQUENCE
    assert server.next_event() == Noop()
    assert server.data_to_send() == b"503 5.5.1 Bad sequence of commands\r\n250 2.0.0 OK\r\n"


def test_nested_mail_and_bad_rcpt() -> None:
    server = in_rcpt()
    error_of(server, b"MAIL FROM:<x@y.z>\r\n")
    error_of(server, b"RCPT TO:<b@example.net> NOTIFY=SOMETIMES\r\n")
    error_of(server, b"RCPT TO:<b@example.net> XFOO\r\n")
    error_of(server, b"RCPT TO:<b@example.net> ORCPT=rfc822;a+2\r\n")
    error_of(server, "RCPT TO:<\u00fc@example.net>\r\n".encode())
    assert server.data_to_send() == (
        b"503 5.5.1 Nested MAIL command\r\n"
        b"501 5.5.4 Syntax error in parameters\r\n"
        b"555 5.5.4 RCPT parameter XFOO not recognized\r\n"
        b"501 5.5.4 Syntax error in parameters\r\n"
        b"553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n"
    )
    assert server.state is ServerState.RCPT


def test_mail_parameters_are_parsed_and_checked() -> None:
    server = ready(tls_active=True)
    server.receive_data(
        "MAIL FROM:<j\u00f6rg@b.c> SMTPUTF8 BODY=8BITMIME SIZE=1000 RET=HDRS "
        "ENVID=QQ314159 REQUIRETLS\r\n".encode()
        + b"RCPT TO:<x@y.z> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+2By@y.z\r\n"
        + "RCPT TO:<\u00fc@y.z>\r\nRCPT TO:<Postmaster>\r\n".encode()
    )
    assert server.next_event() == MailFrom(
        "j\u00f6rg@b.c",
        {
            "SMTPUTF8": None,
            "BODY": "8BITMIME",
            "SIZE": "1000",
            "RET": "HDRS",
            "ENVID": "QQ314159",
            "REQUIRETLS": None,
        },
    )
    server.accept()
    assert server.next_event() == RcptTo(
        "x@y.z", {"NOTIFY": "SUCCESS,FAILURE", "ORCPT": "rfc822;x+2By@y.z"}
    )
    server.accept()
    assert server.next_event() == RcptTo("\u00fc@y.z")
    server.reject()
    assert server.next_event() == RcptTo("Postmaster")
    server.accept()
    assert server.data_to_send() == (
        b"250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 Mailbox unavailable\r\n250 2.1.5 OK\r\n"
    )
    assert [r.forward_path for r in server.recipients] == ["x@y.z", "Postmaster"]


def test_data_delivers_chunks_and_a_summary() -> None:
    server = in_rcpt()
    server.receive_data(b"DATA\r\n")
    assert server.next_event() == Data()
    server.accept()
    assert server.data_to_send() == b"354 End data with <CR><LF>.<CR><LF>\r\n"
    server.receive_data(b"Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n")
    chunk = server.next_event()
    assert chunk == DataChunk(b"Subject: x\r\n\r\n.dot\r\n")
    done = server.next_event()
    assert done == MessageComplete("a@example.org", ("b@example.net",), 20, {}, ({},))
    server.reject(451, "Try later", "4.3.0")
    assert server.next_event() == Quit()
    assert (
        server.data_to_send()
        == b"451 4.3.0 Try later\r\n221 2.0.0 mx.example closing connection\r\n"
    )
    assert server.should_close
    server.receive_data(b"")
    assert server.next_event() == ConnectionClosed()


@pytest.mark.parametrize(
    ("body", "reply"),
    [
        (
            b"bare\nLF\r\n.\r\n",
            b"554 5.6.0 Message contains bare CR or LF; lines must end with CRLF\r\n",
        ),
        (
            b"bare\rCR\r\n.\r\n",
            b"554 5.6.0 Message contains bare CR or LF; lines must end with CRLF\r\n",
        ),
        (b"x" * 1000 + b"\r\n.\r\n", b"554 5.6.0 Message has lines longer than 998 octets\r\n"),
    ],
)
def test_data_policy_errors_reject_the_whole_message(body: bytes, reply: bytes) -> None:
    server = in_rcpt()
    server.receive_data(b"DATA\r\n")
    server.next_event()
    server.accept()
    server.data_to_send()
    server.receive_data(body + b"NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        while True:
            event = server.next_event()
            assert isinstance(event, DataChunk)
    server.send(info.value.reply)  # type: ignore[arg-type]
    assert server.data_to_send() == reply
    assert server.state is ServerState.READY
    assert server.next_event() == Noop()


def test_smuggling_lf_dot_lf_does_not_end_data() -> None:
    server = in_rcpt(bare_line_endings=BareLineEndings.ACCEPT)
    server.receive_data(b"DATA\r\n")
    server.next_event()
    server.accept()
    server.receive_data(b"a\n.\nMAIL FROM:<evil@x.y>\r\n.\r\n")
    assert server.next_event() == DataChunk(b"a\n.\nMAIL FROM:<evil@x.y>\r\n")
    assert isinstance(server.next_event(), MessageComplete)


def test_message_too_big() -> None:
    server = in_rcpt(max_message_size=10)
    server.receive_data(b"DATA\r\n")
    server.next_event()
    server.accept()
    server.data_to_send()
    server.receive_data(b"0123456789abc\r\n.\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.kind is ErrorKind.TOO_BIG
    server.accept()
    assert server.data_to_send() == b"552 5.3.4 Message size exceeds fixed limit\r\n"


def test_bdat_too_big_is_read_and_refused() -> None:
    server = in_rcpt(max_message_size=10)
    server.receive_data(b"BDAT 12 LAST\r\n0123456789abNOOP\r\n")
    assert server.next_event().size == 12  # type: ignore[union-attr]
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    server.accept()
    assert server.next_event() == Noop()
    assert (
        server.data_to_send() == b"552 5.3.4 Message size exceeds fixed limit\r\n250 2.0.0 OK\r\n"
    )
    assert server.state is ServerState.READY


def test_binarymime_needs_bdat() -> None:
    server = ready()
    server.receive_data(b"MAIL FROM:<a@b.c> BODY=BINARYMIME\r\nRCPT TO:<d@e.f>\r\n")
    server.next_event()
    server.accept()
    server.next_event()
    server.accept()
    error_of(server, b"DATA\r\n")
    assert server.data_to_send().endswith(b"503 5.5.1 BINARYMIME requires BDAT\r\n")


def test_too_many_recipients() -> None:
    server = ready(max_recipients=100)
    server.receive_data(b"MAIL FROM:<a@b.c>\r\n")
    server.next_event()
    server.accept()
    for i in range(100):
        server.receive_data(b"RCPT TO:<r%d@b.c>\r\n" % i)
        server.next_event()
        server.accept()
    err = error_of(server, b"RCPT TO:<one-more@b.c>\r\n")
    assert err.kind is ErrorKind.TOO_BIG
    assert server.data_to_send().endswith(b"452 4.5.3 Too many recipients\r\n")


def test_recipient_overflow_does_not_count_as_bad_commands() -> None:
    server = ready(max_recipients=100, max_bad_commands=10)
    server.receive_data(b"MAIL FROM:<a@b.c>\r\n")
    server.next_event()
    server.accept()
    for i in range(150):
        server.receive_data(b"RCPT TO:<r%d@b.c>\r\n" % i)
        try:
            server.next_event()
        except RemoteProtocolError as exc:
            assert not exc.fatal
            server.send(exc.reply)  # type: ignore[arg-type]
        else:
            server.accept()
    out = server.data_to_send()
    assert out.count(b"452 4.5.3") == 50 and b"421" not in out
    assert len(server.recipients) == 100


def test_too_many_errors_closes() -> None:
    server = greeted(max_bad_commands=2)
    error_of(server, b"X\r\n")
    error_of(server, b"Y\r\n")
    err = error_of(server, b"Z\r\n")
    assert err.fatal and err.kind is ErrorKind.TOO_MANY_ERRORS
    assert server.data_to_send().endswith(b"421 4.7.0 mx.example too many errors, closing\r\n")
    assert server.should_close


def test_long_command_line() -> None:
    server = greeted(max_command_length=100)
    err = error_of(server, b"NOOP " + b"x" * 200 + b"\r\n")
    assert err.kind is ErrorKind.LINE_TOO_LONG
    server.receive_data(b"NOOP\r\n")
    assert server.next_event() == Noop()
    assert server.data_to_send() == b"500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n"


def test_replying_out_of_turn_is_a_local_error() -> None:
    server = greeted()
    with pytest.raises(LocalProtocolError):
        server.send(Reply(250, ("OK",)))
    server.receive_data(b"EHLO x.y\r\nNOOP\r\n")
    server.next_event()
    with pytest.raises(LocalProtocolError):
        server.next_event()  # the EHLO still needs its reply
    with pytest.raises(LocalProtocolError):
        server.send(Reply(354, ("go",)))
    with pytest.raises(LocalProtocolError):
        server.send(Reply(250, ("bad\r\ntext",)))
    with pytest.raises(LocalProtocolError):
        server.send(Reply(250, ("x",), "5.0.0"))
    assert server.awaiting_reply
    server.accept()
    assert server.next_event() == Noop()


def test_data_needs_354_not_250() -> None:
    server = in_rcpt()
    server.receive_data(b"DATA\r\n")
    server.next_event()
    with pytest.raises(LocalProtocolError):
        server.send(Reply(250, ("OK",)))
    server.send(Reply(451, ("not now",)))
    assert server.state is ServerState.RCPT


def test_greeting_refused_with_554_answers_503_until_quit() -> None:
    server = SmtpServer()
    server.next_event()
    server.reject()
    error_of(server, b"EHLO x.y\r\n")
    server.receive_data(b"QUIT\r\n")
    assert server.next_event() == Quit()
    assert server.data_to_send() == (
        b"554 localhost no service here\r\n503 5.5.1 Service refused, say QUIT\r\n"
        b"221 2.0.0 localhost closing connection\r\n"
    )


def test_starttls_discards_pipelined_plaintext() -> None:
    server = ready(starttls=True)
    server.receive_data(b"STARTTLS\r\nMAIL FROM:<injected@evil>\r\n")
    server.next_event()
    server.accept()
    assert server.next_event() == StartTLS(b"MAIL FROM:<injected@evil>\r\n")
    assert server.next_event() is NEED_DATA
    assert server.data_to_send() == b"220 2.0.0 Ready to start TLS\r\n"
    server.tls_started()
    assert server.hello is None
    error_of(server, b"MAIL FROM:<a@b.c>\r\n")
    server.receive_data(b"EHLO x.y\r\n")
    server.next_event()
    server.accept()
    out = server.data_to_send()
    assert b"STARTTLS" not in out and b"REQUIRETLS" in out


def test_starttls_refused_inside_a_transaction() -> None:
    server = in_rcpt(starttls=True)
    error_of(server, b"STARTTLS\r\n")
    assert server.data_to_send() == b"503 5.5.1 Bad sequence of commands\r\n"


def _auth_server(**kwargs: object) -> SmtpServer:
    return ready(
        authenticator=PasswordAuthenticator({"tim": "tanstaaftanstaaf"}),
        auth_mechanisms=("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"),
        **kwargs,
    )


def test_auth_needs_tls_by_default() -> None:
    server = _auth_server()
    error_of(server, b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")
    assert server.data_to_send() == b"538 5.7.11 Encryption required for authentication\r\n"


def test_auth_login_with_challenges() -> None:
    server = _auth_server(tls_active=True)
    server.receive_data(b"AUTH LOGIN\r\n")
    assert server.next_event() is NEED_DATA
    assert server.data_to_send() == b"334 VXNlcm5hbWU6\r\n"
    server.receive_data(base64.b64encode(b"tim") + b"\r\n")
    assert server.next_event() is NEED_DATA
    assert server.data_to_send() == b"334 UGFzc3dvcmQ6\r\n"
    server.receive_data(base64.b64encode(b"tanstaaftanstaaf") + b"\r\n")
    assert server.next_event() == AuthResult("LOGIN", True, "tim", "")
    server.accept()
    assert server.data_to_send() == b"235 2.7.0 Authentication successful\r\n"
    error_of(server, b"AUTH PLAIN\r\n")
    assert server.data_to_send() == b"503 5.5.1 Already authenticated\r\n"


def test_auth_failure_cancel_and_malformed() -> None:
    server = _auth_server(tls_active=True)
    server.receive_data(b"AUTH PLAIN " + base64.b64encode(b"\x00tim\x00wrong") + b"\r\n")
    result = server.next_event()
    assert isinstance(result, AuthResult) and not result.success
    server.accept()
    server.receive_data(b"AUTH LOGIN\r\n*\r\n")
    result = server.next_event()
    assert isinstance(result, AuthResult) and result.cancelled
    server.accept()
    server.receive_data(b"AUTH LOGIN\r\n!!!\r\n")
    result = server.next_event()
    assert isinstance(result, AuthResult) and not result.success
    server.accept()
    error_of(server, b"AUTH DIGEST-MD5\r\n")
    assert server.data_to_send() == (
        b"535 5.7.8 Authentication credentials invalid\r\n"
        b"334 VXNlcm5hbWU6\r\n501 5.7.0 Authentication cancelled\r\n"
        b"334 VXNlcm5hbWU6\r\n535 5.7.8 Authentication credentials invalid\r\n"
        b"504 5.5.4 Unrecognized authentication type\r\n"
    )
    assert server.authenticated is None


def test_auth_scram_against_our_client_mechanism() -> None:
    from mailproto.sasl import client_mechanism

    server = _auth_server(tls_active=True)
    mech = client_mechanism("SCRAM-SHA-256", username="tim", password="tanstaaftanstaaf")
    first = mech.initial_response()
    assert first is not None
    server.receive_data(b"AUTH SCRAM-SHA-256 " + base64.b64encode(first) + b"\r\n")
    while True:
        event = server.next_event()
        if event is not NEED_DATA:
            break
        out = server.data_to_send()
        assert out.startswith(b"334 ")
        challenge = base64.b64decode(out[4:-2])
        if mech.complete:
            mech.verify(challenge)
            server.receive_data(b"\r\n")
        else:
            server.receive_data(base64.b64encode(mech.respond(challenge)) + b"\r\n")
    assert event == AuthResult("SCRAM-SHA-256", True, "tim", "")


def test_proxy_header_comes_first() -> None:
    server = SmtpServer(proxy_protocol=True)
    assert server.state is ServerState.PROXY
    server.receive_data(b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x.y\r\n")
    info = server.next_event()
    assert isinstance(info, ProxyInfo)
    assert info.source == ("192.0.2.1", 56324)
    assert server.next_event() == Connected()
    server.accept()
    assert server.next_event() == Hello("EHLO", "x.y")


def test_bad_proxy_header_is_fatal() -> None:
    server = SmtpServer(proxy_protocol=True)
    server.receive_data(b"EHLO x.y\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.fatal


def test_eof_mid_data_is_an_error() -> None:
    server = in_rcpt()
    server.receive_data(b"DATA\r\n")
    server.next_event()
    server.accept()
    server.receive_data(b"partial")
    server.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.kind is ErrorKind.UNEXPECTED_EOF


def test_app_can_take_over_auto_replies() -> None:
    server = greeted(auto_reply=frozenset())
    server.receive_data(b"NOOP hello\r\n")
    assert server.next_event() == Noop("hello")
    assert server.awaiting_reply
    server.send(Reply(250, ("fine",), "2.0.0"))
    assert server.data_to_send() == b"250 2.0.0 fine\r\n"


def test_no_enhanced_codes_when_not_offered() -> None:
    server = ready(extensions=("PIPELINING",))
    error_of(server, b"RCPT TO:<a@b.c>\r\n")
    assert server.data_to_send() == b"503 Need MAIL command\r\n"


def test_read_timeout_is_five_minutes() -> None:
    assert SmtpServer().read_timeout == 300.0


def test_too_much_unread_input_is_answered_421_then_closed() -> None:
    server = SmtpServer(max_buffer_size=20_000)
    server.next_event()
    server.accept()
    server.data_to_send()
    with pytest.raises(RemoteProtocolError) as caught:
        server.receive_data(b"NOOP\r\n" * 5000)  # a client that never reads the replies
    error = caught.value
    assert error.kind is ErrorKind.BUFFER_FULL and error.fatal
    assert error.reply == Reply(421, ("localhost too much unread input, closing",), "4.5.0")
    assert server.awaiting_reply
    server.send(error.reply)
    assert server.data_to_send() == b"421 4.5.0 localhost too much unread input, closing\r\n"
    assert server.should_close and server.state is ServerState.CLOSED


def test_too_much_unread_input_while_a_reply_is_owed_carries_none() -> None:
    server = SmtpServer(max_buffer_size=20_000)
    server.next_event()  # Connected: its greeting is owed
    with pytest.raises(RemoteProtocolError) as caught:
        server.receive_data(b"NOOP\r\n" * 5000)
    assert caught.value.kind is ErrorKind.BUFFER_FULL and caught.value.reply is None
