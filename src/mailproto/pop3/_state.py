"""The POP3 session states and which command each state allows (RFC 1939, 2449, 2595, 5034, 6856).

Both roles read the same table: the server to answer a command out of state with ``-ERR``, the
client to refuse (LocalProtocolError) to send one.
"""

from __future__ import annotations

import enum
from typing import Final

from ._events import (
    Apop,
    Auth,
    Capa,
    Command,
    Dele,
    Lang,
    List,
    Noop,
    Pass,
    Quit,
    Retr,
    Rset,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Utf8,
)

__all__ = ["ALLOWED", "CLIENT_TRANSITIONS", "SERVER_TRANSITIONS", "State", "allowed"]


class State(enum.Enum):
    """Where a POP3 session is (RFC 1939 section 3)."""

    #: Client: waiting for the server's greeting.
    GREETING = "GREETING"
    #: The client has to identify itself.
    AUTHORIZATION = "AUTHORIZATION"
    #: The maildrop is open: STAT, LIST, RETR, DELE...
    TRANSACTION = "TRANSACTION"
    #: QUIT was given in TRANSACTION: the marked messages are being deleted.
    UPDATE = "UPDATE"
    #: The session is over.
    CLOSED = "CLOSED"


#: The command classes each state accepts.
ALLOWED: Final[dict[State, frozenset[type[Command]]]] = {
    State.GREETING: frozenset(),
    State.AUTHORIZATION: frozenset({User, Pass, Apop, Auth, Capa, Quit, Stls, Utf8, Lang}),
    State.TRANSACTION: frozenset({Stat, List, Retr, Dele, Noop, Rset, Quit, Top, Uidl, Capa, Lang}),
    State.UPDATE: frozenset(),
    State.CLOSED: frozenset(),
}


def allowed(state: State, command: Command) -> bool:
    """Whether ``command`` may be given in ``state``."""
    return type(command) in ALLOWED[state]


_S = State

#: Every change of a server connection's ``state``, as ``(from, what happens, to)``. The
#: documentation draws the state diagram from this table, and a test drives a server along
#: every row and fails on any change that is not in it. A fatal error (too many failed logins
#: or bad commands) closes the session from any state (not drawn).
SERVER_TRANSITIONS: Final[tuple[tuple[State, str, State], ...]] = (
    (_S.AUTHORIZATION, "maildrop opened", _S.TRANSACTION),
    (_S.AUTHORIZATION, "QUIT", _S.CLOSED),
    (_S.TRANSACTION, "QUIT", _S.UPDATE),
    (_S.UPDATE, "Update answered", _S.CLOSED),
)

#: The same for a client connection, whose state follows the server's answers. The server
#: closing the connection closes it from any state (not drawn).
CLIENT_TRANSITIONS: Final[tuple[tuple[State, str, State], ...]] = (
    (_S.GREETING, "+OK greeting", _S.AUTHORIZATION),
    (_S.GREETING, "-ERR greeting", _S.CLOSED),
    (_S.AUTHORIZATION, "PASS, APOP or AUTH accepted", _S.TRANSACTION),
    (_S.AUTHORIZATION, "QUIT answered", _S.CLOSED),
    (_S.TRANSACTION, "QUIT answered", _S.CLOSED),
)
