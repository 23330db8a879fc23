"""Both roles' state changes are exactly the rows of their transition tables."""

from __future__ import annotations

from mailproto import NEED_DATA
from mailproto.pop3 import (
    CLIENT_TRANSITIONS,
    SERVER_TRANSITIONS,
    Pass,
    POP3Client,
    POP3Server,
    Quit,
    Retr,
    State,
    User,
)
from mailproto.sasl import PasswordAuthenticator, Secret

from ._helpers import Mailbox

Change = tuple[State, State]


def _play(scripts: list[list[object]], refuse_greeting: bool = False) -> tuple[set[Change], ...]:
    """Run a client and a server together; each script is the commands of one session."""
    server_seen: set[Change] = set()
    client_seen: set[Change] = set()
    for commands in scripts:
        mailbox = Mailbox([b"Subject: one\r\n\r\nHi.\r\n"])
        server = POP3Server(authenticator=PasswordAuthenticator({"u": "p"}))
        client = POP3Client()
        greeting = server.data_to_send()
        for command in [None, *commands]:
            if command is not None:
                client.send(command)  # type: ignore[arg-type]
                before = server.state
                server.receive_data(client.data_to_send())
                while (event := server.next_event()) is not NEED_DATA:
                    server_seen.add((before, server.state))
                    before = server.state
                    mailbox.answer(server, event)
                    server_seen.add((before, server.state))
                    before = server.state
                server_seen.add((before, server.state))
                answer = server.data_to_send()
            else:
                answer = b"-ERR go away\r\n" if refuse_greeting else greeting
            before = client.state
            client.receive_data(answer)
            while client.next_event() is not NEED_DATA:
                client_seen.add((before, client.state))
                before = client.state
    return server_seen, client_seen


def _check(seen: set[Change], table: tuple[tuple[State, str, State], ...]) -> None:
    rows = {(source, target) for source, _, target in table}
    changes = {(a, b) for a, b in seen if a is not b}
    assert changes == rows, (changes - rows, rows - changes)


def test_every_change_is_a_row_and_every_row_happens() -> None:
    login = [User("u"), Pass(Secret("p"))]
    scripts = [
        [*login, Retr(1), Quit()],  # AUTHORIZATION -> TRANSACTION -> UPDATE -> CLOSED
        [Quit()],  # QUIT before logging in
    ]
    server_seen, client_seen = _play(scripts)
    _check(server_seen, SERVER_TRANSITIONS)
    _, refused = _play([[]], refuse_greeting=True)
    _check(client_seen | refused, CLIENT_TRANSITIONS)
