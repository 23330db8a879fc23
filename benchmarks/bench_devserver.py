"""The development server's SMTP side against aiosmtpd, the usual Python choice for the job.

Both servers run in a background thread, accept any recipient and keep each message in memory
(ours: ``mailproto serve``'s :class:`~mailproto.devserver.MemoryStore`; aiosmtpd: a handler
that appends the content to a list). One client connection then sends a batch of messages,
each with ``MAIL``, ``RCPT`` and ``DATA`` pipelined and the content after the 354, and waits
for every 250. The ratio is messages per second, ours over aiosmtpd's.
"""

from __future__ import annotations

import asyncio
import atexit
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mailproto.devserver import DevServer, ServerConfig

from ._harness import Comparison

_BODY = (
    b"From: bench@a.example\r\nTo: sink@b.example\r\nSubject: benchmark\r\n\r\n"
    + b"A line of text in the body of the benchmark message.\r\n" * 40
)


def _client(port: int, count: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")

        def reply() -> bytes:
            while True:
                line = reader.readline()
                if not line:
                    raise RuntimeError("the server closed the connection")
                if line[3:4] != b"-":
                    return line

        reply()
        sock.sendall(b"EHLO bench.example\r\n")
        reply()
        for _ in range(count):
            sock.sendall(b"MAIL FROM:<bench@a.example>\r\nRCPT TO:<sink@b.example>\r\nDATA\r\n")
            for expected in (b"250", b"250", b"354"):
                line = reply()
                if not line.startswith(expected):
                    raise RuntimeError(f"unexpected reply {line!r}")
            sock.sendall(_BODY + b".\r\n")
            if not reply().startswith(b"250"):
                raise RuntimeError("message refused")
        sock.sendall(b"QUIT\r\n")
        reply()


class _Ours:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        config = ServerConfig(smtp_port=0, pop3_port=None, fsync=False)

        async def start() -> DevServer:
            server = DevServer(config)
            await server.start()
            return server

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port = self.server.smtp_port

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class _Peer:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        messages = self.messages

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                messages.append(envelope.original_content or envelope.content)
                return "250 OK"

        # aiosmtpd's controller connects to its own port to check it started: it needs a
        # fixed port, not 0.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


def _once(make: Callable[[], Any], count: int) -> Callable[[], None]:
    server: Any = None

    def run() -> None:
        nonlocal server
        if server is None:
            server = make()
            atexit.register(server.close)
        _client(server.port, count)

    return run


def comparisons(corpus: Path | None, quick: bool) -> Iterator[Comparison]:
    del corpus
    count = 50 if quick else 500
    try:
        import aiosmtpd.controller  # noqa: F401
    except ImportError:
        peer = None
    else:
        peer = _once(_Peer, count)
    yield Comparison(
        name=f"devserver: {count} messages of {len(_BODY)} octets over one SMTP session",
        ours=_once(_Ours, count),
        work=count,
        unit="msgs",
        peer=peer,
        peer_name="aiosmtpd",
    )
