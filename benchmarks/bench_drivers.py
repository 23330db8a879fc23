"""What the generic driver loop costs: the asyncio driver against a hand-written streams loop.

Both servers answer ``ECHO text`` lines with ``OK text`` over loopback; a client writes a batch
of pipelined lines and reads every reply. The peer is the loop one would write for one protocol
with :func:`asyncio.start_server` and ``readline()``; ours runs a sans-I/O connection through
:mod:`mailproto.drivers.asyncio` (the pump, the channel, the connection's buffer). The ratio is
the price of driving any protocol with one loop (1.0x: free; lower: slower).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailproto._buffer import ReceiveBuffer
from mailproto.connection import NEED_DATA, BaseConnection, Event, Role, Sentinel
from mailproto.drivers.asyncio import AsyncChannel, serve

from ._harness import Comparison


@dataclass(frozen=True, slots=True)
class _Line(Event):
    text: bytes


class _EchoServer(BaseConnection):
    def __init__(self) -> None:
        super().__init__(Role.SERVER, ReceiveBuffer())

    @property
    def state(self) -> Role:
        return self.role

    def _next_event(self) -> Event | Sentinel:
        line = self._buffer.read_line()
        return NEED_DATA if line is None else _Line(line)

    def send(self, event: Event) -> None:
        assert isinstance(event, _Line)
        self._write(b"OK " + event.text[5:] + b"\r\n")


async def _ours_handler(channel: AsyncChannel) -> None:
    async for event in channel:
        await channel.send(event)


async def _peer_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(b"OK " + line[5:])
        await writer.drain()
    writer.close()


async def _client(port: int, payload: bytes, expected: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    got = 0
    while got < expected:
        data = await reader.read(65536)
        if not data:
            raise RuntimeError("the server closed early")
        got += len(data)
    writer.close()
    await writer.wait_closed()


def _run_ours(payload: bytes, expected: int) -> None:
    async def main() -> None:
        async with await serve(_EchoServer, _ours_handler) as server:
            await _client(server.port, payload, expected)

    asyncio.run(main())


def _run_peer(payload: bytes, expected: int) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_peer_handler, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            await _client(port, payload, expected)

    asyncio.run(main())


def comparisons(corpus: Path | None, quick: bool) -> Iterator[Comparison]:
    count = 2000 if quick else 20000
    payload = b"".join(b"ECHO line number %d of the batch\r\n" % i for i in range(count))
    expected = len(payload) - 2 * count  # "ECHO " becomes "OK "
    yield Comparison(
        name=f"drivers: asyncio echo, {count} pipelined lines",
        ours=lambda: _run_ours(payload, expected),
        work=count,
        unit="lines",
        peer=lambda: _run_peer(payload, expected),
        peer_name="asyncio streams",
    )
