"""The asyncio driver over loopback, with and without TLS, checked byte for byte."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from mailproto.connection import ConnectionClosed, StartTLS
from mailproto.drivers import ServerClosing
from mailproto.drivers.asyncio import AsyncChannel, AsyncServer, connect, serve
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


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, LIMIT)

    return asyncio.run(bounded())


class Record:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.starttls: list[StartTLS | None] = []
        self.channels: list[AsyncChannel] = []


def make_handler(
    record: Record, answer_errors: bool = True, goodbye: bool = False
) -> Callable[[AsyncChannel], Awaitable[None]]:
    async def handler(channel: AsyncChannel) -> None:
        record.channels.append(channel)
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
                    await asyncio.sleep(float(event.arg))
                if event.verb == "HANG":
                    await asyncio.sleep(3600)
                await channel.send(answer(event, channel.tls))
        except BaseException as exc:
            record.errors.append(exc)
            raise
        finally:
            record.starttls.append(channel.last_starttls)

    return handler


async def start(record: Record, **kwargs: Any) -> AsyncServer:
    factory = kwargs.pop("factory", LineServer)
    handler = make_handler(record, kwargs.pop("answer_errors", True), kwargs.pop("goodbye", False))
    return await serve(factory, handler, **kwargs)


async def ask(channel: AsyncChannel, *commands: Command) -> list[Any]:
    await channel.send(*commands)
    return [await channel.next_event() for _ in commands]


# -- exact bytes ----------------------------------------------------------------------------------


def test_server_exact_bytes() -> None:
    async def main() -> bytes:
        record = Record()
        async with await start(record) as server:
            return await asyncio.to_thread(
                raw_exchange, server.port, "ECHO hello world\r\nECHO café\r\nQUIT\r\n".encode()
            )

    assert run(main()) == "OK hello world\r\nOK café\r\nBYE see you\r\n".encode()


def test_client_exact_bytes() -> None:
    def script(sock: socket.socket) -> bytes:
        got = read_until(sock, b"ECHO hi there\r\n")
        sock.sendall(b"OK hi there\r\n")
        got += read_until(sock, b"QUIT\r\n")
        sock.sendall(b"BYE see you\r\n")
        return got + read_until_eof(sock)

    async def main(port: int) -> list[Any]:
        channel = await connect("127.0.0.1", port, LineClient())
        events = await ask(channel, Command("ECHO", "hi there"))
        events += await ask(channel, Command("QUIT"))
        events.append(await channel.next_event())
        assert channel.closed
        return events

    with RawServer(script) as raw:
        events = run(main(raw.port))
        sent = raw.join()
    assert sent == b"ECHO hi there\r\nQUIT\r\n"
    assert events == [Reply("OK", "hi there"), Reply("BYE", "see you"), ConnectionClosed()]


def test_pipelined_roundtrip() -> None:
    async def main() -> list[Any]:
        record = Record()
        async with await start(record) as server:
            channel = await connect("127.0.0.1", server.port, LineClient())
            events = await ask(channel, *(Command("ECHO", str(i)) for i in range(100)))
            events += await ask(channel, Command("QUIT"))
            events.append(await channel.next_event())
            return events

    events = run(main())
    assert events == [
        *(Reply("OK", str(i)) for i in range(100)),
        Reply("BYE", "see you"),
        ConnectionClosed(),
    ]


def test_backpressure_large_volume() -> None:
    """Megabytes each way: reads pause and writes drain without losing or reordering a byte."""
    lines = b"".join(b"ECHO %06d %s\r\n" % (i, b"y" * 90) for i in range(20000))
    expected = b"".join(b"OK %06d %s\r\n" % (i, b"y" * 90) for i in range(20000))

    def client(port: int) -> bytes:
        with open_raw(port) as sock:
            received: list[bytes] = []

            def reader() -> None:
                received.append(read_until_eof(sock))

            import threading

            thread = threading.Thread(target=reader)
            thread.start()
            sock.sendall(lines + b"QUIT\r\n")
            thread.join(LIMIT)
            return received[0]

    async def main() -> bytes:
        async with await start(Record()) as server:
            return await asyncio.to_thread(client, server.port)

    assert run(main()) == expected + b"BYE see you\r\n"


def test_big_reply_drains() -> None:
    async def main() -> list[Any]:
        async with await start(Record()) as server:
            channel = await connect("127.0.0.1", server.port, LineClient())
            events = await ask(channel, *(Command("BIG", "500000") for _ in range(8)))
            await channel.aclose()
            return events

    assert run(main()) == [Reply("OK", "x" * 500000)] * 8


# -- TLS ------------------------------------------------------------------------------------------


def test_starttls_upgrade(tls: Any) -> None:
    async def main() -> tuple[list[Any], Record, str | None]:
        record = Record()
        async with await start(record, starttls_context=tls.server) as server:
            channel = await connect(
                "127.0.0.1",
                server.port,
                LineClient(),
                starttls_context=tls.client,
                server_hostname="localhost",
            )
            events = await ask(channel, Command("WHO"))
            assert not channel.tls and channel.tls_version is None
            events += await ask(channel, Command("STARTTLS"))
            assert channel.tls
            version = channel.tls_version
            events += await ask(channel, Command("WHO"), Command("ECHO", "secret"))
            events += await ask(channel, Command("QUIT"))
            assert channel.last_starttls == StartTLS(discarded=b"")
            return events, record, version

    events, record, version = run(main())
    assert events == [
        Reply("OK", "plain"),
        Reply("OK", "go ahead"),
        Reply("OK", "tls"),
        Reply("OK", "secret"),
        Reply("BYE", "see you"),
    ]
    assert version is not None and version.startswith("TLS")
    assert record.starttls == [StartTLS(discarded=b"")]
    assert record.errors == []


def test_starttls_discards_pipelined_plaintext(tls: Any) -> None:
    async def main() -> tuple[bytes, bytes, Record]:
        record = Record()
        async with await start(record, starttls_context=tls.server) as server:
            plain, secure = await asyncio.to_thread(
                raw_starttls,
                server.port,
                tls.client,
                b"ECHO one\r\nSTARTTLS\r\nECHO injected\r\n",
                b"WHO\r\nQUIT\r\n",
            )
            return plain, secure, record

    plain, secure, record = run(main())
    assert plain == b"OK one\r\nOK go ahead\r\n"
    assert secure == b"OK tls\r\nBYE see you\r\n"
    assert record.starttls == [StartTLS(discarded=b"ECHO injected\r\n")]


def test_implicit_tls(tls: Any) -> None:
    async def main() -> tuple[list[Any], bytes]:
        record = Record()
        async with await start(record, ssl_context=tls.server) as server:
            channel = await connect(
                "127.0.0.1",
                server.port,
                LineClient(),
                ssl_context=tls.client,
                server_hostname="localhost",
            )
            assert channel.tls and channel.tls_version is not None
            assert channel.peercert is not None
            events = await ask(channel, Command("WHO"), Command("QUIT"))
            raw = await asyncio.to_thread(
                raw_exchange, server.port, b"ECHO over tls\r\nQUIT\r\n", tls.client
            )
            return events, raw

    events, raw = run(main())
    assert events == [Reply("OK", "tls"), Reply("BYE", "see you")]
    assert raw == b"OK over tls\r\nBYE see you\r\n"


def test_server_without_starttls_context_fails_that_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> tuple[bytes, bytes]:
        async with await start(Record()) as server:
            first = await asyncio.to_thread(raw_exchange, server.port, b"STARTTLS\r\n")
            second = await asyncio.to_thread(raw_exchange, server.port, b"QUIT\r\n")
            return first, second

    with caplog.at_level(logging.ERROR, "mailproto.drivers"):
        first, second = run(main())
    assert first == b"OK go ahead\r\n"
    assert second == b"BYE see you\r\n"
    assert "starttls_context" in caplog.text


# -- timeouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idle", "advice"), [(0.2, None), (None, 0.2), (30.0, 0.2)], ids=["idle", "advice", "both"]
)
def test_server_idle_timeout(idle: float | None, advice: float | None) -> None:
    async def main() -> tuple[bytes, float, Record]:
        record = Record()
        async with await start(
            record, factory=lambda: LineServer(read_timeout=advice), idle_timeout=idle
        ) as server:
            loop = asyncio.get_running_loop()
            began = loop.time()
            got = await asyncio.to_thread(raw_exchange, server.port, b"ECHO a\r\n")
            return got, loop.time() - began, record

    got, elapsed, record = run(main())
    assert got == b"OK a\r\n"
    assert elapsed < 5
    assert [type(e) for e in record.errors] == [TimeoutError]


def test_client_idle_timeout() -> None:
    def script(sock: socket.socket) -> bytes:
        return read_until_eof(sock)

    async def main(port: int) -> None:
        channel = await connect("127.0.0.1", port, LineClient(), idle_timeout=0.2)
        await channel.send(Command("ECHO", "anyone?"))
        with pytest.raises(TimeoutError):
            await channel.next_event()
        await channel.aclose()

    with RawServer(script) as raw:
        run(main(raw.port))
        assert raw.join() == b"ECHO anyone?\r\n"


# -- shutdown and failures ------------------------------------------------------------------------


def test_clean_shutdown_with_idle_connection() -> None:
    async def main() -> tuple[list[Any], float, Record]:
        record = Record()
        server = await start(record, grace_period=10.0)
        channel = await connect("127.0.0.1", server.port, LineClient())
        events = await ask(channel, Command("ECHO", "still here"))
        loop = asyncio.get_running_loop()
        began = loop.time()
        server.close()
        await server.wait_closed()
        elapsed = loop.time() - began
        events.append(await channel.next_event())
        with pytest.raises(OSError):
            await connect("127.0.0.1", server.port, LineClient(), connect_timeout=2)
        return events, elapsed, record

    events, elapsed, record = run(main())
    assert events == [Reply("OK", "still here"), ConnectionClosed()]
    assert elapsed < 5  # the idle connection was interrupted, not waited for
    assert [type(e) for e in record.errors] == [ServerClosing]


def test_handler_can_say_goodbye_on_shutdown() -> None:
    async def main() -> list[Any]:
        server = await start(Record(), goodbye=True)
        channel = await connect("127.0.0.1", server.port, LineClient())
        events = await ask(channel, Command("ECHO", "x"))
        server.close()
        await server.wait_closed()
        return [*events, await channel.next_event(), await channel.next_event()]

    assert run(main()) == [Reply("OK", "x"), Reply("BYE", "shutting down"), ConnectionClosed()]


def test_shutdown_lets_busy_handler_finish_then_cancels() -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        record = Record()
        server = await start(record, grace_period=1.5)
        busy = await connect("127.0.0.1", server.port, LineClient())
        stuck = await connect("127.0.0.1", server.port, LineClient())
        await busy.send(Command("SLOW", "0.2"))
        await stuck.send(Command("HANG"))
        await asyncio.sleep(0.1)
        server.close()
        await server.wait_closed()
        return (
            [await busy.next_event(), await busy.next_event()],
            [await stuck.next_event()],
        )

    busy, stuck = run(main())
    assert busy == [Reply("OK", "slow"), ConnectionClosed()]
    assert stuck == [ConnectionClosed()]


def test_handler_exception_does_not_kill_server(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        record = Record()
        async with await start(record) as server:
            broken = await connect("127.0.0.1", server.port, LineClient())
            await broken.send(Command("BOOM"))
            first = [await broken.next_event()]
            fine = await connect("127.0.0.1", server.port, LineClient())
            return first, await ask(fine, Command("ECHO", "alive"), Command("QUIT"))

    with caplog.at_level(logging.ERROR, "mailproto.drivers"):
        first, second = run(main())
    assert first == [ConnectionClosed()]
    assert second == [Reply("OK", "alive"), Reply("BYE", "see you")]
    assert "RuntimeError: boom" in caplog.text


def test_peer_disconnect_mid_line() -> None:
    async def main() -> tuple[Record, bytes]:
        record = Record()
        async with await start(record, answer_errors=False) as server:
            with open_raw(server.port) as sock:
                sock.sendall(b"ECHO half a li")
            for _ in range(100):
                if record.errors:
                    break
                await asyncio.sleep(0.02)
            return record, await asyncio.to_thread(raw_exchange, server.port, b"QUIT\r\n")

    record, after = run(main())
    assert after == b"BYE see you\r\n"
    [error] = record.errors
    assert isinstance(error, RemoteProtocolError)
    assert error.kind is ErrorKind.UNEXPECTED_EOF


def test_peer_disconnect_during_a_large_write() -> None:
    async def main() -> tuple[Record, bytes]:
        record = Record()
        async with await start(record) as server:
            assert (
                await asyncio.to_thread(raw_abandon, server.port, b"BIG 20000000\r\n")
            ).startswith(b"OK xxx")
            for _ in range(250):
                if record.errors:
                    break
                await asyncio.sleep(0.02)
            return record, await asyncio.to_thread(raw_exchange, server.port, b"QUIT\r\n")

    record, after = run(main())
    assert after == b"BYE see you\r\n"
    assert [type(e) for e in record.errors] == [ConnectionResetError]


def test_protocol_errors_answered_and_fatal_closes() -> None:
    async def main() -> bytes:
        async with await start(Record()) as server:
            return await asyncio.to_thread(
                raw_exchange,
                server.port,
                b"NOPE\r\n\xff\xfe\r\nECHO ok\r\n" + b"L" * 2000 + b"\r\nFATAL\r\nECHO never\r\n",
            )

    assert run(main()) == (
        b"ERR unknown command\r\nERR bad bytes\r\nOK ok\r\nERR line too long\r\nERR goodbye\r\n"
    )


def test_many_concurrent_clients() -> None:
    async def one(port: int, n: int) -> list[Any]:
        channel = await connect("127.0.0.1", port, LineClient())
        events = await ask(channel, Command("ECHO", f"{n}-a"), Command("ECHO", f"{n}-b"))
        events += await ask(channel, Command("QUIT"))
        return events

    async def main() -> list[list[Any]]:
        async with await start(Record()) as server:
            return await asyncio.gather(*(one(server.port, n) for n in range(50)))

    results = run(main())
    assert results == [
        [Reply("OK", f"{n}-a"), Reply("OK", f"{n}-b"), Reply("BYE", "see you")] for n in range(50)
    ]
