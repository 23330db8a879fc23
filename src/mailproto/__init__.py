"""mailproto: sans-I/O implementations of the Internet mail protocols and formats.

The core never touches a socket: every connection takes bytes and gives events, takes events and
gives bytes (see :mod:`mailproto.connection`). The drivers in :mod:`mailproto.drivers` connect the
state machines to asyncio, trio or plain threads.
"""

from ._version import __version__
from .connection import (
    NEED_DATA,
    BaseConnection,
    Connection,
    ConnectionClosed,
    Event,
    Role,
    StartTLS,
)
from .errors import (
    ErrorKind,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    SASLError,
)

__all__ = [
    "NEED_DATA",
    "BaseConnection",
    "Connection",
    "ConnectionClosed",
    "ErrorKind",
    "Event",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "Role",
    "SASLError",
    "StartTLS",
    "__version__",
]
