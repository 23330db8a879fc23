"""Run any mailproto connection over trio: a client (:func:`connect`) or a server (:func:`serve`).

Needs the ``trio`` extra (``pip install mailproto[trio]``); nothing else in mailproto imports
this module. The logic lives in :mod:`mailproto.drivers._pump`; this module only executes its
actions with trio streams (:class:`trio.SSLStream` for TLS).

The server follows trio's structured concurrency: start it in a nursery, which hands back the
:class:`TrioServer` once it listens::

    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve, factory, handler)
        ...
        server.close()

or use :func:`open_server` as an async context manager.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Final

import trio

from ..connection import Connection
from ..errors import RemoteProtocolError
from ._async_channel import AsyncChannelBase
from ._common import (
    DEFAULT_GRACE_PERIOD,
    ServerClosing,
    check_starttls_context,
    log_handler_end,
    logger,
)
from ._pump import Close, Pump, Read, ShutdownWrite, UpgradeTLS, Write

__all__ = ["TrioChannel", "TrioServer", "connect", "open_server", "serve"]

#: Seconds to let a graceful close (TLS close_notify) take before closing forcefully.
_CLOSE_WAIT: Final = 2.0

_Stream = trio.SocketStream | trio.SSLStream[trio.SocketStream]


def _seconds(timeout: float | None) -> float:
    return math.inf if timeout is None else timeout


def _socket_of(stream: _Stream) -> Any:
    if isinstance(stream, trio.SSLStream):
        return stream.transport_stream.socket
    return stream.socket


class TrioChannel(AsyncChannelBase):
    """One live connection: events in with :meth:`next_event`, events out with :meth:`send`.

    Made by :func:`connect` or handed to a :func:`serve` handler. One task at a time.
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
        self._stream: _Stream = stream
        self._pump = Pump(conn, idle_timeout=idle_timeout, tls=tls)
        self._starttls_context = starttls_context
        self._server_hostname = server_hostname
        sock = _socket_of(stream)
        self._peername = sock.getpeername()
        self._sockname = sock.getsockname()
        self._server_closing = False
        self._read_scope: trio.CancelScope | None = None

    def __repr__(self) -> str:
        return f"<TrioChannel {self._peername!r} {type(self.conn).__name__}>"

    def _tls_object(self) -> Any:
        return self._stream if isinstance(self._stream, trio.SSLStream) else None

    # -- the pump's actions ---------------------------------------------------------------------

    def _translate(self, exc: Exception) -> Exception:
        if isinstance(exc, trio.TooSlowError):
            error: Exception = TimeoutError("the operation took too long")
        elif isinstance(exc, trio.BrokenResourceError):
            error = ConnectionResetError(str(exc) or "the connection broke")
        elif isinstance(exc, trio.ClosedResourceError):
            error = ConnectionError(str(exc) or "the channel is closed")
        else:
            return exc
        error.__cause__ = exc
        return error

    async def _execute(self, action: Any) -> Any:
        stream = self._stream
        if isinstance(action, Read):
            return await self._read(action)
        if isinstance(action, Write):
            with trio.fail_after(_seconds(action.timeout)):
                await stream.send_all(action.data)
            return None
        if isinstance(action, UpgradeTLS):
            context = check_starttls_context(self._starttls_context, action.server_side)
            if isinstance(stream, trio.SSLStream):
                raise RuntimeError("the transport is already encrypted")
            upgraded = trio.SSLStream(
                stream,
                context,
                server_side=action.server_side,
                server_hostname=None if action.server_side else self._server_hostname,
            )
            with trio.fail_after(_seconds(action.timeout)):
                await upgraded.do_handshake()
            self._stream = upgraded
            return b""
        if isinstance(action, ShutdownWrite):
            if isinstance(stream, trio.SSLStream):
                return False
            await stream.send_eof()
            return True
        if isinstance(action, Close):
            with trio.move_on_after(_CLOSE_WAIT):
                await stream.aclose()
            await trio.aclose_forcefully(stream)
            return None
        raise TypeError(f"unknown action {action!r}")  # pragma: no cover

    async def _read(self, action: Read) -> bytes:
        if self._server_closing and action.idle:
            raise ServerClosing("the server is shutting down")
        with trio.CancelScope() as scope:
            if action.idle:
                self._read_scope = scope
            try:
                with trio.fail_after(_seconds(action.timeout)):
                    return bytes(await self._stream.receive_some(action.max_bytes))
            except trio.BrokenResourceError:
                return b""
            finally:
                self._read_scope = None
        raise ServerClosing("the server is shutting down")

    def _interrupt(self) -> None:
        self._server_closing = True
        if self._read_scope is not None:
            self._read_scope.cancel()

    # -- the public interface -------------------------------------------------------------------

    async def abort(self) -> None:
        """Close the stream at once, dropping anything unsent."""
        self._pump.closed = True
        await trio.aclose_forcefully(self._stream)

    async def _abort_now(self) -> None:
        await self.abort()


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
) -> TrioChannel:
    """Open a TCP connection to ``host:port`` and return a channel driving ``conn`` over it.

    The parameters are those of :func:`mailproto.drivers.asyncio.connect`.
    """
    hostname = server_hostname or host
    try:
        with trio.fail_after(connect_timeout):
            plain = await trio.open_tcp_stream(host, port)
            stream: _Stream = plain
            if ssl_context is not None:
                stream = trio.SSLStream(plain, ssl_context, server_hostname=hostname)
                try:
                    await stream.do_handshake()
                except BaseException:
                    await trio.aclose_forcefully(plain)
                    raise
    except trio.TooSlowError as exc:
        raise TimeoutError(f"connecting to {host}:{port} took too long") from exc
    except trio.BrokenResourceError as exc:
        raise ConnectionResetError(f"the TLS handshake with {host}:{port} failed") from exc
    return TrioChannel(
        stream,
        conn,
        tls=ssl_context is not None,
        idle_timeout=idle_timeout,
        starttls_context=starttls_context,
        server_hostname=hostname,
    )


def _is_peer_failure(exc: BaseException) -> bool:
    return isinstance(exc, OSError | RemoteProtocolError | ServerClosing)


class TrioServer:
    """A listening server started by :func:`serve` (through ``nursery.start``).

    :meth:`close` shuts down cleanly: stop accepting, interrupt handlers waiting for an idle peer
    (:class:`ServerClosing`), let the others finish within the grace period, then cancel them.
    """

    def __init__(
        self,
        factory: Callable[[], Connection],
        handler: Callable[[TrioChannel], Awaitable[None]],
        listeners: list[trio.SocketListener],
        *,
        ssl_context: ssl.SSLContext | None,
        starttls_context: ssl.SSLContext | None,
        idle_timeout: float | None,
        grace_period: float,
    ) -> None:
        self._factory = factory
        self._handler = handler
        self._listeners = listeners
        self._ssl_context = ssl_context
        self._starttls_context = starttls_context
        self._idle_timeout = idle_timeout
        self._grace_period = grace_period
        self._channels: set[TrioChannel] = set()
        self._active = 0
        self._close_requested = trio.Event()
        self._closed = trio.Event()

    @property
    def port(self) -> int:
        """The port the server listens on (useful after ``port=0``)."""
        port: int = self._listeners[0].socket.getsockname()[1]
        return port

    @property
    def connections(self) -> int:
        """How many connections are being handled now."""
        return self._active

    def close(self) -> None:
        """Begin the clean shutdown; :meth:`wait_closed` waits for it to finish."""
        self._close_requested.set()

    async def wait_closed(self) -> None:
        """Wait until the server has shut down."""
        await self._closed.wait()

    async def _run(self, task_status: trio.TaskStatus[TrioServer]) -> None:
        try:
            with trio.CancelScope() as handler_scope:
                async with trio.open_nursery() as handlers:
                    async with trio.open_nursery() as acceptors:
                        for listener in self._listeners:
                            acceptors.start_soon(self._accept_loop, listener, handlers)
                        task_status.started(self)
                        await self._close_requested.wait()
                        acceptors.cancel_scope.cancel()
                    for listener in self._listeners:
                        await trio.aclose_forcefully(listener)
                    for channel in list(self._channels):
                        channel._interrupt()
                    handler_scope.deadline = trio.current_time() + self._grace_period
        finally:
            for listener in self._listeners:
                await trio.aclose_forcefully(listener)
            self._closed.set()

    async def _accept_loop(self, listener: trio.SocketListener, handlers: trio.Nursery) -> None:
        while True:
            try:
                stream = await listener.accept()
            except OSError:
                logger.exception("accept() failed")
                await trio.sleep(0.1)
                continue
            handlers.start_soon(self._serve_one, stream)

    async def _serve_one(self, plain: trio.SocketStream) -> None:
        self._active += 1
        stream: _Stream = plain
        channel: TrioChannel | None = None
        failure: BaseException | None = None
        peer: Any = None
        try:
            try:
                peer = plain.socket.getpeername()
                if self._ssl_context is not None:
                    stream = trio.SSLStream(plain, self._ssl_context, server_side=True)
                    with trio.fail_after(_seconds(self._idle_timeout)):
                        await stream.do_handshake()
                channel = TrioChannel(
                    stream,
                    self._factory(),
                    tls=self._ssl_context is not None,
                    idle_timeout=self._idle_timeout,
                    starttls_context=self._starttls_context,
                )
                self._channels.add(channel)
                await self._handler(channel)
            except Exception as exc:
                failure = exc
            finally:
                if channel is not None:
                    self._channels.discard(channel)
            log_handler_end(failure, peer)
            if channel is not None and (failure is None or _is_peer_failure(failure)):
                await channel.aclose()
            else:
                await trio.aclose_forcefully(stream)
        except BaseException:
            await trio.aclose_forcefully(channel._stream if channel is not None else stream)
            raise
        finally:
            self._active -= 1


async def serve(
    factory: Callable[[], Connection],
    handler: Callable[[TrioChannel], Awaitable[None]],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
    starttls_context: ssl.SSLContext | None = None,
    idle_timeout: float | None = 300.0,
    grace_period: float = DEFAULT_GRACE_PERIOD,
    backlog: int = 128,
    task_status: trio.TaskStatus[TrioServer] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Listen on ``host:port`` and run ``handler(channel)`` for each connection, in a task.

    Run it with ``await nursery.start(serve, factory, handler)``, which returns the
    :class:`TrioServer` once it listens; this function returns when the server has shut down.
    The parameters and the handling of the handler's exceptions are those of
    :func:`mailproto.drivers.asyncio.serve`.
    """
    listeners = await trio.open_tcp_listeners(port, host=host, backlog=backlog)
    server = TrioServer(
        factory,
        handler,
        listeners,
        ssl_context=ssl_context,
        starttls_context=starttls_context,
        idle_timeout=idle_timeout,
        grace_period=grace_period,
    )
    await server._run(task_status)


@asynccontextmanager
async def open_server(
    factory: Callable[[], Connection],
    handler: Callable[[TrioChannel], Awaitable[None]],
    host: str = "127.0.0.1",
    port: int = 0,
    **options: Any,
) -> AsyncIterator[TrioServer]:
    """Run :func:`serve` for the duration of an ``async with`` block; shut down at its end.

    The options are the keyword arguments of :func:`serve`.
    """
    async with trio.open_nursery() as nursery:
        server: TrioServer = await nursery.start(
            partial(serve, factory, handler, host, port, **options)
        )
        try:
            yield server
        finally:
            server.close()
