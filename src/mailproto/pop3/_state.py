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

__all__ = ["ALLOWED", "State", "allowed"]


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
