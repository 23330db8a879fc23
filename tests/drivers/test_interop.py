"""The drivers talk to each other: a client of one kind against a server of another."""

from __future__ import annotations

import asyncio
from typing import Any

import trio

from mailproto.connection import ConnectionClosed
from mailproto.drivers import asyncio as aio_driver
from mailproto.drivers import threaded
from mailproto.drivers import trio as trio_driver

from ._lineproto import Command, LineClient, LineServer, Reply, answer

LIMIT = 20.0
SESSION = [
    Command("ECHO", "before"),
    Command("STARTTLS"),
    Command("WHO"),
    Command("ECHO", "after"),
    Command("QUIT"),
]
EXPECTED = [
    Reply("OK", "before"),
    Reply("OK", "go ahead"),
    Reply("OK", "tls"),
    Reply("OK", "after"),
    Reply("BYE", "see you"),
]


def threaded_session(port: int, tls: Any) -> list[Any]:
    channel = threaded.connect(
        "127.0.0.1",
        port,
        LineClient(),
        starttls_context=tls.client,
        server_hostname="localhost",
        idle_timeout=LIMIT,
    )
    events = []
    for command in SESSION:
        channel.send(command)
        events.append(channel.next_event())
    events.append(channel.next_event())
    return events


def threaded_handler(channel: threaded.Channel) -> None:
    for event in channel.events():
        assert isinstance(event, Command)
        channel.send(answer(event, channel.tls))


def test_threaded_client_against_asyncio_server(tls: Any) -> None:
    async def handler(channel: aio_driver.AsyncChannel) -> None:
        async for event in channel.events():
            assert isinstance(event, Command)
            await channel.send(answer(event, channel.tls))

    async def main() -> list[Any]:
        server = await aio_driver.serve(LineServer, handler, starttls_context=tls.server)
        async with server:
            return await asyncio.to_thread(threaded_session, server.port, tls)

    events = asyncio.run(asyncio.wait_for(main(), LIMIT))
    assert events == [*EXPECTED, ConnectionClosed()]


def test_trio_client_against_threaded_server(tls: Any) -> None:
    async def main(port: int) -> list[Any]:
        with trio.fail_after(LIMIT):
            channel = await trio_driver.connect(
                "127.0.0.1",
                port,
                LineClient(),
                starttls_context=tls.client,
                server_hostname="localhost",
            )
            events = []
            for command in SESSION:
                await channel.send(command)
                events.append(await channel.next_event())
            return events

    with threaded.serve(LineServer, threaded_handler, starttls_context=tls.server) as server:
        assert trio.run(main, server.port) == EXPECTED


def test_asyncio_client_against_trio_server_with_implicit_tls(tls: Any) -> None:
    async def handler(channel: trio_driver.TrioChannel) -> None:
        async for event in channel.events():
            assert isinstance(event, Command)
            await channel.send(answer(event, channel.tls))

    async def client(port: int) -> list[Any]:
        channel = await aio_driver.connect(
            "127.0.0.1", port, LineClient(), ssl_context=tls.client, server_hostname="localhost"
        )
        await channel.send(Command("WHO"), Command("ECHO", "x"), Command("QUIT"))
        return [await channel.next_event() for _ in range(3)]

    async def main() -> list[Any]:
        with trio.fail_after(LIMIT):
            async with trio_driver.open_server(
                LineServer, handler, ssl_context=tls.server
            ) as server:
                result: list[Any] = await trio.to_thread.run_sync(
                    lambda: asyncio.run(asyncio.wait_for(client(server.port), LIMIT))
                )
                return result

    assert trio.run(main) == [Reply("OK", "tls"), Reply("OK", "x"), Reply("BYE", "see you")]
