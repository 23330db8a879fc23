"""The only part of mailproto that does I/O: drivers that run any connection over a network.

Every driver executes the same sans-I/O loop, :class:`Pump`, with its own primitives:

* :mod:`mailproto.drivers.asyncio`: ``await connect(...)`` and ``await serve(...)`` (stdlib);
* :mod:`mailproto.drivers.threaded`: blocking sockets, a thread per server connection (stdlib);
* :mod:`mailproto.drivers.trio`: the same with trio (install the ``trio`` extra).

Importing this package imports none of them, so it never needs trio. The pump and its actions
are exported here for writing a driver for another event loop.
"""

from ._common import DEFAULT_GRACE_PERIOD, ServerClosing
from ._pump import (
    LINGER_READS,
    LINGER_TIMEOUT,
    READ_SIZE,
    Action,
    Close,
    Pump,
    Read,
    ShutdownWrite,
    Step,
    UpgradeTLS,
    Write,
)

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "LINGER_READS",
    "LINGER_TIMEOUT",
    "READ_SIZE",
    "Action",
    "Close",
    "Pump",
    "Read",
    "ServerClosing",
    "ShutdownWrite",
    "Step",
    "UpgradeTLS",
    "Write",
]
