"""Plain-socket peers for the driver tests, independent of every driver, to check exact bytes."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

TIMEOUT = 10.0


def read_until_eof(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def read_until(sock: socket.socket, suffix: bytes) -> bytes:
    data = b""
    while not data.endswith(suffix):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def open_raw(port: int, ctx: ssl.SSLContext | None = None) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    if ctx is not None:
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    return sock


def raw_exchange(port: int, payload: bytes, ctx: ssl.SSLContext | None = None) -> bytes:
    """Connect, send ``payload`` at once, and return everything received until EOF."""
    with open_raw(port, ctx) as sock:
        sock.sendall(payload)
        return read_until_eof(sock)


def raw_starttls(
    port: int, ctx: ssl.SSLContext, before: bytes, after: bytes
) -> tuple[bytes, bytes]:
    """Send ``before`` (ending with STARTTLS and maybe more), upgrade, send ``after``."""
    with open_raw(port) as sock:
        sock.sendall(before)
        plain = read_until(sock, b"OK go ahead\r\n")
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(after)
            return plain, read_until_eof(tls)


class RawServer:
    """Accept one connection in a thread and run ``script(sock)`` on it; keep its result."""

    def __init__(self, script: Callable[[socket.socket], Any]) -> None:
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(TIMEOUT)
        self.port: int = self._listener.getsockname()[1]
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            sock, _ = self._listener.accept()
            with sock:
                sock.settimeout(TIMEOUT)
                self.result = self._script(sock)
        except BaseException as exc:
            self.error = exc
        finally:
            self._listener.close()

    def join(self) -> Any:
        self._thread.join(TIMEOUT + 5)
        if self._thread.is_alive():
            raise AssertionError("the raw server did not finish")
        if self.error is not None:
            raise self.error
        return self.result

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._thread.join(TIMEOUT + 5)


def raw_abandon(port: int, payload: bytes) -> bytes:
    """Send ``payload``, read the first bytes of the answer, and close without reading the rest."""
    with open_raw(port) as sock:
        sock.sendall(payload)
        return sock.recv(1000)
