"""The threaded driver over loopback, with and without TLS, checked byte for byte."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mailproto.connection import ConnectionClosed, StartTLS
from mailproto.drivers import ServerClosing
from mailproto.drivers.threaded import Channel, ThreadedServer, connect, serve
from mailproto.errors import ErrorKind, RemoteProtocolError

from ._lineproto import Command, LineClient, LineServer, Reply, answer
from ._raw import RawServer, open_raw, raw_exchange, raw_starttls, read_until, read_until_eof

LIMIT = 20.0


class Record:
    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.starttls: list[StartTLS | None] = []
        self.done = threading.Event()


def make_handler(
    record: Record, answer_errors: bool = True, goodbye: bool = False
) -> Callable[[Channel], None]:
    def handler(channel: Channel) -> None:
        try:
            if goodbye:
                try:
                    for event in channel.events():
                        assert isinstance(event, Command)
                        channel.send(answer(event, channel.tls))
                except ServerClosing:
                    channel.send(Reply("BYE", "shutting down"))
                return
            for event in channel.events(answer_errors=answer_errors):
                assert isinstance(event, Command)
                if event.verb == "BOOM":
                    raise RuntimeError("boom")
                if event.verb == "SLOW":
                    time.sleep(float(event.arg))
                if event.verb == "HANG":
                    # Blocks in I/O until the server forces the socket shut.
                    channel._sock.settimeout(None)
                    channel._sock.recv(1)
                    return
                channel.send(answer(event, channel.tls))
        except BaseException as exc:
            record.errors.append(exc)
            raise
        finally:
            record.starttls.append(channel.last_starttls)
            record.done.set()

    return handler


def start(record: Record, **kwargs: Any) -> ThreadedServer:
    factory = kwargs.pop("factory", LineServer)
    handler = make_handler(record, kwargs.pop("answer_errors", True), kwargs.pop("goodbye", False))
    return serve(factory, handler, **kwargs)


def dial(port: int, **kwargs: Any) -> Channel:
    kwargs.setdefault("idle_timeout", LIMIT)
    return connect("127.0.0.1", port, LineClient(), **kwargs)


def ask(channel: Channel, *commands: Command) -> list[Any]:
    channel.send(*commands)
    return [channel.next_event() for _ in commands]


def test_server_exact_bytes() -> None:
    with start(Record()) as server:
        got = raw_exchange(server.port, "ECHO hello world\r\nECHO café\r\nQUIT\r\n".encode())
    assert got == "OK hello world\r\nOK café\r\nBYE see you\r\n".encode()


def test_client_exact_bytes() -> None:
    def script(sock: socket.socket) -> bytes:
        got = read_until(sock, b"ECHO hi there\r\n")
        sock.sendall(b"OK hi there\r\n")
        got += read_until(sock, b"QUIT\r\n")
        sock.sendall(b"BYE see you\r\n")
        return got + read_until_eof(sock)

    with RawServer(script) as raw:
        channel = dial(raw.port)
        events = ask(channel, Command("ECHO", "hi there"))
        events += ask(channel, Command("QUIT"))
        events.append(channel.next_event())
        assert channel.closed
        assert raw.join() == b"ECHO hi there\r\nQUIT\r\n"
    assert events == [Reply("OK", "hi there"), Reply("BYE", "see you"), ConnectionClosed()]


def test_pipelined_roundtrip_and_volume() -> None:
    with start(Record()) as server, dial(server.port) as channel:
        events = ask(channel, *(Command("ECHO", str(i)) for i in range(100)))
        events += ask(channel, *(Command("BIG", "400000") for _ in range(4)))
        events += ask(channel, Command("QUIT"))
    assert events == [
        *(Reply("OK", str(i)) for i in range(100)),
        *[Reply("OK", "x" * 400000)] * 4,
        Reply("BYE", "see you"),
    ]


def test_starttls_upgrade(tls: Any) -> None:
    record = Record()
    with start(record, starttls_context=tls.server) as server:
        channel = dial(server.port, starttls_context=tls.client, server_hostname="localhost")
        events = ask(channel, Command("WHO"), Command("STARTTLS"))
        assert channel.tls and (channel.tls_version or "").startswith("TLS")
        events += ask(channel, Command("WHO"), Command("QUIT"))
        assert record.done.wait(LIMIT)
    assert events == [
        Reply("OK", "plain"),
        Reply("OK", "go ahead"),
        Reply("OK", "tls"),
        Reply("BYE", "see you"),
    ]
    assert record.starttls == [StartTLS(discarded=b"")]


def test_starttls_discards_pipelined_plaintext(tls: Any) -> None:
    record = Record()
    with start(record, starttls_context=tls.server) as server:
        plain, secure = raw_starttls(
            server.port, tls.client, b"STARTTLS\r\nECHO injected\r\n", b"WHO\r\nQUIT\r\n"
        )
        assert record.done.wait(LIMIT)
    assert plain == b"OK go ahead\r\n"
    assert secure == b"OK tls\r\nBYE see you\r\n"
    assert record.starttls == [StartTLS(discarded=b"ECHO injected\r\n")]


def test_implicit_tls(tls: Any) -> None:
    with start(Record(), ssl_context=tls.server) as server:
        with dial(server.port, ssl_context=tls.client, server_hostname="localhost") as channel:
            assert channel.tls and channel.peercert is not None
            events = ask(channel, Command("WHO"), Command("QUIT"))
        raw = raw_exchange(server.port, b"ECHO over tls\r\nQUIT\r\n", tls.client)
    assert events == [Reply("OK", "tls"), Reply("BYE", "see you")]
    assert raw == b"OK over tls\r\nBYE see you\r\n"


@pytest.mark.parametrize(
    ("idle", "advice"), [(0.2, None), (None, 0.2), (30.0, 0.2)], ids=["idle", "advice", "both"]
)
def test_server_idle_timeout(idle: float | None, advice: float | None) -> None:
    record = Record()
    with start(record, factory=lambda: LineServer(read_timeout=advice), idle_timeout=idle) as srv:
        began = time.monotonic()
        got = raw_exchange(srv.port, b"ECHO a\r\n")
        elapsed = time.monotonic() - began
        assert record.done.wait(LIMIT)
    assert got == b"OK a\r\n"
    assert elapsed < 5
    assert [type(e) for e in record.errors] == [TimeoutError]


def test_client_idle_timeout() -> None:
    with RawServer(read_until_eof) as raw:
        channel = dial(raw.port, idle_timeout=0.2)
        channel.send(Command("ECHO", "anyone?"))
        with pytest.raises(TimeoutError):
            channel.next_event()
        channel.close()
        assert raw.join() == b"ECHO anyone?\r\n"


def test_clean_shutdown_with_idle_connection() -> None:
    record = Record()
    server = start(record, grace_period=10.0)
    channel = dial(server.port)
    events = ask(channel, Command("ECHO", "still here"))
    began = time.monotonic()
    server.close()
    elapsed = time.monotonic() - began
    events.append(channel.next_event())
    assert events == [Reply("OK", "still here"), ConnectionClosed()]
    assert elapsed < 5  # the idle connection was interrupted, not waited for
    assert [type(e) for e in record.errors] == [ServerClosing]
    with pytest.raises(OSError):
        dial(server.port, connect_timeout=2)


def test_handler_can_say_goodbye_on_shutdown() -> None:
    server = start(Record(), goodbye=True)
    channel = dial(server.port)
    events = ask(channel, Command("ECHO", "x"))
    server.close()
    events += [channel.next_event(), channel.next_event()]
    assert events == [Reply("OK", "x"), Reply("BYE", "shutting down"), ConnectionClosed()]


def test_shutdown_lets_busy_handler_finish_then_forces_the_rest() -> None:
    server = start(Record(), grace_period=1.5)
    busy = dial(server.port)
    stuck = dial(server.port)
    busy.send(Command("SLOW", "0.2"))
    stuck.send(Command("HANG"))
    time.sleep(0.1)
    began = time.monotonic()
    server.close()
    assert time.monotonic() - began < 5
    assert [busy.next_event(), busy.next_event()] == [Reply("OK", "slow"), ConnectionClosed()]
    assert stuck.next_event() == ConnectionClosed()
    assert server.connections == 0


def test_handler_exception_does_not_kill_server(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, "mailproto.drivers"), start(Record()) as server:
        broken = dial(server.port)
        broken.send(Command("BOOM"))
        assert broken.next_event() == ConnectionClosed()
        with dial(server.port) as fine:
            events = ask(fine, Command("ECHO", "alive"), Command("QUIT"))
    assert events == [Reply("OK", "alive"), Reply("BYE", "see you")]
    assert "RuntimeError: boom" in caplog.text


def test_peer_disconnect_mid_line() -> None:
    record = Record()
    with start(record, answer_errors=False) as server:
        with open_raw(server.port) as sock:
            sock.sendall(b"ECHO half a li")
        assert record.done.wait(LIMIT)
        after = raw_exchange(server.port, b"QUIT\r\n")
    assert after == b"BYE see you\r\n"
    [error] = record.errors
    assert isinstance(error, RemoteProtocolError)
    assert error.kind is ErrorKind.UNEXPECTED_EOF


def test_peer_disconnect_during_a_large_write() -> None:
    record = Record()
    with start(record) as server:
        with open_raw(server.port) as sock:
            sock.sendall(b"BIG 20000000\r\n")
            sock.recv(1000)
        assert record.done.wait(LIMIT)
        after = raw_exchange(server.port, b"QUIT\r\n")
    assert after == b"BYE see you\r\n"
    [error] = record.errors
    assert isinstance(error, ConnectionError)


def test_protocol_errors_answered_and_fatal_closes() -> None:
    with start(Record()) as server:
        got = raw_exchange(
            server.port,
            b"NOPE\r\n\xff\xfe\r\nECHO ok\r\n" + b"L" * 2000 + b"\r\nFATAL\r\nECHO never\r\n",
        )
    assert got == (
        b"ERR unknown command\r\nERR bad bytes\r\nOK ok\r\nERR line too long\r\nERR goodbye\r\n"
    )


def test_many_concurrent_clients() -> None:
    def one(port: int, n: int) -> list[Any]:
        with dial(port) as channel:
            return ask(
                channel, Command("ECHO", f"{n}-a"), Command("ECHO", f"{n}-b"), Command("QUIT")
            )

    with start(Record()) as server, ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda n: one(server.port, n), range(50)))
    assert results == [
        [Reply("OK", f"{n}-a"), Reply("OK", f"{n}-b"), Reply("BYE", "see you")] for n in range(50)
    ]
