"""Real POP3 clients (stdlib poplib, curl) against our server on the threaded driver."""

from __future__ import annotations

import hashlib
import poplib
import ssl
import subprocess
import threading
from collections.abc import Iterator

import pytest
import trustme

from mailproto.drivers.threaded import Channel, ThreadedServer, serve
from mailproto.pop3 import (
    Maildrop,
    MessageData,
    MessageEnd,
    MessageStart,
    Ok,
    OpenMaildrop,
    POP3Server,
    RetrieveMessage,
    Update,
)
from mailproto.sasl import PasswordAuthenticator

from .._programs import require_program

pytestmark = pytest.mark.interop

LIMIT = 30.0
BIG = b"".join(
    b"Line %07d of a big message, with some padding to make it longer .....\r\n" % n
    for n in range(60_000)
)  # about 4.4 MB
MESSAGES = [
    b"From: a@example.org\r\nSubject: first\r\n\r\nHello.\r\n.leading dot\r\n..two\r\n",
    b"From: b@example.org\r\nSubject: second\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
    b"From: c@example.org\r\nSubject: big\r\n\r\n" + BIG,
]


class Store:
    """Maildrops shared by the connections of one server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = {"tim": list(MESSAGES)}
        self.deleted: list[int] = []

    def uids(self) -> tuple[str, ...]:
        return tuple(hashlib.sha1(m).hexdigest()[:20] for m in self.messages["tim"])

    def handler(self, channel: Channel) -> None:
        for event in channel.events():
            if isinstance(event, OpenMaildrop):
                sizes = tuple(len(m) for m in self.messages[event.username])
                channel.send(Maildrop(sizes, self.uids()))
            elif isinstance(event, RetrieveMessage):
                data = self.messages["tim"][event.msg - 1]
                channel.send(MessageStart())
                for start in range(0, len(data), 1 << 16):
                    channel.send(MessageData(data[start : start + (1 << 16)]))
                channel.send(MessageEnd())
            elif isinstance(event, Update):
                with self.lock:
                    self.deleted.extend(event.deleted)
                channel.send(Ok("bye"))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def running(ca: trustme.CA) -> Iterator[tuple[ThreadedServer, Store]]:
    store = Store()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)

    def factory() -> POP3Server:
        return POP3Server(
            authenticator=PasswordAuthenticator({"tim": "secret"}),
            apop_timestamp="<4711.1@example.org>",
            tls_available=True,
        )

    server = serve(
        factory, store.handler, "127.0.0.1", 0, starttls_context=server_context, idle_timeout=LIMIT
    )
    try:
        yield server, store
    finally:
        server.close()
        server.wait_closed(LIMIT)


def test_poplib_session(running: tuple[ThreadedServer, Store]) -> None:
    server, store = running
    pop = poplib.POP3("127.0.0.1", server.port, timeout=LIMIT)
    try:
        assert pop.getwelcome().startswith(b"+OK POP3 server ready <4711.1@example.org>")
        caps = pop.capa()
        assert {"TOP", "UIDL", "PIPELINING", "USER", "STLS"} <= set(caps)
        pop.user("tim")
        pop.pass_("secret")
        count, size = pop.stat()
        assert (count, size) == (3, sum(len(m) for m in MESSAGES))
        _, listing, _ = pop.list()
        assert listing == [b"%d %d" % (n, len(m)) for n, m in enumerate(MESSAGES, 1)]
        _, uidls, _ = pop.uidl()
        assert uidls == [b"%d %s" % (n, u.encode()) for n, u in enumerate(store.uids(), 1)]
        assert pop.uidl(2).split()[-1] == store.uids()[1].encode()
        for n, message in enumerate(MESSAGES, 1):
            _, lines, _ = pop.retr(n)
            # poplib strips CRLF and undoes the dot-stuffing
            assert b"\r\n".join(lines) + b"\r\n" == message
        _, top, _ = pop.top(2, 1)
        assert top == [b"From: b@example.org", b"Subject: second", b"", b"line 1"]
        assert pop.dele(1).startswith(b"+OK")
        with pytest.raises(poplib.error_proto):
            pop.retr(1)
        assert pop.stat()[0] == 2
        pop.rset()
        assert pop.stat()[0] == 3
        pop.dele(2)
    finally:
        assert pop.quit().startswith(b"+OK")
    assert store.deleted == [2]


def test_poplib_apop_and_errors(running: tuple[ThreadedServer, Store]) -> None:
    server, store = running
    pop = poplib.POP3("127.0.0.1", server.port, timeout=LIMIT)
    with pytest.raises(poplib.error_proto, match="authentication failed"):
        pop.apop("tim", "wrong")
    pop.apop("tim", "secret")
    with pytest.raises(poplib.error_proto, match="no such message"):
        pop.retr(9)
    pop.dele(3)
    pop.close()  # dropped without QUIT: nothing is deleted
    assert store.deleted == []


def test_poplib_stls(running: tuple[ThreadedServer, Store], ca: trustme.CA) -> None:
    server, _ = running
    context = ssl.create_default_context()
    ca.configure_trust(context)
    pop = poplib.POP3("127.0.0.1", server.port, timeout=LIMIT)
    pop.stls(context)
    assert "STLS" not in pop.capa()
    pop.user("tim")
    pop.pass_("secret")
    assert pop.stat()[0] == 3
    pop.quit()


def curl(*args: str) -> bytes:
    program = require_program("curl")
    result = subprocess.run(
        [program, "-sS", "--max-time", str(LIMIT), "-u", "tim:secret", *args],
        capture_output=True,
        check=True,
        timeout=LIMIT + 5,
    )
    return result.stdout


def test_curl_list_retr_uidl_top_dele(running: tuple[ThreadedServer, Store]) -> None:
    server, store = running
    base = f"pop3://127.0.0.1:{server.port}"
    assert curl(base + "/") == b"".join(
        b"%d %d\r\n" % (n, len(m)) for n, m in enumerate(MESSAGES, 1)
    )
    assert curl(base + "/1") == MESSAGES[0]
    assert curl(base + "/3") == MESSAGES[2]  # the multi-megabyte one, byte for byte
    uidl = curl("-X", "UIDL", base + "/")
    assert uidl == b"".join(b"%d %s\r\n" % (n, u.encode()) for n, u in enumerate(store.uids(), 1))
    top = curl("-X", "TOP 2 1", base + "/")
    assert top == b"From: b@example.org\r\nSubject: second\r\n\r\nline 1\r\n"
    curl("-X", "DELE 2", "-I", base + "/")
    assert store.deleted == [2]


def test_our_client_and_server_over_asyncio() -> None:
    """The download helper against our server, both on the asyncio driver, over loopback."""
    import asyncio

    from mailproto.drivers import asyncio as aio
    from mailproto.pop3 import MailboxDownload, POP3Client, download_async

    store = Store()

    async def handler(channel: aio.AsyncChannel) -> None:
        async for event in channel.events():
            if isinstance(event, OpenMaildrop):
                sizes = tuple(len(m) for m in store.messages["tim"])
                await channel.send(Maildrop(sizes, store.uids()))
            elif isinstance(event, RetrieveMessage):
                data = store.messages["tim"][event.msg - 1]
                await channel.send(MessageStart(), MessageData(data), MessageEnd())
            elif isinstance(event, Update):
                store.deleted.extend(event.deleted)
                await channel.send(Ok("bye"))

    async def run() -> list[bytes]:
        server = await aio.serve(
            lambda: POP3Server(authenticator=PasswordAuthenticator({"tim": "secret"})),
            handler,
            "127.0.0.1",
            0,
            idle_timeout=LIMIT,
        )
        try:
            client = POP3Client()
            job = MailboxDownload(
                client, username="tim", password="secret", known_uids={store.uids()[0]}, delete=True
            )
            channel = await aio.connect("127.0.0.1", server.port, client, idle_timeout=LIMIT)
            async with channel:
                return [m.data async for m in download_async(channel, job)]
        finally:
            server.close()
            await server.wait_closed()

    got = asyncio.run(run())
    assert got == MESSAGES[1:]
    assert sorted(store.deleted) == [1, 2, 3]
