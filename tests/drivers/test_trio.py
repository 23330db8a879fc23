"""The trio driver over loopback, with and without TLS, checked byte for byte."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
import trio

from mailproto.connection import ConnectionClosed, StartTLS
from mailproto.drivers import ServerClosing
from mailproto.drivers.trio import TrioChannel, TrioServer, connect, open_server, serve
from mailproto.errors import ErrorKind, RemoteProtocolError

from ._lineproto import Command, LineClient, LineServer, Reply, answer
from ._raw import (
    RawServer,
    open_raw,
    raw_abandon,
    raw_exchange,
    raw_starttls,
    read_until,
    read_until_eof,
)

LIMIT = 20.0


def run(fn: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        with trio.fail_after(LIMIT):
            return await fn()

    return trio.run(bounded)


class Record:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.starttls: list[StartTLS | None] = []
        self.done = trio.Event()


def make_handler(
    record: Record, answer_errors: bool = True, goodbye: bool = False
) -> Callable[[TrioChannel], Awaitable[None]]:
    async def handler(channel: TrioChannel) -> None:
        try:
            if goodbye:
                try:
                    async for event in channel.events():
                        assert isinstance(event, Command)
                        await channel.send(answer(event, channel.tls))
                except ServerClosing:
                    await channel.send(Reply("BYE", "shutting down"))
                return
            async for event in channel.events(answer_errors=answer_errors):
                assert isinstance(event, Command)
                if event.verb == "BOOM":
                    raise RuntimeError("boom")
                if event.verb == "SLOW":
                    await trio.sleep(float(event.arg))
                if event.verb == "HANG":
                    await trio.sleep(3600)
                await channel.send(answer(event, channel.tls))
        except BaseException as exc:
            record.errors.append(exc)
            raise
        finally:
            record.starttls.append(channel.last_starttls)
            record.done.set()

    return handler


def start(record: Record, **kwargs: Any) -> Any:
    factory = kwargs.pop("factory", LineServer)
    handler = make_handler(record, kwargs.pop("answer_errors", True), kwargs.pop("goodbye", False))
    return open_server(factory, handler, **kwargs)


async def dial(port: int, **kwargs: Any) -> TrioChannel:
    kwargs.setdefault("idle_timeout", LIMIT)
    return await connect("127.0.0.1", port, LineClient(), **kwargs)


async def ask(channel: TrioChannel, *commands: Command) -> list[Any]:
    await channel.send(*commands)
    return [await channel.next_event() for _ in commands]


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await trio.to_thread.run_sync(partial(fn, *args))


def test_server_exact_bytes() -> None:
    async def main() -> bytes:
        async with start(Record()) as server:
            payload = "ECHO hello world\r\nECHO café\r\nQUIT\r\n".encode()
            result: bytes = await in_thread(raw_exchange, server.port, payload)
            return result

    assert run(main) == "OK hello world\r\nOK café\r\nBYE see you\r\n".encode()


def test_client_exact_bytes() -> None:
    def script(sock: socket.socket) -> bytes:
        got = read_until(sock, b"ECHO hi there\r\n")
        sock.sendall(b"OK hi there\r\n")
        got += read_until(sock, b"QUIT\r\n")
        sock.sendall(b"BYE see you\r\n")
        return got + read_until_eof(sock)

    with RawServer(script) as raw:

        async def main() -> list[Any]:
            channel = await dial(raw.port)
            events = await ask(channel, Command("ECHO", "hi there"))
            events += await ask(channel, Command("QUIT"))
            events.append(await channel.next_event())
            assert channel.closed
            return events

        events = run(main)
        assert raw.join() == b"ECHO hi there\r\nQUIT\r\n"
    assert events == [Reply("OK", "hi there"), Reply("BYE", "see you"), ConnectionClosed()]


def test_pipelined_roundtrip_and_volume() -> None:
    async def main() -> list[Any]:
        async with start(Record()) as server:
            channel = await dial(server.port)
            events = await ask(channel, *(Command("ECHO", str(i)) for i in range(100)))
            events += await ask(channel, *(Command("BIG", "400000") for _ in range(4)))
            events += await ask(channel, Command("QUIT"))
            return events

    assert run(main) == [
        *(Reply("OK", str(i)) for i in range(100)),
        *[Reply("OK", "x" * 400000)] * 4,
        Reply("BYE", "see you"),
    ]


def test_starttls_upgrade(tls: Any) -> None:
    record = Record()

    async def main() -> list[Any]:
        async with start(record, starttls_context=tls.server) as server:
            channel = await dial(
                server.port, starttls_context=tls.client, server_hostname="localhost"
            )
            events = await ask(channel, Command("WHO"), Command("STARTTLS"))
            assert channel.tls and (channel.tls_version or "").startswith("TLS")
            events += await ask(channel, Command("WHO"), Command("QUIT"))
            await record.done.wait()
            return events

    assert run(main) == [
        Reply("OK", "plain"),
        Reply("OK", "go ahead"),
        Reply("OK", "tls"),
        Reply("BYE", "see you"),
    ]
    assert record.starttls == [StartTLS(discarded=b"")]


def test_starttls_discards_pipelined_plaintext(tls: Any) -> None:
    record = Record()

    async def main() -> tuple[bytes, bytes]:
        async with start(record, starttls_context=tls.server) as server:
            result: tuple[bytes, bytes] = await in_thread(
                raw_starttls,
                server.port,
                tls.client,
                b"STARTTLS\r\nECHO injected\r\n",
                b"WHO\r\nQUIT\r\n",
            )
            await record.done.wait()
            return result

    assert run(main) == (b"OK go ahead\r\n", b"OK tls\r\nBYE see you\r\n")
    assert record.starttls == [StartTLS(discarded=b"ECHO injected\r\n")]


def test_implicit_tls(tls: Any) -> None:
    async def main() -> tuple[list[Any], bytes]:
        async with start(Record(), ssl_context=tls.server) as server:
            channel = await dial(server.port, ssl_context=tls.client, server_hostname="localhost")
            assert channel.tls and channel.peercert is not None
            events = await ask(channel, Command("WHO"), Command("QUIT"))
            raw = await in_thread(
                raw_exchange, server.port, b"ECHO over tls\r\nQUIT\r\n", tls.client
            )
            return events, raw

    events, raw = run(main)
    assert events == [Reply("OK", "tls"), Reply("BYE", "see you")]
    assert raw == b"OK over tls\r\nBYE see you\r\n"


@pytest.mark.parametrize(
    ("idle", "advice"), [(0.2, None), (None, 0.2), (30.0, 0.2)], ids=["idle", "advice", "both"]
)
def test_server_idle_timeout(idle: float | None, advice: float | None) -> None:
    record = Record()

    async def main() -> tuple[bytes, float]:
        async with start(
            record, factory=lambda: LineServer(read_timeout=advice), idle_timeout=idle
        ) as server:
            began = trio.current_time()
            got = await in_thread(raw_exchange, server.port, b"ECHO a\r\n")
            elapsed = trio.current_time() - began
            await record.done.wait()
            return got, elapsed

    got, elapsed = run(main)
    assert got == b"OK a\r\n"
    assert elapsed < 5
    assert [type(e) for e in record.errors] == [TimeoutError]


def test_client_idle_timeout() -> None:
    with RawServer(read_until_eof) as raw:

        async def main() -> None:
            channel = await dial(raw.port, idle_timeout=0.2)
            await channel.send(Command("ECHO", "anyone?"))
            with pytest.raises(TimeoutError):
                await channel.next_event()
            await channel.aclose()

        run(main)
        assert raw.join() == b"ECHO anyone?\r\n"


def test_clean_shutdown_with_idle_connection() -> None:
    record = Record()

    async def main() -> tuple[list[Any], float]:
        async with trio.open_nursery() as nursery:
            server: TrioServer = await nursery.start(
                partial(serve, LineServer, make_handler(record), grace_period=10.0)
            )
            channel = await dial(server.port)
            events = await ask(channel, Command("ECHO", "still here"))
            began = trio.current_time()
            server.close()
            await server.wait_closed()
            elapsed = trio.current_time() - began
            events.append(await channel.next_event())
            with pytest.raises(OSError):
                await dial(server.port, connect_timeout=2)
            return events, elapsed

    events, elapsed = run(main)
    assert events == [Reply("OK", "still here"), ConnectionClosed()]
    assert elapsed < 5  # the idle connection was interrupted, not waited for
    assert [type(e) for e in record.errors] == [ServerClosing]


def test_handler_can_say_goodbye_on_shutdown() -> None:
    async def main() -> list[Any]:
        async with start(Record(), goodbye=True) as server:
            channel = await dial(server.port)
            events = await ask(channel, Command("ECHO", "x"))
            server.close()
            await server.wait_closed()
            return [*events, await channel.next_event(), await channel.next_event()]

    assert run(main) == [Reply("OK", "x"), Reply("BYE", "shutting down"), ConnectionClosed()]


def test_shutdown_lets_busy_handler_finish_then_cancels() -> None:
    async def main() -> tuple[list[Any], list[Any], float]:
        async with start(Record(), grace_period=1.5) as server:
            busy = await dial(server.port)
            stuck = await dial(server.port)
            await busy.send(Command("SLOW", "0.2"))
            await stuck.send(Command("HANG"))
            await trio.sleep(0.1)
            began = trio.current_time()
            server.close()
            await server.wait_closed()
            elapsed = trio.current_time() - began
            return (
                [await busy.next_event(), await busy.next_event()],
                [await stuck.next_event()],
                elapsed,
            )

    busy, stuck, elapsed = run(main)
    assert busy == [Reply("OK", "slow"), ConnectionClosed()]
    assert stuck == [ConnectionClosed()]
    assert elapsed < 5


def test_handler_exception_does_not_kill_server(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[Any, list[Any]]:
        async with start(Record()) as server:
            broken = await dial(server.port)
            await broken.send(Command("BOOM"))
            first = await broken.next_event()
            fine = await dial(server.port)
            return first, await ask(fine, Command("ECHO", "alive"), Command("QUIT"))

    with caplog.at_level(logging.ERROR, "mailproto.drivers"):
        first, second = run(main)
    assert first == ConnectionClosed()
    assert second == [Reply("OK", "alive"), Reply("BYE", "see you")]
    assert "RuntimeError: boom" in caplog.text


def test_peer_disconnect_mid_line() -> None:
    record = Record()

    async def main() -> bytes:
        async with start(record, answer_errors=False) as server:
            with open_raw(server.port) as sock:
                sock.sendall(b"ECHO half a li")
            await record.done.wait()
            result: bytes = await in_thread(raw_exchange, server.port, b"QUIT\r\n")
            return result

    assert run(main) == b"BYE see you\r\n"
    error = record.errors[0]
    assert isinstance(error, RemoteProtocolError)
    assert error.kind is ErrorKind.UNEXPECTED_EOF


def test_peer_disconnect_during_a_large_write() -> None:
    record = Record()

    async def main() -> bytes:
        async with start(record) as server:
            assert (await in_thread(raw_abandon, server.port, b"BIG 20000000\r\n")).startswith(
                b"OK xxx"
            )
            await record.done.wait()
            result: bytes = await in_thread(raw_exchange, server.port, b"QUIT\r\n")
            return result

    assert run(main) == b"BYE see you\r\n"
    [error] = record.errors
    assert isinstance(error, ConnectionError)


def test_protocol_errors_answered_and_fatal_closes() -> None:
    async def main() -> bytes:
        async with start(Record()) as server:
            result: bytes = await in_thread(
                raw_exchange,
                server.port,
                b"NOPE\r\n\xff\xfe\r\nECHO ok\r\n" + b"L" * 2000 + b"\r\nFATAL\r\nECHO never\r\n",
            )
            return result

    assert run(main) == (
        b"ERR unknown command\r\nERR bad bytes\r\nOK ok\r\nERR line too long\r\nERR goodbye\r\n"
    )


def test_many_concurrent_clients() -> None:
    results: dict[int, list[Any]] = {}

    async def one(port: int, n: int) -> None:
        channel = await dial(port)
        results[n] = await ask(
            channel, Command("ECHO", f"{n}-a"), Command("ECHO", f"{n}-b"), Command("QUIT")
        )

    async def main() -> None:
        async with start(Record()) as server, trio.open_nursery() as nursery:
            for n in range(50):
                nursery.start_soon(one, server.port, n)

    run(main)
    assert [results[n] for n in range(50)] == [
        [Reply("OK", f"{n}-a"), Reply("OK", f"{n}-b"), Reply("BYE", "see you")] for n in range(50)
    ]
