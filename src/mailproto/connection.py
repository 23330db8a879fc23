"""The one connection interface that every mailproto state machine implements.

Every client and server connection, in every protocol, is driven the same way::

    conn.receive_data(data)      # bytes from the peer; b"" means the peer closed
    event = conn.next_event()    # an event, or NEED_DATA; call until NEED_DATA
    conn.send(event)             # what we say: a command (client) or a reply (server)
    out = conn.data_to_send()    # bytes to write now (may be b"")

``send`` only queues: bytes leave through ``data_to_send``, because IMAP literals and SMTP
pipelining release bytes when the peer answers, not when ``send`` is called. That is what lets one
generic driver loop (:mod:`mailproto.drivers`) serve every protocol.

TLS is signalled, never done here. When STARTTLS/STLS has been agreed, ``next_event`` returns a
:class:`StartTLS` event once the reply that agrees has been queued (server) or received (client).
At that moment the connection discards anything the peer pipelined after the command (the
STARTTLS command-injection class of bugs) and reports it in :attr:`StartTLS.discarded`; it then
refuses further plaintext until the driver has upgraded the transport and called
:meth:`Connection.tls_started`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from ._buffer import ReceiveBuffer
from ._event_init import install_fast_init
from .errors import ErrorKind, LocalProtocolError, RemoteProtocolError

__all__ = [
    "NEED_DATA",
    "BaseConnection",
    "Connection",
    "ConnectionClosed",
    "Event",
    "Role",
    "Sentinel",
    "StartTLS",
]


class Sentinel(enum.Enum):
    """Values that ``next_event`` returns instead of an event."""

    #: Nothing more can be parsed until more bytes arrive through ``receive_data``.
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return self.value


#: Returned by ``next_event`` when the buffered bytes hold no complete event.
NEED_DATA: Final = Sentinel.NEED_DATA


class Role(enum.Enum):
    """Which side of the conversation a connection plays."""

    CLIENT = "client"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event: immutable values that compare by content.

    Subclasses are frozen, slotted dataclasses. Each gets a faster ``__init__`` than the one
    dataclasses generates, with the same signature and behaviour (see
    :mod:`mailproto._event_init`): events are built on every hot path.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super(Event, cls).__init_subclass__(**kwargs)  # not super(): slots=True remakes Event
        # With slots=True the dataclass decorator creates the class a second time, with its
        # fields, slots and generated __init__ in place: that is the one to speed up.
        if "__dataclass_fields__" in cls.__dict__:
            install_fast_init(cls)


@dataclass(frozen=True, slots=True)
class StartTLS(Event):
    """The driver must now upgrade the transport to TLS and then call ``tls_started()``.

    :param discarded: plaintext the peer sent after the command that started TLS; it was thrown
        away, because acting on it would let a man in the middle inject commands into the
        encrypted session.
    """

    discarded: bytes = b""


@dataclass(frozen=True, slots=True)
class ConnectionClosed(Event):
    """The peer closed the connection at a point where the protocol allows it."""


@runtime_checkable
class Connection(Protocol):
    """What every mailproto client and server connection provides."""

    @property
    def role(self) -> Role:
        """Whether this connection is the client or the server side."""
        ...

    @property
    def state(self) -> enum.Enum:
        """The protocol state the connection is in (each protocol has its own enum)."""
        ...

    @property
    def should_close(self) -> bool:
        """``True`` once the conversation is over: write ``data_to_send()``, then close."""
        ...

    @property
    def read_timeout(self) -> float | None:
        """Seconds a driver should wait for the peer in the current state (``None``: no advice)."""
        ...

    @property
    def between_commands(self) -> bool:
        """``True`` when nothing the peer has begun is pending: no partial command or reply is
        buffered and no message content is being read.

        A server that is shutting down may cut a connection at such a point without losing
        anything the peer was in the middle of sending.
        """
        ...

    @property
    def tls_pending(self) -> bool:
        """``True`` while a :class:`StartTLS` event waits to be returned by ``next_event``.

        A driver checks it after ``send`` to upgrade the transport before anything else is
        written or read.
        """
        ...

    def receive_data(self, data: bytes) -> None:
        """Add bytes received from the peer; ``b""`` means the peer closed its side.

        Raises :class:`~mailproto.errors.RemoteProtocolError` (kind ``BUFFER_FULL``, fatal) when
        more than the connection's buffer limit would wait unread; on a server its ``reply``
        (421, ``-ERR``...) is what to send before closing, unless another reply was owed.
        """
        ...

    def next_event(self) -> Event | Sentinel:
        """Parse and return the next event, or :data:`NEED_DATA`.

        Raises :class:`~mailproto.errors.RemoteProtocolError` for invalid input.
        """
        ...

    def send(self, event: Event) -> None:
        """Queue a command (client) or reply (server); the bytes come out of ``data_to_send``.

        Raises :class:`~mailproto.errors.LocalProtocolError` if the event is not allowed now.
        """
        ...

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes that should be written to the peer now."""
        ...

    def tls_started(self) -> None:
        """Tell the connection that the transport is now encrypted (after :class:`StartTLS`)."""
        ...


class BaseConnection:
    """Shared plumbing for the protocol connections: buffering, output queue, EOF and TLS.

    Subclasses implement :meth:`_next_event`, which parses from :attr:`_buffer` and returns an
    event or :data:`NEED_DATA`, and :meth:`_on_eof`, which decides what the peer closing means in
    the current state. They queue output with :meth:`_write` and ask for a TLS upgrade with
    :meth:`_begin_tls`.
    """

    def __init__(self, role: Role, buffer: ReceiveBuffer) -> None:
        self._role = role
        self._buffer = buffer
        self._outgoing: list[bytes] = []
        self._eof = False
        self._closed_reported = False
        self._tls_pending: StartTLS | None = None
        self._awaiting_tls = False
        self._tls_active = False
        self._should_close = False

    # -- the public interface -----------------------------------------------------------------

    @property
    def role(self) -> Role:
        return self._role

    @property
    def should_close(self) -> bool:
        return self._should_close

    @property
    def tls_active(self) -> bool:
        """``True`` once ``tls_started()`` has been called (or the connection began inside TLS)."""
        return self._tls_active

    @property
    def read_timeout(self) -> float | None:
        return None

    @property
    def tls_pending(self) -> bool:
        return self._tls_pending is not None

    @property
    def between_commands(self) -> bool:
        buffer = self._buffer
        return not buffer and not buffer.in_block and not self._awaiting_tls

    def receive_data(self, data: bytes) -> None:
        if self._awaiting_tls:
            raise LocalProtocolError(
                "received plaintext while a TLS upgrade is pending; call tls_started() first",
                kind=ErrorKind.PLAINTEXT_AFTER_STARTTLS,
            )
        if not data:
            self._eof = True
            return
        if self._eof:
            raise LocalProtocolError("received data after the peer closed the connection")
        try:
            self._buffer.feed(data)
        except RemoteProtocolError as exc:
            if exc.kind is ErrorKind.BUFFER_FULL:
                self._on_buffer_full(exc)
            raise

    def next_event(self) -> Event | Sentinel:
        if self._tls_pending is not None:
            start_tls = self._tls_pending
            self._tls_pending = None
            return start_tls
        if self._awaiting_tls:
            return NEED_DATA
        if self._closed_reported:
            return ConnectionClosed()
        event = self._next_event()
        if event is NEED_DATA and self._eof:
            self._closed_reported = True
            self._should_close = True
            return self._on_eof()
        return event

    def data_to_send(self) -> bytes:
        if not self._outgoing:
            return b""
        out = b"".join(self._outgoing)
        self._outgoing.clear()
        return out

    def tls_started(self) -> None:
        if not self._awaiting_tls:
            raise LocalProtocolError("tls_started() called but no TLS upgrade was pending")
        self._awaiting_tls = False
        self._tls_active = True

    # -- for subclasses -------------------------------------------------------------------------

    def _next_event(self) -> Event | Sentinel:
        raise NotImplementedError

    def _on_eof(self) -> Event:
        """Return the event for the peer closing in this state, or raise RemoteProtocolError.

        The default accepts a close between commands and reports one in the middle of a line;
        protocols override it for states where a close loses data (mid-DATA, mid-literal).
        """
        pending = len(self._buffer)
        if pending:
            raise RemoteProtocolError(
                f"the peer closed the connection in the middle of a line ({pending} bytes "
                "buffered)",
                kind=ErrorKind.UNEXPECTED_EOF,
                fatal=True,
            )
        return ConnectionClosed()

    def _on_buffer_full(self, error: RemoteProtocolError) -> None:
        """More than the buffer's limit would wait unread (a peer pipelining without reading
        the answers); ``error`` is fatal and about to be raised from ``receive_data``.

        A server sets ``error.reply`` to what it should say before closing, and expects that
        reply like any other, when no other is owed; the default leaves the error without one.
        """

    def _write(self, data: bytes) -> None:
        self._outgoing.append(data)

    def _begin_tls(self) -> None:
        """Arrange for the next ``next_event`` to return :class:`StartTLS`.

        Whatever the peer already pipelined is discarded and reported in the event.
        """
        self._tls_pending = StartTLS(discarded=self._buffer.clear())
        self._awaiting_tls = True

    def _close(self) -> None:
        """Mark the conversation as over (after the final reply or command is queued)."""
        self._should_close = True
