"""Running a DevServer in a background event loop for tests that use blocking clients."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mailproto.devserver import DevServer, ServerConfig

T = TypeVar("T")


class LoopThread:
    """An event loop in a daemon thread; coroutines are run in it with :meth:`run`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@contextmanager
def running(config: ServerConfig, **kwargs: Any) -> Iterator[tuple[DevServer, LoopThread]]:
    """Start a :class:`DevServer` on free ports; stop it (cleanly) at the end."""
    config.smtp_port = 0
    if config.pop3_port is not None:
        config.pop3_port = 0
    config.fsync = False
    config.grace_period = 2.0
    loop = LoopThread()

    async def start() -> DevServer:
        server = DevServer(config, **kwargs)
        await server.start()
        return server

    server = loop.run(start())
    try:
        yield server, loop
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        loop.run(stop())
        loop.stop()
