"""Run any mailproto connection over asyncio: a client (:func:`connect`), a server (:func:`serve`).

The logic lives in :mod:`mailproto.drivers._pump`; this module only executes its actions with an
:class:`asyncio.Protocol` of its own (rather than streams, so that plaintext buffered when a
STARTTLS upgrade begins can be discarded and reported instead of being read as if it had arrived
encrypted).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final, cast

from ..connection import Connection
from ..errors import RemoteProtocolError
from ._async_channel import AsyncChannelBase
from ._common import (
    DEFAULT_GRACE_PERIOD,
    ServerClosing,
    check_starttls_context,
    log_handler_end,
)
from ._pump import READ_SIZE, Close, Pump, Read, ShutdownWrite, UpgradeTLS, Write

__all__ = ["AsyncChannel", "AsyncServer", "connect", "serve"]

#: Stop reading from the socket while this many received bytes wait to be consumed.
_HIGH_WATER: Final = 4 * READ_SIZE
#: Seconds to wait for the transport to finish closing before aborting it.
_CLOSE_WAIT: Final = 2.0


class _Stream(asyncio.Protocol):
    """A minimal byte stream over a transport: buffered reads, drained writes, TLS upgrade."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_connection: Callable[[_Stream], None] | None = None,
        *,
        tls: bool = False,
    ) -> None:
        self._loop = loop
        self._on_connection = on_connection
        self._tls = tls
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self._buffer = bytearray()
        self._eof = False
        self._lost = False
        self._reading_paused = False
        self._writing_paused = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._read_interruptible = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._lost_future: asyncio.Future[None] = loop.create_future()

    # -- protocol callbacks ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self._on_connection is not None:
            self._on_connection(self)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._wake_reader()
        if len(self._buffer) >= _HIGH_WATER and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake_reader()
        # Keep a plain TCP connection half-open so the last reply can still be written.
        return not self._tls

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._eof = True
        self._wake_reader()
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_exception(ConnectionResetError("the connection was lost"))
        self._drain_waiters.clear()
        if not self._lost_future.done():
            self._lost_future.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()

    # -- operations -----------------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _wake_reader(self) -> None:
        waiter = self._read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def interrupt(self, exc: BaseException) -> None:
        """Fail a read that is waiting and may be interrupted (a server shutting down)."""
        waiter = self._read_waiter
        if waiter is not None and self._read_interruptible and not waiter.done():
            waiter.set_exception(exc)

    async def read(self, max_bytes: int, timeout: float | None, interruptible: bool) -> bytes:
        while not self._buffer and not self._eof:
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._read_waiter = waiter
            self._read_interruptible = interruptible
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            finally:
                self._read_waiter = None
        if not self._buffer:
            return b""
        data = bytes(self._buffer[:max_bytes])
        del self._buffer[:max_bytes]
        if self._reading_paused and len(self._buffer) < _HIGH_WATER // 2 and not self._lost:
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    async def write(self, data: bytes, timeout: float | None) -> None:
        if self._lost or self.transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.transport.write(data)
        if self._writing_paused:
            waiter: asyncio.Future[None] = self._loop.create_future()
            self._drain_waiters.append(waiter)
            async with asyncio.timeout(timeout):
                await waiter

    async def start_tls(
        self,
        context: ssl.SSLContext,
        server_side: bool,
        server_hostname: str | None,
        timeout: float | None,
    ) -> bytes:
        unread = bytes(self._buffer)
        self._buffer.clear()
        self._reading_paused = False
        self._tls = True
        transport = await self._loop.start_tls(
            self.transport,
            self,
            context,
            server_side=server_side,
            server_hostname=None if server_side else server_hostname,
            ssl_handshake_timeout=timeout,
        )
        if transport is None:  # pragma: no cover - only when the connection closed meanwhile
            raise ConnectionResetError("the connection closed during the TLS handshake")
        self.transport = transport
        return unread

    def shutdown_write(self) -> bool:
        transport = self.transport
        if transport.is_closing() or not transport.can_write_eof():
            return False
        transport.write_eof()
        return True

    async def close(self) -> None:
        transport = self.transport
        if not transport.is_closing():
            transport.close()
        await asyncio.wait({self._lost_future}, timeout=_CLOSE_WAIT)
        if not self._lost_future.done():
            transport.abort()

    def abort(self) -> None:
        self.transport.abort()


class AsyncChannel(AsyncChannelBase):
    """One live connection: events in with :meth:`next_event`, events out with :meth:`send`.

    Made by :func:`connect` or handed to a :func:`serve` handler. Not safe to use from two tasks
    at once (one task reads while another writes is not supported).
    """

    def __init__(
        self,
        stream: _Stream,
        conn: Connection,
        *,
        tls: bool,
        idle_timeout: float | None,
        starttls_context: ssl.SSLContext | None,
        server_hostname: str | None = None,
    ) -> None:
        self._stream = stream
        self._pump = Pump(conn, idle_timeout=idle_timeout, tls=tls)
        self._starttls_context = starttls_context
        self._server_hostname = server_hostname
        self._peername = stream.transport.get_extra_info("peername")
        self._sockname = stream.transport.get_extra_info("sockname")
        self._server_closing = False

    def __repr__(self) -> str:
        return f"<AsyncChannel {self._peername!r} {type(self.conn).__name__}>"

    def _tls_object(self) -> Any:
        return self._stream.transport.get_extra_info("ssl_object")

    # -- the pump's actions ---------------------------------------------------------------------

    async def _execute(self, action: Any) -> Any:
        stream = self._stream
        if type(action) is Write:  # the most frequent action
            return await stream.write(action.data, action.timeout)
        if isinstance(action, Read):
            if self._server_closing and action.idle and not stream.buffered:
                raise ServerClosing("the server is shutting down")
            return await stream.read(action.max_bytes, action.timeout, action.idle)
        if isinstance(action, Write):
            return await stream.write(action.data, action.timeout)
        if isinstance(action, UpgradeTLS):
            context = check_starttls_context(self._starttls_context, action.server_side)
            return await stream.start_tls(
                context, action.server_side, self._server_hostname, action.timeout
            )
        if isinstance(action, ShutdownWrite):
            return stream.shutdown_write()
        if isinstance(action, Close):
            return await stream.close()
        raise TypeError(f"unknown action {action!r}")  # pragma: no cover

    def _interrupt(self) -> None:
        self._server_closing = True
        self._stream.interrupt(ServerClosing("the server is shutting down"))

    # -- the public interface -------------------------------------------------------------------

    def abort(self) -> None:
        """Close the transport at once, dropping anything unsent."""
        self._pump.closed = True
        self._stream.abort()

    async def _abort_now(self) -> None:
        self.abort()


async def connect(
    host: str,
    port: int,
    conn: Connection,
    *,
    ssl_context: ssl.SSLContext | None = None,
    starttls_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    connect_timeout: float = 30.0,
    idle_timeout: float | None = 300.0,
) -> AsyncChannel:
    """Open a TCP connection to ``host:port`` and return a channel driving ``conn`` over it.

    :param ssl_context: start TLS at once (implicit TLS, as on ports 465, 993, 995).
    :param starttls_context: the context for a STARTTLS upgrade; by default
        :func:`ssl.create_default_context`.
    :param server_hostname: the name to verify the server's certificate against (default
        ``host``).
    :param connect_timeout: seconds allowed for the TCP connect and any implicit TLS handshake.
    :param idle_timeout: seconds to wait for the peer when the connection gives no advice.
    """
    loop = asyncio.get_running_loop()
    hostname = server_hostname or host
    async with asyncio.timeout(connect_timeout):
        _, stream = await loop.create_connection(
            lambda: _Stream(loop, tls=ssl_context is not None),
            host,
            port,
            ssl=ssl_context,
            server_hostname=hostname if ssl_context is not None else None,
        )
    return AsyncChannel(
        stream,
        conn,
        tls=ssl_context is not None,
        idle_timeout=idle_timeout,
        starttls_context=starttls_context,
        server_hostname=hostname,
    )


class AsyncServer:
    """A listening server made by :func:`serve`; each accepted connection runs the handler.

    ``close()`` shuts down cleanly: it stops accepting, interrupts handlers waiting for an idle
    peer (:class:`ServerClosing`), lets the others finish within the grace period and then cancels
    them. Use ``await server.wait_closed()`` to wait for that, or ``async with server:``.
    """

    def __init__(
        self,
        factory: Callable[[], Connection],
        handler: Callable[[AsyncChannel], Awaitable[None]],
        *,
        tls: bool,
        starttls_context: ssl.SSLContext | None,
        idle_timeout: float | None,
        grace_period: float,
    ) -> None:
        self._factory = factory
        self._handler = handler
        self._tls = tls
        self._starttls_context = starttls_context
        self._idle_timeout = idle_timeout
        self._grace_period = grace_period
        self._loop = asyncio.get_running_loop()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._channels: set[AsyncChannel] = set()
        self._closing = False
        self._closed = asyncio.Event()
        self._shutdown: asyncio.Task[None] | None = None
        self._port = 0

    @property
    def sockets(self) -> tuple[Any, ...]:
        """The listening sockets."""
        return tuple(self._server.sockets) if self._server is not None else ()

    @property
    def port(self) -> int:
        """The port the server listens on (useful after ``port=0``)."""
        return self._port

    @property
    def connections(self) -> int:
        """How many connections are being handled now."""
        return len(self._tasks)

    def _accepted(self, stream: _Stream) -> None:
        if self._closing:
            stream.abort()
            return
        task = self._loop.create_task(self._handle(stream))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, stream: _Stream) -> None:
        peer = stream.transport.get_extra_info("peername")
        channel: AsyncChannel | None = None
        failure: BaseException | None = None
        try:
            channel = AsyncChannel(
                stream,
                self._factory(),
                tls=self._tls,
                idle_timeout=self._idle_timeout,
                starttls_context=self._starttls_context,
            )
            self._channels.add(channel)
            await self._handler(channel)
        except asyncio.CancelledError:
            stream.abort()
            raise
        except Exception as exc:
            failure = exc
        finally:
            if channel is not None:
                self._channels.discard(channel)
        log_handler_end(failure, peer)
        if channel is None or (failure is not None and not _is_peer_failure(failure)):
            stream.abort()
        else:
            try:
                await channel.aclose()
            except Exception:  # pragma: no cover - close swallows transport errors
                stream.abort()

    def close(self) -> None:
        """Stop accepting and begin the clean shutdown (see the class description)."""
        if self._closing:
            return
        self._closing = True
        if self._server is not None:
            self._server.close()
        for channel in self._channels:
            channel._interrupt()
        self._shutdown = self._loop.create_task(self._shut_down())

    async def _shut_down(self) -> None:
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self._grace_period)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._server is not None:
            await self._server.wait_closed()
        self._closed.set()

    async def wait_closed(self) -> None:
        """Wait until :meth:`close` has finished shutting down."""
        await self._closed.wait()

    async def serve_forever(self) -> None:
        """Wait until the server is closed (the server already runs; this only waits)."""
        await self.wait_closed()

    async def __aenter__(self) -> AsyncServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        await self.wait_closed()


def _is_peer_failure(exc: BaseException) -> bool:
    """Whether a handler ended because of the peer or shutdown (close politely) or a bug."""
    return isinstance(exc, OSError | RemoteProtocolError | ServerClosing)


async def serve(
    factory: Callable[[], Connection],
    handler: Callable[[AsyncChannel], Awaitable[None]],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
    starttls_context: ssl.SSLContext | None = None,
    idle_timeout: float | None = 300.0,
    grace_period: float = DEFAULT_GRACE_PERIOD,
    backlog: int = 128,
) -> AsyncServer:
    """Listen on ``host:port`` and run ``handler(channel)`` for each connection, in its own task.

    ``factory()`` makes the server connection for each client. The handler's return closes the
    connection politely; an exception from it is logged (at INFO for the peer's doings such as a
    reset, a timeout or a fatal protocol error; at ERROR with a traceback otherwise) and closes
    that connection only.

    :param ssl_context: a server context for implicit TLS (ports 465, 993, 995).
    :param starttls_context: the server context used when a connection agrees to STARTTLS.
    :param idle_timeout: seconds to wait for a client when its connection gives no advice.
    :param grace_period: seconds :meth:`AsyncServer.close` lets busy handlers finish.
    """
    server = AsyncServer(
        factory,
        handler,
        tls=ssl_context is not None,
        starttls_context=starttls_context,
        idle_timeout=idle_timeout,
        grace_period=grace_period,
    )
    loop = asyncio.get_running_loop()
    server._server = await loop.create_server(
        lambda: _Stream(loop, server._accepted, tls=ssl_context is not None),
        host,
        port,
        ssl=ssl_context,
        ssl_handshake_timeout=idle_timeout if ssl_context is not None else None,
        backlog=backlog,
    )
    server._port = server._server.sockets[0].getsockname()[1]
    return server
