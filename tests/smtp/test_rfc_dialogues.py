"""The dialogues printed in RFC 5321 Appendix D, RFC 2920, RFC 3030, RFC 2033, RFC 3207 and
RFC 4954, byte for byte, on both sides."""

from __future__ import annotations

import pytest

from mailproto import ErrorKind, RemoteProtocolError, StartTLS
from mailproto.sasl import PasswordAuthenticator
from mailproto.smtp import (
    AuthResult,
    Bdat,
    ChunkComplete,
    Connected,
    Data,
    DataChunk,
    EndOfData,
    Hello,
    LmtpClient,
    LmtpServer,
    MailFrom,
    MessageComplete,
    Quit,
    RcptTo,
    Reply,
    Reset,
    SmtpClient,
    SmtpServer,
    StartTLSCommand,
    Verify,
)

from ._dialogue import replies_of, run_client, run_server, transcript

CHUNKINGS = [None, 1, 7]

# -- RFC 5321 Appendix D ------------------------------------------------------------------------

D1 = """\
S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250 HELP
C: MAIL FROM:<Smith@bar.com>
S: 250 OK
C: RCPT TO:<Jones@foo.com>
S: 250 OK
C: RCPT TO:<Green@foo.com>
S: 550 No such user here
C: RCPT TO:<Brown@foo.com>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel
"""
# The wire line "...etc. etc. etc." is dot-stuffed: the content has one dot less.
D1_BODY = b"Blah blah blah...\r\n..etc. etc. etc.\r\n"


def _server(**kwargs: object) -> SmtpServer:
    kwargs.setdefault("auto_reply", frozenset())
    kwargs.setdefault("hostname", "foo.com")
    return SmtpServer(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_d1_server(chunk: int | None) -> None:
    events = run_server(_server(), transcript(D1), chunk=chunk)
    commands = [e for e in events if not isinstance(e, DataChunk)]
    assert commands == [
        Connected(),
        Hello("EHLO", "bar.com"),
        MailFrom("Smith@bar.com"),
        RcptTo("Jones@foo.com"),
        RcptTo("Green@foo.com"),
        RcptTo("Brown@foo.com"),
        Data(),
        MessageComplete(
            "Smith@bar.com", ("Jones@foo.com", "Brown@foo.com"), len(D1_BODY), {}, ({}, {})
        ),
        Quit(),
    ]
    assert b"".join(e.data for e in events if isinstance(e, DataChunk)) == D1_BODY


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_d1_client(chunk: int | None) -> None:
    client = SmtpClient()
    events = run_client(
        client,
        transcript(D1),
        [
            Hello("EHLO", "bar.com"),
            MailFrom("Smith@bar.com"),
            RcptTo("Jones@foo.com"),
            RcptTo("Green@foo.com"),
            RcptTo("Brown@foo.com"),
            Data(),
            DataChunk(D1_BODY),
            EndOfData(),
            Quit(),
        ],
        chunk=chunk,
    )
    assert events == [
        Reply(220, ("foo.com Simple Mail Transfer Service Ready",)),
        Reply(250, ("foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP")),
        Reply(250, ("OK",)),
        Reply(250, ("OK",)),
        Reply(550, ("No such user here",)),
        Reply(250, ("OK",)),
        Reply(354, ("Start mail input; end with <CRLF>.<CRLF>",)),
        Reply(250, ("OK",)),
        Reply(221, ("foo.com Service closing transmission channel",)),
    ]
    assert client.extensions == {"8BITMIME": "", "SIZE": "", "DSN": "", "HELP": ""}
    assert not client.pipelining
    assert client.should_close


D2 = """\
S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250 HELP
C: MAIL FROM:<Smith@bar.com>
S: 250 OK
C: RCPT TO:<Jones@foo.com>
S: 250 OK
C: RCPT TO:<Green@foo.com>
S: 550 No such user here
C: RSET
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel
"""


def test_d2_aborted_transaction_both_sides() -> None:
    server = _server()
    events = run_server(server, transcript(D2))
    assert Reset() in events
    assert server.mail_from is None
    client = SmtpClient()
    replies = run_client(
        client,
        transcript(D2),
        [
            Hello("EHLO", "bar.com"),
            MailFrom("Smith@bar.com"),
            RcptTo("Jones@foo.com"),
            RcptTo("Green@foo.com"),
            Reset(),
            Quit(),
        ],
    )
    assert [r.code for r in replies if isinstance(r, Reply)] == [220, 250, 250, 250, 550, 250, 221]


D3_STEP1 = """\
S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250 HELP
C: MAIL FROM:<JQP@bar.com>
S: 250 OK
C: RCPT TO:<@foo.com:Jones@XYZ.COM>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Date: Thu, 21 May 1998 05:33:29 -0700
C: From: John Q. Public <JQP@bar.com>
C: Subject: The Next Meeting of the Board
C: To: Jones@xyz.com
C:
C: Bill:
C: The next meeting of the board of directors will be
C: on Tuesday.
C:                                              John.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel
"""


def test_d3_relay_source_route_is_dropped() -> None:
    events = run_server(_server(), transcript(D3_STEP1))
    assert RcptTo("Jones@XYZ.COM") in events
    body = b"".join(e.data for e in events if isinstance(e, DataChunk))
    assert body.startswith(b"Date: Thu, 21 May 1998") and body.endswith(b"John.\r\n")


D4 = """\
S: 220 foo.com Simple Mail Transfer Service Ready
C: EHLO bar.com
S: 250-foo.com greets bar.com
S: 250-8BITMIME
S: 250-SIZE
S: 250-DSN
S: 250-VRFY
S: 250 HELP
C: VRFY Crispin
S: 250 Mark Crispin <Admin.MRC@foo.com>
C: MAIL FROM:<EAK@bar.com>
S: 250 OK
C: RCPT TO:<Admin.MRC@foo.com>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
S: 250 OK
C: QUIT
S: 221 foo.com Service closing transmission channel
"""


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_d4_verify_then_send_both_sides(chunk: int | None) -> None:
    events = run_server(_server(), transcript(D4), chunk=chunk)
    assert Verify("Crispin") in events
    run_client(
        SmtpClient(),
        transcript(D4),
        [
            Hello("EHLO", "bar.com"),
            Verify("Crispin"),
            MailFrom("EAK@bar.com"),
            RcptTo("Admin.MRC@foo.com"),
            Data(),
            DataChunk(D1_BODY),
            EndOfData(),
            Quit(),
        ],
        chunk=chunk,
    )


# -- RFC 2920 -----------------------------------------------------------------------------------

PIPELINED = """\
S: 220 innosoft.com SMTP service ready
C: EHLO dbc.mtview.ca.us
S: 250-innosoft.com
S: 250 PIPELINING
C: MAIL FROM:<mrose@dbc.mtview.ca.us>
C: RCPT TO:<ned@innosoft.com>
C: RCPT TO:<dan@innosoft.com>
C: RCPT TO:<kvc@innosoft.com>
C: DATA
S: 250 sender <mrose@dbc.mtview.ca.us> OK
S: 250 recipient <ned@innosoft.com> OK
S: 250 recipient <dan@innosoft.com> OK
S: 250 recipient <kvc@innosoft.com> OK
S: 354 enter mail, end with line containing only "."
C: Hello.
C: .
C: QUIT
S: 250 message sent
S: 221 goodbye
"""

PIPELINED_ALL_REJECTED = """\
S: 220 innosoft.com SMTP service ready
C: EHLO dbc.mtview.ca.us
S: 250-innosoft.com
S: 250 PIPELINING
C: MAIL FROM:<mrose@dbc.mtview.ca.us>
C: RCPT TO:<nsb@thumper.bellcore.com>
C: RCPT TO:<galvin@tis.com>
C: DATA
S: 250 sender <mrose@dbc.mtview.ca.us> OK
S: 550 remote mail to <nsb@thumper.bellore.com> not allowed
S: 550 remote mail to <galvin@tis.com> not allowed
S: 554 no valid recipients given
C: QUIT
S: 221 goodbye
"""


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_rfc2920_pipelined_client(chunk: int | None) -> None:
    client = SmtpClient()
    events = run_client(
        client,
        transcript(PIPELINED),
        [
            Hello("EHLO", "dbc.mtview.ca.us"),
            MailFrom("mrose@dbc.mtview.ca.us"),
            RcptTo("ned@innosoft.com"),
            RcptTo("dan@innosoft.com"),
            RcptTo("kvc@innosoft.com"),
            Data(),
            DataChunk(b"Hello.\r\n"),
            EndOfData(),
            Quit(),
        ],
        chunk=chunk,
    )
    assert client.pipelining
    assert [e.code for e in events if isinstance(e, Reply)] == [
        220,
        250,
        250,
        250,
        250,
        250,
        354,
        250,
        221,
    ]


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_rfc2920_pipelined_server(chunk: int | None) -> None:
    events = run_server(_server(extensions=("PIPELINING",)), transcript(PIPELINED), chunk=chunk)
    assert events[-1] == Quit()


def test_rfc2920_all_recipients_rejected_client_drops_the_message() -> None:
    client = SmtpClient()
    events = run_client(
        client,
        transcript(PIPELINED_ALL_REJECTED),
        [
            Hello("EHLO", "dbc.mtview.ca.us"),
            MailFrom("mrose@dbc.mtview.ca.us"),
            RcptTo("nsb@thumper.bellcore.com"),
            RcptTo("galvin@tis.com"),
            Data(),
            DataChunk(b"never sent\r\n"),
            EndOfData(),
            Quit(),
        ],
    )
    assert [e.code for e in events if isinstance(e, Reply)] == [220, 250, 250, 550, 550, 554, 221]


def test_rfc2920_all_recipients_rejected_server_answers_data_itself() -> None:
    """The server refuses DATA without accepted recipients with 554 on its own: the
    RemoteProtocolError carries it, and the application sends it (here with the RFC's text)."""
    steps = transcript(PIPELINED_ALL_REJECTED)
    server = _server(extensions=("PIPELINING",))
    errors: list[RemoteProtocolError] = []
    original = server.next_event

    def next_event() -> object:
        try:
            return original()
        except RemoteProtocolError as exc:
            errors.append(exc)
            server.send(Reply(554, ("no valid recipients given",)))
            return original()

    server.next_event = next_event  # type: ignore[method-assign]
    replies = [r for s in steps if s.side == "S" for r in replies_of(s.data)]
    replies.remove(Reply(554, ("no valid recipients given",)))
    events = run_server(server, steps, replies=replies)
    assert Data() not in events
    assert [e.reply for e in errors] == [Reply(554, ("No valid recipients",))]
    assert errors[0].kind is ErrorKind.BAD_SEQUENCE


# -- RFC 3030 -----------------------------------------------------------------------------------

BDAT_SIMPLE = """\
S: 220 cnri.reston.va.us SMTP service ready
C: EHLO ymir.claremont.edu
S: 250-cnri.reston.va.us says hello
S: 250 CHUNKING
C: MAIL FROM:<Sam@Random.com>
S: 250 <Sam@Random.com>... Sender ok
C: RCPT TO:<Susan@Random.com>
S: 250 <Susan@random.com>... Recipient ok
C: BDAT 86 LAST
C: To: Susan@random.com
C: From: Sam@random.com
C: Subject: This is a bodyless test message
S: 250 Message OK, 86 octets received
C: QUIT
S: 221 Goodbye
"""
BDAT_BODY = (
    b"To: Susan@random.com\r\nFrom: Sam@random.com\r\nSubject: This is a bodyless test message\r\n"
)


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_rfc3030_bdat_both_sides(chunk: int | None) -> None:
    assert len(BDAT_BODY) == 86
    events = run_server(_server(extensions=("CHUNKING",)), transcript(BDAT_SIMPLE), chunk=chunk)
    assert Bdat(86, last=True) in events
    assert b"".join(e.data for e in events if isinstance(e, DataChunk)) == BDAT_BODY
    complete = [e for e in events if isinstance(e, MessageComplete)]
    assert complete == [MessageComplete("Sam@Random.com", ("Susan@Random.com",), 86, {}, ({},))]
    run_client(
        SmtpClient(),
        transcript(BDAT_SIMPLE),
        [
            Hello("EHLO", "ymir.claremont.edu"),
            MailFrom("Sam@Random.com"),
            RcptTo("Susan@Random.com"),
            Bdat(86, last=True),
            DataChunk(BDAT_BODY),
            Quit(),
        ],
        chunk=chunk,
    )


BINARYMIME_PIPELINED = """\
S: 220 cnri.reston.va.us SMTP service ready
C: EHLO ymir.claremont.edu
S: 250-cnri.reston.va.us says hello
S: 250-PIPELINING
S: 250-BINARYMIME
S: 250 CHUNKING
C: MAIL FROM:<ned@ymir.claremont.edu> BODY=BINARYMIME
C: RCPT TO:<gvaudre@cnri.reston.va.us>
C: RCPT TO:<jstewart@cnri.reston.va.us>
C: BDAT 100000
C: {first}
C: BDAT 324
C: {second}
C: BDAT 0 LAST
S: 250 <ned@YMIR.CLAREMONT.EDU>... Sender and BINARYMIME ok
S: 250 <gvaudre@CNRI.RESTON.VA.US>... Recipient ok
S: 250 <jstewart@CNRI.RESTON.VA.US>... Recipient ok
S: 250 100000 bytes received
S: 250 324 bytes received
S: 250 Message OK, 100324 bytes received
C: QUIT
S: 221 Goodbye
"""


def _binary_chunks() -> tuple[str, str]:
    # Printable stand-ins for the RFC's "(First 100000 octets ...)"; each C: line adds CRLF.
    return "x" * 99998, "\x00y" * 161


@pytest.mark.parametrize("chunk", [None, 4096])
def test_rfc3030_pipelined_binarymime_both_sides(chunk: int | None) -> None:
    first, second = _binary_chunks()
    text = BINARYMIME_PIPELINED.replace("{first}", first).replace("{second}", second)
    one = first.encode() + b"\r\n"
    two = second.encode() + b"\r\n"
    assert (len(one), len(two)) == (100000, 324)
    server = _server(extensions=("PIPELINING", "BINARYMIME", "CHUNKING"))
    events = run_server(server, transcript(text), chunk=chunk)
    assert [e for e in events if isinstance(e, ChunkComplete)] == [
        ChunkComplete(100000),
        ChunkComplete(324),
    ]
    assert b"".join(e.data for e in events if isinstance(e, DataChunk)) == one + two
    assert [e.size for e in events if isinstance(e, MessageComplete)] == [100324]
    client = SmtpClient()
    # The RFC's client waits for the replies before QUIT (it could pipeline it, as RFC 2920's
    # example does): send QUIT once they are in.
    steps = transcript(text)
    events = run_client(
        client,
        steps[:-2],
        [
            Hello("EHLO", "ymir.claremont.edu"),
            MailFrom("ned@ymir.claremont.edu", {"BODY": "BINARYMIME"}),
            RcptTo("gvaudre@cnri.reston.va.us"),
            RcptTo("jstewart@cnri.reston.va.us"),
            Bdat(100000),
            DataChunk(one),
            Bdat(324),
            DataChunk(two),
            Bdat(0, last=True),
        ],
        chunk=chunk,
    )
    assert [e.code for e in events if isinstance(e, Reply)] == [220] + [250] * 7
    run_client(client, steps[-2:], [Quit()])


# -- RFC 2033 -----------------------------------------------------------------------------------

LMTP = """\
S: 220 foo.edu LMTP server ready
C: LHLO foo.edu
S: 250-foo.edu
S: 250-PIPELINING
S: 250 SIZE
C: MAIL FROM:<chris@bar.com>
S: 250 OK
C: RCPT TO:<pat@foo.edu>
S: 250 OK
C: RCPT TO:<jones@foo.edu>
S: 550 No such user here
C: RCPT TO:<green@foo.edu>
S: 250 OK
C: DATA
S: 354 Start mail input; end with <CRLF>.<CRLF>
C: Blah blah blah...
C: ...etc. etc. etc.
C: .
S: 250 OK
S: 452 <green@foo.edu> is temporarily over quota
C: QUIT
S: 221 foo.edu closing connection
"""


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_rfc2033_lmtp_server(chunk: int | None) -> None:
    server = LmtpServer(hostname="foo.edu", auto_reply=frozenset())
    events = run_server(server, transcript(LMTP), chunk=chunk)
    assert events[1] == Hello("LHLO", "foo.edu")
    assert (
        MessageComplete(
            "chris@bar.com", ("pat@foo.edu", "green@foo.edu"), len(D1_BODY), {}, ({}, {})
        )
        in events
    )


def test_rfc2033_lmtp_server_accept_sends_one_reply_per_recipient() -> None:
    server = LmtpServer(hostname="foo.edu")
    server.next_event()
    server.accept()
    server.receive_data(
        b"LHLO foo.edu\r\nMAIL FROM:<chris@bar.com>\r\nRCPT TO:<pat@foo.edu>\r\n"
        b"RCPT TO:<green@foo.edu>\r\nDATA\r\nhi\r\n.\r\n"
    )
    for _ in range(5):
        server.next_event()
        server.accept()
    server.data_to_send()
    assert isinstance(server.next_event(), DataChunk)
    assert isinstance(server.next_event(), MessageComplete)
    server.accept()
    assert server.data_to_send() == b"250 2.0.0 OK\r\n250 2.0.0 OK\r\n"
    assert not server.awaiting_reply


@pytest.mark.parametrize("chunk", CHUNKINGS)
def test_rfc2033_lmtp_client(chunk: int | None) -> None:
    # The RFC's client does not pipeline although the server offers it.
    client = LmtpClient(pipelining=False)
    events = run_client(
        client,
        transcript(LMTP),
        [
            Hello("LHLO", "foo.edu"),
            MailFrom("chris@bar.com"),
            RcptTo("pat@foo.edu"),
            RcptTo("jones@foo.edu"),
            RcptTo("green@foo.edu"),
            Data(),
            DataChunk(D1_BODY),
            EndOfData(),
            Quit(),
        ],
        chunk=chunk,
    )
    codes = [e.code for e in events if isinstance(e, Reply)]
    assert codes == [220, 250, 250, 250, 550, 250, 354, 250, 452, 221]


# -- RFC 3207 -----------------------------------------------------------------------------------

STARTTLS_DIALOGUE = """\
S: 220 mail.imc.org SMTP service ready
C: EHLO mail.example.com
S: 250-mail.imc.org offers a warm hug of welcome
S: 250-8BITMIME
S: 250-STARTTLS
S: 250 DSN
C: STARTTLS
S: 220 Go ahead
TLS
C: EHLO mail.example.com
S: 250-mail.imc.org touches your hand gently for a moment
S: 250-8BITMIME
S: 250 DSN
"""


def test_rfc3207_starttls_server() -> None:
    server = _server(hostname="mail.imc.org", starttls=True)
    events = run_server(server, transcript(STARTTLS_DIALOGUE))
    assert StartTLSCommand() in events
    assert StartTLS(b"") in events
    assert server.tls_active
    assert events[-1] == Hello("EHLO", "mail.example.com")


def test_rfc3207_starttls_client() -> None:
    client = SmtpClient()
    events = run_client(
        client,
        transcript(STARTTLS_DIALOGUE),
        [Hello("EHLO", "mail.example.com"), StartTLSCommand()],
        after_tls=[Hello("EHLO", "mail.example.com")],
    )
    assert StartTLS(b"") in events
    assert client.extensions == {"8BITMIME": "", "DSN": ""}


# -- RFC 4954 -----------------------------------------------------------------------------------

AUTH_PLAIN = """\
S: 220 smtp.example.com ESMTP Server
C: EHLO client.example.com
S: 250-smtp.example.com Hello client.example.com
S: 250-AUTH GSSAPI DIGEST-MD5
S: 250-ENHANCEDSTATUSCODES
S: 250 STARTTLS
C: STARTTLS
S: 220 Ready to start TLS
TLS
C: EHLO client.example.com
S: 250-smtp.example.com Hello client.example.com
S: 250 AUTH GSSAPI DIGEST-MD5 PLAIN
C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=
S: 235 2.7.0 Authentication successful
"""


def test_rfc4954_auth_plain_server() -> None:
    server = _server(
        hostname="smtp.example.com",
        starttls=True,
        authenticator=PasswordAuthenticator({"test": "1234"}),
    )
    events = run_server(server, transcript(AUTH_PLAIN))
    assert events[-1] == AuthResult("PLAIN", True, "test", "test")
    assert server.authenticated == AuthResult("PLAIN", True, "test", "test")


def test_rfc4954_auth_plain_client() -> None:
    from mailproto.sasl import client_mechanism

    client = SmtpClient()
    steps = transcript(AUTH_PLAIN)
    assert steps[5].side == "TLS"
    events = run_client(client, steps[:5], [Hello("EHLO", "client.example.com"), StartTLSCommand()])
    assert events[-1] == StartTLS(b"")
    client.tls_started()
    client.send(Hello("EHLO", "client.example.com"))
    client.authenticate(client_mechanism("PLAIN", username="test", password="1234", authzid="test"))
    events = run_client(client, steps[6:], [])
    assert events[-1] == Reply(235, ("Authentication successful",), "2.7.0")
    assert client.supports("auth")
    assert client.extensions["AUTH"] == "GSSAPI DIGEST-MD5 PLAIN"
