"""The server's state changes are exactly the rows of SERVER_TRANSITIONS.

Sessions that between them take every row are played against a real server connection; every
change of ``state`` seen on the way must be a row of the table (or the move to CLOSED at the
end), and every row must be seen.
"""

from __future__ import annotations

import base64

from mailproto import NEED_DATA
from mailproto.sasl import PasswordAuthenticator
from mailproto.smtp import SERVER_TRANSITIONS, ServerState, SmtpServer
from mailproto.smtp._state import SERVER_TRANSITIONS as TABLE_IN_STATE_MODULE

Change = tuple[ServerState, ServerState]

PLAIN = base64.b64encode(b"\0ana\0secret")


class Recorder:
    """Plays client lines to a server that accepts everything; notes each change of state."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.changes: list[Change] = []

    def step(self, data: bytes = b"", *, tls: bool = False) -> None:
        server = self.server
        before = server.state
        if tls:
            server.tls_started()
        if data:
            server.receive_data(data)
        while True:
            event = server.next_event()
            self.changes.append((before, server.state))
            before = server.state
            if event is NEED_DATA:
                break
            if server.awaiting_reply:
                server.accept()
                self.changes.append((before, server.state))
                before = server.state
        server.data_to_send()


def _sessions() -> list[Change]:
    changes: list[Change] = []
    server = SmtpServer(
        proxy_protocol=True,
        starttls=True,
        authenticator=PasswordAuthenticator({"ana": "secret"}),
        auth_requires_tls=False,
        extensions=("PIPELINING", "8BITMIME", "CHUNKING", "SIZE", "STARTTLS", "AUTH"),
    )
    run = Recorder(server)
    run.step(b"PROXY TCP4 192.0.2.1 192.0.2.2 40000 25\r\n")
    run.step(b"EHLO a.example\r\n")
    run.step(b"STARTTLS\r\n")
    run.step(tls=True)
    run.step(b"EHLO a.example\r\n")
    run.step(b"EHLO a.example\r\n")
    run.step(b"AUTH PLAIN\r\n")
    assert server.state is ServerState.AUTH
    run.step(PLAIN + b"\r\n")
    for command in (b"MAIL FROM:<ana@a.example>", b"RCPT TO:<bo@b.example>"):
        run.step(command + b"\r\n")
    run.step(b"RCPT TO:<cy@b.example>\r\n")
    run.step(b"DATA\r\n")
    run.step(b"Subject: hi\r\n\r\nHello.\r\n.\r\n")
    run.step(b"MAIL FROM:<ana@a.example>\r\n")
    run.step(b"RSET\r\n")
    run.step(b"MAIL FROM:<ana@a.example>\r\nRCPT TO:<bo@b.example>\r\n")
    run.step(b"EHLO a.example\r\n")
    run.step(b"MAIL FROM:<ana@a.example>\r\nRCPT TO:<bo@b.example>\r\n")
    run.step(b"BDAT 5\r\nHello")
    assert server.state is ServerState.BDAT_OPEN
    run.step(b"BDAT 2\r\n\r\n")
    run.step(b"RSET\r\n")
    run.step(b"MAIL FROM:<ana@a.example>\r\nRCPT TO:<bo@b.example>\r\n")
    run.step(b"BDAT 3 LAST\r\nHi\n")
    run.step(b"QUIT\r\n")
    changes += run.changes

    # Without PROXY: the greeting; STARTTLS straight after it.
    second = Recorder(SmtpServer(starttls=True))
    second.step()
    second.step(b"STARTTLS\r\n")
    changes += second.changes
    return changes


def test_every_change_of_state_is_a_row_and_every_row_happens() -> None:
    assert SERVER_TRANSITIONS is TABLE_IN_STATE_MODULE
    rows = {(source, target) for source, _, target in SERVER_TRANSITIONS}
    seen = {(a, b) for a, b in _sessions() if a is not b}
    closing = {change for change in seen if change[1] is ServerState.CLOSED}
    assert seen - closing <= rows, seen - closing - rows
    # Self-loops change nothing to see, and BDAT lasts only while a chunk's octets are read
    # (here each arrives with its command): the tests below take those rows.
    loops = {row for row in rows if row[0] is row[1]}
    bdat = {row for row in rows if ServerState.BDAT in row}
    assert rows - loops - bdat <= seen, rows - loops - bdat - seen
    assert closing  # QUIT closed the first session


def test_bdat_octets_are_read_in_their_own_state() -> None:
    server = SmtpServer(extensions=("CHUNKING",))
    run = Recorder(server)
    run.step()
    run.step(b"EHLO a.example\r\nMAIL FROM:<ana@a.example>\r\nRCPT TO:<bo@b.example>\r\n")
    run.step(b"BDAT 5\r\nHel")  # the chunk is not all there
    assert server.state is ServerState.BDAT
    run.step(b"lo")
    assert server.state is ServerState.BDAT_OPEN
    run.step(b"BDAT 4 LAST\r\nHi")
    assert server.state is ServerState.BDAT
    run.step(b"\r\n")
    assert server.state is ServerState.READY
    seen = {(a, b) for a, b in run.changes if a is not b}
    rows = {(source, target) for source, _, target in SERVER_TRANSITIONS}
    assert (
        {
            (ServerState.RCPT, ServerState.BDAT),
            (ServerState.BDAT, ServerState.BDAT_OPEN),
            (ServerState.BDAT_OPEN, ServerState.BDAT),
            (ServerState.BDAT, ServerState.READY),
        }
        <= seen
        <= rows
    )


def test_the_self_loops_keep_their_state() -> None:
    server = SmtpServer()
    run = Recorder(server)
    run.step()
    run.step(b"EHLO a.example\r\n")
    run.step(b"EHLO a.example\r\n")
    assert server.state is ServerState.READY
    run.step(b"MAIL FROM:<ana@a.example>\r\nRCPT TO:<bo@b.example>\r\n")
    run.step(b"RCPT TO:<cy@b.example>\r\n")
    assert server.state is ServerState.RCPT
    rows = {(source, target) for source, _, target in SERVER_TRANSITIONS}
    assert (ServerState.READY, ServerState.READY) in rows
    assert (ServerState.RCPT, ServerState.RCPT) in rows
