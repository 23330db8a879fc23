"""The one driver loop, written without I/O: every driver executes the actions it yields.

A :class:`Pump` wraps a :class:`~mailproto.connection.Connection` and offers its operations
(:meth:`Pump.next_event`, :meth:`Pump.send`, :meth:`Pump.close`, :meth:`Pump.recover`) as
generators. Each generator yields *actions* (:class:`Write`, :class:`Read`, :class:`UpgradeTLS`,
:class:`ShutdownWrite`, :class:`Close`) and receives their results through ``send()``; a failure
of an action (a timeout, a reset connection) is thrown into the generator with ``throw()``. The
operation's result is the generator's return value. A driver therefore needs only a trampoline
and one small function per action::

    def run(step):
        result, error = None, None
        while True:
            try:
                action = step.throw(error) if error else step.send(result)
            except StopIteration as stop:
                return stop.value
            try:
                result, error = execute(action), None
            except Exception as exc:
                result, error = None, exc

Everything that decides *what* happens lives here, once: when to flush queued bytes, when to read
and with which timeout, how a STARTTLS upgrade is sequenced (flush the reply, upgrade, tell the
connection, report what was discarded), when the conversation is over, and how a connection is
closed without losing the last reply (half-close, then a short lingering read).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from ..connection import (
    NEED_DATA,
    Connection,
    ConnectionClosed,
    Event,
    Role,
    Sentinel,
    StartTLS,
)
from ..errors import RemoteProtocolError

__all__ = [
    "LINGER_READS",
    "LINGER_TIMEOUT",
    "READ_SIZE",
    "Action",
    "Close",
    "Pump",
    "Read",
    "ShutdownWrite",
    "Step",
    "UpgradeTLS",
    "Write",
]

#: How many bytes one :class:`Read` asks for.
READ_SIZE: Final = 65536
#: Seconds each lingering read waits for the peer's EOF after we half-closed.
LINGER_TIMEOUT: Final = 2.0
#: The most lingering reads before the transport is closed regardless.
LINGER_READS: Final = 16


@dataclass(frozen=True, slots=True)
class Write:
    """Write all of :attr:`data` and wait until the transport has room again (drain).

    The result is ignored. Raise :class:`TimeoutError` if it takes longer than :attr:`timeout`
    seconds (``None``: no limit).
    """

    data: bytes
    timeout: float | None


@dataclass(frozen=True, slots=True)
class Read:
    """Read up to :attr:`max_bytes` bytes; the result is the bytes, ``b""`` at end of stream.

    Raise :class:`TimeoutError` if nothing arrives within :attr:`timeout` seconds (``None``: wait
    forever). A reset connection counts as end of stream. :attr:`idle` is ``True`` when the
    connection says the peer is between commands (``conn.between_commands``): a server that is
    shutting down may interrupt such a read with :class:`~mailproto.drivers.ServerClosing`.
    """

    max_bytes: int
    timeout: float | None
    idle: bool


@dataclass(frozen=True, slots=True)
class UpgradeTLS:
    """Run a TLS handshake over the live transport (as the server when :attr:`server_side`).

    The result is the plaintext the driver itself had buffered but not yet handed to the pump
    (it is discarded and reported in :class:`~mailproto.connection.StartTLS`), usually ``b""``.
    """

    server_side: bool
    timeout: float | None


@dataclass(frozen=True, slots=True)
class ShutdownWrite:
    """Half-close: send end-of-stream but keep reading.

    The result is ``True`` if the transport did so, ``False`` if it cannot (TLS transports).
    """


@dataclass(frozen=True, slots=True)
class Close:
    """Close the transport (after everything written has been sent). The result is ignored."""


#: Everything a pump may ask a driver to do.
Action: TypeAlias = Write | Read | UpgradeTLS | ShutdownWrite | Close
#: A pump operation: yields actions, receives their results, returns the operation's value.
Step: TypeAlias = Generator[Action, Any, Any]


class Pump:
    """The state a driver keeps for one live connection, and the operations on it.

    :param conn: the sans-I/O connection to drive.
    :param idle_timeout: seconds to wait for the peer when ``conn.read_timeout`` gives no advice
        (``None``: forever); also the limit for a write to drain and for a TLS handshake.
    :param tls: whether the transport is already encrypted (implicit TLS).
    :param read_size: how many bytes each read asks for.
    """

    def __init__(
        self,
        conn: Connection,
        *,
        idle_timeout: float | None,
        tls: bool = False,
        read_size: int = READ_SIZE,
    ) -> None:
        self.conn = conn
        self.idle_timeout = idle_timeout
        self.read_size = read_size
        #: Whether the transport is encrypted.
        self.tls = tls
        #: The last STARTTLS upgrade, with everything that was discarded (``None``: none yet).
        self.last_starttls: StartTLS | None = None
        #: ``True`` once :meth:`close` has begun; no further I/O is done.
        self.closed = False
        self._eof = False  # the peer's end of stream was read
        self._held: Event | None = None  # taken by next_event_nowait for next_event to finish

    @property
    def read_timeout(self) -> float | None:
        """The timeout for the next read: the connection's advice, else the idle timeout."""
        advice = self.conn.read_timeout
        return self.idle_timeout if advice is None else advice

    # -- operations -----------------------------------------------------------------------------

    def next_event(self) -> Generator[Action, Any, Event]:
        """Return the next event, reading as needed; never NEED_DATA and never StartTLS.

        Queued bytes are written before each read (the peer may be waiting for them). A
        :class:`~mailproto.connection.StartTLS` event is carried out here and recorded in
        :attr:`last_starttls`. Once the connection says the conversation is over, the transport
        is closed and :class:`~mailproto.connection.ConnectionClosed` is returned, as it is at
        the peer's end of stream. :class:`~mailproto.errors.RemoteProtocolError` from the
        connection propagates unchanged.
        """
        conn = self.conn
        while True:
            if self.closed:
                return ConnectionClosed()
            held = self._held
            if held is not None:
                self._held = None
                event: Event | Sentinel = held
            elif self._over():
                yield from self.close()
                return ConnectionClosed()
            else:
                event = conn.next_event()
            if event is NEED_DATA:
                yield from self._flush()
                if self._over():
                    continue
                data: bytes = yield Read(self.read_size, self.read_timeout, conn.between_commands)
                if not data:
                    self._eof = True
                conn.receive_data(data)
                continue
            if isinstance(event, StartTLS):
                yield from self._upgrade(event)
                continue
            if not isinstance(event, Event):  # pragma: no cover - a broken connection class
                raise TypeError(f"next_event() returned {event!r}")
            if isinstance(event, ConnectionClosed) or self._over():
                # The peer closed, or this event ended the conversation (a client reading the
                # reply to its QUIT): nothing more will be exchanged.
                yield from self.close()
            elif self._tls_due():
                # A client learns of the upgrade with the reply that agrees to it: upgrade before
                # that reply is returned, so nothing the caller sends next leaves in plaintext.
                yield from self._settle_tls()
            return event

    def next_event_nowait(self) -> Event | None:
        """The next event, if the connection has one ready and returning it needs no I/O.

        Returns ``None`` when the caller must run :meth:`next_event` instead (to read, upgrade
        or close); an event taken from the connection for that reason is kept for it. A fast
        path for pipelined input; :meth:`next_event` alone gives the same results.
        """
        conn = self.conn
        if self.closed or self._held is not None or conn.should_close:
            return None
        event = conn.next_event()
        if event is NEED_DATA:
            return None
        if not isinstance(event, Event):  # pragma: no cover - a broken connection class
            raise TypeError(f"next_event() returned {event!r}")
        if isinstance(event, (StartTLS, ConnectionClosed)) or conn.should_close or conn.tls_pending:
            self._held = event
            return None
        return event

    def send(self, events: tuple[Event, ...]) -> Generator[Action, Any, None]:
        """Queue each event on the connection, write the bytes, and drain.

        Carries out a TLS upgrade the events started (a server agreeing to STARTTLS), and
        closes the transport if the connection says the conversation is over.
        """
        self._deliver(events)
        yield from self.after_send()

    def send_nowait(self, events: tuple[Event, ...]) -> Write | None:
        """Queue each event on the connection; return the one write that finishes sending them.

        Returns ``None`` when something more is due, a TLS upgrade or the close: the caller
        must then run :meth:`after_send`. A fast path for the common case, for a driver to
        carry out the write itself; :meth:`send` alone gives the same results.
        """
        self._deliver(events)
        conn = self.conn
        if conn.tls_pending or conn.should_close:
            return None
        return Write(conn.data_to_send(), self.idle_timeout)

    def after_send(self) -> Generator[Action, Any, None]:
        """What follows queuing events: the write, then the TLS upgrade or close now due."""
        yield from self._flush()
        if self._tls_due():
            yield from self._settle_tls()
        if self.conn.should_close:
            yield from self.close()

    def _deliver(self, events: tuple[Event, ...]) -> None:
        if self.closed:
            raise ConnectionError("the channel is closed")
        send = self.conn.send
        for event in events:
            send(event)

    def recover(self, err: RemoteProtocolError) -> Generator[Action, Any, bool]:
        """Answer a peer's protocol error with ``err.reply``; close if it is fatal.

        Returns ``True`` if the conversation can go on. An error without a reply that is not
        fatal (a client meeting a bad reply) is raised again, since there is nothing to answer.
        """
        if err.reply is None and not err.fatal:
            raise err
        if err.reply is not None and not self.closed:
            if not isinstance(err.reply, Event):
                raise TypeError(f"{err!r} carries a reply that is not an Event: {err.reply!r}")
            yield from self.send((err.reply,))
        if err.fatal or self.closed:
            yield from self.close()
            return False
        return True

    def close(self) -> Generator[Action, Any, None]:
        """Flush, half-close, read until the peer's EOF for a moment (bounded), then close.

        The lingering read keeps the kernel from answering unread input with a reset, which
        could destroy the last reply before the peer has read it; it is an idle read, so a
        server that is shutting down cuts it short. Errors during the close are
        ignored: the connection is over either way.
        """
        if self.closed:
            return
        self.closed = True
        try:
            data = self.conn.data_to_send()
            if data:
                yield Write(data, self.idle_timeout)
            if not self._eof:
                half_closed = yield ShutdownWrite()
                if half_closed:
                    for _ in range(LINGER_READS):
                        if not (yield Read(self.read_size, LINGER_TIMEOUT, True)):
                            break
        except Exception:  # the connection is over whatever went wrong
            pass
        yield Close()

    # -- internals ------------------------------------------------------------------------------

    def _over(self) -> bool:
        return self.conn.should_close

    def _flush(self) -> Generator[Action, Any, None]:
        data = self.conn.data_to_send()
        if data:
            yield Write(data, self.idle_timeout)

    def _upgrade(self, event: StartTLS) -> Generator[Action, Any, None]:
        yield from self._flush()
        unread: bytes = yield UpgradeTLS(self.conn.role is Role.SERVER, self.idle_timeout)
        self.conn.tls_started()
        self.tls = True
        self.last_starttls = StartTLS(discarded=event.discarded + unread)

    def _tls_due(self) -> bool:
        """Whether the connection has a StartTLS event waiting to be collected."""
        return self.conn.tls_pending

    def _settle_tls(self) -> Generator[Action, Any, None]:
        event = self.conn.next_event()
        if not isinstance(event, StartTLS):  # pragma: no cover - a broken connection class
            raise RuntimeError(f"expected StartTLS from {self.conn!r}, got {event!r}")
        yield from self._upgrade(event)
