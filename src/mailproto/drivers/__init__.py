"""The only part of mailproto that does I/O: drivers that run any connection over a network.

Every driver executes the same sans-I/O loop, :class:`mailproto.drivers._pump.Pump`, with its own
primitives:

* :mod:`mailproto.drivers.asyncio`: ``await connect(...)`` and ``await serve(...)`` (stdlib);
* :mod:`mailproto.drivers.threaded`: blocking sockets, a thread per server connection (stdlib);
* :mod:`mailproto.drivers.trio`: the same with trio (install the ``trio`` extra).

Importing this package imports none of them, so it never needs trio.
"""

from ._common import DEFAULT_GRACE_PERIOD, ServerClosing

__all__ = ["DEFAULT_GRACE_PERIOD", "ServerClosing"]
