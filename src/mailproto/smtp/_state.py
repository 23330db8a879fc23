"""The states of the SMTP client and server, and the timeouts RFC 5321 recommends for them."""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "CLIENT_TIMEOUTS",
    "SERVER_TIMEOUT",
    "SERVER_TRANSITIONS",
    "ClientState",
    "ServerState",
]


class ServerState(enum.Enum):
    """Where a server connection is in the session."""

    #: Reading a PROXY protocol header (only with ``proxy_protocol=True``).
    PROXY = "proxy"
    #: Waiting for the application to answer :class:`~mailproto.smtp.Connected` with a greeting.
    CONNECTED = "connected"
    #: Greeting sent; the client must say EHLO/HELO (LHLO for LMTP).
    GREETED = "greeted"
    #: Between mail transactions.
    READY = "ready"
    #: MAIL accepted, no recipient accepted yet.
    MAIL = "mail"
    #: At least one recipient accepted.
    RCPT = "rcpt"
    #: Reading the content after DATA.
    DATA = "data"
    #: Reading the octets of a BDAT chunk.
    BDAT = "bdat"
    #: Between BDAT chunks of one message.
    BDAT_OPEN = "bdat-open"
    #: In a SASL exchange (AUTH).
    AUTH = "auth"
    #: STARTTLS agreed; waiting for the driver's ``tls_started()``.
    TLS = "tls"
    #: QUIT answered or the connection is over.
    CLOSED = "closed"


class ClientState(enum.Enum):
    """Where a client connection is, counting the commands it has sent but not seen answered."""

    #: Waiting for the server's greeting.
    GREETING = "greeting"
    #: Greeted; EHLO/HELO (LHLO) comes next.
    HELLO = "hello"
    #: Between mail transactions.
    READY = "ready"
    #: MAIL sent; RCPT comes next.
    MAIL = "mail"
    #: At least one RCPT sent; more RCPT, DATA or BDAT come next.
    RCPT = "rcpt"
    #: DATA sent: message content and EndOfData come next.
    DATA = "data"
    #: Inside BDAT chunks.
    BDAT = "bdat"
    #: In an AUTH exchange.
    AUTH = "auth"
    #: STARTTLS sent; waiting for its reply or for the TLS handshake.
    STARTTLS = "starttls"
    #: QUIT sent, or the connection is over.
    CLOSED = "closed"


#: RFC 5321 section 4.5.3.2: how long a client waits for each reply, in seconds.
CLIENT_TIMEOUTS: Final[dict[str, float]] = {
    "greeting": 300.0,  # 4.5.3.2.1 initial 220 message: 5 minutes
    "MAIL": 300.0,  # 4.5.3.2.2: 5 minutes
    "RCPT": 300.0,  # 4.5.3.2.3: 5 minutes
    "DATA": 120.0,  # 4.5.3.2.4 DATA initiation: 2 minutes
    "block": 180.0,  # 4.5.3.2.5 data block: 3 minutes
    "end": 600.0,  # 4.5.3.2.6 DATA termination: 10 minutes
    "other": 300.0,
}

#: RFC 5321 section 4.5.3.2.7: a server waits at least 5 minutes for the next command.
SERVER_TIMEOUT: Final = 300.0


_S = ServerState

#: Every change of a server connection's :attr:`~mailproto.smtp.SmtpServer.state`, as
#: ``(from, what happens, to)``. The documentation draws the state diagram from this table, and
#: a test drives a server along every row and fails on any change that is not in it. "Accepted"
#: means answered with a 2xx reply; "answered", with any reply. Any state goes to ``CLOSED``
#: when QUIT is answered, when a 421 reply is sent, or after a fatal error (not drawn).
SERVER_TRANSITIONS: Final[tuple[tuple[ServerState, str, ServerState], ...]] = (
    (_S.PROXY, "PROXY header read", _S.CONNECTED),
    (_S.CONNECTED, "greeting sent", _S.GREETED),
    (_S.GREETED, "EHLO / HELO accepted", _S.READY),
    (_S.READY, "EHLO / HELO accepted", _S.READY),
    (_S.GREETED, "STARTTLS accepted", _S.TLS),
    (_S.READY, "STARTTLS accepted", _S.TLS),
    (_S.TLS, "tls_started()", _S.GREETED),
    (_S.READY, "AUTH", _S.AUTH),
    (_S.AUTH, "AUTH over", _S.READY),
    (_S.READY, "MAIL accepted", _S.MAIL),
    (_S.MAIL, "RCPT accepted", _S.RCPT),
    (_S.RCPT, "RCPT accepted", _S.RCPT),
    (_S.RCPT, "DATA accepted (354)", _S.DATA),
    (_S.DATA, "message read (its reply owed)", _S.RCPT),
    (_S.RCPT, "message answered", _S.READY),
    (_S.RCPT, "BDAT", _S.BDAT),
    (_S.BDAT_OPEN, "BDAT", _S.BDAT),
    (_S.BDAT, "chunk accepted", _S.BDAT_OPEN),
    (_S.BDAT, "last chunk answered, or a chunk refused", _S.READY),
    (_S.MAIL, "RSET, EHLO / HELO accepted", _S.READY),
    (_S.RCPT, "RSET, EHLO / HELO accepted", _S.READY),
    (_S.BDAT_OPEN, "RSET, EHLO / HELO accepted", _S.READY),
)
