"""The RFC 1939, 2449, 2595, 5034 and 6856 examples as exact dialogues, from both sides."""

from __future__ import annotations

import pytest

from mailproto import NEED_DATA, StartTLS
from mailproto.pop3 import (
    Apop,
    Auth,
    AuthChallenge,
    AuthResponse,
    Capa,
    Capabilities,
    Capability,
    Dele,
    Err,
    Greeting,
    Lang,
    LangListing,
    List,
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Noop,
    Ok,
    OpenMaildrop,
    Pass,
    POP3Client,
    POP3Server,
    Quit,
    Retr,
    Rset,
    ScanLine,
    ScanListing,
    Stat,
    StatReply,
    Stls,
    Top,
    Uidl,
    UidLine,
    UidListing,
    Update,
    User,
)
from mailproto.sasl import Authenticator, PasswordAuthenticator, Secret

from ._helpers import Mailbox, client_events, merge_data, pump_server

TIMESTAMP = "<1896.697170952@dbc.mtview.ca.us>"
# Two messages of exactly 120 and 200 octets, as in the RFC's example maildrop.
MESSAGE_1 = b"Subject: one\r\n\r\n" + b"x" * 102 + b"\r\n"
MESSAGE_2 = b"Subject: two\r\n\r\n" + b".dot first\r\n" + b"y" * 170 + b"\r\n"
UIDS = ("whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7")


def test_fixture_sizes() -> None:
    assert (len(MESSAGE_1), len(MESSAGE_2)) == (120, 200)


def stuffed(message: bytes) -> bytes:
    return message.replace(b"\r\n.", b"\r\n..")


# The example POP3 session of RFC 1939 section 10, with the two messages spelled out.
RFC1939_SESSION: list[tuple[str, bytes]] = [
    ("S", b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    ("C", b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
    ("S", b"+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
    ("C", b"STAT\r\n"),
    ("S", b"+OK 2 320\r\n"),
    ("C", b"LIST\r\n"),
    ("S", b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"),
    ("C", b"RETR 1\r\n"),
    ("S", b"+OK 120 octets\r\n" + stuffed(MESSAGE_1) + b".\r\n"),
    ("C", b"DELE 1\r\n"),
    ("S", b"+OK message 1 deleted\r\n"),
    ("C", b"RETR 2\r\n"),
    ("S", b"+OK 200 octets\r\n" + stuffed(MESSAGE_2) + b".\r\n"),
    ("C", b"DELE 2\r\n"),
    ("S", b"+OK message 2 deleted\r\n"),
    ("C", b"QUIT\r\n"),
    ("S", b"+OK dewey POP3 server signing off (maildrop empty)\r\n"),
]


def rfc_server(**kwargs: object) -> POP3Server:
    return POP3Server(
        authenticator=PasswordAuthenticator({"mrose": "tanstaaf"}),
        apop_timestamp=TIMESTAMP,
        **kwargs,  # type: ignore[arg-type]
    )


def check_server_dialogue(server: POP3Server, mailbox: Mailbox, script: list[tuple[str, bytes]]):
    assert script[0][0] == "S"
    assert server.data_to_send() == script[0][1]
    index = 1
    while index < len(script):
        side, line = script[index]
        assert side == "C"
        expected = b""
        index += 1
        while index < len(script) and script[index][0] == "S":
            expected += script[index][1]
            index += 1
        assert pump_server(server, line, mailbox.answer, mailbox.errors) == expected, line


def test_rfc1939_session_server_side() -> None:
    server = rfc_server()
    mailbox = Mailbox(
        [MESSAGE_1, MESSAGE_2], UIDS, signoff="dewey POP3 server signing off (maildrop empty)"
    )
    check_server_dialogue(server, mailbox, RFC1939_SESSION)
    assert mailbox.opened == [OpenMaildrop("mrose", "APOP")]
    assert mailbox.deleted == [1, 2]
    assert server.should_close


def test_rfc1939_session_client_side() -> None:
    client = POP3Client()
    script = iter(RFC1939_SESSION)
    events = client_events(client, next(script)[1])
    assert events == [Greeting("POP3 server ready", TIMESTAMP)]
    assert client.greeting is not None and client.greeting.timestamp == TIMESTAMP
    commands = [
        (
            Apop.compute("mrose", TIMESTAMP, Secret("tanstaaf")),
            [Ok("mrose's maildrop has 2 messages (320 octets)")],
        ),
        (Stat(), [StatReply(2, 320)]),
        (List(), [ScanListing(((1, 120), (2, 200)), "2 messages (320 octets)")]),
        (Retr(1), [MessageStart("120 octets"), MessageData(MESSAGE_1), MessageEnd()]),
        (Dele(1), [Ok("message 1 deleted")]),
        (Retr(2), [MessageStart("200 octets"), MessageData(MESSAGE_2), MessageEnd()]),
        (Dele(2), [Ok("message 2 deleted")]),
        (Quit(), [Ok("dewey POP3 server signing off (maildrop empty)")]),
    ]
    for command, expected in commands:
        client.send(command)
        side, line = next(script)
        assert side == "C"
        assert client.data_to_send() == line
        side, answer = next(script)
        assert side == "S"
        assert merge_data(client_events(client, answer)) == expected
    assert client.should_close
    client.receive_data(b"")
    assert type(client.next_event()).__name__ == "ConnectionClosed"


# Single-command examples from RFC 1939 sections 5 to 7, against a maildrop of two messages.
TRANSACTION_EXAMPLES = [
    (b"STAT\r\n", b"+OK 2 320\r\n"),
    (b"LIST 2\r\n", b"+OK 2 200\r\n"),
    (b"LIST 3\r\n", b"-ERR no such message, only 2 messages in maildrop\r\n"),
    (b"NOOP\r\n", b"+OK\r\n"),
    (b"DELE 1\r\n", b"+OK message 1 deleted\r\n"),
    (b"DELE 1\r\n", b"-ERR message 1 already deleted\r\n"),
    (b"RSET\r\n", b"+OK maildrop has 2 messages (320 octets)\r\n"),
    (b"TOP 100 3\r\n", b"-ERR no such message\r\n"),
    (b"UIDL\r\n", b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"),
    (b"UIDL 2\r\n", b"+OK 2 QhdPYR:00WBw1Ph7x7\r\n"),
    (b"UIDL 3\r\n", b"-ERR no such message, only 2 messages in maildrop\r\n"),
    (b"TOP 1 0\r\n", b"+OK\r\nSubject: one\r\n\r\n.\r\n"),
]


def logged_in(mailbox: Mailbox) -> POP3Server:
    server = rfc_server()
    server.data_to_send()
    out = pump_server(server, b"USER mrose\r\nPASS tanstaaf\r\n", mailbox.answer)
    assert out == b"+OK send PASS\r\n+OK mrose's maildrop has 2 messages (320 octets)\r\n"
    return server


def test_rfc1939_transaction_examples_server_side() -> None:
    mailbox = Mailbox([MESSAGE_1, MESSAGE_2], UIDS)
    server = logged_in(mailbox)
    for command, answer in TRANSACTION_EXAMPLES:
        assert pump_server(server, command, mailbox.answer) == answer, command


def test_rfc1939_transaction_examples_client_side() -> None:
    client = POP3Client()
    client_events(client, b"+OK POP3 server ready\r\n")
    client.send(User("mrose"))
    client.send(Pass(Secret("secret")))
    assert client.data_to_send() == b"USER mrose\r\n"
    assert client_events(client, b"+OK mrose is a real hoopy frood\r\n") == [
        Ok("mrose is a real hoopy frood")
    ]
    assert client.data_to_send() == b"PASS secret\r\n"
    assert client_events(client, b"+OK mrose's maildrop has 2 messages (320 octets)\r\n") == [
        Ok("mrose's maildrop has 2 messages (320 octets)")
    ]
    expected_events = [
        [StatReply(2, 320)],
        [ScanLine(2, 200)],
        [Err("no such message, only 2 messages in maildrop")],
        [Ok()],
        [Ok("message 1 deleted")],
        [Err("message 1 already deleted")],
        [Ok("maildrop has 2 messages (320 octets)")],
        [Err("no such message")],
        [UidListing(((1, UIDS[0]), (2, UIDS[1])))],
        [UidLine(2, UIDS[1])],
        [Err("no such message, only 2 messages in maildrop")],
        [MessageStart(), MessageData(b"Subject: one\r\n\r\n"), MessageEnd()],
    ]
    commands = [Stat(), List(2), List(3), Noop(), Dele(1), Dele(1), Rset(), Top(100, 3)]
    commands += [Uidl(), Uidl(2), Uidl(3), Top(1, 0)]
    for command, (line, answer), expected in zip(
        commands, TRANSACTION_EXAMPLES, expected_events, strict=True
    ):
        client.send(command)
        assert client.data_to_send() == line
        assert merge_data(client_events(client, answer)) == expected


def test_rfc1939_user_pass_examples_client_side() -> None:
    client = POP3Client()
    client_events(client, b"+OK POP3 server ready\r\n")
    client.send(User("frated"))
    assert client.data_to_send() == b"USER frated\r\n"
    assert client_events(client, b"-ERR sorry, no mailbox for frated here\r\n") == [
        Err("sorry, no mailbox for frated here")
    ]
    client.send(User("mrose"))
    client.send(Pass(Secret("secret")))
    client_events(client, b"+OK mrose is a real hoopy frood\r\n")
    assert client.data_to_send() == b"USER mrose\r\nPASS secret\r\n"
    assert client_events(client, b"-ERR maildrop already locked\r\n") == [
        Err("maildrop already locked")
    ]
    assert client.state.value == "AUTHORIZATION"


def test_rfc1939_maildrop_locked_server_side() -> None:
    server = rfc_server()
    server.data_to_send()

    def refuse(srv: POP3Server, event: object) -> None:
        assert event == OpenMaildrop("mrose", "USER")
        srv.send(Err("maildrop already locked"))

    out = pump_server(server, b"USER mrose\r\nPASS tanstaaf\r\n", refuse)
    assert out == b"+OK send PASS\r\n-ERR maildrop already locked\r\n"
    assert server.state.value == "AUTHORIZATION"


def test_rfc1939_quit_in_authorization() -> None:
    server = rfc_server(signoff="dewey POP3 server signing off")
    server.data_to_send()
    assert pump_server(server, b"QUIT\r\n", Mailbox([]).answer) == (
        b"+OK dewey POP3 server signing off\r\n"
    )
    assert server.should_close
    client = POP3Client()
    client_events(client, b"+OK POP3 server ready\r\n")
    client.send(Quit())
    assert client.data_to_send() == b"QUIT\r\n"
    assert client_events(client, b"+OK dewey POP3 server signing off\r\n") == [
        Ok("dewey POP3 server signing off")
    ]
    assert client.should_close


def test_rfc1939_apop_example_both_sides() -> None:
    server = rfc_server()
    assert server.data_to_send() == b"+OK POP3 server ready " + TIMESTAMP.encode() + b"\r\n"

    def answer(srv: POP3Server, event: object) -> None:
        srv.send(Maildrop((369,), ("a",), "maildrop has 1 message (369 octets)"))

    out = pump_server(server, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", answer)
    assert out == b"+OK maildrop has 1 message (369 octets)\r\n"
    client = POP3Client()
    client_events(client, b"+OK POP3 server ready " + TIMESTAMP.encode() + b"\r\n")
    assert client.greeting is not None
    client.send(Apop.compute("mrose", client.greeting.timestamp or "", "tanstaaf"))
    assert client.data_to_send() == b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
    assert client_events(client, out) == [Ok("maildrop has 1 message (369 octets)")]
    assert client.state.value == "TRANSACTION"


# RFC 2449 section 5: the CAPA example.
RFC2449_CAPA = (
    b"+OK Capability list follows\r\n"
    b"TOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\n"
    b"PIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n"
)


def test_rfc2449_capa_server_side() -> None:
    server = POP3Server(
        authenticator=Authenticator(),
        mechanisms=("CRAM-MD5", "KERBEROS_V4"),
        login_delay=900,
        expire="60",
        implementation="Shlemazle-Plotz-v302",
        utf8=False,
        auth_resp_code=False,
    )
    server.data_to_send()
    assert pump_server(server, b"CAPA\r\n", Mailbox([]).answer) == RFC2449_CAPA


def test_rfc2449_capa_client_side() -> None:
    client = POP3Client()
    client_events(client, b"+OK POP3 server ready\r\n")
    client.send(Capa())
    assert client.data_to_send() == b"CAPA\r\n"
    caps = Capabilities(
        (
            Capability("TOP"),
            Capability("USER"),
            Capability("SASL", ("CRAM-MD5", "KERBEROS_V4")),
            Capability("RESP-CODES"),
            Capability("LOGIN-DELAY", ("900",)),
            Capability("PIPELINING"),
            Capability("EXPIRE", ("60",)),
            Capability("UIDL"),
            Capability("IMPLEMENTATION", ("Shlemazle-Plotz-v302",)),
        )
    )
    assert client_events(client, RFC2449_CAPA) == [caps]
    assert client.capabilities == caps
    assert client.pipelining
    assert caps.args("sasl") == ("CRAM-MD5", "KERBEROS_V4")


def test_rfc2449_in_use_response_code_both_sides() -> None:
    line = b"-ERR [IN-USE] Do you have another POP session running?\r\n"
    server = rfc_server()
    server.data_to_send()

    def in_use(srv: POP3Server, event: object) -> None:
        srv.send(Err("Do you have another POP session running?", "IN-USE"))

    assert pump_server(server, b"USER mrose\r\nPASS tanstaaf\r\n", in_use) == (
        b"+OK send PASS\r\n" + line
    )
    client = POP3Client()
    client_events(client, b"+OK ready\r\n")
    client.send(User("mrose"))
    client_events(client, b"+OK\r\n")
    client.send(Pass(Secret("secret")))
    assert client_events(client, line) == [
        Err("Do you have another POP session running?", "IN-USE")
    ]


# RFC 5034 section 6: AUTH PLAIN with and without an initial response.
PLAIN = "dGVzdAB0ZXN0AHRlc3Q="


@pytest.mark.parametrize("initial", [True, False])
def test_rfc5034_plain_both_sides(initial: bool) -> None:
    script: list[tuple[str, bytes]] = [
        ("S", b"+OK pop.example.com BlurdyBlurp POP3 server ready\r\n")
    ]
    if initial:
        script += [("C", f"AUTH PLAIN {PLAIN}\r\n".encode())]
    else:
        script += [("C", b"AUTH PLAIN\r\n"), ("S", b"+ \r\n"), ("C", PLAIN.encode() + b"\r\n")]
    script += [("S", b"+OK Maildrop locked and ready\r\n")]

    server = POP3Server(
        authenticator=PasswordAuthenticator({"test": "test"}),
        greeting="pop.example.com BlurdyBlurp POP3 server ready",
    )

    def answer(srv: POP3Server, event: object) -> None:
        assert event == OpenMaildrop("test", "AUTH")
        srv.send(Maildrop((), (), "Maildrop locked and ready"))

    mailbox = Mailbox([])
    mailbox.answer = answer  # type: ignore[method-assign]
    check_server_dialogue(server, mailbox, script)

    client = POP3Client()
    client_events(client, script[0][1])
    data = b"test\x00test\x00test"
    if initial:
        client.send(Auth("PLAIN", data))
        assert client.data_to_send() == script[1][1]
    else:
        client.send(Auth("PLAIN"))
        assert client.data_to_send() == script[1][1]
        assert client_events(client, script[2][1]) == [AuthChallenge(b"")]
        client.send(AuthResponse(data))
        assert client.data_to_send() == script[3][1]
    assert client_events(client, script[-1][1]) == [Ok("Maildrop locked and ready")]
    assert client.state.value == "TRANSACTION"


def test_rfc2595_stls_both_sides() -> None:
    server = POP3Server(tls_available=True)
    server.data_to_send()
    server.receive_data(b"STLS\r\nUSER injected\r\n")
    event = server.next_event()
    assert event == StartTLS(b"USER injected\r\n")
    assert server.data_to_send() == b"+OK Begin TLS negotiation\r\n"
    assert server.next_event() is NEED_DATA
    server.tls_started()
    assert pump_server(server, b"STLS\r\n", Mailbox([]).answer) == (
        b"-ERR Command not permitted when TLS active\r\n"
    )

    client = POP3Client()
    client_events(client, b"+OK POP3 server ready\r\n")
    client.send(Stls())
    assert client.data_to_send() == b"STLS\r\n"
    client.receive_data(b"+OK Begin TLS negotiation\r\n")
    assert client.next_event() == Ok("Begin TLS negotiation")
    assert client.next_event() == StartTLS(b"")
    client.tls_started()
    assert client.tls_active
    client.send(Stls())
    assert client.data_to_send() == b"STLS\r\n"
    assert client_events(client, b"-ERR Command not permitted when TLS active\r\n") == [
        Err("Command not permitted when TLS active")
    ]


# RFC 6856 section 3: the LANG examples (client side, as the RFC's server words them).
def test_rfc6856_lang_client_side() -> None:
    client = POP3Client()
    client_events(client, b"+OK POP3 server ready\r\n")
    client.send(Lang())
    assert client.data_to_send() == b"LANG\r\n"
    listing = (
        b"+OK Language listing follows:\r\nen English\r\nen-boont English Boontling dialect\r\n"
        b"de Deutsch\r\nit Italiano\r\nes Espanol\r\nsv Svenska\r\n.\r\n"
    )
    assert client_events(client, listing) == [
        LangListing(
            (
                ("en", "English"),
                ("en-boont", "English Boontling dialect"),
                ("de", "Deutsch"),
                ("it", "Italiano"),
                ("es", "Espanol"),
                ("sv", "Svenska"),
            ),
            "Language listing follows:",
        )
    ]
    client.send(Lang("es"))
    assert client.data_to_send() == b"LANG es\r\n"
    assert client_events(client, b"+OK es Idioma cambiado\r\n") == [Ok("es Idioma cambiado")]
    client.send(Lang("uga"))
    assert client.data_to_send() == b"LANG uga\r\n"
    assert client_events(client, b"-ERR es Idioma <<UGA>> no es conocido\r\n") == [
        Err("es Idioma <<UGA>> no es conocido")
    ]


def test_rfc6856_lang_server_side() -> None:
    languages = (("en", "English"), ("en-boont", "English Boontling dialect"), ("es", "Espanol"))
    server = POP3Server(languages=languages)
    server.data_to_send()
    box = Mailbox([])
    assert pump_server(server, b"LANG\r\n", box.answer) == (
        b"+OK Language listing follows:\r\nen English\r\n"
        b"en-boont English Boontling dialect\r\nes Espanol\r\n.\r\n"
    )
    assert pump_server(server, b"LANG es\r\n", box.answer) == b"+OK es language changed\r\n"
    assert server.language == "es"
    assert (
        pump_server(server, b"LANG uga\r\n", box.answer) == b"-ERR uga is not a known language\r\n"
    )
    assert pump_server(server, b"LANG *\r\n", box.answer) == b"+OK en language changed\r\n"
    assert server.language == "en"


def test_update_event_lists_marked_messages() -> None:
    mailbox = Mailbox([MESSAGE_1, MESSAGE_2], UIDS)
    server = logged_in(mailbox)
    pump_server(server, b"DELE 2\r\nQUIT\r\n", mailbox.answer)
    assert mailbox.events[-1] == Update((2,), (UIDS[1],), 1)


def test_rfc1939_apop_example_checked_by_the_application() -> None:
    server = POP3Server(apop_timestamp=TIMESTAMP)
    server.data_to_send()
    seen: list[OpenMaildrop] = []

    def answer(srv: POP3Server, event: object) -> None:
        assert isinstance(event, OpenMaildrop) and not event.verified
        seen.append(event)
        if event.check_password("tanstaaf"):
            srv.send(Maildrop((369,), ("a",), "maildrop has 1 message (369 octets)"))
        else:
            srv.send(Err("permission denied", "AUTH"))

    out = pump_server(server, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", answer)
    assert out == b"+OK maildrop has 1 message (369 octets)\r\n"
    assert seen[0].digest == "c4c9334bac560ecc979e58001b3e22fb"
    assert seen[0].timestamp == TIMESTAMP
    assert not seen[0].check_password("wrong")


def test_rfc5034_first_example_client_side() -> None:
    """The whole first example of RFC 5034 section 6: CAPA, STLS, CAPA again, AUTH PLAIN."""
    client = POP3Client()
    assert client_events(client, b"+OK pop.example.com BlurdyBlurp POP3 server ready\r\n") == [
        Greeting("pop.example.com BlurdyBlurp POP3 server ready")
    ]
    client.send(Capa())
    assert client.data_to_send() == b"CAPA\r\n"
    before = client_events(
        client,
        b"+OK List of capabilities follows\r\nSASL DIGEST-MD5 GSSAPI ANONYMOUS\r\nSTLS\r\n"
        b"IMPLEMENTATION BlurdyBlurp POP3 server\r\n.\r\n",
    )
    assert before == [
        Capabilities(
            (
                Capability("SASL", ("DIGEST-MD5", "GSSAPI", "ANONYMOUS")),
                Capability("STLS"),
                Capability("IMPLEMENTATION", ("BlurdyBlurp", "POP3", "server")),
            ),
            "List of capabilities follows",
        )
    ]
    client.send(Stls())
    assert client.data_to_send() == b"STLS\r\n"
    client.receive_data(b"+OK Begin TLS negotiation now\r\n")
    assert client.next_event() == Ok("Begin TLS negotiation now")
    assert client.next_event() == StartTLS(b"")
    client.tls_started()
    assert client.capabilities is None
    client.send(Capa())
    assert client.data_to_send() == b"CAPA\r\n"
    after = client_events(
        client,
        b"+OK List of capabilities follows\r\nSASL PLAIN DIGEST-MD5 GSSAPI ANONYMOUS\r\n"
        b"IMPLEMENTATION BlurdyBlurp POP3 server\r\n.\r\n",
    )
    assert after[0].args("SASL") == ("PLAIN", "DIGEST-MD5", "GSSAPI", "ANONYMOUS")  # type: ignore[attr-defined]
    client.send(Auth("PLAIN", b"test\x00test\x00test"))
    assert client.data_to_send() == b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"
    assert client_events(client, b"+OK Maildrop locked and ready\r\n") == [
        Ok("Maildrop locked and ready")
    ]
    assert client.state.value == "TRANSACTION"


def test_rfc5034_first_example_server_side() -> None:
    """The server's half of the same example, with this server's own CAPA list and texts."""
    server = POP3Server(
        authenticator=PasswordAuthenticator({"test": "test"}),
        greeting="pop.example.com BlurdyBlurp POP3 server ready",
        tls_available=True,
        plaintext_without_tls=False,
        implementation="BlurdyBlurp",
    )
    assert server.data_to_send() == b"+OK pop.example.com BlurdyBlurp POP3 server ready\r\n"
    box = Mailbox([])
    before = pump_server(server, b"CAPA\r\n", box.answer)
    assert b"\r\nSTLS\r\n" in before and b"PLAIN" not in before
    server.receive_data(b"STLS\r\n")
    assert server.next_event() == StartTLS(b"")
    assert server.data_to_send() == b"+OK Begin TLS negotiation\r\n"
    server.tls_started()
    after = pump_server(server, b"CAPA\r\n", box.answer)
    assert b"SASL SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN\r\n" in after
    assert b"STLS" not in after

    def answer(srv: POP3Server, event: object) -> None:
        assert event == OpenMaildrop("test", "AUTH")
        srv.send(Maildrop((), (), "Maildrop locked and ready"))

    out = pump_server(server, b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n", answer)
    assert out == b"+OK Maildrop locked and ready\r\n"
