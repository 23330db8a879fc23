"""Run any mailproto connection over blocking sockets: a client (:func:`connect`) or a server
(:func:`serve`, one thread per connection).

The logic lives in :mod:`mailproto.drivers._pump`; this module only executes its actions with
:mod:`socket` and :mod:`ssl`. A :class:`Channel` belongs to one thread at a time.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Final

from ..connection import Connection, ConnectionClosed, Event
from ..errors import RemoteProtocolError
from ._common import (
    DEFAULT_GRACE_PERIOD,
    ChannelInfo,
    ServerClosing,
    check_starttls_context,
    log_handler_end,
    logger,
)
from ._pump import Close, Pump, Read, ShutdownWrite, Step, UpgradeTLS, Write

__all__ = ["Channel", "ThreadedServer", "connect", "serve"]

#: Seconds to wait for a handler thread that was forced to stop after the grace period.
_FORCED_JOIN: Final = 5.0


class _ServerSignal:
    """How a server tells its connections' threads that it is shutting down.

    One end of a socket pair becomes readable for good when shutdown begins, so a thread waiting
    for an idle peer wakes at once (it waits on both with a selector).
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self._reader, self._writer = socket.socketpair()

    @property
    def fileno(self) -> int:
        return self._reader.fileno()

    def set(self) -> None:
        if not self.event.is_set():
            self.event.set()
            self._writer.send(b"x")

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


class Channel(ChannelInfo):
    """One live connection: events in with :meth:`next_event`, events out with :meth:`send`.

    Made by :func:`connect` or handed to a :func:`serve` handler.
    """

    def __init__(
        self,
        sock: socket.socket,
        conn: Connection,
        *,
        tls: bool,
        idle_timeout: float | None,
        starttls_context: ssl.SSLContext | None,
        server_hostname: str | None = None,
        _signal: _ServerSignal | None = None,
    ) -> None:
        self._sock = sock
        self._pump = Pump(conn, idle_timeout=idle_timeout, tls=tls)
        self._starttls_context = starttls_context
        self._server_hostname = server_hostname
        self._peername = sock.getpeername()
        self._sockname = sock.getsockname()
        self._signal = _signal
        self._selector: selectors.BaseSelector | None = None

    def __repr__(self) -> str:
        return f"<Channel {self._peername!r} {type(self.conn).__name__}>"

    def _tls_object(self) -> Any:
        return self._sock if isinstance(self._sock, ssl.SSLSocket) else None

    # -- the pump's actions ---------------------------------------------------------------------

    def _run(self, step: Step) -> Any:
        result: Any = None
        error: Exception | None = None
        while True:
            try:
                action = step.throw(error) if error is not None else step.send(result)
            except StopIteration as stop:
                return stop.value
            try:
                result, error = self._execute(action), None
            except Exception as exc:
                result, error = None, exc

    def _execute(self, action: Any) -> Any:
        sock = self._sock
        if isinstance(action, Read):
            return self._read(action)
        if isinstance(action, Write):
            sock.settimeout(action.timeout)
            sock.sendall(action.data)
            return None
        if isinstance(action, UpgradeTLS):
            context = check_starttls_context(self._starttls_context, action.server_side)
            sock.settimeout(action.timeout)
            self._sock = context.wrap_socket(
                sock,
                server_side=action.server_side,
                server_hostname=None if action.server_side else self._server_hostname,
            )
            return b""
        if isinstance(action, ShutdownWrite):
            if isinstance(sock, ssl.SSLSocket):
                return False
            sock.shutdown(socket.SHUT_WR)
            return True
        if isinstance(action, Close):
            self._release()
            return None
        raise TypeError(f"unknown action {action!r}")  # pragma: no cover

    def _read(self, action: Read) -> bytes:
        sock = self._sock
        signal = self._signal
        buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if signal is not None and action.idle and not buffered:
            if signal.event.is_set():
                raise ServerClosing("the server is shutting down")
            if self._selector is None:
                self._selector = selectors.DefaultSelector()
                self._selector.register(sock.fileno(), selectors.EVENT_READ)
                self._selector.register(signal.fileno, selectors.EVENT_READ)
            began = time.monotonic()
            ready = self._selector.select(action.timeout)
            if signal.event.is_set():
                raise ServerClosing("the server is shutting down")
            if not ready:
                raise TimeoutError(f"no data from the peer within {action.timeout} seconds")
            timeout = action.timeout
            if timeout is not None:
                timeout = max(timeout - (time.monotonic() - began), 0.001)
            sock.settimeout(timeout)
        else:
            sock.settimeout(action.timeout)
        try:
            return sock.recv(action.max_bytes)
        except (ConnectionResetError, ssl.SSLEOFError):
            return b""

    def _release(self) -> None:
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        self._sock.close()

    def _force_stop(self) -> None:
        """From another thread: make blocked I/O on this channel fail now."""
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    # -- the public interface -------------------------------------------------------------------

    def next_event(self) -> Event:
        """Return the next event from the peer, reading as needed.

        Never returns NEED_DATA. A STARTTLS upgrade the connection asks for is carried out here
        (see :attr:`last_starttls`) and not returned. Returns
        :class:`~mailproto.connection.ConnectionClosed` at the end of the conversation.

        :raises TimeoutError: the peer sent nothing for ``conn.read_timeout`` seconds (or the
            idle timeout when the connection gives no advice).
        :raises mailproto.errors.RemoteProtocolError: the peer sent something invalid.
        :raises ServerClosing: the server is shutting down while this connection was idle.
        """
        ready = self._pump.next_event_nowait()
        if ready is not None:
            return ready
        event: Event = self._run(self._pump.next_event())
        return event

    def send(self, *events: Event) -> None:
        """Send each event (``conn.send``) and write the bytes.

        With no events it only writes what the connection queued by other means (a server's
        ``accept()``, say). A TLS upgrade the events started is carried out, and the channel is
        closed afterwards if the connection says the conversation is over.
        """
        pump = self._pump
        write = pump.send_nowait(events)
        if write is None:
            self._run(pump.after_send())
        elif write.data:
            self._execute(write)

    def close(self) -> None:
        """Write what is queued, close our side, and close the socket."""
        self._run(self._pump.close())

    def abort(self) -> None:
        """Close the socket at once, dropping anything unsent."""
        self._pump.closed = True
        self._release()

    def events(self, *, answer_errors: bool = True) -> Iterator[Event]:
        """Yield events until the conversation ends.

        With ``answer_errors`` (the default), a :class:`~mailproto.errors.RemoteProtocolError`
        that carries a reply is answered with it and iteration goes on; a fatal one is answered,
        the channel closed, and iteration ends. Without it, errors propagate.
        """
        while True:
            try:
                event = self.next_event()
            except RemoteProtocolError as err:
                if not answer_errors:
                    raise
                if self._run(self._pump.recover(err)):
                    continue
                return
            if isinstance(event, ConnectionClosed):
                return
            yield event

    def __iter__(self) -> Iterator[Event]:
        return self.events(answer_errors=False)

    def __enter__(self) -> Channel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()


def connect(
    host: str,
    port: int,
    conn: Connection,
    *,
    ssl_context: ssl.SSLContext | None = None,
    starttls_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    connect_timeout: float = 30.0,
    idle_timeout: float | None = 300.0,
) -> Channel:
    """Open a TCP connection to ``host:port`` and return a channel driving ``conn`` over it.

    The parameters are those of :func:`mailproto.drivers.asyncio.connect`.
    """
    hostname = server_hostname or host
    sock = socket.create_connection((host, port), timeout=connect_timeout)
    try:
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=hostname)
    except BaseException:
        sock.close()
        raise
    return Channel(
        sock,
        conn,
        tls=ssl_context is not None,
        idle_timeout=idle_timeout,
        starttls_context=starttls_context,
        server_hostname=hostname,
    )


def _is_peer_failure(exc: BaseException) -> bool:
    return isinstance(exc, OSError | RemoteProtocolError | ServerClosing)


class ThreadedServer:
    """A listening server made by :func:`serve`, accepting in a background thread.

    Each connection runs the handler in a thread of its own. :meth:`close` shuts down cleanly:
    it stops accepting, interrupts handlers waiting for an idle peer (:class:`ServerClosing`),
    lets the others finish within the grace period, then makes their sockets fail and joins
    every thread. Also a context manager.
    """

    def __init__(
        self,
        factory: Callable[[], Connection],
        handler: Callable[[Channel], None],
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None,
        starttls_context: ssl.SSLContext | None,
        idle_timeout: float | None,
        grace_period: float,
        backlog: int,
    ) -> None:
        self._factory = factory
        self._handler = handler
        self._ssl_context = ssl_context
        self._starttls_context = starttls_context
        self._idle_timeout = idle_timeout
        self._grace_period = grace_period
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, port), family=family, backlog=backlog)
        self._listener.setblocking(False)
        self._port: int = self._listener.getsockname()[1]
        self._signal = _ServerSignal()
        self._lock = threading.Lock()
        # Each handler thread and what to shut to stop it: its socket, then its channel.
        self._workers: dict[threading.Thread, Channel | socket.socket] = {}
        self._closed = threading.Event()
        self._closing = False
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"mailproto-accept-{self._port}", daemon=True
        )
        self._acceptor.start()

    @property
    def port(self) -> int:
        """The port the server listens on (useful after ``port=0``)."""
        return self._port

    @property
    def connections(self) -> int:
        """How many connections are being handled now."""
        with self._lock:
            return len(self._workers)

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._signal.fileno, selectors.EVENT_READ)
            while not self._signal.event.is_set():
                selector.select()
                if self._signal.event.is_set():
                    break
                try:
                    sock, _ = self._listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    logger.exception("accept() failed")
                    time.sleep(0.1)
                    continue
                sock.setblocking(True)
                worker = threading.Thread(target=self._serve_one, args=(sock,), daemon=True)
                with self._lock:
                    self._workers[worker] = sock
                worker.start()

    def _serve_one(self, sock: socket.socket) -> None:
        me = threading.current_thread()
        peer: Any = None
        channel: Channel | None = None
        failure: BaseException | None = None
        try:
            peer = sock.getpeername()
            if self._ssl_context is not None:
                sock.settimeout(self._idle_timeout)
                sock = self._ssl_context.wrap_socket(sock, server_side=True)
            channel = Channel(
                sock,
                self._factory(),
                tls=self._ssl_context is not None,
                idle_timeout=self._idle_timeout,
                starttls_context=self._starttls_context,
                _signal=self._signal,
            )
            with self._lock:
                self._workers[me] = channel
            self._handler(channel)
        except Exception as exc:
            failure = exc
        try:
            log_handler_end(failure, peer)
            if channel is None or (failure is not None and not _is_peer_failure(failure)):
                sock.close() if channel is None else channel.abort()
            else:
                channel.close()
        except Exception:  # pragma: no cover - close swallows transport errors
            logger.exception("closing the connection from %s failed", peer)
        finally:
            with self._lock:
                self._workers.pop(me, None)

    def close(self) -> None:
        """Shut down cleanly (see the class description) and join every thread."""
        with self._lock:
            closing_already = self._closing
            self._closing = True
        if closing_already:
            self._closed.wait()
            return
        self._signal.set()
        self._acceptor.join()
        self._listener.close()
        deadline = time.monotonic() + self._grace_period
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.join(max(deadline - time.monotonic(), 0))
        with self._lock:
            stragglers = [(w, c) for w, c in self._workers.items() if w.is_alive()]
        for _, target in stragglers:
            if isinstance(target, Channel):
                target._force_stop()
            else:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(target, socket.SHUT_RDWR)
        for worker, _ in stragglers:
            worker.join(_FORCED_JOIN)
        self._signal.close()
        self._closed.set()

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until :meth:`close` has finished; return whether it has."""
        return self._closed.wait(timeout)

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(
    factory: Callable[[], Connection],
    handler: Callable[[Channel], None],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
    starttls_context: ssl.SSLContext | None = None,
    idle_timeout: float | None = 300.0,
    grace_period: float = DEFAULT_GRACE_PERIOD,
    backlog: int = 128,
) -> ThreadedServer:
    """Listen on ``host:port`` and run ``handler(channel)`` for each connection, in a thread.

    Returns at once with the server accepting in a background thread. The parameters and the
    handling of the handler's exceptions are those of :func:`mailproto.drivers.asyncio.serve`.
    """
    return ThreadedServer(
        factory,
        handler,
        host,
        port,
        ssl_context=ssl_context,
        starttls_context=starttls_context,
        idle_timeout=idle_timeout,
        grace_period=grace_period,
        backlog=backlog,
    )
